"""Cached, never-raising readers of the canonical strings stored in a dossier.

A dossier stores booklet text ("15/08/1997", "09/2019", "nay"); the checks need dates, month
indexes and word sets. Each string is parsed once per process (``lru_cache``), so running
every rule on every answer stays in the sub-millisecond range. Every reader returns ``None``
(or an empty value) on text it does not understand; the rule that owns the field reports it.
"""

from __future__ import annotations

import calendar
import itertools
import re
from datetime import date
from typing import NamedTuple

from forms import parsers, vn
from forms.memo import remembered
from forms.parsers import Month

# --- dates and months ------------------------------------------------------------------------
# The parsing itself is forms.parsers' (one reading of dates for the chat and the checks);
# this layer only caches it and turns ParseError into None.


@remembered(maxsize=4096)
def parse_date(text: str) -> date | None:
    """A date answer ("15/08/1997") → date; unreadable → None."""
    if blank(text):
        return None
    try:
        return parsers.parse_date(text)
    except Exception:  # ParseError, or anything odd: the owning rule reports it
        return None


def format_date(d: date) -> str:
    return parsers.format_date(d)


def format_month(m: Month) -> str:
    return parsers.format_month(m)


@remembered(maxsize=4096)
def parse_month(text: str) -> Month | None:
    """A month answer ("09/2019") → :class:`Month`; unreadable → None."""
    if blank(text):
        return None
    try:
        return parsers.parse_month(text)
    except Exception:
        return None


@remembered(maxsize=4096)
def is_now(text: str) -> bool:
    """Whether a period end reads "nay" (or "hiện nay", "đến nay"…)."""
    if blank(text):
        return False
    try:
        return parsers.parse_month_or_now(text) is None
    except Exception:
        return False


@remembered(maxsize=4096)
def parse_year(text: str) -> int | None:
    """A 4-digit year (1800–2100); the rules compare it with the reference date themselves."""
    if blank(text):
        return None
    try:
        return parsers.parse_year(text, min_year=1800, max_year=2100)
    except Exception:
        return None


class Span(NamedTuple):
    """A row's period; ``end`` is the current month when the row ends "nay" (``open``)."""

    start: Month
    end: Month
    open: bool

    @property
    def months(self) -> int:
        """Months covered, both ends included (02/2023–07/2023 → 6)."""
        return self.end - self.start + 1


@remembered(maxsize=4096)
def parse_span(tu: str, den: str, now: Month) -> Span | None:
    """Row keys tu/den → :class:`Span`; None when an end is unreadable or it runs backwards."""
    start = parse_month(tu)
    if start is None:
        return None
    if is_now(den):
        return Span(start, max(now, start), True)
    end = parse_month(den)
    if end is None or end < start:
        return None
    return Span(start, end, False)


