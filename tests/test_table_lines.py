"""A row of a multi-column table typed as one line, as the booklet's table reads (session 10,
tried through the console): "từ 9/2016 đến 6/2020 em học ngành Công nghệ thông tin tại Đại học
Bách khoa Hà Nội, chính quy, bằng kỹ sư" at (17) had its period read and the whole rest stored
as «Ngành học», then the school, the form and the degree asked again; a trip's country at (18)
stayed in «Nội dung đi»; an award's or a discipline's line at (19)/(20) was refused at the
yes/no gate ("trả lời «có» hoặc «không»"). Each column is now read from its cue words
(forms/data/framing.toml ``[columns]``), stored, shown back, and only the missing ones asked."""

from __future__ import annotations

import pytest

from forms.framing import columns
from forms.parsers import split_month
from handlers.router import Router
from tests.chat_client import ChatClient
from tests.test_conversation import consented, dossier
from tests.test_honest_conversation import router

__all__ = ["router"]

TRAINING = ["nganh", "truong", "hinh_thuc", "van_bang"]
TRIP = ["noi_dung", "nuoc", "co_quan"]
AWARD = ["ly_do_hinh_thuc", "cap_quyet_dinh"]


async def at_item(router: Router, item: int) -> ChatClient:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send(f"/sua {item}")
    return client


async def test_a_training_line_typed_whole_fills_every_column(router: Router) -> None:
    client = await at_item(router, 17)
    line = (
        "từ 9/2016 đến 6/2020 em học ngành Công nghệ thông tin tại Đại học Bách khoa Hà Nội, "
        "chính quy, bằng kỹ sư"
    )
    said = client.texts(await client.send(line))
    assert "Đã ghi: 09/2016 - 06/2020" in said
    assert "Đã ghi «Ngành học hoặc tên lớp học»: Công nghệ thông tin" in said
    assert "Đã ghi «Tên trường, cấp phụ trách»: Đại học Bách khoa Hà Nội" in said
    assert "Đã ghi «Hình thức học»: Chính quy\nĐã ghi «Văn bằng, chứng chỉ»: Bằng kỹ sư" in said
    assert "Tên trường hoặc cơ sở đào tạo" not in said  # nothing asked again: the menu
    assert "Thêm lớp học khác" in said
    rows = (await dossier(router, client)).rows("dao_tao")
    assert rows == [
        {"tu": "09/2016", "den": "06/2020", "nganh": "Công nghệ thông tin",
         "truong": "Đại học Bách khoa Hà Nội", "hinh_thuc": "Chính quy", "van_bang": "Bằng kỹ sư"}
    ]  # fmt: skip


async def test_only_the_missing_columns_are_asked(router: Router) -> None:
    """A school named «Trường Chính trị tỉnh» is a school, not a form of study: the form and
    the degree are asked, one after the other."""
    client = await at_item(router, 17)
    said = client.texts(
        await client.send(
            "9/2022 - 11/2022 học lớp trung cấp lý luận chính trị tại Trường Chính trị tỉnh"
        )
    )
    assert "Đã ghi «Ngành học hoặc tên lớp học»: trung cấp lý luận chính trị" in said
    assert "Đã ghi «Tên trường, cấp phụ trách»: Trường Chính trị tỉnh" in said
    assert "Còn thiếu: hình thức học; văn bằng, chứng chỉ" in said
    assert "Hình thức học?" in said
    said = client.texts(await client.send("tập trung"))
    assert "Văn bằng, chứng chỉ, trình độ được cấp?" in said
    await client.send("Bằng trung cấp lý luận chính trị")
    (row,) = (await dossier(router, client)).rows("dao_tao")
    assert (row["truong"], row["hinh_thuc"]) == ("Trường Chính trị tỉnh", "Tập trung")


async def test_a_degree_word_inside_a_school_name_stays_in_the_name(router: Router) -> None:
    client = await at_item(router, 17)
    await client.send(
        "9/2010 - 6/2013 ngành Sư phạm Toán, Trường Cao đẳng Sư phạm Hà Tây, cao đẳng"
    )
    (row,) = (await dossier(router, client)).rows("dao_tao")
    assert (row["nganh"], row["truong"], row["van_bang"]) == (
        "Sư phạm Toán",
        "Trường Cao đẳng Sư phạm Hà Tây",
        "cao đẳng",
    )
    assert "hinh_thuc" not in row


