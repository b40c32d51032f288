"""Commands and help as a new user types them on a phone (session 7, tried through the console):
a Vietnamese keyboard's diacritics in a command ("/sửa 15", "/xoá"), a command's name in two
words ("/tiến độ"), "/help"; "?" or "help" typed at a question; an emoji or "..." typed as
text. Each was refused with a message that did not fit ("Không có lệnh này", "Trợ lý chỉ đọc
được chữ"), or stored as the answer ("help" as another name). The commands are read in one
place (``RoutingTable.as_declared``), the help words in the classifier."""

from __future__ import annotations

import pytest

from forms.classify import Verdict, classify
from forms.definition import load_form
from forms.model import FieldDef
from forms.parsers import split_period
from handlers.candidate.flow import CandidateFlow
from handlers.events import Chat, Event, User
from handlers.review.flow import ReviewFlow
from handlers.router import Router
from handlers.routing import RoutingTable
from tests.test_conversation import consented, cursor, dossier, revision
from tests.test_honest_conversation import router
from tests.test_telegram_e2e import Stack, person, stack

__all__ = ["router", "stack"]  # the fixtures, shared

FIELD = {f.id: f for item in load_form().items() for f in item.fields}


@pytest.mark.parametrize(
    ("text", "fdef"),
    [
        ("?", FIELD["ngay_sinh"]),
        ("??", FIELD["ten_khac"]),
        ("help", FIELD["ten_khac"]),
        ("tro giup", FIELD["que_quan"]),
        ("hướng dẫn", FIELD["nghe_nghiep"]),
        ("em cần giúp ạ", FIELD["dan_toc"]),
    ],
)
def test_asking_for_help_is_no_answer(text: str, fdef: FieldDef) -> None:
    reading = classify(text, fdef)
    assert reading.verdict is Verdict.QUESTION and reading.reason == "help", reading


@pytest.mark.parametrize(
    ("text", "fdef"),
    [
        ("Hướng dẫn viên du lịch", FIELD["nghe_nghiep"]),
        ("Giúp việc gia đình", FIELD["nghe_nghiep"]),
        ("Menu Nguyễn", FIELD["ten_khac"]),
    ],
)
def test_answers_holding_a_help_word_stay_answers(text: str, fdef: FieldDef) -> None:
    assert classify(text, fdef).is_answer


async def test_a_question_mark_shows_the_help_and_an_emoji_is_no_answer(router: Router) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("help")
    assert "Trợ lý chưa ghi «help»" in client.texts() and "/trogiup" in client.texts()
    assert "📖 (2) Các tên gọi khác" in client.texts()  # the item's help
    await client.click("Bỏ qua")
    before = await revision(router, client)
    said = {}
    for typed in ("?", "👍", "..."):
        said[typed] = client.texts(await client.send(typed))
        assert "chỉ đọc được chữ" not in said[typed]  # it is text: that is for stickers
        assert await revision(router, client) == before
        assert (await cursor(router, client)).field_id == "ngay_sinh"
    assert "Hướng dẫn của câu đang hỏi" in said["?"] and "📖 (3)" in said["?"]
    assert "«👍» chưa phải câu trả lời" in said["👍"]
    assert "«...» chưa phải câu trả lời" in said["..."]
    await client.sticker()
    assert "chỉ đọc được chữ" in client.texts()


async def test_commands_typed_with_diacritics_or_in_two_words_through_telegram(
    stack: Stack,
) -> None:
    """Through python-telegram-bot against the fake Bot API, which marks "/sửa 2" as the
    command "/s" the way Telegram's servers do."""
    an = person(stack.api)
    await an.send("/start")
    await an.click("Tôi đồng ý")
    await an.send("TRẦN MINH KHOA")
    await an.send("Khoa Trần")
    assert "Ngày, tháng, năm sinh" in an.last_text()

    await an.send("/help")
    assert "/tiendo – Xem tiến độ" in an.texts()[-2]
    await an.send("/tiến độ")
    assert "Tiến độ lý lịch" in an.texts()[-2]
    await an.send("/sửa 2")
    assert "(2) Các tên gọi khác" in an.last_text() and "Đã ghi: Khoa Trần" in an.last_text()
    await an.send("/Sửa 1")
    assert "(1) Họ và tên khai sinh" in an.last_text()
    await an.send("/xoá")
    assert "Xóa toàn bộ hồ sơ chưa nộp?" in an.last_text()
    await an.click("Không")
    assert "Không có lệnh này" not in "\n".join(an.texts())
    await an.send("/sửa")  # no number: the command's own usage, not "no such command"
    await an.send("/xyz")
    assert "Không có lệnh này" in "\n".join(an.texts()[-3:])


@pytest.mark.parametrize(
    ("command", "text", "kind", "read_as"),
    [
        ("nhận", "xét #12 15 Ghi rõ tháng", "group", ("nhanxet", "#12 15 Ghi rõ tháng")),
        ("duyệt", "#12", "group", ("duyet", "#12")),
        ("trả", "lại #12", "group", ("tralai", "#12")),
        ("sửa", "15", "private", ("sua", "15")),
        ("dữ", "liệu", "private", ("dulieu", "")),
        ("help", "", "private", ("trogiup", "")),
        ("xyz", "1", "private", ("xyz", "1")),  # no such command however read: as typed
        ("tiến", "", "private", ("tiến", "")),
    ],
)
def test_the_routing_table_reads_a_command_as_declared(
    command: str, text: str, kind: str, read_as: tuple[str, str]
) -> None:
    table = RoutingTable.build([CandidateFlow.routes, ReviewFlow.routes])
    chat = Chat("telegram", "-100" if kind == "group" else "7", kind)  # type: ignore[arg-type]
    event = Event(User("telegram", "7", "A"), chat, "command", text=text, command=command)
    declared = table.as_declared(event)
    assert (declared.command, declared.text) == read_as


