"""The document being written and the few ways the booklet writes into it: paragraphs of
styled parts, dotted lines, item headings, bordered tables, page breaks; the draft mark and
page numbers in the headers and footers. One :class:`Page` per rendering, shared by the
writers of :mod:`forms.document`."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.table import Table
from docx.text.paragraph import Paragraph

from forms.document.word import (
    DRAFT_MARK_PT,
    GREY,
    TABLE_PT,
    add_run,
    add_tab,
    cant_split,
    clean_text,
    fixed_widths,
    new_document,
    page_field,
    paragraph_format,
    repeat_header,
    table_borders,
)
from forms.dossier import Dossier
from forms.model import FieldDef, FormDef, ItemDef
from forms.texts import message

KEEP_ROW_CHARS = 600  # table rows shorter than this are kept whole on one page

_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def wording(key: str, **kw: Any) -> str:
    """Fixed wording of the booklet: ``templates/document.toml`` → ``key``."""
    return message(f"document.{key}", **kw)


def split_date(value: str) -> tuple[str, str, str] | None:
    """ "5/8/1997" → ("05", "08", "1997"); None when not a dd/mm/yyyy date."""
    match = _DATE.match(value)
    if not match:
        return None
    day, month, year = match.groups()
    return day.zfill(2), month.zfill(2), year


class Page:
    """Appends to a fresh document; one instance per rendering."""

    def __init__(self, dossier: Dossier, form: FormDef, *, draft: bool) -> None:
        self.dossier = dossier
        self.form = form
        self.draft = draft
        self.doc = new_document()
        self._body_end = self.doc.element.body.sectPr
        self._text_width = self.doc._block_width
        self.missing = wording("items.missing")
        self._headers_and_footers()

    def _headers_and_footers(self) -> None:
        section = self.doc.sections[0]
        section.different_first_page_header_footer = True
        if self.draft:
            for header in (section.header, section.first_page_header):
                p = header.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                add_run(p, wording("page.draft_mark"), bold=True, size=DRAFT_MARK_PT, color=GREY)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        add_run(footer, wording("page.page"))
        page_field(footer)

    def save(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()

    # -- paragraphs ---------------------------------------------------------------------

    def para(
        self,
        *parts: tuple[str, str],
        align: Any = None,
        indent_cm: float = 0.0,
        first_line_cm: float = 0.0,
        before_pt: float | None = None,
        after_pt: float | None = None,
        keep_next: bool = False,
        size: float | None = None,
        container: Any = None,
        dotted_tab: bool = False,
    ) -> Paragraph:
        """A paragraph of (style, text) parts; style letters: b bold, i italic, g grey."""
        if container is None:
            # inserted before the body's closing section properties, as add_paragraph does
            el = OxmlElement("w:p")
            self._body_end.addprevious(el)
            p = Paragraph(el, self.doc._body)
        else:
            p = container.add_paragraph()
        paragraph_format(
            p,
            align=align,
            indent_cm=indent_cm,
            first_line_cm=first_line_cm,
            before_pt=before_pt,
            after_pt=after_pt,
            keep_next=keep_next,
            dotted_tab=dotted_tab,
        )
        for style, text in parts:
            add_run(
                p,
                text,
                bold="b" in style,
                italic="i" in style,
                size=size,
                color=GREY if "g" in style else None,
            )
        return p

    def dotted(self, *parts: tuple[str, str], indent_cm: float = 0.0) -> Paragraph:
        """A line ending in a dotted leader to the right margin, as on printed forms."""
        p = self.para(*parts, indent_cm=indent_cm, dotted_tab=True)
        add_tab(p)
        return p

    def add_table(self, rows: int, cols: int) -> Table:
        """``Document.add_table`` without its per-call search for the last section: every
        table is as wide as the text (the widths are then fixed by fixed_widths)."""
        return self.doc._body.add_table(rows, cols, self._text_width)

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def value(self, field: FieldDef, raw: str) -> str:
        text = clean_text(raw)
        if not text and field.required:
            return self.missing
        return text

    def heading(self, item: ItemDef, tail: str = "") -> Paragraph:
        ref = f"{item.ref} " if item.ref else ""
        parts: list[tuple[str, str]] = [("b", f"{ref}{item.label}:")]
        if tail:
            parts.append(("", f" {tail}"))
        return self.para(*parts, before_pt=4, keep_next=not tail)

    def grid(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> Table:
        """A bordered table with a repeated bold header row; an empty one gets a blank row."""
        body = list(rows) or [[""] * len(headers)]
        table = self.add_table(1 + len(body), len(headers))
        table_borders(table, "single")
        fixed_widths(table, widths)
        header_tr, *body_trs = table._tbl.tr_lst
        repeat_header(header_tr)
        for tc, header in zip(header_tr.tc_lst, headers, strict=False):
            p = Paragraph(tc.p_lst[0], table)
            paragraph_format(p, align=WD_ALIGN_PARAGRAPH.CENTER)
            add_run(p, clean_text(header), bold=True, size=TABLE_PT)
            tc.get_or_add_tcPr().vAlign_val = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        for tr, values in zip(body_trs, body, strict=True):
            if sum(len(v) for v in values) <= KEEP_ROW_CHARS:
                cant_split(tr)
            for tc, value in zip(tr.tc_lst, values, strict=False):
                add_run(Paragraph(tc.p_lst[0], table), value, size=TABLE_PT)
        self.para(("", ""), after_pt=2)
        return table
