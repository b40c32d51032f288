"""Answers typed as a sentence, as people answer a person in a chat (session 9, tried through
the console): "tên em là Nguyễn Văn An" was stored as the name «TÊN EM LÀ NGUYỄN VĂN AN» (the
booklet is copied by hand from it), "Nguyễn Văn An ạ" as «NGUYỄN VĂN AN Ạ», "quê em ở xã
Phú Lãng…" as the address with "quê em ở" in it, while "Nữ ạ", "tôi là nam" and "em sinh
ngày 12/3/1998 ạ" were refused. The frame is taken off in one place (``forms/framing.py``),
before every field's parser; places and names that begin like a frame keep their words."""

from __future__ import annotations

import datetime as dt

import pytest

from forms.definition import load_form
from forms.framing import option_number, spoken_command, unframe
from handlers.candidate.answers import parse_answer
from handlers.router import Router
from tests.chat_client import ChatClient
from tests.review_harness import World, private
from tests.test_conversation import consented, dossier
from tests.test_honest_conversation import router
from tests.test_honest_typing import db_world
from tests.test_review_flow import CB_GROUP, R1
from tests.test_review_reviewers import _submitted

__all__ = ["db_world", "router"]  # the fixtures, shared

FIELD = {f.id: f for item in load_form().items() for f in item.fields}
FIELD.update({c.id: c for i in load_form().items() if i.table for c in i.table.columns})
RELATIVE = {f.id: f for i in load_form().items() if i.relatives for f in i.relatives.fields}


