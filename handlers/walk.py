"""Walking the candidate's part of the form over a dossier, generically.

The conversation never names an item: what to ask next, whether an item is complete and the
progress of each part are computed here from :mod:`forms.model` (optional items with a gate
question, fields with ``when`` conditions, tables, relatives with their gate answers) and from
two small things the flow remembers that the dossier cannot hold:

* ``gates`` — the answer to an optional item's gate question ("Anh/chị đã đi nước ngoài…?"),
  by item number; an item that has data counts as "có";
* ``closed`` — the loops the candidate finished with "Xong" (``t:<table id>`` for a table,
  ``r:<relation code>`` for siblings/children), so a table with rows is not reopened.

A *cursor* is a small JSON-able dict naming one question:

``{"k": "gate", "i": 12}`` · ``{"k": "f", "i": 1, "f": "ho_ten"}`` ·
``{"k": "col", "i": 15, "r": 2, "f": "viec"}`` (``r`` = row; ``len(rows)`` = a new row) ·
``{"k": "rows", "i": 15}`` (the table's loop menu) ·
``{"k": "rel", "i": 21, "c": "cha", "r": 4, "f": "ho_ten"}`` (``r`` None = a new relative) ·
``{"k": "rels", "i": 21, "c": "con"}`` (loop menu of a relation with several people) ·
``{"k": "relmenu", "i": 21}`` (all relatives, when revisiting the item) · ``{"k": "done"}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from forms.dossier import Dossier, Row
from forms.model import FieldDef, FormDef, ItemDef, Relation, SectionDef, TableDef

Cursor = dict[str, Any]
YES, NO = "có", "không"


@dataclass(frozen=True, slots=True)
class Memory:
    """What the flow remembers besides the dossier (see module docstring)."""

    gates: dict[str, str]
    closed: frozenset[str]


def answered(field_def: FieldDef, values: dict[str, str]) -> bool:
    """A required field needs a non-empty value; an optional one only needs to be answered
    (skipping stores "")."""
    keys = field_def.storage_keys()
    if field_def.required:
        return all(str(values.get(k, "")).strip() for k in keys)
    return all(k in values for k in keys)


class Walk:
    """Generic traversal of the candidate items of ``form`` (reviewer-only items excluded)."""

    def __init__(self, form: FormDef) -> None:
        self.form = form
        self.sections: list[SectionDef] = [
            s for s in form.all_sections() if any(not it.reviewer_only for it in s.items)
        ]
        self.items: list[ItemDef] = [
            it for s in self.sections for it in s.items if not it.reviewer_only
        ]
        self._section_index = {it.number: i for i, s in enumerate(self.sections) for it in s.items}
        self._item_index = {it.number: i for i, it in enumerate(self.items)}

    # -- lookup --------------------------------------------------------------------------------
    def item(self, number: int) -> ItemDef:
        return self.items[self._item_index[number]]

    def has_item(self, number: int) -> bool:
        return number in self._item_index

    def section_index(self, number: int) -> int:
        return self._section_index[number]

    def section_items(self, index: int) -> list[ItemDef]:
        return [it for it in self.sections[index].items if not it.reviewer_only]

    def field(self, item: ItemDef, field_id: str) -> FieldDef:
        for f in item.fields:
            if f.id == field_id:
                return f
        if item.table:
            return item.table.column(field_id)
        if item.relatives:
            for f in item.relatives.fields:
                if f.id == field_id:
                    return f
        raise KeyError(field_id)

    def cursor_field(self, cur: Cursor) -> FieldDef | None:
        if cur.get("k") in ("f", "col", "rel"):
            return self.field(self.item(cur["i"]), cur["f"])
        return None

    # -- what applies --------------------------------------------------------------------------
    def gate(self, item: ItemDef, d: Dossier, mem: Memory) -> str | None:
        """The optional item's gate answer: "có" when it has data, else what was answered."""
        if not (item.optional and item.ask):
            return YES
        if self.has_data(item, d):
            return YES
        return mem.gates.get(str(item.number))

    def has_data(self, item: ItemDef, d: Dossier) -> bool:
        if item.table is not None:
            return bool(d.rows(item.table.id))
        if any(str(d.answers.get(f.id, "")).strip() for f in item.fields):
            return True
        return item.relatives is not None and bool(d.relatives)

    def fields_of(self, item: ItemDef, d: Dossier) -> list[FieldDef]:
        """The item's scalar fields that apply (``when`` on the other answers)."""
        return [f for f in item.fields if f.applies(d.answers)]

    def relations_of(self, item: ItemDef, d: Dossier) -> list[Relation]:
        assert item.relatives is not None
        return [r for r in item.relatives.relations if r.applies(d.answers)]

    def relation(self, item: ItemDef, code: str) -> Relation:
        assert item.relatives is not None
        return item.relatives.relation(code)

    def row_fields(self, item: ItemDef, row: Row, code: str | None = None) -> list[FieldDef]:
        """The fields asked for one row: a table's columns, or a relative's group fields;
        ``when`` conditions read the row itself."""
        if item.table is not None:
            cols: tuple[FieldDef, ...] = item.table.columns
        else:
            assert item.relatives is not None and code is not None
            cols = item.relatives.fields_for(self.relation(item, code).group)
        return [c for c in cols if c.applies(row)]

    def row_complete(self, item: ItemDef, row: Row, code: str | None = None) -> bool:
        return all(answered(f, row) for f in self.row_fields(item, row, code))

    def relatives_of(self, d: Dossier, code: str) -> list[int]:
        """Indices in ``d.relatives`` of the relatives with relation ``code``."""
        return [i for i, r in enumerate(d.relatives) if r.get("quan_he") == code]

    # -- completeness --------------------------------------------------------------------------
    def open_in_item(self, item: ItemDef, d: Dossier, mem: Memory) -> Cursor | None:
        """The first question of ``item`` still to answer, or None when it is complete."""
        n = item.number
        gate = self.gate(item, d, mem)
        if gate is None:
            return {"k": "gate", "i": n}
        if gate == NO:
            return None
        for f in self.fields_of(item, d):
            if not answered(f, d.answers):
                return {"k": "f", "i": n, "f": f.id}
        if item.table is not None:
            return self._open_table(item, item.table, d, mem)
        if item.relatives is not None:
            return self._open_relatives(item, d, mem)
        return None

    def _open_table(self, item: ItemDef, table: TableDef, d: Dossier, mem: Memory) -> Cursor | None:
        rows = d.rows(table.id)
        for r, row in enumerate(rows):
            missing = self.first_missing(item, row)
            if missing is not None:
                return {"k": "col", "i": item.number, "r": r, "f": missing.id}
        if not rows and (table.min_rows > 0 or (item.optional and item.ask)):
            return {"k": "col", "i": item.number, "r": 0, "f": table.columns[0].id}
        if f"t:{table.id}" not in mem.closed:
            return {"k": "rows", "i": item.number}
        return None

    def _open_relatives(self, item: ItemDef, d: Dossier, mem: Memory) -> Cursor | None:
        for rel in self.relations_of(item, d):
            indices = self.relatives_of(d, rel.code)
            for r in indices:
                missing = self.first_missing(item, d.relatives[r], rel.code)
                if missing is not None:
                    return {"k": "rel", "i": item.number, "c": rel.code, "r": r, "f": missing.id}
            if not indices:
                first = self.row_fields(item, {}, rel.code)[0]
                return {"k": "rel", "i": item.number, "c": rel.code, "r": None, "f": first.id}
            if rel.multiple and f"r:{rel.code}" not in mem.closed:
                return {"k": "rels", "i": item.number, "c": rel.code}
        return None

    def first_missing(self, item: ItemDef, row: Row, code: str | None = None) -> FieldDef | None:
        for f in self.row_fields(item, row, code):
            if not answered(f, row):
                return f
        return None

    def next_in_row(
        self, item: ItemDef, row: Row, after: str, code: str | None = None, *, all_: bool
    ) -> FieldDef | None:
        """The row's next field after ``after`` (``all_``: even if answered)."""
        fields = self.row_fields(item, row, code)
        ids = [f.id for f in fields]
        start = ids.index(after) + 1 if after in ids else 0
        for f in fields[start:]:
            if all_ or not answered(f, row):
                return f
        return None

    def first_open(self, d: Dossier, mem: Memory, start: int | None = None) -> Cursor:
        """The first question to answer from item ``start`` on, wrapping around; done at the end."""
        order = self.items
        if start is not None and start in self._item_index:
            i = self._item_index[start]
            order = self.items[i:] + self.items[:i]
        for item in order:
            cur = self.open_in_item(item, d, mem)
            if cur is not None:
                return cur
        return {"k": "done"}

    def item_slots(self, item: ItemDef, d: Dossier) -> list[Cursor]:
        """Every question of ``item`` in order, answered or not (revisiting an item)."""
        n = item.number
        slots: list[Cursor] = []
        if item.optional and item.ask:
            slots.append({"k": "gate", "i": n})
        slots += [{"k": "f", "i": n, "f": f.id} for f in self.fields_of(item, d)]
        if item.table is not None:
            slots.append({"k": "rows", "i": n})
        if item.relatives is not None:
            slots.append({"k": "relmenu", "i": n})
        return slots

    # -- progress --------------------------------------------------------------------------------
    def item_units(self, item: ItemDef, d: Dossier, mem: Memory) -> tuple[int, int]:
        """(answered, total) questions of ``item`` for progress displays."""
        gate = self.gate(item, d, mem)
        if gate is None:
            return 0, 1
        if gate == NO:
            return 1, 1
        fields = self.fields_of(item, d)
        done = sum(answered(f, d.answers) for f in fields)
        total = len(fields)
        if item.table is not None:
            total += 1
            done += self._open_table(item, item.table, d, mem) is None
        if item.relatives is not None:
            for rel in self.relations_of(item, d):
                total += 1
                indices = self.relatives_of(d, rel.code)
                complete = bool(indices) and all(
                    self.row_complete(item, d.relatives[r], rel.code) for r in indices
                )
                if rel.multiple:
                    complete = complete and f"r:{rel.code}" in mem.closed
                done += complete
        if item.optional and item.ask:
            total, done = total + 1, done + 1
        return done, total

    def section_progress(self, index: int, d: Dossier, mem: Memory) -> tuple[int, int]:
        done = total = 0
        for item in self.section_items(index):
            a, b = self.item_units(item, d, mem)
            done, total = done + a, total + b
        return done, total

    def item_complete(self, item: ItemDef, d: Dossier, mem: Memory) -> bool:
        return self.open_in_item(item, d, mem) is None

    def iter_sections(self) -> Iterator[tuple[int, SectionDef]]:
        yield from enumerate(self.sections)


_WALKS: dict[int, Walk] = {}


def walk_for(form: FormDef) -> Walk:
    """The (cached) walk of ``form``; forms are loaded once per process."""
    found = _WALKS.get(id(form))
    if found is None or found.form is not form:
        found = _WALKS[id(form)] = Walk(form)
    return found
