"""What a reviewer catches in the text itself, whatever path brought it in (chat, a JSON
file, an old dossier): a stored non-answer (F18), booklet text without diacritics (F19) and
emoji (F20). Not in the domain list; added for issue 12 ("honest answers only").

Every stored value is read with the field it answers, so the rules follow the form data:
``statement`` fields refuse a bare "có"/"không", ``unknown_allowed`` fields accept "không rõ".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from forms import vn
from forms.checks import values as v
from forms.checks.addresses import address_problems
from forms.checks.core import ERROR, WARNING, Ctx, Flag, msg, rule
from forms.checks.family import named
from forms.classify import Reading, Verdict, classify
from forms.definition import load_form
from forms.diacritics import lacks_diacritics, suggest_diacritics
from forms.memo import remembered
from forms.model import FieldDef, Kind

_ALL_ITEMS = tuple(it.number for it in load_form().items() if not it.reviewer_only)
#: Kinds written in the booklet as typed (the parsers canonicalise the others).
_TYPED = frozenset({Kind.TEXT, Kind.LONG_TEXT, Kind.ADDRESS_ORIGIN, Kind.ADDRESS_RESIDENCE})


class Stored(NamedTuple):
    """One stored value with the field it answers and where it sits. A plain tuple: a run
    over a whole dossier (a part's end, the end screen, /xem) makes one for each of its
    ~190 values, and the frozen dataclass with a closure naming the place that each used to
    be was more than half of F18's time (issue 17); the place is named only for a flag
    (:func:`_where`)."""

    item: int
    field: FieldDef
    value: str
    table: str | None = None  # a table's id, "relatives", or None for a scalar answer
    row: int | None = None

    @property
    def key(self) -> str:
        """The flag's key: the field's id, or ``table:row:field``."""
        if self.table is None:
            return self.field.id
        return f"{self.table}:{self.row}:{self.field.id}"


def stored_values(ctx: Ctx) -> list[Stored]:
    """Every non-blank answer, table cell and relative fact of the dossier, with its field
    (collected once per run, shared by the rules of this module)."""
    cache = ctx.__dict__
    if "_stored" not in cache:
        cache["_stored"] = list(_collect(ctx))
    stored: list[Stored] = cache["_stored"]
    return stored


def _collect(ctx: Ctx) -> Iterator[Stored]:
    form = ctx.form
    for item in form.items():
        if item.reviewer_only or not ctx.wants_item(item.number):
            continue
        for f in item.fields:
            value = ctx.a(f.id)
            if value and ctx.wants(item.number, f.id):
                yield Stored(item.number, f, value)
        table = item.table
        if table is not None and ctx.wants(item.number, table.id):
            for i, row in enumerate(ctx.rows(table.id)):
                for col in table.columns:
                    value = str(row.get(col.id, "") or "").strip()
                    if value and col.kind is not Kind.PERIOD:
                        yield Stored(item.number, col, value, table.id, i)
    if not ctx.wants(21, "relatives"):
        return
    facts = form.relatives().fields
    for i, rel in enumerate(ctx.relatives):
        for f in facts:
            value = str(rel.get(f.id, "") or "").strip()
            if value:
                yield Stored(21, f, value, "relatives", i)


def _where(ctx: Ctx, stored: Stored) -> str:
    """How a flag names the place of ``stored`` ("Mục (21), Ông nội …, năm mất")."""
    label = stored.field.label
    if stored.table == "relatives":
        assert stored.row is not None
        return msg("F18", "relative", who=named(ctx.form, ctx.relatives[stored.row]), label=label)
    item = ctx.form.item(stored.item)
    ref = f"Mục {item.ref}" if item.ref else msg("F18", "dossier")
    if stored.table is not None:
        assert stored.row is not None
        return msg("F18", "row", ref=ref, row=stored.row + 1, label=label)
    return f"{ref} {label}".strip()


_FIELDS: dict[tuple[str, str], FieldDef] = {}


def _reading(value: str, f: FieldDef) -> Reading:
    _FIELDS.setdefault((f.id, f.kind.value), f)
    return _read(value, f.id, f.kind.value)


@remembered(maxsize=8192)
def _read(value: str, field_id: str, kind: str) -> Reading:
    """classify() cached by text and field (hashing a whole FieldDef costs more)."""
    return classify(value, _FIELDS[(field_id, kind)])


@remembered(maxsize=8192)
def _pictographs(value: str) -> str:
    return "".join(dict.fromkeys(ch for ch in value if vn.is_pictograph(ch)))


def _why(stored: Stored, reading: Reading) -> str | None:
    """Why a stored value is not an answer ("" / None when it is one)."""
    f = stored.field
    if reading.is_answer:
        return None
    if reading.verdict is Verdict.I_DONT_KNOW:
        if f.unknown_allowed:
            return None if v.is_unknown(stored.value) else msg("F18", "unknown_spelling")
        return msg("F18", "dont_know")
    if reading.reason == "bare_statement":
        return msg("F18", "bare_statement", example=(f.statement_examples() or ("",))[0])
    key = {Verdict.QUESTION: "question", Verdict.REFUSAL: "refusal"}.get(reading.verdict)
    return msg("F18", key or "chatter")


@rule("F18", ERROR, needs=(), reads=_ALL_ITEMS, fields=())
def f18_non_answers(ctx: Ctx) -> Iterator[Flag]:
    """No stored value is a question ("ghi gì ạ"), an "I don't know" ("ko biet") where the
    guidance does not allow "không rõ", a refusal, chatter ("ok", "k", "co") or a bare
    yes/no where a statement is asked ("chấp hành …: không")."""
    for stored in stored_values(ctx):
        if stored.field.kind is Kind.PLEDGE:
            continue  # F15 checks the pledge verbatim
        why = _why(stored, _reading(stored.value, stored.field))
        if why:
            yield ctx.flag(
                "F18",
                stored.item,
                stored.key,
                msg("F18", "flag", where=_where(ctx, stored), value=stored.value, why=why),
                field=stored.field.id,
                table=stored.table,
                row=stored.row,
            )


@rule("F19", WARNING, needs=(), reads=_ALL_ITEMS, fields=())
def f19_no_diacritics(ctx: Ctx) -> Iterator[Flag]:
    """Text copied into the booklet as typed (free text, addresses) is written with its
    diacritics; a suggestion is offered where every word is known."""
    for stored in stored_values(ctx):
        if stored.field.kind not in _TYPED or not lacks_diacritics(stored.value):
            continue
        yield ctx.flag(
            "F19",
            stored.item,
            stored.key,
            msg(
                "F19",
                "flag",
                where=_where(ctx, stored),
                value=stored.value,
                suggestion=_suggestion(stored.value),
            ),
            field=stored.field.id,
            table=stored.table,
            row=stored.row,
        )


@remembered(maxsize=2048)
def _suggestion(value: str) -> str:
    return suggest_diacritics(value) or ""


@rule("F20", ERROR, needs=(), reads=_ALL_ITEMS, fields=())
def f20_emoji(ctx: Ctx) -> Iterator[Flag]:
    """No emoji or pictograph in an answer: the booklet is written by hand."""
    for stored in stored_values(ctx):
        found = _pictographs(stored.value)
        if found:
            yield ctx.flag(
                "F20",
                stored.item,
                stored.key,
                msg("F20", "flag", where=_where(ctx, stored), found=found),
                field=stored.field.id,
                table=stored.table,
                row=stored.row,
            )


_ADDRESS_KINDS = {Kind.ADDRESS_ORIGIN: "origin", Kind.ADDRESS_RESIDENCE: "residence"}


@rule("F21", WARNING, needs=(), reads=(5, 6, 7, 21), fields=())
def f21_unverified_places(ctx: Ctx) -> Iterator[Flag]:
    """A commune or district the gazetteer does not know stays a flag until a human has
    looked: a typo ("huyen van giag") or a name older than the data set. The message says
    plainly that it was not found and names the closest real places; nothing is invented."""
    for stored in stored_values(ctx):
        kind = _ADDRESS_KINDS.get(stored.field.kind)
        if kind is None or v.is_khong(stored.value) or v.is_unknown(stored.value):
            continue
        for problem in address_problems(stored.value, kind):
            if problem.key != "place_not_found":
                continue
            yield ctx.flag(
                "F21",
                stored.item,
                stored.key,
                msg(
                    "F21",
                    "flag",
                    where=_where(ctx, stored),
                    value=stored.value,
                    names=list(problem.names),
                    closest=list(problem.closest),
                ),
                field=stored.field.id,
                table=stored.table,
                row=stored.row,
            )
