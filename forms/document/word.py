"""What the booklet is written with: the base document (python-docx's template with fonts,
sizes, A4 and pruned styles, made once per process) and the WordprocessingML fragments of
the body (runs, paragraph properties, tables) written as text.

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
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor, Twips

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
    if text.isprintable():  # nothing to drop or unify (most texts): no scan of the pattern
        return text.strip()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _XML_INVALID.sub("", text).strip()


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


_W_VAL = qn("w:val")


def _set_font_attrs(rfonts: Any) -> None:
    """Times New Roman for every script, with the theme attributes (which win) removed."""
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), FONT)


# -- WordprocessingML as text --------------------------------------------------------------
# The body is written as text, not as an lxml tree serialised at the end: a draft is ~350
# paragraphs and ~500 runs, and building, copying and serialising their elements was most of
# its CPU (issue 17). Each fragment is what python-docx (and the lxml writer before this one)
# wrote, element for element and in schema order; the formats are prepared once per process
# (cached by their values) and only the texts are escaped per rendering.

#: What a text needs before it goes between tags: markup, a carriage return (XML parsers
#: would read a raw one as a newline), and the characters XML 1.0 forbids.
_NEEDS_CARE = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape(text: str) -> str:
    """``text`` as XML character data: markup escaped, forbidden characters dropped."""
    if _NEEDS_CARE.search(text) is None:
        return text
    text = _XML_INVALID.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\r", "&#13;")


def _text(text: str) -> str:
    """A ``<w:t>``, keeping its outer spaces when it has any (as python-docx's ``add_t``)."""
    if text[0].isspace() or text[-1].isspace():
        return f'<w:t xml:space="preserve">{escape(text)}</w:t>'
    return f"<w:t>{escape(text)}</w:t>"


#: A tab and a line break inside a run, as python-docx's ``Run.text`` writes them.
_RUN_BREAKS = re.compile("([\t\r\n])")
_BREAK_XML = {"\t": "<w:tab/>", "\r": "<w:br/>", "\n": "<w:br/>"}


def run(
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    size: float | None = None,
    color: RGBColor | None = None,
) -> str:
    """A formatted run (``<w:r>``) of ``text``; nothing for an empty text."""
    return styled_run(text, run_properties(bold, italic, size, color))


def styled_run(text: str, properties: str) -> str:
    """A run of ``text`` with prepared properties (:func:`run_properties`); "" for no text."""
    if not text:
        return ""
    if "\n" not in text and "\t" not in text:
        return f"<w:r>{properties}{_text(text)}</w:r>"
    pieces = (_BREAK_XML.get(p) or _text(p) for p in _RUN_BREAKS.split(text) if p)
    return f"<w:r>{properties}{''.join(pieces)}</w:r>"


@cache
def run_properties(bold: bool, italic: bool, size: float | None, color: RGBColor | None) -> str:
    """``<w:rPr>`` of this format (children in schema order: b, i, color, sz, szCs)."""
    if not (bold or italic or size or color is not None):
        return ""
    xml = "<w:rPr>"
    if bold:
        xml += "<w:b/>"
    if italic:
        xml += "<w:i/>"
    if color is not None:
        xml += f'<w:color w:val="{color}"/>'
    if size:
        half_points = round(size * 2)
        xml += f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'
    return xml + "</w:rPr>"


#: A run holding one tab (to the dotted leader of a ``dotted_tab`` paragraph).
TAB_RUN = "<w:r><w:tab/></w:r>"
#: A paragraph holding a page break (``add_paragraph().add_run().add_break(PAGE)``).
PAGE_BREAK = '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'
#: The current page's number (a footer's "Trang 9").
PAGE_FIELD = '<w:fldSimple w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'
_DOTTED_TAB_POS = Cm(TEXT_WIDTH_CM).twips


def _twips_cm(value: float) -> int:
    return Cm(value).twips


@cache
def paragraph_properties(
    align: Any = None,
    indent_cm: float = 0.0,
    first_line_cm: float = 0.0,
    before_pt: float | None = None,
    after_pt: float | None = None,
    keep_next: bool = False,
    keep_lines: bool = False,
    dotted_tab: bool = False,
    tab_cm: float = 0.0,
    style: str = "",
) -> str:
    """``<w:pPr>`` of these values in schema order (pStyle, keepNext, keepLines, tabs,
    spacing, ind, jc), "" when they are all the defaults. ``dotted_tab``: a right tab with a
    dotted leader at the right margin; ``tab_cm``: a left tab there (a second field on the
    line: "Số căn cước")."""
    xml = f'<w:pStyle w:val="{style}"/>' if style else ""
    if keep_next:
        xml += "<w:keepNext/>"
    if keep_lines:
        xml += "<w:keepLines/>"
    if dotted_tab or tab_cm:
        xml += "<w:tabs>"
        if tab_cm:
            xml += f'<w:tab w:val="left" w:pos="{_twips_cm(tab_cm)}"/>'
        if dotted_tab:
            xml += f'<w:tab w:val="right" w:leader="dot" w:pos="{_DOTTED_TAB_POS}"/>'
        xml += "</w:tabs>"
    if before_pt is not None or after_pt is not None:
        before = "" if before_pt is None else f' w:before="{Pt(before_pt).twips}"'
        after = "" if after_pt is None else f' w:after="{Pt(after_pt).twips}"'
        xml += f"<w:spacing{before}{after}/>"
    if indent_cm or first_line_cm:
        left = f' w:left="{_twips_cm(indent_cm)}"' if indent_cm else ""
        first = f' w:firstLine="{_twips_cm(first_line_cm)}"' if first_line_cm else ""
        xml += f"<w:ind{left}{first}/>"
    if align is not None:
        xml += f'<w:jc w:val="{align.xml_value}"/>'
    return f"<w:pPr>{xml}</w:pPr>" if xml else ""


def paragraph(properties: str, runs: str) -> str:
    """A ``<w:p>`` of prepared properties and runs."""
    return f"<w:p>{properties}{runs}</w:p>"


# -- tables ----------------------------------------------------------------------------------
_TBL_LOOK = (
    '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0"'
    ' w:noHBand="0" w:noVBand="1" w:val="04A0"/>'
)


def _borders(tag: str, edges: Sequence[str], val: str, sz: int) -> str:
    attrs = f' w:sz="{sz}" w:space="0" w:color="auto"' if val != "nil" else ""
    inner = "".join(f'<w:{edge} w:val="{val}"{attrs}/>' for edge in edges)
    return f"<w:{tag}>{inner}</w:{tag}>"


@cache
def table_start(widths_cm: tuple[float, ...], borders: str) -> str:
    """A fixed-layout table's opening, its properties and grid: as wide as the text, with
    ``borders`` ("single", "nil") around and between its cells (Word reads the cells' widths,
    LibreOffice the grid's)."""
    edges = ("top", "left", "bottom", "right", "insideH", "insideV")
    columns = "".join(f'<w:gridCol w:w="{_twips_cm(w)}"/>' for w in widths_cm)
    return (
        '<w:tbl><w:tblPr><w:tblW w:type="auto" w:w="0"/>'
        f"{_borders('tblBorders', edges, borders, 4)}"
        f'<w:tblLayout w:type="fixed"/>{_TBL_LOOK}</w:tblPr>'
        f"<w:tblGrid>{columns}</w:tblGrid>"
    )


TABLE_END = "</w:tbl>"


@cache
def cell_start(width_cm: float, *, boxed: bool = False, centred: bool = False) -> str:
    """A cell's opening and properties: its width, a box around it (``boxed``), its content
    centred vertically (``centred``)."""
    box = _borders("tcBorders", ("top", "left", "bottom", "right"), "single", 8) if boxed else ""
    valign = '<w:vAlign w:val="center"/>' if centred else ""
    return f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{_twips_cm(width_cm)}"/>{box}{valign}</w:tcPr>'


CELL_END = "</w:tc>"
#: A row's properties: kept on one page; repeated at the top of each page (a header row).
ROW_KEPT = '<w:tr><w:trPr><w:cantSplit w:val="true"/></w:trPr>'
ROW_HEADER = '<w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>'
ROW = "<w:tr>"
ROW_END = "</w:tr>"


def row_exactly(height_cm: float) -> str:
    """A row's opening with its height fixed."""
    return f'<w:tr><w:trPr><w:trHeight w:val="{_twips_cm(height_cm)}" w:hRule="exact"/></w:trPr>'
