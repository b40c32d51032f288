"""Platform-neutral parsers for what candidates type into the chat.

Candidates type on cheap phones, often without diacritics ("ngay 15 thang 8 nam 1997",
"phat giao", "hmong"). Each parser accepts the usual ways of writing a value and returns ONE
canonical form: the string exactly as it should be written in the booklet (the dossier stores
strings), plus typed helpers (``datetime.date``, :class:`Month`, :class:`Period`) for checks.

Contract: for any input (emoji, control characters, very long text, markup), a parser either
returns a value or raises :class:`ParseError`; nothing else escapes. The error's ``message``
is Vietnamese text from ``templates/parse.toml`` saying what was expected, with an example.
Canonical outputs are fixed points: ``parse(canonical) == canonical``.

Choices worth knowing:

* 2-digit years are rejected (a party biography is permanent; "97" must not silently become
  1997 or 2097). Compact "15081997" is read as ddmmyyyy; ISO "1997-08-15" is accepted.
* General education keeps the system word only when the candidate gave one: "12/12" stays
  "12/12" (we cannot know whether it was "phổ thông" or "bổ túc"); "12/12 pho thong" becomes
  "12/12 phổ thông"; "tốt nghiệp THPT" becomes "12/12 phổ thông", "tốt nghiệp THCS"
  becomes "9/12 phổ thông" (the school type is part of those words).
* Political theory is written "<level>" or "<level>, <tập trung|không tập trung>".
* Unknown religions are kept as typed (cleaned); the checks layer warns. Unknown ethnic
  groups are rejected with suggestions, because item (8) must be one of the 54 groups.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, overload

from forms import texts
from forms.framing import polite_only, polite_words, unframe
from forms.memo import remembered
from forms.vn import (
    VIETNAMESE_LETTERS,
    clean_text,
    compact_key,
    fold,
    has_diacritics,
    match_key,
    normalise_apostrophes,
    one_spelling,
    strip_edges,
    title_vi,
    tone_key,
    upper_vi,
)

__all__ = [
    "UNKNOWN",
    "Month",
    "ParseError",
    "Period",
    "canonical_date",
    "canonical_month",
    "canonical_period",
    "clean_text",
    "education_grade",
    "ethnicity_names",
    "format_date",
    "format_month",
    "format_period",
    "is_unknown",
    "is_upper_vietnamese_name",
    "months_between",
    "parse_date",
    "parse_ethnicity",
    "parse_full_name",
    "parse_gender",
    "parse_general_education",
    "parse_month",
    "parse_month_or_now",
    "parse_nationality",
    "parse_other_names",
    "parse_period",
    "parse_political_theory",
    "parse_religion",
    "parse_statement",
    "parse_year",
    "parse_yes_no",
    "political_theory_level",
    "recognised_religion",
    "suggest_ethnicities",
]

DATA_DIR = Path(__file__).resolve().parent / "data"

MIN_YEAR = 1900
MAX_YEAR = 2100
_SHORT_LIMIT = 100
_NAME_LIMIT = 80
_OTHER_NAMES_LIMIT = 200
_RELIGION_LIMIT = 300
_ETHNICITY_LIMIT = 200


class ParseError(ValueError):
    """Input could not be read. ``message`` is ready to send to the user.

    ``key`` is the catalogue key (``"parse.date.invalid"``), ``params`` the values rendered
    into the message (e.g. ``suggestions`` for an unknown ethnic group).
    """

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key if key.startswith("parse.") else f"parse.{key}"
        self.params: dict[str, Any] = params
        super().__init__(self.key)

    @property
    def message(self) -> str:
        """The text, rendered when read: most ParseErrors are caught and dropped (a yes/no
        tried on every typed text by the classifier), so none is rendered before."""
        return texts.message(self.key, **self.params)

    def __str__(self) -> str:
        return self.message

    @property
    def suggestions(self) -> list[str]:
        return list(self.params.get("suggestions", []))


def _cleaned(
    s: str, limit: int, *, empty_key: str | None = None, long_key: str = "general.too_long"
) -> str:
    text = clean_text(s)
    if not text and empty_key:
        raise ParseError(empty_key)
    if len(text) > limit:
        raise ParseError(long_key, limit=limit)
    return text


_PLACEHOLDER = re.compile(r"[\s\-–—._…/\\x*?]*", re.IGNORECASE)


def _is_placeholder(text: str) -> bool:
    """Dots, dashes and the like: what people leave instead of an answer (rule F17)."""
    return bool(_PLACEHOLDER.fullmatch(text))


# --- dates, months, periods ----------------------------------------------------------------

_NUMBERS = re.compile(r"[0-9]+(?:[\s/.\-,]+[0-9]+)*")
#: The polite words around a reply, folded (forms/data/framing.toml: "dạ chưa", "có nhé").
_POLITE_HEAD, _POLITE_TAIL = polite_words()
#: Words around a date or a year that say what it is, or are polite ("dạ", "ạ", "là"):
#: "sinh ngày 15/8/1997 ạ", "năm sinh là 1973".
_DATE_WORDS = re.compile(
    r"\b(?:ngay|mung|mong|thang|nam|sinh|vao|la|"
    + "|".join(sorted(_POLITE_HEAD | _POLITE_TAIL))
    + r")\b"
)
_MONTH_PREFIX = re.compile(r"\b(?:thang|th|t)\s*(?=[0-9])")
_MONTH_WORDS = re.compile(r"\b(?:thang|nam)\b")
#: Months named in words, as formal Vietnamese writes them ("tháng Ba", "tháng Giêng",
#: "tháng Chạp"), folded; «năm» (five) only before a year ("tháng năm năm 1998", "tháng
#: Năm 2012"), as «năm» is the year's own word too ("tháng 5 năm 2012").
_MONTH_NAMES = {
    "gieng": 1, "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6,
    "bay": 7, "tam": 8, "chin": 9, "muoi": 10, "muoi mot": 11, "muoi hai": 12, "chap": 12,
}  # fmt: skip
_MONTH_NAMED = re.compile(
    r"\bthang\s+(muoi mot|muoi hai|gieng|chap|mot|hai|ba|bon|tu|nam(?=\s+(?:nam\b|\d))|sau|bay"
    r"|tam|chin|muoi)\b"
)


def _months_in_digits(folded: str) -> str:
    """ "thang ba nam 1998" → "thang 3 nam 1998": a month named in words as its number."""
    if "thang" not in folded:
        return folded
    return _MONTH_NAMED.sub(lambda m: f"thang {_MONTH_NAMES[m.group(1)]}", folded)


def _number_groups(folded: str) -> list[str] | None:
    """Digit groups of "15 / 08 . 1997"; None if anything but separators sits between them."""
    text = folded.strip(" .,")
    if not text:
        return []
    if not _NUMBERS.fullmatch(text):
        return None
    return re.findall(r"[0-9]+", text)


def _full_years(yy: str, today: dt.date | None) -> list[str]:
    """The 4-digit years a 2-digit year may stand for (20yy only if not in the future of
    ``today``: the bot's clock, where the chat reads it; the system's date elsewhere)."""
    this_year = (today or dt.date.today()).year
    n = int(yy)
    years = [1900 + n]
    if 2000 + n <= this_year:
        years.append(2000 + n)
    years.sort(key=lambda y: abs(y - this_year + 30))  # likelier birth year first
    return [str(y) for y in years]


def _check_year(year: int, key: str, *, lo: int = MIN_YEAR, hi: int = MAX_YEAR) -> None:
    if not lo <= year <= hi:
        raise ParseError(key, min=lo, max=hi)


def parse_date(s: str, *, near: dt.date | None = None, today: dt.date | None = None) -> dt.date:
    """Read "15/8/1997", "15-08-1997", "15.8.1997", "15 8 1997", "ngày 15 tháng 8 năm 1997";
    with ``near`` (a date written about now: the signing date), a day and month without
    the year too ("7/12"), as the one of them nearest to ``near``. ``today`` (the bot's
    clock) tells which years "15/8/05" may mean."""
    text = _cleaned(s, _SHORT_LIMIT, empty_key="date.empty")
    groups = _number_groups(_DATE_WORDS.sub(" ", _months_in_digits(fold(text))))
    if not groups:
        raise ParseError("date.invalid")
    if len(groups) == 1 and len(groups[0]) == 8:
        g = groups[0]
        groups = [g[:2], g[2:4], g[4:]]
    if len(groups) == 2 and near is not None and (found := _day_month_near(groups, near)):
        return found
    if len(groups) == 2:
        raise ParseError("date.month_only")
    if len(groups) != 3:
        raise ParseError("date.invalid")
    if len(groups[0]) == 4:
        y, m, d = groups
    else:
        d, m, y = groups
    if len(d) > 2 or len(m) > 2:
        raise ParseError("date.invalid")
    if len(y) <= 2:
        head = f"{int(d):02d}/{int(m):02d}/"
        years = _full_years(y, today or near)
        raise ParseError("date.two_digit_year", examples=[head + y4 for y4 in years])
    if len(y) != 4:
        raise ParseError("date.invalid")
    day, month, year = int(d), int(m), int(y)
    if not 1 <= month <= 12:
        raise ParseError("date.bad_month")
    _check_year(year, "date.out_of_range")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise ParseError("date.no_such_day", day=day, month=month, year=year, days=days)
    return dt.date(year, month, day)


def _day_month_near(groups: list[str], near: dt.date) -> dt.date | None:
    """The day and month ``groups`` ("7", "12") in the year that puts them nearest ``near``."""
    if any(len(g) > 2 for g in groups):
        return None
    day, month = int(groups[0]), int(groups[1])
    found = []
    for year in (near.year - 1, near.year, near.year + 1):
        if 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]:
            found.append(dt.date(year, month, day))
    return min(found, key=lambda d: abs((d - near).days), default=None)


_DATE_AFTER_PLACE = re.compile(r"^(?P<place>.*\S)\s*(?:,\s*|\s+)(?P<date>(?:ngày|ngay)\s+\d.*)$")


def split_place_date(s: str) -> tuple[str, str] | None:
    """ "Hà Nội, ngày 7 tháng 12 năm 2026" → ("Hà Nội", "ngày 7 tháng 12 năm 2026"): a place
    and the date after it, as the booklet's signing line reads; None unless «ngày» and a
    number follow the place (the date question then says what is wrong with it), or the
    part after its last comma is a date."""
    text = s.strip()
    m = _DATE_AFTER_PLACE.match(text)
    if m and any(ch.isalpha() for ch in m["place"]):
        return m["place"].strip(" ,"), m["date"].strip()
    head, comma, tail = text.rpartition(",")
    if not comma or not any(ch.isalpha() for ch in head):
        return None
    try:
        parse_date(tail)
    except ParseError:
        return None
    return head.strip(), tail.strip()


#: A date at the head of a line, as a booklet's dotted line reads it ("26/3/2012, Chi đoàn …",
#: "ngày 26 tháng 3 năm 2012 tại …"), read on the folded text; the words after it the place's.
_DATE_HEAD = re.compile(
    r"\s*(?:ngay\s+)?(?:\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{4}"
    r"|\d{1,2}\s+thang\s+\d{1,2}\s*(?:,\s*)?nam\s+\d{4})(?![\w/])"
)
_PLACE_HEAD = re.compile(r"(?:tai|o)\s+")


def split_date_place(s: str) -> tuple[str, str] | None:
    """ "26/3/2012, Chi đoàn lớp 10A1" → ("26/3/2012", "Chi đoàn lớp 10A1"): a date and the
    place after it (its «tại» taken off), as the booklet's line "Ngày và nơi …" reads; None
    unless a date in figures begins ``s`` and words follow it."""
    text = s.strip()
    folded = fold(text)
    head = _DATE_HEAD.match(folded) if len(folded) == len(text) else None
    if head is None:
        return None
    rest = text[head.end() :].lstrip(_HEAD_GAP)
    if not rest[:1].isalpha() or polite_only(rest):
        return None
    place = _PLACE_HEAD.match(fold(rest))
    return text[: head.end()].strip(), rest[place.end() :] if place else rest


def format_date(d: dt.date) -> str:
    """Booklet form: "15/08/1997"."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def canonical_date(s: str) -> str:
    """Parse and format in one step: "ngay 15 thang 8 nam 1997" → "15/08/1997"."""
    return format_date(parse_date(s))


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month (tables (15), (17)–(20) are kept "by month").

    Ordered chronologically. ``m + 3`` / ``m - 3`` move by months; ``b - a`` between two months
    is the number of months from ``a`` to ``b``.
    """

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"invalid month {self.month}/{self.year}")

    @property
    def index(self) -> int:
        """Months since year 0: makes arithmetic and gaps simple integer maths."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    @classmethod
    def of(cls, d: dt.date) -> Month:
        return cls(d.year, d.month)

    def __add__(self, months: int) -> Month:
        if isinstance(months, bool) or not isinstance(months, int):
            return NotImplemented
        return Month.from_index(self.index + months)

    __radd__ = __add__

    @overload
    def __sub__(self, other: Month) -> int: ...
    @overload
    def __sub__(self, other: int) -> Month: ...
    def __sub__(self, other: Month | int) -> Month | int:
        if isinstance(other, Month):
            return self.index - other.index
        if isinstance(other, bool) or not isinstance(other, int):
            return NotImplemented
        return Month.from_index(self.index - other)

    def next(self) -> Month:
        return self + 1

    def prev(self) -> Month:
        return self - 1

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def __str__(self) -> str:
        return format_month(self)


