"""What a new user on a cheap phone types, tried through the console (session 14): the same
word spelled with "i" or "y" («đăng kí» for «đăng ký», «kỉ luật», «lí lịch»: both standard)
named nothing; a yes typed without diacritics or a comma before a trip ("co di han quoc lam
viec") kept only «có»; a year said among a course's words ("tập huấn … năm 2023") lost the
words as a mistyped date; «trung cấp lý luận chính trị» went to «Tên trường»; "Em Khoa" at
(1) was stored as «EM KHOA». Each class is read in the one place that owns it: vn.one_spelling
where a name of the form's is matched, the gate's yes with its row (gates.py), the row's
words at its date (tables.py), a column's words (framing.toml), a title before a name
(framing.py)."""

from __future__ import annotations

import pytest

from forms.framing import columns, unframe
from forms.parsers import parse_political_theory
from handlers.router import Router
from tests.chat_client import ChatClient
from tests.samples import load_sample
from tests.test_conversation import consented, dossier
from tests.test_honest_conversation import at, router

__all__ = ["router"]


async def named(router: Router) -> ChatClient:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    return client


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("như nơi đăng kí khai sinh", "Quê quán: chép từ mục (5) Nơi đăng ký khai sinh"),
        ("nhu noi dang ki khai sinh", "Quê quán: chép từ mục (5) Nơi đăng ký khai sinh"),
        ("sửa mục kỉ luật", "Anh/chị đã từng bị kỷ luật"),
        ("sua muc ki luat", "Anh/chị đã từng bị kỷ luật"),
        ("nộp lí lịch", "Chưa nộp được"),
        ("nop li lich", "Chưa nộp được"),
    ],
)
async def test_a_word_spelled_with_i_for_y(router: Router, typed: str, said: str) -> None:
    """«kí»/«ký», «lí»/«lý», «kỉ»/«kỷ» are both standard: a name of the form's (an item to
    copy or to edit, a command said in words) reads either way; nothing is stored as an
    answer ("nộp lí lịch" was stored as another name)."""
    client = await named(router)
    await client.send("/sua 5")
    await client.send("xã An Lạc, tỉnh Hưng Yên")  # (5); (6) is asked
    text = client.texts(await client.send(typed))
    assert said in text
    assert "Đã ghi" not in text.replace("Đã ghi: xã An Lạc", "")


@pytest.mark.parametrize(
    ("typed", "country", "content"),
    [
        ("co, di han quoc lam viec", "han quoc", "lam viec"),
        ("co di nhat ban thuc tap", "nhat ban", "thuc tap"),
        ("có đi Nhật Bản thực tập", "Nhật Bản", "thực tập"),
        ("có đi nước ngoài ạ", None, None),  # a yes in the question's words: no trip yet
    ],
)
async def test_a_trip_typed_after_its_yes(
    router: Router, typed: str, country: str | None, content: str | None
) -> None:
    client = await named(router)
    await client.send("/sua 18")
    said = client.texts(await client.send(typed))
    assert said.startswith("Đã ghi: có")
    rows = (await dossier(router, client)).rows("nuoc_ngoai")
    if country is None:
        assert rows == [] and "Thêm chuyến đi" in said
    else:
        assert [(r.get("nuoc"), r.get("noi_dung")) for r in rows] == [(country, content)]
        if "Dùng cách ghi đề xuất" in client.buttons():  # «han quoc»: «Hàn Quốc» offered
            said = client.texts(await client.click("Giữ như tôi đã ghi"))
        assert "Thời gian" in said  # its dates asked next


def test_a_country_typed_in_small_letters_only_where_nothing_is_capitalised() -> None:
    asked = ("noi_dung", "nuoc")
    assert columns("sang lào lao động", "nuoc_ngoai", asked) == {
        "noi_dung": "lao động", "nuoc": "lào"
    }  # fmt: skip
    assert columns("sang lao dong", "nuoc_ngoai", asked) is None  # no «Lào» in «lao động»
    assert columns("Em sang lao dong", "nuoc_ngoai", asked) is None  # capitals typed elsewhere


