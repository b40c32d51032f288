"""Edge cases found by auditing the checks against the domain notes (§2).

Each test starts from a clean sample, changes one thing and names the domain line it
follows. They failed before the fix that came with them.
"""

from __future__ import annotations

from datetime import date

from forms.checks import Flag, run_checks
from forms.checks import values as v
from forms.dossier import Dossier
from tests.samples import load_sample

TODAY = date(2026, 6, 1)


def run(d: Dossier, rule: str, **kw) -> list[Flag]:
    flags = run_checks(d, today=kw.pop("today", TODAY), strict=True, **kw)
    return [f for f in flags if f.rule == rule]


# --- X1: "completed 18 years, counted in months" ---------------------------------------------


def test_born_29_february_is_18_on_28_february_of_a_common_year() -> None:
    # The month count and the date the message names must agree: add_months clamps
    # 29/02 + 18 years to 28/02/2026, so on that day the 18 years are complete.
    d = load_sample("a")
    d.answers["ngay_sinh"] = "29/02/2008"
    d.meta.chi_bo_meeting = date(2026, 2, 28)
    assert run(d, "X1") == []
    d.meta.chi_bo_meeting = date(2026, 2, 27)
    (flag,) = run(d, "X1")
    assert "17 tuổi 11 tháng" in flag.message and "28/02/2026" in flag.message


def test_full_months_agrees_with_add_months_at_month_ends() -> None:
    for start in (date(2008, 2, 29), date(2001, 1, 31), date(2001, 3, 31), date(2001, 7, 12)):
        for months in (1, 11, 12, 216, 720):
            end = v.add_months(start, months)
            assert v.full_months(start, end) == months, (start, months)
            if end.day > 1:
                assert v.full_months(start, end.replace(day=end.day - 1)) == months - 1


# --- X7: "(14) starts at school entry (about age 6) or earlier" ------------------------------


def test_history_may_start_before_school_age() -> None:
    d = load_sample("a")  # born 07/2001, primary school from 09/2007
    d.tables["lich_su"].insert(
        0, {"tu": "07/2001", "den": "08/2007", "noi_dung": "Ở nhà với cha mẹ, học mẫu giáo An Lạc"}
    )
    assert run(d, "X7") == []
    assert run(d, "X4") == []


def test_school_start_is_still_judged_on_the_primary_school_row() -> None:
    d = load_sample("a")
    d.tables["lich_su"].insert(
        0, {"tu": "07/2001", "den": "08/2004", "noi_dung": "Ở nhà với cha mẹ tại xã An Lạc"}
    )
    d.tables["lich_su"][1]["tu"] = "09/2004"  # primary school at 3 years old
    (flag,) = run(d, "X7")
    assert "09/2004" in flag.message and "3 tuổi" in flag.message


# --- X4: "The Youth Union date quoted in (14) equals (12)" -----------------------------------

_ROW = "Học THPT tại Trường THPT Thanh Bình. Được kết nạp vào Đoàn TNCS Hồ Chí Minh {}."


def _youth_row(text: str) -> list[Flag]:
    d = load_sample("a")  # (12): 26/03/2017
    d.tables["lich_su"][2]["noi_dung"] = _ROW.format(text)
    return run(d, "X4")


def test_youth_date_in_14_written_with_dashes_as_in_the_hd38_example() -> None:
    # HD 38's own example writes "Admitted to the Youth Union on 26-3-2001".
    assert _youth_row("ngày 26-3-2017") == []
    assert _youth_row("ngày 26.03.2017") == []
    (flag,) = _youth_row("ngày 26-3-2018")
    assert "26-3-2018" in flag.message and "26/03/2017" in flag.message


def test_youth_month_in_14_is_compared_by_month() -> None:
    assert _youth_row("tháng 3/2017") == []
    assert _youth_row("tháng 03-2017") == []
    (flag,) = _youth_row("tháng 03/2018")
    assert "03/2018" in flag.message and "26/03/2017" in flag.message


def test_period_months_near_a_youth_clause_are_not_youth_dates() -> None:
    d = load_sample("a")
    d.tables["lich_su"][2]["noi_dung"] = (
        "Học THPT 09/2016 - 06/2019 tại Trường THPT Thanh Bình, kết nạp vào Đoàn ngày 26/03/2017"
    )
    assert run(d, "X4") == []


