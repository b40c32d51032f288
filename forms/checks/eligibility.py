"""Eligibility and dossier rules: age (X1), Youth Union age (X2), introducers (X3, P4),
the "nhận thức về Đảng" certificate (P1, P2), dossier freshness (P3), religion consistency
(X16) and the signature name (X17).

Dates are judged on the chi bộ meeting date when it is known (``meta.chi_bo_meeting``),
otherwise on ``today``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

from forms import vn
from forms.checks import values as v
from forms.checks.core import ERROR, WARNING, Ctx, Flag, msg, rule
from forms.checks.family import affirmative_clauses
from forms.parsers import Month, is_upper_vietnamese_name

MEMBER = "Đảng viên chính thức"
YOUTH_RESOLUTION = "Nghị quyết BCH Đoàn cơ sở"
UNION_RESOLUTION = "Nghị quyết BCH Công đoàn cơ sở"
ADULT_MONTHS = 18 * 12
MAX_AGE_MONTHS = 60 * 12
YOUTH_MAX_YEARS = 30


@rule("X1", ERROR, needs=(3,), fields=("ngay_sinh",))
def x1_age(ctx: Ctx) -> Iterator[Flag]:
    """Full 18 years counted in months on the chi bộ meeting date (or today), at most 60.

    "At most 60" is read as not past the 60th birthday (60 years 0 months); older candidates
    need the provincial committee's written consent, which the message mentions.
    """
    birth = ctx.birth
    if birth is None or birth > ctx.ref_date:
        return
    months = v.full_months(birth, ctx.ref_date)
    if months < ADULT_MONTHS:
        yield ctx.flag(
            "X1",
            3,
            "ngay_sinh",
            msg(
                "X1",
                "too_young",
                when=ctx.ref_label,
                age=v.age_text(months),
                adult=v.format_date(v.add_years(birth, 18)),
            ),
            field="ngay_sinh",
        )
    elif months > MAX_AGE_MONTHS:
        yield ctx.flag(
            "X1",
            3,
            "ngay_sinh",
            msg("X1", "too_old", when=ctx.ref_label, age=v.age_text(months)),
            field="ngay_sinh",
        )


@rule("X2", ERROR, needs=(3, 12), reads=(23,), fields=("ngay_vao_doan", "ngay_ky"))
def x2_youth_union(ctx: Ctx) -> Iterator[Flag]:
    """(12): admitted to the Youth Union from 15 years + 1 day up to 30 (not past the 31st
    birthday), after birth, not in the future, and not after the day the biography was
    signed (23) or the chi bộ meeting: checked later, such a date is no longer "in the
    future" but still impossible."""
    text = ctx.a("ngay_vao_doan")
    if not text:
        return
    joined = v.parse_date(text)
    if joined is None:
        key = "month_only" if v.parse_month(text) is not None else "invalid"
        yield ctx.flag("X2", 12, "ngay_vao_doan", msg("X2", key, value=text), field="ngay_vao_doan")
        return
    if joined > ctx.today:
        yield ctx.flag(
            "X2", 12, "ngay_vao_doan", msg("X2", "future", value=text), field="ngay_vao_doan"
        )
        return
    for key, day in (
        ("after_signing", v.parse_date(ctx.a("ngay_ky"))),
        ("after_meeting", ctx.meeting),
    ):
        if day is not None and joined > day:
            yield ctx.flag(
                "X2",
                12,
                "ngay_vao_doan",
                msg("X2", key, value=text, day=v.format_date(day)),
                field="ngay_vao_doan",
            )
            return
    birth = ctx.birth
    if birth is None:
        return
    earliest = v.add_years(birth, 15) + timedelta(days=1)
    if joined <= birth:
        yield ctx.flag(
            "X2",
            12,
            "ngay_vao_doan",
            msg("X2", "before_birth", value=text, birth=v.format_date(birth)),
            field="ngay_vao_doan",
        )
    elif joined < earliest:
        age = v.age_text(v.full_months(birth, joined))
        yield ctx.flag(
            "X2",
            12,
            "ngay_vao_doan",
            msg("X2", "too_young", value=text, age=age, earliest=v.format_date(earliest)),
            field="ngay_vao_doan",
        )
    elif joined >= v.add_years(birth, YOUTH_MAX_YEARS + 1):
        yield ctx.flag(
            "X2",
            12,
            "ngay_vao_doan",
            msg("X2", "too_old", value=text, age=v.age_text(v.full_months(birth, joined))),
            field="ngay_vao_doan",
        )


def _kinds(ctx: Ctx) -> tuple[list[int], list[int], list[int]]:
    members, youth, union = [], [], []
    for i, row in enumerate(ctx.rows("gioi_thieu")):
        kind = str(row.get("loai", "")).strip()
        if kind == MEMBER:
            members.append(i)
        elif kind == YOUTH_RESOLUTION:
            youth.append(i)
        elif kind == UNION_RESOLUTION:
            union.append(i)
    return members, youth, union


