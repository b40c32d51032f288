"""Behaviour of the dossier checks: the samples, one broken dossier per rule, the API.

Every rule has at least one case below that starts from a clean sample, breaks exactly one
thing and expects that rule to fire (with the concrete values in its message); the clean
samples stay silent. ``test_every_rule_has_a_trigger`` keeps that list complete.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import FrozenInstanceError
from datetime import date
from importlib.resources import files

import pytest

from forms.checks import RULES, Flag, check_field, check_items, errors, run_checks, warnings
from forms.dossier import Dossier
from tests.samples import load_sample

TODAY = date(2026, 6, 1)


def run(d: Dossier, **kw) -> list[Flag]:
    return run_checks(d, today=kw.pop("today", TODAY), strict=True, **kw)


def rel(d: Dossier, code: str, n: int = 0) -> dict[str, str]:
    return d.relatives_of(code)[n]


# --- the samples -----------------------------------------------------------------------------


def test_sample_a_is_clean() -> None:
    assert run(load_sample("a")) == []


def test_sample_b_has_no_errors_and_only_the_relative_abroad_warning() -> None:
    flags = run(load_sample("b"))
    assert errors(flags) == []
    # the husband's sister works in Korea: verification goes through the representation abroad
    assert [(f.rule, f.severity, f.table, f.row) for f in flags] == [
        ("X14", "warning", "relatives", 14)
    ]
    assert "Hàn Quốc" in flags[0].message


def test_sample_c_has_exactly_its_five_mistakes_as_errors() -> None:
    errs = errors(run(load_sample("c")))
    assert sorted((f.rule, f.item) for f in errs) == [
        ("F1", 1),  # name not in capitals (item 1 and the signature: one error)
        ("F8", 9),  # religion blank
        ("X12", 21),  # deceased grandfather without year, cause, place
        ("X2", 12),  # Youth Union at 13 years
        ("X4", 14),  # 06/2023–08/2024 missing between upper secondary and university
    ]
    by_rule = {f.rule: f for f in errs}
    assert "LÊ HOÀNG NAM" in by_rule["F1"].message and "(23)" in by_rule["F1"].message
    assert "06/2023–08/2024 (15 tháng)" in by_rule["X4"].message
    assert "21/11/2021" in by_rule["X2"].message
    assert "LÊ VĂN CHÂU" in by_rule["X12"].message


def test_sample_c_fixed_is_clean_of_errors() -> None:
    d = load_sample("c")
    d.answers["ho_ten"] = d.answers["ky_ten"] = "LÊ HOÀNG NAM"
    d.answers["ton_giao"] = "không"
    d.answers["ngay_vao_doan"] = "26/03/2022"
    d.tables["lich_su"][2]["den"] = "05/2024"
    grandpa = rel(d, "ong_noi")
    grandpa.update(nam_mat="2019", nguyen_nhan_mat="bệnh tim", noi_mat="tại nhà")
    assert run(d) == []


# --- one broken dossier per rule -------------------------------------------------------------

Mutation = Callable[[Dossier], None]


def _set(**answers: str) -> Mutation:
    return lambda d: d.answers.update(answers)


def _meta(**kw: object) -> Mutation:
    return lambda d: [setattr(d.meta, k, v) for k, v in kw.items()] and None


def _row(table: str, i: int, **cells: str) -> Mutation:
    return lambda d: d.tables[table][i].update(cells)


def _rel(code: str, **facts: str) -> Mutation:
    return lambda d: rel(d, code).update(facts)


def _del_rel(code: str) -> Mutation:
    return lambda d: d.relatives.remove(rel(d, code))


def _append(table: str, **cells: str) -> Mutation:
    return lambda d: d.tables[table].append(cells)


def _replace_table(table: str, rows: list[dict[str, str]]) -> Mutation:
    return lambda d: d.tables.__setitem__(table, rows)


def _all(*mutations: Mutation) -> Mutation:
    def apply(d: Dossier) -> None:
        for m in mutations:
            m(d)

    return apply


MEMBER = "Đảng viên chính thức"
YOUTH = "Nghị quyết BCH Đoàn cơ sở"

# (case id, sample, mutation, rule, severity, words the message must contain)
CASES: list[tuple[str, str, Mutation, str, str, tuple[str, ...]]] = [
    ("F0-self-review", "a", _set(tu_nhan_xet=""), "F0", "error", ("(22)",)),
    ("F0-language", "a", _set(ngoai_ngu=""), "F0", "error", ("(11)", "Ngoại ngữ")),
    ("F1-lower", "a", _set(ho_ten="Trần Minh Khoa"), "F1", "error", ("TRẦN MINH KHOA",)),
    ("F1-digits", "a", _set(ho_ten="TRẦN MINH KHOA 2"), "F1", "error", ("chữ số",)),
    ("F1-one-word", "a", _set(ho_ten="KHOA"), "F1", "error", ("KHOA",)),
    (
        "F1-no-diacritics",
        "a",
        _set(ho_ten="TRAN MINH KHOA", ky_ten="TRAN MINH KHOA"),
        "F1",
        "warning",
        ("chưa có dấu",),
    ),
    ("F2-caps", "a", _set(ten_khac="KHOA TRẦN"), "F2", "warning", ("Khoa Trần",)),
    ("F3-no-such-day", "a", _set(ngay_sinh="31/02/2001"), "F3", "error", ("31/02/2001",)),
    ("F3-future", "a", _set(ngay_sinh="12/07/2030"), "F3", "error", ("12/07/2030",)),
    ("F4", "a", _set(gioi_tinh="trai"), "F4", "error", ("trai",)),
    (
        "F5-district-before-bracket",
        "a",
        _set(que_quan="xã An Lạc, huyện Thanh Bình, tỉnh Hưng Yên"),
        "F5",
        "error",
        ("(6)", "huyện"),
    ),
    (
        "F5-district-in-residence",
        "a",
        _set(thuong_tru="Số 18, ngõ 42 phố Hoa Sữa, quận Cầu Giấy, thành phố Hà Nội"),
        "F5",
        "error",
        ("(7)", "cấp huyện"),
    ),
    (
        "F5-no-province",
        "a",
        _set(noi_dang_ky_khai_sinh="xã An Lạc (trước đây là xã An Lạc, huyện Thanh Bình)"),
        "F5",
        "error",
        ("(5)", "cấp tỉnh"),
    ),
    (
        "F5-relative",
        "a",
        _rel("cha", que_quan="xã An Lạc, huyện Thanh Bình, tỉnh Thái Bình"),
        "F5",
        "error",
        ("TRẦN VĂN HÙNG",),
    ),
    (
        "F6-both",
        "a",
        _set(tam_tru="Phòng 305, nhà B2, phường Lạc Hồng, thành phố Hà Nội"),
        "F6",
        "warning",
        ("Phòng 305",),
    ),
    ("F6-none", "a", _set(thuong_tru=""), "F6", "error", ("(7)",)),
    ("F6-khong-alone", "a", _set(thuong_tru="không"), "F6", "error", ("(7)",)),
    ("F7", "a", _set(dan_toc="Kinhh"), "F7", "error", ("Kinhh",)),
    ("F8-blank", "a", _set(ton_giao=""), "F8", "error", ("không",)),
    ("F8-religion", "a", _set(ton_giao="Phật giáo"), "F8", "warning", ("Phật giáo",)),
    ("F9", "a", _set(nghe_nghiep="tự do"), "F9", "warning", ("tự do",)),
    ("F10-low", "a", _set(giao_duc_pho_thong="8/12 phổ thông"), "F10", "error", ("9/12",)),
    ("F10-format", "a", _set(giao_duc_pho_thong="lớp mười hai"), "F10", "error", ("12/12",)),
    (
        "F11",
        "a",
        _set(ly_luan_chinh_tri="nhận thức về Đảng"),
        "F11",
        "warning",
        ("nhận thức về Đảng",),
    ),
    ("F12-cell", "a", _row("dao_tao", 0, truong=""), "F12", "error", ("(17)", "lớp học thứ 1")),
    ("F12-period", "a", _row("khen_thuong", 0, thang_nam="13/2025"), "F12", "error", ("13/2025",)),
    ("F12-empty", "a", _replace_table("lich_su", []), "F12", "error", ("(14)",)),
    (
        "F13",
        "a",
        _row("nuoc_ngoai", 0, tu="02/2023", den="04/2023"),
        "F13",
        "warning",
        ("2 tháng",),
    ),
    (
        "F14",
        "a",
        _append(
            "khen_thuong",
            thang_nam="05/2023",
            ly_do_hinh_thuc="Giấy khen sinh viên tiêu biểu",
            cap_quyet_dinh="Hiệu trưởng Trường ĐH Bách khoa Kinh Bắc",
        ),
        "F14",
        "warning",
        ("Giấy khen",),
    ),
    ("F15-pledge", "a", _set(cam_doan="Tôi cam đoan đã khai đầy đủ"), "F15", "error", ("Đảng",)),
    ("F15-date", "a", _set(ngay_ky=""), "F15", "error", ("ngày ký",)),
    ("F15-date-future", "a", _set(ngay_ky="20/02/2027"), "F15", "error", ("20/02/2027",)),
    ("F16", "a", _set(nhan_xet_chi_uy="Đồng chí Khoa khai đúng."), "F16", "error", ("(25)",)),
    (
        "F17-answer",
        "a",
        _set(tu_nhan_xet="Ưu điểm: ... Khuyết điểm: chưa có."),
        "F17",
        "warning",
        ("...",),
    ),
    (
        "F17-relative",
        "a",
        _rel("cha", lich_su_chinh_tri="1991-1994: Sư đoàn 3xx"),
        "F17",
        "warning",
        ("3xx",),
    ),
    ("F17-row", "a", _row("cong_tac", 1, viec="Ở nhà chờ việc tại …"), "F17", "warning", ("…",)),
    (
        "F18-dont-know-as-a-name",
        "a",
        _rel("ong_noi", ho_ten="ko biet ten ong noi"),
        "F18",
        "error",
        ("ko biet ten ong noi", "giấy tờ"),
    ),
    (
        "F18-bare-no-to-a-statement",
        "a",
        _rel("cha", chap_hanh="không"),
        "F18",
        "error",
        ("Chấp hành tốt chủ trương",),
    ),
    (
        "F18-question",
        "a",
        _set(khoa_hoc_cong_nghe="la sao? khoa hoc cong nghe la gi"),
        "F18",
        "error",
        ("câu hỏi",),
    ),
    ("F18-chatter", "a", _set(ngoai_ngu="k"), "F18", "error", ("«k»",)),
    ("F19", "a", _set(noi_ky="hung yen"), "F19", "warning", ("«Hưng Yên»",)),
    ("F20", "a", _set(tu_nhan_xet="Ưu điểm: chăm chỉ 💪"), "F20", "error", ("💪",)),
    ("F22", "a", _set(tu_nhan_xet="tốt"), "F22", "warning", ("chưa nêu khuyết điểm",)),
    (
        "F22-denied",
        "a",
        _set(tu_nhan_xet="Ưu điểm: chăm chỉ, trung thực. Khuyết điểm: không có."),
        "F22",
        "warning",
        ("không có khuyết điểm", "chi bộ sẽ trả lại"),
    ),
    ("F23-field", "a", _set(chuyen_mon="đại học"), "F23", "warning", ("chưa ghi ngành",)),
    ("F23-degree", "a", _set(hoc_vi="Thạc sĩ"), "F23", "warning", ("chưa ghi chuyên ngành",)),
    (
        "F21",
        "a",
        _set(que_quan="xa long hung, huyen van giag, tinh hung yen"),
        "F21",
        "warning",
        ("không tìm thấy", "xã Long Hưng, huyện Văn Giang, tỉnh Hưng Yên"),
    ),
    ("X1-young", "a", _meta(chi_bo_meeting=date(2019, 3, 17)), "X1", "error", ("12/07/2019",)),
    ("X1-old", "b", _set(ngay_sinh="05/10/1960"), "X1", "error", ("65 tuổi",)),
    ("X2-young", "a", _set(ngay_vao_doan="26/03/2016"), "X2", "error", ("13/07/2016",)),
    ("X2-old", "b", _set(ngay_vao_doan="26/03/2022"), "X2", "error", ("31 tuổi",)),
    ("X2-unborn", "a", _set(ngay_vao_doan="26/03/2001"), "X2", "error", ("12/07/2001", "trước")),
    (
        "X3-youth-needs-resolution",
        "a",
        _row("gioi_thieu", 1, loai=MEMBER, ten="LÊ VĂN HẢI", cung_cong_tac_tu="10/2024"),
        "X3",
        "error",
        ("BCH Đoàn cơ sở",),
    ),
    (
        "X3-over-youth-age",
        "b",
        _row(
            "gioi_thieu",
            1,
            loai=YOUTH,
            ten="Đoàn trường THCS Hải Quỳnh",
            ngay_nghi_quyet="01/03/2026",
        ),
        "X3",
        "error",
        ("quá độ tuổi đoàn",),
    ),
    (
        "X3-one-member",
        "b",
        lambda d: d.tables["gioi_thieu"].pop(),
        "X3",
        "error",
        ("hai đảng viên",),
    ),
    ("X3-none", "a", _replace_table("gioi_thieu", []), "X3", "error", ("người giới thiệu",)),
    (
        "X4-hole-in-14",
        "a",
        _row("lich_su", 2, den="06/2017"),
        "X4",
        "error",
        ("07/2017–08/2019 (26 tháng)",),
    ),
    (
        "X4-handoff",
        "a",
        _all(lambda d: d.tables["lich_su"].pop(), _row("cong_tac", 0, tu="09/2020")),
        "X4",
        "error",
        ("07/2019–08/2020", "14 tháng"),
    ),
    (
        "X4-youth-date",
        "a",
        _row(
            "lich_su",
            2,
            noi_dung="Học THPT tại Trường THPT Thanh Bình. "
            "Được kết nạp vào Đoàn TNCS Hồ Chí Minh ngày 27/03/2017.",
        ),
        "X4",
        "error",
        ("27/03/2017", "26/03/2017"),
    ),
    ("X5-gap", "a", _row("cong_tac", 1, tu="08/2024"), "X5", "error", ("07/2024 (1 tháng)",)),
    ("X5-not-now", "a", _row("cong_tac", 2, den="12/2025"), "X5", "error", ("01/2026",)),
    ("X6", "a", _row("cong_tac", 1, tu="05/2024"), "X6", "warning", ("05/2024–06/2024 (2 tháng)",)),
    ("X7-start", "a", _row("lich_su", 0, tu="09/2004"), "X7", "warning", ("09/2004",)),
    ("X7-thpt", "a", _row("lich_su", 2, den="06/2018"), "X7", "warning", ("05/2019",)),
    (
        "X8",
        "a",
        _set(nghe_nghiep="Bác sĩ nội khoa, Bệnh viện Đa khoa tỉnh Hưng Yên"),
        "X8",
        "error",
        ("Bác sĩ nội khoa", "Kỹ sư phần mềm"),
    ),
    (
        "X9-missing-row",
        "a",
        lambda d: d.tables["dao_tao"].pop(2),
        "X9",
        "error",
        ("IELTS 6.5",),
    ),
    (
        "X9-degree-not-in-11",
        "a",
        _append(
            "dao_tao",
            tu="09/2024",
            den="06/2026",
            nganh="Khoa học máy tính",
            truong="Trường ĐH Bách khoa Kinh Bắc",
            hinh_thuc="Không tập trung",
            van_bang="Bằng thạc sĩ",
        ),
        "X9",
        "error",
        ("Bằng thạc sĩ",),
    ),
    (
        "X10",
        "a",
        _row(
            "cong_tac",
            0,
            viec="Sinh viên ngành Kỹ thuật điện tử - viễn thông, Trường ĐH Bách khoa Kinh Bắc",
        ),
        "X10",
        "warning",
        ("Nhật Bản", "02/2023–07/2023"),
    ),
    ("X11-missing", "a", _del_rel("ba_ngoai"), "X11", "error", ("Bà ngoại",)),
    (
        "X11-married",
        "a",
        _set(da_ket_hon="có", vc_co_anh_chi_em="không"),
        "X11",
        "error",
        ("Vợ (chồng)",),
    ),
    ("X11-gate", "a", _set(co_con=""), "X11", "error", ("con",)),
    (
        "X11-incomplete",
        "a",
        _rel("ba_noi", nghe_nghiep=""),
        "X11",
        "error",
        ("NGUYỄN THỊ MẬN", "nghề nghiệp"),
    ),
    (
        "X11-name-case",
        "a",
        _rel("ba_noi", ho_ten="Nguyễn Thị Mận"),
        "X11",
        "warning",
        ("NGUYỄN THỊ MẬN",),
    ),
    (
        "X12",
        "a",
        _rel("ong_noi", nguyen_nhan_mat=""),
        "X12",
        "error",
        ("TRẦN VĂN LỘC", "lý do mất"),
    ),
    ("X12-year", "a", _rel("ong_noi", nam_mat="1940"), "X12", "error", ("1940",)),
    ("X13", "a", _rel("cha", nam_sinh="1995"), "X13", "warning", ("1995",)),
    (
        "X14-abroad",
        "a",
        _rel("anh_chi_em", cu_tru="Tokyo, Nhật Bản", o_nuoc_ngoai="có"),
        "X14",
        "warning",
        ("Tokyo",),
    ),
    (
        "X14-omitted",
        "a",
        _rel("anh_chi_em", cu_tru="Tokyo, Nhật Bản", o_nuoc_ngoai="không"),
        "X14",
        "error",
        ("Tokyo",),
    ),
    ("X15", "a", _rel("me", chi_bo_dang=""), "X15", "warning", ("PHẠM THỊ LAN", "chi bộ")),
    (
        "X16",
        "a",
        _set(dac_diem_lich_su="Từ 2018 đến 2020 giữ chức việc tại giáo xứ An Lạc."),
        "X16",
        "warning",
        ("chức việc",),
    ),
    ("X17-other-name", "a", _set(ky_ten="TRẦN MINH KHÔI"), "X17", "error", ("TRẦN MINH KHÔI",)),
    ("X17-case", "a", _set(ky_ten="Trần Minh Khoa"), "X17", "error", ("TRẦN MINH KHOA",)),
    (
        "X18",
        "a",
        _rel(
            "cha",
            que_quan="xã Bình Định, tỉnh Hưng Yên "
            "(trước đây là xã Bình Định, huyện Kiến Xương, tỉnh Thái Bình)",
        ),
        "X18",
        "warning",
        ("Bình Định",),
    ),
    (
        "X19-history",
        "a",
        _set(dac_diem_lich_su="Năm 2019 bị bắt giữ 3 ngày tại Công an phường Lạc Hồng."),
        "X19",
        "warning",
        ("bị bắt",),
    ),
    (
        "X19-relative",
        "a",
        _rel("anh_chi_em", tien_an="01 tiền án trộm cắp tài sản năm 2023"),
        "X19",
        "warning",
        ("trộm cắp",),
    ),
    ("P1", "a", _set(ngay_chung_nhan_ntvd=""), "P1", "error", ("chứng nhận",)),
    ("P2", "a", _set(ngay_chung_nhan_ntvd="10/10/2020"), "P2", "error", ("10/10/2025",)),
    (
        "P3",
        "a",
        _meta(dossier_opened=date(2024, 12, 1)),
        "P3",
        "error",
        ("01/12/2024", "01/12/2025"),
    ),
    (
        "P3-no-meeting",
        "a",
        _meta(dossier_opened=date(2025, 1, 5), chi_bo_meeting=None),
        "P3",
        "error",
        ("chưa xét",),
    ),
    (
        "P4",
        "a",
        _row("gioi_thieu", 0, cung_cong_tac_tu="09/2025"),
        "P4",
        "error",
        ("NGUYỄN VĂN TOÀN", "6 tháng", "09/2026"),
    ),
]


@pytest.mark.parametrize(
    ("sample", "mutate", "rule_id", "severity", "words"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_rule_fires_on_a_broken_sample(
    sample: str, mutate: Mutation, rule_id: str, severity: str, words: tuple[str, ...]
) -> None:
    clean = run(load_sample(sample))
    assert not [f for f in clean if f.rule == rule_id]
    d = load_sample(sample)
    mutate(d)
    hits = [f for f in run(d) if f.rule == rule_id and f.severity == severity]
    assert hits, f"{rule_id} did not fire"
    text = " ".join(f.message for f in hits)
    for word in words:
        assert word in text


@pytest.mark.parametrize(
    "typed",
    [
        "Ưu điểm: chăm chỉ. Khuyết điểm: không có kinh nghiệm quản lý.",
        "Ưu điểm: trung thực. Hạn chế: chưa chủ động trong công việc.",
    ],
)
def test_a_weakness_that_begins_with_a_no_is_still_one(typed: str) -> None:
    d = load_sample("a")
    d.answers["tu_nhan_xet"] = typed
    assert not [f for f in run(d) if f.rule == "F22"]


@pytest.mark.parametrize(
    "typed", ["cử nhân luật", "trung cấp thú y", "bác sĩ đa khoa", "công nhân kỹ thuật bậc 3"]
)
def test_a_diploma_with_its_field_is_not_sent_back(typed: str) -> None:
    d = load_sample("a")
    d.answers["chuyen_mon"] = d.answers["hoc_vi"] = typed
    assert not [f for f in run(d) if f.rule == "F23"]


def test_every_rule_has_a_trigger() -> None:
    assert {c[3] for c in CASES} == set(RULES)


def test_every_rule_declares_severity_and_docstring() -> None:
    for r in RULES.values():
        assert r.severity in ("error", "warning")
        assert r.doc, r.id
        assert r.title and r.title != r.id


# --- mapping of C's mistakes -------------------------------------------------------------------


def test_signature_in_capitals_while_item_1_is_not_is_one_f1_error() -> None:
    d = load_sample("a")
    d.answers["ho_ten"] = "Trần Minh Khoa"  # signature already in capitals: only (1) to fix
    errs = errors(run(d))
    assert [f.rule for f in errs] == ["F1"]
    assert "(23)" not in errs[0].message


def test_signature_differing_from_capitalised_item_1_is_x17() -> None:
    d = load_sample("c")
    d.answers["ho_ten"] = "LÊ HOÀNG NAM"  # (1) fixed, signature still "Lê Hoàng Nam"
    rules = [f.rule for f in errors(run(d))]
    assert "X17" in rules and "F1" not in rules


# --- timeline details ---------------------------------------------------------------------------


def test_summer_break_between_school_periods_is_not_a_gap() -> None:
    d = load_sample("a")
    d.tables["lich_su"][1]["tu"] = "09/2012"  # 06/2012–08/2012 = 3 months: holidays
    d.tables["lich_su"][0]["den"] = "05/2012"
    assert run(d) == []
    d.tables["lich_su"][1]["tu"] = "10/2012"  # 4 months is a hole
    assert [f.rule for f in run(d)] == ["X4"]


def test_gap_of_15_is_reported_once_even_when_15_also_has_gaps() -> None:
    d = load_sample("a")
    d.tables["cong_tac"][1].update(tu="08/2024", den="08/2024")  # 07/2024 and 09/2024 missing
    gaps = [f for f in run(d) if f.rule == "X5"]
    assert [f.row for f in gaps] == [1, 2]
    assert len({f.key for f in gaps}) == 2


def test_rows_out_of_order_are_a_warning() -> None:
    d = load_sample("b")
    d.tables["cong_tac"].reverse()
    flags = [f for f in run(d) if f.rule == "X5"]
    assert [(f.severity, f.key) for f in flags] == [("warning", "X5:order")]


def test_concurrent_study_written_in_brackets_is_not_an_overlap() -> None:
    flags = run(load_sample("b"))  # master's 09/2017–06/2019 noted inside the teacher row
    assert not [f for f in flags if f.rule in ("X5", "X6")]


def test_occupation_similarity_ignores_accents_and_abbreviations() -> None:
    d = load_sample("a")
    d.answers["nghe_nghiep"] = "ky su phan mem, cong ty TNHH cong nghe Sao Mai"
    assert not [f for f in run(d) if f.rule == "X8"]
    d.answers["nghe_nghiep"] = "Giáo viên"
    d.tables["cong_tac"][2]["viec"] = "Sinh viên cao học"
    assert [f.rule for f in run(d) if f.rule == "X8"] == ["X8"]


def test_age_is_counted_in_months_up_to_the_day() -> None:
    d = load_sample("a")  # born 12/07/2001
    d.meta.chi_bo_meeting = date(2019, 7, 11)
    assert [f.rule for f in run(d) if f.rule == "X1"] == ["X1"]
    d.meta.chi_bo_meeting = date(2019, 7, 12)
    assert not [f for f in run(d) if f.rule == "X1"]


def test_meeting_unknown_uses_today() -> None:
    d = load_sample("a")
    d.meta.chi_bo_meeting = None
    d.answers["ngay_chung_nhan_ntvd"] = "24/10/2021"
    d.meta.dossier_opened = None
    assert not [f for f in run(d, today=date(2026, 10, 24)) if f.rule == "P2"]
    assert [f.rule for f in run(d, today=date(2026, 10, 25)) if f.rule == "P2"] == ["P2"]


def test_introducer_needs_twelve_full_months() -> None:
    d = load_sample("a")  # meeting 17/03/2026
    d.tables["gioi_thieu"][0]["cung_cong_tac_tu"] = "03/2025"
    assert not [f for f in run(d) if f.rule == "P4"]
    d.tables["gioi_thieu"][0]["cung_cong_tac_tu"] = "04/2025"
    assert [f.rule for f in run(d) if f.rule == "P4"] == ["P4"]


# --- flags, keys and explanations -------------------------------------------------------------


def test_explanation_is_kept_with_its_warning() -> None:
    d = load_sample("b")
    key = run(d)[0].key
    assert key == "X14:relatives:14"
    d.explanations[key] = "Em chồng đi lao động theo hợp đồng, có xác nhận của công ty."
    (flag,) = run(d)
    assert flag.explanation == d.explanations[key]
    assert flag.severity == "warning"  # an explanation does not change the severity


def test_keys_are_stable_across_runs_and_edits_elsewhere() -> None:
    d = load_sample("c")
    first = [f.key for f in run(d)]
    d.answers["tu_nhan_xet"] += " Luôn cố gắng."
    assert [f.key for f in run(d)] == first
    assert len(set(first)) == len(first)


def test_flag_is_frozen_and_anchored() -> None:
    (x4,) = [f for f in run(load_sample("c")) if f.rule == "X4"]
    assert (x4.item, x4.table, x4.row, x4.key) == (14, "lich_su", 3, "X4:lich_su:3")
    with pytest.raises(FrozenInstanceError):
        x4.message = "x"  # type: ignore[misc]


def test_errors_and_warnings_split() -> None:
    flags = run(load_sample("c"))
    assert len(errors(flags)) + len(warnings(flags)) == len(flags)
    assert all(f.is_error for f in errors(flags))


# --- scopes: per field, per part, answered only ------------------------------------------------


def test_check_field_reports_only_what_the_answer_concerns() -> None:
    d = Dossier(answers={"ho_ten": "Lê Hoàng Nam"})
    flags = check_field(d, "ho_ten", today=TODAY, strict=True)
    assert [f.rule for f in flags] == ["F1"]
    d.answers["ton_giao"] = ""
    assert [f.rule for f in check_field(d, "ton_giao", today=TODAY, strict=True)] == ["F8"]


def test_check_field_runs_cross_rules_once_their_items_exist() -> None:
    d = Dossier(answers={"ngay_vao_doan": "15/09/2020"})
    assert check_field(d, "ngay_vao_doan", today=TODAY, strict=True) == []  # no birth date yet
    d.answers["ngay_sinh"] = "20/11/2006"
    assert [f.rule for f in check_field(d, "ngay_vao_doan", today=TODAY, strict=True)] == ["X2"]


def test_check_items_at_the_end_of_a_part() -> None:
    full = load_sample("c")
    d = Dossier(
        answers={k: full.answers[k] for k in ("ngay_sinh", "giao_duc_pho_thong", "nghe_nghiep")},
        tables={k: full.tables[k] for k in ("lich_su", "cong_tac")},
    )
    flags = check_items(d, [14, 15], today=TODAY, strict=True)
    assert {f.rule for f in flags} == {"X4", "X7"}  # nothing about unanswered items
    assert [f.rule for f in errors(flags)] == ["X4"]


def test_answered_scope_ignores_unanswered_items_all_scope_does_not() -> None:
    d = Dossier(answers={"ho_ten": "LÊ HOÀNG NAM", "ngay_sinh": "20/11/2006"})
    assert run(d, scope="answered") == []
    everything = errors(run(d, scope="all"))
    assert {"F0", "F8", "F15", "X11", "P1", "X3", "F12"} <= {f.rule for f in everything}


def test_finished_scope_waits_for_the_items_being_filled_in() -> None:
    """Progress (/tiendo): an item the conversation has not finished is not reported as
    missing its rest (relatives not asked yet, introducers still being entered)."""
    from forms.definition import load_form

    every = {it.number for it in load_form().items()}
    d = load_sample("a")
    d.relatives = d.relatives[:1]  # the paternal grandfather, the others still to come
    assert not [f for f in run(d, finished=every - {21}) if f.item == 21]
    assert "X11:missing:ba_noi" in {f.key for f in run(d, finished=every)}
    d = load_sample("a")
    d.tables["gioi_thieu"] = d.tables["gioi_thieu"][:1]  # the resolution is entered next
    assert not [f for f in run(d, finished=every - {92}) if f.rule == "X3"]
    assert [f.rule for f in run(d, finished=every) if f.rule == "X3"] == ["X3"]
    d = load_sample("a")
    d.tables["dao_tao"] = d.tables["dao_tao"][:1]
    assert not [f for f in check_items(d, [11], today=TODAY, finished=every - {17})]
    assert "X9" in {f.rule for f in check_items(d, [11], today=TODAY, finished=every)}


def test_no_permanent_residence_is_written_khong_with_the_temporary_one() -> None:
    d = load_sample("a")
    d.answers.update(
        thuong_tru="không", tam_tru="Phòng 305, nhà B2, phường Lạc Hồng, thành phố Hà Nội"
    )
    assert not [f for f in run(d) if f.item == 7]


def test_the_person_who_raised_the_candidate_stands_for_the_parents() -> None:
    """X11 (domain): "both parents, or the person who raised the candidate, are present"."""
    from tests.test_candidate_followups import raised_by_an_uncle

    d = raised_by_an_uncle()
    assert errors(run(d)) == []
    d.answers["nuoi_duong"] = "không"  # then the parents are missing after all
    assert {f.key for f in errors(run(d))} >= {"X11:missing:cha", "X11:missing:me"}
    d = raised_by_an_uncle()
    d.relatives[d.relatives.index(rel(d, "nguoi_nuoi_duong"))]["que_quan"] = (
        "xã Hải Minh, tỉnh Ninh Bình"
    )
    (x18,) = [f for f in run(d) if f.rule == "X18"]  # (6): the hometown of the one who raised
    assert "người nuôi dưỡng" in x18.message and "Hải Minh" in x18.message
    d = load_sample("a")
    del d.answers["nuoi_duong"]  # a dossier written before the question existed
    assert run(d) == []
    d.answers["nuoi_duong"] = "có"  # said so, but declared the parents and nobody else
    assert "X11:missing:nguoi_nuoi_duong" in {f.key for f in errors(run(d))}


def _edited_form(monkeypatch: pytest.MonkeyPatch, *edits: tuple[str, str]) -> None:
    """Run the checks against the form data with ``edits`` (old text, new text) applied."""
    import tomllib
    from importlib.resources import files

    from forms.checks import core
    from forms.model import FormDef

    text = (files("forms") / "data" / "mau_2knd_hd38.toml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    form = FormDef.model_validate(tomllib.loads(text))
    monkeypatch.setattr(core, "load_form", lambda *_: form)


def test_the_relatives_rule_follows_the_form_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """X11/X12 read which relations are asked, and which facts, from the form's TOML."""
    d = load_sample("a")
    rel(d, "ba_noi")["nghe_nghiep"] = ""
    rel(d, "ong_noi")["noi_mat"] = ""
    assert {f.key for f in run(d)} == {"X11:relatives:1", "X12:relatives:0"}
    _edited_form(
        monkeypatch,
        (', multiple = true, when = { field = "co_con", equals = "có" } }', ", multiple = true }"),
        (
            'id = "nghe_nghiep"\nlabel = "Nghề nghiệp"',
            'id = "nghe_nghiep"\nlabel = "Nghề nghiệp"\ngroups = ["B", "C"]',
        ),
        (
            'id = "noi_mat"\nlabel = "Nơi mất"\nwhen = { field = "da_mat", equals = "có" }',
            'id = "noi_mat"\nlabel = "Nơi mất"\nrequired = false',
        ),
    )
    # children asked whatever the gate says; grandparents without a profession; place of death
    # an optional fact of everyone, no longer one of the deceased's
    assert {f.key for f in run(d)} == {"X11:missing:con"}


