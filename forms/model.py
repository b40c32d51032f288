"""The form as data: sections → items → fields, tables and relatives.

The conversation engine, the checks, the document and the JSON schema all walk these
objects; none of them names an item. The concrete Mẫu 2-KNĐ lives in
``forms/data/mau_2knd_hd38.toml`` and is loaded by :mod:`forms.definition`.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Kind(StrEnum):
    """How an answer is parsed and stored (every stored value is canonical text)."""

    TEXT = "text"  # one line of free text
    LONG_TEXT = "long_text"  # a paragraph (narrative items)
    NAME = "name"  # a full name written in capitals (item 1, relatives)
    OTHER_NAMES = "other_names"  # item 2: normal case, may be empty
    DATE = "date"  # dd/mm/yyyy
    MONTH = "month"  # mm/yyyy
    PERIOD = "period"  # "mm/yyyy - mm/yyyy|nay", stored as row keys tu / den
    YEAR = "year"  # yyyy
    GENDER = "gender"  # nam | nữ
    ETHNICITY = "ethnicity"  # one of the 54 groups
    RELIGION = "religion"  # "không" or a religion
    NATIONALITY = "nationality"  # a country's name ("VN" → "Việt Nam"), never a place in it
    ADDRESS_ORIGIN = "address_origin"  # birth place / hometown: new name (old name)
    ADDRESS_RESIDENCE = "address_residence"  # residence: thôn/tổ + xã/phường + tỉnh
    EDUCATION = "education"  # "12/12 phổ thông"
    POLITICAL_THEORY = "political_theory"  # không / sơ cấp / trung cấp / cao cấp / cử nhân
    CHOICE = "choice"  # one of ``choices``
    YES_NO = "yes_no"  # "có" | "không"
    PLEDGE = "pledge"  # the fixed pledge sentence (item 23)


class Condition(BaseModel):
    """Ask a field only when another field of the same block has a value."""

    model_config = ConfigDict(frozen=True)

    field: str
    equals: str | tuple[str, ...]

    @property
    def wanted(self) -> tuple[str, ...]:
        """The answers that open the question ("" = left blank)."""
        return (self.equals,) if isinstance(self.equals, str) else self.equals

    def holds(self, values: dict[str, str]) -> bool:
        # Asked for every field of every row on each progress count: no tuple built here.
        value, equals = values.get(self.field, ""), self.equals
        return value == equals if isinstance(equals, str) else value in equals


class FieldDef(BaseModel):
    """One answer: a scalar of an item, a table column or a relative's fact."""

    model_config = ConfigDict(frozen=True)

    id: str
    label: str
    kind: Kind = Kind.TEXT
    prompt: str = ""
    help: str = ""
    example: str = ""
    required: bool = True
    choices: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()  # likely answers offered as buttons
    when: Condition | None = None
    # Relatives only: the relative groups (A grandparents, B parents/spouse, C siblings/children)
    groups: tuple[Literal["A", "B", "C"], ...] = ("A", "B", "C")
    # "không rõ" is an answer here (forms.parsers.UNKNOWN): the guidance lets a candidate who
    # does not know a relative's date, place or cause of death say so and tell the chi bộ.
    unknown_allowed: bool = False
    # The answer is a statement about conduct (political standard, compliance with the law,
    # item (16)): a bare "có"/"không" is not an answer (forms.parsers.parse_statement).
    statement: bool = False
    # Dates only: written about now (the signing date): a day and month typed without the
    # year are the nearest such date, and a date more than this many days from today is
    # offered today's instead (kept if the candidate says so).
    near_today: int = 0
    # Periods only: the shortest stay the item records (18: "từ 3 tháng trở lên"): one month
    # typed alone is the stay's start, its end asked — never stored as a one-month stay.
    min_months: int = 0
    # Dates and months only: "hôm nay" / "tháng này" may be the answer (the signing date);
    # false where today never is (a birth date): forms.classify reads it as no answer.
    may_be_today: bool = True
    # What answers here name ("tiếng Anh", "IELTS" for Ngoại ngữ): at a field that has them, an
    # answer naming another field's and none of its own was typed one question off
    # (forms.classify.other_subject).
    subjects: tuple[str, ...] = ()
    # Yes/no only: this question's own words for "no" ("còn", "còn sống" to «Đã mất?») —
    # "còn" elsewhere may be a yes ("còn ai nữa không?" → "còn").
    no_words: tuple[str, ...] = ()
    # The field a date typed after this answer belongs to: «Nơi viết lý lịch» typed as the
    # booklet's signing line, "Hà Nội, ngày 7 tháng 12 năm 2026" (the date is «Ngày ký»).
    date_after: str = ""
    # A relative's address: "ở cùng tôi", "cùng quê với con" name the candidate's own item of
    # this number, offered as a copy like "như trên" (handlers.candidate.shortcuts)
    same_as_mine: int | None = None
    # The answer is a country's name (a trip's «Nước nào»): typed without diacritics, the name
    # as written is offered (forms.diacritics.country_spelling), as a nationality's is
    country: bool = False

    def statement_examples(self) -> tuple[str, ...]:
        """Statements to show when a bare yes/no was typed: the suggestions, else the example."""
        return self.suggestions or ((self.example,) if self.example else ())

    def applies(self, values: dict[str, str]) -> bool:
        """Whether this field is asked, given the other answers of its block."""
        return self.when is None or self.when.holds(values)

    def storage_keys(self) -> tuple[str, ...]:
        """Keys this field occupies in a row (a period fills two columns)."""
        return ("tu", "den") if self.kind is Kind.PERIOD else (self.id,)


