"""Typed text → canonical answer, by field kind (the only place the chat calls parsers).

Every kind maps to one parser of :mod:`forms.parsers` (or :mod:`forms.addresses`), so adding a
field of an existing kind to the form needs no code here. A failure is an
:class:`AnswerError` whose ``message`` is the Vietnamese text to show (what was expected and an
example) and whose ``options`` are likely answers to offer as buttons (ethnic groups close to
what was typed, the choices of a choice field…).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from forms import parsers as p
from forms.addresses import AddressAnalysis, analyse_address
from forms.classify import read_yes_no
from forms.diacritics import country_spelling, lacks_diacritics, suggest_diacritics
from forms.framing import unframe, without_polite_words
from forms.model import FieldDef, FormDef, Kind
from forms.texts import message
from forms.vn import clean_text, fold, has_diacritics, match_key
from handlers.candidate.texts import short, t


class AnswerError(ValueError):
    """The text is not a valid answer; ``message`` says why, in Vietnamese."""

    def __init__(self, message: str, options: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.options = options or []


@dataclass(frozen=True, slots=True)
class Parsed:
    """A valid answer: ``values`` by storage key (a period fills ``tu`` and ``den``).

    ``suggestion`` is a better way to write the answer that the chat offers to use instead
    of the typed text (``reason``): an address's new name ("new (trước đây là old)", ""), the
    closest real names of a place not found ("closest", the best first, ``others`` after),
    free text with its diacritics ("diacritics"). Free text typed without diacritics whose
    words are not all known has no suggestion, only its ``reason`` ("no_diacritics").
    """

    values: dict[str, str]
    suggestion: str | None = None
    others: tuple[str, ...] = ()
    reason: str = ""

    def said(self, item: int) -> str:
        """What the chat says of it once stored ("Đã ghi: …"), with F19 at once when it was
        typed without diacritics and no writing with them can be offered: the part's end,
        where F19 is otherwise said, may be many questions away."""
        if not self.text:
            return t("stored_empty")
        unaccented = item if self.reason == "no_diacritics" else None
        return t("stored", value=short(self.text), unaccented=unaccented)

    @property
    def text(self) -> str:
        """The answer as one line (a period as "09/2019 - nay")."""
        if set(self.values) == {"tu", "den"}:
            return f"{self.values['tu']} - {self.values['den']}"
        return next(iter(self.values.values()), "")


_TEXT_LIMIT = 500
_LONG_LIMIT = 3000


def parse_answer(
    field_def: FieldDef,
    text: str,
    *,
    form: FormDef,
    today: dt.date,
    period_start: str | None = None,
) -> Parsed:
    """The canonical answer to ``field_def`` for the typed ``text`` (or :class:`AnswerError`).

    ``period_start`` is a start month already chosen for a period question (the "Từ 07/2024"
    button): the text is then the end month ("nay" or mm/yyyy), or a whole period.
    """
    try:
        return _parse(field_def, text, form=form, today=today, period_start=period_start)
    except p.ParseError as exc:
        options = exc.suggestions
        if not options and field_def.kind in _WHOLE_EXAMPLES:
            options = [str(e) for e in exc.params.get("examples", [])]  # "5.3.90" → 05/03/1990
        raise AnswerError(exc.message, options) from None


def _yes_no(text: str, f: FieldDef) -> bool:
    """A yes or no, also said with the question's words ("là đảng viên", "không phải đảng
    viên": forms.classify.read_yes_no) or its own (``FieldDef.no_words``)."""
    try:
        return p.parse_yes_no(text, no=f.no_words)
    except p.ParseError:
        said = read_yes_no(text)
        if said is None:
            raise
        return said


# Kinds whose parse-error examples are whole answers (a period's are only one of its months).
_WHOLE_EXAMPLES = frozenset({Kind.DATE, Kind.MONTH, Kind.YEAR})