def test_relatives_abroad_names_who_is_verified_abroad_and_why() -> None:
    """The helper the secretaries' stages read instead of X14's row numbers."""
    from forms.checks import AbroadReason, relatives_abroad

    d = load_sample("b")
    assert relatives_abroad(d) == [
        (14, AbroadReason(residence="tỉnh Gyeonggi, Hàn Quốc", declared=True))
    ]
    assert relatives_abroad(load_sample("a")) == []
    father = d.relatives.index(rel(d, "cha"))
    rel(d, "cha").update(quoc_tich="Hoa Kỳ")  # a foreign national living in Viet Nam
    sister = d.relatives[14]
    sister.update(o_nuoc_ngoai="không")  # residence abroad, declared at home
    found = dict(relatives_abroad(d))
    assert found[father] == AbroadReason(nationality="Hoa Kỳ")
    assert found[14].contradicted and not found[14].declared
    sister.update(da_mat="có", nam_mat="2024", nguyen_nhan_mat="tai nạn", noi_mat="Hàn Quốc")
    assert 14 not in dict(relatives_abroad(d))  # the dead are not verified
    # X14 reports exactly these people
    d = load_sample("b")
    rel(d, "cha").update(quoc_tich="Hoa Kỳ")
    x14 = {f.row for f in run(d) if f.rule == "X14"}
    assert x14 == {i for i, _ in relatives_abroad(d)} == {father, 14}


