"""The stored conversation (``conversations.state``): version 2, readable and compact.

A screen is stored as its address, ``"<kind> <parts…>"`` — ``"field 1 ho_ten"``,
``"column 15 2 viec"`` (row 2, 0-based), ``"relative 21 cha new ho_ten"``, ``"rows 15"``,
``"loop 21 con"``, ``"relatives 21"``, ``"gate 12"``, ``"confirm drop 21"``, ``"done"``,
``"withdrawn"`` — or,
when it carries more (a chosen start month, a pending suggestion, the answer a confirmation
waits for), as ``{"at": address, …}``. Example::

    {"v": 2, "screen": {"at": "column 15 1 thoi_gian", "start": "07/2024"},
     "gates": {"13": "không"}, "closed": ["t:lich_su"], "back": ["field 1 ho_ten", …],
     "asked": 24, "buttons": [["⬅️ Quay lại", "c:back"], …], "options": ["nam", "nữ"]}

Empty and default values are left out (the state is written on every answer). Version 1
(one- and two-letter keys, cursors as ``{"k": "col", "i": 15, "r": 2, "f": "viec"}``) is read
and converted; it is written as version 2 at the next answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from handlers.candidate.consent import Consent
from handlers.candidate.core import Conversation, Screen
from handlers.candidate.dialogs import Done, Erased, Explain, Idle, Unset
from handlers.candidate.erasing import ConfirmDrop
from handlers.candidate.gates import ConfirmClear, Gate
from handlers.candidate.questions import FieldQuestion, Question
from handlers.candidate.relatives import RelationLoop, RelativeQuestion, RelativesMenu
from handlers.candidate.submission import (
    ConfirmDelete,
    ConfirmErase,
    ConfirmSpokenSubmit,
    ConfirmSubmit,
)
from handlers.candidate.tables import ColumnQuestion, RowsMenu
from handlers.candidate.withdrawal import ConfirmWithdraw, Withdrawn
from storage.core import ConversationRecord

VERSION = 2
Parser = Callable[[list[str], Mapping[str, Any]], Screen]

_SCREENS: dict[str, Parser] = {
    cls.kind: cls.from_parts
    for cls in (
        Consent, Done, Erased, Explain, Idle, Unset, Gate, FieldQuestion, ColumnQuestion,
        RelativeQuestion, RowsMenu, RelationLoop, RelativesMenu, Withdrawn,
    )
}  # fmt: skip
#: The confirmations that carry nothing but what they confirm.
_PLAIN_CONFIRMS = {
    cls.what: cls
    for cls in (ConfirmSubmit, ConfirmSpokenSubmit, ConfirmDelete, ConfirmErase, ConfirmWithdraw)
}


def _confirm(parts: list[str], extras: Mapping[str, Any]) -> Screen:
    what, rest = parts[0], parts[1:]
    if what in _PLAIN_CONFIRMS:
        return _PLAIN_CONFIRMS[what]()
    if what == "clear":
        return ConfirmClear(int(rest[0]))
    if what == "drop":
        answer = screen_at(str(extras.get("answer") or ""))
        values = extras.get("values")
        return ConfirmDrop(
            int(rest[0]),
            answer if isinstance(answer, Question) else None,
            dict(values) if isinstance(values, dict) else {},
        )
    raise ValueError(what)


_SCREENS["confirm"] = _confirm


def screen_at(address: str, extras: Mapping[str, Any] | None = None) -> Screen:
    """The screen stored as ``address`` (a screen that no longer parses: :class:`Unset`)."""
    if not extras:
        return _plain_screen(address)
    return _parse(address, extras)


@lru_cache(maxsize=4096)
def _plain_screen(address: str) -> Screen:
    """Screens are immutable values: one per address is parsed once (every event reads one)."""
    return _parse(address, {})


def _parse(address: str, extras: Mapping[str, Any]) -> Screen:
    kind, *parts = address.split(" ")
    parser = _SCREENS.get(kind)
    if parser is None:
        return Unset()
    try:
        return parser(parts, extras)
    except (ValueError, IndexError, TypeError):
        return Unset()


def stored_screen(screen: Screen) -> str | dict[str, Any]:
    extras = screen.extras()
    return {"at": screen.address, **extras} if extras else screen.address


def _read_screen(value: Any) -> Screen:
    if isinstance(value, str):
        return _plain_screen(value)
    if isinstance(value, dict):
        return screen_at(str(value.get("at", "")), value)
    return Unset()


# ---------------------------------------------------------------------------------------------
# Version 2


def encode(conv: Conversation) -> dict[str, Any]:
    """The stored form of ``conv`` (see the module docstring); empty values are left out."""
    out: dict[str, Any] = {"v": VERSION}
    if not isinstance(conv.screen, Unset):
        out["screen"] = stored_screen(conv.screen)
    for name, value in (
        ("gates", conv.gates),
        ("closed", conv.closed),
        ("back", conv.back),
        ("forward", conv.forward),
        ("asked", conv.asked),
        ("buttons", conv.buttons),
        ("options", conv.options),
        ("flag_lists", conv.flag_lists),
        ("flag_buttons", conv.flag_buttons),
        ("explainable", conv.explainable),
        ("shown_flags", conv.shown_flags),
        ("revisiting", conv.revisiting),
        ("payload", conv.payload),
    ):
        if value:
            out[name] = value
    if conv.seen is not None:
        out["seen"] = conv.seen
    return out


def decode(state: Mapping[str, Any]) -> Conversation:
    """The conversation stored as ``state`` (version 1 or 2; nothing stored: not started).
    Its lists are the record's own (see :class:`.core.Conversation`), not copies."""
    get = state.get
    if get("v", 1) == 1:
        return _from_v1(state)
    return Conversation(
        _read_screen(get("screen")),
        get("gates") or {},
        get("closed") or [],
        get("back") or [],
        get("forward") or [],
        get("asked", 0),
        get("buttons") or [],
        get("options") or [],
        get("flag_lists", 0),
        get("flag_buttons") or [],
        get("explainable") or [],
        get("shown_flags") or [],
        get("revisiting"),
        get("payload", ""),
        get("seen"),
    )


