"""Item (21), the relatives, as loops: each relative's facts one by one
(:class:`RelativeQuestion`, only the relations whose gate answers make them apply, each with
its group's fields), the people of a relation that may have several (siblings, children:
:class:`RelationLoop`), and every relative at once when the item is revisited with /sua
(:class:`RelativesMenu`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from forms.dossier import Row
from forms.model import FieldDef, ItemDef
from forms.texts import render
from forms.vn import match_key
from handlers.candidate.actions import ADD, ADD_RELATIVE, DONE, RelationCode
from handlers.candidate.core import Screen, Shown, Turn, on
from handlers.candidate.loops import REVISIT, LoopMenu, RowQuestion, back_and_help
from handlers.candidate.questions import Question, passing
from handlers.candidate.structure import RELATION_WORDS, Structure, relation_key
from handlers.candidate.summaries import header, relative_summary
from handlers.candidate.texts import suited, t
from handlers.events import Button
from storage.core import Change


@dataclass(frozen=True, slots=True)
class RelativeQuestion(RowQuestion):
    """ "relative 21 cha 4 ho_ten": a fact of relative 4 (its index among all relatives), or
    of a new relative of that relation ("relative 21 con new ho_ten")."""

    relation: str
    row: int | None
    revisit: bool = field(default=False, kw_only=True)

    kind = "relative"

    @property
    def address(self) -> str:
        row = "new" if self.row is None else self.row
        tail = f" {REVISIT}" if self.revisit else ""
        return f"relative {self.item} {self.relation} {row} {self.field_id}{tail}"

    @property
    def slot(self) -> tuple[Any, ...]:
        return (self.kind, self.item, self.field_id, self.row, self.relation)

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> RelativeQuestion:
        return cls(
            item=int(parts[0]),
            relation=parts[1],
            row=None if parts[2] == "new" else int(parts[2]),
            field_id=parts[3],
            revisit=parts[4:] == [REVISIT],
            **passing(extras),
        )

    @property
    def row_index(self) -> int | None:
        return self.row

    @property
    def revisiting_row(self) -> bool:
        return self.revisit

    def code(self) -> str | None:
        return self.relation

    def stored_row(self, turn: Turn) -> Row | None:
        relatives = turn.d.relatives
        r = self.row
        return relatives[r] if r is not None and r < len(relatives) else None

    def subject(self, turn: Turn, fdef: FieldDef, values: Row) -> str:
        structure = turn.structure
        rel = structure.relation(self.item_def(turn), self.relation)
        subject = rel.label
        if rel.multiple:
            mine = structure.relatives_of(turn.d, rel.code)
            n = mine.index(self.row) + 1 if self.row in mine else len(mine) + 1
            subject = t("person_subject", label=rel.label, n=n)
        if values.get("ho_ten") and fdef.id != "ho_ten":
            subject += f" – {values['ho_ten']}"
        return subject

    def previous_row(self, turn: Turn) -> tuple[Row | None, str]:
        relatives = turn.d.relatives
        r = self.row if self.row is not None and self.row < len(relatives) else None
        before = relatives[:r] if r is not None else relatives[: self.new_position(turn)]
        if not before:
            return None, ""
        row = before[-1]
        try:
            who = turn.structure.relation(self.item_def(turn), row.get("quan_he", "")).label
        except KeyError:
            who = ""
        return row, str(row.get("xung_ho") or who)

    def new_position(self, turn: Turn) -> int:
        return relative_position(
            turn.structure, self.item_def(turn), turn.d.relatives, self.relation
        )

    def choices(self, turn: Turn, fdef: FieldDef) -> list[str]:
        relation = turn.structure.relation(self.item_def(turn), self.relation)
        return list(suited(fdef.suggestions, relation.label))

    def still_valid(self, turn: Turn) -> bool:
        structure, d = turn.structure, turn.d
        if not structure.has_item(self.item):
            return False
        item = structure.item(self.item)
        if item.relatives is None:
            return False
        if self.relation not in {r.code for r in structure.relations_of(item, d)}:
            return False
        r = self.row
        row: Row = {}
        if r is not None:
            if r >= len(d.relatives) or d.relatives[r].get("quan_he") != self.relation:
                return False
            row = d.relatives[r]
        return self.field_id in {f.id for f in structure.row_fields(item, row, self.relation)}

    def next(self, turn: Turn) -> Screen:
        nxt = self.next_field(turn)
        if nxt is not None:
            return nxt
        structure, item = turn.structure, self.item_def(turn)
        row = self.stored_row(turn)
        if row is not None:  # the block is complete: summarise it
            turn.note(t("person_done", summary=relative_summary(turn, item, row)))
        if structure.relation(item, self.relation).multiple and not self.revisit:
            return RelationLoop(self.item, self.relation)
        if self.revisit and turn.conversation.revisiting == self.item:
            return RelativesMenu(self.item)
        return turn.nav.first_open(self.item)

    async def write(self, turn: Turn, values: Mapping[str, str]) -> Question:
        structure, d = turn.structure, turn.d
        item, code, r = self.item_def(turn), self.relation, self.row
        if r is None or r >= len(d.relatives):
            r = relative_position(structure, item, d.relatives, code)
            row = structure.clean_row(item, {"quan_he": code, **values}, code)
            change = Change(f"relatives.{r}", row, op="insert")
        else:
            row = structure.clean_row(item, {**d.relatives[r], **values}, code)
            change = Change(f"relatives.{r}", row)
        await turn.apply([change])
        screen = self if r == self.row else dataclasses.replace(self, row=r)
        turn.conversation.screen = screen
        return screen


def relative_position(structure: Structure, item: ItemDef, relatives: list[Row], code: str) -> int:
    """Where a new relative goes so the list keeps the form's relation order."""
    assert item.relatives is not None
    order = {r.code: i for i, r in enumerate(item.relatives.relations)}
    mine = order[code]
    pos = 0
    for i, row in enumerate(relatives):
        if order.get(row.get("quan_he", ""), len(order)) <= mine:
            pos = i + 1
    return pos