def test_item_numbers_match_the_form() -> None:
    from forms.definition import load_form

    numbers = {it.number for it in load_form().items()}
    for flags in (run(load_sample("c")), run(Dossier(), scope="all")):
        assert {f.item for f in flags} <= numbers


def test_check_items_reports_blanks_of_the_finished_part_only() -> None:
    d = Dossier(answers={"ho_ten": "LÊ HOÀNG NAM", "ngay_sinh": "20/11/2006", "ton_giao": ""})
    flags = check_items(d, [9, 10], today=TODAY, strict=True)
    assert {(f.rule, f.field) for f in flags} == {("F8", "ton_giao"), ("F0", "nghe_nghiep")}


def test_check_items_checks_addresses_before_item_7_is_answered() -> None:
    d = load_sample("a")
    answers = {k: d.answers[k] for k in ("ho_ten", "ngay_sinh", "gioi_tinh", "que_quan")}
    answers["noi_dang_ky_khai_sinh"] = "xã An Lạc, huyện Thanh Bình, tỉnh Thái Bình"
    part = Dossier(answers=answers)
    flags = check_items(part, [1, 2, 3, 4, 5, 6], today=TODAY, strict=True)
    assert [(f.rule, f.item) for f in errors(flags)] == [("F5", 5)]
    assert "Hưng Yên" in errors(flags)[0].message  # the suggestion names the new province


