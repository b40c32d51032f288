"""What tables and relatives share: a question inside one row (:class:`RowQuestion`), the
loop's menu after a row ("Thêm" / "Sửa" / "Xóa" / "Xong", :class:`LoopMenu`) and the list to
pick the row to change or delete (:class:`Pick`). ``revisit``: the row was opened from the
menu to change it, so every field is asked again, answered or not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from forms import parsers
from forms.checks import RELATIVES, Flag
from forms.dossier import Row
from forms.model import FieldDef, ItemDef, Kind
from handlers.candidate.actions import (
    BACK,
    DELETE_PICK,
    DELETE_ROW,
    DONE,
    EDIT_PICK,
    EDIT_ROW,
    HELP,
    RowIndex,
)
from handlers.candidate.core import Screen, Shown, Turn, on
from handlers.candidate.erasing import Lost, lost_in_row
from handlers.candidate.flags import field_flags
from handlers.candidate.lines import LineValues, parse_line, read_row_line
from handlers.candidate.questions import Question
from handlers.candidate.shortcuts import Copy, address_above_in_row
from handlers.candidate.structure import answered
from handlers.candidate.summaries import relative_summary, row_summary
from handlers.candidate.texts import label, loop_reply, short, t
from handlers.events import Button

REVISIT = "revisit"  # the address's last word for a row opened to be changed


class RowQuestion(Question):
    """A question inside one row of a table or of the relatives."""

    __slots__ = ()

    @property
    def row_index(self) -> int | None:
        """The row asked (None: a new relative)."""
        raise NotImplementedError

    @property
    def revisiting_row(self) -> bool:
        raise NotImplementedError

    def code(self) -> str | None:
        """The relation of a relative's row (None in a table)."""
        return None

    def stored_row(self, turn: Turn) -> Row | None:
        """The stored row asked (None for a new one)."""
        raise NotImplementedError

    def block(self, turn: Turn) -> Sequence[FieldDef]:
        return turn.structure.columns(self.item_def(turn), self.code())

    def values(self, turn: Turn) -> Row:
        return self.stored_row(turn) or {}

    async def answer_with_next(self, turn: Turn, fdef: FieldDef, text: str) -> bool:
        """A row's date typed with the rest of its line, as the booklet's table reads ("từ
        9/2013 đến 6/2016 học THPT Lê Lợi, Hà Nội", "giấy khen của Giám đốc Sở, 12/2020"):
        the date stored, and the rest read column by column (:meth:`on_line`). A line that
        is no answer here but names several columns ("Nguyễn Văn Bình, sinh năm 1965, làm
        ruộng" at a relative's name) is read so too."""
        split = split_line(fdef.kind, text)
        if split is None:
            return await self.read_line(turn, text, least=2)
        when, rest = split
        start = lone_start(fdef.kind, text, when)
        if start is not None:
            # one month where a period is asked ("tháng 7/2019 đi Nhật Bản du lịch"): its
            # start, the line's columns kept, and the end asked
            held = await turn.hold_next(self.ask_end(turn, start))
            if held is not None:
                await self.on_line(turn, rest, asking=held)
            return True
        held = await turn.hold_next(self.on_text(turn, when))
        if held is None:
            return True
        if not isinstance(held, RowQuestion) or (held.item, held.row_index) != (
            self.item,
            self.row_index,
        ):  # the date led elsewhere: that screen, as it would have been
            held.send_held(turn)
        elif held.field_id != self.field_id:
            await held.on_line(turn, rest)
        elif fdef.kind is Kind.MONTH:
            # a year without its month ("năm 2019 được … tặng bằng khen"): the line's other
            # columns are kept, the month asked again with what is wrong with it
            await held.on_line(turn, rest, asking=held)
        else:  # a period refused: asked again, the line not stored (a new row stays empty)
            held.send_held(turn)
        return True

    async def ask_end(self, turn: Turn, start: str) -> None:
        """This period's question with its start chosen: the end is asked."""
        turn.nav.goto(self.settled(start=start), push=False)

    async def on_line(self, turn: Turn, rest: str, *, asking: Screen | None = None) -> None:
        """The rest of a row's line after its date (:meth:`read_line`); a rest no cue names
        is this question's answer, as it always was."""
        if await self.read_line(turn, rest, asking=asking):
            return
        if asking is not None:
            asking.send_held(turn)
        else:
            await self.on_text(turn, rest)

    async def on_text(self, turn: Turn, text: str, *, from_button: bool = False) -> None:
        """A yes/no of the row typed with the facts it opens ("ông đã mất năm 2010 do bệnh
        tại nhà" at «Người này đã mất chưa?»): the answer and the facts stored at once."""
        fdef = self.field_def(turn)
        if (
            from_button
            or self.suggestion
            or fdef is None
            or fdef.kind is not Kind.YES_NO
            or not await self.read_line(turn, text, least=2, answers=True)
        ):
            await Question.on_text(self, turn, text, from_button=from_button)

    async def read_line(
        self,
        turn: Turn,
        text: str,
        *,
        least: int = 1,
        asking: Screen | None = None,
        answers: bool = False,
    ) -> bool:
        """Whether ``text`` named at least ``least`` of the row's unanswered columns by their
        cue words (handlers/candidate/lines.py: «ngành …», «tại Đại học …», «chính quy»,
        «sinh năm …», «đã mất năm …») — and this question's, when ``answers``: then each is
        stored and shown back, and only the columns still missing are asked (or
        ``asking``). Nothing is stored when any of them is no valid answer: the line is then
        read as it always was."""
        if self.revisiting_row:
            return False
        item, row = self.item_def(turn), self.stored_row(turn) or {}
        line = read_row_line(turn.structure, item, row, self.code(), text, alone=asking is not None)
        if line is None or line.count < least:
            return False
        if answers and self.field_id not in line.typed and self.field_id not in line.given:
            return False
        fields = turn.structure.columns(item, self.code())
        form, today = turn.wiring.form, turn.today
        read = parse_line(line, fields, form, today, offer=True)
        if read is None:
            return False
        screen = await self.write(turn, read.values)
        for name, value in read.shown:
            turn.note(t("line.stored", label=name, value=short(value)))
        self.after_line(turn, screen, read, asking)
        return True

    def after_line(
        self, turn: Turn, screen: Question, read: LineValues, asking: Screen | None
    ) -> None:
        """What is asked after a line was stored: a better writing of one of its columns,
        ``asking``, or the row's next missing column (a table names what is missing)."""
        item = self.item_def(turn)
        stored = (screen.stored_row(turn) if isinstance(screen, RowQuestion) else None) or {}
        missing = [
            f.label.lower()
            for f in turn.structure.row_fields(item, stored, self.code())
            if f.required and not answered(f, stored)
        ]
        if missing and item.table is not None:  # a relative's many facts are asked as usual
            turn.note(t("line.missing", labels="; ".join(missing)))
        if read.offer is not None:  # "quê Nam Định": its new name offered, as when typed alone
            column, parsed = read.offer
            offered = screen.settled(
                field_id=column,
                suggestion=parsed.suggestion,
                others=parsed.others,
                reason=parsed.reason,
                start=None,
            )
            first = turn.structure.first_missing(item, stored, self.code())
            gap = None  # asked once the offer is answered: ``asking`` (the row's date), or
            if asking is not None:  # the first column missing
                gap = asking.address
            elif first is not None and first.id != column:
                gap = screen.settled(field_id=first.id, start=None).address
            if gap is not None:
                turn.conversation.forward = [*turn.conversation.forward, gap]
            turn.conversation.screen = offered
            turn.nav.ask(offered)
        elif asking is not None:
            turn.conversation.screen = asking
            asking.send_held(turn)
        elif self.field_id in read.values:
            turn.nav.advance(screen)
        else:
            turn.nav.goto(screen, push=False)

    def previous_row(self, turn: Turn) -> tuple[Row | None, str]:
        """The row before this one (a table's previous row, the previous relative) and how
        to name it, for "như trên"."""
        raise NotImplementedError

    def copy_above(self, turn: Turn, fdef: FieldDef) -> Copy | None:
        previous, whose = self.previous_row(turn)
        fields = turn.structure.columns(self.item_def(turn), self.code())
        row = self.stored_row(turn) or {}
        return address_above_in_row(fields, row, previous, self.field_id, whose)

    def lost(self, turn: Turn, values: Mapping[str, str]) -> list[Lost]:
        return lost_in_row(turn, self.item_def(turn), self.stored_row(turn), values, self.code())

    def walks_in_order(self, turn: Turn) -> bool:
        return self.revisiting_row

    def gap_after(self, turn: Turn) -> Screen | None:
        if not turn.structure.has_item(self.item):
            return None
        row = self.stored_row(turn)
        if row is None:
            return None
        item = self.item_def(turn)
        nxt = turn.structure.next_in_row(item, row, self.field_id, self.code(), all_=False)
        if nxt is None:
            return None
        return self.settled(field_id=nxt.id, start=None)

    def precedes(self, turn: Turn, other: Screen) -> bool:
        if not isinstance(other, RowQuestion) or other.kind != self.kind:
            return False
        if (other.item, other.row_index, other.code()) != (self.item, self.row_index, self.code()):
            return False
        item = self.item_def(turn)
        fields = turn.structure.row_fields(item, self.stored_row(turn) or {}, self.code())
        ids = [f.id for f in fields]
        if self.field_id not in ids or other.field_id not in ids:
            return False
        return ids.index(self.field_id) < ids.index(other.field_id)

    def next_field(self, turn: Turn) -> Screen | None:
        """The row's next field (every one when revisiting, else the unanswered)."""
        row = self.stored_row(turn)
        if row is None:
            return None
        nxt = turn.structure.next_in_row(
            self.item_def(turn), row, self.field_id, self.code(), all_=self.revisiting_row
        )
        if nxt is None:
            return None
        return self.settled(field_id=nxt.id, start=None)

    def own_flags(self, turn: Turn, fdef: FieldDef) -> list[Flag]:
        # In a row: while it is being entered only the answer's own format problems (the
        # rules that cannot name its field are not run); once it is complete, the row's
        # problems. Table-wide ones wait for "Xong" / the part's end. The rules are the
        # table's or the relatives' (item (21)'s), never those of a field of the candidate's
        # own that shares the fact's id: a relative's «ho_ten», «que_quan», «nghe_nghiep»,
        # «dan_toc», «ton_giao» ran F1, F5 on item (6), X8… (their flags, about other items,
        # thrown away below) and not X11 or F5 on the relative (issue 17, session 15).
        item = self.item_def(turn)
        target = item.table.id if item.table is not None else RELATIVES
        r = self.row_index
        complete = turn.structure.row_complete(item, self.stored_row(turn) or {}, self.code())
        own = (*fdef.storage_keys(), fdef.id)
        flags = field_flags(turn, target, r, naming=None if complete else own)
        mine = [f for f in flags if f.item == item.number and f.row == r and f.field]
        if complete:
            return mine
        return [f for f in mine if f.field in own]