@pytest.mark.parametrize(
    ("typed", "field", "answer"),
    [
        ("tên em là Nguyễn Văn An", "ho_ten", "Nguyễn Văn An"),
        ("Dạ, tên em là Nguyễn Văn An ạ", "ho_ten", "Nguyễn Văn An"),
        ("Tôi tên là Trần Thị Bình", "ho_ten", "Trần Thị Bình"),
        ("toi ten la Tran Thi Binh", "ho_ten", "Tran Thi Binh"),
        ("họ tên: Nguyễn Văn An", "ho_ten", "Nguyễn Văn An"),
        ("Họ và tên khai sinh : Nguyễn Văn An", "ho_ten", "Nguyễn Văn An"),
        ("Nữ ạ", "gioi_tinh", "Nữ"),
        ("tôi là nam", "gioi_tinh", "nam"),
        ("giới tính nam", "gioi_tinh", "nam"),
        ("em sinh ngày 12/3/1998 ạ", "ngay_sinh", "12/3/1998"),
        ("quê em ở xã Phú Lãng, tỉnh Ninh Bình", "que_quan", "xã Phú Lãng, tỉnh Ninh Bình"),
        ("hiện em đang ở thôn 3, xã Phú Lãng", "thuong_tru", "thôn 3, xã Phú Lãng"),
        ("em là người Kinh ạ", "dan_toc", "người Kinh"),
        ("dân tộc: Kinh", "dan_toc", "Kinh"),
        ("em theo đạo Phật ạ", "ton_giao", "đạo Phật"),
        ("em hiện là sinh viên ạ", "nghe_nghiep", "sinh viên"),
        ("em làm nông", "nghe_nghiep", "làm nông"),  # the job without its subject
        ("em học ở trường THPT Lê Lợi ạ", "viec", "học ở trường THPT Lê Lợi"),  # (15)'s line
        ("em vào đoàn ngày 26/3/2013 ạ", "ngay_vao_doan", "ngày 26/3/2013"),
        ("em chưa kết hôn", "da_ket_hon", "chưa kết hôn"),
        ("em có ạ", "da_ket_hon", "có"),
        ("em viết ở Hà Nội", "noi_ky", "Hà Nội"),
        ("em ký tên Nguyễn Văn An", "ky_ten", "Nguyễn Văn An"),
        ("nghề nghiệp: kế toán", "nghe_nghiep", "kế toán"),  # the label's first words
        ("họ và tên: Nguyễn Văn An", "ho_ten", "Nguyễn Văn An"),
        ("tại Hà Nội", "noi_ky", "Hà Nội"),
        ("theo đạo thiên chúa", "ton_giao", "đạo thiên chúa"),
        # (2): the other name said as people say it, with or without a subject
        ("có, tên Hùng Sơn", "ten_khac", "Hùng Sơn"),
        ("Có tên gọi khác là Sơn ạ", "ten_khac", "Sơn"),
        ("có bí danh là Hùng Sơn", "ten_khac", "Hùng Sơn"),
        ("còn gọi là Út Mười", "ten_khac", "Út Mười"),
        ("tên ở nhà là Bin", "ten_khac", "Bin"),
        ("em tên ở nhà là Bin", "ten_khac", "Bin"),
        ("biệt danh: Tí", "ten_khac", "Tí"),
        ("Tên cũ: Nguyễn Văn Tèo", "ten_khac", "Nguyễn Văn Tèo"),
        # a title before a person's name: a family name or a capitalised name follows it
        ("anh Trần Minh Khoa", "ho_ten", "Trần Minh Khoa"),
        ("Anh Trần Minh Khoa", "ho_ten", "Trần Minh Khoa"),  # the phone's capital
        ("em Trần Minh Khoa ạ", "ho_ten", "Trần Minh Khoa"),
        ("ông nội trần văn lộc", "ho_ten", "trần văn lộc"),
        ("chị gái Nguyễn Thị Mai", "ho_ten", "Nguyễn Thị Mai"),
        ("ông Lộc", "ho_ten", "Lộc"),  # the parser asks for the whole name
        # an address opened with its preposition or verb, no subject before it
        ("ở xã An Lạc, tỉnh Hưng Yên", "noi_dang_ky_khai_sinh", "xã An Lạc, tỉnh Hưng Yên"),
        ("sinh tại phường Lạc Hồng, Hà Nội", "noi_dang_ky_khai_sinh", "phường Lạc Hồng, Hà Nội"),
        ("đăng ký khai sinh tại xã An Lạc", "noi_dang_ky_khai_sinh", "xã An Lạc"),
        ("Tại phường Lạc Hồng, Hà Nội", "thuong_tru", "phường Lạc Hồng, Hà Nội"),
        ("đang sống ở thôn 3, xã Phú Lãng", "thuong_tru", "thôn 3, xã Phú Lãng"),
    ],
)
def test_the_frame_of_a_chat_sentence_is_taken_off(typed: str, field: str, answer: str) -> None:
    f = FIELD[field]
    assert unframe(typed, f.kind, f.label, f.id) == answer


