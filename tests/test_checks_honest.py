"""Checks that catch what a reviewer catches (issue 12): realistic variants that used to slip
through, "không rõ" where the guidance allows it, unverified places, unaccented booklet
text and emoji — with the clean samples still free of errors."""

from __future__ import annotations

from datetime import date

import pytest

from forms.addresses import analyse_address
from forms.checks import errors, run_checks
from forms.diacritics import lacks_diacritics, suggest_diacritics
from forms.dossier import Dossier
from tests.samples import load_sample


def run(d: Dossier) -> list:
    return run_checks(d, today=d.meta.chi_bo_meeting or date(2026, 3, 17), strict=True)


def rel(d: Dossier, code: str) -> dict[str, str]:
    return next(r for r in d.relatives if r["quan_he"] == code)


def rules(d: Dossier, rule: str) -> list:
    return [f for f in run(d) if f.rule == rule]


@pytest.mark.parametrize("name", ["a", "b"])
def test_the_clean_samples_still_have_no_error(name: str) -> None:
    assert errors(run(load_sample(name))) == []


# --- stays abroad ------------------------------------------------------------------------------


def test_a_stay_abroad_told_in_15_but_missing_from_18() -> None:
    d = load_sample("a")
    d.tables["nuoc_ngoai"] = []  # the Japan exchange 02/2023-07/2023 is only in (15)
    flags = rules(d, "X10")
    assert len(flags) == 1 and flags[0].item == 18
    assert "02/2023–07/2023" in flags[0].message and "Nhật Bản" in flags[0].message


def test_a_history_row_abroad_of_three_months_or_more_needs_its_row_in_18() -> None:
    d = load_sample("b")
    d.tables["cong_tac"][1].update(tu="07/2012", den="08/2012")  # 1 month: not required
    d.tables["cong_tac"][1]["viec"] = "Xuất khẩu lao động tại Đài Loan"
    assert rules(d, "X10") == []
    d.tables["cong_tac"][0].update(den="02/2012")
    d.tables["cong_tac"][1].update(tu="03/2012", den="08/2012")  # 5 months
    assert "Đài Loan" in rules(d, "X10")[0].message


def test_f13_and_x10_agree_on_a_short_stay() -> None:
    """A 2-month stay in (18) that (15) does not mention: F13 says remove it; X10 no longer
    says add it to (15)."""
    d = load_sample("a")
    d.tables["nuoc_ngoai"].append(
        {"tu": "08/2023", "den": "10/2023", "noi_dung": "Thực tập", "nuoc": "Hàn Quốc",
         "co_quan": "Trường ĐH Bách khoa Kinh Bắc"}
    )  # fmt: skip
    assert [f.row for f in rules(d, "F13")] == [1]
    assert [f for f in rules(d, "X10") if f.row == 1] == []


# --- relatives abroad --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "residence",
    [
        "CHLB Đức",
        "Cộng hòa Liên bang Đức",
        "Berlin (Đức)",
        "Đài Loan (Trung Quốc)",
        "Tokyo - Nhật Bản",
        "số 5 Lindenstraße, Berlin, CHLB Đức",
    ],
)
def test_a_relative_abroad_in_another_common_form_contradicts_khong(residence: str) -> None:
    d = load_sample("a")
    sister = rel(d, "anh_chi_em")
    sister.update(cu_tru=residence, o_nuoc_ngoai="không")
    flags = [f for f in rules(d, "X14") if f.is_error]
    assert len(flags) == 1 and residence in flags[0].message


@pytest.mark.parametrize(
    "residence",
    ["thôn Đông, xã An Lạc, tỉnh Hưng Yên", "phường Đức Giang, thành phố Hà Nội",
     "xã Anh Sơn - tỉnh Nghệ An", "Ký túc xá Trường ĐH Y Kinh Bắc, thành phố Hà Nội"],
)  # fmt: skip
def test_places_at_home_are_not_abroad(residence: str) -> None:
    d = load_sample("a")
    rel(d, "anh_chi_em").update(cu_tru=residence, o_nuoc_ngoai="không")
    assert rules(d, "X14") == []