@pytest.mark.parametrize(
    ("item", "typed", "kept", "example"),
    [
        (17, "tập huấn nghiệp vụ công tác Đoàn năm 2023",
         "«Ngành học hoặc tên lớp học»: tập huấn nghiệp vụ công tác Đoàn", "03/2023 - 05/2023"),
        (17, "tap huan nghiep vu 2023", "«Ngành học hoặc tên lớp học»: tap huan nghiep vu",
         "03/2023 - 05/2023"),
        (14, "học trường tiểu học An Lạc năm 2001", "«Nội dung»: học trường tiểu học An Lạc",
         "03/2001 - 05/2001"),
    ],
)  # fmt: skip
async def test_a_year_said_among_a_rows_words(
    router: Router, item: int, typed: str, kept: str, example: str
) -> None:
    """A bare year among a row's words is the row's year, not its date mistyped: the words
    are stored and the months asked, the year named ("Chưa đọc được khoảng thời gian" and
    every word lost, before)."""
    client = await named(router)
    await client.send(f"/sua {item}")
    if item == 14:
        await client.click("Thêm")  # (17): typed at its menu
    said = client.texts(await client.send(typed))
    assert f"Đã ghi {kept}" in said
    assert f"không chỉ năm {example[-4:]}; ví dụ: {example}" in said
    assert "Chưa đọc được" not in said


@pytest.mark.parametrize(
    ("line", "read"),
    [
        ("trung cấp lý luận chính trị, hệ tại chức",
         {"nganh": "trung cấp lý luận chính trị", "hinh_thuc": "tại chức"}),
        ("cao cap ly luan chinh tri, he tap trung",
         {"nganh": "cao cap ly luan chinh tri", "hinh_thuc": "tap trung"}),
        ("Trung cấp Y tế Hà Nội, chính quy",  # a school whose name begins alike
         {"truong": "Trung cấp Y tế Hà Nội", "hinh_thuc": "chính quy"}),
    ],
)  # fmt: skip
def test_a_political_theory_course_is_no_school(line: str, read: dict[str, str]) -> None:
    assert columns(line, "dao_tao", ("nganh", "truong", "hinh_thuc", "van_bang")) == read


async def test_a_political_theory_course_typed_at_the_menu(router: Router) -> None:
    client = await named(router)
    await client.send("/sua 17")
    await client.send("có")
    said = client.texts(await client.send("trung cấp lý luận chính trị, hệ tại chức"))
    assert "Đã ghi «Ngành học hoặc tên lớp học»: trung cấp lý luận chính trị" in said
    assert "Đã ghi «Hình thức học»: Tại chức" in said
    assert "Tên trường, cấp phụ trách»" not in said


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Em Khoa", None),  # the given name alone: the whole name asked
        ("em khoa", None),
        ("Tôi Trần Minh Khoa", "TRẦN MINH KHOA"),
        ("Cháu Lê Văn Tám", "LÊ VĂN TÁM"),
    ],
)
async def test_a_speakers_word_before_the_name(
    router: Router, typed: str, stored: str | None
) -> None:
    client = await consented(router)
    said = client.texts(await client.send(typed))
    assert "EM KHOA" not in said and "TÔI" not in said and "CHÁU" not in said
    if stored is None:
        assert "ghi đủ họ, tên đệm (nếu có) và tên" in said
    else:
        assert said.startswith(f"Đã ghi: {stored}")


@pytest.mark.parametrize("typed", ["ở nhà bố mẹ", "o nha bo me", "sống cùng bố mẹ"])
async def test_a_home_named_by_whose_it_is(router: Router, typed: str) -> None:
    """ "ở nhà bố mẹ" at a sibling's «Nơi ở hiện nay» was refused as the answer to «Nghề
    nghiệp» ("ở nhà" alone is a job's word: one who stays home): the parents' home is offered,
    as "sống cùng bố mẹ" was."""
    client = await at(router, load_sample("a"))
    await client.send("/sua 21")
    while "✏️ Sửa" not in client.buttons():
        await client.click("Giữ nguyên")
    await client.click("Sửa")
    await client.click("7.")  # the sibling
    for _ in range(8):
        if "Nơi ở hiện nay?" in client.texts():
            break
        await client.click("Giữ nguyên")
    said = client.texts(await client.send(typed))
    assert "Nghề nghiệp" not in said  # no job's answer one question early
    assert "Nơi ở hiện nay: chép từ Cha đẻ – Nơi ở hiện nay" in said  # their home: theirs
    await client.click("Ghi như vậy")
    father, sibling = (await dossier(router, client)).relatives[4:7:2]
    assert sibling["cu_tru"] == father["cu_tru"]


