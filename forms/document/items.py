"""The booklet's items in order: (1)–(20) and (22) as answers, dated paragraphs or
bordered tables, handing (21) to :mod:`forms.document.relatives` and (23)–(26) to
:mod:`forms.document.signatures`."""

from __future__ import annotations

from collections.abc import Sequence

from docx.enum.text import WD_ALIGN_PARAGRAPH

from forms.document.page import Page, split_date, wording
from forms.document.relatives import Relatives
from forms.document.signatures import Pledge, ReviewerBlocks
from forms.document.word import TEXT_WIDTH_CM, clean_text
from forms.dossier import Row
from forms.model import FieldDef, ItemDef, Kind, TableDef

PERIOD_COL_CM = 3.3


class Items:
    """Walks the form's items and writes each in its shape."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.form = page.form
        self.dossier = page.dossier
        self.relatives = Relatives(page)
        self.pledge = Pledge(page)
        self.reviewer_blocks = ReviewerBlocks(page)

    def booklet(self) -> None:
        first_reviewer = True
        for section in self.form.sections:
            for item in section.items:
                if not item.numbered:
                    continue
                if item.reviewer_only:
                    if first_reviewer:
                        self.page.page_break()
                        first_reviewer = False
                    self.reviewer_blocks.write(item)
                else:
                    self.item(item)

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
        if item.optional and not self.answered(item):
            self.page.heading(item, wording("items.none"))
            return
        if len(item.fields) == 1:
            self.single_field(item, item.fields[0])
            return
        self.page.heading(item)
        values = {f.id: self.dossier.value(f.id) for f in item.fields}
        for field in item.fields:
            raw = values[field.id]
            if not field.applies(values) and not clean_text(raw):
                continue
            self.page.para(
                ("", f"– {field.label}: "),
                ("", self.page.value(field, raw)),
                indent_cm=0.6,
            )

    def single_field(self, item: ItemDef, field: FieldDef) -> None:
        raw = self.dossier.value(field.id)
        ref = f"{item.ref} " if item.ref else ""
        if field.kind is Kind.LONG_TEXT:
            self.page.heading(item)
            self.page.para(
                ("", self.page.value(field, raw)),
                align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                first_line_cm=1.0,
            )
            return
        parts = split_date(raw) if field.kind is Kind.DATE else None
        if parts and item.label.count("…") == 3:
            # "Sinh ngày … tháng … năm …" is filled in place, as one writes it by hand.
            pieces = item.label.split("…")
            runs: list[tuple[str, str]] = [("b", ref)]
            for piece, value in zip(pieces, (*parts, ""), strict=True):
                runs.append(("b", piece))
                runs.append(("", value))
            self.page.para(*runs, before_pt=4)
            return
        self.page.para(
            ("b", f"{ref}{item.label}: "), ("", self.page.value(field, raw)), before_pt=4
        )

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
            self.page.heading(item, wording("items.none"))
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
            self.widths(table.columns),
        )

    def widths(self, columns: Sequence[FieldDef]) -> list[float]:
        fixed = sum(PERIOD_COL_CM for c in columns if c.kind is Kind.PERIOD)
        weights = [0.0 if c.kind is Kind.PERIOD else _column_weight(c) for c in columns]
        free = TEXT_WIDTH_CM - fixed
        total = sum(weights) or 1.0
        return [PERIOD_COL_CM if w == 0.0 else free * w / total for w in weights]


def _is_narrative_table(table: TableDef) -> bool:
    """A table of one period and one text column reads as dated paragraphs, like item (14)."""
    kinds = [c.kind for c in table.columns]
    return len(kinds) == 2 and kinds.count(Kind.PERIOD) == 1


def _column_weight(column: FieldDef) -> float:
    return 2.0 if column.kind is Kind.LONG_TEXT else 1.0
