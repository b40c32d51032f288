"""The drafts of samples A and B as pages (issue 15): converted with LibreOffice, read back
page by page, each item starts on the page that carries its booklet page number ("Trang N"),
every part fits the pages the booklet gives it, and the checklist and appendix follow,
unnumbered. The page images of sample B are kept under ``artifacts/`` for people to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from forms.definition import load_form
from forms.document import render_dossier
from tests.samples import ROOT, load_sample
from tests.test_document import FAKE_FLAGS, _hostile_dossier

BOOKLET = load_form().booklet
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
ARTIFACTS = ROOT / "artifacts" / "booklet_b"
#: Pages of each draft as LibreOffice lays it out: the cover, the booklet's parts (sample B's
#: family takes 7 of its 24 pages), the appendix and the checklist.
EXPECTED_PAGES = {"a": 17, "b": 20}

_ITEM = re.compile(r"^\s*\((\d{1,2})\) \S", re.M)
_FOOT = re.compile(r"Trang (\d+)\s*$")


def _convert(tmp_path: Path) -> dict[str, Path]:
    """Samples A and B, and the hostile dossier of tests/test_document.py (control
    characters, emoji, 10 000 characters), in one LibreOffice run."""
    paths = {}
    for name in EXPECTED_PAGES:
        docx = tmp_path / f"draft_{name}.docx"
        docx.write_bytes(render_dossier(load_sample(name), draft=True, flags=[]))
        paths[name] = docx
    hostile = tmp_path / "draft_hostile.docx"
    hostile.write_bytes(render_dossier(_hostile_dossier(), draft=True, flags=FAKE_FLAGS))
    paths["hostile"] = hostile
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *map(str, paths.values()),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    return {name: tmp_path / f"draft_{name}.pdf" for name in paths}


def _pages(pdf: Path) -> list[str]:
    from pypdf import PdfReader  # the [test] extra

    return [page.extract_text() or "" for page in PdfReader(pdf).pages]


def _keep_images(pdf: Path) -> None:
    """Page images as build artefacts (gitignored), when poppler's pdftoppm is there."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    subprocess.run(
        [pdftoppm, "-r", "60", "-png", str(pdf), str(ARTIFACTS / "page")],
        check=True,
        timeout=120,
    )


@pytest.mark.long(18)  # LibreOffice's conversion: started first (tests/conftest.py)
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (.ci/run installs it)")
def test_each_item_starts_on_its_booklet_page(tmp_path: Path) -> None:
    pdfs = _convert(tmp_path)
    _keep_images(pdfs["b"])
    # the hostile text converts too, longer than sample B it was made from
    assert len(_pages(pdfs.pop("hostile"))) > EXPECTED_PAGES["b"]
    for name, pdf in pdfs.items():
        pages = _pages(pdf)
        assert len(pages) == EXPECTED_PAGES[name], name
        feet = []
        for text in pages:
            lines = [line for line in text.splitlines() if line.strip()]
            foot = _FOOT.search(lines[-1]) if lines else None
            feet.append(int(foot.group(1)) if foot else None)
        assert feet[0] is None  # the cover has no number
        numbered = [n for n in feet if n is not None]
        # the booklet's pages, consecutive within a part, then the draft's own pages
        assert feet[1 : 1 + len(numbered)] == numbered
        assert all(n is None for n in feet[1 + len(numbered) :])
        assert "NHỮNG ĐIỂM CẦN XEM LẠI" in "".join(pages[1 + len(numbered) :])
        for part in BOOKLET.parts:
            used = [n for n in numbered if part.page <= n <= part.last_page]
            assert used and used[0] == part.page, (name, part.page)
            assert used == list(range(part.page, part.page + len(used)))  # within the part
        started = {}
        for text, foot in zip(pages, feet, strict=True):
            for number in _ITEM.findall(text):
                started.setdefault(int(number), foot)
        assert started == {n: BOOKLET.part_of(n).page for n in range(1, 27)}, name
    assert len(list(ARTIFACTS.glob("page-*.png"))) in (0, EXPECTED_PAGES["b"])