def _parse(
    f: FieldDef, text: str, *, form: FormDef, today: dt.date, period_start: str | None
) -> Parsed:
    kind = f.kind
    one = lambda value: Parsed({f.id: value})  # noqa: E731
    if not f.statement:
        text = unframe(text, kind, f.label, f.id)  # "Dạ, tên em là … ạ" (forms/framing.py)
    if f.unknown_allowed and p.is_unknown(text):
        return one(p.UNKNOWN)  # the guidance lets a relative's fact be "không rõ"
    if f.statement:
        statement = p.parse_statement(text, examples=f.statement_examples())
        return _with_diacritics(
            f, _free_text(statement, _LONG_LIMIT, multiline=kind is Kind.LONG_TEXT)
        )
    if kind is Kind.TEXT:
        value = _free_text(text, _TEXT_LIMIT, multiline=False)
        return (f.country and _country(f, value)) or _with_diacritics(f, value)
    if kind is Kind.LONG_TEXT:
        return _with_diacritics(f, _free_text(text, _LONG_LIMIT, multiline=True))
    if kind is Kind.NAME:
        return one(p.parse_full_name(text))
    if kind is Kind.OTHER_NAMES:
        return one(p.parse_other_names(text))
    if kind is Kind.DATE:
        return _date(f, text, today)
    if kind is Kind.MONTH:
        months = _RELATIVE_MONTHS.get(_said(text))
        if months is not None:
            return one(p.format_month(p.Month.of(today) + months))
        return one(p.format_month(p.parse_month(text, today=today)))
    if kind is Kind.PERIOD:
        return _period(text, period_start, today)
    if kind is Kind.YEAR:
        years = _RELATIVE_YEARS.get(_said(text))
        if years is not None:
            return one(str(today.year + years))
        return one(str(p.parse_year(text, max_year=today.year)))
    if kind is Kind.GENDER:
        return one(p.parse_gender(text))
    if kind is Kind.ETHNICITY:
        return one(p.parse_ethnicity(text))
    if kind is Kind.RELIGION:
        return one(p.parse_religion(text))
    if kind is Kind.NATIONALITY:
        value = p.parse_nationality(text)
        return _country(f, value) or one(value)
    if kind is Kind.EDUCATION:
        return one(p.parse_general_education(text))
    if kind is Kind.POLITICAL_THEORY:
        return one(p.parse_political_theory(text))
    if kind is Kind.YES_NO:
        return one("có" if _yes_no(text, f) else "không")
    if kind is Kind.CHOICE:
        return one(_choice(f, text))
    if kind is Kind.PLEDGE:
        return one(_pledge(text, form.pledge))
    if kind in (Kind.ADDRESS_ORIGIN, Kind.ADDRESS_RESIDENCE):
        return _address(f, text)
    return one(_free_text(text, _TEXT_LIMIT, multiline=False))  # pragma: no cover - new kind


def _address(f: FieldDef, text: str) -> Parsed:
    typed = _free_text(text, _TEXT_LIMIT, multiline=False)
    if f.kind is Kind.ADDRESS_RESIDENCE and typed == "không":
        return Parsed({f.id: typed})  # no thường trú: tạm trú is asked next
    if sum(ch.isalpha() for ch in typed) < 2:  # "1985", "5/3": not a place
        raise AnswerError(message("parse.address.no_letters"))
    analysis = analyse_address(
        typed, kind="origin" if f.kind is Kind.ADDRESS_ORIGIN else "residence"
    )
    closest = _closest_writings(typed, analysis, f.kind)
    if closest:  # a place not found: said plainly with real names, never a "new name"
        return Parsed({f.id: typed}, closest[0], closest[1:], "closest")
    if analysis.not_found:  # no whole writing to offer: kept, it is F21 (never re-written)
        return Parsed({f.id: typed})
    if analysis.suggestion and analysis.suggestion != typed:
        return Parsed({f.id: typed}, analysis.suggestion)
    return _with_diacritics(f, typed)


_COMMUNE_LEVELS = ("xa ", "phuong ", "thi tran ", "dac khu ")


def _closest_writings(typed: str, analysis: AddressAnalysis, kind: Kind) -> tuple[str, ...]:
    """The typed address with the commune (and what follows it, where a name is unknown)
    replaced by each of the closest real communes ("thôn Đông, " kept before it). Only
    where that is a whole answer: no bracket, a commune-level name found in the text. For
    a residence today's
    communes ("commune, province") come first; an old one (with its district) is offered
    too, since taking it is read again and today's name is offered next."""
    if "(" in typed:
        return ()
    folded = fold(typed).lower()
    starts = [folded.find(fold(name).lower()) for name in analysis.not_found]
    starts = [i for i in starts if i >= 0]
    if not starts:
        return ()
    detail = analysis.detail  # before the commune: kept, even where only the district is unknown
    cut = min(min(starts), len(detail))
    prefix = f"{typed[:cut].rstrip(' ,;')}, " if cut else ""
    communes = [c for c in analysis.closest if fold(c).lower().startswith(_COMMUNE_LEVELS)]
    if kind is Kind.ADDRESS_RESIDENCE:
        communes.sort(key=lambda c: c.count(",") != 1)  # stable: best first within each
    return tuple(prefix + c for c in communes)


def _with_diacritics(f: FieldDef, value: str) -> Parsed:
    """``value``, with its diacritised writing offered when it was typed without any (F19:
    the booklet is written with diacritics) and the words are known."""
    if lacks_diacritics(value):
        written = suggest_diacritics(value)
        if written and written != value:
            return Parsed({f.id: value}, written, reason="diacritics")
        return Parsed({f.id: value}, reason="no_diacritics")  # said at once, with no offer
    return Parsed({f.id: value})


def _country(f: FieldDef, value: str) -> Parsed | None:
    """A country's name typed without its diacritics («han quoc»; as a nationality, title-cased
    «Han Quoc»): the name as written is offered, stored as typed if declined (F19)."""
    written = None if has_diacritics(value) else country_spelling(value)
    return None if written is None else Parsed({f.id: value}, written, reason="diacritics")


