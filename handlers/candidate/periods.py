"""A period question's proposed months: where the previous row (or the previous timeline)
ended, offered as "Từ 07/2024" buttons, and whether a period may end "nay" (the last
timeline only). Split from :mod:`.questions`, which renders them."""

from __future__ import annotations

from forms import parsers
from forms.model import ItemDef
from handlers.candidate.actions import START_MONTH, Month
from handlers.candidate.core import Turn
from handlers.candidate.texts import t
from handlers.events import Button


def start_button(month: str, seq: int) -> Button:
    """ "Từ 07/2024": a proposed start month."""
    return Button(t("period.from", month=month), START_MONTH.encode(Month(month), seq=seq))


def may_end_now(turn: Turn, item: ItemDef) -> bool:
    """Whether a period of ``item`` may end "nay": not in a timeline that another
    continuous table carries on (it ends where the next one begins)."""
    if item.table is None or not item.table.continuous:
        return True
    return item is turn.structure.timelines[-1]


def proposed_starts(turn: Turn, item: ItemDef, r: int) -> list[str]:
    """Start months to offer for a period of row ``r``: after the previous row's end, or
    after the end of the previous continuous table for a first row."""
    table = item.table
    if table is None or not table.continuous:
        return []
    rows = turn.d.rows(table.id)
    previous: str | None = None
    same_table = r > 0 and r - 1 < len(rows)
    if same_table:
        previous = rows[r - 1].get("den")
    else:
        before = turn.structure.timelines
        idx = before.index(item) if item in before else 0
        if idx > 0:
            prev_rows = turn.d.rows(before[idx - 1].table.id)  # type: ignore[union-attr]
            previous = prev_rows[-1].get("den") if prev_rows else None
    if not previous or previous == "nay":
        return []
    try:
        month = parsers.parse_month(previous)
    except parsers.ParseError:
        return []
    following = parsers.format_month(month.next())
    return [following] if same_table else [parsers.format_month(month), following]