@rule("X3", ERROR, needs=(), reads=(3, 12, 92), fields=("gioi_thieu",), row_fields=())
def x3_introducers(ctx: Ctx) -> Iterator[Flag]:
    """Who introduces: a Youth Union member of youth age (≤ 30 on the reference date) is
    introduced by the grassroots Youth Union committee's resolution plus one official
    member; anyone else by two official members, or the trade-union committee's resolution
    plus one official member. A Youth Union resolution for someone over youth age or not in
    the Youth Union is wrong. ``needs`` is empty: no introducer at all must be caught."""
    rows = ctx.rows("gioi_thieu")
    if not rows:
        if ctx.wants(92, "gioi_thieu"):
            yield ctx.flag("X3", 92, "", msg("X3", "none"), table="gioi_thieu")
        return
    members, youth, union = _kinds(ctx)
    birth = ctx.birth
    in_union = bool(ctx.a("ngay_vao_doan") or ctx.a("noi_vao_doan"))
    young = None
    if birth is not None:
        young = ctx.ref_date < v.add_years(birth, YOUTH_MAX_YEARS + 1)
    n = len(members)
    if youth and (young is False or not in_union):
        why = msg("X3", "not_youth_age") if young is False else msg("X3", "not_in_union")
        yield ctx.flag(
            "X3",
            92,
            "youth",
            msg("X3", "youth_not_allowed", why=why),
            table="gioi_thieu",
            row=youth[0],
        )
    elif not ctx.wants(92, "gioi_thieu"):
        return  # counting waits until the introducers are all entered
    elif young and in_union:
        if not youth or n < 1:
            yield ctx.flag(
                "X3",
                92,
                "",
                msg("X3", "youth_needed", members=n, resolutions=len(youth)),
                table="gioi_thieu",
            )
    elif young is None:
        if not (n >= 2 or ((youth or union) and n >= 1)):
            yield ctx.flag(
                "X3",
                92,
                "",
                msg("X3", "unknown_age", members=n, resolutions=len(youth) + len(union)),
                table="gioi_thieu",
            )
    elif not (n >= 2 or (union and n >= 1)):
        yield ctx.flag(
            "X3",
            92,
            "",
            msg("X3", "two_needed", members=n, union=len(union), young=bool(young)),
            table="gioi_thieu",
        )


@rule("P4", ERROR, needs=(92,), fields=("gioi_thieu",))
def p4_together(ctx: Ctx) -> Iterator[Flag]:
    """Each introducing official member has worked, studied or lived with the candidate for
    at least 12 months on the meeting date (or today): counted in months from "cùng công
    tác từ". Rows with an unreadable month are F12's."""
    ref = Month.of(ctx.ref_date)
    for i, row in enumerate(ctx.rows("gioi_thieu")):
        if str(row.get("loai", "")).strip() != MEMBER:
            continue
        since = v.parse_month(str(row.get("cung_cong_tac_tu", "")))
        if since is None:
            continue
        together = ref - since
        if together < 12:
            yield ctx.flag(
                "P4",
                92,
                f"gioi_thieu:{i}",
                msg(
                    "P4",
                    "short",
                    name=str(row.get("ten", "")).strip(),
                    since=v.format_month(since),
                    when=ctx.ref_label,
                    months=max(together, 0),
                    ready=v.format_month(since + 12),
                ),
                field="cung_cong_tac_tu",
                table="gioi_thieu",
                row=i,
            )


@rule("P1", ERROR, needs=(), reads=(91,), fields=("ngay_chung_nhan_ntvd",))
def p1_certificate(ctx: Ctx) -> Iterator[Flag]:
    """The certificate of the "bồi dưỡng nhận thức về Đảng" course exists: its date is a
    real date, not in the future, after the date of birth and not after the chi bộ
    meeting that considers the admission."""
    text = ctx.a("ngay_chung_nhan_ntvd")
    if not text:
        if ctx.wants(91, "ngay_chung_nhan_ntvd"):
            yield ctx.flag("P1", 91, "", msg("P1", "missing"), field="ngay_chung_nhan_ntvd")
        return
    day = v.parse_date(text)
    if day is None or day > ctx.today or (ctx.birth is not None and day <= ctx.birth):
        yield ctx.flag("P1", 91, "", msg("P1", "invalid", value=text), field="ngay_chung_nhan_ntvd")
    elif ctx.meeting is not None and day > ctx.meeting:
        yield ctx.flag(
            "P1",
            91,
            "",
            msg("P1", "after_meeting", value=text, when=ctx.ref_label),
            field="ngay_chung_nhan_ntvd",
        )


