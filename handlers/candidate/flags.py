"""Flags (:mod:`forms.checks`) in the conversation: which ones to show when, and the flag list
with its buttons — jump to the item, explain a warning, see the next page."""

from __future__ import annotations

from collections.abc import Collection

from forms import checks as fchecks
from forms.checks import Flag
from forms.memo import SnapshotMemo
from forms.model import ItemDef
from forms.texts import render
from handlers.candidate.actions import EXPLAIN_FLAG, MORE_FLAGS, FlagRef, Offset, jump_action
from handlers.candidate.core import Turn, log
from handlers.candidate.texts import short, t
from handlers.events import Button
from handlers.failures import failure_place

FLAGS_SHOWN = 6  # a page of a flag list
_SHOWN_KEPT = 60  # flags remembered as shown after an answer
#: Every flag of a dossier snapshot, by day: the form's last answer shows them at the end,
#: and /xem and /nop right after read the same revision (three whole runs were one).
_ALL_FLAGS: SnapshotMemo[tuple[Flag, ...]] = SnapshotMemo(size=256)


def open_flags(turn: Turn) -> list[Flag]:
    """Every flag of the dossier (/xem, /nop, the summary at the end)."""
    d, today = turn.d, turn.today
    try:
        found = _ALL_FLAGS.get(
            d, today, lambda: tuple(fchecks.run_checks(d, today=today, scope="all"))
        )
    except Exception as exc:  # a broken rule must not break the conversation
        log.error("checks failed: %s", failure_place(exc))
        return []
    return list(found)


def progress_flags(turn: Turn) -> list[Flag]:
    """/tiendo: the flags of what is finished; an item being filled in (relatives not
    asked yet, a table still open) waits until it is done."""
    try:
        return fchecks.run_checks(turn.d, today=turn.today, finished=turn.nav.finished_items())
    except Exception as exc:
        log.error("checks failed: %s", failure_place(exc))
        return []


def field_flags(
    turn: Turn, target: str, row: int | None = None, naming: Collection[str] | None = None
) -> list[Flag]:
    """The rules of one field or table (``target``), right after an answer; ``row``: the
    answer's row of a table or of the relatives (the other rows' flags are not wanted);
    ``naming``: only flags naming these fields are wanted (see ``check_field``)."""
    try:
        return fchecks.check_field(turn.d, target, today=turn.today, row=row, naming=naming)
    except Exception as exc:
        log.error("field checks failed: %s", failure_place(exc))
        return []


def item_flags(turn: Turn, item: ItemDef) -> list[Flag]:
    """An item's flags, at its loop's "Xong"."""
    try:
        numbers = [item.number]
        finished = turn.nav.finished_items(among=fchecks.needed_by(numbers))
        flags = fchecks.check_items(turn.d, numbers, today=turn.today, finished=finished)
    except Exception as exc:
        log.error("item checks failed: %s", failure_place(exc))
        return []
    return [f for f in flags if f.item == item.number]


def section_flags(turn: Turn, index: int) -> list[Flag]:
    """A part's unexplained flags, at its end."""
    numbers = [it.number for it in turn.structure.section_items(index)]
    try:
        finished = turn.nav.finished_items(among=fchecks.needed_by(numbers))
        flags = fchecks.check_items(turn.d, numbers, today=turn.today, finished=finished)
    except Exception as exc:
        log.error("part checks failed: %s", failure_place(exc))
        return []
    return [f for f in flags if f.item in numbers and not f.explanation]


def unseen(turn: Turn, flags: list[Flag]) -> list[Flag]:
    """Flags not yet shown after an answer (summaries show them all again)."""
    conv = turn.conversation
    seen = conv.shown_flags
    fresh = [f for f in flags if f.key not in seen]
    conv.shown_flags = (seen + [f.key for f in fresh])[-_SHOWN_KEPT:]
    return fresh


def flag_message(turn: Turn, key: str) -> str:
    for f in open_flags(turn):
        if f.key == key:
            return f.message
    return ""


def show_flags(
    turn: Turn, flags: list[Flag], *, title: str = "", offset: int = 0, pageable: bool = False
) -> None:
    """``flags[offset:]``, a page of them; ``pageable``: a "Xem thêm" button shows the next
    page of /tiendo (elsewhere the text points to /tiendo)."""
    structure, conv = turn.structure, turn.conversation
    shown = flags[offset : offset + FLAGS_SHOWN]
    more = len(flags) - offset - len(shown)
    turn.shown_keys.update(f.key for f in shown)
    keys: list[str] = []
    jumps: dict[int, Flag] = {}  # the first flag of each item: its button opens its field
    for f in shown:
        if f.item not in jumps and structure.has_item(f.item):
            jumps[f.item] = f
        if _explainable(f):
            keys.append(f.key)
    # Warnings are numbered across the pages of one list ("cảnh báo 4" on the second page).
    base = sum(_explainable(f) for f in flags[:offset])
    conv.flag_lists += 1
    buttons: list[list[Button]] = []
    row: list[Button] = []
    for n, f in list(jumps.items())[:4]:
        it = structure.item(n)
        action = jump_action(n, f.row, f.field)
        row.append(Button(t("flags.jump", ref=it.ref or short(it.label, 24)), action))
    if row:
        buttons.append(row)
    for i, _ in enumerate(keys[:3]):
        ref = FlagRef.of(conv.flag_lists, i)
        buttons.append([Button(t("flags.explain", n=base + i + 1), EXPLAIN_FLAG.encode(ref))])
    if pageable and more > 0:
        next_page = Offset(offset + len(shown))
        buttons.append([Button(t("flags.more", count=more), MORE_FLAGS.encode(next_page))])
    conv.explainable = keys
    conv.flag_buttons = [[b.label, b.action] for line in buttons for b in line]
    text = render(
        "chat/flags.j2",
        title=title,
        flags=[_flag_line(turn, f, keys, base) for f in shown],
        more=more,
        more_button=pageable,
    )
    turn.say(text, buttons)


def _explainable(f: Flag) -> bool:
    return not f.is_error and not f.explanation


def _flag_line(turn: Turn, f: Flag, keys: list[str], base: int) -> dict[str, object]:
    structure = turn.structure
    return {
        "error": f.is_error,
        "message": f.message,
        "ref": structure.item(f.item).ref if structure.has_item(f.item) else "",
        "explanation": f.explanation or "",
        "explain_n": base + keys.index(f.key) + 1 if f.key in keys[:3] else 0,
    }