def months_between(a: Month, b: Month) -> int:
    """Months from ``a`` to ``b`` (``b - a``): 09/2019 → 06/2024 is 57; add 1 to count both ends."""
    return b.index - a.index


def format_month(m: Month) -> str:
    """Booklet form: "08/1997"."""
    return f"{m.month:02d}/{m.year:04d}"


def parse_month(s: str, *, today: dt.date | None = None) -> Month:
    """Read "8/1997", "08-1997", "08.1997", "tháng 8/1997", "thang 8 nam 1997", "T8/1997";
    ``today`` (the bot's clock) tells which years "8/05" may mean."""
    text = _cleaned(s, _SHORT_LIMIT, empty_key="month.empty")
    folded = _MONTH_WORDS.sub(" ", _MONTH_PREFIX.sub(" ", _months_in_digits(fold(text))))
    groups = _number_groups(folded)
    if not groups:
        raise ParseError("month.invalid")
    if len(groups) == 3:
        raise ParseError("month.full_date")
    if len(groups) == 1 and len(groups[0]) == 4:
        raise ParseError("month.year_only", year=groups[0])
    if len(groups) == 1 and len(groups[0]) <= 2 and 1 <= int(groups[0]) <= 12:
        raise ParseError("month.no_year", month=f"{int(groups[0]):02d}")
    if len(groups) != 2:
        raise ParseError("month.invalid")
    if len(groups[0]) == 4 and len(groups[1]) <= 2:
        y, m = groups
    else:
        m, y = groups
    if len(m) > 2:
        raise ParseError("month.invalid")
    if len(y) <= 2:
        examples = [f"{int(m):02d}/{y4}" for y4 in _full_years(y, today)]
        raise ParseError("month.two_digit_year", examples=examples)
    if len(y) != 4:
        raise ParseError("month.invalid")
    month, year = int(m), int(y)
    if not 1 <= month <= 12:
        raise ParseError("month.bad_month")
    _check_year(year, "month.out_of_range")
    return Month(year, month)