@pytest.mark.parametrize(
    ("typed", "field", "answer"),
    [
        ("bố em mất năm 2015 ạ", "nam_mat", "2015"),
        ("ông mất năm 1990", "nam_mat", "1990"),
        ("mất tại nhà ạ", "noi_mat", "tại nhà"),
        ("bố em mất do bệnh ạ", "nguyen_nhan_mat", "do bệnh"),
        ("bố em làm ruộng ạ", "nghe_nghiep", "làm ruộng"),
        ("bố em là giáo viên đã nghỉ hưu", "nghe_nghiep", "giáo viên đã nghỉ hưu"),
        ("ông ấy đang sống ở thôn 3, xã Phú Lãng", "cu_tru", "thôn 3, xã Phú Lãng"),
        ("gia đình em là trung nông", "thanh_phan", "trung nông"),
        ("người Việt Nam", "quoc_tich", "Việt Nam"),
        ("ở thôn Đông, xã An Lạc", "cu_tru", "thôn Đông, xã An Lạc"),
        ("bố em là đảng viên ạ", "la_dang_vien", "là đảng viên"),  # the question's words: yes
    ],
)
def test_a_relatives_fact_typed_as_a_sentence(typed: str, field: str, answer: str) -> None:
    f = RELATIVE[field]
    assert unframe(typed, f.kind, f.label, f.id) == answer


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ("NGUYỄN VĂN A", "ho_ten"),  # a given name "A", not a polite "ạ"
        ("Lê Thị Ạ", "ho_ten"),  # capitalised: a name's last word
        ("Da Nang", "que_quan"),  # "Đà Nẵng" typed plainly, not a polite "dạ"
        ("tai nha", "noi_ky"),  # "tại nhà" typed plainly: no polite "nha" at its end
        ("Ông Văn Tùng", "ho_ten"),  # "Ông" is a family name too
        ("Bà Triệu", "que_quan"),  # a street, not a grandmother
        ("Con Cuông, Nghệ An", "que_quan"),  # a district, not "con" (I, to a parent)
        ("Que Son, Quang Nam", "que_quan"),  # "Quế Sơn", not "quê"
        ("Hiện là giáo viên", "nghe_nghiep"),  # no subject: kept as typed
        ("Em gái làm công nhân", "nghe_nghiep"),  # a relative named, no speaker
        ("dạ", "gioi_tinh"),  # something is always left
        ("Tôi là người tốt, luôn chấp hành", "tu_nhan_xet"),  # a paragraph: as typed
    ],
)
def test_words_that_only_look_like_a_frame_stay(typed: str, field: str) -> None:
    f = FIELD[field]
    assert unframe(typed, f.kind, f.label, f.id) == typed


async def test_sentences_typed_in_the_chat_store_only_the_answer(router: Router) -> None:
    client = await consented(router)
    said = client.texts(await client.send("Dạ, tên em là Nguyễn Văn An ạ"))
    assert "Đã ghi: NGUYỄN VĂN AN\n" in said
    await client.click("Bỏ qua")
    await client.send("em sinh ngày 12/3/1998 ạ")
    said = client.texts(await client.send("em là nữ ạ"))
    assert "Đã ghi: nữ" in said
    record = await dossier(router, client)
    assert (record.value("ho_ten"), record.value("ngay_sinh")) == ("NGUYỄN VĂN AN", "12/03/1998")
    await client.send("/sua 21")
    said = client.texts(await client.send("dạ em chưa ạ"))  # was "có vẻ là một câu hỏi"
    assert "Đã ghi: không" in said
    for answer in ("không", "em không có ạ", "không"):
        await client.send(answer)
    await client.send("bố")
    said = client.texts(await client.send("bố em tên là Trần Văn Hùng ạ"))
    assert "Đã ghi: TRẦN VĂN HÙNG" in said


async def test_a_title_before_a_name_is_not_stored_with_it(router: Router) -> None:
    """ "anh Trần Minh Khoa" was stored as «ANH TRẦN MINH KHOA», "ông Lộc" at a grandfather's
    name as «ÔNG LỘC»: the booklet is copied by hand from what is stored."""
    client = await consented(router)
    said = client.texts(await client.send("Anh Trần Minh Khoa"))
    assert "Đã ghi: TRẦN MINH KHOA\n" in said
    await client.send("/sua 21")
    for answer in ("không", "không", "không", "không"):
        await client.send(answer)
    await client.send("ông nội")
    said = client.texts(await client.send("ông Lộc"))
    assert "ghi đủ họ, tên đệm" in said and "Đã ghi" not in said
    said = client.texts(await client.send("ông nội trần văn lộc"))
    assert "Đã ghi: TRẦN VĂN LỘC" in said


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("2", 2),
        ("số 1", 1),
        ("1 ạ", 1),
        ("chọn 2.", 2),
        ("bấm nút 3", 3),
        ("Dạ, em chọn số hai ạ", 2),
        ("chon 2", 2),
        ("chọn nam", None),  # a label, not a number
        ("năm", None),  # a number in words only after "số", "chọn"…
        ("số 12 ngõ 5", None),  # an address
        ("1973", 1973),  # no button has that number: the screen reads it as a year
    ],
)
def test_a_buttons_number_typed_in_words(typed: str, number: int | None) -> None:
    assert option_number(typed) == number


