"""Issue 12, the classes found by driving the console as the worker would (a phone, no
diacritics, chat spellings): each was stored, or misread, before; each class is fixed in one
place (the classifier, the confirmation reader) and checked here through the Router."""

from __future__ import annotations

import pytest

from forms.classify import Verdict, classify
from forms.definition import load_form
from forms.model import FieldDef, Kind
from handlers.router import Router
from tests.chat_client import ChatClient
from tests.samples import load_sample
from tests.test_conversation import TODAY, consented, cursor, dossier, revision, seed
from tests.test_honest_conversation import CLOSED_A, GATES, at, missing, router, unchanged

__all__ = ["router"]  # the fixture, shared

FORM = load_form()
FIELD = {f.id: f for item in FORM.items() for f in item.fields}
RELATIVE = {f.id: f for f in FORM.relatives().fields}


# ---------------------------------------------------------------------------------------------
# the classifier: every kind of field, the phone's spellings


NOT_ANSWERS: list[tuple[str, FieldDef, str]] = [
    # "hôm nay" is a date's shortcut: at a place, a name, a birth date it is no answer
    ("hom nay", FIELD["que_quan"], "today"),
    ("hôm nay", FIELD["noi_dang_ky_khai_sinh"], "today"),
    ("hom nay a", FIELD["thuong_tru"], "today"),
    ("hnay", FIELD["ngay_sinh"], "today"),
    ("bay gio", FIELD["nghe_nghiep"], "today"),
    ("hom nay", RELATIVE["noi_sinh"], "today"),
    ("hom nay", RELATIVE["ho_ten"], "today"),
    # "rồi" typed "r", "xong r": chatter and the chat's button word, not a fact
    ("r", RELATIVE["thanh_phan"], "ack"),
    ("r", FIELD["ngoai_ngu"], "ack"),
    ("xong r", FIELD["dac_diem_lich_su"], "control"),
    ("xong roi", FIELD["tu_nhan_xet"], "control"),
    # an empty verdict where a statement about conduct is asked
    ("binh thuong", RELATIVE["chinh_tri"], "bare_statement"),
    ("bt", RELATIVE["chap_hanh"], "bare_statement"),
    ("on", RELATIVE["chap_hanh"], "bare_statement"),
    ("dc", RELATIVE["chap_hanh"], "bare_statement"),
    ("rồi", RELATIVE["chap_hanh"], "bare_statement"),
    ("khong sao", FIELD["dac_diem_lich_su"], "bare_statement"),
    # "same as …" where nothing is copied; test texts; slips; digits where words are asked
    ("nhu tren", RELATIVE["ho_ten"], "same"),
    ("giong bo", RELATIVE["nghe_nghiep"], "same"),
    ("nhu cu", FIELD["nghe_nghiep"], "same"),
    ("van the a", RELATIVE["cu_tru"], "same"),
    ("test", FIELD["que_quan"], "placeholder"),
    ("n/a", FIELD["ten_khac"], "placeholder"),
    ("xin loi, em go nham", FIELD["noi_vao_doan"], "mistake"),
    ("sai roi", FIELD["ton_giao"], "mistake"),
    ("0", FIELD["ton_giao"], "digits"),
    ("123", RELATIVE["nghe_nghiep"], "digits"),
    # vague times where no time is asked
    ("hom qua", FIELD["noi_ky"], "today"),
    ("ngay xua", RELATIVE["cu_tru"], "today"),
    ("lau roi", RELATIVE["nguyen_nhan_mat"], "today"),
    # chatter the phone types
    ("ok em", FIELD["nghe_nghiep"], "ack"),
    ("da em hieu roi", FIELD["tin_hoc"], "ack"),
    ("hix", RELATIVE["ho_ten"], "ack"),
    ("hi bot", FIELD["ho_ten"], "greeting"),
    ("bye", FIELD["que_quan"], "greeting"),
    ("lui lai", FIELD["ho_ten"], "control"),
    ("sua lai", RELATIVE["noi_sinh"], "control"),
    ("thoat", FIELD["dan_toc"], "control"),
]


@pytest.mark.parametrize(("text", "fdef", "reason"), NOT_ANSWERS)
def test_phone_non_answers_are_no_answers(text: str, fdef: FieldDef, reason: str) -> None:
    reading = classify(text, fdef)
    assert not reading.is_answer
    assert reading.reason == reason, reading


