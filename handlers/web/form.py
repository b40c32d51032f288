"""The 2-KNĐ as a web form, part by part: the same form data (:mod:`forms.model`), parsers
(:func:`handlers.candidate.answers.parse_answer`) and checks as the chat, and every save a
list of :class:`storage.core.Change` applied as revisions exactly like a chat answer.

Field names carry no content, only where a value goes: ``f.<field>`` an answer,
``t.<table>.<row>.<column>`` a table's cell (``.xoa``: delete the row), ``r.<i>.<field>``
a relative's fact (``r.new.quan_he`` and ``r.new.<name field>`` add one), ``x.<flag key>`` the
explanation of a warning. A table and the relatives are repeatable groups: every row, and one
blank row to add another (after a save, a new blank one). What does not parse is not stored:
it is shown again as typed, with the parser's Vietnamese message, and loses nothing else.
A blank optional question is stored as answered-blank (the chat's "bỏ qua"); a blank
required one keeps its answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from forms.checks import Flag
from forms.model import FieldDef, FormDef, ItemDef, Kind, SectionDef
from handlers.candidate.answers import AnswerError, parse_answer
from handlers.candidate.relatives import relative_position
from handlers.candidate.structure import Structure, structure_for
from handlers.candidate.texts import display, short
from storage.core import Change, DossierRecord

Row = dict[str, str]
DELETE = "xoa"
NEW = "new"


@dataclass(frozen=True, slots=True)
class Input:
    """One question on the page."""

    name: str
    label: str
    value: str
    help: str = ""
    example: str = ""
    error: str = ""
    choices: tuple[str, ...] = ()
    long: bool = False
    required: bool = True
    flags: tuple[str, ...] = ()  # the flags on this very value (F19's diacritics, F21's places)


@dataclass(frozen=True, slots=True)
class Group:
    """A row of a table or a relative: its questions, and the name of its delete box."""

    title: str
    inputs: list[Input]
    delete: str = ""


@dataclass(slots=True)
class ItemView:
    number: int
    ref: str
    label: str
    help: str
    inputs: list[Input]
    groups: list[Group] = field(default_factory=list)
    repeatable: bool = False


@dataclass(slots=True)
class Reading:
    """A posted part read: the changes to store, the messages of what was not stored (by
    input name) and the text typed there."""

    changes: list[Change] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    typed: dict[str, str] = field(default_factory=dict)
    #: what the changes erase because its condition no longer holds ("Năm mất: 2015"): the
    #: save waits for the candidate to confirm it, as the chat asks «Xóa?» (issue 12)
    lost: list[str] = field(default_factory=list)
    #: set when nothing was stored because ``lost`` waits for a confirmation given at this
    #: revision of the dossier
    held_at: int | None = None


def input_name(flag: Flag) -> str | None:
    """The input a flag sits on (None: on an item, not one value)."""
    if flag.field is None:
        return None
    if flag.table is None:
        return f"f.{flag.field}"
    if flag.row is None:
        return None
    if flag.table == "relatives":
        return f"r.{flag.row}.{flag.field}"
    return f"t.{flag.table}.{flag.row}.{flag.field}"


def flags_by_input(flags: list[Flag]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for flag in flags:
        name = input_name(flag)
        if name is not None:
            out[name] = (*out.get(name, ()), flag.message)
    return out


def _input(
    f: FieldDef,
    name: str,
    value: str,
    reading: Reading | None,
    flags: Mapping[str, tuple[str, ...]] | None = None,
) -> Input:
    typed = reading.typed.get(name) if reading else None
    return Input(
        name=name,
        label=f.label,
        value=typed if typed is not None else value,
        help=f.help,
        example=f.example,
        error=reading.errors.get(name, "") if reading else "",
        choices=f.choices if f.kind is Kind.CHOICE else (),
        long=f.kind is Kind.LONG_TEXT or f.statement,
        required=f.required,
        flags=(flags or {}).get(name, ()) if typed is None else (),
    )


class WebForm:
    """The form's parts for the web: what a part shows, and what a posted part changes."""

    def __init__(self, form: FormDef, structure: Structure | None = None) -> None:
        self.form = form
        self.structure = structure or structure_for(form)
        self.sections: list[SectionDef] = [
            s for s in form.all_sections() if any(not it.reviewer_only for it in s.items)
        ]

    def items(self, part: int) -> list[ItemDef]:
        return [it for it in self.sections[part].items if not it.reviewer_only]

    def part_of(self, number: int) -> int | None:
        for i in range(len(self.sections)):
            if any(it.number == number for it in self.items(i)):
                return i
        return None

    # -- showing ----------------------------------------------------------------------------
    def view(
        self,
        record: DossierRecord,
        part: int,
        reading: Reading | None,
        flags: list[Flag] | None = None,
    ) -> list[ItemView]:
        """The questions of part ``part`` with the dossier's answers (or what was typed), and
        beside each value the flags on it."""
        d = record.dossier
        on = flags_by_input(flags or [])
        out = []
        for item in self.items(part):
            inputs = [
                _input(f, f"f.{f.id}", display(f, d.answers), reading, on)
                for f in self.structure.fields_of(item, d)
            ]
            view = ItemView(item.number, item.ref if item.numbered else "", item.label, item.help,
                            inputs)  # fmt: skip
            if item.table is not None:
                view.groups.extend(self._table_groups(item, d.rows(item.table.id), reading, on))
                view.repeatable = True
            elif item.relatives is not None:
                view.groups.extend(self._relative_groups(item, list(d.relatives), reading, on))
                view.repeatable = True
            out.append(view)
        return out

    def _table_groups(
        self,
        item: ItemDef,
        rows: list[Row],
        reading: Reading | None,
        on: Mapping[str, tuple[str, ...]],
    ) -> list[Group]:
        assert item.table is not None
        table = item.table
        groups = []
        for i, row in enumerate([*rows, {}]):
            base = f"t.{table.id}.{i}"
            inputs = [
                _input(c, f"{base}.{c.id}", display(c, row), reading, on)
                for c in (self.structure.row_fields(item, row) if row else table.columns)
            ]
            title = f"{table.row_label.capitalize()} {i + 1}" if row else "Thêm dòng mới"
            groups.append(Group(title, inputs, f"{base}.{DELETE}" if row else ""))
        return groups

    def _relative_groups(
        self,
        item: ItemDef,
        relatives: list[Row],
        reading: Reading | None,
        on: Mapping[str, tuple[str, ...]],
    ) -> list[Group]:
        assert item.relatives is not None
        groups = []
        for i, row in enumerate(relatives):
            code = row.get("quan_he", "")
            fields = self.structure.row_fields(item, row, code)
            inputs = [_input(f, f"r.{i}.{f.id}", display(f, row), reading, on) for f in fields]
            title = self.structure.relation(item, code).label
            groups.append(Group(title, inputs, f"r.{i}.{DELETE}"))
        choices = tuple(r.label for r in item.relatives.relations)
        name_field = self._name_field(item)
        name = f"r.{NEW}.quan_he"
        relation = Input(
            name,
            "Quan hệ",
            reading.typed.get(name, "") if reading else "",
            error=reading.errors.get(name, "") if reading else "",
            choices=("", *choices),
            required=False,
        )
        new = [relation, _input(name_field, f"r.{NEW}.{name_field.id}", "", reading)]
        groups.append(Group("Thêm người thân", new))
        return groups

    def _name_field(self, item: ItemDef) -> FieldDef:
        assert item.relatives is not None
        return next(f for f in item.relatives.fields if f.kind is Kind.NAME)

    def flags(self, found: list[Flag], part: int) -> list[Flag]:
        """The flags of this part's items among ``found`` (the checks of the whole dossier)."""
        numbers = {it.number for it in self.items(part)}
        return [f for f in found if f.item in numbers]

    # -- reading ----------------------------------------------------------------------------
    def read(
        self, record: DossierRecord, part: int, posted: Mapping[str, str], today: dt.date
    ) -> Reading:
        """The changes a posted part makes to ``record`` (see the module docstring)."""
        reading = Reading()
        answers = dict(record.dossier.answers)
        for item in self.items(part):
            for f in item.fields:
                if f.applies(answers):
                    self._read_field(f, f"f.{f.id}", answers, posted, today, reading)
            self._drop_inapplicable(item, dict(record.dossier.answers), answers, reading)
            if item.table is not None:
                self._read_table(item, record.dossier.rows(item.table.id), posted, today, reading)
            elif item.relatives is not None:
                relatives = list(record.dossier.relatives)
                doomed = self._doomed(item, relatives, answers, reading)
                self._read_relatives(item, relatives, posted, today, reading, doomed)
        for key in record.dossier.explanations.keys() | _flag_keys(posted):
            text = " ".join(str(posted.get(f"x.{key}", "")).split())[:1000]
            if f"x.{key}" in posted and text and text != record.dossier.explanations.get(key):
                reading.changes.append(Change(f"explanations.{key}", text))
        return reading

    def _drop_inapplicable(
        self, item: ItemDef, before: dict[str, str], answers: dict[str, str], reading: Reading
    ) -> None:
        """The item's answers whose condition the posted ones end (chưa kết hôn → the
        spouse's siblings' question) are erased, as in the chat, and listed as lost."""
        for f in item.fields:
            if f.id in answers and not f.applies(answers):
                answers.pop(f.id)
                reading.changes.append(Change(f"answers.{f.id}", None))
                old = display(f, before)
                if old:
                    reading.lost.append(f"{item.ref} {f.label}: {short(old, 80)}")

    def _doomed(
        self, item: ItemDef, relatives: list[Row], answers: Mapping[str, str], reading: Reading
    ) -> set[int]:
        """The relatives whose relation the posted answers end (the spouse's side once
        «chưa kết hôn»): deleted, as in the chat, and listed as lost."""
        assert item.relatives is not None
        applies = {r.code for r in item.relatives.relations if r.applies(dict(answers))}
        name = self._name_field(item).id
        doomed = {i for i, r in enumerate(relatives) if r.get("quan_he") not in applies}
        for i in sorted(doomed):
            title = self.structure.relation(item, relatives[i].get("quan_he", "")).label
            reading.lost.append(f"{title}: {relatives[i].get(name, '') or '…'}")
        return doomed

    def _lost_facts(
        self, item: ItemDef, title: str, row: Row, new: Row, code: str | None, reading: Reading
    ) -> None:
        """The facts of ``row`` that its cleaned ``new`` no longer has (đã mất: không → the
        year, cause and place of death)."""
        for f in self.structure.columns(item, code):
            old = display(f, row)
            if old and not display(f, new):
                reading.lost.append(f"{title}: {f.label}: {short(old, 80)}")

    def _parse(
        self, f: FieldDef, name: str, text: str, today: dt.date, reading: Reading
    ) -> dict[str, str] | None:
        try:
            return parse_answer(f, text, form=self.form, today=today).values
        except AnswerError as exc:
            reading.errors[name] = exc.message
            reading.typed[name] = text
            return None

    def _read_field(
        self,
        f: FieldDef,
        name: str,
        answers: dict[str, str],
        posted: Mapping[str, str],
        today: dt.date,
        reading: Reading,
    ) -> None:
        if name not in posted:
            return
        text = str(posted[name]).strip()
        if not text:
            if not f.required and f.id not in answers:
                answers[f.id] = ""
                reading.changes.append(Change(f"answers.{f.id}", ""))
            return
        if text == display(f, answers):
            return
        values = self._parse(f, name, text, today, reading)
        for key, value in (values or {}).items():
            answers[key] = value
            reading.changes.append(Change(f"answers.{key}", value))

    def _read_row(
        self,
        fields: list[FieldDef],
        base: str,
        row: Row,
        posted: Mapping[str, str],
        today: dt.date,
        reading: Reading,
    ) -> Row | None:
        """The row after its posted cells (None: a cell did not parse)."""
        new = dict(row)
        ok = True
        for f in fields:
            name = f"{base}.{f.id}"
            text = str(posted.get(name, "")).strip()
            if name not in posted:
                continue
            if not text:
                if not f.required and not any(k in new for k in f.storage_keys()):
                    new[f.id] = ""
                continue
            if text == display(f, row):
                continue
            values = self._parse(f, name, text, today, reading)
            if values is None:
                ok = False
            else:
                new.update(values)
        return new if ok else None

    def _read_table(
        self,
        item: ItemDef,
        rows: list[Row],
        posted: Mapping[str, str],
        today: dt.date,
        reading: Reading,
    ) -> None:
        assert item.table is not None
        table, deleted = item.table, []
        for i, row in enumerate([*rows, {}]):
            base = f"t.{table.id}.{i}"
            if row and posted.get(f"{base}.{DELETE}"):
                deleted.append(i)
                continue
            fields = list(table.columns) if not row else self.structure.row_fields(item, row)
            if not row and not any(str(posted.get(f"{base}.{c.id}", "")).strip() for c in fields):
                continue  # the blank row left blank
            new = self._read_row(fields, base, row, posted, today, reading)
            if new is not None and new != row:
                new = self.structure.clean_row(item, new)
                title = f"{item.ref} {table.row_label} {i + 1}"
                self._lost_facts(item, title, row, new, None, reading)
                reading.changes.append(Change(f"tables.{table.id}.{i}", new))
        reading.changes += [
            Change(f"tables.{table.id}.{i}", op="delete") for i in sorted(deleted, reverse=True)
        ]

    def _read_relatives(
        self,
        item: ItemDef,
        relatives: list[Row],
        posted: Mapping[str, str],
        today: dt.date,
        reading: Reading,
        doomed: set[int],
    ) -> None:
        deleted = []
        for i, row in enumerate(relatives):
            if posted.get(f"r.{i}.{DELETE}") or i in doomed:
                deleted.append(i)
                continue
            code = row.get("quan_he", "")
            fields = self.structure.row_fields(item, row, code)
            new = self._read_row(fields, f"r.{i}", row, posted, today, reading)
            if new is not None:
                # a fact that opens others (đã mất: có) brings their questions on the next view
                new = self.structure.clean_row(item, new, code)
                if new != row:
                    name = row.get(self._name_field(item).id, "")
                    title = f"{self.structure.relation(item, code).label} {name}".strip()
                    self._lost_facts(item, title, row, new, code, reading)
                    reading.changes.append(Change(f"relatives.{i}", new))
        added = self._new_relative(item, relatives, posted, today, reading)
        reading.changes += [Change(f"relatives.{i}", op="delete") for i in sorted(deleted)[::-1]]
        if added is not None:
            kept = [r for i, r in enumerate(relatives) if i not in deleted]
            position = relative_position(self.structure, item, kept, added["quan_he"])
            reading.changes.append(Change(f"relatives.{position}", added, op="insert"))

    def _new_relative(
        self,
        item: ItemDef,
        relatives: list[Row],
        posted: Mapping[str, str],
        today: dt.date,
        reading: Reading,
    ) -> Row | None:
        assert item.relatives is not None
        label = str(posted.get(f"r.{NEW}.quan_he", "")).strip()
        name_field = self._name_field(item)
        name_key = f"r.{NEW}.{name_field.id}"
        typed_name = str(posted.get(name_key, "")).strip()
        if not label and not typed_name:
            return None
        relation = next((r for r in item.relatives.relations if r.label == label), None)
        if relation is None:
            reading.errors[f"r.{NEW}.quan_he"] = "Xin chọn quan hệ với anh/chị."
            reading.typed[name_key] = typed_name
            return None
        reading.typed[f"r.{NEW}.quan_he"] = label
        values = self._parse(name_field, name_key, typed_name, today, reading)
        if values is None:
            return None
        return {"quan_he": relation.code, **values}


def _flag_keys(posted: Mapping[str, str]) -> set[str]:
    return {name[2:] for name in posted if name.startswith("x.")}


def flag_anchor(flag: Flag) -> str:
    """Where on the part a flag points: its item."""
    return f"muc-{flag.item}"


def explanation_inputs(flags: list[Flag], posted: Mapping[str, Any] | None) -> dict[str, str]:
    """The explanation boxes under this part's warnings (errors are fixed, not explained)."""
    return {
        f.key: str((posted or {}).get(f"x.{f.key}", f.explanation or ""))
        for f in flags
        if not f.is_error
    }
