"""A table of the form as a loop: each row column by column (:class:`ColumnQuestion`, a period
column as one question "09/2019 - nay"), then the rows summarised with Thêm / Sửa / Xóa /
Xong (:class:`RowsMenu`)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from forms.classify import Reading
from forms.dossier import Row
from forms.framing import says_row
from forms.model import FieldDef, Kind, TableDef
from forms.texts import render
from handlers.candidate.actions import ADD, DONE
from handlers.candidate.answers import AnswerError, parse_answer
from handlers.candidate.core import Screen, Shown, Turn, on
from handlers.candidate.flags import item_flags, show_flags
from handlers.candidate.intent import read
from handlers.candidate.loops import (
    REVISIT,
    LoopMenu,
    RowQuestion,
    back_and_help,
    begins_row,
    split_line,
)
from handlers.candidate.questions import Question, passing
from handlers.candidate.structure import answered, table_key
from handlers.candidate.summaries import header, row_summary
from handlers.candidate.texts import first_sentence, short, t
from handlers.events import Button
from storage.core import Change

#: The kinds of a row's date: a line typed whole begins (or ends) with one.
_DATES = (Kind.PERIOD, Kind.MONTH)
#: a date's digits in a text ("13/2019", "9-2020", "2019"), not a class's ("cấp 3", "10A1")
_SLASHED = re.compile(r"\d\s*[/.\-]\s*\d")
_DATE_LIKE = re.compile(_SLASHED.pattern + r"|(?<!\d)\d{4}(?!\d)")
#: a year said among a row's words ("tập huấn nghiệp vụ năm 2023"): the year of the row, not
#: its date mistyped — the words are kept, the year taken off them and named when the date
#: is asked again
_LONE_YEAR = re.compile(
    r"[\s,;:(-]*(?:\b(?:vào|vao|trong)\s+)?(?:\b(?:năm|nam)\s+)?(?<![\d/.\-])((?:19|20)\d\d)"
    r"(?![\d/.\-])\)?",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ColumnQuestion(RowQuestion):
    """ "column 15 2 viec": a column of row 2 (0-based; the row count = a new row)."""

    row: int
    revisit: bool = field(default=False, kw_only=True)

    kind = "column"

    @property
    def address(self) -> str:
        tail = f" {REVISIT}" if self.revisit else ""
        return f"column {self.item} {self.row} {self.field_id}{tail}"

    @property
    def slot(self) -> tuple[Any, ...]:
        return (self.kind, self.item, self.field_id, self.row)

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> ColumnQuestion:
        return cls(
            item=int(parts[0]),
            row=int(parts[1]),
            field_id=parts[2],
            revisit=parts[3:] == [REVISIT],
            **passing(extras),
        )

    @property
    def row_index(self) -> int | None:
        return self.row

    @property
    def revisiting_row(self) -> bool:
        return self.revisit

    def row_number(self) -> int:
        return self.row

    def table(self, turn: Turn) -> TableDef:
        table = self.item_def(turn).table
        assert table is not None
        return table

    def stored_row(self, turn: Turn) -> Row | None:
        rows = turn.d.rows(self.table(turn).id)
        return rows[self.row] if self.row < len(rows) else None

    def subject(self, turn: Turn, fdef: FieldDef, values: Row) -> str:
        return t("row_subject", label=self.table(turn).row_label, n=self.row + 1)

    def previous_row(self, turn: Turn) -> tuple[Row | None, str]:
        rows = turn.d.rows(self.table(turn).id)
        r = min(self.row, len(rows)) - 1
        if r < 0:
            return None, ""
        return rows[r], t("row_subject", label=self.table(turn).row_label, n=r + 1)

    def still_valid(self, turn: Turn) -> bool:
        structure = turn.structure
        if not structure.has_item(self.item):
            return False
        item = structure.item(self.item)
        if item.table is None or self.row > len(turn.d.rows(item.table.id)):
            return False
        row = self.stored_row(turn) or {}
        return self.field_id in {f.id for f in structure.row_fields(item, row)}

    def next(self, turn: Turn) -> Screen:
        return self.next_field(turn) or RowsMenu(self.item)

    async def on_text(self, turn: Turn, text: str, *, from_button: bool = False) -> None:
        if from_button or not (
            await self._next_row_typed(turn, text)
            or await self._rest_of_line(turn, text)
            or await self._line_without_date(turn, text)
        ):
            # the base's named: a slotted dataclass has no zero-argument super()
            await RowQuestion.on_text(self, turn, text, from_button=from_button)

    async def _rest_of_line(self, turn: Turn, text: str) -> bool:
        """The rest of a row's line typed at one of its columns, its date typed before
        ("Công nghệ thông tin tại Đại học Bách khoa Hà Nội, chính quy" at «Ngành học»): the
        columns it names (two at least) stored. A date's question, or a line that begins
        with a date, is read by :meth:`RowQuestion.answer_with_next`."""
        first = self.table(turn).columns[0].kind
        fdef = self.field_def(turn)
        if self.suggestion or fdef is None or fdef.kind in _DATES:
            return False
        if split_line(first, text) is not None:
            return False
        return await self.read_line(turn, text, least=2)

    async def _line_without_date(self, turn: Turn, text: str) -> bool:
        """A row's words typed at its date's question with no date in them ("bị khiển trách
        vì đi học muộn" at «Tháng/năm bị kỷ luật», "học trường tiểu học An Lạc" at «Từ tháng
        năm nào…»): kept in their columns — the words no cue names in the table's rest
        column — and the date asked again, never dropped with the date's error. A text with
        a date's digits ("13/2019") is that date mistyped, and a non-answer ("không nhớ") or
        a question is no row's words: both are read as the date's answer, as before."""
        fdef = self.field_def(turn)
        if self.suggestion or fdef is None or fdef.kind not in _DATES:
            return False
        year, words_typed = _year_among_words(text)  # a date typed as one: ("", "") at once
        if not words_typed or split_line(fdef.kind, text) is not None:
            return False
        if year and _reads_as(turn, fdef, text):
            return False  # "Bằng khen … năm 2020": the date's own reading says what is missing
        text = words_typed
        item, row = self.item_def(turn), self.stored_row(turn) or {}
        words = next(
            (f for f in turn.structure.row_fields(item, row) if f.kind not in _DATES), None
        )
        if words is None or answered(words, row) or not read(text, words).is_answer:
            return False
        pending = len(turn.pending)
        if year:  # said before the question asked again, with the words stored
            turn.note(t("line.year_heard", year=year, period=fdef.kind is Kind.PERIOD))
        if await self.read_line(turn, text, asking=self):
            return True
        del turn.pending[pending:]
        return False

    async def _next_row_typed(self, turn: Turn, text: str) -> bool:
        """The next row's line typed at this row's last question, an optional one ("9/2016 -
        6/2020: sinh viên …" at «Chức vụ»): this question skipped, the line a new row."""
        fdef = self.field_def(turn)
        if (
            self.revisit
            or fdef is None
            or fdef.required
            or fdef.kind in _DATES
            or self.table(turn).columns[0].kind not in _DATES
            or self.next_field(turn) is not None
            or split_line(self.table(turn).columns[0].kind, text) is None
        ):
            return False
        held = await turn.hold_next(self.skip(turn, None))
        if isinstance(held, RowsMenu):
            return await held.typed_row(turn, text)
        if held is not None:
            held.send_held(turn)
        return True

    async def write(self, turn: Turn, values: Mapping[str, str]) -> Question:
        item, table = self.item_def(turn), self.table(turn)
        rows = turn.d.rows(table.id)
        r = min(self.row, len(rows))
        row = turn.structure.clean_row(item, {**(rows[r] if r < len(rows) else {}), **values})
        await turn.apply([Change(f"tables.{table.id}.{r}", row)])
        screen = self if r == self.row else dataclasses.replace(self, row=r)
        turn.conversation.screen = screen
        return screen


@dataclass(frozen=True, slots=True)
class RowsMenu(LoopMenu):
    """ "rows 15": a table's rows summarised, with Thêm / Sửa / Xóa / Xong."""

    item: int = field()

    kind = "rows"

    @property
    def address(self) -> str:
        return f"rows {self.item}"

    @property
    def slot(self) -> tuple[Any, ...]:
        return (self.kind, self.item)

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> RowsMenu:
        return cls(int(parts[0]))

    def table(self, turn: Turn) -> TableDef:
        table = turn.structure.item(self.item).table
        assert table is not None
        return table

    def still_valid(self, turn: Turn) -> bool:
        structure = turn.structure
        return structure.has_item(self.item) and structure.item(self.item).table is not None

    def next(self, turn: Turn) -> Screen:
        return turn.nav.next_in_item(self)

    def render(self, turn: Turn, extra_options: Sequence[str]) -> Shown:
        structure = turn.structure
        item = structure.item(self.item)
        table = self.table(turn)
        rows = turn.d.rows(table.id)
        text = render(
            "chat/rows.j2",
            header=header(turn, item),
            ref=item.ref,
            label=item.label,
            help=first_sentence(item.help),
            rows=[row_summary(turn, item, row) for row in rows],
            row_label=table.row_label,
            incomplete=[
                i + 1 for i, row in enumerate(rows) if not structure.row_complete(item, row)
            ],
        )
        seq = turn.conversation.asked
        buttons = [[Button(t("loop.add", label=table.row_label), ADD.encode(seq=seq))]]
        buttons += self.pick_buttons(turn, bool(rows))
        buttons.append(self.done_button(turn, t("loop.done") if rows else t("loop.none")))
        buttons.append(back_and_help(seq, explain=True))
        return Shown(text, buttons)

    @on(ADD)
    async def add(self, turn: Turn, payload: None) -> None:
        table = self.table(turn)
        turn.conversation.reopen_loop(table_key(table.id))
        row = len(turn.d.rows(table.id))
        turn.nav.goto(ColumnQuestion(item=self.item, row=row, field_id=table.columns[0].id))

    async def typed_row(self, turn: Turn, text: str) -> bool:
        """A row typed at the menu instead of tapping «Thêm» ("từ 9/2013 đến 6/2016 học THPT
        Lê Lợi"; "bằng khen của Thành đoàn", its date left out): a new row, its first question
        answered with ``text``."""
        table = self.table(turn)
        if not (begins_row(table.columns[0].kind, text) or says_row(text, table.id)):
            return False
        held = await turn.hold_next(self.add(turn, None))
        if held is not None:
            await held.on_text(turn, text)
        return True

    def not_a_button(self, turn: Turn, reading: Reading, text: str) -> str | None:
        """A row's content typed at the menu that cannot begin a row by itself ("giấy khen
        năm 2019" where the month comes first): which button to tap, and what is asked then."""
        said = Screen.not_a_button(self, turn, reading, text)  # slots: no bare super()
        if said is not None or not reading.is_answer:
            return said
        table = self.table(turn)
        asks = "; ".join(column.label.lower() for column in table.columns)
        add = t("loop.add", label=table.row_label)
        return t("loop.add_first", typed=short(text, 60), add=add, asks=asks)

    @on(DONE)
    async def done(self, turn: Turn, payload: None) -> None:
        table = self.table(turn)
        if len(turn.d.rows(table.id)) < table.min_rows:
            turn.say(t("loop.need_rows", count=table.min_rows))
            turn.nav.reask()
            return
        turn.conversation.close_loop(table_key(table.id))
        flags = item_flags(turn, turn.structure.item(self.item))
        if flags:
            show_flags(turn, flags)
        turn.nav.advance(self)

    async def change_row(self, turn: Turn, index: int, *, delete: bool) -> None:
        item, table = turn.structure.item(self.item), self.table(turn)
        rows = turn.d.rows(table.id)
        if not 0 <= index < len(rows):
            turn.nav.reask()
            return
        if delete:
            await turn.apply([Change(f"tables.{table.id}.{index}", None, op="delete")])
            turn.note(t("loop.deleted", n=index + 1))
            turn.nav.goto(self, push=False)
            return
        first = turn.structure.row_fields(item, rows[index])[0]
        turn.nav.goto(ColumnQuestion(item=self.item, row=index, field_id=first.id, revisit=True))


def _year_among_words(text: str) -> tuple[str, str]:
    """A row's words typed at its date's question, and the one year said among them
    ("tập huấn nghiệp vụ năm 2023" → "2023", "tập huấn nghiệp vụ"); ("", "") when the text
    holds a date's digits ("13/2019", two years): that date mistyped, read as the date."""
    if not _DATE_LIKE.search(text):
        return "", text
    years = list(_LONE_YEAR.finditer(text))
    if len(years) != 1 or _SLASHED.search(text):
        return "", ""
    found = years[0]
    words = (text[: found.start()] + " " + text[found.end() :]).strip(" ,;:-–—")
    return (found[1], " ".join(words.split())) if any(c.isalpha() for c in words) else ("", "")


def _reads_as(turn: Turn, fdef: FieldDef, text: str) -> bool:
    """Whether ``text`` is an answer to ``fdef`` as typed ("từ tháng chín 2007 đến bây giờ")."""
    if not _DATE_LIKE.search(text):
        return False
    try:
        parse_answer(fdef, text, form=turn.wiring.form, today=turn.today)
    except AnswerError:
        return False
    return True