def new_relative(turn: Turn, item: int, code: str) -> RelativeQuestion:
    """The first question about a new relative of relation ``code``."""
    turn.conversation.reopen_loop(relation_key(code))
    first = turn.structure.row_fields(turn.structure.item(item), {}, code)[0]
    return RelativeQuestion(item=item, relation=code, row=None, field_id=first.id)


class RelativesLoop(LoopMenu):
    """Changing or deleting one relative, from either relatives menu."""

    __slots__ = ()

    async def change_row(self, turn: Turn, index: int, *, delete: bool) -> None:
        relatives = turn.d.relatives
        if not 0 <= index < len(relatives):
            turn.nav.reask()
            return
        row = relatives[index]
        code = row.get("quan_he", "")
        if delete:
            await turn.apply([Change(f"relatives.{index}", None, op="delete")])
            turn.note(t("loop.deleted_person", name=row.get("ho_ten", "")))
            turn.nav.goto(self, push=False)
            return
        item = self.item
        assert item is not None
        first = turn.structure.row_fields(turn.structure.item(item), row, code)[0]
        turn.nav.goto(
            RelativeQuestion(item=item, relation=code, row=index, field_id=first.id, revisit=True)
        )


@dataclass(frozen=True, slots=True)
class RelationLoop(RelativesLoop):
    """ "loop 21 con": the people of a relation that may have several (siblings, children)."""

    item: int = field()
    relation: str

    kind = "loop"
    asks_for_more = True  # "Còn ai nữa không?"

    @property
    def address(self) -> str:
        return f"loop {self.item} {self.relation}"

    @property
    def slot(self) -> tuple[Any, ...]:
        return (self.kind, self.item, self.relation)

    @property
    def relation_code(self) -> str | None:
        return self.relation

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> RelationLoop:
        return cls(int(parts[0]), parts[1])

    def still_valid(self, turn: Turn) -> bool:
        structure = turn.structure
        if not structure.has_item(self.item):
            return False
        item = structure.item(self.item)
        if item.relatives is None:
            return False
        return self.relation in {r.code for r in structure.relations_of(item, turn.d)}

    def next(self, turn: Turn) -> Screen:
        return turn.nav.first_open(self.item)

    def render(self, turn: Turn, extra_options: Sequence[str]) -> Shown:
        structure, d = turn.structure, turn.d
        item = structure.item(self.item)
        rel = structure.relation(item, self.relation)
        indices = structure.relatives_of(d, rel.code)
        text = render(
            "chat/relatives.j2",
            header=header(turn, item),
            title=f"{item.ref} {item.label} – {rel.label}".strip(),
            rows=[relative_summary(turn, item, d.relatives[i]) for i in indices],
            kind="one",
        )
        seq = turn.conversation.asked
        buttons = [[Button(t("loop.add_person", label=rel.label.lower()), ADD.encode(seq=seq))]]
        buttons += self.pick_buttons(turn, bool(indices))
        buttons.append(self.done_button(turn, t("loop.done")))
        buttons.append(back_and_help(seq, explain=False))
        return Shown(text, buttons)

    @on(ADD)
    async def add(self, turn: Turn, payload: None) -> None:
        turn.nav.goto(new_relative(turn, self.item, self.relation))

    @on(DONE)
    async def done(self, turn: Turn, payload: None) -> None:
        turn.conversation.close_loop(relation_key(self.relation))
        turn.nav.advance(self)