async def test_a_line_with_only_its_period_or_no_cue_is_read_as_before(router: Router) -> None:
    client = await at_item(router, 17)
    said = client.texts(await client.send("từ 9/2016 đến 6/2020"))
    assert "Đã ghi: 09/2016 - 06/2020" in said and "Ngành học hoặc tên lớp học?" in said
    await client.send("/sua 15")
    said = client.texts(await client.send("từ 9/2013 đến 6/2016 học THPT Lê Lợi, Hà Nội"))
    assert "Đã ghi: 09/2013 - 06/2016\nĐã ghi: học THPT Lê Lợi, Hà Nội" in said


async def test_a_trips_country_is_read_from_the_line(router: Router) -> None:
    client = await at_item(router, 18)
    said = client.texts(await client.send("từ 3/2021 đến 9/2021 sang Hàn Quốc làm việc"))
    assert "Đã ghi: có\nĐã ghi: 03/2021 - 09/2021" in said
    assert "Đã ghi «Nội dung đi»: làm việc\nĐã ghi «Nước nào»: Hàn Quốc" in said
    assert "Cơ quan, đơn vị, tổ chức quyết định" in said and "Nước nào?" not in said
    rows = (await dossier(router, client)).rows("nuoc_ngoai")
    assert [(r["noi_dung"], r["nuoc"]) for r in rows] == [("làm việc", "Hàn Quốc")]


async def test_an_award_typed_whole_at_the_gate(router: Router) -> None:
    client = await at_item(router, 19)
    said = client.texts(await client.send("khen thưởng: giấy khen của Giám đốc Sở, 12/2020"))
    assert "Đã ghi: có\nĐã ghi: 12/2020" in said
    assert "Đã ghi «Lý do, hình thức»: giấy khen\nĐã ghi «Cấp quyết định»: Giám đốc Sở" in said
    said = client.texts(
        await client.send("năm 2019 được UBND tỉnh tặng bằng khen vì thành tích xuất sắc")
    )  # at the menu: a new row, whose month is asked — the year alone is no month
    assert "Đã ghi «Lý do, hình thức»: bằng khen vì thành tích xuất sắc" in said
    assert "Đã ghi «Cấp quyết định»: UBND tỉnh" in said
    assert "Chưa ghi được" in said and "Tháng/năm được khen thưởng?" in said
    await client.send("5/2019")
    rows = (await dossier(router, client)).rows("khen_thuong")
    assert [(r["thang_nam"], r["cap_quyet_dinh"]) for r in rows] == [
        ("12/2020", "Giám đốc Sở"),
        ("05/2019", "UBND tỉnh"),
    ]


async def test_a_discipline_typed_whole_at_the_gate(router: Router) -> None:
    client = await at_item(router, 20)
    said = client.texts(
        await client.send("6/2020 khiển trách vì vi phạm quy chế thi, Hiệu trưởng quyết định")
    )
    assert "Đã ghi: 06/2020" in said and "Đã ghi «Cấp quyết định»: Hiệu trưởng" in said
    (row,) = (await dossier(router, client)).rows("ky_luat")
    assert row["ly_do_hinh_thuc"] == "khiển trách vì vi phạm quy chế thi"


async def test_a_rows_words_typed_without_its_date_are_kept(router: Router) -> None:
    """Tried as a new user would: "hồi cấp 3 em bị cảnh cáo trước lớp" to "…đã từng bị kỷ
    luật chưa?" got «trả lời có hoặc không» and "bị khiển trách vì đi học muộn" at «Tháng/năm
    bị kỷ luật» the date's error, the words lost both times. A row's words with no date are
    now its row: kept in their columns, and the date asked."""
    client = await at_item(router, 20)
    said = client.texts(await client.send("hồi cấp 3 em bị cảnh cáo trước lớp"))
    assert "Đã ghi: có" in said
    assert "Đã ghi «Lý do, hình thức»: hồi cấp 3 em bị cảnh cáo trước lớp" in said
    assert "Còn thiếu: tháng, năm; cấp quyết định" in said
    assert said.rstrip().endswith("Ví dụ: 06/2020")  # the month asked last
    said = client.texts(await client.send("13/2017"))  # a date mistyped stays the date's
    assert "Chưa ghi được" in said
    await client.send("3/2017")
    await client.send("Ban Giám hiệu Trường THPT Thanh Bình")
    (row,) = (await dossier(router, client)).rows("ky_luat")
    assert row == {
        "thang_nam": "03/2017",
        "ly_do_hinh_thuc": "hồi cấp 3 em bị cảnh cáo trước lớp",
        "cap_quyet_dinh": "Ban Giám hiệu Trường THPT Thanh Bình",
    }