class TableDef(BaseModel):
    """A booklet table: rows entered one by one, columns printed in this order."""

    model_config = ConfigDict(frozen=True)

    id: str
    columns: tuple[FieldDef, ...]
    headers: tuple[str, ...]  # printed column headers (a period column prints as one)
    min_rows: int = 0
    row_label: str = "dòng"
    # Rows follow one another in time (a timeline): the chat proposes each period's start
    # month from the previous period's end, and from the previous continuous table's end.
    continuous: bool = False
    # Printed column widths in cm, as the booklet draws them (one per printed column).
    widths_cm: tuple[float, ...] = ()

    def column(self, column_id: str) -> FieldDef:
        for col in self.columns:
            if col.id == column_id or column_id in col.storage_keys():
                return col
        raise KeyError(column_id)


class Relation(BaseModel):
    """A kind of relative (ông nội, vợ, con đẻ...) and the group deciding its facts."""

    model_config = ConfigDict(frozen=True)

    code: str
    label: str
    group: Literal["A", "B", "C"]
    side: Literal["self", "spouse", "own"]  # own = the candidate's own spouse/children
    multiple: bool = False  # siblings and children can be several
    needs_spouse: bool = False  # only asked when the candidate is married
    # Asked only when this gate answer of the relatives item holds (married? children?).
    when: Condition | None = None

    def applies(self, answers: dict[str, str]) -> bool:
        """Whether this relation is asked, given the gate answers of the relatives item."""
        return self.when is None or self.when.holds(answers)


