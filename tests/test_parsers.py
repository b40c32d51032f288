"""Examples for forms.parsers and forms.vn: what candidates type → what the booklet gets."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from forms import parsers as p
from forms import vn
from forms.classify import Verdict, classify
from forms.framing import polite_words
from forms.model import Kind
from forms.parsers import Month, ParseError, Period, parse_date, parse_year, parse_yes_no
from forms.texts import TEMPLATES_DIR
from handlers.candidate.texts import loop_reply


def error_key(fn, text: str) -> str:
    with pytest.raises(ParseError) as info:
        fn(text)
    assert info.value.message and isinstance(info.value.message, str)
    assert str(info.value) == info.value.message
    return info.value.key.removeprefix("parse.")


# --- vn helpers -----------------------------------------------------------------------------


def test_clean_text_normalises_and_keeps_emoji():
    assert vn.clean_text("  Nguye\u0302\u0303n \t\u00a0 Văn\u200b  A 😀 ") == "Nguyễn Văn A 😀"
    assert vn.clean_text("a\x00b\x1fc\u202e") == "abc"
    assert vn.clean_text("dòng 1\r\n\r\n  dòng 2  ") == "dòng 1 dòng 2"
    assert vn.clean_text("dòng 1\r\n\r\n  dòng 2  ", multiline=True) == "dòng 1\ndòng 2"
    assert vn.clean_text("👨\u200d👩\u200d👧") == "👨\u200d👩\u200d👧"  # joiners kept
    assert vn.clean_text(None) == ""  # type: ignore[arg-type]


def test_fold_and_keys():
    assert vn.fold("Đắk Lắk") == "dak lak"
    assert vn.match_key("  Ê-đê ") == "e de"
    assert vn.compact_key("H'Mông") == "hmong"
    assert vn.tone_key("Xã Vĩnh Hoà") == vn.tone_key("xã vĩnh hòa") == "xã vĩnh hòa"
    assert vn.normalise_tone_marks("Thuỷ, quý, Khoẻ, HOÀ") == "Thủy, quý, Khỏe, HÒA"


def test_case_helpers():
    assert vn.upper_vi("nguyễn văn đức ưng") == "NGUYỄN VĂN ĐỨC ƯNG"
    assert vn.title_vi("lê thị HOÀNG my") == "Lê Thị Hoàng My"
    assert vn.title_vi("h'mông gia-rai") == "H'mông Gia-rai"
    assert vn.has_diacritics("Lê") and not vn.has_diacritics("LE VAN A")
    assert vn.is_vietnamese_letter("Ự") and not vn.is_vietnamese_letter("ñ")


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "15/8/1997",
        "15-08-1997",
        "15.8.1997",
        "15 8 1997",
        "ngày 15 tháng 8 năm 1997",
        "ngay 15 thang 8 nam 1997",
        "Ngày 15 tháng 08 năm 1997.",
        "15 / 08 / 1997",
        "1997-08-15",
        "15081997",
    ],
)
def test_dates_accepted(text):
    assert p.parse_date(text) == dt.date(1997, 8, 15)
    assert p.canonical_date(text) == "15/08/1997"


def test_date_rules():
    assert p.parse_date("29/2/2000") == dt.date(2000, 2, 29)
    assert p.parse_date("mùng 5 tháng 8 năm 2001") == dt.date(2001, 8, 5)
    assert error_key(p.parse_date, "15/8/97") == "date.two_digit_year"
    assert error_key(p.parse_date, "31/2/2000") == "date.no_such_day"
    assert error_key(p.parse_date, "29/2/2001") == "date.no_such_day"
    assert error_key(p.parse_date, "15/13/1997") == "date.bad_month"
    assert error_key(p.parse_date, "15/8/1850") == "date.out_of_range"
    assert error_key(p.parse_date, "8/1997") == "date.month_only"
    assert error_key(p.parse_date, "") == "date.empty"
    assert error_key(p.parse_date, "hôm qua") == "date.invalid"
    assert error_key(p.parse_date, "١٥/٨/١٩٩٧") == "date.invalid"  # only ASCII digits


def test_two_digit_year_message_offers_full_years():
    with pytest.raises(ParseError) as info:
        p.parse_date("5/8/97")
    assert "05/08/1997" in info.value.message
    assert "2097" not in info.value.message


# --- months, periods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "8/1997",
        "08-1997",
        "08.1997",
        "tháng 8/1997",
        "thang 8 nam 1997",
        "T8/1997",
        "t8-1997",
        "1997-08",
    ],
)
def test_months_accepted(text):
    assert p.parse_month(text) == Month(1997, 8)
    assert p.format_month(p.parse_month(text)) == "08/1997"


def test_month_rules():
    assert error_key(p.parse_month, "8/97") == "month.two_digit_year"
    assert error_key(p.parse_month, "13/1997") == "month.bad_month"
    assert error_key(p.parse_month, "15/8/1997") == "month.full_date"
    assert error_key(p.parse_month, "") == "month.empty"
    assert error_key(p.parse_month, "tháng tám") == "month.no_year"
    assert error_key(p.parse_month, "2019") == "month.year_only"


def test_month_arithmetic():
    m = Month(2019, 9)
    assert m + 4 == Month(2020, 1) and 4 + m == Month(2020, 1)
    assert m - 9 == Month(2018, 12)
    assert Month(2024, 6) - m == 57 == p.months_between(m, Month(2024, 6))
    assert m.next() == Month(2019, 10) and m.prev() == Month(2019, 8)
    assert Month(2019, 12).next() == Month(2020, 1)
    assert sorted([Month(2020, 1), Month(2019, 12)]) == [Month(2019, 12), Month(2020, 1)]
    assert str(m) == "09/2019" and m.first_day() == dt.date(2019, 9, 1)
    with pytest.raises(ValueError):
        Month(2019, 13)


@pytest.mark.parametrize("text", ["nay", "hiện nay", "hien nay", "đến nay", "Đến nay", "hiện tại"])
def test_open_end(text):
    assert p.parse_month_or_now(text) is None


def test_month_or_now_errors():
    assert error_key(p.parse_month_or_now, "sắp tới") == "month_or_now.invalid"
    assert error_key(p.parse_month_or_now, "6/24") == "month.two_digit_year"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("từ 9/2019 đến 6/2024", Period(Month(2019, 9), Month(2024, 6))),
        ("tu 9/2019 den 6/2024", Period(Month(2019, 9), Month(2024, 6))),
        ("9/2019 - nay", Period(Month(2019, 9), None)),
        ("09/2019-06/2024", Period(Month(2019, 9), Month(2024, 6))),
        ("9/2019 → nay", Period(Month(2019, 9), None)),
        ("09/2019 đến nay", Period(Month(2019, 9), None)),
        ("9-2019 - 6-2024", Period(Month(2019, 9), Month(2024, 6))),
        ("Từ tháng 9/2019 đến tháng 6/2024", Period(Month(2019, 9), Month(2024, 6))),
        ("10/2025 - 10/2025", Period(Month(2025, 10), Month(2025, 10))),
    ],
)
def test_periods(text, expected):
    assert p.parse_period(text) == expected


def test_period_rules_and_format():
    assert error_key(p.parse_period, "6/2024 - 9/2019") == "period.start_after_end"
    assert error_key(p.parse_period, "nay - 9/2019") == "period.open_start"
    assert error_key(p.parse_period, "9/2019") == "period.invalid"
    assert error_key(p.parse_period, "") == "period.empty"
    assert error_key(p.parse_period, "9/19 - nay") == "month.two_digit_year"
    period = p.parse_period("tu 9/2019 den nay")
    assert p.format_period(period) == ("09/2019", "nay")
    assert p.canonical_period("9/2019-6/2024") == "09/2019 - 06/2024"
    assert period.is_open and period.end_or(Month(2026, 3)) == Month(2026, 3)


def test_years():
    assert p.parse_year("1997") == 1997
    assert p.parse_year("năm 1997") == 1997
    assert error_key(p.parse_year, "97") == "year.two_digit"
    assert error_key(p.parse_year, "1850") == "year.out_of_range"
    assert error_key(p.parse_year, str(dt.date.today().year + 1)) == "year.out_of_range"
    assert error_key(p.parse_year, "một chín chín bảy") == "year.invalid"
    assert p.parse_year("1850", min_year=1800) == 1850
    # a parent's whole birthday typed where the booklet holds only the year
    assert p.parse_year("12/3/1945") == 1945
    assert p.parse_year("ngày 12 tháng 3 năm 1945") == 1945
    assert p.parse_year("3/1945") == 1945
    assert error_key(p.parse_year, "12/3/1850") == "year.out_of_range"


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nguyễn văn hùng", "NGUYỄN VĂN HÙNG"),
        ("  Nguyễn   Văn  Hùng ", "NGUYỄN VĂN HÙNG"),
        ("Nguye\u0302\u0303n Va\u0306n Hu\u0300ng", "NGUYỄN VĂN HÙNG"),  # decomposed input
        ("đặng thị đào", "ĐẶNG THỊ ĐÀO"),
        ("Lê Hoàng Nam", "LÊ HOÀNG NAM"),
        ("h'hen niê", "H'HEN NIÊ"),
        ("H’ Hen Niê", "H'HEN NIÊ"),
        ("Ksor Y Wang", "KSOR Y WANG"),
    ],
)
def test_full_names(text, expected):
    assert p.parse_full_name(text) == expected


def test_full_name_rejections():
    assert error_key(p.parse_full_name, "") == "name.empty"
    assert error_key(p.parse_full_name, "Hùng") == "name.one_word"
    assert error_key(p.parse_full_name, "Nguyễn Văn 2") == "name.digits"
    assert error_key(p.parse_full_name, "Nguyễn V. Hùng") == "name.symbols"
    assert error_key(p.parse_full_name, "Nguyễn-Văn Hùng") == "name.symbols"
    assert error_key(p.parse_full_name, "Nguyễn Văn Hùng 😀") == "name.symbols"
    assert error_key(p.parse_full_name, "'Nguyễn Văn") == "name.symbols"
    assert error_key(p.parse_full_name, "Nguyễn " * 20) == "name.too_long"


def test_names_with_the_full_stop_a_phone_adds():
    """Phone keyboards put "." after a sentence; a name is not refused for it."""
    assert p.parse_full_name("Nguyễn Văn Hùng.") == "NGUYỄN VĂN HÙNG"
    assert p.parse_full_name("tran thi mai .") == "TRAN THI MAI"
    assert p.parse_other_names("Út Mười.") == "Út Mười"
    assert error_key(p.parse_full_name, "Nguyễn V. Hùng.") == "name.symbols"
    assert error_key(p.parse_full_name, "Nguyễn Văn Hùng..") == "name.symbols"


def test_is_upper_vietnamese_name():
    assert p.is_upper_vietnamese_name("LÊ HOÀNG NAM")
    assert p.is_upper_vietnamese_name("  ĐẶNG   THỊ ĐÀO ")
    assert not p.is_upper_vietnamese_name("Lê Hoàng Nam")
    assert not p.is_upper_vietnamese_name("LÊ HOÀNG nAM")
    assert not p.is_upper_vietnamese_name("123")


def test_other_names():
    for none in ("không", "khong", "KO", "k", "", "-", "...", "không có"):
        assert p.parse_other_names(none) == ""
    assert p.parse_other_names("út mười") == "Út Mười"
    assert p.parse_other_names("TƯ HÙNG; ba lùn") == "Tư Hùng, Ba Lùn"
    assert p.parse_other_names("Út McDonald") == "Út McDonald"  # mixed case kept
    assert error_key(p.parse_other_names, "Tư 4") == "other_names.bad_chars"


# --- choices --------------------------------------------------------------------------------


def test_gender():
    for text in ("nam", "Nam", "NAM", "nam giới"):
        assert p.parse_gender(text) == "nam"
    for text in ("nữ", "nu", "Nữ", "NU", "nữ giới"):
        assert p.parse_gender(text) == "nữ"
    assert error_key(p.parse_gender, "khác") == "gender.invalid"


def test_yes_no():
    for text in ("có", "co", "Có", "c", "C", "ok"):
        assert p.parse_yes_no(text) is True
    for text in ("không", "khong", "ko", "k", "K", "chưa"):
        assert p.parse_yes_no(text) is False
    assert error_key(p.parse_yes_no, "có lẽ") == "yes_no.invalid"


def test_yes_no_answers_to_da_chua_questions():
    """ "Anh/chị đã kết hôn chưa?" is answered "rồi" / "chưa", often with "dạ" or "ạ"."""
    for text in ("rồi", "roi", "Dạ rồi", "có rồi", "đã có", "rồi ạ", "Vâng, có ạ", "dạ có"):
        assert p.parse_yes_no(text) is True, text
    for text in ("dạ chưa", "chưa ạ", "ko có", "hok co", "Dạ không ạ", "chưa bao giờ", "không ạ"):
        assert p.parse_yes_no(text) is False, text
    for text in ("đã mất", "mất rồi ạ", "đã kết hôn", "có vợ rồi", "dạ có chồng"):
        assert p.parse_yes_no(text) is True, text
    for text in ("còn sống", "dạ vẫn còn sống ạ", "chưa kết hôn", "độc thân", "chưa lập gia đình"):
        assert p.parse_yes_no(text) is False, text
    for text in ("có lẽ", "ạ", "chưa rõ", "có không", "dạ dạ không"):
        assert error_key(p.parse_yes_no, text) == "yes_no.invalid", text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("không", "không"),
        ("khong", "không"),
        ("ko", "không"),
        ("k", "không"),
        ("Không", "không"),
        ("không theo tôn giáo nào", "không"),
        ("phat giao", "Phật giáo"),
        ("đạo Phật", "Phật giáo"),
        ("cong giao", "Công giáo"),
        ("thien chua giao", "Công giáo"),
        ("tin lanh", "Tin Lành"),
        ("cao dai", "Cao Đài"),
        ("hoa hao", "Phật giáo Hòa Hảo"),
        ("Phật giáo Hòa Hảo", "Phật giáo Hòa Hảo"),
        ("phat giao hoa hao", "Phật giáo Hòa Hảo"),
        ("hoi giao", "Hồi giáo"),
        ("Công giáo, chức sắc: linh mục", "Công giáo, chức sắc: linh mục"),
        ("cong giao, linh muc", "Công giáo, linh muc"),
        ("Đạo Mẫu", "Đạo Mẫu"),  # unknown: kept, the checks layer warns
    ],
)
def test_religion(text, expected):
    assert p.parse_religion(text) == expected


def test_religion_none_said_in_other_words():
    """ "khong theo" (không theo [đạo nào]) was stored as typed, without diacritics."""
    texts = ("khong theo", "Không theo đạo gì cả.", "ko co dao", "chưa theo tôn giáo nào")
    for text in (*texts, "lương", "bên lương"):  # "bên lương": not of the Church
        assert p.parse_religion(text) == "không", text
    assert p.parse_religion("không, gia đình theo Công giáo") == "không, gia đình theo Công giáo"


def test_religion_blank_and_recognised():
    for blank in ("", "   ", "-", "..."):
        assert error_key(p.parse_religion, blank) == "religion.empty"
    assert p.recognised_religion("cong giao, linh muc") == "Công giáo"
    assert p.recognised_religion("ko") == "không"
    assert p.recognised_religion("Đạo Mẫu") is None
    assert p.recognised_religion("") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kinh", "Kinh"),
        ("KINH", "Kinh"),
        ("dân tộc Kinh", "Kinh"),
        ("Kinh (Việt)", "Kinh"),
        ("tay", "Tày"),
        ("thai", "Thái"),
        ("muong", "Mường"),
        ("hmong", "Mông"),
        ("h mong", "Mông"),
        ("H'Mông", "Mông"),
        ("Mèo", "Mông"),
        ("khome", "Khơ-me"),
        ("Khmer", "Khơ-me"),
        ("ede", "Ê-đê"),
        ("Ê Đê", "Ê-đê"),
        ("gia rai", "Gia-rai"),
        ("bana", "Ba-na"),
        ("xo dang", "Xơ-đăng"),
        ("bru van kieu", "Bru-Vân Kiều"),
        ("ro mam", "Rơ-măm"),
        ("o du", "Ơ Đu"),
        ("Kinh; mẹ quốc tịch Lào, dân tộc Lào", "Kinh; mẹ quốc tịch Lào, dân tộc Lào"),
    ],
)
def test_ethnicity(text, expected):
    assert p.parse_ethnicity(text) == expected


def test_ethnicity_list_and_suggestions():
    names = p.ethnicity_names()
    assert len(names) == len(set(names)) == 54
    assert names[:3] == ["Kinh", "Tày", "Thái"]
    assert p.suggest_ethnicities("") == names[:6]
    assert p.suggest_ethnicities("kh", limit=3)[0] == "Khơ-me"
    assert "Gia-rai" in p.suggest_ethnicities("giarao")
    assert p.suggest_ethnicities("kinh", limit=0) == []
    with pytest.raises(ParseError) as info:
        p.parse_ethnicity("kinhh")
    assert info.value.key == "parse.ethnicity.unknown"
    assert info.value.suggestions[0] == "Kinh"
    assert "Kinh" in info.value.message
    assert error_key(p.parse_ethnicity, "") == "ethnicity.empty"


# --- education, political theory ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/12", "12/12"),
        ("12/12 phổ thông", "12/12 phổ thông"),
        ("12/12 pho thong", "12/12 phổ thông"),
        ("12 / 12 PT", "12/12 phổ thông"),
        ("9/12 bổ túc", "9/12 bổ túc"),
        ("9/12 bo tuc", "9/12 bổ túc"),
        ("12/12 BTVH", "12/12 bổ túc"),
        ("8/10", "8/10"),
        ("10/10 phổ thông", "10/10 phổ thông"),
        ("tốt nghiệp THPT", "12/12 phổ thông"),
        ("tốt nghiệp trung học phổ thông hệ 12 năm", "12/12 phổ thông"),
        ("tot nghiep thcs", "9/12 phổ thông"),
        ("tốt nghiệp bổ túc THPT", "12/12 bổ túc"),
        ("lớp 12", "12/12"),
        ("hết lớp 12", "12/12"),
        ("THPT", "12/12 phổ thông"),
        ("học hết cấp 2", "9/12 phổ thông"),
    ],
)
def test_general_education(text, expected):
    assert p.parse_general_education(text) == expected


def test_general_education_rules():
    assert error_key(p.parse_general_education, "13/12") == "education.bad_grade"
    assert error_key(p.parse_general_education, "0/12") == "education.bad_grade"
    assert error_key(p.parse_general_education, "9/11") == "education.bad_system"
    assert error_key(p.parse_general_education, "12") == "education.invalid"
    assert error_key(p.parse_general_education, "12/12 đại học") == "education.invalid"
    assert error_key(p.parse_general_education, "") == "education.empty"
    assert p.education_grade("9/12 bo tuc") == (9, 12)
    assert p.education_grade("tốt nghiệp THPT") == (12, 12)
    assert p.education_grade("đại học") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("không", "không"),
        ("chưa có", "không"),
        ("so cap", "sơ cấp"),
        ("Trung cấp", "trung cấp"),
        ("trung cap khong tap trung", "trung cấp, không tập trung"),
        ("trung cấp, không tập trung", "trung cấp, không tập trung"),
        ("Cao cấp lý luận chính trị (tập trung)", "cao cấp, tập trung"),
        ("cao cap LLCT he chinh quy", "cao cấp, tập trung"),
        ("tại chức trung cấp", "trung cấp, không tập trung"),
        ("cử nhân chính trị", "cử nhân"),
    ],
)
def test_political_theory(text, expected):
    assert p.parse_political_theory(text) == expected


def test_political_theory_rules():
    assert error_key(p.parse_political_theory, "nhận thức về Đảng") == "political_theory.ntvd"
    assert error_key(p.parse_political_theory, "thạc sĩ") == "political_theory.invalid"
    assert error_key(p.parse_political_theory, "") == "political_theory.invalid"
    assert p.political_theory_level("trung cap tai chuc") == ("trung cấp", "không tập trung")
    assert p.political_theory_level("so cap") == ("sơ cấp", None)
    assert p.political_theory_level("??") is None


# --- the catalogue --------------------------------------------------------------------------

# One input per message key, so every message is rendered at least once.
KEY_EXAMPLES = {
    "general.too_long": (p.parse_date, "1" * 500),
    "date.empty": (p.parse_date, ""),
    "date.invalid": (p.parse_date, "x"),
    "date.two_digit_year": (p.parse_date, "1/1/05"),
    "date.bad_month": (p.parse_date, "1/13/2000"),
    "date.no_such_day": (p.parse_date, "31/4/2000"),
    "date.out_of_range": (p.parse_date, "1/1/1800"),
    "date.month_only": (p.parse_date, "1/2000"),
    "month.empty": (p.parse_month, ""),
    "month.invalid": (p.parse_month, "x"),
    "month.two_digit_year": (p.parse_month, "1/05"),
    "month.bad_month": (p.parse_month, "13/2000"),
    "month.out_of_range": (p.parse_month, "1/1800"),
    "month.full_date": (p.parse_month, "1/1/2000"),
    "month.year_only": (p.parse_month, "2000"),
    "month.no_year": (p.parse_month, "tháng 9"),
    "month_or_now.invalid": (p.parse_month_or_now, "x"),
    "period.empty": (p.parse_period, ""),
    "period.invalid": (p.parse_period, "x"),
    "period.start_after_end": (p.parse_period, "2/2000 - 1/2000"),
    "period.open_start": (p.parse_period, "nay - 1/2000"),
    "year.empty": (p.parse_year, ""),
    "year.invalid": (p.parse_year, "x"),
    "year.two_digit": (p.parse_year, "05"),
    "year.out_of_range": (p.parse_year, "1800"),
    "year.approximate": (p.parse_year, "khoảng 1950"),
    "name.empty": (p.parse_full_name, ""),
    "name.one_word": (p.parse_full_name, "Hùng"),
    "name.digits": (p.parse_full_name, "Hùng 2"),
    "name.symbols": (p.parse_full_name, "Hùng!"),
    "name.too_long": (p.parse_full_name, "a " * 60),
    "other_names.bad_chars": (p.parse_other_names, "Tư 4"),
    "other_names.too_long": (p.parse_other_names, "a " * 150),
    "gender.invalid": (p.parse_gender, "x"),
    "religion.empty": (p.parse_religion, ""),
    "nationality.empty": (p.parse_nationality, ""),
    "nationality.place": (p.parse_nationality, "thôn Đông, xã An Lạc, tỉnh Hưng Yên"),
    "religion.too_long": (p.parse_religion, "a" * 400),
    "ethnicity.empty": (p.parse_ethnicity, ""),
    "ethnicity.unknown": (p.parse_ethnicity, "xyz"),
    "ethnicity.too_long": (p.parse_ethnicity, "a" * 300),
    "education.empty": (p.parse_general_education, ""),
    "education.invalid": (p.parse_general_education, "x"),
    "education.bad_grade": (p.parse_general_education, "11/10"),
    "education.bad_system": (p.parse_general_education, "5/9"),
    "political_theory.invalid": (p.parse_political_theory, "x"),
    "political_theory.ntvd": (p.parse_political_theory, "nhan thuc ve dang"),
    "yes_no.invalid": (p.parse_yes_no, "x"),
    "statement.bare": (p.parse_statement, "không"),
}


def _catalogue_keys() -> set[str]:
    data = tomllib.loads((TEMPLATES_DIR / "parse.toml").read_text(encoding="utf-8"))
    data.pop("address")  # forms.addresses' messages, tested there
    return {f"{section}.{key}" for section, entries in data.items() for key in entries}


def test_every_message_key_is_reachable_and_renders():
    assert set(KEY_EXAMPLES) == _catalogue_keys()
    for key, (fn, text) in KEY_EXAMPLES.items():
        assert error_key(fn, text) == key, key


def test_messages_never_echo_user_text():
    with pytest.raises(ParseError) as info:
        p.parse_date("<b>15/8/97</b> & x")
    assert "<b>" not in info.value.message and "&" not in info.value.message


@pytest.mark.parametrize("head", sorted(polite_words()[0]))
def test_a_polite_head_is_read_alike_by_every_reader(head: str) -> None:
    """The polite words are declared once (forms/data/framing.toml): each one before a reply
    is taken off by the yes/no, date, year and "không biết" readers alike — "thưa có",
    "vâng 15/8/1997" typed without diacritics were refused where "dạ có" was read."""
    assert parse_yes_no(f"{head} co") is True
    assert parse_date(f"{head} 15/8/1997") == dt.date(1997, 8, 15)
    assert parse_year(f"{head} 1973") == 1973
    assert classify(f"{head} khong biet", Kind.TEXT).verdict is Verdict.I_DONT_KNOW


@pytest.mark.parametrize("tail", sorted(polite_words()[1]))
def test_a_polite_tail_is_read_alike_by_every_reader(tail: str) -> None:
    assert parse_yes_no(f"khong {tail}") is False
    assert parse_date(f"15/8/1997 {tail}") == dt.date(1997, 8, 15)
    assert classify(f"khong biet {tail}", Kind.TEXT).verdict is Verdict.I_DONT_KNOW
    assert loop_reply(f"khong {tail}", adding=True) == "done"