async def test_an_award_said_without_its_date_at_the_gate_and_the_menu(router: Router) -> None:
    client = await at_item(router, 19)
    said = client.texts(await client.send("em được bằng khen của Thành đoàn"))
    assert "Đã ghi: có" in said and "Đã ghi «Cấp quyết định»: Thành đoàn" in said
    assert "Còn thiếu: tháng, năm." in said
    await client.send("12/2022")
    said = client.texts(await client.send("giấy khen học sinh giỏi"))  # at the menu
    assert "Đã ghi «Lý do, hình thức»: giấy khen học sinh giỏi" in said
    await client.send("5/2019")
    rows = (await dossier(router, client)).rows("khen_thuong")
    assert [(r["thang_nam"], r["ly_do_hinh_thuc"]) for r in rows] == [
        ("12/2022", "được bằng khen"),
        ("05/2019", "giấy khen học sinh giỏi"),
    ]


async def test_what_is_no_rows_words_is_read_as_before(router: Router) -> None:
    """A reply that names no award or discipline stays a yes/no's reply; a non-answer or a
    question at a row's date is no row's words: nothing is stored."""
    client = await at_item(router, 20)
    said = client.texts(await client.send("bình thường"))
    assert "Vui lòng trả lời «có» hoặc «không»" in said
    await client.send("/sua 14")
    await client.click("➕ Thêm giai đoạn")
    said = client.texts(await client.send("không nhớ"))
    assert "Trợ lý chưa ghi «không nhớ»" in said
    said = client.texts(await client.send("học trường tiểu học An Lạc"))  # (14)'s words
    assert "Đã ghi «Nội dung»: học trường tiểu học An Lạc\nCòn thiếu: thời gian" in said
    await client.send("9/2007 - 5/2012")
    (row,) = (await dossier(router, client)).rows("lich_su")
    assert row == {"tu": "09/2007", "den": "05/2012", "noi_dung": "học trường tiểu học An Lạc"}
    assert (await dossier(router, client)).rows("ky_luat") == []


async def test_the_rest_of_a_line_typed_at_a_column_fills_the_others(router: Router) -> None:
    """The period typed alone, then the rest of the line at «Ngành học»: stored as the line
    reads, not whole in «Ngành học». A bare school's name there stays the class's name (one
    column is no line)."""
    client = await at_item(router, 17)
    await client.send("9/2016 - 6/2020")
    said = client.texts(
        await client.send("Công nghệ thông tin tại Đại học Bách khoa Hà Nội, chính quy")
    )
    assert "Đã ghi «Tên trường, cấp phụ trách»: Đại học Bách khoa Hà Nội" in said
    assert "Còn thiếu: văn bằng, chứng chỉ" in said
    await client.send("Bằng kỹ sư")
    await client.click("Thêm lớp học")
    await client.send("9/2021 - 10/2021")
    await client.send("Trường Chính trị tỉnh")
    rows = (await dossier(router, client)).rows("dao_tao")
    assert (rows[0]["nganh"], rows[0]["hinh_thuc"]) == ("Công nghệ thông tin", "Chính quy")
    assert rows[1]["nganh"] == "Trường Chính trị tỉnh" and "truong" not in rows[1]


async def test_a_relatives_line_typed_at_the_name(router: Router) -> None:
    """ "bố em tên là Nguyễn Văn Bình, sinh năm 1965, làm ruộng" at a relative's «Họ và tên»
    was refused ("Họ và tên chỉ gồm chữ cái…") and nothing kept: the name, the year of birth
    and the job are stored, and the next question asked. An address in the line is not read
    (its commas are its own): the line is refused as before."""
    client = await at_item(router, 21)
    for answer in ("không", "có", "không", "không", "bố"):
        await client.send(answer)
    said = client.texts(await client.send("Nguyễn Văn Bình, thôn Đông, xã An Lạc"))
    assert "Chưa ghi được" in said and "Họ và tên?" in said
    said = client.texts(await client.send("bố em tên là Nguyễn Văn Bình, sinh năm 1965, làm ruộng"))
    assert "Đã ghi «Họ và tên»: NGUYỄN VĂN BÌNH\nĐã ghi «Năm sinh»: 1965" in said
    assert "Đã ghi «Nghề nghiệp»: làm ruộng" in said and "Người này đã mất chưa?" in said
    (father,) = (await dossier(router, client)).relatives
    assert (father["ho_ten"], father["nam_sinh"], father["nghe_nghiep"]) == (
        "NGUYỄN VĂN BÌNH",
        "1965",
        "làm ruộng",
    )