DONT_KNOW: list[tuple[str, FieldDef]] = [
    ("kb", RELATIVE["ho_ten"]),
    ("ko bt", FIELD["noi_vao_doan"]),
    ("k bik", RELATIVE["nghe_nghiep"]),
    ("ko bit ms", FIELD["chuyen_mon"]),
    ("e ko nho r", RELATIVE["nam_sinh"]),
    ("hok bit", RELATIVE["noi_mat"]),
    ("ko ro", FIELD["ngay_vao_doan"]),
    ("ko biet", RELATIVE["chap_hanh"]),
    ("chiu", FIELD["dac_diem_lich_su"]),
    ("ko bit nua", FIELD["dac_diem_lich_su"]),
    ("em ko ro lam", FIELD["tu_nhan_xet"]),
    ("ko nho ro", RELATIVE["cu_tru"]),
    ("ai ma biet", RELATIVE["ho_ten"]),
    ("sao biet dc", FIELD["noi_vao_doan"]),
    ("hinh nhu", RELATIVE["nam_sinh"]),
    ("chac vay", RELATIVE["nghe_nghiep"]),
    ("nho mang mang", RELATIVE["que_quan"]),
    ("chua co thong tin", FIELD["ngoai_ngu"]),
]


REFUSALS: list[tuple[str, FieldDef]] = [
    ("ti nua", FIELD["que_quan"]),
    ("de mai", RELATIVE["noi_sinh"]),
    ("doi xiu", FIELD["ho_ten"]),
    ("em hoi lai da", RELATIVE["ho_ten"]),
    ("sao cung duoc", FIELD["nghe_nghiep"]),
    ("tuy ban", RELATIVE["chinh_tri"]),
    ("bot tu dien di", FIELD["tu_nhan_xet"]),
    ("ghi ho em", RELATIVE["nghe_nghiep"]),
    ("ko muon khai", RELATIVE["thanh_phan"]),
]


@pytest.mark.parametrize(("text", "fdef"), REFUSALS)
def test_putting_off_or_asking_the_bot_to_fill_in_is_refusal(text: str, fdef: FieldDef) -> None:
    assert classify(text, fdef).verdict is Verdict.REFUSAL


@pytest.mark.parametrize(("text", "fdef"), DONT_KNOW)
def test_dont_know_in_every_kind_of_field(text: str, fdef: FieldDef) -> None:
    assert classify(text, fdef).verdict is Verdict.I_DONT_KNOW


QUESTIONS: list[tuple[str, FieldDef]] = [
    ("ngay vao doan la ngay nao", FIELD["ngay_vao_doan"]),  # a date: any length asks
    ("ghi ngay nao", FIELD["ngay_ky"]),
    ("ngay sinh ghi ntn", FIELD["ngay_sinh"]),
    ("dan toc j", FIELD["dan_toc"]),
    ("nam sinh ong noi ghi sao", RELATIVE["nam_sinh"]),
    ("tieng anh j cung dc a?", FIELD["ngoai_ngu"]),
]


@pytest.mark.parametrize(("text", "fdef"), QUESTIONS)
def test_questions_at_structured_fields(text: str, fdef: FieldDef) -> None:
    assert classify(text, fdef).verdict is Verdict.QUESTION


REAL: list[tuple[str, FieldDef]] = [
    ("hom nay", FIELD["ngay_ky"]),  # the signing date: today is the answer
    ("hôm nay", FIELD["ngay_chung_nhan_ntvd"]),
    ("bay gio", Kind.PERIOD),  # a period's end: "nay"
    ("tot", RELATIVE["chap_hanh"]),  # short, but says something
    ("chap hanh tot", RELATIVE["chap_hanh"]),
    ("mach mau nao", Kind.LONG_TEXT),
    ("tai bien mach mau nao", RELATIVE["nguyen_nhan_mat"]),
    ("15/8/1997 a", FIELD["ngay_sinh"]),  # a polite tail is no question
    ("hung yen", FIELD["noi_ky"]),
    ("La Gi", FIELD["que_quan"]),
    # names and words that look like the new classes, but are answers
    ("Mai", FIELD["ten_khac"]),
    ("Út Sáu", FIELD["ten_khac"]),
    ("thu", FIELD["ten_khac"]),  # Thu, Thư: not "thử"
    ("Hiếu", FIELD["ten_khac"]),
    ("Chờ việc tại địa phương", RELATIVE["nghe_nghiep"]),
    ("Sau đại học", FIELD["hoc_vi"]),
    ("bình thường", RELATIVE["hoan_canh_kinh_te"]),  # no statement about conduct
    ("12/12", FIELD["giao_duc_pho_thong"]),
]


