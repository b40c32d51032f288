"""Single-field format rules F0–F23 (domain notes §2.1).

Each rule reads one item (or one table) and says how to write it. Blank required answers
are reported once: by the rule that owns the field (F1 name, F8 religion, F15 signature…)
or, for every other required field, by F0.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from forms import texts, vn
from forms.checks import values as v
from forms.checks.addresses import AddressProblem, address_problems
from forms.checks.core import WARNING, Ctx, Flag, msg, rule
from forms.checks.family import who
from forms.definition import load_form
from forms.dossier import Row
from forms.model import FieldDef, Kind, TableDef
from forms.parsers import education_grade, is_upper_vietnamese_name, political_theory_level

# Fields whose blank answer another rule reports (so F0 does not report it twice).
_OWNED_BLANKS = frozenset(
    {
        "ho_ten",  # F1
        "thuong_tru",  # F6 (thường trú may be "không" when tạm trú is given)
        "tam_tru",  # F6 (asked only when there is no thường trú)
        "ton_giao",  # F8
        "cam_doan",  # F15
        "noi_ky",
        "ngay_ky",
        "ky_ten",
        "ngay_chung_nhan_ntvd",  # P1
        *(f.id for f in load_form().relatives_item().fields),  # X11: the gates of item (21)
    }
)
# Items the candidate may legitimately leave out entirely ("nếu có"); 91 is owned by P1.
_OPTIONAL_ITEMS = frozenset({12, 13, 91})


def _required_fields() -> tuple[tuple[int, str, FieldDef], ...]:
    form = load_form()
    out = []
    for item in form.items():
        if item.reviewer_only:
            continue
        for f in item.fields:
            if f.required and f.id not in _OWNED_BLANKS:
                out.append((item.number, f.id, f))
    return tuple(out)


_REQUIRED = _required_fields()
#: :data:`_REQUIRED` by field id: a check_field run reports a blank only in the field just
#: answered (``Ctx.wants``), so F0 reads that field's entry, not the ~30 others.
_REQUIRED_BY_ID: dict[str, tuple[tuple[int, str, FieldDef], ...]] = {}
for _entry in _REQUIRED:
    _REQUIRED_BY_ID[_entry[1]] = (*_REQUIRED_BY_ID.get(_entry[1], ()), _entry)


@rule(
    "F0",
    "error",
    needs=(),
    reads=tuple(sorted({n for n, _, _ in _REQUIRED})),
    fields=tuple(fid for _, fid, _ in _REQUIRED),
)
def f0_required(ctx: Ctx) -> Iterator[Flag]:
    """Every required answer is given.

    Not in the domain list (F1–F17 each check one format); added so that a blank line of
    (11), (16), (22)… blocks submission. Optional items ((12), (13), the certificate place)
    are only required once the item has been started.
    """
    required = _REQUIRED if ctx.focus is None else _REQUIRED_BY_ID.get(ctx.focus, ())
    for number, fid, field_def in required:
        if ctx.a(fid) or not ctx.wants(number, fid):
            continue
        if number in _OPTIONAL_ITEMS and not ctx.answered(number):
            continue
        if field_def.when is not None and not field_def.applies(ctx.d.answers):
            continue
        khong = "không" in (*field_def.suggestions, *field_def.choices)
        yield ctx.flag(
            "F0",
            number,
            fid,
            msg("F0", "missing", ref=_ref(number), label=field_def.label, khong=khong),
            field=fid,
        )


def _ref(number: int) -> str:
    return f"Mục ({number})" if number <= 26 else "Hồ sơ"


@rule("F1", "error", needs=(1,), fields=("ho_ten", "ky_ten"))
def f1_name(ctx: Ctx) -> Iterator[Flag]:
    """Item (1) is the birth-certificate name in CAPITALS with diacritics, at least two words.

    When the signature line of (23) repeats the same name in the same wrong case, this one
    error also asks to fix the signature (X17 then stays silent: it is one mistake).
    """
    name = ctx.a("ho_ten")
    if not name:
        if ctx.wants(1, "ho_ten"):
            yield ctx.flag("F1", 1, "ho_ten", msg("F1", "missing"), field="ho_ten")
        return
    bad_chars = any(not (ch in " '" or vn.is_vietnamese_letter(ch)) for ch in vn.nfc(name))
    if bad_chars:
        yield ctx.flag("F1", 1, "ho_ten", msg("F1", "chars", value=name), field="ho_ten")
        return
    if len(name.split()) < 2:
        yield ctx.flag("F1", 1, "ho_ten", msg("F1", "one_word", value=name), field="ho_ten")
        return
    if not is_upper_vietnamese_name(name):
        upper = vn.upper_vi(vn.clean_text(name))
        sign = ctx.a("ky_ten")
        also_sign = bool(sign) and vn.tone_key(sign) == vn.tone_key(name) and sign != upper
        yield ctx.flag(
            "F1",
            1,
            "ho_ten",
            msg(
                "F1",
                "not_upper",
                value=name,
                upper=upper,
                also_sign=also_sign,
                no_marks=not vn.has_diacritics(name),
            ),
            field="ho_ten",
        )
    elif not vn.has_diacritics(name):
        # Typed on an unaccented keyboard: almost every Vietnamese name carries diacritics,
        # but some (e.g. of ethnic minorities) do not, so ask a human instead of blocking.
        yield ctx.flag(
            "F1",
            1,
            "ho_ten:dau",
            msg("F1", "no_diacritics", value=name),
            field="ho_ten",
            severity=WARNING,
        )


@rule("F2", WARNING, needs=(2,), fields=("ten_khac",))
def f2_other_names(ctx: Ctx) -> Iterator[Flag]:
    """Item (2) is written in normal case ("Út Mười"), not in capitals; blank is fine."""
    value = ctx.a("ten_khac")
    letters = [ch for ch in value if ch.isalpha()]
    if len(letters) >= 2 and value == vn.upper_vi(value) and not v.is_khong(value):
        yield ctx.flag(
            "F2",
            2,
            "ten_khac",
            msg("F2", "upper", value=value, normal=vn.title_vi(value.lower())),
            field="ten_khac",
        )


@rule("F3", "error", needs=(3,), fields=("ngay_sinh",))
def f3_birth(ctx: Ctx) -> Iterator[Flag]:
    """Item (3) is a real date dd/mm/yyyy, not in the future (it can never be corrected)."""
    value = ctx.a("ngay_sinh")
    if not value:
        return  # F0 reports the blank
    birth = ctx.birth
    if birth is None and v.parse_date(value) is None:
        key = "month_only" if v.parse_month(value) is not None else "invalid"
        yield ctx.flag("F3", 3, "ngay_sinh", msg("F3", key, value=value), field="ngay_sinh")
    elif birth is None or birth > ctx.today or birth.year < 1900:
        yield ctx.flag("F3", 3, "ngay_sinh", msg("F3", "range", value=value), field="ngay_sinh")
    elif v.format_date(birth) != value:
        yield ctx.flag(
            "F3",
            3,
            "ngay_sinh",
            msg("F3", "format", value=value, canonical=v.format_date(birth)),
            field="ngay_sinh",
        )


@rule("F4", "error", needs=(4,), fields=("gioi_tinh",))
def f4_gender(ctx: Ctx) -> Iterator[Flag]:
    """Item (4) reads exactly "nam" or "nữ"."""
    value = ctx.a("gioi_tinh")
    if value and value not in ("nam", "nữ"):
        yield ctx.flag("F4", 4, "gioi_tinh", msg("F4", "invalid", value=value), field="gioi_tinh")


_ADDRESS_FIELDS = (
    (5, "noi_dang_ky_khai_sinh", "origin"),
    (6, "que_quan", "origin"),
    (7, "thuong_tru", "residence"),
    (7, "tam_tru", "residence"),
)


@rule(
    "F5",
    "error",
    needs=(),
    reads=(5, 6, 7, 21),
    fields=("noi_dang_ky_khai_sinh", "que_quan", "thuong_tru", "tam_tru", "relatives"),
    row_fields=("noi_sinh", "que_quan"),
)
def f5_addresses(ctx: Ctx) -> Iterator[Flag]:
    """Items (5), (6), (7) and the relatives' birth place / hometown.

    Every level present (xã/phường/đặc khu + tỉnh/thành phố); a former district or merged
    province appears only as the old name in brackets after the new one. Uses
    ``forms.addresses`` (cached per text). Relatives' addresses follow the same writing rule
    of HD 38, so they are checked too.
    """
    for number, fid, kind in _ADDRESS_FIELDS:
        text = ctx.a(fid)
        if not text or not ctx.wants(number, fid) or (kind == "residence" and v.is_khong(text)):
            continue  # "không" thường trú: F6's
        for p in address_problems(text, kind):
            if p.key == "place_not_found":
                continue  # F21's: a place not verified, not a way of writing
            yield ctx.flag(
                "F5",
                number,
                f"{fid}:{p.key}",
                msg(
                    "F5",
                    "problem",
                    ref=_ref(number),
                    value=text,
                    problem=_address_text(p),
                    suggestion=p.suggestion,
                ),
                field=fid,
                severity=p.severity,
            )
    relatives = ctx.focused_relatives() if ctx.wants(21, "relatives") else []
    for i, rel in relatives:
        for fid in ("noi_sinh", "que_quan"):
            text = rel.get(fid, "")
            if v.blank(text) or v.is_unknown(text):
                continue  # "không rõ" is allowed there (unknown_allowed in the form)
            for p in address_problems(text, "origin"):
                if p.key == "place_not_found":
                    continue
                yield ctx.flag(
                    "F5",
                    21,
                    f"relatives:{i}:{fid}:{p.key}",
                    msg(
                        "F5",
                        "relative",
                        who=who(ctx, rel),
                        value=text,
                        problem=_address_text(p),
                        suggestion=p.suggestion,
                    ),
                    field=fid,
                    table="relatives",
                    row=i,
                    severity=p.severity,
                )


def _address_text(p: AddressProblem) -> str:
    name = f"rules.F5.{p.key}"
    if not texts.has_message(name):
        return texts.message("rules.F5.other")
    return texts.message(name, names=list(p.names), closest=list(p.closest))


@rule("F6", WARNING, needs=(7,), fields=("thuong_tru", "tam_tru"))
def f6_residence(ctx: Ctx) -> Iterator[Flag]:
    """Item (7): thường trú given; tạm trú only when there is no thường trú (HD 38), which
    the candidate says by writing "không" as thường trú.

    Deviation: no residence at all is an *error* (a required answer is missing), the
    tạm-trú-beside-thường-trú case stays a warning as in the domain notes.
    """
    permanent, temporary = ctx.a("thuong_tru"), ctx.a("tam_tru")
    if v.is_khong(permanent):
        permanent = ""
    if not permanent and not temporary:
        if ctx.wants(7, "thuong_tru"):
            yield ctx.flag(
                "F6", 7, "thuong_tru", msg("F6", "missing"), field="thuong_tru", severity="error"
            )
    elif permanent and temporary:
        yield ctx.flag("F6", 7, "tam_tru", msg("F6", "both", value=temporary), field="tam_tru")


@rule("F7", "error", needs=(8,), fields=("dan_toc",))
def f7_ethnicity(ctx: Ctx) -> Iterator[Flag]:
    """Item (8) names one of the 54 officially recognised groups (a note may follow)."""
    value = ctx.a("dan_toc")
    if value and v.ethnicity(value) is None:
        yield ctx.flag("F7", 8, "dan_toc", msg("F7", "unknown", value=value), field="dan_toc")


@rule("F8", "error", needs=(), reads=(9,), fields=("ton_giao",))
def f8_religion(ctx: Ctx) -> Iterator[Flag]:
    """Item (9) is never blank: "không" or the religion (with any clerical rank).

    Blank is an error; any religion is a *warning* asking the chi bộ to follow the special
    procedure for religious candidates (the domain notes' "E + W"); a value that names no
    recognised religion (forms/data/religions.toml) a warning saying so. ``needs`` is empty
    because a blank (9) is exactly what must be caught even while filling in.
    """
    value = ctx.a("ton_giao")
    if not value or v.placeholder(value) == value:
        if ctx.wants(9, "ton_giao"):
            yield ctx.flag("F8", 9, "ton_giao", msg("F8", "blank"), field="ton_giao")
        return
    if v.religion(value) == "không":
        if value != "không":
            yield ctx.flag(
                "F8",
                9,
                "ton_giao",
                msg("F8", "khong_spelling", value=value),
                field="ton_giao",
                severity=WARNING,
            )
        return
    # a value no recognised religion names ("sinh viên": the next question's answer typed
    # here) is told so, not taken for a believer's
    said = "religious" if v.religion(value) else "unknown"
    yield ctx.flag(
        "F8", 9, "ton_giao", msg("F8", said, value=value), field="ton_giao", severity=WARNING
    )


_VAGUE_JOBS = frozenset(
    {
        "khong",
        "khong co",
        "tu do",
        "lam tu do",
        "lao dong tu do",
        "that nghiep",
        "o nha",
        "lam thue",
        "nghe tu do",
        "chua",
        "chua co",
        "lam viec",
        "di lam",
    }
)


@rule("F9", WARNING, needs=(10,), fields=("nghe_nghiep",))
def f9_occupation(ctx: Ctx) -> Iterator[Flag]:
    """Item (10) is a concrete occupation; "chưa có việc làm" is the wording for none."""
    value = ctx.a("nghe_nghiep")
    if value and vn.match_key(value) in _VAGUE_JOBS:
        yield ctx.flag(
            "F9", 10, "nghe_nghiep", msg("F9", "vague", value=value), field="nghe_nghiep"
        )


#: Words that name a self-assessment's strengths, and its weaknesses (match keys).
_STRENGTHS = ("uu diem", "diem manh", "mat manh", "tot", "hoan thanh", "tich cuc")
_WEAKNESSES = ("khuyet diem", "han che", "nhuoc diem", "diem yeu", "mat yeu", "ton tai", "chua")


@rule("F22", WARNING, needs=(22,), fields=("tu_nhan_xet",))
def f22_self_assessment(ctx: Ctx) -> Iterator[Flag]:
    """Item (22) names both strengths and weaknesses (HD 38: "ưu điểm, khuyết điểm chính về
    phẩm chất chính trị, đạo đức lối sống, năng lực công tác, quan hệ quần chúng"): "tốt"
    alone, or strengths only, is sent back by the chi bộ."""
    value = ctx.a("tu_nhan_xet")
    if not value:
        return
    key = f" {vn.match_key(value)} "
    missing = [
        name
        for name, words in (("ưu điểm", _STRENGTHS), ("khuyết điểm", _WEAKNESSES))
        if not any(f" {word} " in key for word in words)
    ]
    if missing:
        yield ctx.flag(
            "F22", 22, "tu_nhan_xet", msg("F22", "missing", missing=missing), field="tu_nhan_xet"
        )
    elif _NO_WEAKNESS.search(key):
        yield ctx.flag("F22", 22, "tu_nhan_xet", msg("F22", "denied"), field="tu_nhan_xet")


#: Weaknesses named only to be denied: "Khuyết điểm: không có", "không có khuyết điểm gì",
#: "nhược điểm: chưa thấy" — a chi bộ sends that back as it sends back none at all.
_NO_WEAKNESS = re.compile(
    r" (?:khuyet diem|nhuoc diem|han che) (?:gi )?(?:la )?(?:khong|chua)(?: co| thay)?(?: gi)? "
    r"(?:$|(?:uu diem|diem manh)\b)|"
    r" (?:khong|chua) (?:co|thay) (?:khuyet diem|nhuoc diem|han che) (?:gi )?(?:$|uu diem\b)"
)


#: Words of a diploma's level and its wording, not its field (match keys): "đại học",
#: "cử nhân", "kỹ sư", "thạc sĩ", "tốt nghiệp đại học chính quy" name no field of study.
#: "bác sĩ", "dược sĩ" name theirs; "không" is none.
_LEVEL_WORDS = frozenset({
    "dai", "hoc", "cao", "dang", "trung", "cap", "so", "cu", "nhan", "ky", "su", "thac", "si",
    "tien", "ths", "ts", "tskh", "cn", "ks", "bang", "tot", "nghiep", "chinh", "quy", "tai",
    "chuc", "he", "van", "chung", "chi", "lien", "thong", "tu", "xa", "tap", "trinh", "do",
    "la", "co", "da", "a",
})  # fmt: skip
_DIPLOMAS = (("chuyen_mon", "field"), ("hoc_vi", "degree"))


@rule("F23", WARNING, needs=(11,), fields=("chuyen_mon", "hoc_vi"))
def f23_field_of_study(ctx: Ctx) -> Iterator[Flag]:
    """Item (11)'s diplomas are written as on the diploma, with the field of study (HD 38:
    "cử nhân luật, kỹ sư cơ khí"; học vị "và chuyên ngành"): a level alone is sent back."""
    for key, kind in _DIPLOMAS:
        value = ctx.a(key)
        words = vn.match_key(value).split() if value else []
        if words and words != ["khong"] and set(words) <= _LEVEL_WORDS:
            yield ctx.flag("F23", 11, key, msg("F23", kind, value=value), field=key)


@rule("F10", "error", needs=(11,), fields=("giao_duc_pho_thong",))
def f10_education(ctx: Ctx) -> Iterator[Flag]:
    """Item (11) GDPT reads "grade/system [phổ thông|bổ túc]" and is at least lower secondary.

    Minimum: 9/12, or 7/10 in the old 10-year system. The exceptions for hardship areas need
    the committee's approval, so a lower grade still blocks and the message says so.
    """
    value = ctx.a("giao_duc_pho_thong")
    if not value:
        return
    grade = education_grade(value)
    if grade is None:
        yield ctx.flag(
            "F10",
            11,
            "giao_duc_pho_thong",
            msg("F10", "format", value=value),
            field="giao_duc_pho_thong",
        )
        return
    level, system = grade
    minimum = 9 if system == 12 else 7
    if level < minimum:
        yield ctx.flag(
            "F10",
            11,
            "giao_duc_pho_thong",
            msg("F10", "too_low", value=value, minimum=f"{minimum}/{system}"),
            field="giao_duc_pho_thong",
        )


@rule("F11", WARNING, needs=(11,), fields=("ly_luan_chinh_tri",))
def f11_theory(ctx: Ctx) -> Iterator[Flag]:
    """Item (11) LLCT is "không" or sơ cấp/trung cấp/cao cấp/cử nhân; the "nhận thức về
    Đảng" course is not a level."""
    value = ctx.a("ly_luan_chinh_tri")
    if not value:
        return
    if re.search(r"\bnhan thuc\b|\bntvd\b|\bcam tinh\b", vn.match_key(value)):
        yield ctx.flag(
            "F11",
            11,
            "ly_luan_chinh_tri",
            msg("F11", "ntvd", value=value),
            field="ly_luan_chinh_tri",
        )
    elif political_theory_level(value) is None:
        yield ctx.flag(
            "F11",
            11,
            "ly_luan_chinh_tri",
            msg("F11", "invalid", value=value),
            field="ly_luan_chinh_tri",
        )


# --- tables ----------------------------------------------------------------------------------

_TABLE_ITEMS = {
    "lich_su": 14,
    "cong_tac": 15,
    "dao_tao": 17,
    "nuoc_ngoai": 18,
    "khen_thuong": 19,
    "ky_luat": 20,
    "gioi_thieu": 92,
}


@rule(
    "F12",
    "error",
    needs=(),
    reads=tuple(_TABLE_ITEMS.values()),
    fields=tuple(_TABLE_ITEMS),
    row_fields=(),
)
def f12_rows(ctx: Ctx) -> Iterator[Flag]:
    """Each table row has its period (or month), its content and the deciding body; no
    period, month or date lies after the current month (a history runs up to "nay").

    The domain notes name (17)–(20); the same check is applied to (14), (15) and the
    introducers (92), and to tables that must have rows ((14), (15)), because the timeline
    and introducer rules can only read complete rows.
    """
    form = load_form()
    for table_id, number in _TABLE_ITEMS.items():
        table = form.table(table_id)
        rows = ctx.rows(table_id)
        if not ctx.wants(number, table_id):
            continue
        if not rows:
            if table.min_rows and table_id != "gioi_thieu":
                yield ctx.flag(
                    "F12",
                    number,
                    f"{table_id}:empty",
                    msg("F12", "empty", ref=_ref(number), label=table.row_label),
                    table=table_id,
                )
            continue
        for i, row in enumerate(rows):
            if not ctx.in_focus(i):
                continue
            problems = _row_problems(ctx, table, i, row)
            if problems.missing or problems.bad or problems.future:
                yield ctx.flag(
                    "F12",
                    number,
                    f"{table_id}:{i}",
                    msg(
                        "F12",
                        "row",
                        ref=_ref(number),
                        row=i + 1,
                        label=table.row_label,
                        missing=", ".join(problems.missing),
                        bad=", ".join(problems.bad),
                        future=", ".join(problems.future),
                    ),
                    table=table_id,
                    row=i,
                )


@dataclass(slots=True)
class _RowProblems:
    """What F12 lists for one row: blank required cells (labels), unreadable values, and
    periods, months or dates after the current month."""

    missing: list[str]
    bad: list[str]
    future: list[str]


def _row_problems(ctx: Ctx, table: TableDef, i: int, row: Row) -> _RowProblems:
    found = _RowProblems([], [], [])
    for col in table.columns:
        if col.when is not None and not col.applies(row):
            continue
        if col.kind is Kind.PERIOD:
            _period_problems(ctx, table, i, row, col, found)
            continue
        value = row.get(col.id, "")
        if v.blank(value):
            if col.required:
                found.missing.append(col.label.lower())
        elif not _cell_ok(col, str(value)):
            found.bad.append(str(value))
        elif _cell_future(ctx, col, str(value)):
            found.future.append(str(value))
    return found


def _period_problems(
    ctx: Ctx, table: TableDef, i: int, row: Row, col: FieldDef, found: _RowProblems
) -> None:
    """A period column: both ends given, readable, and neither after the current month."""
    tu, den = str(row.get("tu", "")), str(row.get("den", ""))
    span = ctx.periods(table.id)[i]
    if v.blank(tu) or v.blank(den):
        found.missing.append(col.label.lower())
    elif span is None:
        found.bad.append(f"{tu} – {den}")
    elif span.start > ctx.now_month or (not span.open and span.end > ctx.now_month):
        found.future.append(f"{tu} – {den}")


def _cell_future(ctx: Ctx, col: FieldDef, value: str) -> bool:
    """Whether a month or date cell lies after the current month or today."""
    if col.kind is Kind.MONTH:
        month = v.parse_month(value)
        return month is not None and month > ctx.now_month
    if col.kind is Kind.DATE:
        day = v.parse_date(value)
        return day is not None and day > ctx.today
    return False


def _cell_ok(col: FieldDef, value: str) -> bool:
    if col.kind is Kind.MONTH:
        return v.parse_month(value) is not None
    if col.kind is Kind.DATE:
        return v.parse_date(value) is not None
    if col.kind is Kind.CHOICE and col.choices:
        return value in col.choices
    return True


@rule("F13", WARNING, needs=(18,), fields=("nuoc_ngoai",))
def f13_abroad_length(ctx: Ctx) -> Iterator[Flag]:
    """Item (18) lists only stays of 3 months or more (study, labour, work).

    The length is counted from month to month, as the domain notes count the sample's
    02/2023–07/2023 stay: 5 months.
    """
    for i, span in enumerate(ctx.periods("nuoc_ngoai")):
        if span is not None and not span.open and span.end - span.start < 3:
            yield ctx.flag(
                "F13",
                18,
                f"nuoc_ngoai:{i}",
                msg("F13", "short", row=i + 1, months=span.end - span.start),
                table="nuoc_ngoai",
                row=i,
            )


_BELOW_BANG_KHEN = (
    "giay khen",
    "lao dong tien tien",
    "chien si thi dua co so",
    "hoc sinh gioi",
    "hoc sinh tien tien",
    "sinh vien 5 tot",
    "tuyen duong",
    "giay chung nhan",
)
_AT_LEAST = (
    "bang khen",
    "huan chuong",
    "huy chuong",
    "chien si thi dua toan quoc",
    "chien si thi dua cap tinh",
    "chien si thi dua cap bo",
    "co thi dua",
    "anh hung",
    "nha giao",
    "thay thuoc",
    "nghe si",
    "nghe nhan",
    "giai thuong",
)


@rule("F14", WARNING, needs=(19,), fields=("khen_thuong",))
def f14_awards(ctx: Ctx) -> Iterator[Flag]:
    """Item (19) needs awards from "bằng khen" upwards; lower ones are optional noise."""
    for i, row in enumerate(ctx.rows("khen_thuong")):
        text = str(row.get("ly_do_hinh_thuc", ""))
        if v.mentions(text, *_BELOW_BANG_KHEN) and not v.mentions(text, *_AT_LEAST):
            yield ctx.flag(
                "F14",
                19,
                f"khen_thuong:{i}",
                msg("F14", "low", row=i + 1, value=text),
                table="khen_thuong",
                row=i,
            )


@rule(
    "F15",
    "error",
    needs=(23,),
    fields=("cam_doan", "noi_ky", "ngay_ky", "ky_ten"),
)
def f15_pledge(ctx: Ctx) -> Iterator[Flag]:
    """Item (23): the pledge verbatim, the place and date, and the signer's name.

    That the name equals item (1) is X17's part (one mistake, one error).
    """
    pledge = load_form().pledge
    value = ctx.a("cam_doan")
    if ctx.wants(23, "cam_doan") and vn.clean_text(value).rstrip(" .") != pledge.rstrip(" ."):
        yield ctx.flag("F15", 23, "cam_doan", msg("F15", "pledge", pledge=pledge), field="cam_doan")
    if not ctx.a("noi_ky") and ctx.wants(23, "noi_ky"):
        yield ctx.flag("F15", 23, "noi_ky", msg("F15", "place"), field="noi_ky")
    signed = ctx.a("ngay_ky")
    if not signed:
        if ctx.wants(23, "ngay_ky"):
            yield ctx.flag("F15", 23, "ngay_ky", msg("F15", "date_missing"), field="ngay_ky")
    else:
        day = v.parse_date(signed)
        if day is None:
            yield ctx.flag(
                "F15", 23, "ngay_ky", msg("F15", "date_invalid", value=signed), field="ngay_ky"
            )
        elif day > ctx.today or (ctx.birth is not None and day <= ctx.birth):
            yield ctx.flag(
                "F15", 23, "ngay_ky", msg("F15", "date_range", value=signed), field="ngay_ky"
            )
    if not ctx.a("ky_ten") and ctx.wants(23, "ky_ten"):
        yield ctx.flag("F15", 23, "ky_ten", msg("F15", "signer"), field="ky_ten")


_REVIEWER_FIELDS = (
    (24, "nhan_xet_tham_tra"),
    (25, "nhan_xet_chi_uy"),
    (26, "chung_nhan_cap_uy"),
)


@rule(
    "F16",
    "error",
    needs=(),
    reads=tuple(n for n, _ in _REVIEWER_FIELDS),
    fields=tuple(fid for _, fid in _REVIEWER_FIELDS),
)
def f16_reviewer_blocks(ctx: Ctx) -> Iterator[Flag]:
    """Items (24)–(26) are written by the party organisations after verification only."""
    for number, fid in _REVIEWER_FIELDS:
        if ctx.a(fid):
            yield ctx.flag("F16", number, fid, msg("F16", "filled", number=number), field=fid)


_ALL_ITEMS = tuple(it.number for it in load_form().items())


@rule("F17", WARNING, needs=(), reads=_ALL_ITEMS, fields=())
def f17_placeholders(ctx: Ctx) -> Iterator[Flag]:
    """No "...", "…", "3xx" or "___" left anywhere: they are unfinished answers.

    One warning per answer, row cell or relative fact, anchored where the dots are.
    """
    form = load_form()
    for fid, value in ctx.d.answers.items():
        if not isinstance(value, str) or not value or v.placeholder(value) is None:
            continue
        try:
            number = form.item_of_field(fid).number
        except KeyError:
            continue
        if not ctx.wants(number, fid):
            continue
        yield ctx.flag(
            "F17",
            number,
            fid,
            msg("F17", "answer", ref=_ref(number), found=v.placeholder(value)),
            field=fid,
        )
    for table_id, number in _TABLE_ITEMS.items():
        if not ctx.wants(number, table_id):
            continue
        for i, row in enumerate(ctx.rows(table_id)):
            for col, value in row.items():
                if isinstance(value, str) and value and v.placeholder(value) is not None:
                    yield ctx.flag(
                        "F17",
                        number,
                        f"{table_id}:{i}:{col}",
                        msg("F17", "row", ref=_ref(number), row=i + 1, found=v.placeholder(value)),
                        field=col,
                        table=table_id,
                        row=i,
                    )
    for i, rel in enumerate(ctx.relatives if ctx.wants(21, "relatives") else []):
        for col, value in rel.items():
            if isinstance(value, str) and value and v.placeholder(value) is not None:
                yield ctx.flag(
                    "F17",
                    21,
                    f"relatives:{i}:{col}",
                    msg("F17", "relative", who=who(ctx, rel), found=v.placeholder(value)),
                    field=col,
                    table="relatives",
                    row=i,
                )
