"""The candidate's part of the form over one dossier: which items, fields, rows and relatives
apply. Pure lookups on :mod:`forms.model`; what is asked next is :mod:`.navigation`'s.

Two small things the conversation remembers besides the dossier (:class:`Memory`):

* ``gates`` — the answer to an optional item's gate question ("Anh/chị đã đi nước ngoài…?"),
  by item number; an item that has data counts as "có";
* ``closed`` — the loops the candidate finished with "Xong" (``t:<table id>`` for a table,
  ``r:<relation code>`` for siblings/children), so a table with rows is not reopened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forms.dossier import Dossier, Row
from forms.memo import SnapshotMemo
from forms.model import FieldDef, FormDef, ItemDef, Relation, SectionDef
from forms.vn import has_diacritics, match_key, one_spelling, tone_key

YES, NO = "có", "không"
#: Gate answers remembered by :meth:`Structure.relations_of` (the chat's are "có",
#: "không" or blank: a few dozen combinations; imported dossiers may hold any text).
_RELATIONS_KEPT = 256


@dataclass(frozen=True, slots=True)
class Memory:
    """What the conversation remembers besides the dossier (see the module docstring)."""

    gates: dict[str, str]
    closed: frozenset[str]


def answered(field_def: FieldDef, values: dict[str, str]) -> bool:
    """A required field needs a non-empty value; an optional one only needs to be answered
    (skipping stores "")."""
    return _filled(values, field_def.storage_keys(), field_def.required)


def _filled(values: Mapping[str, Any], keys: tuple[str, ...], required: bool) -> bool:
    """:func:`answered` for a field filling ``keys`` (the progress counts and the walk test
    every field of a part with it, from :data:`RowCheck` values built once)."""
    if required:
        # Loops, not all(…): called for every field of every progress count, a generator each
        # time cost more than the test itself.
        for k in keys:  # noqa: SIM110
            if not str(values.get(k, "")).strip():
                return False
        return True
    for k in keys:  # noqa: SIM110
        if k not in values:
            return False
    return True


#: One field of a row as :meth:`Structure.first_missing` tests it, looked up once per form:
#: the field, the keys it fills, whether a blank is missing, and the answer that opens it
#: (``when``: the field it reads and the values that open it; None: always asked).
RowCheck = tuple[FieldDef, tuple[str, ...], bool, str | None, tuple[str, ...]]
#: What :meth:`Structure.clean_row` keeps of a row, looked up once per form: the keys always
#: kept (a relative's ``quan_he`` and the fields asked whatever the row holds), and for each
#: field asked only on an answer (``when``) the field it reads, the values that open it and
#: its keys.
RowKeys = tuple[frozenset[str], tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]]


def _row_check(f: FieldDef) -> RowCheck:
    when = f.when
    return (
        f,
        f.storage_keys(),
        f.required,
        when.field if when is not None else None,
        when.wanted if when is not None else (),
    )


def table_key(table_id: str) -> str:
    """The ``closed`` key of a table's loop."""
    return f"t:{table_id}"


def relation_key(code: str) -> str:
    """The ``closed`` key of a relation's loop (siblings, children…)."""
    return f"r:{code}"


