"""The booklet's items in order, part by part of its page map (``FormDef.booklet``): each part
starts a section numbered from its booklet page; (1)–(20) and (22) as answers, dated
paragraphs or bordered tables, handing (21) to :mod:`forms.document.relatives` and (23)–(26)
to :mod:`forms.document.signatures`. A draft says where the candidate's text needs more
handwritten lines than the booklet gives the item."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from docx.enum.text import WD_ALIGN_PARAGRAPH

from forms.document.page import Meter, Page, split_date, wording
from forms.document.relatives import Relatives
from forms.document.signatures import Pledge, ReviewerBlocks
from forms.document.word import TEXT_WIDTH_CM, clean_text
from forms.dossier import Row
from forms.model import BookletPart, FieldDef, ItemDef, Kind, TableDef

PERIOD_COL_CM = 3.3
BESIDE_TAB_CM = 9.5  # where "Số căn cước", "Quốc tịch" start on their line


@dataclass(frozen=True)
class Overflow:
    """An item whose handwritten text needs more room than the booklet gives it."""

    item: ItemDef
    need: int
    room: int
    rows: bool  # counted in table rows (else ruled lines)
    pages: str  # "trang 9–10"

    def text(self) -> str:
        key = "booklet.overflow_rows" if self.rows else "booklet.overflow_lines"
        return wording(key, ref=self.item.ref, need=self.need, room=self.room, pages=self.pages)


def pages_text(part: BookletPart) -> str:
    if part.pages == 1:
        return wording("booklet.page", page=part.page)
    return wording("booklet.pages", first=part.page, last=part.last_page)


class Items:
    """Walks the form's items and writes each in its shape."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.form = page.form
        self.dossier = page.dossier
        self.relatives = Relatives(page)
        self.pledge = Pledge(page)
        self.reviewer_blocks = ReviewerBlocks(page)
        self.overflows: list[Overflow] = []

    def booklet(self, head: Callable[[str], None]) -> None:
        """Every part of the page map on its own booklet page; ``head`` writes the photo box
        and title of a part that has a title (the summary, page 8)."""
        for part in self.page.booklet.parts:
            self.page.section(part.page)
            self.page.compact = part.compact
            if part.title:
                head(part.title)
            for number in part.items:
                self.part_item(part, self.form.item(number))
            self.page.compact = False

    def part_item(self, part: BookletPart, item: ItemDef) -> None:
        if item.reviewer_only:
            self.reviewer_blocks.write(item, pages_text(part) if part.pages > 1 else "")
            return
        room = part.room(item.number)
        if room is None:
            self.item(item)
            return
        with self.page.measuring() as meter:
            self.item(item)
        overflow = _overflow(item, part, room, meter)
        if overflow is not None:
            self.overflows.append(overflow)
            if self.page.draft:
                self.page.para(
                    ("ig", overflow.text()), size=11, keep_lines=True, before_pt=4, measure=False
                )

    def item(self, item: ItemDef) -> None:
        if item.relatives is not None:
            self.relatives.write(item, item.relatives)
        elif item.table is not None:
            self.table_item(item, item.table)
        elif any(f.kind is Kind.PLEDGE for f in item.fields):
            self.pledge.write(item)
        else:
            self.fields_item(item)

    def answered(self, item: ItemDef) -> bool:
        return any(clean_text(self.dossier.value(f.id)) for f in item.fields)

    def fields_item(self, item: ItemDef) -> None:
        if item.lines:
            self.lines_item(item)
            return
        if item.optional and not self.answered(item):
            self.page.heading(item, self.page.none)
            return
        if len(item.fields) == 1:
            self.single_field(item, item.fields[0])
            return
        self.page.heading(item)
        # every line the booklet prints, "không" where nothing applies (tạm trú beside a
        # thường trú): the booklet leaves no line blank
        values = {f.id: self.dossier.value(f.id) for f in item.fields}
        for field in item.fields:
            raw = values[field.id]
            applies = field.applies(values)
            text = self.page.value(field, raw) if applies or clean_text(raw) else self.page.none
            self.page.para(("", f"– {field.label}: "), ("", text), indent_cm=0.6)

    def lines_item(self, item: ItemDef) -> None:
        """An item printed as joined lines ((12) on one line, (13) as three)."""
        answered = self.answered(item)
        fields = {f.id: f for f in item.fields}
        headed = False
        for line in item.lines:
            text = self.line_text(line.fields, fields) if answered else self.page.none
            if not line.label:
                self.page.heading(item, text)
                headed = True
                continue
            if not headed:
                self.page.heading(item)
                headed = True
            self.page.para(("", f"– {line.label}: "), ("", text), indent_cm=0.6)

    def line_text(self, ids: Sequence[str], fields: dict[str, FieldDef]) -> str:
        parts = []
        for field_id in ids:
            value = clean_text(self.dossier.value(field_id))
            if value:
                parts.append(value)
            elif fields[field_id].required:
                parts.append(self.page.missing)
        return ", ".join(parts) or self.page.none

    def single_field(self, item: ItemDef, field: FieldDef) -> None:
        raw = self.dossier.value(field.id)
        ref = f"{item.ref} " if item.ref else ""
        if field.kind is Kind.LONG_TEXT:
            self.page.heading(item)
            for text in self.page.value(field, raw).split("\n"):
                self.page.para(("", text), align=WD_ALIGN_PARAGRAPH.JUSTIFY, first_line_cm=1.0)
            return
        parts = split_date(raw) if field.kind is Kind.DATE else None
        runs: list[tuple[str, str]]
        if parts and item.label.count("…") == 3:
            # "Sinh ngày … tháng … năm …" is filled in place, as one writes it by hand.
            pieces = item.label.split("…")
            runs = [("b", ref)]
            for piece, value in zip(pieces, (*parts, ""), strict=True):
                runs.append(("b", piece))
                runs.append(("", value))
        else:
            runs = [("b", f"{ref}{item.label}: "), ("", self.page.value(field, raw))]
        if item.beside is None:
            self.page.para(*runs, before_pt=4)
            return
        runs += [("", "\t"), ("b", f"{item.beside.label}: "), ("", item.beside.value)]
        if item.beside.value:
            self.page.para(*runs, before_pt=4, tab_cm=BESIDE_TAB_CM)
        else:  # left for the candidate to fill in: a dotted line to the margin
            self.page.dotted(*runs, before_pt=4, tab_cm=BESIDE_TAB_CM)

    # -- tables -------------------------------------------------------------------------

    def period(self, row: Row, *, history: bool = False) -> str:
        tu = clean_text(row.get("tu", "")) or "…"
        den = clean_text(row.get("den", ""))
        if history:
            if den == tu:
                return wording("items.history_month", tu=tu)
            return (
                wording("items.history", tu=tu, den=den)
                if den
                else wording("items.history_from", tu=tu)
            )
        return wording("items.period", tu=tu, den=den) if den else tu

    def cell_text(self, column: FieldDef, row: Row) -> str:
        if column.kind is Kind.PERIOD:
            return self.period(row)
        return clean_text(row.get(column.id, ""))

    def table_item(self, item: ItemDef, table: TableDef) -> None:
        rows = self.dossier.rows(table.id)
        if not rows and item.optional:
            self.page.heading(item, self.page.none)
            return
        self.page.heading(item)
        if _is_narrative_table(table):
            text_col = next(c for c in table.columns if c.kind is not Kind.PERIOD)
            if not rows:
                self.page.para(("", self.page.missing), indent_cm=0.6)
            for row in rows:
                self.page.para(
                    ("b", self.period(row, history=True)),
                    ("", clean_text(row.get(text_col.id, ""))),
                    align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                    indent_cm=0.6,
                )
            return
        self.page.grid(
            table.headers,
            [[self.cell_text(c, r) for c in table.columns] for r in rows],
            self.widths(table),
        )

    def widths(self, table: TableDef) -> list[float]:
        """The booklet's column widths (``widths_cm``, scaled to the text width), else a
        fixed period column and the rest shared, narratives counting double."""
        if len(table.widths_cm) == len(table.headers):
            scale = TEXT_WIDTH_CM / sum(table.widths_cm)
            return [w * scale for w in table.widths_cm]
        columns: Sequence[FieldDef] = table.columns
        fixed = sum(PERIOD_COL_CM for c in columns if c.kind is Kind.PERIOD)
        weights = [0.0 if c.kind is Kind.PERIOD else _column_weight(c) for c in columns]
        free = TEXT_WIDTH_CM - fixed
        total = sum(weights) or 1.0
        return [PERIOD_COL_CM if w == 0.0 else free * w / total for w in weights]


def _overflow(
    item: ItemDef, part: BookletPart, room: tuple[int, int], meter: Meter
) -> Overflow | None:
    lines, rows = room
    pages = pages_text(part)
    if rows and meter.rows > rows:
        return Overflow(item, meter.rows, rows, True, pages)
    if lines and meter.lines > lines:
        return Overflow(item, meter.lines, lines, False, pages)
    return None


def _is_narrative_table(table: TableDef) -> bool:
    """A table of one period and one text column reads as dated paragraphs, like item (14)."""
    kinds = [c.kind for c in table.columns]
    return len(kinds) == 2 and kinds.count(Kind.PERIOD) == 1


def _column_weight(column: FieldDef) -> float:
    return 2.0 if column.kind is Kind.LONG_TEXT else 1.0