@pytest.mark.parametrize(("text", "fdef"), REAL)
def test_real_answers_stay_answers(text: str, fdef: FieldDef | Kind) -> None:
    assert classify(text, fdef).is_answer, classify(text, fdef)


# ---------------------------------------------------------------------------------------------
# through the chat


async def test_today_at_a_place_is_not_stored_and_an_old_one_is_asked_again(
    router: Router,
) -> None:
    """ "hom nay" typed at a place question was stored as the place."""
    client = await at(router, missing("que_quan"))
    assert (await cursor(router, client)).field_id == "que_quan"
    before = await revision(router, client)
    await client.send("hom nay")
    assert await unchanged(router, client, before)
    assert "không hỏi thời gian" in client.texts()
    assert (await cursor(router, client)).field_id == "que_quan"

    sample = load_sample("a")
    sample.answers["que_quan"] = "hom nay"  # stored by an older version
    other = await at(router, sample, "1002")
    await other.send("/sua 6")
    assert (await cursor(router, other)).field_id == "que_quan"
    assert "Giữ nguyên" not in other.buttons()  # a non-answer is never kept as it is


async def test_today_is_a_signing_date_but_never_a_birth_date(router: Router) -> None:
    client = await at(router, missing("ngay_sinh"))
    assert (await cursor(router, client)).field_id == "ngay_sinh"
    before = await revision(router, client)
    await client.send("hom nay")
    assert await unchanged(router, client, before)
    assert "không thể là hôm nay" in client.texts()
    await client.send("3/4/2003")
    assert (await dossier(router, client)).answers["ngay_sinh"] == "03/04/2003"

    signer = await at(router, missing("ngay_ky"), "1002")
    assert (await cursor(router, signer)).field_id == "ngay_ky"
    await signer.send("hom nay")
    assert (await dossier(router, signer)).answers["ngay_ky"] == TODAY.strftime("%d/%m/%Y")


async def test_a_question_at_a_date_gets_the_help_not_a_parse_error(router: Router) -> None:
    client = await at(router, missing("ngay_vao_doan", "noi_vao_doan"))
    if (await cursor(router, client)).kind == "gate":
        await client.send("co")  # "đã vào Đoàn?"
    assert (await cursor(router, client)).field_id == "ngay_vao_doan"
    await client.send("ngay vao doan la ngay nao")
    assert "câu hỏi" in client.texts() and "📖" in client.texts()


async def test_roi_and_xong_r_are_not_stored(router: Router) -> None:
    """ "r" (rồi) was stored as a relative's class; "xong r" as item (16)."""
    facts = ("thanh_phan", "lich_su_chinh_tri", "chinh_tri", "hoan_canh_kinh_te", "chap_hanh",
             "tien_an", "la_dang_vien")  # fmt: skip
    client = await at(router, missing(keep=5, relatives={4: facts}))
    assert (await cursor(router, client)).field_id == "thanh_phan"
    before = await revision(router, client)
    for text in ("r", "dc", "oke", "uhm"):
        await client.send(text)
        assert await unchanged(router, client, before), text

    item16 = await at(router, missing("dac_diem_lich_su"), "1002")
    assert (await cursor(router, item16)).field_id == "dac_diem_lich_su"
    before = await revision(router, item16)
    for text in ("xong r", "khong", "co", "ok", "r"):
        await item16.send(text)
        assert await unchanged(router, item16, before), text


@pytest.mark.parametrize("verdict", ["binh thuong", "bt", "on", "rồi", "ok", "co a", "khong"])
async def test_an_empty_verdict_on_conduct_is_asked_again_with_the_example(
    router: Router, verdict: str
) -> None:
    """ "binh thuong", "tot"… typed at "chấp hành chủ trương, pháp luật": "bình thường" says
    nothing the chi bộ can weigh; "tốt" does and is kept."""
    client = await at(router, missing(keep=5, relatives={4: ("chap_hanh", "la_dang_vien")}))
    assert (await cursor(router, client)).field_id == "chap_hanh"
    before = await revision(router, client)
    await client.send(verdict)
    assert await unchanged(router, client, before)
    assert "Chấp hành tốt chủ trương của Đảng" in client.texts()  # the example
    await client.send("tot")
    assert (await dossier(router, client)).relatives[4]["chap_hanh"] == "tot"


