"""The dossier as a booklet-shaped Word file ("LÝ LỊCH CỦA NGƯỜI XIN VÀO ĐẢNG", Mẫu 2-KNĐ).

The document is built in code with python-docx rather than from a docxtpl template: the
layout then lives in one reviewable file, a change to it shows up as a normal diff, and the
items are walked from the form definition so a new field or item appears without touching
a template. Fixed wording comes from ``templates/document.toml``; labels, table headers and
the pledge come from the form definition.

Layout: cover page; a 3×4 cm photo box; items (1)–(23) in order; empty ruled blocks for the
reviewers' items (24)–(26). A draft carries "BẢN NHÁP" in every page header, a line on the
cover, an appendix with the dossier facts outside the booklet and the list of open flags.
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor, Twips
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml.etree import SubElement

from forms.definition import load_form
from forms.dossier import Dossier, Row
from forms.model import FieldDef, FormDef, ItemDef, Kind, RelativesDef, TableDef
from forms.texts import has_message, message

FONT = "Times New Roman"
BODY_PT = 13
TABLE_PT = 12
TITLE_PT = 20
DRAFT_MARK_PT = 28
GREY = RGBColor(0x99, 0x99, 0x99)

# A4 in twentieths of a point, as Word writes it; margins leave room for binding on the left.
PAGE_W, PAGE_H = Twips(11906), Twips(16838)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Cm(2), Cm(2), Cm(3), Cm(2)
TEXT_WIDTH_CM = 16.0
PERIOD_COL_CM = 3.3
PHOTO_W_CM, PHOTO_H_CM = 3.0, 4.0
REVIEWER_LINES = 8
KEEP_ROW_CHARS = 600  # table rows shorter than this are kept whole on one page

# Cover lines: the booklet's cover repeats three answers (labels come from the form).
COVER_FIELDS = ("ho_ten", "ngay_sinh", "que_quan")
# Relatives: the field naming the precise relation ("Em gái") heads a sibling's block.
RELATION_DETAIL_FIELD = "xung_ho"
# Item (4): names the spouse's side "vợ" or "chồng" in item (21).
GENDER_FIELD = "gioi_tinh"

# XML 1.0 forbids C0 controls except tab/newline/CR, lone surrogates and U+FFFE/U+FFFF;
# python-docx/lxml raise on them, so user text is cleaned before it reaches a run.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def clean_text(value: Any) -> str:
    """User text made safe for WordprocessingML: invalid characters dropped, newlines unified."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = _XML_INVALID.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _t(key: str, **kw: Any) -> str:
    return message(f"document.{key}", **kw)


def render_dossier(
    dossier: Dossier,
    *,
    draft: bool,
    flags: Sequence[Any] | None = None,
    form: FormDef | None = None,
) -> bytes:
    """The booklet as .docx bytes.

    ``draft`` adds the "BẢN NHÁP" mark, the appendix of dossier facts that are not copied
    into the booklet (certificate, introducers) and the list of open ``flags`` (objects
    with rule, severity, item, row, message, key and explanation attributes; when None in
    draft mode they are computed with :func:`forms.checks.run_checks`).
    """
    form = form or load_form(dossier.form_version)
    if draft and flags is None:
        flags = _default_flags(dossier)
    writer = _Writer(dossier, form, draft=draft)
    writer.cover()
    writer.booklet()
    if draft:
        writer.appendix()
        writer.flags(flags or ())
    data = writer.save()
    # A python-docx document is a web of reference cycles (parts <-> package, proxies <->
    # elements) holding ~0.3 MB of libxml2 trees that the garbage collector cannot see, so
    # nothing prompts it to run: in a bot rendering drafts one after another the dead
    # documents piled up (500 drafts: +150 MB resident). Collecting the young generations
    # now frees this one at once, for well under a millisecond.
    del writer
    gc.collect(1)
    return data


def _default_flags(dossier: Dossier) -> list[Any]:
    """Flags from the checks module when it is available (it is optional for rendering)."""
    try:
        from forms.checks import run_checks
    except ImportError:  # the rule engine is optional for rendering
        return []
    return list(run_checks(dossier))


# --------------------------------------------------------------------------------------
# document set-up