def test_check_field_on_a_relative_fact_runs_the_family_rules() -> None:
    d = load_sample("a")
    rel(d, "ong_noi")["noi_mat"] = ""
    flags = check_field(d, "noi_mat", today=TODAY, strict=True)
    assert [f.rule for f in flags] == ["X12"]


def _one_row(flags: list[Flag], row: int) -> list[Flag]:
    return [f for f in flags if f.row == row]


def test_check_field_on_one_row_gives_that_rows_flags_as_the_whole_run_does() -> None:
    """An answer in a row runs its rules for that row (issue 17): the flags of that row are
    exactly the whole run's, a duplicate relative included, and nothing else is reported
    (what is about no row, as the family's missing relatives, waits for the part's end)."""
    d = load_sample("c")
    rel(d, "ong_noi")["noi_mat"] = ""
    rel(d, "cha")["ho_ten"] = "Trần văn Bình"  # not in capitals: a warning on that row
    d.relatives.append(dict(rel(d, "cha")))  # a second father: a duplicate on the last row
    d.relatives[-1]["nam_sinh"] = "2030"
    d.tables["dao_tao"][0]["tu"] = ""
    targets = {"relatives": len(d.relatives), **{t: len(d.rows(t)) for t in d.tables}}
    seen_rows = set()
    for target, count in targets.items():
        whole = check_field(d, target, today=TODAY, strict=True)
        for row in range(count):
            one = check_field(d, target, today=TODAY, strict=True, row=row)
            assert one == _one_row(whole, row), (target, row)
            seen_rows |= {(target, f.rule) for f in one if f.row == row}
    assert {("relatives", "X11"), ("relatives", "X12"), ("relatives", "X13")} <= seen_rows
    assert ("dao_tao", "F12") in seen_rows
    last = check_field(d, "relatives", today=TODAY, strict=True, row=len(d.relatives) - 1)
    assert f"X11:dup:cha:{len(d.relatives) - 1}" in {f.key for f in last}