# --- occupation, Youth Union date --------------------------------------------------------------


def test_another_job_at_the_same_workplace_as_the_current_row() -> None:
    d = load_sample("a")
    d.answers["nghe_nghiep"] = "Kế toán, Công ty TNHH Công nghệ Sao Mai"
    flags = rules(d, "X8")
    assert flags and flags[0].is_error and "hai công việc khác nhau" in flags[0].message


def test_the_same_job_written_differently_is_fine() -> None:
    d = load_sample("a")
    d.answers["nghe_nghiep"] = "Kỹ sư phần mềm tại Công ty TNHH Công nghệ Sao Mai"
    assert rules(d, "X8") == []


def test_a_youth_union_date_after_the_signing_date_is_caught_when_checked_later() -> None:
    d = load_sample("a")
    d.answers["ngay_vao_doan"] = "26/03/2026"  # after signing (20/02/2026), before "today"
    d.meta.chi_bo_meeting = None
    flags = run_checks(d, today=date(2026, 6, 1), strict=True)
    x2 = [f for f in flags if f.rule == "X2"]
    assert x2 and "20/02/2026" in x2[0].message and x2[0].is_error


def test_a_youth_union_date_after_the_meeting_date() -> None:
    d = load_sample("a")
    d.answers["ngay_vao_doan"] = "20/03/2026"
    d.answers["ngay_ky"] = "21/03/2026"
    d.meta.chi_bo_meeting = date(2026, 3, 17)
    flags = run_checks(d, today=date(2026, 6, 1), strict=True)
    assert any(f.rule == "X2" and "17/03/2026" in f.message for f in flags)


# --- "không rõ" --------------------------------------------------------------------------------


def test_khong_ro_is_accepted_where_the_guidance_allows_it() -> None:
    d = load_sample("a")
    grandpa = rel(d, "ong_noi")
    grandpa.update(nam_mat="không rõ", nguyen_nhan_mat="không rõ", noi_mat="không rõ")
    rel(d, "ba_noi")["nam_sinh"] = "không rõ"
    father = rel(d, "cha")
    father.update(noi_sinh="không rõ", que_quan="không rõ")
    rel(d, "me")["ngay_vao_dang"] = "không rõ"
    flags = run(d)
    assert errors(flags) == []
    assert not [f for f in flags if f.rule in ("X11", "X12", "X15", "X18", "F5", "F18")]


def test_dont_know_is_not_an_answer_where_khong_ro_is_not_allowed() -> None:
    d = load_sample("a")
    rel(d, "ong_noi")["ho_ten"] = "không biết"
    d.answers["ngay_sinh"] = "không rõ"
    flags = errors(run(d))
    assert any(f.rule == "F18" and f.row is not None for f in flags)
    assert any(f.rule in ("F3", "F18") and f.field == "ngay_sinh" for f in flags)


def test_a_dont_know_in_other_words_asks_for_the_canonical_khong_ro() -> None:
    d = load_sample("a")
    rel(d, "ong_noi")["nguyen_nhan_mat"] = "ko biet"
    flags = [f for f in run(d) if f.rule == "F18"]
    assert flags and "«không rõ»" in flags[0].message


# --- statements, non-answers -------------------------------------------------------------------


def test_a_bare_khong_about_compliance_is_an_error_with_an_example() -> None:
    d = load_sample("a")
    rel(d, "cha")["chap_hanh"] = "không"
    flags = [f for f in run(d) if f.rule == "F18"]
    assert flags and flags[0].is_error
    assert "Chấp hành tốt chủ trương của Đảng" in flags[0].message


@pytest.mark.parametrize(
    ("field", "value"),
    [("khoa_hoc_cong_nghe", "la sao? khoa hoc cong nghe la gi"), ("ngoai_ngu", "k"),
     ("thuong_tru", "co"), ("nghe_nghiep", "ghi gi a")],
)  # fmt: skip
def test_non_answers_stored_by_any_path_are_errors(field: str, value: str) -> None:
    d = load_sample("a")
    d.answers[field] = value
    assert [f.field for f in errors(run(d)) if f.rule == "F18"] == [field]


