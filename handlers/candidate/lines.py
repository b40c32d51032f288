"""A row's line typed whole, read column by column (:func:`forms.framing.columns`) as the
form's conditions allow. Which columns a line may name: the row's unanswered ones, and those a
still-open yes/no would open («Năm mất» once «Đã mất» is «có»); and the answer such a fact
gives its condition: "ông đã mất năm 2010 do bệnh tại nhà" is «Đã mất: có» with the year,
the cause and the place; "ở xã Hải Hậu", a home, is «Đã mất: không». A yes is read only from
its own words (the yes/no's column: «đã mất»), a no from the facts it opens, and only when the
line reads more columns so than without. Pure: RowQuestion.read_line stores what this reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from forms.dossier import Row
from forms.framing import columns, may_name_columns
from forms.model import FieldDef, FormDef, ItemDef, Kind
from forms.vn import match_key
from handlers.candidate.answers import AnswerError, Parsed, parse_answer
from handlers.candidate.structure import NO, YES, Structure, answered

RELATIVES_LINE = "relatives"  # a relative's line in framing.toml's [lines]
#: a row's dates are read before its line (loops.split_line), never from its words
_DATES = (Kind.PERIOD, Kind.MONTH)


@dataclass(frozen=True, slots=True)
class LineRead:
    """What a line named: the columns as typed, and the open yes/no answers they give."""

    typed: dict[str, str]
    given: dict[str, str] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.typed) + len(self.given)


@dataclass(frozen=True, slots=True)
class LineValues:
    """A line's columns parsed: the values to store, each column's label and text to show
    back, and the first column whose better writing is to be offered (stored as typed)."""

    values: dict[str, str]
    shown: list[tuple[str, str]]
    offer: tuple[str, Parsed] | None = None


def read_row_line(
    structure: Structure,
    item: ItemDef,
    row: Row,
    code: str | None,
    text: str,
    *,
    alone: bool = False,
) -> LineRead | None:
    """The columns of ``row`` that ``text`` names, or None (see the module docstring);
    ``alone``: a line no cue names is the rest column's (its date is asked again)."""
    key = item.table.id if item.table is not None else RELATIVES_LINE
    every = structure.columns(item, code)
    if not alone and not may_name_columns(text, key, tuple(f.id for f in every)):
        return None  # most answers: no first word of any column's cue, name or value
    fields = structure.row_fields(item, row, code)
    best = LineRead(_read(text, key, fields, row, alone=alone))
    by_id = {f.id: f for f in every}
    for opener, value in _open_conditions(every, by_id, row):
        fields = structure.row_fields(item, {**row, opener: value}, code)
        typed = _read(text, key, fields, row)
        opened = {f.id for f in fields if f.when is not None and f.when.field == opener}
        if not opened.intersection(typed) or (opener in typed) != (value == YES):
            continue  # a yes only from its words; a no only from what it opens
        if len(typed) > best.count:
            best = LineRead({k: v for k, v in typed.items() if k != opener}, {opener: value})
    return best if best.count else None


def _read(
    text: str, key: str, fields: Sequence[FieldDef], row: Row, *, alone: bool = False
) -> dict[str, str]:
    asked = [f.id for f in fields if not answered(f, row) and f.kind not in _DATES]
    return columns(text, key, asked, alone=alone) or {}


def _open_conditions(
    every: Sequence[FieldDef], by_id: dict[str, FieldDef], row: Row
) -> list[tuple[str, str]]:
    """The unanswered yes/no fields of the row that open others, with each answer that does."""
    found: dict[tuple[str, str], None] = {}
    for f in every:
        when = f.when
        opener = by_id.get(when.field) if when is not None else None
        if when is None or opener is None or opener.kind is not Kind.YES_NO:
            continue
        if not answered(opener, row):
            found.update({(when.field, v): None for v in when.wanted if v in (YES, NO)})
    return list(found)


def parse_line(
    line: LineRead, fields: Sequence[FieldDef], form: FormDef, today: date, *, offer: bool
) -> LineValues | None:
    """The columns of ``line`` parsed as their questions would parse them, or None when one
    is no valid answer (the line is then read as it always was). A column with a better
    writing to offer (a place's new name) is stored as typed and offered, the first one
    (``offer``); every column is stored as typed."""
    values, shown = dict(line.given), []
    offered: tuple[str, Parsed] | None = None
    for f in fields:
        if f.id in line.given:
            shown.append((f.label, line.given[f.id]))
        if f.id not in line.typed:
            continue
        typed = YES if f.kind is Kind.YES_NO else line.typed[f.id]  # its words are its yes
        typed = next((c for c in f.suggestions if match_key(c) == match_key(typed)), typed)
        try:
            parsed = parse_answer(f, typed, form=form, today=today)
        except AnswerError:
            return None
        if parsed.suggestion and offer and offered is None:
            offered = (f.id, parsed)
        # every other column is kept as typed, its writing left to the part's checks (F19):
        # «thanh doan» after «bang khen» was dropped and asked again, «lop tin hoc van
        # phong» too where a row's words came without its date
        values.update(parsed.values)
        shown.append((f.label, parsed.text))
    return LineValues(values, shown, offered)