async def test_one_month_typed_for_a_stay_abroad_asks_its_end(router: Router) -> None:
    """(18) records only stays of 3 months or more: "3/2019" alone was stored as a one-month
    stay (03/2019 - 03/2019); it is the start, and the end is asked."""
    client = await named(router)
    await client.send("/sua 18")
    await client.send("có")
    await client.click("Thêm")
    said = client.texts(await client.send("3/2019"))
    assert "03/2019 - 03/2019" not in said
    assert "từ 3 tháng trở lên" in said and "Từ 03/2019 đến tháng/năm nào?" in said
    said = client.texts(await client.send("9/2019"))
    assert "Đã ghi: 03/2019 - 09/2019" in said
    (trip,) = (await dossier(router, client)).rows("nuoc_ngoai")
    assert (trip["tu"], trip["den"]) == ("03/2019", "09/2019")


@pytest.mark.parametrize(
    ("typed", "stored", "offered"),
    [
        ("15/3", "15/03/2026", False),  # the day and month: this year's (today 17/03/2026)
        ("ngày 2 tháng 3", "02/03/2026", False),
        ("1/1/2020", "01/01/2020", True),  # years ago: today's date offered
        ("17/03/2026", "17/03/2026", False),
    ],
)
async def test_the_signing_date_is_read_near_today(
    router: Router, typed: str, stored: str, offered: bool
) -> None:
    client = await named(router)
    await client.send("/sua 23")
    await client.click("Tôi xin cam đoan")
    await client.send("Hà Nội")
    said = client.texts(await client.send(typed))
    assert f"Đã ghi: {stored}" in said
    assert ("Dùng ngày hôm nay?" in said) is offered
    if offered:
        await client.click("Dùng cách ghi đề xuất")
    signed = (await dossier(router, client)).answers["ngay_ky"]
    assert signed == ("17/03/2026" if offered else stored)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("trung cấp lí luận chính trị", "trung cấp"),
        ("trung cap li luan chinh tri", "trung cấp"),
        ("sơ cấp lí luận, hệ chính quy", "sơ cấp, tập trung"),
        ("cao cap LLCT he chinh quy", "cao cấp, tập trung"),
    ],
)
def test_the_political_theory_level_spelled_with_i(typed: str, read: str) -> None:
    """(11)'s «Lý luận chính trị» read «lí luận» as no level at all."""
    assert parse_political_theory(typed) == read


@pytest.mark.parametrize(
    "typed", ["ký tên Trần Minh Khoa", "tôi kí tên là Trần Minh Khoa", "kí tên: Trần Minh Khoa"]
)
async def test_the_name_under_the_signature_said_with_its_verb(router: Router, typed: str) -> None:
    """ "ký tên Trần Minh Khoa" was stored as «KÝ TÊN TRẦN MINH KHOA» and flagged as unlike
    item (1); "tôi kí tên là …" too ("kí" was no «ký» of the frame's)."""
    client = await named(router)
    await client.send("/sua 23")
    await client.click("Tôi xin cam đoan")
    await client.send("Hà Nội")
    await client.send("15/3/2026")
    said = client.texts(await client.send(typed))
    assert said.startswith("Đã ghi: TRẦN MINH KHOA") and "khác mục (1)" not in said


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("bố em Trần Văn Lộc", "Trần Văn Lộc"),
        ("bo em tran van loc", "tran van loc"),
        ("ông nội em Trần Văn Tư", "Trần Văn Tư"),
        ("bố em không rõ", "bố em không rõ"),  # no name after it: left for the classifier
    ],
)
def test_a_relatives_name_after_whose_relative_it_is(typed: str, name: str) -> None:
    assert unframe(typed, "name", "Họ và tên", "ho_ten") == name