async def test_a_button_picked_by_its_number_in_words_in_the_console_chat(router: Router) -> None:
    """At «Giới tính» (buttons 1. nam, 2. nữ), "số 1", "1 ạ" and "chọn 2" were refused with
    "Vui lòng ghi «nam» hoặc «nữ»": the candidate's screen reads the number too."""
    client = await consented(router)
    await client.send("NGUYỄN VĂN AN")
    await client.click("Bỏ qua")
    await client.send("12/3/1998")
    said = client.texts(await client.send("chọn 2 ạ"))
    assert "Đã ghi: nữ" in said


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("bố em là đảng viên ạ", "có"), ("bố em không phải đảng viên", "không"), ("dạ có ạ", "có")],
)
def test_a_yes_no_fact_said_with_the_questions_words(typed: str, stored: str) -> None:
    """ "bố em là đảng viên ạ" at «Là đảng viên?» got "Vui lòng trả lời «có» hoặc «không»"."""
    f = RELATIVE["la_dang_vien"]
    parsed = parse_answer(f, typed, form=load_form(), today=dt.date(2026, 12, 7))
    assert parsed.values == {"la_dang_vien": stored}


@pytest.mark.parametrize(
    ("command", "typed", "done"),
    [
        ("xem", "hồ sơ N", "📄 Hồ sơ #N"),
        ("xem", "hồ sơ số N", "📄 Hồ sơ #N"),
        ("xem", "#N ạ", "📄 Hồ sơ #N"),
        ("duyet", "số N ạ", "Đã duyệt."),
        ("nhanxet", "hồ sơ số N mục 15: ghi rõ nơi làm", "cho mục (15) (hồ sơ #N)"),
    ],
)
async def test_a_reviewer_names_the_dossier_in_words(
    db_world: World, command: str, typed: str, done: str
) -> None:
    """ "/xem hồ sơ 12", "/duyet số 12 ạ", "/nhanxet hồ sơ số 12 mục 15: …" got "Cách ghi: xem
    kèm số hồ sơ": the words before a dossier's number are read in one place
    (handlers/review/comments.py ``DOSSIER_WORDS``)."""
    world = db_world
    _, dossier_id = await _submitted(world)
    await world.command(R1, CB_GROUP, command, typed.replace("N", str(dossier_id)))
    said = world.texts(CB_GROUP) + world.texts(private(R1))
    assert done.replace("N", str(dossier_id)) in said, said


async def test_words_after_a_typed_decision_are_not_lost(db_world: World) -> None:
    """ "/tralai 12 vì thiếu mục 15" was refused with the bare usage; now nothing is decided
    until the reason is written as a comment, and the bot does not repeat it in the group."""
    world = db_world
    _, dossier_id = await _submitted(world)
    await world.command(R1, CB_GROUP, "tralai", f"{dossier_id} vì thiếu tháng 7/2016")
    said = world.texts(CB_GROUP)
    assert f"chưa làm gì với hồ sơ #{dossier_id}" in said and "tháng 7/2016" not in said
    assert f"/nhanxet {dossier_id} mục 15" in said and f"/tralai {dossier_id}" in said
    async with world.db.read() as r:
        record = await r.dossiers.get(dossier_id)
    assert record is not None and record.status == "submitted", record.status


