"""What a new candidate types, tried through the chat (session 15): a yes with the question's
words restated ("có, đi nước ngoài") was stored as a row; a country typed without diacritics
(«han quoc») was stored as typed, never offered as «Hàn Quốc»; «học hệ» read across «đại
học»; a line's second column with a better writing («thanh doan» after «bang khen») was
dropped and asked again; "hôm qua" at the signing date was refused; "/sua quốc tịch" listed
every item; "ở nhà bố mẹ" at the candidate's own (7) was stored as an address; a two-digit
year's readings were judged by the system's date, not the bot's clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from admission.clock import FixedClock
from forms.framing import columns
from handlers.candidate import CandidateFlow
from handlers.router import Router
from storage.db import Database
from tests.samples import load_sample
from tests.test_conversation import consented, dossier
from tests.test_honest_conversation import at, missing, router
from tests.test_typed_variants import named

__all__ = ["router"]


@pytest.mark.parametrize(
    ("item", "typed", "table"),
    [
        (18, "có, đi nước ngoài", "nuoc_ngoai"),
        (18, "co, di nuoc ngoai roi a", "nuoc_ngoai"),
        (18, "rồi, em đi nước ngoài 1 lần", "nuoc_ngoai"),
        (19, "có, được khen thưởng", "khen_thuong"),
        (19, "được khen thưởng", "khen_thuong"),
        (20, "có, bị kỷ luật", "ky_luat"),
        (20, "co, da tung bi ky luat", "ky_luat"),
    ],
)
async def test_a_yes_with_the_question_restated_names_no_row(
    router: Router, item: int, typed: str, table: str
) -> None:
    """The question's words after a yes were stored as the row's «Nội dung» («đi nước
    ngoài», «tung bi ky luat»): a yes, and the row is asked."""
    client = await named(router)
    await client.send(f"/sua {item}")
    said = client.texts(await client.send(typed))
    assert said.startswith("Đã ghi: có")
    assert "Đã ghi «" not in said
    assert (await dossier(router, client)).rows(table) == []


@pytest.mark.parametrize(
    ("item", "typed", "stored"),
    [
        (18, "có, đi Hàn Quốc", {"nuoc": "Hàn Quốc"}),
        (19, "có, bằng khen", {"ly_do_hinh_thuc": "bằng khen"}),
    ],
)
async def test_a_yes_with_a_real_row_keeps_it(
    router: Router, item: int, typed: str, stored: dict[str, str]
) -> None:
    client = await named(router)
    await client.send(f"/sua {item}")
    await client.send(typed)
    (row,) = (await dossier(router, client)).tables[{18: "nuoc_ngoai", 19: "khen_thuong"}[item]]
    assert stored.items() <= row.items()


async def test_a_country_typed_without_diacritics_in_a_trips_line_is_offered(
    router: Router,
) -> None:
    client = await named(router)
    await client.send("/sua 18")
    said = client.texts(await client.send("co, di han quoc lam viec"))
    assert "«Hàn Quốc»" in said and "Dùng cách ghi đề xuất" in client.buttons()
    await client.click("Dùng cách ghi đề xuất")
    assert "Thời gian ở nước ngoài" in client.last_text()  # the held date asked next
    (trip,) = (await dossier(router, client)).rows("nuoc_ngoai")
    assert (trip["nuoc"], trip["noi_dung"]) == ("Hàn Quốc", "lam viec")


@pytest.mark.parametrize(
    ("typed", "offered"),
    [("han quoc", "Hàn Quốc"), ("nhat ban, dai loan", "Nhật Bản, Đài Loan"), ("duc", "Đức")],
)
async def test_a_country_typed_without_diacritics_at_its_question(
    router: Router, typed: str, offered: str
) -> None:
    client = await named(router)
    await client.send("/sua 18")
    await client.send("có")
    await client.click("Thêm")
    await client.send("02/2023 - 07/2023")
    await client.send("Học trao đổi")
    said = client.texts(await client.send(typed))
    assert f"«{offered}»" in said
    await client.click("Giữ như tôi đã ghi")  # declined: kept as typed, never rewritten
    (trip,) = (await dossier(router, client)).rows("nuoc_ngoai")
    assert trip["nuoc"] == typed


async def test_a_nationality_typed_without_diacritics_is_offered_as_written(
    router: Router,
) -> None:
    """«han quoc» was stored «Han Quoc» (each word capitalised, no diacritics)."""
    d = missing(relatives={4: ("quoc_tich", "cu_tru", "o_nuoc_ngoai", "nghe_nghiep",
                               "dan_toc", "ton_giao", "chinh_tri", "la_dang_vien")})  # fmt: skip
    client = await at(router, d)
    assert "Quốc tịch?" in client.texts()
    said = client.texts(await client.send("han quoc"))
    assert "«Hàn Quốc»" in said
    await client.click("Dùng cách ghi đề xuất")
    assert (await dossier(router, client)).relatives[4]["quoc_tich"] == "Hàn Quốc"


@pytest.mark.parametrize(
    ("line", "read"),
    [
        ("học đại học hệ chính quy", {"nganh": "học đại học", "hinh_thuc": "chính quy"}),
        ("hoc dai hoc he chinh quy", {"nganh": "hoc dai hoc", "hinh_thuc": "chinh quy"}),
        ("học đại học tại chức", {"nganh": "học đại học", "hinh_thuc": "tại chức"}),
        ("học tin học văn phòng hệ ngắn hạn",
         {"nganh": "học tin học văn phòng", "hinh_thuc": "ngắn hạn"}),
    ],
)  # fmt: skip
def test_a_cue_never_begins_inside_a_word(line: str, read: dict[str, str]) -> None:
    """«học hệ» (a cue of «Hình thức học») began at the «học» of «đại học»: «Ngành: học
    đại»."""
    assert columns(line, "dao_tao", ("nganh", "truong", "hinh_thuc", "van_bang")) == read


async def test_every_column_of_a_line_is_kept_when_one_is_offered(router: Router) -> None:
    """«thanh doan» was dropped («offered when asked») and «Cấp quyết định» asked again."""
    client = await named(router)
    await client.send("/sua 19")
    await client.send("co bang khen cua thanh doan thang 5/2020")
    await client.click("Dùng cách ghi đề xuất")
    (award,) = (await dossier(router, client)).rows("khen_thuong")
    assert award == {
        "thang_nam": "05/2020", "ly_do_hinh_thuc": "bằng khen", "cap_quyet_dinh": "thanh doan"
    }  # fmt: skip
    assert "Cấp nào quyết định" not in client.last_text()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("hôm qua", "16/03/2026"), ("hom kia a", "15/03/2026"), ("dạ hôm nay ạ", "17/03/2026"),
     ("ngày mai", "18/03/2026")],
)  # fmt: skip
async def test_a_date_said_from_today_at_the_signing_date(
    router: Router, typed: str, stored: str
) -> None:
    client = await at(router, missing("ngay_ky"))
    said = client.texts(await client.send(typed))
    assert f"Đã ghi: {stored}" in said
    assert (await dossier(router, client)).answers["ngay_ky"] == stored


async def test_yesterday_is_no_birth_date(router: Router) -> None:
    client = await named(router)
    await client.click("Bỏ qua")
    await client.send("hôm qua")
    assert "ngay_sinh" not in (await dossier(router, client)).answers


@pytest.mark.parametrize(
    ("typed", "item"),
    [("quốc tịch", "(21)"), ("quoc tich", "(21)"), ("nước nào", "(18)"),
     ("hình thức học", "(17)"), ("ten", "(1) Họ và tên")],
)  # fmt: skip
async def test_an_item_opened_by_a_facts_name(router: Router, typed: str, item: str) -> None:
    client = await at(router, load_sample("a"))
    said = client.texts(await client.send(f"/sua {typed}"))
    assert "muốn sửa mục nào" not in said
    assert item in said


async def test_the_parents_home_at_the_candidates_own_residence(router: Router) -> None:
    """ "ở nhà bố mẹ" at (7) was stored as an address (and warned of its commune): the
    father's home is offered, as at a relative's «Nơi ở hiện nay»."""
    client = await at(router, load_sample("a"))
    await client.send("/sua 7")
    said = client.texts(await client.send("ở nhà bố mẹ"))
    assert "chép từ Cha đẻ – Nơi ở hiện nay" in said
    await client.click("Ghi như vậy")
    d = await dossier(router, client)
    assert d.answers["thuong_tru"] == d.relatives[4]["cu_tru"]


async def test_the_parents_home_not_yet_given_is_asked_for(router: Router) -> None:
    client = await named(router)
    await client.send("/sua 7")
    said = client.texts(await client.send("o nha bo me"))
    assert "Chưa có gì để chép" in said and "Nơi thường trú" in said
    assert "thuong_tru" not in (await dossier(router, client)).answers


async def test_a_two_digit_year_is_read_by_the_bots_clock(db: Database) -> None:
    """ "5.3.25" in 2024 (the bot's clock) is 1925 only: 2025 is still to come; the system's
    date offered 05/03/2025 too."""
    router = Router(db, FixedClock(datetime(2024, 3, 17, 2, 0, tzinfo=UTC)), [CandidateFlow()])
    client = await named(router)
    await client.click("Bỏ qua")
    await client.send("5.3.25")
    assert "05/03/1925" in client.buttons()
    assert "05/03/2025" not in client.buttons()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("đồng chí Trần Minh Khoa", "TRẦN MINH KHOA"),
        ("dong chi tran minh khoa", "TRAN MINH KHOA"),
        ("Thầy Nguyễn Văn An", "NGUYỄN VĂN AN"),
        ("Cô giáo Lê Thị Hoa", "LÊ THỊ HOA"),
        ("bạn Trần Minh Khoa", "TRẦN MINH KHOA"),
    ],
)
async def test_a_title_before_the_name_is_no_part_of_it(
    router: Router, typed: str, stored: str
) -> None:
    """«ĐỒNG CHÍ TRẦN MINH KHOA», «CÔ GIÁO LÊ THỊ HOA» were stored as names."""
    client = await consented(router)
    said = client.texts(await client.send(typed))
    assert said.startswith(f"Đã ghi: {stored}")
    assert (await dossier(router, client)).answers["ho_ten"] == stored


async def test_a_residence_is_never_offered_without_its_commune(router: Router) -> None:
    """ "18 Hoa Sữa, quận Hoàn Kiếm, Hà Nội" was offered as «18 Hoa Sữa, thành phố Hà Nội»
    ("nên ghi đầy đủ"): the district dropped and no ward in its place. Kept as typed; the
    check says what is missing."""
    client = await named(router)
    await client.send("/sua 7")
    said = client.texts(await client.send("18 Hoa Sữa, quận Hoàn Kiếm, Hà Nội"))
    assert "«18 Hoa Sữa, thành phố Hà Nội»" not in said
    assert "Dùng cách ghi đề xuất" not in client.buttons()
    assert "không còn cấp huyện" in said
    assert (await dossier(router, client)).answers["thuong_tru"] == (
        "18 Hoa Sữa, quận Hoàn Kiếm, Hà Nội"
    )


async def test_a_rows_words_after_a_yes_not_read_are_said_not_stored(router: Router) -> None:
    """ "co, sang nhat lam viec 3 nam": «Đã ghi: có», and the trip's words gone unsaid."""
    client = await named(router)
    await client.send("/sua 18")
    said = client.texts(await client.send("co, sang nhat lam viec 3 nam"))
    assert said.startswith("Đã ghi: có")
    assert "Trợ lý chưa ghi «sang nhat lam viec 3 nam»" in said


@pytest.mark.parametrize("typed", ["liệt sĩ Trần Văn Lộc", "cố Trần Văn Lộc", "ông Trần Văn Lộc"])
async def test_a_relatives_title_is_no_part_of_the_name(router: Router, typed: str) -> None:
    """«LIỆT SĨ TRẦN VĂN LỘC» was stored as the grandfather's name."""
    client = await at(router, missing(keep=0))
    assert "Họ và tên?" in client.texts()
    said = client.texts(await client.send(typed))
    assert said.startswith("Đã ghi: TRẦN VĂN LỘC")
    assert (await dossier(router, client)).relatives[0]["ho_ten"] == "TRẦN VĂN LỘC"


@pytest.mark.parametrize("typed", ["tt. Văn Giang, Hưng Yên", "thị trấn Văn Giang, tỉnh Hưng Yên"])
async def test_a_town_typed_without_its_district_keeps_it_in_the_bracket(
    router: Router, typed: str
) -> None:
    """The old name offered in the bracket lost the town: «xã Văn Giang, tỉnh Hưng Yên
    (trước đây là tỉnh Hưng Yên)»."""
    client = await named(router)
    await client.send("/sua 5")
    said = client.texts(await client.send(typed))
    assert "(trước đây là tỉnh Hưng Yên)" not in said
    assert "«xã Văn Giang, tỉnh Hưng Yên (trước đây là thị trấn Văn Giang, tỉnh Hưng Yên)»" in said