class Structure:
    """The candidate items of ``form`` (reviewer-only items excluded) and what applies."""

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
        #: :meth:`first_missing`'s field tests per (item, relation): the walk and the
        #: progress header test every row of a table or of the relatives at every question.
        self._row_checks: dict[tuple[int, str | None], tuple[RowCheck, ...]] = {}
        self._row_keys: dict[tuple[int, str | None], RowKeys] = {}
        self._fields: dict[tuple[int, str], FieldDef] = {}
        self._item_names: dict[int, tuple[tuple[tuple[str, ...], ...], ...]] = {}
        self._item_fact_names: dict[int, tuple[tuple[tuple[str, ...], ...], ...]] = {}
        self._field_checks: dict[int, tuple[RowCheck, ...]] = {}
        #: :meth:`first_missing` per row object: a stored row is never changed in place (an
        #: answer replaces it, the other rows are shared with the next dossier snapshot), so
        #: each question's header tests only the row that changed, not all ~12 relatives.
        #: 8 192 rows: the relatives of some 600 people at once, ≤ ≈ 5 MB with rows
        #: replaced since (their dicts; the strings are shared with the current rows).
        self._missing: SnapshotMemo[FieldDef | None] = SnapshotMemo(size=8192)
        #: :meth:`relations_of` by (item, gate answers); the gates' fields per item.
        self._relations: dict[tuple[int, tuple[str, ...]], tuple[Relation, ...]] = {}
        self._relation_gates: dict[int, tuple[str, ...]] = {}
        #: the relatives' item and its fact that copies a candidate's own item, by the item's
        #: number («Nơi ở hiện nay» copies (7): ``FieldDef.same_as_mine``): "ở nhà bố mẹ"
        #: typed there names the parents' fact
        self.copied_by_relatives: dict[int, tuple[ItemDef, str]] = {}
        for it in self.items:
            for f in it.relatives.fields if it.relatives is not None else ():
                if f.same_as_mine is not None:
                    self.copied_by_relatives.setdefault(f.same_as_mine, (it, f.id))
        timelines = [it for it in self.items if it.table and it.table.continuous]
        #: The tables whose periods continue one another (14, 15), in order.
        self.timelines: list[ItemDef] = timelines

    # -- lookup --------------------------------------------------------------------------------
    def item(self, number: int) -> ItemDef:
        return self.items[self._item_index[number]]

    def has_item(self, number: int | None) -> bool:
        return number in self._item_index

    def position(self, number: int) -> int:
        """The item's place in :attr:`items`."""
        return self._item_index[number]

    def section_index(self, number: int) -> int:
        return self._section_index[number]

    def section_items(self, index: int) -> list[ItemDef]:
        return [it for it in self.sections[index].items if not it.reviewer_only]

    def field(self, item: ItemDef, field_id: str) -> FieldDef:
        """The field ``field_id`` of ``item`` (a scalar, a column, a relative's fact): looked
        up once per form (every question asks for its field a few times)."""
        key = (item.number, field_id)
        found = self._fields.get(key)
        if found is None:
            found = self._fields[key] = self._find_field(item, field_id)
        return found

    def _find_field(self, item: ItemDef, field_id: str) -> FieldDef:
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

    def item_list(self) -> str:
        """The items, for "which item?" texts, a line each: the booklet's number and name, and
        by name the parts without one (their internal numbers are never shown). Numbers
        alone told nothing to someone who does not know the booklet by heart."""
        numbered = [f"{it.ref} {it.label}" for it in self.items if it.ref]
        named = [f"«{it.label}»: /sua {_short_name(it)}" for it in self.items if not it.ref]
        return "\n".join([*numbered, *named])

    def item_named(self, text: str) -> ItemDef | None:
        """The item ``text`` names: the one whose name starts with it ("/sua nguoi gioi
        thieu"), else the one with the shortest name — its own, another it is known by ("nơi
        ở"), a question's ("ngày sinh", "họ tên"), a relation's ("bố") — holding every word
        typed; typed with diacritics, they tell names apart that differ only there ("Đoàn",
        "cam đoan")."""
        key = _key(text)
        if len(key) >= 3:
            found = [it for it in self.items if _key(it.label).startswith(key)]
            if len(found) == 1:
                return found[0]
        words = frozenset(key.split()) - _NAME_FILLER
        toned = frozenset(tone_key(text).split()) - _NAME_FILLER_TONED
        for facts in (False, True):  # a column's or a relative's fact ("quốc tịch") last
            shortest = self._shortest_holding(words, folded=True, facts=facts)
            if len(shortest) > 1 and has_diacritics(text):
                shortest = (
                    self._shortest_holding(toned, folded=False, facts=facts) & shortest or shortest
                )
            if shortest:
                return self.item(shortest.pop()) if len(shortest) == 1 else None
        return None

    def item_at_start(self, text: str) -> ItemDef | None:
        """The item whose whole name ``text`` begins with ("ngày sinh ghi sai", "bố: ghi rõ
        năm mất"): a reviewer's comment naming its item in words. Only a whole name, the
        longest, of one item: "ghi rõ …" is no item (it is part of «ghi rõ họ tên»)."""
        folded, toned = tuple(_key(text).split()), tuple(tone_key(text).split())
        for n in range(min(len(folded), _LONGEST_NAME), 0, -1):
            found = self._named(folded[:n], folded=True)
            if len(found) > 1 and has_diacritics(text):
                found = self._named(toned[:n], folded=False) & found or found
            if found:
                return self.item(found.pop()) if len(found) == 1 else None
        return None

    def _named(self, words: tuple[str, ...], *, folded: bool) -> set[int]:
        """The numbers of the items one of whose whole names is ``words``."""
        return {it.number for it in self.items if words in self._names(it)[0 if folded else 1]}

    def _shortest_holding(
        self, words: frozenset[str], *, folded: bool, facts: bool = False
    ) -> set[int]:
        """The numbers of the items whose shortest name holding all ``words`` is shortest
        (``facts``: among the names of their columns and relatives' facts instead)."""
        if not words:
            return set()
        names = self._fact_names if facts else self._names
        holding = sorted(
            (len(name), it.number)
            for it in self.items
            for name in names(it)[0 if folded else 1]
            if words <= set(name)
        )
        return {number for size, number in holding if size == holding[0][0]}

    def _names(self, item: ItemDef) -> tuple[tuple[tuple[str, ...], ...], ...]:
        """An item's names, as words folded and as words toned: its label, its aliases, its
        questions', its relations' (cached)."""
        found = self._item_names.get(item.number)
        if found is None:
            labels = [item.label, *item.aliases, *(f.label for f in item.fields)]
            if item.relatives is not None:
                labels += [r.label for r in item.relatives.relations]
                labels += list(RELATION_WORDS)
            found = self._item_names[item.number] = (
                tuple(tuple(_key(label).split()) for label in labels),
                tuple(tuple(tone_key(label).split()) for label in labels),
            )
        return found

    def _fact_names(self, item: ItemDef) -> tuple[tuple[tuple[str, ...], ...], ...]:
        """The names of an item's columns and relatives' facts («Nước nào», «Quốc tịch»),
        folded and toned: read only where no item's own name holds the words typed (a
        relative's «Nghề nghiệp» is no name of item (10)'s)."""
        found = self._item_fact_names.get(item.number)
        if found is None:
            labels = [f.label for f in item.table.columns] if item.table is not None else []
            if item.relatives is not None:
                labels += [f.label for f in item.relatives.fields]
            found = self._item_fact_names[item.number] = (
                tuple(tuple(_key(label).split()) for label in labels),
                tuple(tuple(tone_key(label).split()) for label in labels),
            )
        return found

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

    def relations_of(self, item: ItemDef, d: Dossier) -> tuple[Relation, ...]:
        """The relations asked, given the gate answers of the relatives item (married?
        children?): looked up by those few answers, not tested relation by relation at every
        question of (21) (the header, the walk and the question's checks each ask)."""
        assert item.relatives is not None
        answers = d.answers
        key = (item.number, tuple(answers.get(gate, "") for gate in self._gates(item)))
        found = self._relations.get(key)
        if found is None:
            if len(self._relations) >= _RELATIONS_KEPT:  # answers not from the chat's buttons
                self._relations.clear()
            found = tuple(r for r in item.relatives.relations if r.applies(answers))
            self._relations[key] = found
        return found

    def _gates(self, item: ItemDef) -> tuple[str, ...]:
        """The answers that decide which relations of ``item`` are asked (``Relation.when``)."""
        found = self._relation_gates.get(item.number)
        if found is None:
            assert item.relatives is not None
            fields = [r.when.field for r in item.relatives.relations if r.when is not None]
            found = self._relation_gates[item.number] = tuple(dict.fromkeys(fields))
        return found

    def relation(self, item: ItemDef, code: str) -> Relation:
        assert item.relatives is not None
        return item.relatives.relation(code)

    def columns(self, item: ItemDef, code: str | None = None) -> tuple[FieldDef, ...]:
        """Every field of a row: a table's columns, or a relative's group fields."""
        if item.table is not None:
            return item.table.columns
        assert item.relatives is not None and code is not None
        return item.relatives.fields_for(self.relation(item, code).group)

    def row_fields(self, item: ItemDef, row: Row, code: str | None = None) -> list[FieldDef]:
        """The fields asked for one row; ``when`` conditions read the row itself (tested
        over :meth:`row_checks`, built once, as :meth:`first_missing` does)."""
        return [
            f
            for f, _, _, opener, opening in self.row_checks(item, code)
            if opener is None or row.get(opener, "") in opening
        ]

    def row_complete(self, item: ItemDef, row: Row, code: str | None = None) -> bool:
        return self.first_missing(item, row, code) is None

    def relatives_of(self, d: Dossier, code: str) -> list[int]:
        """Indices in ``d.relatives`` of the relatives with relation ``code``."""
        return [i for i, r in enumerate(d.relatives) if r.get("quan_he") == code]

    def relatives_by_code(self, d: Dossier) -> dict[str, list[int]]:
        """:meth:`relatives_of` for every relation at once (one pass over the relatives)."""
        found: dict[str, list[int]] = {}
        for i, r in enumerate(d.relatives):
            found.setdefault(r.get("quan_he", ""), []).append(i)
        return found

    def first_missing(self, item: ItemDef, row: Row, code: str | None = None) -> FieldDef | None:
        """The row's first field asked (:meth:`row_fields`) and not answered, or None
        (remembered per row object: see ``_missing``)."""
        return self._missing.get(
            row, (item.number, code), lambda: self._first_missing(item, row, code)
        )

    def _first_missing(self, item: ItemDef, row: Row, code: str | None) -> FieldDef | None:
        """:meth:`first_missing` computed over :meth:`row_checks`."""
        for f, keys, required, opener, opening in self.row_checks(item, code):
            if opener is not None and row.get(opener, "") not in opening:
                continue  # not asked
            if not _filled(row, keys, required):
                return f
        return None

    def field_checks(self, item: ItemDef) -> tuple[RowCheck, ...]:
        """The :data:`RowCheck` of each of the item's scalar fields, built once per item."""
        found = self._field_checks.get(item.number)
        if found is None:
            found = self._field_checks[item.number] = tuple(_row_check(f) for f in item.fields)
        return found

    def first_unanswered(self, item: ItemDef, d: Dossier) -> FieldDef | None:
        """The item's first scalar field asked (:meth:`fields_of`) and not answered."""
        answers = d.answers
        for f, keys, required, opener, opening in self.field_checks(item):
            if opener is not None and answers.get(opener, "") not in opening:
                continue  # not asked
            if not _filled(answers, keys, required):
                return f
        return None

    def answered_count(self, item: ItemDef, d: Dossier) -> tuple[int, int]:
        """(answered, asked) of the item's scalar fields, for progress counts."""
        answers = d.answers
        done = total = 0
        for _, keys, required, opener, opening in self.field_checks(item):
            if opener is not None and answers.get(opener, "") not in opening:
                continue  # not asked
            total += 1
            done += _filled(answers, keys, required)
        return done, total

    def row_checks(self, item: ItemDef, code: str | None = None) -> tuple[RowCheck, ...]:
        """The :data:`RowCheck` of each of :meth:`columns`, built once per (item, relation)."""
        key = (item.number, code)
        found = self._row_checks.get(key)
        if found is None:
            found = self._row_checks[key] = tuple(_row_check(f) for f in self.columns(item, code))
        return found

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

    def clean_row(self, item: ItemDef, row: Row, code: str | None = None) -> Row:
        """The row without the values whose ``when`` no longer holds (deceased → alive…)."""
        always, conditional = self.row_keys(item, code)
        kept = set(always)
        for opener, opening, keys in conditional:
            if row.get(opener, "") in opening:
                kept.update(keys)
        return {k: v for k, v in row.items() if k in kept}

    def row_keys(self, item: ItemDef, code: str | None = None) -> RowKeys:
        """The :data:`RowKeys` of a row of ``item`` (``code``: a relative's), built once."""
        key = (item.number, code)
        found = self._row_keys.get(key)
        if found is None:
            checks = self.row_checks(item, code)
            always = frozenset(
                {
                    "quan_he",
                    *(k for _, keys, _, opener, _ in checks if opener is None for k in keys),
                }
            )
            conditional = tuple(
                (opener, opening, keys)
                for _, keys, _, opener, opening in checks
                if opener is not None
            )
            found = self._row_keys[key] = (always, conditional)
        return found


