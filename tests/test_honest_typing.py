"""Commands and help as a new user types them on a phone (session 7, tried through the console):
a Vietnamese keyboard's diacritics in a command ("/sửa 15", "/xoá"), a command's name in two
words ("/tiến độ"), "/help"; "?" or "help" typed at a question; an emoji or "..." typed as
text. Each was refused with a message that did not fit ("Không có lệnh này", "Trợ lý chỉ đọc
được chữ"), or stored as the answer ("help" as another name). The commands are read in one
place (``RoutingTable.as_declared``), the help words in the classifier."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from forms.classify import Verdict, classify, other_subject, read_yes_no
from forms.definition import load_form
from forms.model import FieldDef
from forms.parsers import parse_nationality, parse_year, split_period
from handlers.candidate.flow import CandidateFlow
from handlers.events import Chat, Event, User
from handlers.review.flow import ReviewFlow
from handlers.router import Router
from handlers.routing import RoutingTable
from tests.chat_client import ChatClient
from tests.review_harness import World, open_db, private
from tests.test_conversation import consented, cursor, dossier, revision
from tests.test_honest_conversation import router
from tests.test_review_flow import CB_GROUP, R1
from tests.test_review_reviewers import _submitted
from tests.test_review_telegram import running_scene
from tests.test_telegram_e2e import Stack, person, stack
from tests.test_telegram_platform import bind_basic_group

__all__ = ["router", "stack"]  # the fixtures, shared


@pytest.fixture
async def db_world(tmp_path: Path) -> AsyncIterator[World]:
    database = await open_db(tmp_path)
    try:
        yield World(database)
    finally:
        await database.close()


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
        ("nhận_xét", "#12 21 Bố mất năm nào?", "group", ("nhanxet", "#12 21 Bố mất năm nào?")),
        ("tien_do", "", "private", ("tiendo", "")),
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
        ("9/2013 - nay ạ", None),  # and a polite word after it is no row's content
        ("9/2013 đến giờ: học THPT", ("9/2013 đến giờ", "học THPT")),
        ("Học THPT từ 9/2013", None),
        ("2013-2016 học THPT", None),  # no months: the period question says what is missing
    ],
)
def test_a_timeline_line_is_split_at_its_period(line: str, split: tuple[str, str] | None) -> None:
    assert split_period(line) == split


async def test_help_or_chatter_at_an_offered_writing_keeps_the_offer(router: Router) -> None:
    """ "?" at «Dùng cách ghi đề xuất?» showed the help and dropped the offer: the «có» that
    followed was then refused as no answer. The help is shown and the offer stays."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 5")
    said = client.texts(await client.send("xã Toàn Thắng, huyện Kim Động, tỉnh Hưng Yên"))
    offer = "«xã Nghĩa Dân, tỉnh Hưng Yên (trước đây là xã Toàn Thắng, huyện Kim Động"
    assert offer in said and "Dùng cách ghi đề xuất" in said
    for typed in ("?", "help", "cảm ơn", "👍"):
        said = client.texts(await client.send(typed))
        assert f"«{typed}»" in said or "Không có gì" in said, said
        assert offer in said and "Dùng cách ghi đề xuất" in said, typed  # the offer stays
    assert "📖 (5)" in client.texts(await client.send("?"))
    said = client.texts(await client.send("có"))
    assert "Đã ghi: xã Nghĩa Dân, tỉnh Hưng Yên (trước đây là" in said
    assert (await dossier(router, client)).value("noi_dang_ky_khai_sinh").startswith("xã Nghĩa Dân")


