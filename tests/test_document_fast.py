"""The fast renderer of issue 17 writes the booklet a reader saw before it: for samples A, B
and C, draft and final, every paragraph's text and formatting, every table, the sections,
headers and footers, and every part of the package (canonical XML; the creation time
excepted) are those of the renderer of 4ef17f4 (``tests/document_snapshot.py``)."""

from __future__ import annotations

import difflib

import pytest

from tests.document_snapshot import CASES, load, render_case, snapshot


@pytest.mark.parametrize(("name", "draft"), CASES)
def test_the_booklet_reads_as_before(name: str, draft: bool) -> None:
    expected, now = load(name, draft), snapshot(render_case(name, draft))
    if now["layout"] != expected["layout"]:
        diff = difflib.unified_diff(expected["layout"], now["layout"], lineterm="", n=1)
        pytest.fail("the layout changed:\n" + "\n".join(list(diff)[:40]))
    assert now["parts"] == expected["parts"]