# --- places ------------------------------------------------------------------------------------


def test_an_unknown_commune_is_said_plainly_with_the_closest_real_names() -> None:
    typed = "xa long hung, huyen van giag, tinh hung yen"
    analysis = analyse_address(typed, kind="origin")
    assert analysis.suggestion is None  # no invented "new name"
    assert "place_not_found" in analysis.problems
    assert "huyện Van Giag" in analysis.not_found
    assert analysis.closest[0] == "xã Long Hưng, huyện Văn Giang, tỉnh Hưng Yên"
    d = load_sample("a")
    d.answers["que_quan"] = typed
    flags = [f for f in run(d) if f.rule == "F21" and f.field == "que_quan"]
    assert flags and "không tìm thấy" in flags[0].message
    assert "Long Hưng, huyện Văn Giang" in flags[0].message


def test_a_known_place_is_not_flagged() -> None:
    d = load_sample("a")
    d.answers["thuong_tru"] = "Thôn Đông, xã Long Hưng, tỉnh Hưng Yên"
    assert [f for f in rules(d, "F21") if f.field == "thuong_tru"] == []


# --- diacritics, emoji -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "typed", "suggestion"),
    [
        (
            "nghe_nghiep",
            "cong nhan may, cty tnhh may hung yen",
            "công nhân may, cty TNHH may Hưng Yên",
        ),
        (
            "noi_vao_doan",
            "chi doan 11a2 truong thpt van giang",
            "chi đoàn 11a2 trường THPT Văn Giang",
        ),
        ("noi_ky", "hung yen", "Hưng Yên"),
    ],
)  # fmt: skip
def test_booklet_text_without_diacritics_is_a_warning_with_a_suggestion(
    field: str, typed: str, suggestion: str
) -> None:
    assert suggest_diacritics(typed) == suggestion
    d = load_sample("a")
    d.answers[field] = typed
    flags = [f for f in rules(d, "F19") if f.field == field]
    assert flags and not flags[0].is_error and f"«{suggestion}»" in flags[0].message


@pytest.mark.parametrize("text", ["Em trai", "Y khoa", "IELTS 6.5", "Sao Mai", "Hà Nội"])
def test_text_that_needs_no_diacritics_is_not_flagged(text: str) -> None:
    assert not lacks_diacritics(text)


def test_emoji_in_an_answer_is_an_error() -> None:
    d = load_sample("a")
    d.tables["cong_tac"][2]["chuc_vu"] = "Phó Bí thư Chi đoàn 🎉"
    flags = rules(d, "F20")
    assert flags and flags[0].is_error and flags[0].row == 2 and "🎉" in flags[0].message


# --- a stay abroad told in (14), with a city before its country ------------------------------


@pytest.mark.parametrize(
    "told",
    [
        "Học tiếng Nhật tại Nhật Bản theo diện trao đổi.",
        "Học trung học phổ thông tại Melbourne (Úc) theo chương trình trao đổi.",
        "Học tiếng tại Tokyo - Nhật Bản.",
        "Làm việc ở Berlin (Đức), sau đó về nước.",
    ],
)
def test_a_stay_of_three_months_or_more_told_in_14_needs_its_row_in_18(told: str) -> None:
    d = load_sample("a")
    d.tables["lich_su"][2]["den"] = "09/2018"
    d.tables["lich_su"].insert(3, {"tu": "10/2018", "den": "06/2019", "noi_dung": told})
    flags = [f for f in rules(d, "X10") if f.table == "lich_su"]
    assert len(flags) == 1 and flags[0].item == 18 and flags[0].row == 3, told


@pytest.mark.parametrize(
    "told",
    [
        "Sinh viên tại Trường Đại học Việt - Đức, tỉnh Bình Dương.",  # in Viet Nam
        "Học tại Hà Nội - nơi có nhiều trường đại học.",
        "Học tiếng Anh tại trung tâm Anh ngữ, thành phố Hà Nội.",
    ],
)
def test_a_school_named_after_a_country_is_not_a_stay_abroad(told: str) -> None:
    d = load_sample("a")
    d.tables["lich_su"][2]["den"] = "09/2018"
    d.tables["lich_su"].insert(3, {"tu": "10/2018", "den": "06/2019", "noi_dung": told})
    assert [f for f in rules(d, "X10") if f.table == "lich_su"] == []


