"""What a reader of a rendered booklet sees, written down so that two renderings can be
compared: every paragraph's text with its formatting (alignment, indents, spacing, keeps,
tabs; each run's bold, italic, size, colour), every table's widths, borders and cells, the
sections (page numbering, header and footer texts), and a digest of every part of the
package in canonical XML (the part holding today's date excepted).

``tests/data/snapshots/*.json`` hold the snapshots of samples A, B and C, draft and final,
as the renderer of 4ef17f4 wrote them (before the fast path of issue 17);
``tests/test_document_fast.py`` compares each new rendering with them. Regenerate only on a
deliberate change of the layout: ``python -m tests.document_snapshot --write``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

from forms.checks import run_checks
from forms.document import render_dossier
from tests.samples import load_sample

SNAPSHOTS = Path(__file__).resolve().parent / "data" / "snapshots"
CASES = [(name, draft) for name in ("a", "b", "c") for draft in (True, False)]
#: Parts whose content is the moment of rendering (created, modified): not compared.
VOLATILE_PARTS = {"docProps/core.xml"}

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def render_case(name: str, draft: bool) -> bytes:
    """The sample's booklet; a draft's flags computed on the sample's meeting day (not today,
    so the snapshot does not age)."""
    dossier = load_sample(name)
    flags = run_checks(dossier, today=dossier.meta.chi_bo_meeting) if draft else None
    return render_dossier(dossier, draft=draft, flags=flags)


def _props(el: Any) -> str:
    """An element's properties (pPr, rPr, tcPr…) as one sorted line: ``tag@attr=value``."""
    if el is None:
        return ""
    items = []
    for child in el.iter():
        if child is el:
            continue
        tag = child.tag.replace(W, "")
        attrs = ",".join(f"{k.replace(W, '')}={v}" for k, v in sorted(child.attrib.items()))
        items.append(f"{tag}[{attrs}]" if attrs else tag)
    return " ".join(items)


def _run_text(r: Any) -> str:
    parts = []
    for child in r:
        if child.tag == W + "t":
            parts.append(child.text or "")
        elif child.tag == W + "tab":
            parts.append("\\t")
        elif child.tag == W + "br":
            parts.append("\\n")
    return "".join(parts)


def _paragraph(p: Any, indent: str) -> list[str]:
    lines = [f"{indent}P {_props(p.find(W + 'pPr'))}"]
    for child in p:
        if child.tag == W + "r":
            lines.append(f"{indent}  R {_props(child.find(W + 'rPr'))} |{_run_text(child)}|")
        elif child.tag == W + "fldSimple":
            lines.append(f"{indent}  F {child.get(W + 'instr')}")
    return lines


def _block(el: Any, indent: str = "") -> list[str]:
    if el.tag == W + "p":
        return _paragraph(el, indent)
    if el.tag == W + "tbl":
        lines = [
            f"{indent}T {_props(el.find(W + 'tblPr'))}",
            f"{indent}G {_props(el.find(W + 'tblGrid'))}",
        ]
        for tr in el.iterchildren(W + "tr"):
            lines.append(f"{indent} TR {_props(tr.find(W + 'trPr'))}")
            for tc in tr.iterchildren(W + "tc"):
                lines.append(f"{indent}  TC {_props(tc.find(W + 'tcPr'))}")
                for block in tc:
                    if block.tag != W + "tcPr":
                        lines += _block(block, indent + "   ")
        return lines
    if el.tag == W + "sectPr":
        return [f"{indent}S {_props(el)}"]
    return [f"{indent}? {el.tag}"]


def layout(data: bytes) -> list[str]:
    """The document's body, headers and footers as lines (see the module docstring)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = sorted(package.namelist())
        body = etree.fromstring(package.read("word/document.xml")).find(W + "body")
        lines: list[str] = []
        for block in body:
            lines += _block(block)
            ppr = block.find(W + "pPr") if block.tag == W + "p" else None
            if ppr is not None and ppr.find(W + "sectPr") is not None:
                lines.append("-- section ends")
        for name in names:
            if name.startswith(("word/header", "word/footer")) and name.endswith(".xml"):
                lines.append(f"== {name}")
                for block in etree.fromstring(package.read(name)):
                    lines += _block(block)
    return lines


def digests(data: bytes) -> dict[str, str]:
    """sha256 of every part in canonical XML (bytes as they are for a part that is not XML)."""
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for name in sorted(package.namelist()):
            if name in VOLATILE_PARTS:
                continue
            raw = package.read(name)
            with contextlib.suppress(etree.XMLSyntaxError):  # not XML: its bytes
                raw = etree.tostring(etree.fromstring(raw), method="c14n")
            out[name] = hashlib.sha256(raw).hexdigest()
    return out


def snapshot(data: bytes) -> dict[str, Any]:
    return {"parts": digests(data), "layout": layout(data)}


def path_of(name: str, draft: bool) -> Path:
    return SNAPSHOTS / f"sample_{name}_{'draft' if draft else 'final'}.json"


def load(name: str, draft: bool) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(path_of(name, draft).read_text(encoding="utf-8"))
    return result


def write_all() -> None:
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    for name, draft in CASES:
        body = json.dumps(snapshot(render_case(name, draft)), ensure_ascii=False, indent=0)
        path_of(name, draft).write_text(body + "\n", encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write_all()