def _new_document() -> DocxDocument:
    doc = Document(io.BytesIO(_base_docx()))
    return doc


@cache
def _base_docx() -> bytes:
    """python-docx's default template with fonts, sizes and A4 set once per process."""
    doc = Document()
    # Word 2010's duplicate style part still names theme fonts; Word and LibreOffice only
    # need styles.xml, so the copy goes rather than contradicting it.
    for rel_id, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rel_id)
    styles = doc.styles.element
    _prune_styles(doc)
    for rfonts in styles.iter(qn("w:rFonts")):
        _set_font_attrs(rfonts)
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for tag in ("w:sz", "w:szCs"):
        rpr_default.find(qn(tag)).set(qn("w:val"), str(BODY_PT * 2))
    lang = rpr_default.find(qn("w:lang"))
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")
    ppr_default = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr_default.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "60")  # 3 pt
    spacing.set(qn("w:line"), "264")  # 1.1 lines
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _set_font_attrs(normal.element.get_or_add_rPr().get_or_add_rFonts())
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance = section.footer_distance = Cm(1)
    section.start_type = WD_SECTION_START.NEW_PAGE
    props = doc.core_properties
    props.author = ""
    props.last_modified_by = ""
    props.comments = ""
    props.keywords = ""
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _prune_styles(doc: DocxDocument) -> None:
    """Keep only the styles a booklet can use: the defaults, Header/Footer (python-docx's
    header and footer parts use them), those the numbering part names, and what they are
    based on or linked to; drop the latent-style list.

    python-docx's template carries 164 styles (every table style of Word 2010) in 350 KB of
    styles.xml, which every rendering parsed, serialised and compressed again: a third of
    the time of a draft, for styles nothing refers to.
    """
    styles = doc.styles.element
    style_id, based_on, link, nxt = qn("w:styleId"), qn("w:basedOn"), qn("w:link"), qn("w:next")
    by_id = {el.get(style_id): el for el in styles.iterchildren(qn("w:style"))}
    keep = {"Header", "Footer"}
    keep.update(i for i, el in by_id.items() if el.get(qn("w:default")) in ("1", "true"))
    for rel in doc.part.rels.values():
        if rel.reltype.endswith("/numbering") and not rel.is_external:
            keep.update(rel.target_part.element.xpath("//w:pStyle/@w:val"))
    todo = list(keep)
    while todo:
        el = by_id.get(todo.pop())
        for tag in (based_on, link, nxt) if el is not None else ():
            ref = el.find(tag)
            target = ref.get(_W_VAL) if ref is not None else None
            if target and target not in keep:
                keep.add(target)
                todo.append(target)
    for sid, el in by_id.items():
        if sid not in keep:
            styles.remove(el)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)


def _set_font_attrs(rfonts: Any) -> None:
    """Times New Roman for every script, with the theme attributes (which win) removed."""
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)


# --------------------------------------------------------------------------------------
# low-level helpers


_W_R, _W_RPR, _W_T = qn("w:r"), qn("w:rPr"), qn("w:t")
_W_B, _W_I, _W_COLOR, _W_SZ, _W_SZCS = (qn(f"w:{t}") for t in ("b", "i", "color", "sz", "szCs"))
_W_VAL = qn("w:val")
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _add_run(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    color: RGBColor | None = None,
) -> None:
    """Append a formatted run. Written with lxml directly: python-docx's property setters
    search the run properties on every call and dominate the rendering time otherwise."""
    if not text:
        return
    r = OxmlElement("w:r")
    if bold or italic or size or color is not None:
        rpr = SubElement(r, _W_RPR)  # children in schema order: b, i, color, sz, szCs
        if bold:
            SubElement(rpr, _W_B)
        if italic:
            SubElement(rpr, _W_I)
        if color is not None:
            SubElement(rpr, _W_COLOR).set(_W_VAL, str(color))
        if size:
            half_points = str(round(size * 2))
            SubElement(rpr, _W_SZ).set(_W_VAL, half_points)
            SubElement(rpr, _W_SZCS).set(_W_VAL, half_points)
    paragraph._p.append(r)
    if "\n" in text or "\t" in text:
        Run(r, paragraph).text = text  # python-docx turns these into <w:br/> and <w:tab/>
        return
    t = SubElement(r, _W_T)
    t.text = text
    if text[0].isspace() or text[-1].isspace():
        t.set(_XML_SPACE, "preserve")