@pytest.mark.parametrize(
    ("line", "split"),
    [
        ("6/2020 khiển trách", ("6/2020", "khiển trách")),
        ("tháng 12/2020: giấy khen", ("tháng 12/2020", "giấy khen")),
        ("giấy khen của Giám đốc Sở, 12/2020", ("12/2020", "giấy khen của Giám đốc Sở")),
        ("giấy khen (tháng 12/2020)", ("tháng 12/2020", "giấy khen")),
        ("năm 2019 được tặng bằng khen", ("năm 2019", "được tặng bằng khen")),  # asked again
        ("12/2020", None),  # a month alone: the month question reads it
        # a year named at the end: the month asked, the line kept (was «Thêm» first)
        ("giấy khen năm 2019", ("năm 2019", "giấy khen")),
        ("Bằng khen của Thủ tướng năm 2020", ("năm 2020", "Bằng khen của Thủ tướng")),
        ("giấy khen tháng 5/2021", ("tháng 5/2021", "giấy khen")),
        ("Bằng khen 2019", None),  # a bare year may be a name's
        ("Bằng khen theo quyết định số 12/2020", None),  # a number's, not a month
    ],
)
def test_an_awards_line_is_split_at_its_month(line: str, split: tuple[str, str] | None) -> None:
    assert split_month(line) == split


@pytest.mark.parametrize(
    ("line", "table", "asked", "read"),
    [
        ("học ngành Luật tại Trường Đại học Luật Hà Nội, bằng cử nhân", "dao_tao", TRAINING,
         {"nganh": "Luật", "truong": "Trường Đại học Luật Hà Nội", "van_bang": "bằng cử nhân"}),
        ("hoc nganh ke toan tai dai hoc kinh te quoc dan, chinh quy", "dao_tao", TRAINING,
         {"nganh": "ke toan", "truong": "dai hoc kinh te quoc dan", "hinh_thuc": "chinh quy"}),
        # a form's word inside a school's name is the name's
        ("bồi dưỡng kết nạp Đảng tại Trường Bồi dưỡng cán bộ", "dao_tao", TRAINING,
         {"nganh": "bồi dưỡng kết nạp Đảng", "truong": "Trường Bồi dưỡng cán bộ"}),
        ("học THPT Lê Lợi", "dao_tao", TRAINING, None),  # no cue: the line as typed
        ("học ngành Luật tại nhà", "dao_tao", TRAINING, {"nganh": "Luật tại nhà"}),
        ("đi Nhật Bản du lịch", "nuoc_ngoai", TRIP, {"noi_dung": "du lịch", "nuoc": "Nhật Bản"}),
        ("học tiếng Nhật tại Nhật Bản, do Trường Đại học Hà Nội cử đi", "nuoc_ngoai", TRIP,
         {"noi_dung": "học tiếng Nhật", "nuoc": "Nhật Bản", "co_quan": "Trường Đại học Hà Nội"}),
        ("sang anh ấy chơi", "nuoc_ngoai", TRIP, None),  # "anh" in small letters: no England
        ("bị Hiệu trưởng kỷ luật khiển trách", "ky_luat", AWARD,
         {"ly_do_hinh_thuc": "khiển trách", "cap_quyet_dinh": "Hiệu trưởng"}),
        ("khiển trách", "ky_luat", AWARD, None),
        ("Nguyễn Văn Bình, sinh năm 1965", "relatives", ["ho_ten", "nam_sinh", "nghe_nghiep"],
         {"ho_ten": "Nguyễn Văn Bình", "nam_sinh": "1965"}),
        ("Nguyễn Văn Bình, 1965", "relatives", ["ho_ten", "nam_sinh"], None),  # a bare year
        # the school read, the rest column read from a cue too: where would "em thích" go?
        ("ngành Luật, em thích, Đại học Luật", "dao_tao", TRAINING, None),
        ("ngành Luật tại Đại học Luật, Đại học Mở", "dao_tao", TRAINING, None),  # two schools
    ],
)  # fmt: skip
def test_a_lines_columns_are_read_only_from_their_cues(
    line: str, table: str, asked: list[str], read: dict[str, str] | None
) -> None:
    assert columns(line, table, asked) == read