def _short_name(item: ItemDef) -> str:
    """The first words of an item's name, enough to find it ("người giới thiệu")."""
    return " ".join(item.label.split()[:3]).lower()


#: What people call a relation besides its label, at the relatives' menu and after /sua
#: (folded words; the labels themselves are read too): "bố" for «Cha đẻ». "ba" is left
#: out: it is «bà» unaccented.
RELATION_WORDS: Mapping[str, str] = {
    "bo": "cha", "cha": "cha", "bo de": "cha", "me": "me", "ma": "me", "me de": "me",
    "vo": "vo_chong", "chong": "vo_chong",
    "anh": "anh_chi_em", "chi": "anh_chi_em", "em": "anh_chi_em", "anh trai": "anh_chi_em",
    "chi gai": "anh_chi_em", "em trai": "anh_chi_em", "em gai": "anh_chi_em",
    "anh chi em": "anh_chi_em", "anh chi em ruot": "anh_chi_em",
    "con": "con", "con trai": "con", "con gai": "con",
    "bo vo": "cha_vc", "bo chong": "cha_vc", "cha vo": "cha_vc", "cha chong": "cha_vc",
    "me vo": "me_vc", "me chong": "me_vc",
}  # fmt: skip

#: Words that name no item ("/sua mục ngày sinh của em").
_NAME_FILLER = frozenset({"muc", "phan", "cua", "em", "toi", "va", "lai", "cau"})
#: The most words a name of an item has that a comment may begin with (item_at_start).
_LONGEST_NAME = 8
_NAME_FILLER_TONED = frozenset({"mục", "phần", "của", "em", "tôi", "và", "lại", "câu"})


_STRUCTURES: dict[int, Structure] = {}


def structure_for(form: FormDef) -> Structure:
    """The (cached) structure of ``form``; forms are loaded once per process."""
    found = _STRUCTURES.get(id(form))
    if found is None or found.form is not form:
        found = _STRUCTURES[id(form)] = Structure(form)
    return found


def _key(text: str) -> str:
    """An item's name, or a text naming one, as matched: "kỉ luật" names «Kỷ luật»."""
    return one_spelling(match_key(text))