_W_PPR, _W_KEEP_NEXT, _W_SPACING, _W_IND, _W_JC = (
    qn(f"w:{t}") for t in ("pPr", "keepNext", "spacing", "ind", "jc")
)
_W_TABS, _W_TAB, _W_POS, _W_LEADER = qn("w:tabs"), qn("w:tab"), qn("w:pos"), qn("w:leader")
_W_BEFORE, _W_AFTER, _W_LEFT, _W_FIRST_LINE = (
    qn(f"w:{t}") for t in ("before", "after", "left", "firstLine")
)
_DOTTED_TAB_POS = str(Cm(TEXT_WIDTH_CM).twips)


def _paragraph_format(
    paragraph: Paragraph,
    *,
    align: Any = None,
    indent_cm: float = 0.0,
    first_line_cm: float = 0.0,
    before_pt: float | None = None,
    after_pt: float | None = None,
    keep_next: bool = False,
    dotted_tab: bool = False,
) -> None:
    """The paragraph properties python-docx's ``paragraph_format`` setters would write, in
    schema order (keepNext, tabs, spacing, ind, jc), written with lxml directly: each of those
    setters searches the properties again and together they were a quarter of a draft's
    rendering time. ``dotted_tab``: a right tab with a dotted leader at the right margin."""
    if not (align is not None or indent_cm or first_line_cm or keep_next or dotted_tab) and (
        before_pt is None and after_pt is None
    ):
        return
    ppr = SubElement(paragraph._p, _W_PPR)
    if keep_next:
        SubElement(ppr, _W_KEEP_NEXT)
    if dotted_tab:
        tab = SubElement(SubElement(ppr, _W_TABS), _W_TAB)
        tab.set(_W_VAL, "right")
        tab.set(_W_LEADER, "dot")
        tab.set(_W_POS, _DOTTED_TAB_POS)
    if before_pt is not None or after_pt is not None:
        spacing = SubElement(ppr, _W_SPACING)
        if before_pt is not None:
            spacing.set(_W_BEFORE, str(Pt(before_pt).twips))
        if after_pt is not None:
            spacing.set(_W_AFTER, str(Pt(after_pt).twips))
    if indent_cm or first_line_cm:
        ind = SubElement(ppr, _W_IND)
        if indent_cm:
            ind.set(_W_LEFT, str(Cm(indent_cm).twips))
        if first_line_cm:
            ind.set(_W_FIRST_LINE, str(Cm(first_line_cm).twips))
    if align is not None:
        SubElement(ppr, _W_JC).set(_W_VAL, align.xml_value)


def _cell_borders(cell: _Cell, *, val: str = "single", sz: int = 8) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for edge in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), val)
        el.set(qn("w:sz"), str(sz))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "auto")
        borders.append(el)
    tc_pr.append(borders)


def _table_borders(table: Table, val: str) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), val)
        if val != "nil":
            el.set(qn("w:sz"), "4")
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "auto")
        borders.append(el)
    tbl_pr.append(borders)


def _fixed_widths(table: Table, widths_cm: Sequence[float]) -> None:
    """Fixed layout with explicit grid and cell widths (Word reads cells, LibreOffice the grid)."""
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, width in zip(grid.iterchildren(qn("w:gridCol")), widths_cm, strict=False):
        col.set(qn("w:w"), str(int(Cm(width).twips)))
    # straight over the <w:tc> elements: these tables merge no cells, and python-docx's
    # row.cells works out the grid of every row at each call
    for tr in table._tbl.tr_lst:
        for tc, width in zip(tr.tc_lst, widths_cm, strict=False):
            tc.width = Cm(width)


def _cant_split(tr: Any) -> None:
    """Keep a short row (a ``<w:tr>``) on one page (a long one must be allowed to break)."""
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    tr.get_or_add_trPr().append(el)


