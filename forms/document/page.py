"""The document being written and the few ways the booklet writes into it: paragraphs of
styled parts, dotted lines, item headings, bordered tables, page breaks; the draft mark and
page numbers in the headers and footers. One :class:`Page` per rendering, shared by the
writers of :mod:`forms.document`."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH

from forms.document.shell import shell_of
from forms.document.word import (
    CELL_END,
    DRAFT_MARK_PT,
    GREY,
    PAGE_BREAK,
    PAGE_FIELD,
    ROW,
    ROW_END,
    ROW_HEADER,
    ROW_KEPT,
    TAB_RUN,
    TABLE_END,
    TABLE_PT,
    TEXT_WIDTH_CM,
    cell_start,
    clean_text,
    paragraph,
    paragraph_properties,
    run,
    run_properties,
    styled_run,
    table_start,
)
from forms.dossier import Dossier
from forms.model import Booklet, FieldDef, FormDef, ItemDef
from forms.texts import message

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
        if "\n" not in text:
            return max(1, -(-len(text) // per_line))
        return sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))


class Page:
    """The body of one rendering, written as WordprocessingML text (:mod:`forms.document.word`)
    and put in the booklet's package when saved (:mod:`forms.document.shell`)."""

    def __init__(self, dossier: Dossier, form: FormDef, *, draft: bool) -> None:
        self.dossier = dossier
        self.form = form
        self.booklet: Booklet = form.booklet or Booklet(parts=())
        self.draft = draft
        self._xml: list[str] = []
        self._starts: list[int | None] = []
        self._section_ends: list[int] = []  # where in _xml each section's end goes
        self.missing = wording("items.missing")
        self.none = wording("items.none")
        self.meter: Meter | None = None
        self.compact = False  # a printed form page (the summary): smaller type, close lines

    def section(self, start: int | None) -> None:
        """A new page starting a Word section: numbered from the booklet's page ``start``
        ("Trang 9" at the foot), or, with None, a part that is not in the booklet (the draft's
        checklist and appendix), with no page number. The paragraph ending the section
        before (its section properties) comes from the package's shell when saved."""
        self._section_ends.append(len(self._xml))
        self._xml.append("")
        self._starts.append(start)

    @contextmanager
    def measuring(self) -> Iterator[Meter]:
        """Count what is written meanwhile (headings excepted: the booklet prints them)."""
        self.meter = Meter(self.booklet.chars_per_line)
        try:
            yield self.meter
        finally:
            self.meter = None

    def save(self) -> bytes:
        """The .docx: this body in the package made once per process for these sections."""
        shell = shell_of(self.form.title, tuple(self._starts), *_marks(self.draft))
        for index, position in enumerate(self._section_ends):
            self._xml[position] = shell.section_ends[index]
        return shell.write(
            "".join(self._xml),
            subject=clean_text(self.dossier.value("ho_ten")),
            now=datetime.now(UTC).replace(microsecond=0),
        )

    def raw(self, xml: str) -> None:
        """Append WordprocessingML written elsewhere (the cover's photo box)."""
        self._xml.append(xml)

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
        tail: str = "",
    ) -> None:
        """A paragraph of (style, text) parts; style letters: b bold, i italic, g grey.
        Counted by the meter (``measure``) as the handwritten lines it takes. ``tail``: what
        ends it after the runs (the dotted line's tab)."""
        if self.compact:
            size = size or COMPACT_PT
            after_pt = 1 if after_pt is None else after_pt
            before_pt = None if before_pt is None else min(before_pt, 2)
        ppr = paragraph_properties(
            align, indent_cm, first_line_cm, before_pt, after_pt, keep_next, keep_lines,
            dotted_tab, tab_cm,
        )  # fmt: skip
        if measure and self.meter is not None:
            width = TEXT_WIDTH_CM - indent_cm
            self.meter.lines += self.meter.text("".join([t for _, t in parts]), width)
        runs = "".join([styled_run(text, _run_format(style, size)) for style, text in parts])
        self._xml.append(f"<w:p>{ppr}{runs}{tail}</w:p>")

    def dotted(
        self, *parts: tuple[str, str], indent_cm: float = 0.0, keep_next: bool = False, **kw: Any
    ) -> None:
        """A line ending in a dotted leader to the right margin, as on printed forms."""
        self.para(
            *parts, indent_cm=indent_cm, dotted_tab=True, keep_next=keep_next, tail=TAB_RUN, **kw
        )

    def page_break(self) -> None:
        self._xml.append(PAGE_BREAK)

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

    def heading(self, item: ItemDef, tail: str = "") -> None:
        self.para(*self.heading_parts(item, tail), before_pt=4, keep_next=not tail, measure=False)

    def grid(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> None:
        """A bordered table with a repeated bold header row; an empty one gets a blank row.
        Rows shorter than ``KEEP_ROW_CHARS`` are kept on one page."""
        body = list(rows) or [[""] * len(headers)]
        widths = tuple(widths)
        xml = [_grid_head(tuple(headers), widths)]
        for values in body:
            short = sum(len(v) for v in values) <= KEEP_ROW_CHARS
            xml.append(ROW_KEPT if short else ROW)
            if self.meter is not None and rows:
                lines = max(self.meter.text(v, w) for v, w in zip(values, widths, strict=False))
                self.meter.rows += math.ceil(lines / self.booklet.row_lines)
            for value, width in zip(values, widths, strict=False):
                xml.append(cell_start(width))
                xml.append(paragraph("", run(value, size=TABLE_PT)))
                xml.append(CELL_END)
            xml.append(ROW_END)
        xml.append(TABLE_END)
        self._xml.append("".join(xml))
        self.para(("", ""), after_pt=2, measure=False)


@cache
def _run_format(style: str, size: float | None) -> str:
    """The run properties of a :meth:`Page.para` part's style letters at ``size``."""
    return run_properties("b" in style, "i" in style, size, GREY if "g" in style else None)


@cache
def _marks(draft: bool) -> tuple[str, str, str]:
    """The runs of the page header (the draft mark) and of the footers of numbered pages
    ("Trang 9") and of the draft's pages outside the booklet."""
    header = run(wording("page.draft_mark"), bold=True, size=DRAFT_MARK_PT, color=GREY)
    numbered = run(wording("page.page")) + PAGE_FIELD
    other = run(wording("page.not_in_booklet"), italic=True, size=11, color=GREY)
    return (header if draft else ""), numbered, other


@cache
def _grid_head(headers: tuple[str, ...], widths: tuple[float, ...]) -> str:
    """The opening of the table :meth:`Page.grid` writes, with its header row, prepared once
    per process for these headers and widths."""
    centred = paragraph_properties(WD_ALIGN_PARAGRAPH.CENTER)
    cells = "".join(
        cell_start(width, centred=True)
        + paragraph(centred, run(clean_text(header), bold=True, size=TABLE_PT))
        + CELL_END
        for header, width in zip(headers, widths, strict=False)
    )
    return f"{table_start(widths, 'single')}{ROW_HEADER}{cells}{ROW_END}"