async def test_help_asked_at_a_menu_or_a_gate_shows_the_items_help(router: Router) -> None:
    """ "?" at item (15)'s menu or (18)'s yes/no gate got "Bấm «❓ Giải thích»…" instead of
    the help a question gets; at /xoa's confirmation, which has no such button, it pointed
    at a button that is not there."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 15")
    said = client.texts(await client.send("?"))
    assert "Trợ lý chưa ghi «?»" in said and "📖 (15) Những công việc" in said
    assert "Thêm giai đoạn hay không có?" in said  # the menu again
    said = client.texts(await client.send("là sao?"))
    assert "«là sao?» có vẻ là một câu hỏi" in said and "📖 (15)" in said
    await client.send("/sua 18")
    said = client.texts(await client.send("help"))
    assert "📖 (18) Đi nước ngoài" in said and "đi nước ngoài từ 3 tháng" in said
    assert (await cursor(router, client)).item == 18
    await client.send("/xoa")
    said = client.texts(await client.send("?"))
    assert "Giải thích" not in said and "chọn một nút bên dưới" in said
    assert "Xóa toàn bộ hồ sơ chưa nộp?" in said
    said = client.texts(await client.click("Không xóa"))
    assert (await dossier(router, client)).value("ho_ten") == "TRẦN MINH KHOA"


async def test_an_answer_typed_at_the_consent_is_told_it_was_not_stored(router: Router) -> None:
    """ "Trần Minh Khoa" typed at the consent (before «Tôi đồng ý») got the whole welcome again
    with no word of why; it is told that nothing is stored before the consent, with the short
    question. A question gets the whole notice; nothing is stored either way."""
    client = ChatClient(router)
    await client.send("/start")
    said = client.texts(await client.send("Trần Minh Khoa"))
    assert "Trợ lý chưa lưu «Trần Minh Khoa»" in said and "cần đồng ý" in said
    assert "Xin chào!" not in said  # not the long welcome again
    assert client.buttons()[:2] == ["Tôi đồng ý", "Không đồng ý"]
    said = client.texts(await client.send("dữ liệu lưu ở đâu?"))
    assert "THÔNG BÁO VỀ XỬ LÝ DỮ LIỆU CÁ NHÂN" in said
    async with router.db.read() as r:
        assert await r.people.find(client.platform, client.user_id) is None  # nothing stored
    await client.send("Đồng ý")
    said = client.texts(await client.send("Trần Minh Khoa"))
    assert "Đã ghi: TRẦN MINH KHOA" in said


@pytest.mark.parametrize(
    ("text", "fdef"),
    [
        ("không theo tôn giáo nào", FIELD["ton_giao"]),
        ("ko theo dao gi ca", FIELD["ton_giao"]),
        ("không có tên nào khác", FIELD["ten_khac"]),
        ("không có bí danh", FIELD["ten_khac"]),
        ("chưa có tên gọi khác", FIELD["ten_khac"]),
    ],
)
def test_saying_there_is_none_is_no_question(text: str, fdef: FieldDef) -> None:
    """ "không theo tôn giáo nào" was taken for a question ("nào"), "không có bí danh" stored
    as the other name: both say there is none."""
    reading = classify(text, fdef)
    assert reading.is_answer and reading.reason == "no", reading


RELATIVE = {f.id: f for f in load_form().relatives_item().relatives.fields}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    [
        "Lịch sử chính trị rõ ràng, không có vấn đề gì",
        "Chấp hành tốt, chưa vi phạm gì",
        "Sống ở quê, không tham gia tổ chức nào",
    ],
)
def test_a_statement_ending_in_none_at_all_is_no_question(text: str) -> None:
    """ "…, không có vấn đề gì" was read as a question (its last word "gì") and not stored."""
    reading = classify(text, RELATIVE["chinh_tri"])
    assert reading.verdict is not Verdict.QUESTION and reading.is_answer, reading


@pytest.mark.parametrize(
    ("text", "fdef"),
    [
        ("không biết ghi gì", FIELD["ton_giao"]),
        ("không hiểu thế nào", FIELD["ton_giao"]),
        ("không ghi gì được à?", FIELD["ton_giao"]),
        ("Khổng Minh", FIELD["ten_khac"]),
    ],
)
def test_questions_and_names_beginning_alike_stay_what_they_are(text: str, fdef: FieldDef) -> None:
    assert classify(text, fdef).reason != "no"


async def test_no_religion_said_in_words_and_a_religion_that_is_none(router: Router) -> None:
    """ "không theo tôn giáo nào" at (9) got "có vẻ là một câu hỏi"; the next question's
    answer typed there next ("sinh viên") was stored with the warning for believers."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 9")
    said = client.texts(await client.send("không theo tôn giáo nào"))
    assert "Đã ghi: không" in said and "câu hỏi" not in said
    await client.send("/sua 9")
    said = client.texts(await client.send("sinh viên"))
    assert "«sinh viên» không phải tên một tôn giáo" in said
    assert "Người có đạo" not in said
    assert (await dossier(router, client)).value("ton_giao") == "sinh viên"  # kept, warned