class RelativesDef(BaseModel):
    model_config = ConfigDict(frozen=True)

    relations: tuple[Relation, ...]
    fields: tuple[FieldDef, ...]

    def relation(self, code: str) -> Relation:
        found = self.relations_by_code.get(code)
        if found is None:
            raise KeyError(code)
        return found

    @cached_property
    def relations_by_code(self) -> dict[str, Relation]:
        """Each relation by its code (the first, were one repeated): every question of (21)
        looks its relation up, a few times."""
        found: dict[str, Relation] = {}
        for rel in self.relations:
            found.setdefault(rel.code, rel)
        return found

    def fields_for(self, group: str) -> tuple[FieldDef, ...]:
        return self.fields_by_group.get(group, ())

    @cached_property
    def fields_by_group(self) -> dict[str, tuple[FieldDef, ...]]:
        """Each group's facts (the model is frozen: built once, read on every question)."""
        groups = {g for f in self.fields for g in f.groups}
        return {g: tuple(f for f in self.fields if g in f.groups) for g in groups}

    def gated_by(self, gate: str) -> tuple[Relation, ...]:
        """The relations asked or not according to the gate answer ``gate`` (married?)."""
        return tuple(r for r in self.relations if r.when is not None and r.when.field == gate)

    def facts_opened_by(self, fact: str, answer: str = "có") -> tuple[FieldDef, ...]:
        """A relative's facts asked only when ``fact`` is ``answer``: deceased → the year,
        cause and place of death; party member → the admission date, cell and file."""
        return tuple(
            f
            for f in self.fields
            if f.when is not None and f.when.field == fact and f.when.holds({fact: answer})
        )


class PrintLine(BaseModel):
    """One printed line of an item that joins fields ("Ngày và nơi …: 19/05/2005, Chi bộ …")."""

    model_config = ConfigDict(frozen=True)

    label: str = ""  # "" = written on the item's own heading line
    fields: tuple[str, ...]


class Beside(BaseModel):
    """A line the booklet prints beside an item's answer on the same line ("Số căn cước"
    beside (3), "Quốc tịch" beside (8)); ``value`` when it is the same for every candidate."""

    model_config = ConfigDict(frozen=True)

    label: str
    value: str = ""


class ItemDef(BaseModel):
    """A numbered item of the booklet: (1)…(26)."""

    model_config = ConfigDict(frozen=True)

    number: int
    label: str
    help: str = ""
    fields: tuple[FieldDef, ...] = ()  # with relatives: the gate questions (married? children?)
    table: TableDef | None = None
    relatives: RelativesDef | None = None
    reviewer_only: bool = False  # (24)–(26): never asked of the candidate
    # Other names people give the item ("/sua nơi ở" for «Nơi cư trú»), beside its label and
    # its questions' (handlers/candidate/structure.py ``item_named``).
    aliases: tuple[str, ...] = ()
    optional: bool = False  # the whole item may be skipped ("nếu có")
    ask: str = ""  # yes/no gate question for optional items ("Anh/chị có ... không?")
    # How the booklet prints the item when it is not one line per field (items 12, 13).
    lines: tuple[PrintLine, ...] = ()
    beside: Beside | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> ItemDef:
        if self.table and (self.fields or self.relatives):
            raise ValueError(f"item {self.number} mixes a table with other answers")
        return self

    @property
    def numbered(self) -> bool:
        """True for the booklet's items (1)–(26); dossier extras carry numbers above 90."""
        return self.number <= 26

    @property
    def ref(self) -> str:
        return f"({self.number})" if self.numbered else ""


class SectionDef(BaseModel):
    """A part of the conversation (several items), used for progress and review."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    items: tuple[ItemDef, ...]


class BookletPart(BaseModel):
    """Items that start together on one page of the printed booklet and the room they have.

    ``lines`` (text items) and ``rows`` (tables), one number per item, count the ruled lines
    or table rows the booklet gives the item over all of the part's ``pages``."""

    model_config = ConfigDict(frozen=True)

    page: int  # the booklet page the part starts on
    pages: int = 1
    items: tuple[int, ...]
    lines: tuple[int, ...] = ()
    rows: tuple[int, ...] = ()
    title: str = ""  # a page title printed above the items ("SƠ LƯỢC LÝ LỊCH")
    compact: bool = False  # a printed form page: every item on it fits that one page

    @property
    def last_page(self) -> int:
        return self.page + self.pages - 1

    def room(self, number: int) -> tuple[int, int] | None:
        """(ruled lines, table rows) the booklet gives item ``number``; None if not measured."""
        i = self.items.index(number)
        lines = self.lines[i] if i < len(self.lines) else 0
        rows = self.rows[i] if i < len(self.rows) else 0
        return (lines, rows) if lines or rows else None


