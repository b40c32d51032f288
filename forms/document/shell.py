"""Everything of a booklet's package but its body, made once per process with python-docx.

Between two renderings only the body (``word/document.xml``'s paragraphs and tables) and the
core properties (the candidate's name, the time) change: the styles, the headers and footers,
the relationships, the content types and the closing section properties of every section
depend on the form and on whether it is a draft, nothing else. So the package is built once
per process for a sequence of sections, exactly as python-docx writes it (the base document,
the draft's header, a footer for the first numbered section and for the draft's unnumbered
end), and each rendering writes its body into it (:meth:`Shell.write`): no package copied,
no tree serialised, the unchanged members deflated once (issue 17).
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.section import Section
from docx.text.paragraph import Paragraph
from lxml.etree import SubElement

from forms.document.package import write_zip
from forms.document.word import new_document, set_core_properties

_W_P, _W_PPR = qn("w:p"), qn("w:pPr")
_W_FOOTER_REF, _W_HEADER_REF = qn("w:footerReference"), qn("w:headerReference")
_BODY, _CORE = "word/document.xml", "docProps/core.xml"
#: What the shell's core properties hold in place of the candidate's name and of the time.
_SUBJECT = "@@knd-subject@@"
_MOMENT = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
_W3CDTF = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Shell:
    """A booklet's package without its body: the members in python-docx's order, the body's
    head and tail, and the paragraph ending each section (its section properties)."""

    members: tuple[tuple[str, bytes], ...]
    head: str
    section_ends: tuple[str, ...]
    tail: str
    core: str

    def write(self, body: str, *, subject: str, now: datetime) -> bytes:
        """The .docx with ``body`` (the paragraphs and tables, each section closed by its
        ``section_ends`` paragraph) and these core properties."""
        core = self.core.replace(_MOMENT.strftime(_W3CDTF), now.strftime(_W3CDTF))
        core = core.replace(_SUBJECT, _escape(subject[:255]))
        document = f"{self.head}{body}{self.tail}".encode()
        fresh = {_BODY: document, _CORE: core.encode()}
        return write_zip([(name, fresh.get(name, blob)) for name, blob in self.members])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@cache
def shell_of(
    title: str, starts: tuple[int | None, ...], header: str, numbered: str, unnumbered: str
) -> Shell:
    """The package of a booklet titled ``title`` whose sections start at the booklet pages
    ``starts`` (None: a part not in the booklet); ``header``: the runs of every page's header
    ("" for none), ``numbered`` / ``unnumbered``: those of the footers of numbered pages and
    of the others."""
    doc = new_document()
    if header:  # every later section inherits the first one's header
        _fill(doc.sections[0].header.paragraphs[0], header)
    _sections(doc, starts, numbered, unnumbered)
    set_core_properties(doc, title=title, subject=_SUBJECT, now=_MOMENT)
    members = _members(doc)
    document = dict(members)[_BODY].decode("utf-8")
    head, rest = document.split("<w:body>", 1)
    inner, end = rest.split("</w:body>", 1)
    *ends, closing = inner.split("</w:p>")  # section ends hold no paragraph of their own
    if len(ends) != len(starts) or not closing.startswith("<w:sectPr"):
        raise ValueError("the base document's body is not empty")
    return Shell(
        members=tuple(members),
        head=f"{head}<w:body>",
        section_ends=tuple(f"{p}</w:p>" for p in ends),
        tail=f"{closing}</w:body>{end}",
        core=dict(members)[_CORE].decode("utf-8"),
    )


def _fill(paragraph: Paragraph, runs: str) -> None:
    """A header's or footer's paragraph centred, with ``runs`` (WordprocessingML text)."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    holder = parse_xml(f"<w:p {nsdecls('w')}>{runs}</w:p>")
    paragraph._p.extend(list(holder))


def _sections(doc: DocxDocument, starts: tuple[int | None, ...], numbered: str, other: str) -> None:
    """A section per start, as ``Document.add_section`` makes them without its searches: the
    closing section properties copied into a paragraph ending the section before (header and
    footer references kept), and the closing ones, without references, inherit them; a
    footer for the first numbered section (the later ones inherit it) and for each
    unnumbered one."""
    body = doc.element.body
    body_end = body.sectPr
    has_numbered_footer = False
    for start in starts:
        ended = deepcopy(body_end)
        p = SubElement(body, _W_P)
        body_end.addprevious(p)
        SubElement(p, _W_PPR).append(ended)
        for ref in body_end.findall(_W_FOOTER_REF) + body_end.findall(_W_HEADER_REF):
            body_end.remove(ref)
        page_numbering(body_end, start)
        if start is not None and has_numbered_footer:
            continue
        footer = Section(body_end, doc.part).footer
        footer.is_linked_to_previous = False
        _fill(footer.paragraphs[0], other if start is None else numbered)
        has_numbered_footer = has_numbered_footer or start is not None


def _members(doc: DocxDocument) -> list[tuple[str, bytes]]:
    """The package's members as python-docx's ``PackageWriter`` writes them, in its order."""
    package = doc.part.package
    recorder = _Recorder()
    parts = list(package.iter_parts())
    PackageWriter._write_content_types_stream(recorder, parts)
    PackageWriter._write_pkg_rels(recorder, package.rels)
    PackageWriter._write_parts(recorder, parts)  # type: ignore[arg-type]
    return recorder.members


class _Recorder:
    """python-docx's ``PhysPkgWriter`` interface, keeping what is written."""

    def __init__(self) -> None:
        self.members: list[tuple[str, bytes]] = []

    def write(self, pack_uri: Any, blob: bytes) -> None:
        self.members.append((pack_uri.membername, blob))


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