def canonical_month(s: str) -> str:
    return format_month(parse_month(s))


#: The open end of a period, as it is written after «đến»/«tới» or a dash ("nay", "hiện
#: nay", "bây giờ", "giờ"), folded, longest first.
_NOW_ENDS = (
    "hien nay", "hien tai", "hien gio", "bay gio", "hom nay", "nay", "gio",
)  # fmt: skip
_NOW_WORDS = frozenset(
    {
        *_NOW_ENDS,
        *(f"{lead} {end}" for lead in ("den", "toi", "cho den", "cho toi") for end in _NOW_ENDS),
    }
)


def _is_now(text: str) -> bool:
    return match_key(text) in _NOW_WORDS


def parse_month_or_now(s: str, *, today: dt.date | None = None) -> Month | None:
    """Like :func:`parse_month`, but "nay", "hiện nay", "đến nay" … give ``None`` (open end)."""
    text = _cleaned(s, _SHORT_LIMIT)
    if _is_now(text):
        return None
    try:
        return parse_month(text, today=today)
    except ParseError as exc:
        if exc.key in ("parse.month.invalid", "parse.month.empty"):
            raise ParseError("month_or_now.invalid") from None
        raise


@dataclass(frozen=True, slots=True)
class Period:
    """From ``start`` to ``end`` inclusive; ``end is None`` means "nay" (still going on)."""

    start: Month
    end: Month | None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError("period ends before it starts")

    @property
    def is_open(self) -> bool:
        return self.end is None

    def end_or(self, now: Month) -> Month:
        """The end month, with "nay" resolved to ``now``."""
        return self.end if self.end is not None else now

    def __str__(self) -> str:
        start, end = format_period(self)
        return f"{start} - {end}"


_PERIOD_SEP = re.compile(r"\s*(?:\bden\b|\btoi\b|->|=>|-+>|→|⟶|–|—|~|-|>)\s*")
_STRONG_SEP = re.compile(r"\s*(?:den|toi|->|=>|-+>|→|⟶|~|>)\s*")


def parse_period(s: str, *, today: dt.date | None = None) -> Period:
    """Read "từ 9/2019 đến 6/2024", "9/2019 - nay", "09/2019-06/2024", "9/2019 → nay"
    (``today``: the bot's clock, for "9/19")."""
    text = _cleaned(s, _SHORT_LIMIT, empty_key="period.empty")
    folded = re.sub(r"^\s*tu\b", " ", fold(text)).strip()
    found: set[Period] = set()
    errors: list[tuple[bool, ParseError]] = []
    for m in _PERIOD_SEP.finditer(folded):
        left, right = folded[: m.start()], folded[m.end() :]
        if not left.strip() or not right.strip():
            continue
        strong = bool(_STRONG_SEP.fullmatch(m.group()))
        if _is_now(left):
            errors.append((strong, ParseError("period.open_start")))
            continue
        try:
            start = parse_month(left, today=today)
            end = parse_month_or_now(right, today=today)
        except ParseError as exc:
            errors.append((strong, exc))
            continue
        if end is not None and end < start:
            errors.append(
                (
                    True,
                    ParseError(
                        "period.start_after_end", start=format_month(start), end=format_month(end)
                    ),
                )
            )
            continue
        found.add(Period(start, end))
    if len(found) == 1:
        return found.pop()
    if not found:
        specific = [e for strong, e in errors if strong] or (
            [e for _, e in errors] if len(errors) == 1 else []
        )
        generic = ("parse.month.invalid", "parse.month_or_now.invalid", "parse.month.empty")
        for problem in specific:
            if problem.key not in generic:
                raise problem
        if any(e.key == "parse.period.start_after_end" for _, e in errors):
            raise next(e for _, e in errors if e.key == "parse.period.start_after_end")
    raise ParseError("period.invalid")