@pytest.mark.parametrize(
    ("typed", "item"),
    [
        ("ngày sinh", "(3) Sinh ngày"),  # a question's name
        ("nơi sinh", "(5) Nơi đăng ký khai sinh"),
        ("họ tên", "(1) Họ và tên khai sinh"),
        ("gia đình", "(21) Hoàn cảnh gia đình"),
        ("bố", "(21) Hoàn cảnh gia đình"),  # a relation's
        ("mục ngày vào đoàn", "(12) Ngày và nơi kết nạp vào Đoàn"),
        ("nơi ở", "(7) Nơi cư trú"),  # a name it is known by (ItemDef.aliases)
        ("địa chỉ", "(7) Nơi cư trú"),
        ("học vấn", "(11) Trình độ hiện nay"),
        ("Đoàn", "(12) Ngày và nơi kết nạp vào Đoàn"),  # not «cam đoan»: its diacritics
        ("cam đoan", "(23) Cam đoan"),
    ],
)
async def test_an_item_to_edit_named_in_words(router: Router, typed: str, item: str) -> None:
    """ "/sua ngày sinh", "/sua họ tên", "/sua bố" got "Các mục: 1, 2, 3, …, 23" — numbers
    that say nothing to someone who does not know the booklet by heart."""
    client = await consented(router)
    await client.send("NGUYỄN VĂN AN")
    said = client.texts(await client.send(f"/sua {typed}"))
    assert item in said and "muốn sửa mục nào" not in said


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("sửa mục 5", ("sua", "5")),
        ("sua muc 5", ("sua", "5")),
        ("Dạ cho em sửa lại mục (15) ạ", ("sua", "15")),
        ("sửa mục 5 được không", ("sua", "5")),
        ("sửa mục ngày sinh", ("sua", "ngày sinh")),
        ("sửa mục", ("sua", "")),  # which item: the command's own list
        ("xem tiến độ", ("tiendo", "")),
        ("tiến độ", ("tiendo", "")),
        ("tạm dừng", ("huy", "")),
        ("em muốn xem bản nháp", ("xem", "")),
        ("nộp hồ sơ", ("nop", "")),
        ("dạ em nộp lại ạ", ("nop", "")),  # after a return, at the end screen
        ("đã chỉnh sửa", ("nop", "")),  # "I fixed it": «đã» is not «dạ»
        ("nộp lại giúp em với", ("nop", "")),  # ends taken off one after another
        ("sửa lại", None),  # "lại" is an end: "sửa" alone is no command
        ("em muốn chỉnh sửa", None),
        ("dừng lại", ("huy", "")),
        ("dùng", None),  # takes a suggestion
        ("dung", None),  # a word alone typed without diacritics: never
        # answers that only contain such words
        ("thợ sửa xe máy", None),
        ("sửa xe", None),
        ("sửa", None),
        ("dừng xe buýt", None),
        ("mục 5", None),
    ],
)
def test_a_command_asked_for_in_words(typed: str, read_as: tuple[str, str] | None) -> None:
    assert spoken_command(typed) == read_as


@pytest.mark.parametrize(
    ("typed", "read_as"),
    [
        ("tình hình", ("tinhhinh", "")),
        ("Dạ, Hồ sơ? ạ", ("hoso", "")),
        ("tinhhinh", ("tinhhinh", "")),
        ("mở lại", ("molai", "")),  # no end taken off a name
        # a short question naming a topic is its command, without words ([staff_commands])
        ("tình hình đơn vị A", ("tinhhinh", "")),
        ("cho tôi tình hình", ("tinhhinh", "")),
        ("còn bao nhiêu hồ sơ quá hạn?", ("tinhhinh", "")),
        ("chỉ tiêu năm nay bao nhiêu", ("chitieu", "")),
        # a command that takes words, its words as after the «/» when they begin as its do
        ("chỉ tiêu 150 31/10", ("chitieu", "150 31/10")),
        ("mở lại hồ sơ 12", None),  # not one that takes words, no topic
        ("nộp lại", None),  # a phrase is not a name
    ],
)
def test_a_staff_command_asked_for_by_its_name(typed: str, read_as: tuple[str, str] | None) -> None:
    names = frozenset({"tinhhinh", "hoso", "molai", "chitieu"})
    assert spoken_command(typed, names) == read_as