@pytest.mark.parametrize(
    "text", ["sinh năm 1973", "Sinh năm 1973", "năm sinh: 1973", "1973 ạ", "dạ năm sinh là 1973 ạ"]
)
def test_a_year_said_in_words_is_read(text: str) -> None:
    """ "sinh năm 1973" to «Năm sinh?» got "Chưa đọc được năm"."""
    assert parse_year(text) == 1973


async def test_a_relatives_birth_year_typed_in_a_sentence(router: Router) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 21")
    for answer in ("không", "không", "không", "không"):
        await client.send(answer)
    await client.send("bố")
    await client.send("Trần Văn Hùng")
    said = client.texts(await client.send("sinh năm 1973"))
    assert "Đã ghi: 1973" in said and "Chưa đọc được năm" not in said


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("VN", "Việt Nam"), ("viet nam", "Việt Nam"), ("nhật bản", "Nhật Bản"), ("Lào", "Lào")],
)
def test_a_nationality_is_a_countrys_name(typed: str, stored: str) -> None:
    assert parse_nationality(typed) == stored


async def test_an_address_typed_at_the_nationality_is_refused(router: Router) -> None:
    """ "thôn Đông, xã An Lạc, tỉnh Hưng Yên" (the next question's answer, typed one step
    ahead) was stored as a father's nationality, then warned about as a relative abroad."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 21")
    for answer in ("không", "không", "không", "không", "bố", "Trần Văn Hùng", "1973", "không"):
        await client.send(answer)
    await client.send("xã An Lạc, tỉnh Hưng Yên")  # nơi sinh
    await client.send("xã An Lạc, tỉnh Hưng Yên")  # quê quán
    said = client.texts(await client.send("thôn Đông, xã An Lạc, tỉnh Hưng Yên"))
    assert "chưa phải tên một nước" in said and "Quốc tịch?" in said
    said = client.texts(await client.send("VN"))
    assert "Đã ghi: Việt Nam" in said and "Nơi ở hiện nay?" in said
    row = (await dossier(router, client)).relatives[0]
    assert row["quoc_tich"] == "Việt Nam"


ITEM_11 = next(item for item in load_form().items() if item.number == 11).fields


@pytest.mark.parametrize(
    ("text", "asked", "other"),
    [
        ("tiếng anh B1", "tin_hoc", "ngoai_ngu"),
        ("chứng chỉ tin học cơ bản", "tieng_dan_toc", "tin_hoc"),
        ("IELTS 6.5", "tieng_dan_toc", "ngoai_ngu"),
        ("tiếng Tày giao tiếp", "ngoai_ngu", "tieng_dan_toc"),
        ("kỹ sư CNTT", "tin_hoc", None),  # its own subject
        ("kỹ sư CNTT", "chuyen_mon", None),  # a question without subjects is never refused
        ("cử nhân ngôn ngữ Anh", "ngoai_ngu", None),
        ("tiếng Thái", "ngoai_ngu", None),  # Thai, or the Thái minority's: neither list
    ],
)
def test_an_answer_naming_another_questions_subject(
    text: str, asked: str, other: str | None
) -> None:
    found = other_subject(text, FIELD[asked], ITEM_11)
    assert (found.id if found else None) == other


async def test_an_answer_typed_one_question_late_is_not_stored(router: Router) -> None:
    """ "tiếng anh B1" typed again at «Tin học» (the candidate a question behind) was stored
    as the computer skills, and the next answer under the minority language."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 11")
    for answer in ("12/12 phổ thông", "kỹ sư CNTT", "không", "không", "không", "không"):
        await client.send(answer)
    await client.send("tiếng Anh B1")
    said = client.texts(await client.send("tiếng Anh B1"))
    assert "đây có vẻ là «Ngoại ngữ», chưa phải «Tin học»" in said
    assert "Trình độ tin học cao nhất?" in said
    said = client.texts(await client.send("tin học văn phòng"))
    assert "Đã ghi: tin học văn phòng" in said
    d = await dossier(router, client)
    assert (d.value("ngoai_ngu"), d.value("tin_hoc")) == ("tiếng Anh B1", "tin học văn phòng")