class LoopMenu(Screen):
    """The menu of a loop (a table's rows, the people of one relation, all relatives)."""

    __slots__ = ()
    remembered = True
    question = True
    #: A typed "có" means "Thêm" (the menu adds one kind of row).
    adds_one_kind: ClassVar[bool] = True
    #: The menu asks a yes/no question ("Còn ai nữa không?"): any yes ("ừ", "ok") adds. A
    #: menu that asks "Thêm …, sửa, xóa, hay xong?" reads only "có", "còn", "thêm" so.
    asks_for_more: ClassVar[bool] = False

    @property
    def relation_code(self) -> str | None:
        """The relation whose people the menu lists (None: the table's rows, everyone)."""
        return None

    def pick_buttons(self, turn: Turn, has_rows: bool) -> list[list[Button]]:
        """ "Sửa" / "Xóa", when there are rows."""
        if not has_rows:
            return []
        seq = turn.conversation.asked
        return [
            [
                Button(t("loop.edit"), EDIT_PICK.encode(seq=seq)),
                Button(t("loop.delete"), DELETE_PICK.encode(seq=seq)),
            ]
        ]

    def done_button(self, turn: Turn, text: str) -> list[Button]:
        return [Button(text, DONE.encode(seq=turn.conversation.asked))]

    async def on_text(self, turn: Turn, text: str, *, from_button: bool = False) -> None:
        verb = (
            ""
            if from_button
            else loop_reply(text, adding=self.adds_one_kind, any_yes=self.asks_for_more)
        )
        # "Còn ai nữa không?" → "không" / "có"
        if verb == "done":
            await self.done(turn, None)
        elif verb == "add":
            await self.add(turn, None)
        elif from_button or not await self.typed_row(turn, text):
            await super().on_text(turn, text, from_button=from_button)

    async def typed_row(self, turn: Turn, text: str) -> bool:
        """Whether ``text`` is a new row typed at the menu, begun with it (tables.py)."""
        return False

    async def add(self, turn: Turn, payload: None) -> None:
        turn.nav.reask()

    async def done(self, turn: Turn, payload: None) -> None:
        raise NotImplementedError

    @on(EDIT_PICK)
    async def pick_to_edit(self, turn: Turn, payload: None) -> None:
        self.pick(turn, "edit")

    @on(DELETE_PICK)
    async def pick_to_delete(self, turn: Turn, payload: None) -> None:
        self.pick(turn, "del")

    def pick(self, turn: Turn, what: Literal["edit", "del"]) -> None:
        """The list of rows to pick from (a view of this menu, not a step of the history)."""
        assert self.item is not None
        turn.nav.goto(Pick(self.item, what, self.relation_code, self), push=False)

    @on(EDIT_ROW)
    async def edit_row(self, turn: Turn, payload: RowIndex) -> None:
        await self.change_row(turn, payload.index, delete=False)

    @on(DELETE_ROW)
    async def delete_row(self, turn: Turn, payload: RowIndex) -> None:
        await self.change_row(turn, payload.index, delete=True)

    async def change_row(self, turn: Turn, index: int, *, delete: bool) -> None:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Pick(Screen):
    """Which row to change or delete: a view of its loop menu, which stays the screen."""

    item: int = field()
    what: Literal["edit", "del"]
    relation: str | None
    menu: Screen

    kind = "pick"

    def present(self, turn: Turn, tag: str, extra_options: Sequence[str]) -> None:
        super(Pick, self).present(turn, tag, extra_options)
        turn.conversation.screen = self.menu  # the pick is a view of the menu, not a step

    def render(self, turn: Turn, extra_options: Sequence[str]) -> Shown:
        item = turn.structure.item(self.item)
        codec = EDIT_ROW if self.what == "edit" else DELETE_ROW
        seq = turn.conversation.asked
        rows = [
            [Button(label(f"{n}. {summary}"), codec.encode(RowIndex(i), seq=seq))]
            for n, (i, summary) in enumerate(self.entries(turn, item), start=1)
        ]
        rows.append([Button(t("button.back"), BACK.encode(seq=seq))])
        return Shown(t(f"loop.pick_{self.what}"), rows)

    def entries(self, turn: Turn, item: ItemDef) -> list[tuple[int, str]]:
        d = turn.d
        if item.table is not None:
            return [
                (i, row_summary(turn, item, row)) for i, row in enumerate(d.rows(item.table.id))
            ]
        indices = (
            turn.structure.relatives_of(d, self.relation)
            if self.relation
            else range(len(d.relatives))
        )
        return [(i, relative_summary(turn, item, d.relatives[i])) for i in indices]