#: A period at the head of a line: "từ 9/2013 đến 6/2016", "t8/2020 - nay", "09/2019–06/2024",
#: "tháng 9 năm 2013 đến tháng 6 năm 2016"
#: (read on the folded text; the months with their year, as the booklet writes them).
_MONTH_HEAD = r"(?:thang|t)?\s*\d{1,2}\s*(?:[/.\-]|\s+nam\s+)\s*\d{4}"
_PERIOD_HEAD = re.compile(
    rf"\s*(?:tu\s+)?{_MONTH_HEAD}{_PERIOD_SEP.pattern}"
    rf"(?:{_MONTH_HEAD}|{'|'.join(_NOW_ENDS)})(?![\w/])"
)
#: What may stand between the period and the words after it.
_HEAD_GAP = " \t:;,.-–—)"


def split_period(s: str) -> tuple[str, str] | None:
    """A period at the head of ``s`` and the words after it, as a line of the booklet reads
    ("từ 9/2013 đến 6/2016 học THPT Lê Lợi, Hà Nội", "09/2019 - nay: kỹ sư, công ty ABC"):
    the period's text and the rest; None for any other text, a period alone included. The
    period has the shape of one, not always a valid one ("13/2020 - nay"): :func:`parse_period`
    says what is wrong with it."""
    text = s.strip()
    folded = fold(text)
    head = _PERIOD_HEAD.match(folded) if len(folded) == len(text) else None
    if head is None:
        return None
    rest = text[head.end() :].lstrip(_HEAD_GAP)
    if not any(ch.isalpha() for ch in rest) or polite_only(rest):
        return None
    return text[: head.end()].strip(), rest


#: One month at the head of a line where a period is asked ("tháng 7/2019 đi Nhật Bản du
#: lịch"): the period's start, its end not typed (a whole period is :data:`_PERIOD_HEAD`'s).
_START_HEAD = re.compile(rf"\s*(?:tu\s+|vao\s+)?{_MONTH_HEAD}(?![\w/])")


def split_start(s: str) -> tuple[str, str] | None:
    """A month alone at the head of a line where a period is asked, and the words after it
    ("tháng 7/2019 đi Nhật Bản du lịch" → "tháng 7/2019", "đi Nhật Bản du lịch"); None for
    any other text, a whole period's line (:func:`split_period`) or a month alone included."""
    text = s.strip()
    folded = fold(text)
    head = _START_HEAD.match(folded) if len(folded) == len(text) else None
    if head is None or split_period(text) is not None or _PERIOD_HEAD.match(folded):
        return None
    rest = text[head.end() :].lstrip(_HEAD_GAP)
    if not rest[:1].isalpha() or polite_only(rest) or fold(rest).split()[0] in ("den", "toi"):
        return None  # "7/2019 đến": a period without its end, which parse_period names
    return text[: head.end()].strip(), rest


#: A month at the head of a line ("6/2020 khiển trách …", "tháng 12/2020: …"), or a year alone
#: ("năm 2019 được … tặng bằng khen": the month question says what is missing); at its end, a
#: month after its last comma ("giấy khen của Giám đốc Sở, 12/2020"), or one named by its word,
#: «tháng» or «năm» ("Bằng khen của Thủ tướng năm 2020"; a bare "số 12/2020" is a number's).
_WHEN_HEAD = re.compile(rf"\s*(?:{_MONTH_HEAD}|nam\s+\d{{4}})(?![\w/])")
_NAMED_MONTH = r"(?:vao\s+|trong\s+)?(?:thang\s*\d{1,2}\s*(?:[/.\-]|\s+nam\s+)\s*\d{4}|nam\s+\d{4})"
_WHEN_TAIL = re.compile(
    rf"(?:[,;(]\s*(?:vao\s+)?{_MONTH_HEAD}|[,;(]?\s{_NAMED_MONTH})\s*\)?\s*[.]?\s*$"
)


def split_month(s: str) -> tuple[str, str] | None:
    """The month of a line that names one (an award's, a discipline's: :data:`_WHEN_HEAD`,
    :data:`_WHEN_TAIL`) and the words around it; None for any other text, a month alone
    included. As :func:`split_period`, the month's shape only: :func:`parse_month` reads it."""
    text = s.strip()
    folded = fold(text)
    if len(folded) != len(text):
        return None
    head = _WHEN_HEAD.match(folded)
    if head is not None:
        when, rest = text[: head.end()].strip(), text[head.end() :].lstrip(_HEAD_GAP)
    elif (tail := _WHEN_TAIL.search(folded)) is not None:
        when = text[tail.start() :].strip(" \t,;().")
        rest = text[: tail.start()].rstrip(_HEAD_GAP)
    else:
        return None
    if not any(ch.isalpha() for ch in rest):
        return None
    return when, rest


def starts_with_period(s: str) -> bool:
    """A period alone ("9/2013 - 6/2016") or at the head of a line (:func:`split_period`):
    what a timeline's row begins with."""
    if split_period(s) is not None:
        return True
    try:
        parse_period(s)
    except ParseError:
        return False
    return True


def format_period(p: Period) -> tuple[str, str]:
    """The two booklet cells: ("09/2019", "06/2024") or ("09/2019", "nay")."""
    return format_month(p.start), ("nay" if p.end is None else format_month(p.end))


def canonical_period(s: str) -> str:
    """Parse and format as one string: "tu 9/2019 den nay" → "09/2019 - nay"."""
    return str(parse_period(s))