async def test_a_command_asked_for_in_words_is_done_not_stored(router: Router) -> None:
    """ "sửa mục 5", "tiến độ", "tạm dừng" typed at a free-text question were stored as the
    answer (Zalo has no menu of commands: people type what they want); at the ethnicity
    they got "not one of the 54 groups"."""
    client = await consented(router)
    await client.send("NGUYỄN VĂN AN")
    said = client.texts(await client.send("cho em sửa lại mục 1 ạ"))
    assert "(1) Họ và tên khai sinh" in said and "CHO EM" not in said
    said = client.texts(await client.send("xem tiến độ"))
    assert "Tiến độ lý lịch" in said
    said = client.texts(await client.send("tạm dừng"))
    assert "Đã dừng" in said
    record = await dossier(router, client)
    assert record.value("ho_ten") == "NGUYỄN VĂN AN"


async def test_an_item_not_found_lists_the_items_by_name(router: Router) -> None:
    client = await consented(router)
    await client.send("NGUYỄN VĂN AN")
    said = client.texts(await client.send("/sua chỗ làm"))
    assert "muốn sửa mục nào" in said
    assert "(3) Sinh ngày" in said and "(21) Hoàn cảnh gia đình" in said


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("em đồng ý ạ", "Cảm ơn anh/chị"),
        ("dạ em đồng ý", "Cảm ơn anh/chị"),
        ("tôi không đồng ý", "Trợ lý chưa lưu thông tin nào"),
    ],
)
async def test_the_consent_answered_in_a_sentence(router: Router, typed: str, said: str) -> None:
    """ "em đồng ý ạ" at the consent got "Trợ lý chưa lưu «em đồng ý ạ»: … cần đồng ý", and
    "tôi không đồng ý" was told the same instead of being taken as a no."""
    client = ChatClient(router, user_id="1001")
    await client.send("/start")
    assert said in client.texts(await client.send(typed))


@pytest.mark.parametrize(
    ("typed", "copied"), [("như nơi đăng ký khai sinh ạ", True), ("cùng nơi sinh", True),
                          ("dạ như trên ạ", True), ("Như Xuân, Thanh Hóa", False),
                          ("nhu cu", False)]
)  # fmt: skip
async def test_the_same_as_an_item_named_in_words(router: Router, typed: str, copied: bool) -> None:
    """ "như nơi đăng ký khai sinh ạ" and "cùng nơi sinh" at (6) Quê quán were stored as the
    hometown; they offer (5)'s address, as "giống mục 5" did. A district named «Như Xuân» is
    an address."""
    client = await consented(router)
    for answer in ("NGUYỄN VĂN AN", "Bỏ qua", "12/3/1998", "nam"):
        await client.send(answer)
    await client.send("xã Phú Lãng, tỉnh Ninh Bình")
    said = client.texts(await client.send(typed))
    assert ("chép từ mục (5) Nơi đăng ký khai sinh" in said) is copied, said


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ngày 12 tháng ba năm 1998", "12/03/1998"),
        ("12 tháng Giêng 1998", "12/01/1998"),
        ("mồng 1 tháng Chạp năm 1990", "01/12/1990"),
        ("ngày 3 tháng năm năm 1990", "03/05/1990"),
    ],
)
async def test_a_month_named_in_words(router: Router, typed: str, stored: str) -> None:
    """ "ngày 12 tháng ba năm 1998" — formal Vietnamese names its months — was refused
    ("Chưa đọc được ngày tháng năm")."""
    client = await consented(router)
    await client.send("NGUYỄN VĂN AN")
    await client.click("Bỏ qua")
    said = client.texts(await client.send(typed))
    assert f"Đã ghi: {stored}" in said