def split_line(kind: Kind, text: str) -> tuple[str, str] | None:
    """A row's date (a period, a month) typed with the rest of its line, and that rest."""
    if kind is Kind.PERIOD:
        return parsers.split_period(text) or parsers.split_start(text)
    if kind is Kind.MONTH:
        return parsers.split_month(text)
    return None


def lone_start(kind: Kind, text: str, when: str) -> str | None:
    """The month ``when`` when it is the lone start of a period's line (:func:`split_line`),
    as the booklet writes it ("07/2019"), or None."""
    if kind is not Kind.PERIOD or parsers.split_period(text) is not None:
        return None
    try:
        return parsers.format_month(parsers.parse_month(when))
    except parsers.ParseError:
        return None  # "tháng 13/2019": the period's question says what is wrong


def begins_row(kind: Kind, text: str) -> bool:
    """Whether ``text`` may begin a row whose first column is of ``kind``: its date, alone
    or with the rest of the line (a trip's period, an award's month)."""
    if kind is Kind.PERIOD and parsers.starts_with_period(text):
        return True
    return split_line(kind, text) is not None


def back_and_help(seq: int, *, explain: bool) -> list[Button]:
    """The last line of a menu: "Quay lại" (and "Giải thích")."""
    line = [Button(t("button.back"), BACK.encode(seq=seq))]
    if explain:
        line.append(Button(t("button.explain"), HELP.encode(seq=seq)))
    return line