# --- X15: party-membership dates of relatives ------------------------------------------------


def test_relative_admitted_to_the_party_before_18_is_flagged() -> None:
    d = load_sample("a")
    mother = d.relatives_of("me")[0]  # born 1975
    mother["ngay_vao_dang"] = "19/05/1992"  # 17 at most
    (flag,) = run(d, "X15")
    assert flag.row == d.relatives.index(mother)
    assert "19/05/1992" in flag.message and "1975" in flag.message
    mother["ngay_vao_dang"] = "19/05/1993"  # 18 if born before 20/05/1975: cannot tell
    assert run(d, "X15") == []


def test_relative_admitted_after_their_death_is_flagged() -> None:
    d = load_sample("a")
    grandpa = d.relatives_of("ong_ngoai")[0]  # died 2020, joined 03/02/1968
    grandpa["ngay_vao_dang"] = "03/02/2021"
    (flag,) = run(d, "X15")
    assert "03/02/2021" in flag.message and "2020" in flag.message
    grandpa["ngay_vao_dang"] = "03/02/2020"
    assert run(d, "X15") == []


# --- F12 / X5: a history runs "up to now", never past it -------------------------------------


def test_period_ending_after_this_month_is_an_error() -> None:
    d = load_sample("a")
    d.tables["cong_tac"][2]["den"] = "12/2027"  # today 06/2026
    (flag,) = run(d, "F12")
    assert flag.table == "cong_tac" and flag.row == 2 and flag.severity == "error"
    assert "10/2024 – 12/2027" in flag.message and "sau tháng hiện tại" in flag.message


def test_period_starting_after_this_month_is_an_error_even_when_it_ends_nay() -> None:
    d = load_sample("a")
    d.tables["cong_tac"][2]["den"] = "08/2026"
    d.tables["cong_tac"].append(
        {"tu": "09/2026", "den": "nay", "viec": "Kỹ sư phần mềm, Công ty TNHH Công nghệ Sao Mai"}
    )
    flags = run(d, "F12")
    assert [f.row for f in flags] == [2, 3]
    assert "10/2024 – 08/2026" in flags[0].message and "09/2026 – nay" in flags[1].message
    d.tables["cong_tac"][2]["den"] = "05/2026"
    d.tables["cong_tac"][3]["tu"] = "06/2026"  # this month: fine
    assert run(d, "F12") == []


def test_award_month_after_this_month_is_an_error() -> None:
    d = load_sample("a")
    d.tables["khen_thuong"][0]["thang_nam"] = "07/2026"
    (flag,) = run(d, "F12")
    assert flag.table == "khen_thuong" and "07/2026" in flag.message
    d.tables["khen_thuong"][0]["thang_nam"] = "06/2026"
    assert run(d, "F12") == []


# --- X13: relatives' years against the candidate's and the spouse's ---------------------------


def test_spouse_grandparent_is_compared_with_the_spouse_when_in_laws_have_no_year() -> None:
    d = load_sample("b")  # husband born 1988
    for code in ("cha_vc", "me_vc"):
        d.relatives_of(code)[0]["nam_sinh"] = ""
    grandpa = d.relatives_of("ong_noi_vc")[0]
    grandpa["nam_sinh"] = "1985"
    (flag,) = run(d, "X13")
    assert flag.row == d.relatives.index(grandpa) and "1988" in flag.message
    grandpa["nam_sinh"] = "1935"
    assert run(d, "X13") == []


# --- F13: "the Japan stay (5 months ≥ 3)" for 02/2023–07/2023 -------------------------------


def test_stay_abroad_is_measured_from_month_to_month_as_the_domain_notes_do() -> None:
    d = load_sample("a")
    d.tables["nuoc_ngoai"][0].update(tu="02/2023", den="05/2023")  # 3 months
    assert run(d, "F13") == []
    d.tables["nuoc_ngoai"][0].update(tu="02/2023", den="04/2023")  # 2 months
    (flag,) = run(d, "F13")
    assert "2 tháng" in flag.message


# --- F1 / X11: names typed without diacritics -------------------------------------------------