async def test_a_relatives_job_typed_at_the_residence_is_not_stored(router: Router) -> None:
    """ "làm ruộng" typed at a father's «Nơi ở hiện nay» (the job, one question early) was
    stored as where he lives."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 21")
    for answer in ("không", "không", "không", "không", "bố", "Trần Văn Hùng", "1973", "không"):
        await client.send(answer)
    for answer in ("xã An Lạc, tỉnh Hưng Yên", "xã An Lạc, tỉnh Hưng Yên", "Việt Nam"):
        await client.send(answer)
    said = client.texts(await client.send("làm ruộng"))
    assert "đây có vẻ là «Nghề nghiệp», chưa phải «Nơi ở hiện nay»" in said
    assert "ghi «không»" not in said and "Quay lại" in said and "Nơi ở hiện nay?" in said
    said = client.texts(await client.send("thôn Đông, xã An Lạc, tỉnh Hưng Yên"))
    assert "Đã ghi: thôn Đông, xã An Lạc, tỉnh Hưng Yên" in said
    assert (await dossier(router, client)).relatives[0]["cu_tru"].startswith("thôn Đông")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("không bị kỷ luật", False),
        ("chưa đi nước ngoài", False),
        ("không có con", False),
        ("da khong bi ky luat", False),
        ("đã bị kỷ luật", True),
        ("có con rồi", True),
        ("có lẽ không", None),
        ("không nhớ", None),
        ("không bị kỷ luật?", None),
    ],
)
def test_a_yes_no_question_answered_with_its_own_words(text: str, said: bool | None) -> None:
    assert read_yes_no(text) is said


def test_an_answer_starting_with_no_stays_an_answer_where_no_yes_no_is_asked() -> None:
    assert classify("Không có khuyết điểm gì lớn", FIELD["tu_nhan_xet"]).reason != "no"


async def test_gates_and_menus_answered_in_a_sentence(router: Router) -> None:
    """ "không bị kỷ luật" to (20)'s "…đã từng bị kỷ luật chưa?" got "Vui lòng trả lời «có»
    hoặc «không»"; "chưa đi học lớp nào" at (17)'s empty menu, "chọn một nút"."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 20")
    said = client.texts(await client.send("không bị kỷ luật"))
    assert "Đã ghi: không" in said and "Vui lòng trả lời" not in said
    await client.send("/sua 17")
    said = client.texts(await client.send("chưa đi học lớp nào"))
    assert "(18) Đi nước ngoài" in said and "chọn một nút" not in said
    await client.send("/sua 21")
    said = client.texts(await client.send("chưa kết hôn"))
    assert "Đã ghi: không" in said
    said = client.texts(await client.send("có anh chị em"))
    assert "Đã ghi: có" in said
    d = await dossier(router, client)
    assert (d.value("da_ket_hon"), d.value("co_anh_chi_em")) == ("không", "có")


async def test_a_rows_content_typed_at_its_menu_is_told_which_button(router: Router) -> None:
    """ "giấy khen của hiệu trưởng" typed at (19)'s menu got "chọn một nút" with no word of
    which, nor of what would be asked. (With its year, "… năm 2019", the line now begins a
    row and only its month is asked: tests/test_table_lines.py.)"""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 19")
    await client.send("có")
    said = client.texts(await client.send("học sinh giỏi cấp tỉnh"))  # no award named
    assert "bấm «➕ Thêm khen thưởng» trước" in said and "cấp quyết định" in said
    said = client.texts(await client.send("ok"))  # chatter: the plain reminder
    assert "chọn một nút bên dưới" in said