# --- session 11: facts typed in one line where the chat asks one at a time --------------------


DEATH_FACTS = ("nam_mat", "nguyen_nhan_mat", "noi_mat")


async def at_father(router: Router) -> ChatClient:
    """A candidate at their father's «Họ và tên» in (21)."""
    client = await at_item(router, 21)
    for answer in ("không", "có", "không", "không", "bố"):
        await client.send(answer)
    return client


@pytest.mark.parametrize(
    ("line", "facts", "asked"),
    [
        ("ông đã mất năm 2010 do bệnh tại nhà",
         {"nam_mat": "2010", "nguyen_nhan_mat": "bệnh", "noi_mat": "nhà"}, "Nơi sinh?"),
        ("mất năm 2015", {"nam_mat": "2015"}, "Lý do mất?"),
        ("đã mất 2010, bệnh tim", {"nam_mat": "2010", "nguyen_nhan_mat": "bệnh tim"},
         "Mất tại đâu?"),
        ("bố em mất vì tai nạn giao thông ở thôn Đông, xã An Lạc",
         {"nguyen_nhan_mat": "tai nạn giao thông", "noi_mat": "thôn Đông, xã An Lạc"},
         "Năm mất?"),
    ],
)  # fmt: skip
async def test_a_relatives_death_typed_whole_at_its_question(
    router: Router, line: str, facts: dict[str, str], asked: str
) -> None:
    """ "ông đã mất năm 2010 do bệnh tại nhà" at «Người này đã mất chưa?» was stored as «có»
    and the year, the cause and the place asked again: each is kept, only the others asked."""
    client = await at_father(router)
    await client.send("Nguyễn Văn An")
    await client.send("1960")
    said = client.texts(await client.send(line))
    assert "Đã ghi «Đã mất»: có" in said and asked in said
    (father,) = (await dossier(router, client)).relatives
    death = {k: v for k, v in father.items() if k in ("da_mat", *DEATH_FACTS)}
    assert death == {"da_mat": "có", **facts}


async def test_a_relatives_yes_or_no_alone_is_read_as_before(router: Router) -> None:
    client = await at_father(router)
    await client.send("Nguyễn Văn An")
    await client.send("1960")
    said = client.texts(await client.send("ông mất rồi ạ"))
    assert "Đã ghi: có" in said and "Năm mất?" in said


async def test_a_relatives_line_fills_what_it_names(router: Router) -> None:
    """ "Bố: Nguyễn Văn An, sinh 1960, quê Nam Định, làm ruộng, ở xã Hải Hậu" at «Họ và tên»
    kept the name, the year and the job only: the hometown and the home are kept too — a
    home means the father is alive («Đã mất»: không) — and the hometown's new name is offered
    as when it is typed alone; then the birthplace, skipped over by the line, is asked."""
    client = await at_father(router)
    said = client.texts(
        await client.send("Bố: Nguyễn Văn An, sinh 1960, quê Nam Định, làm ruộng, ở xã Hải Hậu")
    )
    assert "Đã ghi «Họ và tên»: NGUYỄN VĂN AN\nĐã ghi «Năm sinh»: 1960" in said
    assert "Đã ghi «Đã mất»: không" in said and "Đã ghi «Nơi ở hiện nay»: xã Hải Hậu" in said
    assert (
        "Đã ghi «Quê quán»: Nam Định" in said
        and "tỉnh Ninh Bình (trước đây là tỉnh Nam Định)" in said
    )
    said = client.texts(await client.click("Dùng"))
    assert "Nơi sinh?" in said
    (father,) = (await dossier(router, client)).relatives
    assert {k: father[k] for k in ("ho_ten", "nam_sinh", "da_mat", "que_quan", "cu_tru",
                                    "nghe_nghiep")} == {
        "ho_ten": "NGUYỄN VĂN AN", "nam_sinh": "1960", "da_mat": "không",
        "que_quan": "tỉnh Ninh Bình (trước đây là tỉnh Nam Định)", "cu_tru": "xã Hải Hậu",
        "nghe_nghiep": "làm ruộng",
    }  # fmt: skip


