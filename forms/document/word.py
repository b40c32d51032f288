"""python-docx primitives the booklet is written with: the base document (fonts, sizes, A4,
pruned styles), runs, paragraph properties, borders and widths written with lxml directly.

Nothing here knows the form; :mod:`forms.document.page` and the writers build on it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION_START
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.parser import oxml_parser
from docx.shared import Cm, Pt, RGBColor, Twips
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml.etree import SubElement

from forms.document.package import open_copy

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

# XML 1.0 forbids C0 controls except tab/newline/CR, lone surrogates and U+FFFE/U+FFFF;
# python-docx/lxml raise on them, so user text is cleaned before it reaches a run.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: Any) -> str:
    """User text made safe for WordprocessingML: invalid characters dropped, newlines unified."""
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    text = _XML_INVALID.sub("", text)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def new_document() -> DocxDocument:
    """A fresh base document (a copy of the one opened once per process)."""
    return open_copy(_base_docx())


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
    _current_package(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# Word 2013 and later: "15" (the template says 14, Word 2010, which opens in compatibility mode).
COMPATIBILITY_MODE = "15"
_APP_XML = (
    b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    b"<Application>knd-bot (python-docx)</Application><DocSecurity>0</DocSecurity>"
    b"<ScaleCrop>false</ScaleCrop><LinksUpToDate>false</LinksUpToDate>"
    b"<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
    b"</Properties>"
)


def _current_package(doc: DocxDocument) -> None:
    """Not the library template's file details: no blank thumbnail, our application name
    instead of "Microsoft Macintosh Word" 14.0 (with its made-up page and word counts), and
    the current compatibility mode instead of Word 2010's."""
    package = doc.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype.endswith("/metadata/thumbnail"):
            package.rels.pop(rel_id)
        elif rel.reltype.endswith("/extended-properties"):
            rel.target_part._blob = _APP_XML
    settings = doc.settings.element
    for setting in settings.iter(qn("w:compatSetting")):
        if setting.get(qn("w:name")) == "compatibilityMode":
            setting.set(qn("w:val"), COMPATIBILITY_MODE)


def set_core_properties(doc: DocxDocument, *, title: str, subject: str, now: Any) -> None:
    """Title and subject of this booklet, created and modified now (not the template's 2013)."""
    props = doc.core_properties
    props.title = title
    props.subject = subject
    props.created = now
    props.modified = now
    props.revision = 1


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
        if el is None:
            continue
        for tag in (based_on, link, nxt):
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


_W_R, _W_RPR, _W_T = qn("w:r"), qn("w:rPr"), qn("w:t")
_W_B, _W_I, _W_COLOR, _W_SZ, _W_SZCS = (qn(f"w:{t}") for t in ("b", "i", "color", "sz", "szCs"))
_W_VAL = qn("w:val")
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
#: python-docx's parser: elements made by it get python-docx's element classes (CT_R, CT_P…).
_PARSER = oxml_parser


def add_run(
    paragraph: Paragraph,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    color: RGBColor | None = None,
) -> None:
    """Append a formatted run: a copy of the prepared run of that format (:func:`_run_of`)
    with the text set. python-docx's property setters search the run properties on every
    call, and even building the few elements one by one cost a draft a third of its time;
    one copy of a prepared element is a single call into lxml."""
    if not text:
        return
    if "\n" in text or "\t" in text:
        r = _run_of(bold, italic, size, color, "").__copy__()  # lxml copies deep, in C
        paragraph._p.append(r)
        Run(r, paragraph).text = text  # python-docx turns these into <w:br/> and <w:tab/>
        return
    r = _run_of(bold, italic, size, color, "t").__copy__()
    t = r[-1]
    t.text = text
    if text[0].isspace() or text[-1].isspace():
        t.set(_XML_SPACE, "preserve")
    paragraph._p.append(r)


@cache
def _run_of(bold: bool, italic: bool, size: float | None, color: RGBColor | None, text: str) -> Any:
    """A run of this format (``<w:r>`` with its properties, then an empty ``<w:t>`` when
    ``text``), prepared once per process for :func:`add_run` to copy."""
    r = _PARSER.makeelement(_W_R)
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
    if text:
        SubElement(r, _W_T)
    return r


_W_PPR, _W_KEEP_NEXT, _W_KEEP_LINES, _W_SPACING, _W_IND, _W_JC = (
    qn(f"w:{t}") for t in ("pPr", "keepNext", "keepLines", "spacing", "ind", "jc")
)
_W_TABS, _W_TAB, _W_POS, _W_LEADER = qn("w:tabs"), qn("w:tab"), qn("w:pos"), qn("w:leader")
_W_BEFORE, _W_AFTER, _W_LEFT, _W_FIRST_LINE = (
    qn(f"w:{t}") for t in ("before", "after", "left", "firstLine")
)
_DOTTED_TAB_POS = str(Cm(TEXT_WIDTH_CM).twips)