def _repeat_header(tr: Any) -> None:
    tr_pr = tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _page_field(paragraph: Paragraph) -> None:
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _split_date(value: str) -> tuple[str, str, str] | None:
    match = _DATE.match(value)
    if not match:
        return None
    day, month, year = match.groups()
    return day.zfill(2), month.zfill(2), year


def _is_narrative_table(table: TableDef) -> bool:
    """A table of one period and one text column reads as dated paragraphs, like item (14)."""
    kinds = [c.kind for c in table.columns]
    return len(kinds) == 2 and kinds.count(Kind.PERIOD) == 1


def _column_weight(column: FieldDef) -> float:
    return 2.0 if column.kind is Kind.LONG_TEXT else 1.0


# --------------------------------------------------------------------------------------
# the writer


class _Writer:
    """Appends the booklet to a fresh document; one instance per rendering."""

    def __init__(self, dossier: Dossier, form: FormDef, *, draft: bool) -> None:
        self.dossier = dossier
        self.form = form
        self.draft = draft
        self.doc = _new_document()
        self._body_end = self.doc.element.body.sectPr
        self._text_width = self.doc._block_width
        self.missing = _t("items.missing")
        self._spouse = _spouse_word(dossier.value(GENDER_FIELD))
        self._headers_and_footers()

    # -- frame ------------------------------------------------------------------------

    def _headers_and_footers(self) -> None:
        section = self.doc.sections[0]
        section.different_first_page_header_footer = True
        if self.draft:
            for header in (section.header, section.first_page_header):
                p = header.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _add_run(p, _t("page.draft_mark"), bold=True, size=DRAFT_MARK_PT, color=GREY)
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _add_run(footer, _t("page.page"))
        _page_field(footer)

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
        _paragraph_format(
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
            _add_run(
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
        SubElement(SubElement(p._p, _W_R), _W_TAB)
        return p

    def add_table(self, rows: int, cols: int) -> Table:
        """``Document.add_table`` without its per-call search for the last section: every
        table is as wide as the text (the widths are then fixed by _fixed_widths)."""
        return self.doc._body.add_table(rows, cols, self._text_width)

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    def value(self, field: FieldDef, raw: str) -> str:
        text = clean_text(raw)
        if not text and field.required:
            return self.missing
        return text

    # -- cover --------------------------------------------------------------------------

    def cover(self) -> None:
        center = WD_ALIGN_PARAGRAPH.CENTER
        self.para(("b", self.form.code), align=WD_ALIGN_PARAGRAPH.RIGHT, size=BODY_PT)
        self.para(("b", _t("cover.party")), align=center, before_pt=24, size=14)
        self.para(("", "*"), align=center, after_pt=96)
        self.para(("b", self.form.title), align=center, size=TITLE_PT, after_pt=12)
        if self.draft:
            self.para(("bg", _t("cover.draft")), align=center, size=DRAFT_MARK_PT)
            self.para(("ig", _t("cover.draft_note")), align=center, size=12, after_pt=36)
        else:
            self.para(("", ""), after_pt=72)
        for field_id in COVER_FIELDS:
            try:
                field = self.form.field(field_id)
            except KeyError:
                continue
            value = clean_text(self.dossier.value(field_id))
            self.dotted(("", f"{field.label}: "), ("b", value), indent_cm=1.0)
        self.dotted(("", _t("cover.number") + " "), indent_cm=1.0)
        self.para(("i", _t("cover.rules")), align=center, before_pt=120, size=12)
        self.page_break()

    # -- the booklet's items ------------------------------------------------------------

    def booklet(self) -> None:
        self.photo_box()
        first_reviewer = True
        for section in self.form.sections:
            for item in section.items:
                if not item.numbered:
                    continue
                if item.reviewer_only:
                    if first_reviewer:
                        self.page_break()
                        first_reviewer = False
                    self.reviewer_block(item)
                else:
                    self.item(item)

    def item(self, item: ItemDef) -> None:
        if item.relatives is not None:
            self.relatives(item, item.relatives)
        elif item.table is not None:
            self.table_item(item, item.table)
        elif any(f.kind is Kind.PLEDGE for f in item.fields):
            self.pledge(item)
        else:
            self.fields_item(item)

    def photo_box(self) -> None:
        table = self.add_table(1, 2)
        _table_borders(table, "nil")
        _fixed_widths(table, (PHOTO_W_CM, TEXT_WIDTH_CM - PHOTO_W_CM))
        row = table.rows[0]
        row.height = Cm(PHOTO_H_CM)
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
        photo, title = row.cells
        _cell_borders(photo)
        photo.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        p = photo.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _add_run(p, _t("page.photo"), italic=True, size=11, color=GREY)
        title.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        p = title.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _add_run(p, _t("page.summary"), bold=True, size=16)
        self.para(("", ""), after_pt=6)

    def heading(self, item: ItemDef, tail: str = "") -> Paragraph:
        ref = f"{item.ref} " if item.ref else ""
        parts: list[tuple[str, str]] = [("b", f"{ref}{item.label}:")]
        if tail:
            parts.append(("", f" {tail}"))
        return self.para(*parts, before_pt=4, keep_next=not tail)

    def answered(self, item: ItemDef) -> bool:
        return any(clean_text(self.dossier.value(f.id)) for f in item.fields)

    def fields_item(self, item: ItemDef) -> None:
        if item.optional and not self.answered(item):
            self.heading(item, _t("items.none"))
            return
        if len(item.fields) == 1:
            self.single_field(item, item.fields[0])
            return
        self.heading(item)
        values = {f.id: self.dossier.value(f.id) for f in item.fields}
        for field in item.fields:
            raw = values[field.id]
            if not field.applies(values) and not clean_text(raw):
                continue
            self.para(
                ("", f"– {field.label}: "),
                ("", self.value(field, raw)),
                indent_cm=0.6,
            )

    def single_field(self, item: ItemDef, field: FieldDef) -> None:
        raw = self.dossier.value(field.id)
        ref = f"{item.ref} " if item.ref else ""
        if field.kind is Kind.LONG_TEXT:
            self.heading(item)
            self.para(
                ("", self.value(field, raw)),
                align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                first_line_cm=1.0,
            )
            return
        parts = _split_date(raw) if field.kind is Kind.DATE else None
        if parts and item.label.count("…") == 3:
            # "Sinh ngày … tháng … năm …" is filled in place, as one writes it by hand.
            pieces = item.label.split("…")
            runs: list[tuple[str, str]] = [("b", ref)]
            for piece, value in zip(pieces, (*parts, ""), strict=True):
                runs.append(("b", piece))
                runs.append(("", value))
            self.para(*runs, before_pt=4)
            return
        self.para(("b", f"{ref}{item.label}: "), ("", self.value(field, raw)), before_pt=4)

    # -- tables -------------------------------------------------------------------------

    def period(self, row: Row, *, history: bool = False) -> str:
        tu = clean_text(row.get("tu", "")) or "…"
        den = clean_text(row.get("den", ""))
        if history:
            if den == tu:
                return _t("items.history_month", tu=tu)
            return _t("items.history", tu=tu, den=den) if den else _t("items.history_from", tu=tu)
        return _t("items.period", tu=tu, den=den) if den else tu

    def cell_text(self, column: FieldDef, row: Row) -> str:
        if column.kind is Kind.PERIOD:
            return self.period(row)
        return clean_text(row.get(column.id, ""))

    def table_item(self, item: ItemDef, table: TableDef) -> None:
        rows = self.dossier.rows(table.id)
        if not rows and item.optional:
            self.heading(item, _t("items.none"))
            return
        self.heading(item)
        if _is_narrative_table(table):
            text_col = next(c for c in table.columns if c.kind is not Kind.PERIOD)
            if not rows:
                self.para(("", self.missing), indent_cm=0.6)
            for row in rows:
                self.para(
                    ("b", self.period(row, history=True)),
                    ("", clean_text(row.get(text_col.id, ""))),
                    align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                    indent_cm=0.6,
                )
            return
        self.grid(
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

    def grid(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]
    ) -> Table:
        """A bordered table with a repeated bold header row; an empty one gets a blank row."""
        body = list(rows) or [[""] * len(headers)]
        table = self.add_table(1 + len(body), len(headers))
        _table_borders(table, "single")
        _fixed_widths(table, widths)
        header_tr, *body_trs = table._tbl.tr_lst
        _repeat_header(header_tr)
        for tc, header in zip(header_tr.tc_lst, headers, strict=False):
            p = Paragraph(tc.p_lst[0], table)
            _paragraph_format(p, align=WD_ALIGN_PARAGRAPH.CENTER)
            _add_run(p, clean_text(header), bold=True, size=TABLE_PT)
            tc.get_or_add_tcPr().vAlign_val = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        for tr, values in zip(body_trs, body, strict=True):
            if sum(len(v) for v in values) <= KEEP_ROW_CHARS:
                _cant_split(tr)
            for tc, value in zip(tr.tc_lst, values, strict=False):
                _add_run(Paragraph(tc.p_lst[0], table), value, size=TABLE_PT)
        self.para(("", ""), after_pt=2)
        return table

    # -- item (21) ----------------------------------------------------------------------

    def relatives(self, item: ItemDef, rel_def: RelativesDef) -> None:
        self.heading(item)
        groups = _group_relatives(rel_def, self.dossier.relatives)
        if not groups:
            self.para(("i", _t("relatives.nobody")), indent_cm=0.6)
            return
        for index, (key, people) in enumerate(groups):
            known = key and has_message(f"document.relatives.{key}")
            title = self.spouse(_t(f"relatives.{key}") if known else _t("relatives.other"))
            letter = chr(ord("a") + index)
            self.para(("bi", f"{letter}) {title}"), before_pt=6, keep_next=True, indent_cm=0.3)
            for person in people:
                self.person(rel_def, person)

    def person(self, rel_def: RelativesDef, row: Row) -> None:
        code = row.get("quan_he", "")
        try:
            relation = rel_def.relation(code)
            label, group = self.spouse(relation.label), relation.group
        except KeyError:
            label, group = clean_text(code) or self.missing, None
        fields = rel_def.fields_for(group) if group else rel_def.fields
        detail = clean_text(row.get(RELATION_DETAIL_FIELD, ""))
        name_field = next((f for f in fields if f.kind is Kind.NAME), None)
        name = clean_text(row.get(name_field.id, "")) if name_field else ""
        head = detail or label
        if detail and detail.casefold() != label.casefold() and group != "C":
            head = f"{label} ({detail})"
        self.para(("b", f"{head}: "), ("b", name or self.missing), indent_cm=0.6, keep_next=True)
        facts: list[tuple[str, str]] = []
        long_facts: list[tuple[FieldDef, str]] = []
        for field in fields:
            if field is name_field or field.id in (RELATION_DETAIL_FIELD, "quan_he"):
                continue
            raw = clean_text(row.get(field.id, ""))
            if not raw and not (field.applies(row) and field.required):
                continue
            if field.kind is Kind.YES_NO and raw:
                if raw.casefold() == "có":
                    facts.append(("", field.label))
                elif raw.casefold() != "không":
                    facts.append(("", f"{field.label}: {raw}"))
                continue
            if field.kind is Kind.LONG_TEXT:
                long_facts.append((field, raw or self.missing))
                continue
            facts.append(("", f"{field.label}: {raw or self.missing}"))
        if facts:
            # one sentence per person: "Năm sinh: 1945; đã mất; năm mất: 2015; …."
            text = "; ".join(
                f if i == 0 else f[:1].lower() + f[1:] for i, (_, f) in enumerate(facts)
            )
            if not text.endswith((".", "…")):
                text += "."
            self.para(("", text), indent_cm=1.2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        for field, text in long_facts:
            self.para(
                ("i", f"{field.label}: "),
                ("", text),
                indent_cm=1.2,
                align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            )

    def spouse(self, text: str) -> str:
        """``text`` with "vợ (chồng)" narrowed to the candidate's spouse ("Cha vợ (chồng)"
        → "Cha chồng" for a woman); unchanged when the gender is not given."""
        both = _t("relatives.spouse_both")
        if self._spouse is None or both not in text.lower():
            return text
        start = text.lower().index(both)
        word = self._spouse.capitalize() if text[start].isupper() else self._spouse
        return self.spouse(text[:start] + word + text[start + len(both) :])

    # -- item (23) ----------------------------------------------------------------------

    def pledge(self, item: ItemDef) -> None:
        self.heading(item)
        self.para(
            ("", self.form.pledge + "."),
            align=WD_ALIGN_PARAGRAPH.JUSTIFY,
            first_line_cm=1.0,
            keep_next=True,
        )
        by_kind: dict[Kind, FieldDef] = {}
        others: list[FieldDef] = []
        for field in item.fields:
            if field.kind is Kind.PLEDGE:
                continue
            if field.kind in (Kind.TEXT, Kind.DATE, Kind.NAME) and field.kind not in by_kind:
                by_kind[field.kind] = field
            else:
                others.append(field)
        for field in others:
            raw = self.dossier.value(field.id)
            self.para(("", f"– {field.label}: "), ("", self.value(field, raw)), indent_cm=0.6)
        place_f, date_f, name_f = (by_kind.get(k) for k in (Kind.TEXT, Kind.DATE, Kind.NAME))
        place = clean_text(self.dossier.value(place_f.id)) if place_f else ""
        raw_date = clean_text(self.dossier.value(date_f.id)) if date_f else ""
        date_parts = _split_date(raw_date)
        if date_parts or not raw_date:
            day, month, year = date_parts or ("…", "…", "…")
            signed = _t("pledge.place_date", place=place or "……", day=day, month=month, year=year)
        else:  # not a dd/mm/yyyy date: shown as written rather than lost
            signed = _t("pledge.place_raw_date", place=place or "……", date=raw_date)
        # the signature block stays on one page
        right = WD_ALIGN_PARAGRAPH.CENTER
        self.para(("i", signed), align=right, indent_cm=7.0, before_pt=12, keep_next=True)
        self.para(
            ("b", _t("pledge.signer")), align=right, indent_cm=7.0, after_pt=0, keep_next=True
        )
        self.para(
            ("i", _t("pledge.signer_hint")),
            align=right,
            indent_cm=7.0,
            after_pt=54,
            size=12,
            keep_next=True,
        )
        name = clean_text(self.dossier.value(name_f.id)) if name_f else ""
        self.para(("b", name or self.missing), align=right, indent_cm=7.0)

    # -- items (24)–(26) ----------------------------------------------------------------

    def reviewer_block(self, item: ItemDef) -> None:
        """Ruled lines for the reviewers, then the date and signature (and seal) line; an
        item with two parts ((24): the verifying unit, the higher-level committee) gets
        both, each with its own lines and signature."""
        self.heading(item)
        if self.draft:
            self.para(("ig", _t("items.reviewer_hint")), size=12)
        key = f"reviewer.{item.fields[0].id}" if item.fields else "reviewer"
        parts = [p for p in ("part_a", "part_b") if has_message(f"document.{key}.{p}")]
        lines = REVIEWER_LINES // max(len(parts), 1)
        for part in parts or [""]:
            if part:
                self.para(("i", _t(f"{key}.{part}")), before_pt=4, keep_next=True)
            for _ in range(lines):
                self.dotted(("", ""))
            self.para(
                ("i", _t("reviewer.date_line")),
                align=WD_ALIGN_PARAGRAPH.CENTER,
                indent_cm=7.0,
                before_pt=6,
                keep_next=True,
            )
            if has_message(f"document.{key}.sign"):
                self.para(
                    ("i", _t(f"{key}.sign")),
                    align=WD_ALIGN_PARAGRAPH.CENTER,
                    indent_cm=7.0,
                    after_pt=42,
                    size=12,
                )

    # -- draft extras -------------------------------------------------------------------

    def appendix(self) -> None:
        """Dossier facts outside the booklet (certificate, introducers), for the reviewers."""
        extra = self.form.extra
        if extra is None:
            return
        self.page_break()
        self.para(("b", extra.title.upper()), align=WD_ALIGN_PARAGRAPH.CENTER, size=14, after_pt=8)
        for item in extra.items:
            self.item(item)

    def flags(self, flags: Iterable[Any]) -> None:
        flags = list(flags)
        self.page_break()
        self.para(("b", _t("flags.heading")), align=WD_ALIGN_PARAGRAPH.CENTER, size=14, after_pt=6)
        if not flags:
            self.para(("i", _t("flags.none")))
            return
        self.para(("i", _t("flags.intro")), align=WD_ALIGN_PARAGRAPH.JUSTIFY, size=12)
        headers = [_t(f"flags.col_{k}") for k in ("rule", "item", "severity", "message")]
        rows = [self.flag_row(flag) for flag in flags]
        self.grid(headers, rows, (1.5, 3.3, 2.2, TEXT_WIDTH_CM - 7.0))

    def flag_row(self, flag: Any) -> list[str]:
        severity = str(_attr(flag, "severity", "") or "")
        severity_text = {"error": _t("flags.error"), "warning": _t("flags.warning")}.get(
            severity, clean_text(severity)
        )
        where = self.flag_item(_attr(flag, "item", None))
        row = describe_row(self.form, self.dossier, _attr(flag, "table"), _attr(flag, "row"))
        if row:
            where = f"{where}, {row}" if where else row
        text = clean_text(_attr(flag, "message", ""))
        explanation = clean_text(_attr(flag, "explanation", None) or "")
        key = _attr(flag, "key", None)
        if not explanation and key:
            explanation = clean_text(self.dossier.explanations.get(str(key), ""))
        if explanation:
            text = f"{text}\n{_t('flags.explanation')}{explanation}"
        return [clean_text(_attr(flag, "rule", "")), where, severity_text, text]

    def flag_item(self, item: Any) -> str:
        if isinstance(item, int):
            try:
                it = self.form.item(item)
            except KeyError:
                return f"({item})"
            return it.ref or it.label
        return clean_text(item or "")


def _spouse_word(gender: str) -> str | None:
    """ "vợ" for a man, "chồng" for a woman (item (4)), None when not given."""
    value = clean_text(gender).casefold()
    if value == "nam":
        return _t("relatives.spouse_of_man")
    if value == "nữ":
        return _t("relatives.spouse_of_woman")
    return None


def describe_row(form: FormDef, dossier: Dossier, table: Any, row: Any) -> str:
    """Which row a flag points at, for people: "giai đoạn thứ 3", "Ông nội LÊ VĂN CHÂU"."""
    if not isinstance(row, int) or isinstance(row, bool):
        return ""
    if table == "relatives" and 0 <= row < len(dossier.relatives):
        person = dossier.relatives[row]
        try:
            label = form.relatives().relation(person.get("quan_he", "")).label
        except KeyError:
            label = person.get("quan_he", "")
        label = person.get(RELATION_DETAIL_FIELD) or label  # "Em gái" says more
        return clean_text(f"{label} {person.get('ho_ten', '')}")
    try:
        label = form.table(str(table)).row_label
    except KeyError:
        label = _t("flags.row_label")
    return _t("flags.row", label=label, n=row + 1)


def _attr(flag: Any, name: str, default: Any = None) -> Any:
    """A flag's attribute, whether the flag is an object (rule engine) or a dict (JSON)."""
    if isinstance(flag, Mapping):
        return flag.get(name, default)
    return getattr(flag, name, default)


def _group_key(group: str, side: str) -> str:
    """Headings of item (21): the candidate's own spouse sits with the parents-in-law."""
    if group == "B" and side == "own":
        side = "spouse"
    return f"{group}_{side}"


_GROUP_ORDER = ("A_self", "A_spouse", "B_self", "B_spouse", "C_self", "C_spouse", "C_own")


def _group_relatives(rel_def: RelativesDef, rows: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    """Relatives in booklet order: by group heading, then relation order, then entry order."""
    order = {r.code: i for i, r in enumerate(rel_def.relations)}
    buckets: dict[str, list[tuple[int, int, Row]]] = {}
    for index, row in enumerate(rows):
        code = row.get("quan_he", "")
        try:
            relation = rel_def.relation(code)
            key = _group_key(relation.group, relation.side)
        except KeyError:
            key = ""
        buckets.setdefault(key, []).append((order.get(code, len(order)), index, row))
    keys = [k for k in _GROUP_ORDER if k in buckets]
    keys += sorted(k for k in buckets if k not in _GROUP_ORDER and k)
    if "" in buckets:
        keys.append("")
    return [(k, [row for _, _, row in sorted(buckets[k], key=lambda t: t[:2])]) for k in keys]