def _free_text(text: str, limit: int, *, multiline: bool) -> str:
    value = clean_text(text, multiline=multiline)
    if not value:
        raise AnswerError(message("chat.errors.empty"))
    if len(value) > limit:
        raise AnswerError(message("parse.general.too_long", limit=limit))
    if not any(ch.isalpha() for ch in value):
        raise AnswerError(message("chat.errors.no_letters"))  # "9": a button number mistyped
    if match_key(value) in _NONE:
        return "không"  # typed on an unaccented keyboard; the booklet gets the word
    return value


#: "không" in chat spellings, and "chưa có" (the guidance: "chưa có thì ghi «không»").
_NONE = frozenset(
    {"khong", "ko", "kg", "hok", "hong", "khong co", "ko co", "k co", "kg co", "chua co",
     "chua", "khong a", "khong co a", "ko co a", "chua co a", "chua a", "hong co"}
)  # fmt: skip


def _date(f: FieldDef, text: str, today: dt.date) -> Parsed:
    """A date; one written about now (``FieldDef.near_today``: the signing date) read without
    its year too ("7/12"), and today's offered when it is far from today ("1/1/2020")."""
    days = _RELATIVE_DAYS.get(_said(text))
    if days == 0 or (days is not None and f.near_today):  # "hôm qua": about now only
        return Parsed({f.id: p.format_date(today + dt.timedelta(days=days))})
    date = p.parse_date(text, near=today if f.near_today else None, today=today)
    values = {f.id: p.format_date(date)}
    if f.near_today and abs((date - today).days) > f.near_today:
        return Parsed(values, suggestion=p.format_date(today), reason="far_date")
    return Parsed(values)


def _period(text: str, start: str | None, today: dt.date) -> Parsed:
    if start:
        try:
            end = p.parse_month_or_now(text, today=today)
        except p.ParseError:
            period = p.parse_period(text, today=today)  # a whole period typed after all
        else:
            begin = p.parse_month(start)
            if end is not None and end < begin:
                raise AnswerError(
                    message("parse.period.start_after_end", start=start, end=p.format_month(end))
                ) from None
            period = p.Period(begin, end)
    else:
        period = _whole_period(text, today)
    tu, den = p.format_period(period)
    return Parsed({"tu": tu, "den": den})


#: A date said by its distance from today, folded: "hôm nay" (the signing date, typed the
#: day it is signed) anywhere a date may be today; "hôm qua", "hôm kia", "ngày mai" only where
#: a date is written about now (``FieldDef.near_today``: the signing date).
_RELATIVE_DAYS = {
    "hom nay": 0, "ngay hom nay": 0, "bua nay": 0, "hnay": 0, "ngay nay": 0,
    "hom qua": -1, "ngay hom qua": -1, "hqua": -1, "bua qua": -1,
    "hom kia": -2, "ngay hom kia": -2, "bua kia": -2,
    "ngay mai": 1, "mai": 1, "sang mai": 1, "ngay kia": 2,
}  # fmt: skip
#: "tháng này", "tháng trước" for a month; "năm nay", "năm ngoái" for a year (a child born
#: this year, a grandparent who died last year)
_RELATIVE_MONTHS = {"thang nay": 0, "thang truoc": -1, "thang vua roi": -1}
_RELATIVE_YEARS = {"nam nay": 0, "trong nam nay": 0, "nam ngoai": -1, "nam truoc": -1,
                   "nam vua roi": -1, "nam roi": -1}  # fmt: skip


def _said(text: str) -> str:
    """``text`` folded, without its polite words ("dạ hôm qua ạ" → "hom qua")."""
    return " ".join(without_polite_words(match_key(text).split()))


def _whole_period(text: str, today: dt.date) -> p.Period:
    """A period typed whole, or one month written once ("09/2019": a trip abroad of a few
    weeks, a one-month class) as that month to itself."""
    try:
        return p.parse_period(text, today=today)
    except p.ParseError as exc:
        try:
            month = p.parse_month(text, today=today)
        except p.ParseError:
            raise exc from None
        return p.Period(month, month)


def _choice(f: FieldDef, text: str) -> str:
    """The choice typed: exactly, by its initials ("PGS" → Phó giáo sư), "ko" for "không",
    or by words that only one choice has ("dang vien" → Đảng viên chính thức)."""
    key = match_key(text)
    words = set(key.split())
    by_words = []
    for choice in f.choices:
        choice_key = match_key(choice)
        if choice_key == key:
            return choice
        if key in _NONE and choice_key == "khong":
            return choice
        if " " not in key and len(key) > 1 and key == "".join(w[0] for w in choice_key.split()):
            return choice
        if words and words <= set(choice_key.split()):
            by_words.append(choice)
    if len(by_words) == 1:
        return by_words[0]
    raise AnswerError(message("chat.errors.choice", choices=list(f.choices)), list(f.choices))


def _pledge(text: str, pledge: str) -> str:
    key = match_key(text)
    if key == match_key(pledge) or key in {match_key(w) for w in _PLEDGE_YES}:
        return pledge
    try:
        if p.parse_yes_no(text):
            return pledge
    except p.ParseError:
        pass
    raise AnswerError(message("chat.errors.pledge"))


_PLEDGE_YES = ("tôi cam đoan", "cam đoan", "xác nhận", "đồng ý")