def test_a_short_stay_told_in_14_is_not_asked_for_in_18() -> None:
    d = load_sample("a")
    d.tables["lich_su"][2]["den"] = "09/2018"
    d.tables["lich_su"].insert(
        3, {"tu": "10/2018", "den": "11/2018", "noi_dung": "Học tiếng tại Tokyo - Nhật Bản."}
    )
    assert [f for f in rules(d, "X10") if f.table == "lich_su"] == []


def test_every_free_text_item_typed_without_diacritics_is_flagged() -> None:
    """Sample A with every free-text answer, table cell and relative's fact folded (the
    worker's keyboard): F19 flags each one, wherever it is in the booklet."""
    from forms.definition import load_form
    from forms.model import Kind
    from forms.vn import fold

    typed_kinds = (Kind.TEXT, Kind.LONG_TEXT, Kind.ADDRESS_ORIGIN, Kind.ADDRESS_RESIDENCE)
    form, d = load_form(), load_sample("a")

    def folded(value: object) -> bool:
        return isinstance(value, str) and fold(value) != value.lower()

    expected = set()
    for item in form.items():
        for f in item.fields:
            if f.kind in typed_kinds and folded(d.answers.get(f.id)):
                d.answers[f.id] = fold(d.answers[f.id])
                expected.add((item.number, None, None, f.id))
        if item.table is not None:
            for i, row in enumerate(d.rows(item.table.id)):
                for c in item.table.columns:
                    if c.kind in typed_kinds and folded(row.get(c.id)):
                        row[c.id] = fold(row[c.id])
                        expected.add((item.number, item.table.id, i, c.id))
    for i, rel in enumerate(d.relatives):
        for f in form.relatives().fields:
            if f.kind in typed_kinds and folded(rel.get(f.id)):
                rel[f.id] = fold(rel[f.id])
                expected.add((21, "relatives", i, f.id))
    flagged = {(f.item, f.table, f.row, f.field) for f in rules(d, "F19")}
    assert len(expected) > 80
    assert expected - flagged == set()


def test_a_non_answer_is_named_by_its_place_whether_an_answer_a_row_or_a_relative() -> None:
    """F18/F20 name where each value sits — the item and question, a table's row and
    column, a relative by relation and name — and key the flag by it; the place is worked
    out only for a flag (issue 17: the ~190 values of a whole run are plain tuples)."""
    d = load_sample("a")
    d.answers["dan_toc"] = "ko biết"
    d.answers["ten_khac"] = "Khoa 🎉"
    d.tables["cong_tac"][1]["chuc_vu"] = "ghi gì ạ?"
    d.relatives[0]["nghe_nghiep"] = "ok"
    found = {(f.rule, f.key): f for f in run(d) if f.rule in ("F18", "F20")}
    assert sorted(found) == [
        ("F18", "F18:cong_tac:1:chuc_vu"),
        ("F18", "F18:dan_toc"),
        ("F18", "F18:relatives:0:nghe_nghiep"),
        ("F20", "F20:ten_khac"),
    ]
    named = {
        "F18:dan_toc": "Mục (8) Dân tộc: «ko biết»",
        "F20:ten_khac": "Mục (2) Các tên gọi khác: có ký hiệu «🎉»",
        "F18:cong_tac:1:chuc_vu": "Mục (15), dòng 2, chức vụ: «ghi gì ạ?»",
        "F18:relatives:0:nghe_nghiep": "Mục (21), Ông nội TRẦN VĂN LỘC, nghề nghiệp: «ok»",
    }
    for (_, key), flag in found.items():
        assert flag.message.startswith(named[key]), flag.message
    relative = found[("F18", "F18:relatives:0:nghe_nghiep")]
    assert (relative.table, relative.row, relative.field) == ("relatives", 0, "nghe_nghiep")