async def test_an_address_in_a_relatives_line_keeps_its_commas(router: Router) -> None:
    client = await at_father(router)
    await client.send(
        "mẹ em tên là Trần Thị Hoa, sinh năm 1968, nông dân, hiện ở thôn Đông, xã An Lạc, "
        "tỉnh Hưng Yên"
    )
    (mother,) = (await dossier(router, client)).relatives
    assert mother["cu_tru"] == "thôn Đông, xã An Lạc, tỉnh Hưng Yên"
    assert (mother["ho_ten"], mother["nghe_nghiep"]) == ("TRẦN THỊ HOA", "nông dân")


async def test_one_month_typed_where_a_trips_period_is_asked(router: Router) -> None:
    """ "tháng 7/2019 đi Nhật Bản du lịch" at (18)'s gate was refused ("trả lời «có» hoặc
    «không»") and nothing kept: the month is the trip's start, the line's columns are kept and
    the end asked."""
    client = await at_item(router, 18)
    said = client.texts(await client.send("tháng 7/2019 đi Nhật Bản du lịch"))
    assert "Đã ghi: có" in said
    assert "Đã ghi «Nội dung đi»: du lịch\nĐã ghi «Nước nào»: Nhật Bản" in said
    assert "Từ 07/2019 đến tháng/năm nào?" in said
    said = client.texts(await client.send("10/2019"))
    assert "Đã ghi: 07/2019 - 10/2019" in said
    (trip,) = (await dossier(router, client)).rows("nuoc_ngoai")
    assert (trip["tu"], trip["den"], trip["nuoc"]) == ("07/2019", "10/2019", "Nhật Bản")


async def test_a_trips_month_with_words_no_cue_names(router: Router) -> None:
    client = await at_item(router, 18)
    said = client.texts(await client.send("tháng 7/2019 du lịch"))
    assert "Đã ghi «Nội dung đi»: du lịch" in said and "Từ 07/2019 đến" in said


async def test_an_awards_year_typed_at_its_end(router: Router) -> None:
    """ "Bằng khen của Thủ tướng năm 2020" at (19)'s menu was told to tap «Thêm» first and
    nothing was kept. The candidate typed the whole award: as with the year at the line's
    head ("năm 2019 được UBND tỉnh tặng bằng khen"), the award and its authority are kept and
    only the month is asked, with what is missing."""
    client = await at_item(router, 19)
    await client.send("có")
    said = client.texts(await client.send("Bằng khen của Thủ tướng năm 2020"))
    assert "Cần ghi cả tháng, không chỉ năm 2020" in said
    assert "Đã ghi «Lý do, hình thức»: Bằng khen\nĐã ghi «Cấp quyết định»: Thủ tướng" in said
    assert "Tháng/năm được khen thưởng?" in said
    await client.send("5/2020")
    (award,) = (await dossier(router, client)).rows("khen_thuong")
    assert (award["thang_nam"], award["ly_do_hinh_thuc"], award["cap_quyet_dinh"]) == (
        "05/2020",
        "Bằng khen",
        "Thủ tướng",
    )


DEATH = ["da_mat", "nam_mat", "nguyen_nhan_mat", "noi_mat", "noi_sinh", "que_quan", "nghe_nghiep"]


@pytest.mark.parametrize(
    ("line", "read"),
    [
        ("bà mất vì tai nạn giao thông",
         {"da_mat": "mất", "nguyen_nhan_mat": "tai nạn giao thông"}),
        # "tai" typed without its diacritics in a line that has them is no «tại»
        ("mất tai nạn", {"da_mat": "mất", "nguyen_nhan_mat": "tai nạn"}),
        ("hy sinh năm 1972 tại chiến trường Quảng Trị",
         {"da_mat": "hy sinh", "nam_mat": "1972", "noi_mat": "chiến trường Quảng Trị"}),
        ("ba mat nam 2010 do benh tai nha",
         {"da_mat": "mat", "nam_mat": "2010", "nguyen_nhan_mat": "benh", "noi_mat": "nha"}),
        ("quê xã Hải Hậu, tỉnh Nam Định, làm ruộng",
         {"que_quan": "xã Hải Hậu, tỉnh Nam Định", "nghe_nghiep": "làm ruộng"}),
    ],
)  # fmt: skip
def test_a_relatives_facts_are_read_from_their_cues(line: str, read: dict[str, str] | None) -> None:
    assert columns(line, "relatives", DEATH) == read