async def test_a_timeline_line_typed_whole_fills_its_row(router: Router) -> None:
    """A row of item (15) typed as a line of the booklet reads — at the menu instead of
    «Thêm», at the period question, or at the row's last (optional) question when the next
    row begins — is stored as its period and its work, not refused or filed as a position."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 15")
    said = client.texts(await client.send("từ 9/2013 đến 6/2016 học THPT Lê Lợi, Hà Nội"))
    assert "Đã ghi: 09/2013 - 06/2016\nĐã ghi: học THPT Lê Lợi, Hà Nội" in said
    assert "Chức vụ" in said and "chọn một nút" not in said
    await client.send("Bí thư chi đoàn lớp")
    await client.click("Thêm giai đoạn")
    await client.send("t7/2016 - 8/2016 ở nhà ôn thi")  # at the period question
    said = client.texts(await client.send("9/2016 - nay: sinh viên ĐH Bách khoa Hà Nội"))
    assert "Đã ghi: để trống." in said  # row 2's position skipped: the line is row 3
    rows = (await dossier(router, client)).rows("cong_tac")
    assert [(r["tu"], r["den"], r["viec"], r.get("chuc_vu", "")) for r in rows] == [
        ("09/2013", "06/2016", "học THPT Lê Lợi, Hà Nội", "Bí thư chi đoàn lớp"),
        ("07/2016", "08/2016", "ở nhà ôn thi", ""),
        ("09/2016", "nay", "sinh viên ĐH Bách khoa Hà Nội", ""),
    ]
    # a line whose period is wrong: a new row, whose period question says what is wrong
    said = client.texts(await client.send("13/2020 - nay: kỹ sư"))
    assert "Chưa ghi được" in said and "Tháng phải từ 1 đến 12" in said
    assert "Giai đoạn thứ 4" in said
    rows = (await dossier(router, client)).rows("cong_tac")
    assert len(rows) == 3 and rows[2].get("chuc_vu", "") == ""


async def test_a_trip_typed_at_the_gate_is_yes_and_the_first_row(router: Router) -> None:
    """ "3/2019 - 9/2019 học tiếng Nhật" to "…đi nước ngoài chưa?" was refused ("trả lời có
    hoặc không"): it says «Có» and begins the table of item (18)."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 18")
    said = client.texts(await client.send("3/2019 - 9/2019 học tiếng Nhật"))
    assert "Đã ghi: có\nĐã ghi: 03/2019 - 09/2019\nĐã ghi: học tiếng Nhật" in said
    assert "Nước nào?" in said
    said = client.texts(await client.send("ok"))  # chatter at the next question: no answer
    assert "Đã ghi" not in said
    rows = (await dossier(router, client)).rows("nuoc_ngoai")
    assert [(r["tu"], r["den"], r["noi_dung"]) for r in rows] == [
        ("03/2019", "09/2019", "học tiếng Nhật")
    ]


async def test_a_relation_typed_at_the_relatives_menu_is_its_button(router: Router) -> None:
    """ "cha đẻ", "bố", "thêm mẹ", "anh trai" at item (21)'s menu were refused ("chọn một
    nút"): each is the button «Thêm …» of that relation, when the menu offers it."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 21")
    for answer in ("không", "có", "không", "không"):  # married, siblings, children, foster
        await client.send(answer)
    assert "➕ Thêm cha đẻ" in client.buttons()
    for typed, relation in (
        ("bố", "Cha đẻ"),
        ("cha đẻ", "Cha đẻ"),
        ("Thêm mẹ", "Mẹ đẻ"),
        ("anh trai", "Anh, chị, em ruột"),  # and «Quan hệ cụ thể» answered with it
        ("ong noi", "Ông nội"),
    ):
        said = client.texts(await client.send(typed))
        assert f"▸ {relation}" in said and "Họ và tên" in said, (typed, said)
        if typed == "anh trai":
            assert "Đã ghi: anh trai" in said, said
            await client.click("Quay lại")
        await client.click("Quay lại")
        assert "➕ Thêm cha đẻ" in client.buttons()
    said = client.texts(await client.send("vợ"))  # not married: no such button, and why
    assert "không hỏi «Vợ (chồng)»" in said and "Quay lại" in said
    await client.send("bố")
    await client.send("NGUYỄN VĂN BÌNH")
    for _ in range(4):  # back over the father's questions to the menu
        if "➕ Thêm mẹ đẻ" in client.buttons():
            break
        await client.click("Quay lại")
    assert "➕ Thêm cha đẻ" not in client.buttons()
    said = client.texts(await client.send("bố"))  # one father: declared already
    assert "«Cha đẻ» đã khai rồi" in said


@pytest.mark.parametrize(
    ("line", "split"),
    [
        ("từ 9/2013 đến 6/2016 học THPT", ("từ 9/2013 đến 6/2016", "học THPT")),
        (
            "tháng 9 năm 2013 đến tháng 6 năm 2016 học THPT",
            ("tháng 9 năm 2013 đến tháng 6 năm 2016", "học THPT"),
        ),
        ("T9/2013 – T6/2016: học THPT", ("T9/2013 – T6/2016", "học THPT")),
        ("09.2019-nay, kỹ sư", ("09.2019-nay", "kỹ sư")),
        ("9/2013 - 6/2016", None),  # a period alone: the period question reads it
        ("Học THPT từ 9/2013", None),
        ("2013-2016 học THPT", None),  # no months: the period question says what is missing
    ],
)
def test_a_timeline_line_is_split_at_its_period(line: str, split: tuple[str, str] | None) -> None:
    assert split_period(line) == split