#: "khoảng 1950", "tầm năm 1950": a year only remembered roughly (an old relative's)
_ABOUT = re.compile(r"\s*(?:khoang|tam|chung|do|uoc chung|hinh nhu|co le)\s+(?=(?:nam\s+)?\d)")


def parse_year(s: str, *, min_year: int = MIN_YEAR, max_year: int | None = None) -> int:
    """A 4-digit year between ``min_year`` and ``max_year`` (default: this year)."""
    text = _cleaned(s, _SHORT_LIMIT, empty_key="year.empty")
    folded = fold(text)
    about = _ABOUT.match(folded)
    digits = re.sub(r"\s+", "", _DATE_WORDS.sub(" ", folded[about.end() if about else 0 :]))
    digits = digits.strip(" .,:")
    hi = dt.date.today().year if max_year is None else max_year
    if re.fullmatch(r"[0-9]{4}", digits):
        year = int(digits)
        _check_year(year, "year.out_of_range", lo=min_year, hi=hi)
        if about:  # the booklet holds one year: the nearest, offered as a button
            raise ParseError("year.approximate", examples=[str(year)])
        return year
    if re.fullmatch(r"[0-9]{2}", digits):
        clock = None if max_year is None else dt.date(max_year, 12, 31)  # the chat's: today's
        raise ParseError("year.two_digit", examples=_full_years(digits, clock))
    dated = None if about else _year_of_date(text)  # "12/3/1945": its year
    if dated is None:
        raise ParseError("year.invalid")
    _check_year(dated, "year.out_of_range", lo=min_year, hi=hi)
    return dated


def _year_of_date(text: str) -> int | None:
    """The year of a whole date or a month typed where only the year is asked: people who
    know a parent's birthday type all of it, and the booklet holds its year."""
    for parse in (parse_date, parse_month):
        try:
            return parse(text).year
        except ParseError as e:
            last = _LAST_YEAR.search(text)
            if last and e.key.endswith(".out_of_range"):  # "12/3/1850": the range says so
                return int(last.group(1))
    return None


_LAST_YEAR = re.compile(r"(\d{4})\D*$")


# --- names ----------------------------------------------------------------------------------

_SPACE_AFTER_APOSTROPHE = re.compile(r"(?<=\w)'\s+")
_WORD_WITH_APOSTROPHES = re.compile(r"[^']+(?:'[^']+)*")


def _name_text(s: str) -> str:
    text = clean_text(normalise_apostrophes(s))
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()  # the full stop phone keyboards add after a "sentence"
    return _SPACE_AFTER_APOSTROPHE.sub("'", text)


def _check_name_chars(text: str, *, digits_key: str, symbols_key: str) -> None:
    for ch in text:
        if ch == " " or ch == "'" or ch in VIETNAMESE_LETTERS:
            continue
        raise ParseError(digits_key if ch.isdigit() else symbols_key)
    if not all(_WORD_WITH_APOSTROPHES.fullmatch(w) for w in text.split(" ")):
        raise ParseError(symbols_key)  # apostrophe only inside a word: H'Hen, not 'Hen


def parse_full_name(s: str) -> str:
    """Item (1): "nguyễn  văn hùng" → "NGUYỄN VĂN HÙNG".

    Letters of the Vietnamese alphabet only (plus an apostrophe inside a word, as in Ê-đê
    names like H'HEN), at least two words. Diacritics are kept exactly as typed.
    """
    text = _name_text(s)
    if not text:
        raise ParseError("name.empty")
    if len(text) > _NAME_LIMIT:
        raise ParseError("name.too_long", limit=_NAME_LIMIT)
    _check_name_chars(text, digits_key="name.digits", symbols_key="name.symbols")
    if len(text.split(" ")) < 2:
        raise ParseError("name.one_word")
    return upper_vi(text)


def is_upper_vietnamese_name(s: str) -> bool:
    """For rule F1: the text has letters and every letter is a capital ("LÊ HOÀNG NAM")."""
    text = clean_text(s)
    return any(ch.isalpha() for ch in text) and text == upper_vi(text)


_NONE_WORDS = frozenset(
    {"khong", "ko", "k", "kg", "khong co", "ko co", "chua co", "chua", "khong co ten khac"}
)


def parse_other_names(s: str) -> str:
    """Item (2): aliases in normal case, comma-separated; "không"/blank → "".

    A name typed all in lower or all in capitals is title-cased ("út mười" → "Út Mười");
    a mixed-case one is kept as typed.
    """
    text = _name_text(s)
    if not text or _is_placeholder(text) or match_key(text) in _NONE_WORDS:
        return ""
    if len(text) > _OTHER_NAMES_LIMIT:
        raise ParseError("other_names.too_long", limit=_OTHER_NAMES_LIMIT)
    parts = [p.strip() for p in re.split(r"[,;/]", text) if p.strip()]
    if not parts:
        return ""
    out = []
    for part in parts:
        _check_name_chars(
            part, digits_key="other_names.bad_chars", symbols_key="other_names.bad_chars"
        )
        out.append(title_vi(part) if part in (part.lower(), part.upper()) else part)
    return ", ".join(out)


# --- choices --------------------------------------------------------------------------------

_MALE = frozenset({"nam", "nam gioi", "trai", "con trai", "phai nam", "gioi tinh nam"})
_FEMALE = frozenset({"nu", "nu gioi", "gai", "con gai", "phai nu", "gioi tinh nu"})


def parse_gender(s: str) -> str:
    """Item (4): "nam", "nữ", "nu", "NU" → "nam" | "nữ"."""
    key = match_key(_cleaned(s, _SHORT_LIMIT))
    if key in _MALE:
        return "nam"
    if key in _FEMALE:
        return "nữ"
    raise ParseError("gender.invalid")