async def test_a_work_history_line_names_its_position(router: Router) -> None:
    """ "9/2020 - nay: kỹ sư phần mềm tại Công ty ABC, trưởng nhóm" at (15) stored the whole
    rest as «Làm việc gì, ở đâu» and asked «Chức vụ» after it: the position is read from its
    words (framing.toml [columns.chuc_vu]), nothing asked again."""
    client = await at_item(router, 15)
    said = client.texts(
        await client.send("9/2020 - nay: kỹ sư phần mềm tại Công ty ABC, trưởng nhóm")
    )
    assert "Đã ghi «Làm việc gì, ở đâu»: kỹ sư phần mềm tại Công ty ABC" in said
    assert "Đã ghi «Chức vụ»: trưởng nhóm" in said and "Chức vụ (Đảng" not in said
    (row,) = (await dossier(router, client)).rows("cong_tac")
    assert (row["viec"], row["chuc_vu"]) == ("kỹ sư phần mềm tại Công ty ABC", "trưởng nhóm")


@pytest.mark.parametrize(
    "line",
    [
        "vào Đoàn ngày 26/3/2012 tại Chi đoàn lớp 10A1, Trường THPT Lê Lợi",
        "26/3/2012, Chi đoàn lớp 10A1, Trường THPT Lê Lợi",
        "có, ngày 26/3/2012 tại Chi đoàn lớp 10A1, Trường THPT Lê Lợi",  # the yes said first
        "rồi ạ, 26/3/2012, Chi đoàn lớp 10A1, Trường THPT Lê Lợi",
    ],
)
async def test_the_day_and_place_of_joining_typed_on_one_line(router: Router, line: str) -> None:
    """ "26/3/2012, Chi đoàn lớp 10A1 …" — (12)'s one dotted line, «Ngày và nơi kết nạp» —
    at its gate was refused ("trả lời «có» hoặc «không»"), and at «Ngày vào Đoàn» the place
    was no date: the date is stored and the place taken as the next answer."""
    client = await at_item(router, 12)
    said = client.texts(await client.send(line))
    assert "Đã ghi: có\nĐã ghi: 26/03/2012\nĐã ghi: Chi đoàn lớp 10A1, Trường THPT Lê Lợi" in said
    d = await dossier(router, client)
    assert (d.value("ngay_vao_doan"), d.value("noi_vao_doan")) == (
        "26/03/2012",
        "Chi đoàn lớp 10A1, Trường THPT Lê Lợi",
    )


async def test_a_date_alone_at_a_gate_is_its_first_answer(router: Router) -> None:
    client = await at_item(router, 12)
    said = client.texts(await client.send("26/3/2012"))
    assert "Đã ghi: có\nĐã ghi: 26/03/2012" in said and "Nơi kết nạp" in said


async def test_a_school_level_typed_with_the_next_answer(router: Router) -> None:
    """ "12/12, đại học ngành kế toán" at (11) «Giáo dục phổ thông» was refused ("Chưa đọc
    được trình độ giáo dục phổ thông"): the level before the comma is stored, the rest is the
    next question's answer (handlers/candidate/ahead.py); a level alone is read as before."""
    client = await at_item(router, 11)
    said = client.texts(await client.send("12/12, đại học ngành kế toán"))
    assert "Đã ghi: 12/12\nĐã ghi: đại học ngành kế toán" in said
    d = await dossier(router, client)
    assert (d.value("giao_duc_pho_thong"), d.value("chuyen_mon")) == (
        "12/12",
        "đại học ngành kế toán",
    )
    await client.send("/sua 11")
    await client.send("12/12, phổ thông")  # one answer with a comma: read whole
    d = await dossier(router, client)
    assert (d.value("giao_duc_pho_thong"), d.value("chuyen_mon")) == (
        "12/12 phổ thông",
        "đại học ngành kế toán",
    )