def test_relative_name_without_diacritics_is_a_warning() -> None:
    d = load_sample("a")
    sister = d.relatives_of("anh_chi_em")[0]
    sister["ho_ten"] = "TRAN THI MINH ANH"
    (flag,) = run(d, "X11")
    assert flag.severity == "warning" and flag.row == d.relatives.index(sister)
    assert "TRAN THI MINH ANH" in flag.message and "dấu" in flag.message


def test_relative_name_that_needs_no_diacritics_in_lower_case_is_one_warning() -> None:
    d = load_sample("a")
    d.relatives_of("anh_chi_em")[0]["ho_ten"] = "tran thi minh anh"
    (flag,) = run(d, "X11")
    assert "TRAN THI MINH ANH" in flag.message


# --- X2: a month without the day -------------------------------------------------------------


def test_youth_union_month_without_day_asks_for_the_day() -> None:
    d = load_sample("a")
    d.answers["ngay_vao_doan"] = "03/2017"
    (flag,) = run(d, "X2")
    assert "03/2017" in flag.message and "ngày" in flag.message
    assert "không phải một ngày có thật" not in flag.message


# --- X7: "12/12" as F10 reads it -------------------------------------------------------------


def test_short_upper_secondary_is_noticed_whichever_way_12_12_is_written() -> None:
    d = load_sample("a")
    d.tables["lich_su"][2]["den"] = "06/2018"  # two school years
    d.tables["lich_su"][3].update(tu="09/2018", den="09/2018")
    d.tables["cong_tac"][0]["tu"] = "09/2018"
    assert [f.key for f in run(d, "X7")] == ["X7:lich_su:2:thpt"]
    d.answers["giao_duc_pho_thong"] = "tốt nghiệp trung học phổ thông hệ 12 năm"
    assert [f.key for f in run(d, "X7")] == ["X7:lich_su:2:thpt"]


# --- F1 / F3: what to fix, said precisely -----------------------------------------------------


def test_name_in_lower_case_without_diacritics_asks_for_both() -> None:
    d = load_sample("a")
    d.answers["ho_ten"] = d.answers["ky_ten"] = "tran minh khoa"
    (flag,) = run(d, "F1")
    assert "TRAN MINH KHOA" in flag.message and "chưa có dấu" in flag.message
    d.answers["ho_ten"] = d.answers["ky_ten"] = "trần minh khoa"
    (flag,) = run(d, "F1")
    assert "TRẦN MINH KHOA" in flag.message and "chưa có dấu" not in flag.message


def test_birth_month_without_day_asks_for_the_day() -> None:
    d = load_sample("a")
    d.answers["ngay_sinh"] = "07/2001"
    (flag,) = run(d, "F3")
    assert "07/2001" in flag.message and "không phải một ngày có thật" not in flag.message


def test_birth_date_in_the_future_is_out_of_range_not_impossible() -> None:
    d = load_sample("a")
    d.answers["ngay_sinh"] = "12/07/2027"  # a real date, after today
    (flag,) = run(d, "F3")
    assert "không hợp lý" in flag.message and "không phải một ngày có thật" not in flag.message


# --- P3: the introducing resolution is at most 12 months old (domain notes §3.2, step 10) ----


def test_introducing_resolution_older_than_12_months_must_be_redone() -> None:
    d = load_sample("a")  # meeting 17/03/2026; dossier opened 10/11/2025
    d.meta.dossier_opened = None
    d.tables["gioi_thieu"][1]["ngay_nghi_quyet"] = "17/03/2025"  # exactly 12 months
    assert run(d, "P3") == []
    d.tables["gioi_thieu"][1]["ngay_nghi_quyet"] = "16/03/2025"
    (flag,) = run(d, "P3")
    assert flag.table == "gioi_thieu" and flag.row == 1
    assert "16/03/2025" in flag.message and "17/03/2026" in flag.message


def test_certificate_dated_after_the_meeting_is_flagged() -> None:
    d = load_sample("a")  # meeting 17/03/2026
    d.answers["ngay_chung_nhan_ntvd"] = "18/03/2026"
    (flag,) = run(d, "P1")
    assert "18/03/2026" in flag.message and "17/03/2026" in flag.message
    d.answers["ngay_chung_nhan_ntvd"] = "17/03/2026"
    assert run(d, "P1") == []
