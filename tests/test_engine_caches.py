"""What the engine's caches of pure work (issue 17) must not change: a text rendered once
for the same parameters reads as jinja renders it each time; a word read once is read as
before."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from forms import texts
from forms.classify import _Word, _words
from forms.vn import fold, has_diacritics, tone_key

_plain = st.one_of(st.text(max_size=12), st.integers(-5, 5), st.booleans(), st.none())


@settings(deadline=None)  # the first call compiles the text
@given(done=_plain, total=_plain, title=_plain)
def test_a_text_with_plain_parameters_reads_as_jinja_renders_it(done, total, title) -> None:
    params = {"n": 2, "of": 10, "title": title, "done": done, "total": total}
    fresh = texts._compiled("chat.part_header").render(**params)
    assert texts.message("chat.part_header", **params) == fresh
    assert texts.message("chat.part_header", **params) == fresh  # from the cache


def test_true_and_one_are_different_parameters() -> None:
    # True == 1 (and hashes alike), but jinja writes "True": the cache keeps them apart.
    one = texts.message("chat.stored", value=1)
    yes = texts.message("chat.stored", value=True)
    assert (one, yes) == ("Đã ghi: 1", "Đã ghi: True")


def test_a_list_parameter_is_rendered_each_time() -> None:
    names = ["Hà Nội"]
    first = texts.message("rules.F5.place_not_found", names=names, closest=[])
    names.append("Hải Phòng")
    assert texts.message("rules.F5.place_not_found", names=names, closest=[]) != first


@settings(deadline=None)
@given(st.text(max_size=40))
def test_a_word_read_once_is_read_as_before(text: str) -> None:
    expected = []
    for raw in re.findall(r"[^\W_]+", text, re.UNICODE):
        if has_diacritics(raw):
            expected.append(_Word(fold(raw), tone_key(raw)))
        else:
            expected.append(_Word(fold(raw), ""))
    got = _words(text)
    assert [w.toned for w in got] == [w.toned for w in expected]
    # aliases ("ko" → "khong") apply to words typed without diacritics only
    assert all(g.folded == e.folded or not e.toned for g, e in zip(got, expected, strict=True))