@pytest.mark.parametrize("vague", ["không có gì đặc biệt", "rõ ràng", "ro rang", "trong sạch"])
async def test_a_vague_verdict_at_the_history_is_asked_again_with_the_statement(
    router: Router, vague: str
) -> None:
    """ "không có gì đặc biệt", "rõ ràng" at (16) were stored word for word: the booklet
    would print them where the guidance asks the full negative statement."""
    client = await at(router, missing("dac_diem_lich_su"))
    before = await revision(router, client)
    await client.send(vague)
    assert await unchanged(router, client, before)
    said = client.texts()
    assert f"chỉ ghi «{vague}» thì lý lịch chưa nói rõ điều gì" in said
    assert "Không bị bắt, bị tù; không tham gia" in said  # the statement to write
    await client.send("Không bị bắt, bị tù; không giữ chức sắc tôn giáo")
    history = (await dossier(router, client)).answers["dac_diem_lich_su"]
    assert history == "Không bị bắt, bị tù; không giữ chức sắc tôn giáo"


async def test_chua_co_where_none_is_an_answer_is_stored_as_khong(router: Router) -> None:
    """ "chua co" at a line of (11) whose guidance says "chưa có thì ghi «không»"."""
    client = await at(router, missing("khoa_hoc_cong_nghe"))
    await client.send("chua co")
    assert (await dossier(router, client)).answers["khoa_hoc_cong_nghe"] == "không"


async def test_the_next_answer_typed_over_a_pending_suggestion_is_not_stored(
    router: Router,
) -> None:
    """ "gia yeu" at the cause of death got its diacritised writing offered; the worker typed
    the place of death next, "tai nha", which replaced the cause. It is said and the offer
    shown again; the answer typed again with diacritics is still the new answer."""
    facts = ("nguyen_nhan_mat", "noi_mat", "que_quan", "nghe_nghiep", "chinh_tri", "la_dang_vien")
    client = await at(router, missing(keep=1, relatives={0: facts}))
    assert (await cursor(router, client)).field_id == "nguyen_nhan_mat"
    await client.send("gia yeu")
    assert "Dùng cách ghi đề xuất" in client.buttons()
    before = await revision(router, client)
    await client.send("tai nha")
    assert await unchanged(router, client, before)
    assert "vẫn đang chờ" in client.texts()
    assert "Dùng cách ghi đề xuất" in client.buttons()
    await client.send("dung")
    assert (await dossier(router, client)).relatives[0]["nguyen_nhan_mat"] == "già yếu"
    await client.send("tai nha")
    assert (await cursor(router, client)).field_id == "noi_mat"
    await client.send("tại nhà")  # the same answer, written again: the new answer
    assert (await dossier(router, client)).relatives[0]["noi_mat"] == "tại nhà"


async def rows_menu(router: Router, user: str = "1001") -> ChatClient:
    sample = load_sample("a")
    sample.tables["lich_su"] = sample.tables["lich_su"][:1]
    client = await at(router, sample, user)
    await client.send("/sua 14")
    assert "Thêm giai đoạn" in client.texts()
    return client


@pytest.mark.parametrize("vague", ["ok", "dung", "r", "uk", "dc"])
async def test_yes_words_at_a_rows_menu_pick_nothing(router: Router, vague: str) -> None:
    """ "Thêm giai đoạn khác, sửa, xóa, hay xong?" is no yes/no question: "dung", "ok" added
    a row."""
    client = await rows_menu(router)
    screen = await cursor(router, client)
    await client.send(vague)
    assert await cursor(router, client) == screen
    assert "một nút" in client.texts()


async def test_co_adds_a_row_and_ko_closes_the_menu(router: Router) -> None:
    client = await rows_menu(router)
    await client.send("co")
    assert (await cursor(router, client)).kind == "column"
    other = await rows_menu(router, "1002")
    await other.send("ko")
    assert (await cursor(router, other)).kind != "rows"


