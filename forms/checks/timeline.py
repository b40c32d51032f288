"""Timeline rules over items (14) and (15) read as one history in months (X4–X8, X10),
and education against training (X9).

Months come from :class:`forms.parsers.Month` (via ``values.parse_span``); "nay" is the
current month. Gaps and overlaps are counted with both ends included, so 06/2023–08/2024 is
15 months.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from functools import lru_cache

from forms import vn
from forms.checks import values as v
from forms.checks.core import ERROR, Ctx, Flag, msg, rule
from forms.checks.family import country_keys, country_name
from forms.dossier import Row
from forms.parsers import Month, education_grade

#: Months that may pass between two school periods of (14) (the summer holidays).
SCHOOL_BREAK = 3


def _sorted(ctx: Ctx, table_id: str) -> list[tuple[int, v.Span]]:
    spans = ctx.periods(table_id)
    return sorted(
        ((i, s) for i, s in enumerate(spans) if s is not None),
        key=lambda p: (p[1].start, p[1].end),
    )


def _snippet(row: Row, column: str, limit: int = 60) -> str:
    """The start of a cell for a message, cut at a word boundary."""
    text = " ".join(str(row.get(column, "")).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut}…"


def _months(a: Month, b: Month) -> str:
    """ "06/2023–08/2024", or one month "07/2024"."""
    if a == b:
        return v.format_month(a)
    return f"{v.format_month(a)}–{v.format_month(b)}"


Reach = tuple[int, v.Span]


def _takes_over(reach: Reach | None, span: v.Span, prefer_open: bool) -> bool:
    """Whether ``span`` reaches further than ``reach`` (an open period beats a closed one
    that ends later when ``prefer_open``)."""
    return (
        reach is None
        or span.end > reach[1].end
        or (prefer_open and span.open and not reach[1].open)
    )


def _steps(spans: list[Reach], *, prefer_open: bool = False) -> Iterator[tuple[Reach, int, v.Span]]:
    """Walk periods sorted by start: each period after the first, with the earlier period
    that reaches furthest."""
    reach: Reach | None = None
    for i, span in spans:
        if reach is not None:
            yield reach, i, span
        if _takes_over(reach, span, prefer_open):
            reach = (i, span)


def _furthest(spans: list[Reach], *, prefer_open: bool = False) -> Reach | None:
    """The period that reaches furthest (where :func:`_steps` ends up)."""
    reach: Reach | None = None
    for i, span in spans:
        if _takes_over(reach, span, prefer_open):
            reach = (i, span)
    return reach


def _gaps(
    ctx: Ctx,
    rule_id: str,
    number: int,
    table_id: str,
    column: str,
    *,
    allowed: int,
    prefer_open: bool = False,
) -> Iterator[Flag]:
    """One ``gap`` flag per hole of more than ``allowed`` months between the periods of a
    timeline table, naming the months missing and the periods on both sides."""
    rows = ctx.rows(table_id)
    for (before, reach), i, span in _steps(_sorted(ctx, table_id), prefer_open=prefer_open):
        gap = span.start - reach.end - 1
        if gap > allowed:
            yield ctx.flag(
                rule_id,
                number,
                f"{table_id}:{i}",
                msg(
                    rule_id,
                    "gap",
                    span=_months(reach.end + 1, span.start - 1),
                    months=gap,
                    before=_snippet(rows[before], column),
                    after=_snippet(rows[i], column),
                ),
                table=table_id,
                row=i,
            )


#: A date quoted in a narrative: "26/03/2017", "26-3-2017" (HD 38's example), "26.3.2017".
_DATE_IN_TEXT = re.compile(r"(?<![\d/.\-])\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}(?![\d/.\-]?\d)")
#: A month quoted after "tháng": "tháng 3/2017", "tháng 03-2017".
_MONTH_IN_TEXT = re.compile(r"\bth[aá]ng\s+(\d{1,2}[/.\-]\d{4})(?![/.\-]?\d)", re.IGNORECASE)


@rule(
    "X4",
    ERROR,
    needs=(14, 15),
    fields=("lich_su", "cong_tac", "ngay_vao_doan"),
    row_fields=(),
)
def x4_history(ctx: Ctx) -> Iterator[Flag]:
    """(14) runs without holes (a summer break of up to 3 months between school periods is
    normal) and hands over to (15): its last period ends at or just before the first period
    of (15). A Youth Union date quoted in (14) equals (12).

    (14) and (15) are one timeline, so a hole inside (14) and a hole at the hand-off are the
    same kind of mistake and are reported here, once each.
    """
    history = ctx.rows("lich_su")
    yield from _gaps(ctx, "X4", 14, "lich_su", "noi_dung", allowed=SCHOOL_BREAK)
    reach = _furthest(_sorted(ctx, "lich_su"))
    work = _sorted(ctx, "cong_tac")
    if reach is not None and work:
        yield from _handoff(ctx, reach, work[0])
    joined = v.parse_date(ctx.a("ngay_vao_doan"))
    if joined is None:
        return
    for i, row in enumerate(history):
        found = _other_youth_date(str(row.get("noi_dung", "")), joined)
        if found is not None:
            yield ctx.flag(
                "X4",
                14,
                f"doan:{i}",
                msg("X4", "youth_date", row=i + 1, found=found, joined=v.format_date(joined)),
                table="lich_su",
                row=i,
            )
            return


def _handoff(ctx: Ctx, last_period: Reach, first_period: Reach) -> Iterator[Flag]:
    """The end of (14) against the start of (15): a hole of more than a summer break, or
    (14) running on after (15) has begun.

    Running on is flagged on the last period of (14), where it is fixed: (14) only
    summarises up to the start of social activity, so that period is cut short. A hole
    stays on the first row of (15)."""
    (last_i, last), (first_i, first) = last_period, first_period
    gap = first.start - last.end - 1
    if gap > SCHOOL_BREAK:
        key, number, table, row = "handoff_gap", 15, "cong_tac", first_i
        extra = {"span": _months(last.end + 1, first.start - 1), "months": gap}
    elif last.end > first.start:
        key, number, table, row = "handoff_overlap", 14, "lich_su", last_i
        extra = {"row": last_i + 1}
    else:
        return
    text = msg("X4", key, last=v.format_month(last.end), first=v.format_month(first.start), **extra)
    yield ctx.flag("X4", number, "handoff", text, table=table, row=row)


def _other_youth_date(text: str, joined: date) -> str | None:
    """A Youth Union admission date (or "tháng mm/yyyy") quoted in ``text`` that is not
    ``joined``, as written; None when every quoted one agrees (or none is quoted)."""
    if not v.mentions(text, "doan"):
        return None
    for clause in re.split(r"[;.](?!\d)", text):
        if not (v.mentions(clause, "doan") and v.mentions(clause, "ket nap", "vao doan")):
            continue
        for found in _DATE_IN_TEXT.findall(clause):
            day = v.parse_date(found)
            if day is not None and day != joined:
                return found
        for found in _MONTH_IN_TEXT.findall(clause):
            month = v.parse_month(found)
            if month is not None and month != Month.of(joined):
                return found
    return None


@rule("X5", ERROR, needs=(15,), fields=("cong_tac",), row_fields=())
def x5_continuity(ctx: Ctx) -> Iterator[Flag]:
    """(15) covers every month from its first period to "nay": no month uncovered between
    periods, and the last period ends "nay". Rows written out of time order are a warning
    (the booklet is copied in order)."""
    work = _sorted(ctx, "cong_tac")
    if not work:
        return
    yield from _gaps(ctx, "X5", 15, "cong_tac", "viec", allowed=0, prefer_open=True)
    reach = _furthest(work, prefer_open=True)
    if reach is not None and not any(s.open for _, s in work):
        last_i, last = reach
        yield ctx.flag(
            "X5",
            15,
            "nay",
            msg(
                "X5",
                "not_now",
                row=last_i + 1,
                end=v.format_month(last.end),
                next=v.format_month(last.end + 1),
            ),
            table="cong_tac",
            row=last_i,
        )
    order = [i for i, _ in work]
    if order != sorted(order):
        yield ctx.flag("X5", 15, "order", msg("X5", "order"), table="cong_tac", severity="warning")


@rule("X6", "warning", needs=(15,), fields=("cong_tac",), row_fields=())
def x6_overlaps(ctx: Ctx) -> Iterator[Flag]:
    """Main-activity rows of (15) do not overlap; concurrent study or posts go in brackets,
    the "chức vụ" column or (17)."""
    for (before, reach), i, span in _steps(_sorted(ctx, "cong_tac")):
        if span.start <= reach.end:
            end = min(span.end, reach.end)
            yield ctx.flag(
                "X6",
                15,
                f"cong_tac:{i}",
                msg(
                    "X6",
                    "overlap",
                    a=before + 1,
                    b=i + 1,
                    span=_months(span.start, end),
                    months=end - span.start + 1,
                ),
                table="cong_tac",
                row=i,
            )


def _level(text: str) -> str | None:
    if v.mentions(text, "trung hoc co so", "cap 2", "cap ii", "pho thong co so"):
        return "thcs"
    if v.mentions(text, "trung hoc pho thong", "cap 3", "cap iii", "pho thong trung hoc"):
        return "thpt"
    if v.mentions(text, "tieu hoc", "cap 1", "cap i"):
        return "th"
    return None


#: Words of a (14) period spent before school (at home, nursery, kindergarten).
_BEFORE_SCHOOL = ("mau giao", "mam non", "nha tre", "o nha")


def _school_start(history: list[Row], hist: list[tuple[int, v.Span]]) -> tuple[int, v.Span] | None:
    """The (14) period where school starts: the first primary-school period, else the first
    period that is not spent at home or in kindergarten. (14) may begin earlier than school
    ("from childhood"), so the first period is not necessarily the first school year."""
    for i, span in hist:
        if _level(str(history[i].get("noi_dung", ""))) == "th":
            return i, span
    for i, span in hist:
        if not v.mentions(str(history[i].get("noi_dung", "")), *_BEFORE_SCHOOL):
            return i, span
    return None


@rule("X7", "warning", needs=(3, 14), fields=("lich_su",), row_fields=())
def x7_school_age(ctx: Ctx) -> Iterator[Flag]:
    """Heuristics on (14): school (the first primary-school period) starts at 5–8 years
    old, earlier periods at home or in kindergarten are fine; no period before birth; lower
    secondary not finished before 14; an upper-secondary period shorter than three school
    years while (11) says 12/12."""
    birth = ctx.birth
    if birth is None:
        return
    born = Month.of(birth)
    yield from _periods_before_birth(ctx, born)
    history = _sorted(ctx, "lich_su")
    yield from _school_start_age(ctx, born, history)
    yield from _school_levels(ctx, born, history)


def _periods_before_birth(ctx: Ctx, born: Month) -> Iterator[Flag]:
    for table_id, number in (("lich_su", 14), ("cong_tac", 15)):
        for i, span in _sorted(ctx, table_id):
            if span.start < born:
                yield ctx.flag(
                    "X7",
                    number,
                    f"{table_id}:{i}:birth",
                    msg(
                        "X7",
                        "before_birth",
                        ref=f"({number})",
                        row=i + 1,
                        start=v.format_month(span.start),
                    ),
                    table=table_id,
                    row=i,
                )


def _school_start_age(ctx: Ctx, born: Month, hist: list[tuple[int, v.Span]]) -> Iterator[Flag]:
    """School starts at 5–8 years old (60–96 months)."""
    school = _school_start(ctx.rows("lich_su"), hist)
    if school is None:
        return
    i, first = school
    age = first.start - born
    if first.start >= born and not 60 <= age <= 96:
        yield ctx.flag(
            "X7",
            14,
            f"lich_su:{i}:start",
            msg("X7", "school_start", start=v.format_month(first.start), age=v.age_text(age)),
            table="lich_su",
            row=i,
        )


def _school_levels(ctx: Ctx, born: Month, hist: list[tuple[int, v.Span]]) -> Iterator[Flag]:
    """Lower secondary not finished before 14; upper secondary at least 30 months when (11)
    says 12/12."""
    history = ctx.rows("lich_su")
    twelve = education_grade(ctx.a("giao_duc_pho_thong")) == (12, 12)
    for i, span in hist:
        level = _level(str(history[i].get("noi_dung", "")))
        if level == "thcs" and not span.open and span.end >= born and span.end - born < 14 * 12:
            yield ctx.flag(
                "X7",
                14,
                f"lich_su:{i}:thcs",
                msg(
                    "X7",
                    "thcs_young",
                    row=i + 1,
                    end=v.format_month(span.end),
                    age=v.age_text(span.end - born),
                ),
                table="lich_su",
                row=i,
            )
        elif level == "thpt" and twelve and not span.open and span.months < 30:
            yield ctx.flag(
                "X7",
                14,
                f"lich_su:{i}:thpt",
                msg(
                    "X7",
                    "thpt_short",
                    row=i + 1,
                    span=_months(span.start, span.end),
                    expected=v.format_month(span.start + 32),
                ),
                table="lich_su",
                row=i,
            )


_JOBLESS = ("chua co viec", "cho viec", "tim viec", "nghi viec", "that nghiep", "o nha")


@rule("X8", ERROR, needs=(10, 15), fields=("nghe_nghiep", "cong_tac"))
def x8_occupation(ctx: Ctx) -> Iterator[Flag]:
    """(10) and the "… – nay" row of (15) describe the same current job.

    Compared by shared word pairs after accent folding and abbreviation expansion (not by
    equality): "Kỹ sư phần mềm (hợp đồng…), Công ty TNHH Công nghệ Sao Mai" matches
    "Kỹ sư phần mềm, Công ty TNHH Công nghệ Sao Mai, phường Lạc Hồng". At least half of the
    shorter text's word pairs must be shared. No "nay" row is X5's to report.
    """
    job = ctx.a("nghe_nghiep")
    rows = ctx.rows("cong_tac")
    current = [(i, s) for i, s in _sorted(ctx, "cong_tac") if s.open]
    if not job or not current:
        return
    i, _ = current[-1]
    text = str(rows[i].get("viec", ""))
    if v.mentions(job, "chua co viec lam") and v.mentions(text, *_JOBLESS):
        return
    if v.similarity(job, text) >= 0.5:
        mine, theirs = _job_part(job), _job_part(text)
        if not mine or not theirs or v.similarity(mine, theirs) > 0:
            return
        # the same workplace named in both, but another job ("kế toán" / "công nhân may")
        yield ctx.flag(
            "X8",
            10,
            "nghe_nghiep",
            msg("X8", "other_job", job=job, row=i + 1, current=_snippet(rows[i], "viec", 90)),
            field="nghe_nghiep",
        )
        return
    yield ctx.flag(
        "X8",
        10,
        "nghe_nghiep",
        msg("X8", "differs", job=job, row=i + 1, current=_snippet(rows[i], "viec", 90)),
        field="nghe_nghiep",
    )


#: Words that start the workplace part of "job, workplace" ("Kế toán, Công ty TNHH May…").
_WORKPLACE = re.compile(
    r"(?:^| )(?:cong ty|cty|truong|benh vien|uy ban|xi nghiep|nha may|tap doan|ngan hang|"
    r"hop tac xa|chi nhanh|doanh nghiep|co quan|tai|dai hoc|trung tam|hoc vien)(?= )"
)


def _job_part(text: str) -> str:
    """The job of a "job, workplace" text: the words before the workplace ("" if none)."""
    folded = v.folded(text)
    m = _WORKPLACE.search(folded)
    return folded[: m.start()].strip() if m else ""


_DIPLOMA_FIELDS = (
    ("chuyen_mon", "Chuyên môn, nghiệp vụ"),
    ("hoc_vi", "Học vị"),
    ("ly_luan_chinh_tri", "Lý luận chính trị"),
    ("ngoai_ngu", "Ngoại ngữ"),
    ("tin_hoc", "Tin học"),
)
_DEGREES = (
    "cu nhan",
    "ky su",
    "thac si",
    "tien si",
    "bac si",
    "duoc si",
    "kien truc su",
    "cao dang",
    "trung cap",
    "so cap",
    "cao cap",
)


def _training_text(row: Row) -> str:
    return " | ".join(str(row.get(c, "")) for c in ("nganh", "van_bang", "truong"))


@rule(
    "X9",
    ERROR,
    needs=(11, 17),
    fields=("dao_tao", *(f for f, _ in _DIPLOMA_FIELDS)),
    row_fields=(),
)
def x9_diplomas(ctx: Ctx) -> Iterator[Flag]:
    """Every diploma named in (11) (chuyên môn, học vị, LLCT, ngoại ngữ, tin học) has its
    row in (17) (flagged on (17), where the row is added), and every degree in (17)'s
    diploma column is reflected in (11).

    Matching is fuzzy: at least half of the (11) text's word pairs appear in one (17) row
    (field, diploma or school). The check that degree study periods sit inside study periods
    of (15) is not done: short courses are taken while working and would be false alarms.
    """
    rows = ctx.rows("dao_tao")
    texts = [_training_text(r) for r in rows]
    for fid, label in _DIPLOMA_FIELDS:
        value = ctx.a(fid)
        if not value or v.is_khong(value):
            continue
        if any(v.covered(value, t) >= 0.5 for t in texts):
            continue
        # on (17), where the row is added (the message says so): its "Sửa mục" button and
        # its "Xong" show it there
        yield ctx.flag("X9", 17, fid, msg("X9", "missing_row", label=label, value=value), field=fid)
    declared = (
        " | ".join(ctx.a(f) for f, _ in _DIPLOMA_FIELDS) + " | " + ctx.a("khoa_hoc_cong_nghe")
    )
    for i, row in enumerate(rows):
        if not ctx.in_focus(i):
            continue
        diploma = str(row.get("van_bang", ""))
        for degree in _DEGREES:
            if v.mentions(diploma, degree) and not v.mentions(declared, degree):
                yield ctx.flag(
                    "X9",
                    17,
                    f"dao_tao:{i}",
                    msg("X9", "missing_in_11", row=i + 1, diploma=diploma.strip()),
                    table="dao_tao",
                    row=i,
                )
                break


#: A stay counts from month to month, as F13 counts it (02/2023–07/2023 is 5 months).
ABROAD_MONTHS = 3


def stay_months(span: v.Span) -> int:
    """The length of a stay abroad as (18) counts it (F13 and X10 share it)."""
    return span.end - span.start


@rule(
    "X10",
    "warning",
    needs=(15, 18),
    reads=(14,),
    fields=("nuoc_ngoai", "cong_tac", "lich_su"),
    row_fields=(),
)
def x10_abroad_history(ctx: Ctx) -> Iterator[Flag]:
    """Each stay of (18) falls inside a (15) period that mentions it (the country, or
    "nước ngoài"), or has a (15) row of its own; and each stay abroad of 3 months or more
    that (14) or (15) tells of ("02/2023-07/2023 học trao đổi tại Nhật Bản", a row "xuất
    khẩu lao động tại Đài Loan") has its row in (18).

    A stay shorter than 3 months is F13's: it does not belong in (18) at all, so X10 does
    not ask to add it to (15) (one piece of advice per stay)."""
    yield from _abroad_not_in_history(ctx)
    yield from _history_not_in_abroad(ctx)


def _abroad_not_in_history(ctx: Ctx) -> Iterator[Flag]:
    work_rows = ctx.rows("cong_tac")
    work = _sorted(ctx, "cong_tac")
    for i, row in enumerate(ctx.rows("nuoc_ngoai")):
        span = ctx.periods("nuoc_ngoai")[i]
        if span is None or (not span.open and stay_months(span) < ABROAD_MONTHS):
            continue
        country = str(row.get("nuoc", "")).strip()
        phrases = tuple(p for p in (" ".join(v.words(country)), "nuoc ngoai") if p)
        ok = False
        for j, w in work:
            text = f"{work_rows[j].get('viec', '')} {work_rows[j].get('chuc_vu', '')}"
            if w.start <= span.start and span.end <= w.end and v.mentions(text, *phrases):
                ok = True
                break
            if w.start == span.start and w.end == span.end:
                ok = True
                break
        if not ok:
            yield ctx.flag(
                "X10",
                18,
                f"nuoc_ngoai:{i}",
                msg(
                    "X10",
                    "not_in_15",
                    row=i + 1,
                    span=_months(span.start, span.end),
                    country=country,
                ),
                table="nuoc_ngoai",
                row=i,
            )


def _history_not_in_abroad(ctx: Ctx) -> Iterator[Flag]:
    abroad = [s for s in ctx.periods("nuoc_ngoai") if s is not None]
    for table_id, number, column in (("lich_su", 14, "noi_dung"), ("cong_tac", 15, "viec")):
        rows = ctx.rows(table_id)
        for i, span in enumerate(ctx.periods(table_id)):
            if span is None:
                continue
            for place, stay in _stays(str(rows[i].get(column, "")), span, ctx.now_month):
                if stay_months(stay) < ABROAD_MONTHS:
                    continue
                if any(a.start <= stay.end and stay.start <= a.end for a in abroad):
                    continue
                yield ctx.flag(
                    "X10",
                    18,
                    f"history:{table_id}:{i}",
                    msg(
                        "X10",
                        "not_in_18",
                        ref=f"({number})",
                        row=i + 1,
                        span=_months(stay.start, stay.end),
                        months=stay_months(stay),
                        place=place,
                    ),
                    table=table_id,
                    row=i,
                )
                break


#: Countries named after "tại", "ở", "sang", "đi", "nước" in a history row. Names that are
#: also ordinary words ("Anh", "Ý", "Đức", "Mỹ", "Nga", "Úc", "Áo", "Lào") count only at
#: the end of a phrase ("… tại Đức (Berlin)", not "tại y tế xã").
_AMBIGUOUS_COUNTRIES = frozenset({"anh", "y", "duc", "my", "nga", "uc", "ao", "lao", "bi", "phap"})
_PERIOD_IN_TEXT = re.compile(
    r"(\d{1,2}[/.\-]\d{4})\s*(?:-|–|—|đến|den|->|→)\s*(\d{1,2}[/.\-]\d{4}|nay)", re.IGNORECASE
)
_SEGMENT = re.compile(r"[;()\[\]]")


@lru_cache(maxsize=1)
def _country_pattern() -> re.Pattern[str]:
    names = sorted(country_keys(), key=len, reverse=True)
    plain = [re.escape(n) for n in names if n not in _AMBIGUOUS_COUNTRIES]
    short = [re.escape(n) for n in names if n in _AMBIGUOUS_COUNTRIES]
    return re.compile(
        r"\b(?:tai|o|sang|di|qua|nuoc)\s+(?:nuoc\s+)?"
        rf"((?:{'|'.join(plain)})\b|(?:{'|'.join(short)})(?=\s*$|\s*[,.;)(]))"
    )


#: A city then its country, after "tại", "ở", "sang", "qua": "tại Tokyo - Nhật Bản", "ở
#: Melbourne (Úc)". The city is one or two words, none naming a school or a firm ("tại
#: Trường Việt - Đức" is in Viet Nam).
_CITY_COUNTRY = re.compile(
    r"\b(tai|o|sang|qua)\s+((?:\w+\s+)?\w+)\s*(?:[-–—/]|\()\s*([^,.;()]*)\)?"
)
_NOT_CITY = frozenset(
    {"truong", "dai", "hoc", "vien", "cong", "ty", "trung", "tam", "benh", "khoa", "lop",
     "viet", "nam", "xa", "phuong", "tinh", "thanh", "pho", "huyen", "nha", "may", "doanh"}
)  # fmt: skip


def _city_country(text: str) -> str:
    """``text`` folded, with "tại Tokyo - Nhật Bản" / "ở Melbourne (Úc)" read as "tại Nhật
    Bản" / "ở Úc", so the country pattern finds them."""
    folded = vn.fold(text).lower()

    def rewrite(m: re.Match[str]) -> str:
        city, words = m.group(2).split(), m.group(3).split()
        if _NOT_CITY & set(city):
            return m.group(0)
        for k in range(len(words), 0, -1):
            if " ".join(words[:k]) in country_keys():
                return " ".join([m.group(1), *words[:k], ";", *words[k:]])
        return m.group(0)

    return _CITY_COUNTRY.sub(rewrite, folded)


def _stays(text: str, span: v.Span, now: Month) -> Iterator[tuple[str, v.Span]]:
    """(country as written, period) of each stay abroad a history row tells of: the period
    written next to it ("02/2023-07/2023 … tại Nhật Bản"), else the row's own period. A city
    before its country counts ("tại Tokyo - Nhật Bản", "ở Melbourne (Úc)")."""
    found = False
    for place, stay in _stays_named(text, span, now):
        found = True
        yield place, stay
    if not found:
        rewritten = _city_country(text)
        if rewritten != vn.fold(text).lower():
            yield from _stays_named(rewritten, span, now)


def _stays_named(text: str, span: v.Span, now: Month) -> Iterator[tuple[str, v.Span]]:
    for segment in _SEGMENT.split(text):
        folded = " ".join(vn.match_key(segment).split())
        m = _country_pattern().search(folded) or (
            re.search(r"\bnuoc ngoai\b", folded) if "nuoc ngoai" in folded else None
        )
        if m is None:
            continue
        place = country_name(m.group(1)) if m.lastindex else "nước ngoài"
        period = _PERIOD_IN_TEXT.search(segment)
        if period is not None:
            own = v.parse_span(period.group(1), period.group(2), now)
            if own is not None:
                yield place, own
                continue
        yield place, span