class Booklet(BaseModel):
    """The page map of the printed booklet: where each item starts and how much room it has.
    Drafts and finals follow it (forms.document)."""

    model_config = ConfigDict(frozen=True)

    chars_per_line: int = 70  # handwritten characters on one ruled line (an estimate)
    row_lines: int = 2  # handwritten lines one table row holds
    parts: tuple[BookletPart, ...]

    @model_validator(mode="after")
    def _in_order(self) -> Booklet:
        pages = [p.page for p in self.parts]
        if pages != sorted(pages) or any(
            a.last_page >= b.page for a, b in zip(self.parts, self.parts[1:], strict=False)
        ):
            raise ValueError("booklet parts overlap or are out of page order")
        return self

    def part_of(self, number: int) -> BookletPart:
        for part in self.parts:
            if number in part.items:
                return part
        raise KeyError(number)


class FormDef(BaseModel):
    model_config = ConfigDict(frozen=True)

    form_version: str
    code: str
    title: str
    pledge: str
    sections: tuple[SectionDef, ...]
    extra: SectionDef | None = Field(
        default=None, description="dossier facts outside the 26 items (certificate, introducers)"
    )
    booklet: Booklet | None = None

    def all_sections(self) -> tuple[SectionDef, ...]:
        return (*self.sections, self.extra) if self.extra else self.sections

    def items(self) -> tuple[ItemDef, ...]:
        return self.all_items

    # The model is frozen, so the lookups the engine makes on every update (an item by
    # number, a field or a table by id) are indexed once instead of walking the form.
    @cached_property
    def all_items(self) -> tuple[ItemDef, ...]:
        return tuple(item for s in self.all_sections() for item in s.items)

    @cached_property
    def items_by_number(self) -> dict[int, ItemDef]:
        by_number: dict[int, ItemDef] = {}
        for it in self.all_items:
            by_number.setdefault(it.number, it)
        return by_number

    @cached_property
    def fields_by_id(self) -> dict[str, tuple[ItemDef, FieldDef]]:
        """Scalar fields by id (with their item), the first one wins as in the form's order."""
        by_id: dict[str, tuple[ItemDef, FieldDef]] = {}
        for it, f in self.scalar_fields():
            by_id.setdefault(f.id, (it, f))
        return by_id

    @cached_property
    def tables_by_id(self) -> dict[str, tuple[ItemDef, TableDef]]:
        by_id: dict[str, tuple[ItemDef, TableDef]] = {}
        for it, t in self.tables():
            by_id.setdefault(t.id, (it, t))
        return by_id

    def item(self, number: int) -> ItemDef:
        return self.items_by_number[number]

    def scalar_fields(self) -> tuple[tuple[ItemDef, FieldDef], ...]:
        return tuple((it, f) for it in self.items() for f in it.fields)

    def field(self, field_id: str) -> FieldDef:
        return self.fields_by_id[field_id][1]

    def item_of_field(self, field_id: str) -> ItemDef:
        found = self.fields_by_id.get(field_id) or self.tables_by_id.get(field_id)
        if found is None:
            raise KeyError(field_id)
        return found[0]

    def tables(self) -> tuple[tuple[ItemDef, TableDef], ...]:
        return tuple((it, it.table) for it in self.items() if it.table)

    def table(self, table_id: str) -> TableDef:
        return self.tables_by_id[table_id][1]

    def relatives_item(self) -> ItemDef:
        """The item holding the relatives block; its fields are the gate questions."""
        for it in self.items():
            if it.relatives:
                return it
        raise KeyError("relatives")

    def relatives(self) -> RelativesDef:
        for it in self.items():
            if it.relatives:
                return it.relatives
        raise KeyError("relatives")