@pytest.mark.parametrize(
    ("typed", "dossier_and_item"),
    [
        ("12 mục 15: thiếu tháng 7/2016", (12, 15)),
        ("hồ sơ 12 mục (21) bố mất năm nào", (12, 21)),
        ("#12 15 ghi rõ", (12, 15)),
        ("12 (15) ghi rõ tháng", (12, 15)),  # was item (12), "(15) ghi rõ tháng" its text
        ("12 m15 ghi rõ tháng", (12, 15)),
        ("12: mục 15 ghi rõ tháng", (12, 15)),
        ("mục 15: ghi rõ nơi làm", (None, 15)),
        ("m15 ghi rõ nơi làm", (None, 15)),
        ("15 ghi rõ nơi làm", (None, 15)),
        ("#12 ngày sinh ghi sai", (12, 3)),  # the item named in words: was the usage alone
        ("bố: ghi rõ năm mất", (None, 21)),
        ("hồ sơ 12 dân tộc ghi sai", (12, 8)),
    ],
)
async def test_a_comment_names_its_dossier_before_its_item(
    db_world: World, typed: str, dossier_and_item: tuple[int | None, int]
) -> None:
    """ "/nhanxet 12 mục 15: …" filed the comment under item (1)2… — the 12 read as the item:
    a bare number followed by «mục» is the dossier's."""
    world = db_world
    _, dossier_id = await _submitted(world)
    wanted_dossier, item = dossier_and_item
    typed = typed.replace("12", str(dossier_id)) if wanted_dossier else typed
    await world.command(R1, CB_GROUP, "nhanxet", typed)
    said = world.texts(CB_GROUP)
    assert f"cho mục ({item}) (hồ sơ #{dossier_id})" in said, said


async def test_help_typed_by_a_reviewer_in_the_group(tmp_path: Path) -> None:
    """ "/help" or "/trogiup" typed in the chi bộ's group by a reviewer got nothing (the
    command was the candidate's, private only): the group's commands are listed there; an
    outsider's gets nothing in the group. Through python-telegram-bot and the fake Bot API."""
    async with running_scene(tmp_path) as scene:
        api = scene.api
        group, _ = await bind_basic_group(scene)
        reviewer = scene.in_group(scene.r1, group)
        before = len(api.bot_messages(group))
        await reviewer.command("help")
        posted = [m.content for m in api.bot_messages(group)[before:]]
        assert any("/nhanxet 12 mục 15" in text and "/tralai 12" in text for text in posted)
        before = len(api.bot_messages(group))
        outsider = scene.in_group(scene.outsider, group)
        update = api.user_sends_text(outsider.user, group, "/trogiup")
        await api.wait_for_update_ack(update["update_id"], timeout=20)
        assert api.idle_probe is not None
        await api.idle_probe()
        assert len(api.bot_messages(group)) == before


async def test_a_reviewers_comments_in_the_private_view_one_per_line(db_world: World) -> None:
    """/xem listed a dossier's comments run together on one line (the template's line ended
    in a block tag, whose newline jinja trims)."""
    world = db_world
    _, dossier_id = await _submitted(world)
    await world.command(R1, CB_GROUP, "nhanxet", f"#{dossier_id} 15 ghi rõ nơi làm")
    await world.command(R1, CB_GROUP, "nhanxet", f"#{dossier_id} 17 thiếu lớp cảm tình Đảng")
    await world.command(R1, CB_GROUP, "xem", f"{dossier_id}")
    view = next(m.text for m in world.messages(private(R1)) if "Nhận xét:" in m.text)
    lines = view.split("\n")
    assert any(line.startswith("  #1 (15)") and line.endswith("ghi rõ nơi làm") for line in lines)
    assert any(line.startswith("  #2 (17)") for line in lines)


async def test_the_pledge_typed_again_at_the_place_of_writing(router: Router) -> None:
    """ "tôi cam đoan" typed at «Nơi viết lý lịch» (right after the pledge) was stored as the
    place; "tốt" as the whole self-assessment passed without a word (F22 now warns)."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/sua 22")
    await client.send("tốt")
    await client.send("có")  # the pledge
    said = client.texts(await client.send("tôi cam đoan"))
    assert "đây có vẻ là «Lời cam đoan», chưa phải «Nơi viết lý lịch»" in said
    said = client.texts(await client.send("Hà Nội"))
    assert "Đã ghi: Hà Nội" in said
    said = client.texts(await client.send("/tiendo"))
    assert "tự nhận xét chưa nêu khuyết điểm" in said


async def test_a_comment_that_names_no_item_is_shown_how(db_world: World) -> None:
    """Words that only begin like a name ("ghi rõ …" is part of «ghi rõ họ tên») name no
    item: the comment is not filed anywhere, and the usage shows both ways to name one."""
    world = db_world
    await _submitted(world)
    await world.command(R1, CB_GROUP, "nhanxet", "ghi rõ hơn")
    said = world.texts(CB_GROUP)
    assert "Đã ghi nhận xét" not in said and "/nhanxet ngày sinh ghi sai" in said