@dataclass(frozen=True, slots=True)
class RelativesMenu(RelativesLoop):
    """ "relatives 21": every relative, when the item is revisited ("(21) Hoàn cảnh gia
    đình"), with a "Thêm" for each relation that may have one more."""

    item: int = field()

    kind = "relatives"
    adds_one_kind = False

    @property
    def address(self) -> str:
        return f"relatives {self.item}"

    @property
    def slot(self) -> tuple[Any, ...]:
        return (self.kind, self.item)

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> RelativesMenu:
        return cls(int(parts[0]))

    def still_valid(self, turn: Turn) -> bool:
        structure = turn.structure
        return structure.has_item(self.item) and structure.item(self.item).relatives is not None

    def next(self, turn: Turn) -> Screen:
        return turn.nav.next_in_item(self)

    def render(self, turn: Turn, extra_options: Sequence[str]) -> Shown:
        structure, d = turn.structure, turn.d
        item = structure.item(self.item)
        lines = [relative_summary(turn, item, row) for row in d.relatives]
        text = render(
            "chat/relatives.j2",
            header=header(turn, item),
            title=f"{item.ref} {item.label}".strip(),
            rows=lines,
            kind="all",
        )
        seq = turn.conversation.asked
        buttons = self.pick_buttons(turn, bool(lines))
        for rel in structure.relations_of(item, d):
            if rel.multiple or not structure.relatives_of(d, rel.code):
                add = ADD_RELATIVE.encode(RelationCode(rel.code), seq=seq)
                buttons.append([Button(t("loop.add_person", label=rel.label.lower()), add)])
        buttons.append(self.done_button(turn, t("loop.done")))
        buttons.append(back_and_help(seq, explain=False))
        return Shown(text, buttons)

    async def typed_row(self, turn: Turn, text: str) -> bool:
        """A relation typed instead of its button ("cha đẻ", "bố", "thêm mẹ", "anh trai"): that
        button, when the menu offers it."""
        structure, d = turn.structure, turn.d
        item = structure.item(self.item)
        every = {r.code: r for r in item.relatives.relations} if item.relatives else {}
        typed = match_key(text).removeprefix("them ")
        labels = {match_key(r.label): c for c, r in every.items()}
        code = RELATION_WORDS.get(typed) or labels.get(typed)
        if code not in every:
            return False
        rel = next((r for r in structure.relations_of(item, d) if r.code == code), None)
        if rel is None or (not rel.multiple and structure.relatives_of(d, code)):
            # not asked (not married…), or declared already: say which
            key = "loop.relation_declared" if rel else "loop.relation_not_asked"
            turn.say(t(key, label=every[code].label, ref=item.ref))
            turn.nav.reask()
            return True
        held = await turn.hold_next(self.add_relative(turn, RelationCode(code)))
        if held is None:
            return True
        question = held.field_def(turn)
        if question is not None and question.id == "xung_ho" and " " in typed:
            await held.on_text(turn, text)  # "anh trai": also what «Quan hệ cụ thể» asks
        else:
            held.send_held(turn)
        return True

    @on(ADD_RELATIVE)
    async def add_relative(self, turn: Turn, payload: RelationCode) -> None:
        turn.nav.goto(new_relative(turn, self.item, payload.code))

    @on(DONE)
    async def done(self, turn: Turn, payload: None) -> None:
        turn.nav.advance(self)