# "dung" is both "đúng" (right) and "dùng" (use the suggestion): yes either way.
_YES = frozenset(
    {
        "co", "c", "dung", "dung vay", "dung roi", "dung the", "vang", "da", "u", "uh", "um",
        "uhm", "uk", "ok", "oke", "okie", "oki", "okay", "yes", "y", "dong y", "co a", "vang a",
        "da vang", "duoc", "dc", "chinh xac", "chuan", "lay", "chon", "ok luon", "dung luon",
        "dung goi y", "dung cai nay", "lay cai nay", "co chu", "tat nhien",
    }
)  # fmt: skip
_NO = frozenset(
    {
        "khong", "ko", "k", "kg", "khg", "hong", "hok", "hk", "khong a", "chua", "chua co",
        "khong co", "khong dong y", "thoi", "khoi", "thoi khoi", "khong can", "ko can",
        "k can", "khong dung", "ko dung", "k dung", "sai", "sai roi", "khong phai", "ko phai",
        "no", "thoi khong", "khong lay", "khong chon",
    }
)  # fmt: skip
#: Written with diacritics these are not yes: "dừng" is the stop word, not "dùng"/"đúng".
_NOT_YES_TONED = frozenset({"dừng", "dừng lại", "đừng"})


_YES_MORE = frozenset(
    {
        "roi", "co roi", "da roi", "da co", "co a", "roi a",
        # the chat's own questions answered in their words: đã mất? đã kết hôn?
        "da mat", "mat roi", "da ket hon", "ket hon roi", "da ket hon roi", "da lap gia dinh",
        "co gia dinh", "co vo", "co chong", "co vo roi", "co chong roi",
    }
)  # fmt: skip
_NO_MORE = frozenset(
    {
        "ko co", "k co", "kg co", "hok co", "hong co", "chua tung", "chua bao gio",
        "khong bao gio", "con song", "van con song", "van con", "chua mat", "chua ket hon",
        "van song", "van khoe", "con khoe", "van con khoe",
        "chua lap gia dinh", "doc than", "chua co gia dinh", "chua co vo", "chua co chong",
    }
)  # fmt: skip
#: Chat spellings of "không" inside a longer reply ("ko xoa", "k can").
_NO_SPELLINGS = {"ko": "khong", "k": "khong", "kg": "khong", "khg": "khong", "hok": "khong",
                 "hong": "khong", "hk": "khong", "kh": "khong"}  # fmt: skip


def parse_yes_no(s: str, *, yes: tuple[str, ...] = (), no: tuple[str, ...] = ()) -> bool:
    """ "có", "co", "c", "ok", "ừ", "đúng", "dùng", "đồng ý", "vâng" → True; "không",
    "khong", "ko", "k", "thôi", "chưa", "không cần" → False.

    Questions "đã … chưa?" are answered "rồi" / "chưa"; a polite "dạ", "vâng" before the
    answer and "ạ", "nhé" after it are ignored ("Dạ chưa ạ" → False). ``yes`` / ``no`` are
    the question's own words for each side (its button labels: "Dùng gợi ý" / "Giữ nguyên",
    "Xóa" / "Không xóa"), read first. "dừng" typed with its diacritics is not "dùng".
    """
    text = _cleaned(s, _SHORT_LIMIT)
    if tone_key(text) in _NOT_YES_TONED:
        raise ParseError("yes_no.invalid")
    key = match_key(text)
    words = [_NO_SPELLINGS.get(w, w) for w in key.split()]  # "ko xoa" is "không xóa"
    while len(words) > 1 and words[-1] in _POLITE_TAIL:
        words.pop()
    if len(words) > 1 and words[0] in _POLITE_HEAD:
        words.pop(0)
    # and without a speaker: "em đồng ý ạ", "tôi không đồng ý" (forms/framing.py)
    framed = match_key(unframe(text, "yes_no"))
    candidates = tuple(dict.fromkeys((key, " ".join(words), framed)))
    for words_of_side, answer in ((no, False), (yes, True)):
        sides = {match_key(strip_edges(w)) for w in words_of_side}
        if any(c and c in sides for c in candidates):  # "xoa di" for the button «🗑 Xóa»
            return answer
    for candidate in candidates:
        if candidate in _YES or candidate in _YES_MORE:
            return True
        if candidate in _NO or candidate in _NO_MORE:
            return False
    raise ParseError("yes_no.invalid")


# --- "không rõ" and statements ----------------------------------------------------------

#: What the booklet says where the guidance allows a fact to be unknown (a relative's dates,
#: places, cause of death): written as such and reported to the chi bộ, never invented.
UNKNOWN = "không rõ"


@remembered(maxsize=4096)
def is_unknown(s: str) -> bool:
    """Whether a stored value is the canonical "không rõ" (any spelling of it)."""
    return match_key(clean_text(s)) in ("khong ro", "chua ro", "khong ro thong tin")


_BARE = frozenset({*_YES, *_YES_MORE, *_NO, *_NO_MORE, "co van de", "khong van de"})


def parse_statement(s: str, *, examples: tuple[str, ...] = ()) -> str:
    """An answer that must be a statement (the political standard, compliance with Party
    policy and the law, item (16)): a bare "không", "có", "k", "ok" is refused with
    ``examples`` of statements to write, because "chấp hành …: không" printed in a booklet is
    a damaging statement nobody meant. A statement is returned cleaned."""
    text = _cleaned(s, 3000, empty_key="statement.bare")
    words = match_key(text).split()
    while len(words) > 1 and words[0] in _POLITE_HEAD:
        words.pop(0)
    while len(words) > 1 and words[-1] in _POLITE_TAIL:
        words.pop()
    if not words or " ".join(words) in _BARE:
        raise ParseError("statement.bare", examples=list(examples))
    return text


# --- religion ------------------------------------------------------------------------------


@cache
def _religions() -> tuple[frozenset[str], dict[str, str]]:
    data = tomllib.loads((DATA_DIR / "religions.toml").read_text(encoding="utf-8"))
    none = frozenset(compact_key(w) for w in data["none"])
    names: dict[str, str] = {}
    for item in data["religion"]:
        for alias in (item["name"], *item["aliases"]):
            names[compact_key(alias)] = item["name"]
    return none, names


_HEAD = re.compile(r"^(?P<head>[^,;:(]+?)(?P<rest>\s*[,;:(].*)$")


_NO_HEAD = frozenset({"khong", "ko", "k", "kg", "hong", "chua"})