def add_months(d: date, months: int) -> date:
    """``d`` shifted by whole months, clamping the day (31/01 + 1 month → 28/02 or 29/02)."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def add_years(d: date, years: int) -> date:
    return add_months(d, 12 * years)


def full_months(start: date, end: date) -> int:
    """Completed months from ``start`` to ``end`` (age "tính theo tháng").

    The inverse of :func:`add_months`: a month is complete on the same day of a later
    month, or on that month's last day when it has no such day (born 29/02/2008: 18 years
    complete on 28/02/2026, the date ``add_years`` gives).
    """
    months = (end.year - start.year) * 12 + end.month - start.month
    if end.day < start.day and end.day < calendar.monthrange(end.year, end.month)[1]:
        months -= 1
    return months


def age_text(months: int) -> str:
    years, rest = divmod(max(months, 0), 12)
    return f"{years} tuổi {rest} tháng" if rest else f"{years} tuổi"


# --- words -----------------------------------------------------------------------------------

#: Abbreviations common in booklets, expanded before comparing texts.
_ABBREVIATIONS = {
    "dh": "dai hoc",
    "cd": "cao dang",
    "thcs": "trung hoc co so",
    "thpt": "trung hoc pho thong",
    "cntt": "cong nghe thong tin",
    "ubnd": "uy ban nhan dan",
    "tnhh": "trach nhiem huu han",
    "cp": "co phan",
    "tp": "thanh pho",
    "llct": "ly luan chinh tri",
    "bch": "ban chap hanh",
    "ks": "ky su",
    "cn": "cu nhan",
    "ths": "thac si",
    "ts": "tien si",
    "gv": "giao vien",
    "sv": "sinh vien",
    "hs": "hoc sinh",
}


#: 256: its callers (:func:`units`, :func:`folded`) keep their own results, so it is asked
#: again only while they miss; a long free-text answer's words are kilobytes (issue 17: at
#: N = 500, 2 889 entries were 5.2 MB for 5 627 hits; 256 keep 5 249 of them).
@remembered(maxsize=256)
def words(text: str) -> tuple[str, ...]:
    """Accent-folded words with abbreviations expanded ("ĐH" → "dai hoc")."""
    out: list[str] = []
    for w in vn.match_key(text or "").split():
        out.extend(_ABBREVIATIONS.get(w, w).split())
    return tuple(out)


#: Phrases that carry no meaning for "is this the same job / diploma" comparisons.
_STOP_PHRASES = re.compile(
    r"\b(?:cong ty|hop dong lao dong|khong xac dinh thoi han|co thoi han|don vi|lam viec|"
    r"chuyen nganh|nganh|nam thu \w+|trinh do|chung chi|van bang|bang|giay chung nhan|"
    r"khung nang luc ngoai ngu|he)\b"
)
#: Single syllables with no meaning of their own in those comparisons.
_STOP = frozenset(
    ("va", "voi", "cua", "tai", "o", "cac", "nhung", "mot", "la", "cho", "tu", "den", "nay", "hien")
)
_SEGMENTS = re.compile(r"[,;:()\[\]\-–—/|.]+")


#: 1 024 (≈ 1.8 KB each): at N = 500 the texts compared are 1 141, with every hit kept.
@remembered(maxsize=1024)
def units(text: str) -> frozenset[str]:
    """Word pairs (syllable bigrams) of ``text``, the unit of :func:`similarity`.

    Vietnamese words are mostly two syllables, so pairs of neighbouring syllables inside a
    segment ("ky su", "phan mem") tell "giáo viên" from "sinh viên" where single syllables
    cannot. A segment of one syllable contributes that syllable.
    """
    out: set[str] = set()
    for segment in _SEGMENTS.split(vn.fold(text or "")):
        seg = " ".join(words(segment))
        seg = _STOP_PHRASES.sub(" ", seg)
        syllables = [w for w in seg.split() if w not in _STOP]
        if len(syllables) == 1:
            out.add(syllables[0])
        out.update(f"{x} {y}" for x, y in itertools.pairwise(syllables))
    return frozenset(out)


def coverage(needle: frozenset[str], haystack: frozenset[str]) -> float:
    """Share of ``needle``'s units found in ``haystack`` (1.0 when needle is empty)."""
    if not needle:
        return 1.0
    return len(needle & haystack) / len(needle)


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared units over the smaller set (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def similarity(a: str, b: str) -> float:
    """Shared word pairs over the smaller text's pairs: 1.0 = one text contains the other."""
    return overlap(units(a), units(b))


def covered(needle: str, haystack: str) -> float:
    """Share of ``needle``'s word pairs found in ``haystack``."""
    return coverage(units(needle), units(haystack))


#: 1 024: at N = 500 the texts searched are 2 585, 99.9 % of the hits kept at 1 024.
@remembered(maxsize=1024)
def folded(text: str) -> str:
    """Folded words joined by single spaces, abbreviations expanded, for phrase search."""
    return " " + " ".join(words(text)) + " "


def mentions(text: str, *phrases: str) -> bool:
    """Whether ``text`` contains one of the folded ``phrases`` as whole words."""
    hay = folded(text)
    return any(f" {p} " in hay for p in phrases)


def blank(text: object) -> bool:
    return not isinstance(text, str) or not text.strip()


def is_khong(text: str) -> bool:
    return vn.match_key(text or "") in ("khong", "khong co")


def is_unknown(text: object) -> bool:
    """ "không rõ": what the guidance lets a candidate write for a relative's date, place or
    cause of death they do not know (only where the field allows it, ``unknown_allowed``)."""
    return isinstance(text, str) and parsers.is_unknown(text)


# --- placeholders ----------------------------------------------------------------------------

_PLACEHOLDER = re.compile(
    r"\.{3,}|…|(?:\.\s){2,}\.|_{3,}|\[\s*\.*\s*\]|<\s*[^>]{0,20}\s*>|\b\d*x{2,}\b|\bTODO\b",
    re.IGNORECASE,
)


@remembered(maxsize=4096)
def placeholder(text: str) -> str | None:
    """The first placeholder in ``text`` ("...", "…", "3xx", "___"), or None."""
    m = _PLACEHOLDER.search(text or "")
    return m.group(0) if m else None


# --- choices of the form ---------------------------------------------------------------------


@remembered(maxsize=1024)
def ethnicity(text: str) -> str | None:
    """The official group a value names (a note may follow), or None."""
    try:
        return parsers.parse_ethnicity(text)
    except Exception:
        return None


@remembered(maxsize=1024)
def religion(text: str) -> str | None:
    """ "không" for no religion, the recognised religion's name, or None if unrecognised."""
    try:
        return parsers.recognised_religion(text)
    except Exception:
        return None


@remembered(maxsize=256)
def yes_no(text: str) -> bool | None:
    """ "có" → True, "không" → False, anything else → None."""
    if blank(text):
        return None
    try:
        return parsers.parse_yes_no(text)
    except Exception:
        return None
