"""An optional item's gate question ("Anh/chị đã đi nước ngoài…?", :class:`Gate`) and, when
the item already has data, the confirmation before "Không" deletes it
(:class:`ConfirmClear`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from forms.framing import names_says_column, restates_row, says_row
from forms.model import Kind
from forms.texts import message, render_filled
from handlers.candidate.actions import NO, YES
from handlers.candidate.ahead import begins_item
from handlers.candidate.core import Confirm, Screen, Shown, Turn, on
from handlers.candidate.intent import read
from handlers.candidate.loops import LoopMenu, begins_row
from handlers.candidate.questions import nav_buttons
from handlers.candidate.structure import NO as ANSWER_NO
from handlers.candidate.structure import YES as ANSWER_YES
from handlers.candidate.structure import table_key
from handlers.candidate.summaries import header
from handlers.candidate.texts import first_sentence, t
from handlers.events import Button
from storage.core import Change


@dataclass(frozen=True, slots=True)
class Gate(Screen):
    """ "gate 12": an optional item asked first with yes/no."""

    item: int = field()

    kind = "gate"
    question = True
    remembered = True

    @property
    def address(self) -> str:
        return f"gate {self.item}"

    @property
    def slot(self) -> tuple[Any, ...]:
        return (self.kind, self.item)

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> Gate:
        return cls(int(parts[0]))

    def still_valid(self, turn: Turn) -> bool:
        structure = turn.structure
        if not structure.has_item(self.item):
            return False
        item = structure.item(self.item)
        return item.optional and bool(item.ask)

    def next(self, turn: Turn) -> Screen:
        return turn.nav.next_in_item(self)

    def render(self, turn: Turn, extra_options: Sequence[str]) -> Shown:
        structure = turn.structure
        item = structure.item(self.item)
        gate = structure.gate(item, turn.d, turn.conversation.memory)
        text = render_filled(
            "chat/question.j2",
            {"header": header(turn, item), "subject": "", "current": gate or ""},
            ref=item.ref,
            label=item.label,
            prompt=item.ask,
            rule=first_sentence(item.help),
            example="",
        )
        seq = turn.conversation.asked
        yes_no = [
            Button(t("button.yes"), YES.encode(seq=seq)),
            Button(t("button.no"), NO.encode(seq=seq)),
        ]
        return Shown(text, [yes_no, nav_buttons(seq)])

    async def on_text(self, turn: Turn, text: str, *, from_button: bool = False) -> None:
        reading = read(text, Kind.YES_NO)
        table = turn.structure.item(self.item).table
        if reading.yes_no is not False and table is not None and restates_row(text, table.id):
            await self.answer(turn, True)  # "có, đi nước ngoài": a yes; the trip is asked
            return
        rest = _after_yes(turn, self.item, text) if reading.yes_no is not False else ""
        if (
            # "có, ngày 26/3/2017 tại Chi đoàn 10A3", "có, đi Nhật Bản thực tập": the row said
            # yes first — its words without the yes (read as a yes whole, they were dropped)
            await self.typed_row(turn, rest)
        ) or (reading.yes_no is None and await self.typed_row(turn, text)):
            return
        if reading.yes_no is None or not reading.is_answer:
            said = self.not_a_button(turn, reading, text)
            turn.say(said or message("parse.yes_no.invalid"))
            turn.nav.reask()
            return
        if reading.yes_no and rest and table is not None:
            # "có, sang nhat lam viec 3 nam": a row no column of which could be read — the
            # yes stored, and said that its words were not ("Đã ghi: có", the words lost)
            held = await turn.hold_next(self.answer(turn, True))
            if isinstance(held, LoopMenu):
                said = held.not_a_button(turn, read(rest, None), rest)
                if said:
                    turn.note(said)
            if held is not None:
                held.send_held(turn)
            return
        await self.answer(turn, reading.yes_no)

    async def typed_row(self, turn: Turn, text: str) -> bool:
        """The item's first row typed instead of «Có» ("3/2019 - 9/2019 học tiếng Nhật tại
        Nhật Bản" to "…đi nước ngoài chưa?"; "em được bằng khen của Thành đoàn", its date
        left out, to "…có khen thưởng không?"): «Có», and the line begins the table; or its
        first answer ("26/3/2012, Chi đoàn lớp 10A1" to "…kết nạp vào Đoàn chưa?")."""
        if not text:
            return False
        item = turn.structure.item(self.item)
        table = item.table
        if table is None and not begins_item(item, text):
            return False
        if table is not None and not (
            begins_row(table.columns[0].kind, text) or says_row(text, table.id)
        ):
            return False
        held = await turn.hold_next(self.answer(turn, True))
        if isinstance(held, LoopMenu):
            if not await held.typed_row(turn, text):
                held.send_held(turn)
        elif held is not None:
            await held.on_text(turn, text)
        return True

    @on(YES)
    async def yes(self, turn: Turn, payload: None) -> None:
        await self.answer(turn, True)

    @on(NO)
    async def no(self, turn: Turn, payload: None) -> None:
        await self.answer(turn, False)

    async def answer(self, turn: Turn, yes: bool, *, confirmed: bool = False) -> None:
        """Remember the answer; "Không" to an item with data deletes it, once confirmed."""
        structure, conv = turn.structure, turn.conversation
        item = structure.item(self.item)
        has_data = structure.has_data(item, turn.d)
        if not yes and not confirmed and has_data:
            turn.nav.goto(ConfirmClear(item.number))
            return
        conv.gates = {**conv.gates, str(item.number): ANSWER_YES if yes else ANSWER_NO}
        if not yes and has_data:
            d = turn.d
            changes = [Change(f"answers.{f.id}", None) for f in item.fields if f.id in d.answers]
            if item.table is not None:
                rows = d.rows(item.table.id)
                changes += [
                    Change(f"tables.{item.table.id}.{i}", None, op="delete")
                    for i in reversed(range(len(rows)))
                ]
            await turn.apply(changes)
        if not yes and item.table is not None:
            conv.reopen_loop(table_key(item.table.id))
        turn.note(t("stored", value=ANSWER_YES if yes else ANSWER_NO))
        turn.nav.advance(self)


@dataclass(frozen=True, slots=True)
class ConfirmClear(Confirm):
    """ "confirm clear 13": "Không" to an optional item that has data deletes it."""

    item: int = field()

    what = "clear"

    @property
    def address(self) -> str:
        return f"confirm clear {self.item}"

    def params(self, turn: Turn) -> dict[str, Any]:
        structure = turn.structure
        if not structure.has_item(self.item):
            return {}
        item = structure.item(self.item)
        rows = len(turn.d.rows(item.table.id)) if item.table is not None else 0
        return {"ref": item.ref or item.label, "rows": rows}

    async def decide(self, turn: Turn, yes: bool) -> None:
        if yes and turn.structure.has_item(self.item):
            gate = Gate(self.item)
            turn.conversation.screen = gate
            await gate.answer(turn, False, confirmed=True)
            return
        turn.note(t("confirm.clear_kept"))
        turn.nav.back(quiet=True)


def _after_yes(turn: Turn, number: int, text: str) -> str:
    """What follows a yes and a comma ("rồi ạ, 26/3/2017 …"), or "" when none leads; without
    the comma ("co di han quoc lam viec"), only what begins item ``number``'s row or answer
    (its date, a column that says a row): "có đi nước ngoài ạ" is a yes in the question's
    words."""
    head, comma, rest = text.partition(",")
    item = turn.structure.item(number)
    table = item.table
    if comma:
        rest = rest.strip()
        if table is not None and restates_row(rest, table.id):
            return ""  # "có, đi nước ngoài": the question's words, no trip
        return rest if read(head, Kind.YES_NO).yes_no is True else ""
    head, _, rest = text.strip().partition(" ")
    if not rest or read(head, Kind.YES_NO).yes_no is not True:
        return ""
    if table is None:
        return rest if begins_item(item, rest) else ""
    if begins_row(table.columns[0].kind, rest) or names_says_column(rest, table.id):
        return rest
    return ""