async def test_a_period_said_as_people_say_it(router: Router) -> None:
    """At item (14): "đến giờ" was not an open end; "ạ" after a period was taken for the row's
    content ("«ạ» chưa phải câu trả lời"); years alone got the generic "Chưa đọc được"."""
    client = await consented(router)
    await client.send("NGUYỄN VĂN AN")
    await client.send("/sua 14")
    await client.click("Thêm giai đoạn")
    said = client.texts(await client.send("2007-2012"))
    assert "Cần ghi cả tháng, không chỉ năm 2007" in said
    said = client.texts(await client.send("từ tháng 9 đến tháng 5/2012"))
    assert "Cần ghi cả năm sau tháng 09" in said
    said = client.texts(await client.send("từ tháng chín 2007 đến bây giờ ạ"))
    assert "Đã ghi: 09/2007 - nay" in said and "chưa phải câu trả lời" not in said
    assert "Nội dung" in said
    await client.send("/sua 15")
    said = client.texts(await client.send("9/2016 đến giờ: sinh viên ĐH Bách khoa Hà Nội"))
    assert "Đã ghi: 09/2016 - nay\nĐã ghi: sinh viên ĐH Bách khoa Hà Nội" in said


async def test_the_school_level_said_as_people_say_it(router: Router) -> None:
    """At (11) «Giáo dục phổ thông», "hết lớp 12 ạ", "THPT" and "cấp 3" were refused, while
    "tốt nghiệp THPT" was read: the level finished is read after any verb of finishing."""
    client = await consented(router)
    await client.send("NGUYỄN VĂN AN")
    for typed, stored in (("hết lớp 12 ạ", "12/12"), ("THPT", "12/12 phổ thông")):
        await client.send("/sua 11")
        said = client.texts(await client.send(typed))
        assert f"Đã ghi: {stored}\n" in said, said


async def test_a_year_remembered_roughly_offers_the_year(router: Router) -> None:
    """ "khoảng năm 1950" at a grandparent's birth year got "Chưa đọc được năm": the booklet
    holds one year, so the nearest is offered as a button, and a tap stores it."""
    client = await consented(router)
    await client.send("NGUYỄN VĂN AN")
    await client.send("/sua 21")
    for answer in ("không", "không", "không", "không"):
        await client.send(answer)
    await client.send("ông nội")
    await client.send("NGUYỄN VĂN BA")
    said = client.texts(await client.send("khoảng năm 1950"))
    assert "năm gần đúng nhất" in said and "Đã ghi" not in said
    said = client.texts(await client.click("1950"))
    assert "Đã ghi: 1950" in said


async def test_a_relatives_death_said_as_people_say_it(router: Router) -> None:
    """At «Người này đã mất chưa?», "ông mất rồi ạ" and "còn" (still alive) were refused
    ("trả lời «có» hoặc «không»"); "còn" is this question's no, not every question's."""
    client = await consented(router)
    await client.send("NGUYỄN VĂN AN")
    for relation, name, typed, stored in (
        ("ông nội", "NGUYỄN VĂN BA", "ông mất rồi ạ", "có"),
        ("bà nội", "LÊ THỊ TƯ", "bà còn ạ", "không"),
    ):
        await client.send("/sua 21")
        for answer in ("không", "không", "không", "không"):
            await client.send(answer)
        await client.send(relation)
        await client.send(name)
        await client.send("1930")
        said = client.texts(await client.send(typed))
        assert f"Đã ghi: {stored}\n" in said, said
        assert ("Năm mất" if stored == "có" else "Quê quán") in said


async def test_the_signing_line_typed_whole(router: Router) -> None:
    """ "Hà Nội, ngày 20 tháng 2 năm 2026" at «Nơi viết lý lịch» — the booklet's signing line
    as it is written — was stored whole as the place, and «Ngày ký» asked after it."""
    client = await consented(router)
    await client.send("NGUYỄN VĂN AN")
    await client.send("/sua 23")
    await client.click("Tôi xin cam đoan")
    said = client.texts(await client.send("Hà Nội, ngày 20 tháng 2 năm 2026"))
    assert "Đã ghi: Hà Nội\nĐã ghi: 20/02/2026" in said
    assert "ghi rõ họ tên" in said  # the next question is the signature's name
    record = await dossier(router, client)
    assert (record.value("noi_ky"), record.value("ngay_ky")) == ("Hà Nội", "20/02/2026")