def parse_religion(s: str) -> str:
    """Item (9): "không"/"khong"/"ko"/"k" → "không"; known religions → their usual spelling.

    "phat giao" → "Phật giáo", "Công giáo, chức sắc: linh mục" stays (the religion part is
    normalised, the rest kept). Unknown religions are returned cleaned, not rejected.
    Blank or placeholder → ParseError asking to write "không".
    """
    text = _cleaned(s, _RELIGION_LIMIT, long_key="religion.too_long")
    if not text or _is_placeholder(text):
        raise ParseError("religion.empty")
    none, names = _religions()
    key = compact_key(text)
    if key in none:
        return "không"
    if key in names:
        return names[key]
    words = match_key(text).split()
    if words and words[0] in _NO_HEAD and not any(name in key for name in names):
        return "không"  # "không theo đạo gì cả", "chưa theo tôn giáo nào"
    m = _HEAD.match(text)
    if m and compact_key(m["head"]) in names:
        return names[compact_key(m["head"])] + m["rest"]
    return text


def recognised_religion(s: str) -> str | None:
    """The recognised religion a value names ("không" for none), or None if unrecognised."""
    try:
        value = parse_religion(s)
    except ParseError:
        return None
    names = _religions()[1]
    if value == "không":
        return value
    m = _HEAD.match(value)
    head = m["head"] if m else value
    return names.get(compact_key(head))


# --- nationality ---------------------------------------------------------------------------

#: What people type for Viet Nam (match keys).
_VIET_NAM = frozenset(
    {"vn", "viet nam", "vietnam", "viet", "nuoc viet nam", "vietnamese", "viet nam vn",
     "cong hoa xa hoi chu nghia viet nam", "chxhcn viet nam", "nuoc chxhcn viet nam"}
)  # fmt: skip
#: Words of a place inside a country, before its name: an address typed where the nationality
#: is asked. Typed with diacritics they must agree; without, only the words no country's name
#: holds ("nhat ban", "tay ban nha").
_PLACE_WORDS = re.compile(
    r"\b(?:thôn|xóm|ấp|bản|tổ|số|ngõ|ngách|hẻm|đường|phố|xã|phường|thị trấn|huyện|quận|thị xã"
    r"|tỉnh|thành phố|tp)\b(?=\s+\w)"
)
_PLACE_WORDS_FOLDED = re.compile(
    r"\b(?:thon|xom|ngo|ngach|hem|duong|pho|xa|phuong|thi tran|huyen|quan|thi xa|tinh|thanh pho"
    r"|tp)\b(?=\s+\w)"
)


def parse_nationality(s: str) -> str:
    """A relative's nationality: a country's name, each word capitalised ("nhật bản" → "Nhật
    Bản"); "VN", "viet nam" → "Việt Nam". A place ("thôn Đông, xã An Lạc…": the next
    question's answer typed here) or digits are no nationality."""
    text = _cleaned(s, _SHORT_LIMIT, empty_key="nationality.empty")
    if not text or _is_placeholder(text):
        raise ParseError("nationality.empty")
    key = match_key(text)
    if key in _VIET_NAM:
        return "Việt Nam"
    toned = has_diacritics(text)
    place = _PLACE_WORDS.search(tone_key(text)) if toned else _PLACE_WORDS_FOLDED.search(key)
    if place or any(ch.isdigit() for ch in text):
        raise ParseError("nationality.place", typed=text[:60])
    return title_vi(text)


# --- ethnicity -----------------------------------------------------------------------------


@cache
def _ethnic_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    data = tomllib.loads((DATA_DIR / "ethnicities.toml").read_text(encoding="utf-8"))
    return tuple(
        (g["name"], tuple(dict.fromkeys(compact_key(a) for a in (g["name"], *g["aliases"]))))
        for g in data["group"]
    )


@cache
def _ethnic_index() -> dict[str, str]:
    return {key: name for name, keys in _ethnic_groups() for key in keys}


def ethnicity_names() -> list[str]:
    """The 54 official names, most populous first (handy for buttons)."""
    return [name for name, _ in _ethnic_groups()]


def _ethnic_key(text: str) -> str:
    words = match_key(text).split()
    if words[:2] == ["dan", "toc"]:
        words = words[2:]
    elif words[:1] in (["nguoi"], ["dt"]):
        words = words[1:]
    return "".join(words)


def parse_ethnicity(s: str) -> str:
    """Item (8): one of the 54 groups, typed with or without diacritics, hyphens or spaces.

    "kinh" → "Kinh", "hmong"/"H'Mông" → "Mông", "khome"/"Khmer" → "Khơ-me", "ede" → "Ê-đê".
    A note after a comma/semicolon/bracket is kept ("Kinh; mẹ quốc tịch Lào, dân tộc Lào").
    Unknown → ParseError whose ``suggestions`` can become buttons.
    """
    text = _cleaned(s, _ETHNICITY_LIMIT, long_key="ethnicity.too_long")
    if not text or _is_placeholder(text):
        raise ParseError("ethnicity.empty")
    index = _ethnic_index()
    key = _ethnic_key(text)
    if key in index:
        return index[key]
    m = _HEAD.match(text)
    if m and _ethnic_key(m["head"]) in index:
        return index[_ethnic_key(m["head"])] + m["rest"]
    raise ParseError("ethnicity.unknown", suggestions=suggest_ethnicities(text))


def suggest_ethnicities(s: str, limit: int = 6) -> list[str]:
    """Candidates for what was typed: exact, then prefix, substring and fuzzy matches."""
    if limit <= 0:
        return []
    key = _ethnic_key(clean_text(s)[:60])
    groups = _ethnic_groups()
    if not key:
        return [name for name, _ in groups[:limit]]
    scored: list[tuple[float, int, str]] = []
    for order, (name, keys) in enumerate(groups):
        best: float | None = None
        for k in keys:
            if k == key:
                score = 0.0
            elif k.startswith(key):
                score = 1.0
            elif len(key) >= 3 and key in k:
                score = 2.0
            else:
                ratio = difflib.SequenceMatcher(None, key, k).ratio()
                score = 4.0 - ratio if ratio >= 0.7 else 9.0
            best = score if best is None else min(best, score)
        if best is not None and best < 9.0:
            scored.append((best, order, name))
    scored.sort()
    return [name for _, _, name in scored[:limit]]


# --- education -----------------------------------------------------------------------------

