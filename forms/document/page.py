"""The document being written and the few ways the booklet writes into it: paragraphs of
styled parts, dotted lines, item headings, bordered tables, page breaks; the draft mark and
page numbers in the headers and footers. One :class:`Page` per rendering, shared by the
writers of :mod:`forms.document`."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.oxml.parser import oxml_parser
from docx.oxml.table import CT_Tbl
from docx.section import Section
from docx.shared import Cm
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml.etree import SubElement

from forms.document.package import save
from forms.document.word import (
    DRAFT_MARK_PT,
    GREY,
    TABLE_PT,
    TEXT_WIDTH_CM,
    add_run,
    add_tab,
    cant_split,
    clean_text,
    fixed_widths,
    new_document,
    page_field,
    page_numbering,
    paragraph_format,
    repeat_header,
    set_core_properties,
    table_borders,
)
from forms.dossier import Dossier
from forms.model import Booklet, FieldDef, FormDef, ItemDef
from forms.texts import message

_W_P, _W_PPR = qn("w:p"), qn("w:pPr")
_W_FOOTER_REF, _W_HEADER_REF = qn("w:footerReference"), qn("w:headerReference")
KEEP_ROW_CHARS = 600
COMPACT_PT = 12  # table rows shorter than this are kept whole on one page

_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def wording(key: str, **kw: Any) -> str:
    """Fixed wording of the booklet: ``templates/document.toml`` → ``key``."""
    return message(f"document.{key}", **kw) if kw else _fixed(key)


@cache
def _fixed(key: str) -> str:
    """A text without parameters, rendered once per process (a draft asks for ~100)."""
    return message(f"document.{key}")


def split_date(value: str) -> tuple[str, str, str] | None:
    """ "5/8/1997" → ("05", "08", "1997"); None when not a dd/mm/yyyy date."""
    match = _DATE.match(value)
    if not match:
        return None
    day, month, year = match.groups()
    return day.zfill(2), month.zfill(2), year


@dataclass
class Meter:
    """What the candidate will write by hand for one item, in the booklet's units: ruled
    lines of text and table rows (estimated from the characters, ``Booklet.chars_per_line``)."""

    chars_per_line: int
    lines: int = 0
    rows: int = 0

    def text(self, text: str, width_cm: float = TEXT_WIDTH_CM) -> int:
        """Handwritten lines ``text`` takes on a line ``width_cm`` wide (one at least)."""
        per_line = max(8, int(self.chars_per_line * width_cm / TEXT_WIDTH_CM))
        return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


class Page:
    """Appends to a fresh document; one instance per rendering."""

    def __init__(self, dossier: Dossier, form: FormDef, *, draft: bool) -> None:
        self.dossier = dossier
        self.form = form
        self.booklet: Booklet = form.booklet or Booklet(parts=())
        self.draft = draft
        self.doc = new_document()
        self._body = self.doc.element.body
        self._body_end = self._body.sectPr
        self._text_width = self.doc._block_width
        self.missing = wording("items.missing")
        self.none = wording("items.none")
        self.meter: Meter | None = None
        self.compact = False  # a printed form page (the summary): smaller type, close lines
        self._numbered = False
        if draft:  # every later section inherits the first one's header
            p = self.doc.sections[0].header.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            add_run(p, wording("page.draft_mark"), bold=True, size=DRAFT_MARK_PT, color=GREY)

    def section(self, start: int | None) -> None:
        """A new page starting a Word section: numbered from the booklet's page ``start``
        ("Trang 9" at the foot), or, with None, a part that is not in the booklet (the draft's
        checklist and appendix), with no page number."""
        # what Document.add_section does, without its searches: the closing section
        # properties are copied into a paragraph ending the section before (header and
        # footer references kept), and the closing ones, without references, inherit them
        ended = deepcopy(self._body_end)
        p = SubElement(self._body, _W_P)
        self._body_end.addprevious(p)
        SubElement(p, _W_PPR).append(ended)
        for ref in self._body_end.findall(_W_FOOTER_REF) + self._body_end.findall(_W_HEADER_REF):
            self._body_end.remove(ref)
        page_numbering(self._body_end, start)
        if start is not None and self._numbered:
            return  # the footer of the first numbered section is inherited
        footer = Section(self._body_end, self.doc.part).footer
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if start is None:
            add_run(p, wording("page.not_in_booklet"), italic=True, size=11, color=GREY)
            return
        self._numbered = True
        add_run(p, wording("page.page"))
        page_field(p)

    @contextmanager
    def measuring(self) -> Iterator[Meter]:
        """Count what is written meanwhile (headings excepted: the booklet prints them)."""
        self.meter = Meter(self.booklet.chars_per_line)
        try:
            yield self.meter
        finally:
            self.meter = None

    def save(self) -> bytes:
        set_core_properties(
            self.doc,
            title=self.form.title,
            subject=clean_text(self.dossier.value("ho_ten")),
            now=datetime.now(UTC).replace(microsecond=0),
        )
        return save(self.doc)

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
        dotted_tab: bool = False,
        keep_lines: bool = False,
        tab_cm: float = 0.0,
        measure: bool = True,
    ) -> Paragraph:
        """A paragraph of (style, text) parts; style letters: b bold, i italic, g grey.
        Counted by the meter (``measure``) as the handwritten lines it takes."""
        if self.compact:
            size = size or COMPACT_PT
            after_pt = 1 if after_pt is None else after_pt
            before_pt = None if before_pt is None else min(before_pt, 2)
        # a copy of the paragraph prepared for this format, inserted before the body's
        # closing section properties (where add_paragraph puts it)
        el = paragraph_element(
            align, indent_cm, first_line_cm, before_pt, after_pt, keep_next, keep_lines,
            dotted_tab, tab_cm,
        ).__copy__()  # fmt: skip
        self._body_end.addprevious(el)
        p = Paragraph(el, self.doc._body)
        if measure and self.meter is not None:
            width = TEXT_WIDTH_CM - indent_cm
            self.meter.lines += self.meter.text("".join(t for _, t in parts), width)
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

    def dotted(
        self, *parts: tuple[str, str], indent_cm: float = 0.0, keep_next: bool = False, **kw: Any
    ) -> Paragraph:
        """A line ending in a dotted leader to the right margin, as on printed forms."""
        p = self.para(*parts, indent_cm=indent_cm, dotted_tab=True, keep_next=keep_next, **kw)
        add_tab(p)
        return p

    def add_table(self, rows: int, cols: int) -> Table:
        """``Document.add_table`` without its per-call search for the last section: every
        table is as wide as the text (the widths are then fixed by fixed_widths)."""
        return self.doc._body.add_table(rows, cols, self._text_width)

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def value(self, field: FieldDef, raw: str) -> str:
        """What the booklet shows for an answer: a required one still missing is a dotted gap;
        an empty optional one reads "không", as HD 38 asks of an empty (9) and as every line
        of the booklet is written (no line is left blank: "không viết cách dòng")."""
        text = clean_text(raw)
        if not text:
            return self.missing if field.required else self.none
        return text

    def heading_parts(self, item: ItemDef, tail: str = "") -> list[tuple[str, str]]:
        ref = f"{item.ref} " if item.ref else ""
        parts: list[tuple[str, str]] = [("b", f"{ref}{item.label}:")]
        if tail:
            parts.append(("", f" {tail}"))
        return parts

    def heading(self, item: ItemDef, tail: str = "") -> Paragraph:
        return self.para(
            *self.heading_parts(item, tail), before_pt=4, keep_next=not tail, measure=False
        )

    def grid(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> Table:
        """A bordered table with a repeated bold header row; an empty one gets a blank row.
        Copied from the table prepared for these headers and widths (:func:`_grid_of`), a
        row at a time: python-docx's add_table and its width setters, called per cell, were
        a fifth of a draft's rendering time."""
        body = list(rows) or [[""] * len(headers)]
        head, short_row, long_row = _grid_of(tuple(headers), tuple(widths))
        tbl = head.__copy__()
        table = Table(tbl, self.doc._body)
        for values in body:
            short = sum(len(v) for v in values) <= KEEP_ROW_CHARS
            tr = (short_row if short else long_row).__copy__()
            tbl.append(tr)
            if self.meter is not None and rows:
                lines = max(self.meter.text(v, w) for v, w in zip(values, widths, strict=False))
                self.meter.rows += math.ceil(lines / self.booklet.row_lines)
            for tc, value in zip(tr.tc_lst, values, strict=False):
                add_run(Paragraph(tc.p_lst[0], table), value, size=TABLE_PT)
        self._body_end.addprevious(tbl)
        self.para(("", ""), after_pt=2, measure=False)
        return table


