"""Two answers of an item typed in one message, as the booklet's dotted line reads them: the
signing line's place and date ("Hà Nội, ngày 7 tháng 12 năm 2026" at «Nơi viết lý lịch»:
``FieldDef.date_after``), a date and the place after it where the item prints them on one
line ("26/3/2012, Chi đoàn lớp 10A1" at «Ngày vào Đoàn»: the item's ``lines``), a school level
and the next answer after a comma ("12/12, đại học ngành kế toán"). The first
answer is stored, the second passed to the question it moves to (Turn.typed_ahead)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from forms import parsers
from forms.framing import unframe
from forms.model import FieldDef, ItemDef, Kind

#: Kinds whose answer is short and of a known shape: typed with the next question's answer
#: after a comma ("12/12, đại học ngành kế toán" at «Giáo dục phổ thông»), the part before the
#: comma is this answer when the whole is none
_SHAPED: dict[Kind, Callable[[str], object]] = {
    Kind.EDUCATION: parsers.parse_general_education,
    Kind.POLITICAL_THEORY: parsers.parse_political_theory,
}


class Ahead(NamedTuple):
    """This question's answer, the next one's, and the field that takes it."""

    first: str
    rest: str
    then: str


def split_ahead(item: ItemDef, fdef: FieldDef, text: str) -> Ahead | None:
    """The two answers ``text`` holds at ``fdef``'s question, or None (most answers)."""
    if fdef.date_after:
        split = parsers.split_place_date(text)
        return Ahead(*split, fdef.date_after) if split is not None else None
    if fdef.kind in _SHAPED:
        return _shaped_head(item, fdef, text)
    then = _after_date(item, fdef)
    if then is None or not any(ch.isdigit() for ch in text):
        return None
    split = parsers.split_date_place(unframe(text, fdef.kind.value, fdef.label, fdef.id))
    return Ahead(*split, then) if split is not None else None


def begins_item(item: ItemDef, text: str) -> bool:
    """Whether ``text``, typed at ``item``'s gate, is its first answer (a date, alone or with
    the rest of its line): the gate's yes, and the text that question's answer."""
    first = item.fields[0] if item.fields else None
    if first is None or first.kind is not Kind.DATE or not any(ch.isdigit() for ch in text):
        return False
    if split_ahead(item, first, text) is not None:
        return True
    try:
        parsers.parse_date(unframe(text, first.kind.value, first.label, first.id))
    except parsers.ParseError:
        return False
    return True


def _after_date(item: ItemDef, fdef: FieldDef) -> str | None:
    """The field printed after the date ``fdef`` on one of the item's lines, or None."""
    if fdef.kind is not Kind.DATE:
        return None
    for line in item.lines:
        fields = list(line.fields)
        if fdef.id in fields[:-1]:
            return fields[fields.index(fdef.id) + 1]
    return None


def _shaped_head(item: ItemDef, fdef: FieldDef, text: str) -> Ahead | None:
    """This answer before a comma and the next field's after it, when only the part before
    the comma reads as this field's kind."""
    head, comma, rest = text.partition(",")
    ids = [f.id for f in item.fields]
    at = ids.index(fdef.id) if fdef.id in ids else len(ids)
    if not comma or not rest.strip() or at + 1 >= len(ids):
        return None
    if not _reads(fdef, head) or _reads(fdef, text):
        return None
    return Ahead(head.strip(), rest.strip(), ids[at + 1])


def _reads(fdef: FieldDef, text: str) -> bool:
    try:
        _SHAPED[fdef.kind](unframe(text, fdef.kind.value, fdef.label, fdef.id))
    except parsers.ParseError:
        return False
    return True