def paragraph_format(
    paragraph: Paragraph,
    *,
    align: Any = None,
    indent_cm: float = 0.0,
    first_line_cm: float = 0.0,
    before_pt: float | None = None,
    after_pt: float | None = None,
    keep_next: bool = False,
    keep_lines: bool = False,
    dotted_tab: bool = False,
    tab_cm: float = 0.0,
) -> None:
    """The paragraph properties python-docx's ``paragraph_format`` setters would write, in
    schema order (keepNext, keepLines, tabs, spacing, ind, jc), for a paragraph that has none
    yet: a copy of those prepared for the same values (:func:`paragraph_properties`; each of
    python-docx's setters searches the properties again, and together they were a quarter of
    a draft's rendering time). ``dotted_tab``: a right tab with a dotted leader at the right
    margin; ``tab_cm``: a left tab there (a second field on the line: "Số căn cước")."""
    ppr = paragraph_properties(
        align, indent_cm, first_line_cm, before_pt, after_pt, keep_next, keep_lines,
        dotted_tab, tab_cm,
    )  # fmt: skip
    if ppr is not None:
        paragraph._p.append(ppr.__copy__())


@cache
def paragraph_properties(
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
    """The ``<w:pPr>`` of these values (None when they are all the defaults), built once per
    process; see :func:`paragraph_format`."""
    if not (
        align is not None
        or indent_cm
        or first_line_cm
        or keep_next
        or keep_lines
        or dotted_tab
        or tab_cm
    ) and (before_pt is None and after_pt is None):
        return None
    ppr = _PARSER.makeelement(_W_PPR)
    if keep_next:
        SubElement(ppr, _W_KEEP_NEXT)
    if keep_lines:
        SubElement(ppr, _W_KEEP_LINES)
    if dotted_tab or tab_cm:
        tabs = SubElement(ppr, _W_TABS)
        if tab_cm:
            tab = SubElement(tabs, _W_TAB)
            tab.set(_W_VAL, "left")
            tab.set(_W_POS, str(Cm(tab_cm).twips))
        if dotted_tab:
            tab = SubElement(tabs, _W_TAB)
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
    return ppr


def cell_borders(cell: _Cell, *, val: str = "single", sz: int = 8) -> None:
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


# CT_TblPr's children after tblBorders, in schema order: a new tblBorders goes before them.
_AFTER_TBL_BORDERS = tuple(
    qn(f"w:{t}")
    for t in ("shd", "tblLayout", "tblCellMar", "tblLook", "tblCaption", "tblDescription")
)


def table_borders(table: Table, val: str) -> None:
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
    later = next((c for c in tbl_pr.iterchildren() if c.tag in _AFTER_TBL_BORDERS), None)
    if later is None:
        tbl_pr.append(borders)
    else:
        later.addprevious(borders)


def fixed_widths(table: Table, widths_cm: Sequence[float]) -> None:
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


def cant_split(tr: Any) -> None:
    """Keep a short row (a ``<w:tr>``) on one page (a long one must be allowed to break)."""
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    tr.get_or_add_trPr().append(el)


def repeat_header(tr: Any) -> None:
    tr_pr = tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def page_field(paragraph: Paragraph) -> None:
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def add_tab(paragraph: Paragraph) -> None:
    """A run holding one tab (to the dotted leader of ``paragraph_format(dotted_tab=True)``)."""
    SubElement(SubElement(paragraph._p, _W_R), _W_TAB)


# CT_SectPr's children after pgNumType, in schema order.
_AFTER_PG_NUM = tuple(
    qn(f"w:{t}")
    for t in (
        "cols", "formProt", "vAlign", "noEndnote", "titlePg", "textDirection", "bidi",
        "rtlGutter", "docGrid", "printerSettings", "sectPrChange",
    )
)  # fmt: skip


def page_numbering(sect_pr: Any, start: int | None) -> None:
    """The section's pages numbered from ``start`` (the booklet's page), or not restarted."""
    for old in sect_pr.findall(qn("w:pgNumType")):
        sect_pr.remove(old)
    if start is None:
        return
    el = OxmlElement("w:pgNumType")
    el.set(qn("w:start"), str(start))
    later = next((c for c in sect_pr.iterchildren() if c.tag in _AFTER_PG_NUM), None)
    if later is None:
        sect_pr.append(el)
    else:
        later.addprevious(el)