ERASE_REPLIES = [
    ("xoa di", True), ("ok xoa", False), ("xoa luon", True), ("ko xoa", False),
    ("khong xoa nhe", False), ("uk", True), ("k xoa", False), ("hok xoa nha", False),
]  # fmt: skip


@pytest.mark.parametrize(("reply", "erased"), ERASE_REPLIES)
async def test_erase_confirmation_reads_phone_replies(
    router: Router, reply: str, erased: bool
) -> None:
    """ "xoa di" (xóa đi) at «Xóa?» was "chọn một nút"."""
    client = await at(router, load_sample("a"))
    await client.send("/sua 18")
    await client.send("khong")
    assert "Xóa?" in client.texts()
    await client.send(reply)
    rows = (await dossier(router, client)).tables.get("nuoc_ngoai", [])
    if reply == "ok xoa":  # neither plainly yes nor no: asked again, nothing erased
        assert "Xóa?" in client.last_text() or "chọn một nút" in client.texts()
        assert len(rows) == 1
        return
    assert (rows == []) == erased, reply
    if not erased:
        assert "Đã giữ nguyên" in client.texts(), reply  # understood, not asked again


async def test_the_phones_junk_is_never_stored(router: Router) -> None:
    """Found by typing every kind of chat filler at every kind of question: each was stored
    as a place, a name, a religion."""
    client = await at(router, missing("que_quan"))
    assert (await cursor(router, client)).field_id == "que_quan"
    before = await revision(router, client)
    replies = {
        "nhu cu": "không ghi «như trên»",
        "test": "chưa phải câu trả lời",
        "xin loi, em go nham": "Không sao ạ",
        "ti nua": "tạm dừng",
        "hom qua": "không hỏi thời gian",
        "ai ma biet": "Cách tìm",
        "bot tu dien di": "phải khai",
        "0": "chỉ có số",
    }
    for text, said in replies.items():
        await client.send(text)
        assert await unchanged(router, client, before), text
        assert said in client.texts(), (text, client.texts())
    assert (await cursor(router, client)).field_id == "que_quan"


async def test_nothing_however_typed_is_the_booklets_khong(router: Router) -> None:
    """ "ko co j" was stored as the other name "Ko Co J"; "k ap dung" as a religion."""
    client = await at(router, missing("ten_khac", "ton_giao"))
    assert (await cursor(router, client)).field_id == "ten_khac"
    await client.send("ko co j")
    assert (await dossier(router, client)).answers["ten_khac"] == ""
    await client.send("k ap dung")
    assert (await dossier(router, client)).answers["ton_giao"] == "không"


async def test_any_yes_adds_where_the_menu_asks_for_more(router: Router) -> None:
    """ "Còn ai nữa không?" is a yes/no question: "uk" there adds a sibling; "ko" ends."""
    for user, reply, kind in (("1001", "uk", "relative"), ("1002", "ko", "!loop")):
        client = await consented(router, user)
        await seed(router, client, load_sample("a"), gates=GATES,
                   closed=[c for c in CLOSED_A if c != "r:anh_chi_em"])  # fmt: skip
        assert (await cursor(router, client)).kind == "loop"
        assert "Còn ai nữa không?" in client.last_text()
        await client.send(reply)
        now = (await cursor(router, client)).kind
        assert now == kind if kind[0] != "!" else now != kind[1:], (reply, now)


async def test_married_then_not_typed_on_a_phone_asks_before_erasing(router: Router) -> None:
    """ "chua" (chưa) at "Anh/chị đã kết hôn chưa?" of a married candidate would erase the
    spouse's side: shown and asked; "ko xoa" keeps it, "xoa di" erases it."""
    client = await consented(router)
    await seed(router, client, load_sample("b"))
    await client.send("/sua 21")
    assert "Anh/chị đã kết hôn chưa?" in client.last_text()
    before = await revision(router, client)
    await client.send("chua")
    assert "Xóa?" in client.texts()
    await client.send("ko xoa")
    assert await unchanged(router, client, before)
    assert (await dossier(router, client)).relatives_of("vo_chong")
    await client.send("chua")
    await client.send("xoa di")
    d = await dossier(router, client)
    assert d.answers["da_ket_hon"] == "không"
    assert not d.relatives_of("vo_chong", "cha_vc", "anh_chi_em_vc")
    assert d.relatives_of("cha", "me", "con")