async def test_a_course_said_without_its_dates_begins_its_row(router: Router) -> None:
    """(17) and (18) follow (19)/(20)'s rule: «lớp bồi dưỡng nhận thức về Đảng» typed at
    (17)'s menu got «bấm ➕ Thêm lớp học trước» (the hint for words that cannot begin a row),
    the course lost; the words that say a course (framing.toml [lines.dao_tao] says) now
    begin the row, and its dates are asked."""
    client = await at_item(router, 17)
    await client.send("9/2019 - 6/2024 học ngành Kỹ thuật điện tử tại Đại học Bách khoa Hà Nội")
    await client.send("chính quy")
    await client.send("bằng kỹ sư")
    said = client.texts(await client.send("lớp bồi dưỡng nhận thức về Đảng"))  # at the menu
    assert "Thêm lớp học» trước" not in said
    assert "Đã ghi «Ngành học hoặc tên lớp học»: bồi dưỡng nhận thức về Đảng" in said
    assert "Còn thiếu: thời gian;" in said
    await client.send("3/2023 - 3/2023")
    rows = (await dossier(router, client)).rows("dao_tao")
    assert [(r["tu"], r["nganh"]) for r in rows] == [
        ("09/2019", "Kỹ thuật điện tử"),
        ("03/2023", "bồi dưỡng nhận thức về Đảng"),
    ]
    await client.send("chưa học lớp nào khác")  # still the menu's «no», no course
    assert (await dossier(router, client)).rows("dao_tao") == rows


@pytest.mark.parametrize(
    ("typed", "nuoc", "noi_dung"),
    [
        ("đi Hàn Quốc làm việc", "Hàn Quốc", "làm việc"),
        ("sang Nhật du học", "Nhật", "du học"),
        ("có, đi Nhật Bản thực tập", "Nhật Bản", "thực tập"),  # its yes first
    ],
)
async def test_a_trip_said_without_its_dates_is_kept(
    router: Router, typed: str, nuoc: str, noi_dung: str
) -> None:
    """«đi Hàn Quốc làm việc» to "…đi nước ngoài chưa?" got «trả lời có hoặc không», and
    «có, đi Nhật Bản thực tập» was its «có» alone, the trip lost: a country named says a trip
    ([lines.nuoc_ngoai] says_columns), so the row begins and its dates are asked."""
    client = await at_item(router, 18)
    said = client.texts(await client.send(typed))
    assert "Vui lòng trả lời «có» hoặc «không»" not in said
    assert "Đã ghi: có" in said
    assert f"Đã ghi «Nước nào»: {nuoc}" in said
    assert "Còn thiếu: thời gian;" in said
    await client.send("3/2023 - 9/2023")
    (row,) = (await dossier(router, client)).rows("nuoc_ngoai")
    assert (row["tu"], row["den"], row["nuoc"], row["noi_dung"]) == (
        "03/2023",
        "09/2023",
        nuoc,
        noi_dung,
    )


async def test_no_trip_is_still_no(router: Router) -> None:
    client = await at_item(router, 18)
    said = client.texts(await client.send("chưa đi nước ngoài"))
    assert "Đã ghi: không" in said
    assert (await dossier(router, client)).rows("nuoc_ngoai") == []


async def test_a_course_typed_without_diacritics_or_dates_keeps_its_words(router: Router) -> None:
    """«lop tin hoc van phong» at (17)'s menu began its row and lost its words: a column with
    a better writing (diacritics) was left to be asked. The words are kept as typed, their
    writing offered, and the date asked once the offer is answered (session 15: a country
    «han quoc» typed so was never offered)."""
    client = await at_item(router, 17)
    await client.send("9/2019 - 6/2024 học ngành Kỹ thuật điện tử tại Đại học Bách khoa Hà Nội")
    await client.send("chính quy")
    await client.send("bằng kỹ sư")
    said = client.texts(await client.send("lop tin hoc van phong"))
    assert "Đã ghi «Ngành học hoặc tên lớp học»: tin hoc van phong" in said
    assert "Còn thiếu: thời gian;" in said and "«tin học văn phòng»" in said
    said = client.texts(await client.click("Giữ như tôi đã ghi"))
    assert "Thời gian" in said
    await client.send("10/2021 - 12/2021")
    rows = (await dossier(router, client)).rows("dao_tao")
    assert (rows[1]["tu"], rows[1]["nganh"]) == ("10/2021", "tin hoc van phong")