@cache
def _grid_of(headers: tuple[str, ...], widths: tuple[float, ...]) -> tuple[Any, Any, Any]:
    """The table :meth:`Page.grid` writes, prepared once per process for these headers and
    widths: the table with its header row, a body row kept on one page, and one that may
    break."""
    tbl = CT_Tbl.new_tbl(3, len(headers), Cm(TEXT_WIDTH_CM))
    table = Table(tbl, None)  # type: ignore[arg-type]  # no part: nothing here needs one
    table_borders(table, "single")
    fixed_widths(table, widths)
    header_tr, short_tr, long_tr = tbl.tr_lst
    repeat_header(header_tr)
    for tc, header in zip(header_tr.tc_lst, headers, strict=False):
        p = Paragraph(tc.p_lst[0], table)
        paragraph_format(p, align=WD_ALIGN_PARAGRAPH.CENTER)
        add_run(p, clean_text(header), bold=True, size=TABLE_PT)
        tc.get_or_add_tcPr().vAlign_val = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    cant_split(short_tr)
    tbl.remove(short_tr)
    tbl.remove(long_tr)
    return tbl, short_tr, long_tr


@cache
def paragraph_element(
    align: Any,
    indent_cm: float,
    first_line_cm: float,
    before_pt: float | None,
    after_pt: float | None,
    keep_next: bool,
    keep_lines: bool,
    dotted_tab: bool,
    tab_cm: float,
) -> Any:
    """An empty paragraph (``<w:p>``) with these properties, prepared once per process."""
    p = Paragraph(oxml_parser.makeelement(_W_P), None)  # type: ignore[arg-type]
    paragraph_format(
        p,
        align=align,
        indent_cm=indent_cm,
        first_line_cm=first_line_cm,
        before_pt=before_pt,
        after_pt=after_pt,
        keep_next=keep_next,
        keep_lines=keep_lines,
        dotted_tab=dotted_tab,
        tab_cm=tab_cm,
    )
    return p._p