def test_check_field_on_one_relative_does_not_list_relatives_not_yet_entered() -> None:
    d = load_sample("a")
    d.relatives = d.relatives[:1]
    assert check_field(d, "relatives", today=TODAY, strict=True) == []
    assert {f.key for f in check_items(d, [21], today=TODAY, strict=True)} >= {
        "X11:missing:cha",
        "X11:missing:ba_ngoai",
    }


#: words of a check's message that speak to the candidate (the chat's pronoun, a request, a
#: button, "ask / tell the chi bộ"): a reviewer is the chi bộ, and reads a result
_TO_THE_CANDIDATE = re.compile(r"anh/chị|\bbạn\b|\bhãy\b|\bbấm\b|\bgõ\b|hỏi chi bộ|báo chi bộ",
                               re.IGNORECASE)  # fmt: skip


def test_every_message_that_speaks_to_the_candidate_has_a_reviewers_text() -> None:
    """The reviewers' «Xem», draft notes and web page showed the candidate's texts («Mục (9):
    anh/chị ghi tôn giáo…», «bấm giải trình»): each such message of templates/rules.toml has
    its text about «người khai» in templates/rules_review.toml, and a new rule cannot forget
    it."""
    catalogues = files("templates")
    texts = tomllib.loads(catalogues.joinpath("rules.toml").read_text(encoding="utf-8"))
    reviewed = tomllib.loads(catalogues.joinpath("rules_review.toml").read_text(encoding="utf-8"))
    spoken = {
        (rule, key)
        for rule, keys in texts.items()
        for key, text in keys.items()
        if key != "title" and _TO_THE_CANDIDATE.search(text)
    }
    assert spoken  # the words still find the candidate's texts
    missing = sorted(f"{r}.{k}" for r, k in spoken if k not in reviewed.get(r, {}))
    assert not missing, missing
    for rule, keys in reviewed.items():
        for key, text in keys.items():
            assert key in texts.get(rule, {}), f"{rule}.{key}: no such message"
            assert not _TO_THE_CANDIDATE.search(text), f"{rule}.{key}: {text}"


def test_a_reviewers_run_reads_about_the_candidate() -> None:
    d = load_sample("a")
    d.answers["ton_giao"] = "Phật giáo"
    own = next(f for f in run_checks(d, today=date(2026, 3, 1)) if f.rule == "F8")
    read = next(
        f for f in run_checks(d, today=date(2026, 3, 1), reader="reviewer") if f.rule == "F8"
    )
    assert own.key == read.key and own.severity == read.severity
    assert "anh/chị ghi tôn giáo «Phật giáo»" in own.message
    assert "người khai ghi tôn giáo «Phật giáo»" in read.message