_SYSTEM_WORDS = {
    "pho thong": "phổ thông", "pt": "phổ thông", "he pho thong": "phổ thông",
    "bo tuc": "bổ túc", "bo tuc van hoa": "bổ túc", "btvh": "bổ túc", "bt": "bổ túc",
    "he bo tuc": "bổ túc", "gdtx": "bổ túc", "giao duc thuong xuyen": "bổ túc",
}  # fmt: skip
_GRADE = re.compile(r"^(?:lop\s*)?([0-9]{1,2})(?:\s*/\s*([0-9]{1,2}))?(?![0-9])(.*)$")
_SYSTEM_YEARS = re.compile(r"\s*\bhe\s+(?:[0-9]{1,2})\s+nam\b\s*")
#: "tốt nghiệp", "học hết", "đã học xong" before the grade or the level finished
_FINISHED = re.compile(r"^(?:da\s+)?(?:tot nghiep|hoc het|hoc xong|het|xong)\s+")
_GRADUATED = re.compile(
    r"^(?:(?P<pre>bo tuc|gdtx)\s+)?"
    r"(?P<level>thpt|ptth|trung hoc pho thong|pho thong trung hoc|cap 3|cap iii|"
    r"thcs|ptcs|trung hoc co so|pho thong co so|cap 2|cap ii)"
    r"(?:\s+(?P<post>bo tuc|he bo tuc|gdtx|pho thong|he pho thong))?$"
)


def parse_general_education(s: str) -> str:
    """Item (11) "giáo dục phổ thông": "12/12", "12/12 phổ thông", "9/12 bo tuc", "8/10";
    the level finished named ("tốt nghiệp THPT", "hết cấp 3", "THPT") is its grade of 12.

    See the module docstring for how the system word is handled.
    """
    text = _cleaned(s, _SHORT_LIMIT, empty_key="education.empty")
    words = " ".join(re.sub(r"[^\w/]+", " ", fold(text)).split())
    words = _FINISHED.sub("", _SYSTEM_YEARS.sub(" ", words).strip())
    grad = _GRADUATED.fullmatch(words)
    if grad:
        grade = (
            12
            if grad["level"]
            in ("thpt", "ptth", "trung hoc pho thong", "pho thong trung hoc", "cap 3", "cap iii")
            else 9
        )
        remedial = any(w and "pho thong" not in w for w in (grad["pre"], grad["post"]))
        return f"{grade}/12 {'bổ túc' if remedial else 'phổ thông'}"
    m = _GRADE.match(words)
    if not m:
        raise ParseError("education.invalid")
    grade, system_txt, tail = int(m[1]), m[2], m[3].strip()
    if system_txt is None:
        if not words.startswith("lop") or grade not in (11, 12):
            raise ParseError("education.invalid")
        system = 12
    else:
        system = int(system_txt)
    if tail and tail not in _SYSTEM_WORDS:
        raise ParseError("education.invalid")
    if system not in (10, 12):
        raise ParseError("education.bad_system")
    if not 1 <= grade <= system:
        raise ParseError("education.bad_grade", grade=grade, system=system)
    suffix = f" {_SYSTEM_WORDS[tail]}" if tail else ""
    return f"{grade}/{system}{suffix}"


def education_grade(s: str) -> tuple[int, int] | None:
    """(grade, system) of an education value, e.g. (9, 12); None if it cannot be read."""
    try:
        value = parse_general_education(s)
    except ParseError:
        return None
    grade, system = value.split(" ", 1)[0].split("/")
    return int(grade), int(system)


# --- political theory ----------------------------------------------------------------------

_LLCT_FILLER = re.compile(  # words as vn.one_spelling spells them
    r"\b(?:trinh do|bang|van bang|chung chi|li luan chinh tri|li luan|llct|chinh tri|"
    r"hinh thuc|he|da hoc|tot nghiep|hoc)\b"
)
_LLCT_LEVELS = {
    "so cap": "sơ cấp",
    "trung cap": "trung cấp",
    "cao cap": "cao cấp",
    "cu nhan": "cử nhân",
}
_LLCT_MODES = {
    "khong tap trung": "không tập trung", "tai chuc": "không tập trung",
    "vua hoc vua lam": "không tập trung", "tu xa": "không tập trung",
    "tap trung": "tập trung", "chinh quy": "tập trung",
}  # fmt: skip
_LLCT_MODE_WORDS = r"khong tap trung|tai chuc|vua hoc vua lam|tu xa|tap trung|chinh quy"
_LLCT = re.compile(
    rf"(?:(?P<mode_before>{_LLCT_MODE_WORDS})\s+)?(?P<level>so cap|trung cap|cao cap|cu nhan)"
    rf"(?:\s+(?P<mode>{_LLCT_MODE_WORDS}))?"
)
_LLCT_NONE = frozenset({"khong", "ko", "k", "kg", "chua", "chua co", "khong co"})


def parse_political_theory(s: str) -> str:
    """Item (11) "lý luận chính trị": "không" or "<level>[, tập trung|, không tập trung]".

    Levels: sơ cấp, trung cấp, cao cấp, cử nhân. "tại chức"/"vừa học vừa làm" count as
    "không tập trung", "chính quy" as "tập trung". The "nhận thức về Đảng" course is not a
    level and is rejected with an explanation (rule F11).
    """
    text = _cleaned(s, _SHORT_LIMIT, empty_key="political_theory.invalid")
    key = one_spelling(match_key(text))  # "lý luận", "lí luận": both read as "li luan"
    if re.search(r"\bnhan thuc\b|\bntvd\b|\bcam tinh\b", key):
        raise ParseError("political_theory.ntvd")
    key = " ".join(_LLCT_FILLER.sub(" ", key).split())
    if key in _LLCT_NONE:
        return "không"
    m = _LLCT.fullmatch(key)
    if not m:
        raise ParseError("political_theory.invalid")
    level = _LLCT_LEVELS[m["level"]]
    if m["mode"] and m["mode_before"]:
        raise ParseError("political_theory.invalid")
    mode = m["mode"] or m["mode_before"]
    return f"{level}, {_LLCT_MODES[mode]}" if mode else level


def political_theory_level(s: str) -> tuple[str, str | None] | None:
    """(level, mode) of a value, e.g. ("trung cấp", "không tập trung"); None if unreadable."""
    try:
        value = parse_political_theory(s)
    except ParseError:
        return None
    level, _, mode = value.partition(", ")
    return level, (mode or None)
