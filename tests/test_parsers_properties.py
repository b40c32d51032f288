"""Properties of forms.parsers: any text in, only ParseError out; round trips; fixed points."""

from __future__ import annotations

import datetime as dt
import os

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from forms import parsers as p
from forms import vn
from forms.parsers import Month, ParseError, Period

# KND_HYPOTHESIS_EXAMPLES=5000 for a longer local run; CI keeps the suite fast.
SETTINGS = settings(
    max_examples=int(os.environ.get("KND_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Text people (and attackers) may send: anything, chat-ish alphabets, control characters,
# emoji, markup, and very long strings.
_CHATTY = st.lists(
    st.sampled_from(
        list("0123456789/.-–→ ,;:()'’\"<>&*?!\n\t\r\x00\x1b\u200b\u202e\u0301\u0323")
        + list("aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ")
        + list("áàảãạếềểễệốồổỗộớờởỡợứừửữựíìỉĩịýỳỷỹỵ")
        + ["😀", "👨\u200d👩\u200d👧", "🇻🇳", "\ud7ff", "\U0010fffd", "\ufeff"]
        + ["ngay ", "thang ", "nam ", "tu ", "den ", "nay", "khong", "kinh", "cap ", "12/12 "]
    ),
    max_size=40,
).map("".join)
TEXT = st.one_of(
    st.text(max_size=80),
    _CHATTY,
    st.text(max_size=12).map(lambda s: s * 900),  # up to ~10 000 characters
    st.sampled_from(["<", "&", "<b>", "&amp;", "", " ", "\x00", "ﷺ", "١٢/١٢/١٩٩٧"]),
)

STRING_PARSERS = [
    p.canonical_date,
    p.canonical_month,
    p.canonical_period,
    p.parse_full_name,
    p.parse_other_names,
    p.parse_gender,
    p.parse_religion,
    p.parse_ethnicity,
    p.parse_general_education,
    p.parse_political_theory,
]
OTHER_PARSERS = [
    p.parse_date,
    p.parse_month,
    p.parse_month_or_now,
    p.parse_period,
    p.parse_year,
    p.parse_yes_no,
    p.education_grade,
    p.political_theory_level,
    p.recognised_religion,
    p.is_upper_vietnamese_name,
    p.suggest_ethnicities,
    vn.clean_text,
]


@SETTINGS
@given(TEXT)
@example("a" * 10_000)
@example("<" * 10_000)
@example("15/8/1997" + "\x00" * 5000)
def test_any_text_raises_only_parse_error(text):
    for fn in STRING_PARSERS + OTHER_PARSERS:
        try:
            fn(text)
        except ParseError as exc:
            assert exc.key.startswith("parse.")
            assert isinstance(exc.message, str) and exc.message


@SETTINGS
@given(TEXT)
def test_canonical_outputs_are_fixed_points(text):
    for fn in STRING_PARSERS:
        try:
            value = fn(text)
        except ParseError:
            continue
        assert fn(value) == value, (fn.__name__, text, value)


@SETTINGS
@given(TEXT)
def test_clean_text_is_idempotent_and_clean(text):
    for multiline in (False, True):
        once = vn.clean_text(text, multiline=multiline)
        assert vn.clean_text(once, multiline=multiline) == once
        assert once == once.strip()
        assert "  " not in once and "\x00" not in once and "\r" not in once
        assert multiline or "\n" not in once


DATES = st.dates(min_value=dt.date(p.MIN_YEAR, 1, 1), max_value=dt.date(p.MAX_YEAR, 12, 31))
MONTHS = st.builds(Month, st.integers(p.MIN_YEAR, p.MAX_YEAR), st.integers(1, 12))


@SETTINGS
@given(DATES)
def test_date_round_trip(d):
    assert p.parse_date(p.format_date(d)) == d
    for text in (
        f"{d.day}-{d.month}-{d.year}",
        f"{d.day}.{d.month}.{d.year}",
        f"{d.day} {d.month} {d.year}",
        f"ngày {d.day} tháng {d.month} năm {d.year}",
        f"ngay {d.day:02d} thang {d.month:02d} nam {d.year}",
    ):
        assert p.parse_date(text) == d


@SETTINGS
@given(MONTHS)
def test_month_round_trip(m):
    assert p.parse_month(p.format_month(m)) == m
    assert p.parse_month(f"tháng {m.month} năm {m.year}") == m
    assert p.parse_month(f"T{m.month}-{m.year}") == m
    assert p.parse_month_or_now(str(m)) == m


@SETTINGS
@given(MONTHS, st.one_of(st.none(), st.integers(0, 600)))
def test_period_round_trip(start, length):
    end = (
        None
        if length is None
        else Month.from_index(min(start.index + length, p.MAX_YEAR * 12 + 11))
    )
    period = Period(start, end)
    a, b = p.format_period(period)
    for text in (f"{a} - {b}", f"từ {a} đến {b}", f"{a}-{b}", f"tu {a} den {b}", f"{a} → {b}"):
        assert p.parse_period(text) == period


@SETTINGS
@given(MONTHS, st.integers(-1200, 1200))
def test_month_arithmetic_is_consistent(m, n):
    moved = m + n
    assert moved - m == n == p.months_between(m, moved)
    assert moved - n == m
    assert (moved > m) == (n > 0)


_SYLLABLES = st.text(
    alphabet=st.sampled_from(sorted(vn.VIETNAMESE_LETTERS)), min_size=1, max_size=7
)


@SETTINGS
@given(st.lists(_SYLLABLES, min_size=2, max_size=5))
def test_names_become_capitals(words):
    text = " ".join(words)
    if len(text) > 80:
        return
    name = p.parse_full_name(text)
    assert name == vn.upper_vi(text)
    assert p.is_upper_vietnamese_name(name)
    assert p.parse_full_name(name.lower()) == name


@SETTINGS
@given(st.sampled_from(p.ethnicity_names()), st.sampled_from([str, vn.fold, str.upper]))
def test_every_ethnicity_typed_any_way(name, form):
    assert p.parse_ethnicity(form(name)) == name
    assert p.parse_ethnicity(vn.compact_key(name)) == name