def invite_payload(conversation: ConversationRecord | None) -> str:
    """The /start payload (an invite code) a candidate's conversation keeps until the dossier
    is opened; "" when there is none. For the flows that file a dossier in its chi bộ."""
    if conversation is None:
        return ""
    return str(conversation.state.get("payload", "") or "")


# ---------------------------------------------------------------------------------------------
# Version 1


def _v1_address(cur: Mapping[str, Any]) -> str:
    """The address of a version 1 cursor ("" when it names nothing known)."""
    k, i = cur.get("k"), cur.get("i")
    edit = " revisit" if cur.get("edit") else ""
    by_kind: dict[Any, Callable[[], str]] = {
        "consent": lambda: "consent",
        "idle": lambda: "idle",
        "erased": lambda: "erased",
        "done": lambda: "done",
        "xpl": lambda: "explain",
        "gate": lambda: f"gate {i}",
        "f": lambda: f"field {i} {cur['f']}",
        "col": lambda: f"column {i} {cur['r']} {cur['f']}{edit}",
        "rel": lambda: f"relative {i} {cur['c']} {_v1_row(cur.get('r'))} {cur['f']}{edit}",
        "rows": lambda: f"rows {i}",
        "rels": lambda: f"loop {i} {cur['c']}",
        "relmenu": lambda: f"relatives {i}",
        "confirm": lambda: f"confirm {cur['what']} {'' if i is None else i}".rstrip(),
    }
    make = by_kind.get(k)
    try:
        return make() if make is not None else ""
    except KeyError:
        return ""


def _v1_row(r: Any) -> str:
    return "new" if r is None else str(r)


def _v1_screen(cur: Any) -> Screen:
    if not isinstance(cur, dict):
        return Unset()
    extras: dict[str, Any] = {"start": cur.get("tu"), "suggestion": cur.get("sug")}
    if cur.get("k") == "xpl":
        extras["flag"] = cur.get("key", "")
    at = cur.get("at")
    if cur.get("k") == "confirm" and isinstance(at, dict):
        extras["answer"] = _v1_address(at)
        extras["values"] = cur.get("values")
    return screen_at(_v1_address(cur), extras)


def _v1_addresses(cursors: Any) -> list[str]:
    found = [_v1_address(c) for c in cursors or () if isinstance(c, dict)]
    return [a for a in found if a]


def _v1_buttons(pairs: Any) -> list[list[str]]:
    """Version 1 kept the question counter on each action ("c:skip~12"); it is implied."""
    return [[str(label), str(action).partition("~")[0]] for label, action in pairs or ()]


def _from_v1(state: Mapping[str, Any]) -> Conversation:
    return Conversation(
        _v1_screen(state.get("cur")),
        gates=dict(state.get("gates", {})),
        closed=list(state.get("closed", [])),
        back=_v1_addresses(state.get("hist")),
        forward=_v1_addresses(state.get("fwd")),
        asked=int(state.get("q", 0)),
        buttons=_v1_buttons(state.get("btn")),
        options=list(state.get("opts", [])),
        flag_lists=int(state.get("fq", 0)),
        flag_buttons=[[str(a), str(b)] for a, b in state.get("fbtn") or ()],
        explainable=list(state.get("fk", [])),
        shown_flags=list(state.get("seen", [])),
        revisiting=state.get("review"),
        payload=str(state.get("payload", "")),
    )