@rule("P2", ERROR, needs=(91,), fields=("ngay_chung_nhan_ntvd",))
def p2_certificate_age(ctx: Ctx) -> Iterator[Flag]:
    """The certificate is at most 60 months old on the meeting date (or today)."""
    dates = _lapsed(ctx, v.parse_date(ctx.a("ngay_chung_nhan_ntvd")), 60)
    if dates:
        yield ctx.flag("P2", 91, "", msg("P2", "expired", **dates), field="ngay_chung_nhan_ntvd")


@rule("P3", ERROR, needs=(), reads=(91, 92), fields=())
def p3_freshness(ctx: Ctx) -> Iterator[Flag]:
    """More than 12 months from opening the dossier (``meta.dossier_opened``) to the chi bộ
    decision (the meeting date, or today when none is set) makes the introduction letters,
    resolutions and mass-organisation comments stale: they must be redone. Whatever the
    dossier's age, an introducing Youth Union / trade-union resolution is at most 12 months
    old on that date (domain notes §3.2, step 10)."""
    for i, row in enumerate(ctx.rows("gioi_thieu")):
        if str(row.get("loai", "")).strip() == MEMBER:
            continue
        dates = _lapsed(ctx, v.parse_date(str(row.get("ngay_nghi_quyet", ""))), 12)
        if dates:
            body = str(row.get("ten", "")).strip()
            yield ctx.flag(
                "P3",
                92,
                f"gioi_thieu:{i}",
                msg("P3", "old_resolution", body=body, **dates),
                field="ngay_nghi_quyet",
                table="gioi_thieu",
                row=i,
            )
    dates = _lapsed(ctx, ctx.d.meta.dossier_opened, 12)
    if dates:
        yield ctx.flag("P3", 92, "", msg("P3", "stale", meeting=ctx.meeting is not None, **dates))


def _lapsed(ctx: Ctx, start: date | None, months: int) -> dict[str, str] | None:
    """The dates of a message when ``start`` + ``months`` is over on the reference date
    (``since``, ``expiry``, ``when``); None while it is still valid or ``start`` unknown."""
    if start is None:
        return None
    expiry = v.add_months(start, months)
    if ctx.ref_date <= expiry:
        return None
    return {"since": v.format_date(start), "expiry": v.format_date(expiry), "when": ctx.ref_label}


_OFFICE = (
    "chuc sac",
    "chuc viec",
    "linh muc",
    "giam muc",
    "hoa thuong",
    "thuong toa",
    "dai duc",
    "ni su",
    "ni truong",
    "muc su",
    "truyen dao",
    "giao su dao",
)


@rule("X16", WARNING, needs=(9, 16), fields=("ton_giao", "dac_diem_lich_su"))
def x16_religion(ctx: Ctx) -> Iterator[Flag]:
    """(9) and (16) agree about religion: a religious office written in (16) needs a
    religion in (9); a clerical rank in (9) must not be denied in (16)."""
    religion, history = ctx.a("ton_giao"), ctx.a("dac_diem_lich_su")
    if not religion or not history:
        return
    held = affirmative_clauses(history, _OFFICE)
    none = v.religion(religion) == "không"
    if held and none:
        yield ctx.flag(
            "X16",
            9,
            "ton_giao",
            msg("X16", "office_without_religion", clause=held[0]),
            field="ton_giao",
        )
    elif v.mentions(religion, *_OFFICE) and not held:
        yield ctx.flag(
            "X16",
            16,
            "dac_diem_lich_su",
            msg("X16", "office_missing", religion=religion),
            field="dac_diem_lich_su",
        )


@rule("X17", ERROR, needs=(1, 23), fields=("ky_ten", "ho_ten"))
def x17_signature(ctx: Ctx) -> Iterator[Flag]:
    """The name under the signature in (23) is exactly item (1).

    When both carry the same name in the same wrong (lower) case, F1 reports it once for
    both places and this rule stays silent.
    """
    name, signed = ctx.a("ho_ten"), ctx.a("ky_ten")
    if not name or not signed or signed == name or not _valid_name(name):
        return  # an invalid (1) is F1's: fixing it is the one correction
    same_person = vn.tone_key(signed) == vn.tone_key(name)
    if not same_person:
        yield ctx.flag(
            "X17", 23, "ky_ten", msg("X17", "differs", signed=signed, name=name), field="ky_ten"
        )
    elif re.sub(r"\s+", " ", signed) != name:
        yield ctx.flag(
            "X17", 23, "ky_ten", msg("X17", "case", signed=signed, name=name), field="ky_ten"
        )


def _valid_name(name: str) -> bool:
    """Item (1) as F1 accepts it: letters only, at least two words, in capitals."""
    letters_only = all(ch in " '" or vn.is_vietnamese_letter(ch) for ch in vn.nfc(name))
    return letters_only and len(name.split()) >= 2 and is_upper_vietnamese_name(name)
