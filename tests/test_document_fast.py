"""The fast renderer of issue 17 writes the booklet a reader saw before it: for samples A, B
and C, draft and final, every paragraph's text and formatting, every table, the sections,
headers and footers, and every part of the package (canonical XML; the creation time
excepted) are those of the renderer of 4ef17f4 (``tests/document_snapshot.py``)."""

from __future__ import annotations

import difflib
import io
import zipfile

import pytest

from forms.document import package as package_module
from tests.document_snapshot import CASES, load, render_case, snapshot
from tests.samples import load_sample


@pytest.mark.parametrize(("name", "draft"), CASES)
def test_the_booklet_reads_as_before(name: str, draft: bool) -> None:
    expected, now = load(name, draft), snapshot(render_case(name, draft))
    if now["layout"] != expected["layout"]:
        diff = difflib.unified_diff(expected["layout"], now["layout"], lineterm="", n=1)
        pytest.fail("the layout changed:\n" + "\n".join(list(diff)[:40]))
    assert now["parts"] == expected["parts"]


def test_the_package_is_a_sound_zip_and_keeps_no_personal_data() -> None:
    """Every member's checksum and size hold (zipfile reads each back); the members kept
    deflated between renderings (the unchanged parts) never include the candidate's name,
    which the body and the core properties carry."""
    data = render_case("a", True)
    name = load_sample("a").value("ho_ten").encode()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        assert name in package.read("word/document.xml")
        assert name in package.read("docProps/core.xml")
    kept = list(package_module._deflated)
    assert len(kept) > 10 and not any(name in blob for _, blob in kept)
