"""Issue 12, the conversation side: no path stores a non-answer. Driven through the Router as
a 22-year-old worker typing on a phone (often without diacritics) would."""

from __future__ import annotations

import pytest

from admission.clock import FixedClock
from forms.diacritics import suggest_diacritics
from forms.dossier import Dossier
from forms.vn import fold
from handlers.candidate import CandidateFlow
from handlers.router import Router
from storage.db import Database
from tests.chat_client import ChatClient
from tests.samples import load_sample
from tests.test_conversation import TODAY, consented, cursor, dossier, revision, seed

CLOSED_A = ["t:lich_su", "t:cong_tac", "t:dao_tao", "t:nuoc_ngoai", "t:khen_thuong",
            "t:gioi_thieu", "r:anh_chi_em"]  # fmt: skip
GATES = {"13": "không", "20": "không"}


@pytest.fixture
def router(db: Database) -> Router:
    return Router(db, FixedClock(TODAY), [CandidateFlow()])


async def at(router: Router, sample: Dossier, user: str = "1001") -> ChatClient:
    """A candidate whose dossier is ``sample``: the conversation at its first open question."""
    client = await consented(router, user)
    await seed(router, client, sample, gates=GATES, closed=CLOSED_A)
    return client


def missing(*answers: str, relatives: dict[int, tuple[str, ...]] | None = None,
            keep: int | None = None) -> Dossier:  # fmt: skip
    """Sample A without ``answers``, its first ``keep`` relatives, each without the facts
    ``relatives`` names."""
    d = load_sample("a")
    for key in answers:
        d.answers.pop(key, None)
    if keep is not None:
        d.relatives = d.relatives[:keep]
    for i, facts in (relatives or {}).items():
        d.relatives[i] = {k: v for k, v in d.relatives[i].items() if k not in facts}
    return d


async def unchanged(router: Router, client: ChatClient, before: int) -> bool:
    return await revision(router, client) == before


# ---------------------------------------------------------------------------------------------
# (1) the classifier on every path that stores free text


async def test_a_question_mid_form_gets_the_help_and_the_question_again(router: Router) -> None:
    """ "la sao? khoa hoc cong nghe la gi" (a "?" not at the end) was stored as item (11)."""
    client = await at(router, missing("khoa_hoc_cong_nghe"))
    assert (await cursor(router, client)).field_id == "khoa_hoc_cong_nghe"
    before = await revision(router, client)
    await client.send("la sao? khoa hoc cong nghe la gi")
    assert await unchanged(router, client, before)
    text = client.texts()
    assert "chưa ghi" in text and "📖" in text  # the field's help
    assert "Khoa học" in client.last_text()  # and the question again
    assert (await cursor(router, client)).field_id == "khoa_hoc_cong_nghe"


async def test_dont_know_a_name_is_not_stored_and_says_how_to_find_it(router: Router) -> None:
    """ "ko bit ten ong noi" was stored as the grandfather's name."""
    client = await at(router, missing(keep=0))
    assert (await cursor(router, client)).field_id == "ho_ten"
    before = await revision(router, client)
    await client.send("ko bit ten ong noi")
    assert await unchanged(router, client, before)
    assert "Cách tìm" in client.texts() and "giấy khai sinh" in client.texts()
    assert "Không rõ" not in client.buttons()  # a name is never "không rõ"
    await client.send("chiu")
    assert await unchanged(router, client, before)


async def test_dont_know_where_the_guidance_allows_it_stores_khong_ro(router: Router) -> None:
    """ "ko biet" and "ko ro, ghi sao a" were stored as a place and a cause of death; the
    guidance lets them be "không rõ", stored as such and said so."""
    facts = ("nguyen_nhan_mat", "noi_mat", "que_quan", "nghe_nghiep", "chinh_tri", "la_dang_vien")
    client = await at(router, missing(keep=1, relatives={0: facts}))
    assert (await cursor(router, client)).field_id == "nguyen_nhan_mat"
    assert "Không rõ" in client.buttons()
    await client.send("ko ro, ghi sao a")
    assert "«không rõ»" in client.texts()
    assert (await dossier(router, client)).relatives[0]["nguyen_nhan_mat"] == "không rõ"
    assert (await cursor(router, client)).field_id == "noi_mat"
    await client.send("ko biet")
    assert (await dossier(router, client)).relatives[0]["noi_mat"] == "không rõ"
    await client.click("Không rõ")  # hometown: the button
    assert (await dossier(router, client)).relatives[0]["que_quan"] == "không rõ"


async def test_k_is_not_a_language(router: Router) -> None:
    """ "k" was stored for a language and printed in the booklet."""
    client = await at(router, missing("ngoai_ngu"))
    assert (await cursor(router, client)).field_id == "ngoai_ngu"
    before = await revision(router, client)
    for text in ("k", "ok", "co"):
        await client.send(text)
        assert await unchanged(router, client, before), text
        assert "chưa phải câu trả lời" in client.texts()
    await client.send("ko")  # "không": no foreign language, a real answer here
    assert (await dossier(router, client)).answers["ngoai_ngu"] == "không"


async def test_a_bare_no_to_a_statement_is_asked_again_with_the_example(router: Router) -> None:
    """ "khong" typed at "chấp hành chủ trương, pháp luật" was stored and printed."""
    client = await at(router, missing(keep=5, relatives={4: ("chap_hanh", "la_dang_vien")}))
    assert (await cursor(router, client)).field_id == "chap_hanh"
    before = await revision(router, client)
    await client.send("khong")
    assert await unchanged(router, client, before)
    assert "lời khai sai nghĩa" in client.texts()
    assert "Chấp hành tốt chủ trương của Đảng" in client.texts()  # the example
    await client.send("chap hanh tot")
    assert (await dossier(router, client)).relatives[4]["chap_hanh"] == "chap hanh tot"


async def test_a_refusal_is_not_stored(router: Router) -> None:
    client = await at(router, missing(keep=1, relatives={0: ("nghe_nghiep", "chinh_tri",
                                                              "la_dang_vien")}))  # fmt: skip
    assert (await cursor(router, client)).field_id == "nghe_nghiep"
    before = await revision(router, client)
    await client.send("ko muon khai")
    assert await unchanged(router, client, before)
    assert "phải khai" in client.texts()


async def test_an_explanation_of_a_warning_is_a_real_explanation(router: Router) -> None:
    client = await consented(router)
    await client.send("nguyen van tuan")  # no diacritics: a warning to explain
    await client.click("Giải trình cảnh báo 1")
    before = await revision(router, client)
    for text in ("ok", "ko biet", "la sao?"):
        await client.send(text)
        assert await unchanged(router, client, before), text
    await client.send("Giấy khai sinh của tôi ghi không dấu")
    assert (await dossier(router, client)).explanations


# ---------------------------------------------------------------------------------------------
# (3) yes and no in context


async def birth_place_suggested(router: Router, user: str = "1001") -> ChatClient:
    """At (5), an unaccented old address typed: the new name is suggested."""
    client = await at(router, missing("noi_dang_ky_khai_sinh", "que_quan"), user)
    await client.send("xa long hung, huyen van giang, tinh hung yen")
    assert "Dùng cách ghi đề xuất" in client.buttons()
    return client


SUGGESTED = (
    "xã Nghĩa Trụ, tỉnh Hưng Yên (trước đây là xã Long Hưng, huyện Văn Giang, tỉnh Hưng Yên)"
)


@pytest.mark.parametrize("yes", ["co", "có", "ok", "ừ", "dung", "đúng", "dùng", "đồng ý", "vâng"])
async def test_typing_yes_accepts_the_suggestion(router: Router, yes: str) -> None:
    """Typing "co" replaced the address with "co"; "dung" (dùng) was taken for "dừng"."""
    client = await birth_place_suggested(router)
    await client.send(yes)
    assert (await dossier(router, client)).answers["noi_dang_ky_khai_sinh"] == SUGGESTED
    assert (await cursor(router, client)).field_id == "que_quan"


@pytest.mark.parametrize("no", ["khong", "ko", "thôi", "giu nguyen"])
async def test_typing_no_keeps_what_was_typed(router: Router, no: str) -> None:
    client = await birth_place_suggested(router)
    await client.send(no)
    answers = (await dossier(router, client)).answers
    assert answers["noi_dang_ky_khai_sinh"] == "xa long hung, huyen van giang, tinh hung yen"
    assert (await cursor(router, client)).field_id == "que_quan"


async def test_dung_with_its_diacritics_is_not_yes(router: Router) -> None:
    client = await birth_place_suggested(router)
    await client.send("dừng")
    answers = (await dossier(router, client)).answers
    assert answers["noi_dang_ky_khai_sinh"] == "xa long hung, huyen van giang, tinh hung yen"
    assert "dừng" not in answers.values()


async def test_a_confirmation_reads_its_own_words(router: Router) -> None:
    """ "Xóa?" answered "xoa" / "khong xoa" / "thôi" / "ok", as typed on a phone."""
    client = await at(router, load_sample("a"))
    await client.send("/sua 18")
    await client.send("khong")
    assert "Xóa?" in client.texts()
    await client.send("khong xoa")
    assert len((await dossier(router, client)).tables["nuoc_ngoai"]) == 1
    await client.send("khong")
    await client.send("thôi")
    assert len((await dossier(router, client)).tables["nuoc_ngoai"]) == 1
    await client.send("khong")
    await client.send("xoa")
    assert (await dossier(router, client)).tables.get("nuoc_ngoai", []) == []


# ---------------------------------------------------------------------------------------------
# (4) typed text richer than the button it matches


async def test_the_signature_name_typed_with_diacritics_keeps_them(router: Router) -> None:
    """At the name under the signature the button offers (1) as typed, "NGUYEN VAN TUAN";
    typing "Nguyễn Văn Tuấn" stored the unaccented label."""
    sample = missing("ky_ten")
    sample.answers["ho_ten"] = "NGUYEN VAN TUAN"
    client = await at(router, sample)
    assert (await cursor(router, client)).field_id == "ky_ten"
    assert "NGUYEN VAN TUAN" in client.buttons()
    await client.send("Nguyễn Văn Tuấn")
    assert (await dossier(router, client)).answers["ky_ten"] == "NGUYỄN VĂN TUẤN"
    assert "NGUYEN VAN TUAN" in client.texts()  # (1) and the signature differ: said at once
    await client.send("/sua 1")
    await client.send("nguyen van tuan")  # the same as the button: still the tap
    await client.send("/sua 1")
    await client.send("Nguyễn Văn Tuấn")  # (1) fixed: no mismatch left
    assert (await dossier(router, client)).answers["ho_ten"] == "NGUYỄN VĂN TUẤN"


async def test_a_later_fix_of_item_1_reports_the_signature_at_once(router: Router) -> None:
    """After a later fix of item (1) the check said nothing; the new mismatch with the name
    under the signature appeared only in /tiendo."""
    sample = load_sample("a")
    client = await at(router, sample)
    await client.send("/sua 1")
    await client.send("Trần Minh Khoa Anh")
    assert "TRẦN MINH KHOA ANH" in client.texts()
    assert "Sửa mục (23)" in client.buttons()  # the signature's flag, with its fix button


# ---------------------------------------------------------------------------------------------
# (5) no edit erases an answer without asking; a revisit walks every field


async def edit_relative(router: Router, number: int) -> ChatClient:
    """/sua 21 on sample A, the relative ``number`` (1-based) opened with "Sửa"."""
    client = await at(router, load_sample("a"))
    await client.send("/sua 21")
    while "✏️ Sửa" not in client.buttons():
        await client.click("Giữ nguyên")
    await client.click("Sửa")
    await client.click(f"{number}.")
    await client.click("Giữ nguyên")  # name
    await client.click("Giữ nguyên")  # year of birth
    assert "đã mất chưa?" in client.texts()
    return client


async def test_dead_or_alive_changed_asks_before_erasing(router: Router) -> None:
    """Changing a relative's "Đã mất" back and forth erased two answers without asking."""
    client = await edit_relative(router, 5)  # the father, alive
    await client.send("co")
    text = client.texts()
    assert "Nơi ở hiện nay: thôn Đông, xã An Lạc, tỉnh Hưng Yên" in text
    assert "Đang ở nước ngoài: không" in text and "Xóa?" in text
    father = (await dossier(router, client)).relatives[4]
    assert father["da_mat"] == "không" and father["cu_tru"]
    await client.send("khong xoa")
    assert (await dossier(router, client)).relatives[4] == father
    assert "đã mất chưa?" in client.texts()  # asked again
    await client.send("co")
    await client.click("Xóa")
    father = (await dossier(router, client)).relatives[4]
    assert father["da_mat"] == "có" and "cu_tru" not in father


async def test_a_deceased_relative_made_alive_asks_too(router: Router) -> None:
    client = await edit_relative(router, 1)  # the paternal grandfather, died 2015
    await client.send("khong")
    assert "Năm mất: 2015" in client.texts() and "Lý do mất: bệnh tuổi già" in client.texts()
    assert (await dossier(router, client)).relatives[0]["nam_mat"] == "2015"


async def test_skipping_an_answered_field_asks_before_emptying_it(router: Router) -> None:
    client = await edit_relative(router, 5)
    # đã mất, nơi sinh, quê quán, quốc tịch, nơi ở, nước ngoài, nghề nghiệp, dân tộc, tôn giáo
    for _ in range(9):
        await client.click("Giữ nguyên")
    assert "Thành phần giai cấp" in client.texts()
    await client.click("Bỏ qua")
    assert "Thành phần giai cấp: bần nông" in client.texts()
    await client.click("Không xóa")
    assert (await dossier(router, client)).relatives[4]["thanh_phan"] == "bần nông"


async def test_a_revisit_walks_every_field_after_a_change(router: Router) -> None:
    """The same edit skipped birthplace and hometown: after "có", "Quay lại" and "không",
    the walk jumped to the first empty field ("Nơi ở hiện nay")."""
    client = await edit_relative(router, 5)
    await client.send("co")
    await client.click("Xóa")
    assert "Năm mất?" in client.texts()
    await client.click("Quay lại")
    await client.send("khong")
    assert "Nơi sinh?" in client.texts()
    await client.click("Giữ nguyên")
    assert "Quê quán?" in client.texts()
    await client.click("Giữ nguyên")
    assert "Quốc tịch?" in client.texts()  # asked of parents since issue 15
    await client.click("Giữ nguyên")
    assert "Nơi ở hiện nay?" in client.texts()


# ---------------------------------------------------------------------------------------------
# (6) a better writing offered as buttons


async def test_unaccented_booklet_text_is_offered_with_its_diacritics(router: Router) -> None:
    """ "cong nhan may, cty tnhh may hung yen" reached the booklet as typed; F19's suggestion
    is now offered at once, as a button (and "co" takes it)."""
    client = await at(router, missing("noi_vao_doan"))
    assert (await cursor(router, client)).field_id == "noi_vao_doan"
    await client.send("chi doan 11a2 truong thpt van giang")
    assert "«chi đoàn 11a2 trường THPT Văn Giang»" in client.texts()
    assert "Dùng cách ghi đề xuất" in client.buttons()
    await client.send("co")
    assert (await dossier(router, client)).answers["noi_vao_doan"] == (
        "chi đoàn 11a2 trường THPT Văn Giang"
    )


async def test_a_persons_name_is_never_rewritten_as_a_place(router: Router) -> None:
    """ "Nguyen Van An" was offered as «Nguyễn Vạn An» ("Vạn An" is a commune) and "co" took
    it; a place spelling right after a family name is now never offered: the warning stays,
    with no rewriting, and "co" files nothing made up."""
    client = await at(router, missing("noi_vao_doan"))
    await client.send("chi doan cong ty tnhh Nguyen Van An")
    assert "Vạn An" not in client.texts()
    assert "Dùng cách ghi đề xuất" not in client.buttons()
    assert suggest_diacritics("NGUYEN VAN AN") is None
    assert suggest_diacritics("thon 3 xa van an") == "thôn 3 xã Vạn An"  # a place stays one


async def test_unaccented_text_with_no_suggestion_is_still_told_at_once(router: Router) -> None:
    """ "chi doan cong ty tnhh Nguyen Van An" (a name no list can write) and an unaccented
    (16) were stored with no word until the part's end, items later: F19 is now said with
    the stored answer, and how to write it again."""
    client = await at(router, missing("noi_vao_doan"))
    said = client.texts(await client.send("chi doan cong ty tnhh Nguyen Van An"))
    assert "viết không dấu" in said and "/sua 12" in said
    await client.send("/sua 16")
    said = client.texts(await client.send("khong bi bat, khong bi tu, khong lam cho che do cu"))
    assert "Đã ghi: khong bi bat" in said and "/sua 16" in said


async def test_keeping_the_unaccented_text_keeps_it(router: Router) -> None:
    client = await at(router, missing("noi_vao_doan"))
    await client.send("chi doan 11a2 truong thpt van giang")
    await client.click("Giữ như tôi đã ghi")
    d = await dossier(router, client)
    assert d.answers["noi_vao_doan"] == "chi doan 11a2 truong thpt van giang"
    assert "viết không dấu" in client.texts()  # and F19 says so


async def test_a_place_not_found_offers_the_closest_real_names(router: Router) -> None:
    """ "xa long hung, huyen van giag" produced an invented "new name" presented as fact;
    now it is said plainly, the closest real commune is a button, and taking it goes on to
    today's name."""
    client = await birth_place_missing(router)
    await client.send("xa long hung, huyen van giag, hung yen")
    text = client.texts()
    assert "không tìm thấy" in text and "không tự đặt tên mới" in text
    assert "«xã Long Hưng, huyện Văn Giang, tỉnh Hưng Yên»" in text
    await client.click("xã Long Hưng")
    assert "(trước đây là xã Long Hưng, huyện Văn Giang, tỉnh Hưng Yên)" in client.texts()
    await client.send("dung")
    assert (await dossier(router, client)).answers["noi_dang_ky_khai_sinh"] == SUGGESTED


async def test_a_place_not_found_kept_stays_a_flag(router: Router) -> None:
    client = await birth_place_missing(router)
    await client.send("xa long hung, huyen van giag, hung yen")
    await client.send("giu nguyen")
    assert (await dossier(router, client)).answers["noi_dang_ky_khai_sinh"].startswith("xa long")
    await client.send("/tiendo")  # F21, with the closest real names
    assert "không tìm thấy huyện Van Giag, xã Long Hung" in client.texts()


RELATIVE_FACTS = ("noi_sinh", "que_quan", "cu_tru", "o_nuoc_ngoai", "nghe_nghiep", "thanh_phan",
                  "lich_su_chinh_tri", "chinh_tri", "chap_hanh", "la_dang_vien")  # fmt: skip
EVERY_ADDRESS = {  # every address question the gazetteer reads: the dossier that asks it
    "noi_dang_ky_khai_sinh": lambda: missing("noi_dang_ky_khai_sinh", "que_quan"),
    "que_quan": lambda: missing("que_quan"),
    "thuong_tru": lambda: missing("thuong_tru", "tam_tru"),
    "noi_sinh": lambda: missing(keep=5, relatives={4: RELATIVE_FACTS}),
}


@pytest.mark.parametrize("field_id", list(EVERY_ADDRESS))
@pytest.mark.parametrize(
    ("typed", "button"),
    [
        ("phuong bach khoa, quan hai ba trug, ha noi", "phường Bách Khoa"),  # the district
        ("phuong bach khao, quan hai ba trung, ha noi", "phường Bách Khoa"),  # the commune
        ("xa long hung, van giag, hung yen", "xã Long Hưng"),  # the district without "huyện"
    ],
)
async def test_every_address_question_says_a_place_not_found_plainly(
    router: Router, field_id: str, typed: str, button: str
) -> None:
    """One rule for every address question (birthplace, hometown, residence, a relative's):
    a misspelled commune or district is said right after the answer, with the closest real
    names as buttons, and nothing else is presented as the place's name."""
    client = await at(router, EVERY_ADDRESS[field_id]())
    assert (await cursor(router, client)).field_id == field_id
    await client.send(typed)
    text = client.texts()
    assert "không tìm thấy" in text and "không tự đặt tên mới" in text
    assert any(label.startswith(button) for label in client.buttons()), client.buttons()
    assert "xã Long Hưng, tỉnh Hưng Yên»" not in text  # a namesake of another district
    assert (await cursor(router, client)).field_id == field_id  # asked before going on


async def test_a_residence_with_a_misspelled_district_is_offered_real_names(
    router: Router,
) -> None:
    """Item (7), written today as commune + province: "huyen van giag" was only a warning in
    the section check; now the closest real commune is a button and taking it goes on to
    today's name, which is stored once confirmed."""
    client = await at(router, missing("thuong_tru", "tam_tru"))
    await client.send("xa long hung, huyen van giag, hung yen")
    assert "«xã Long Hưng, huyện Văn Giang, tỉnh Hưng Yên»" in client.texts()
    await client.click("xã Long Hưng")
    assert "«xã Nghĩa Trụ, tỉnh Hưng Yên»" in client.texts()
    await client.send("dung")
    assert (await dossier(router, client)).answers["thuong_tru"] == "xã Nghĩa Trụ, tỉnh Hưng Yên"


async def test_an_unknown_commune_of_today_is_not_written_as_real(router: Router) -> None:
    """ "xa long hugn, tinh hung yen" was offered as «xã Long Hugn, tỉnh Hưng Yên» (the typo
    dressed as a real name); today's closest communes come first instead."""
    client = await at(router, missing("thuong_tru", "tam_tru"))
    await client.send("xa long hugn, tinh hung yen")
    assert "Long Hugn, tỉnh" not in client.texts()
    assert client.buttons()[0].startswith("xã Long Hưng, tỉnh Hưng Yên")


async def test_a_residence_not_found_kept_stays_a_flag(router: Router) -> None:
    client = await at(router, missing("thuong_tru", "tam_tru"))
    await client.send("phuong bach khoa, quan hai ba trug, ha noi")
    await client.send("giu nguyen")
    answers = (await dossier(router, client)).answers
    assert answers["thuong_tru"] == "phuong bach khoa, quan hai ba trug, ha noi"
    await client.send("/tiendo")
    assert "không tìm thấy quận Hai Ba Trug" in client.texts()
    await client.send("/nop")  # counted among the warnings to explain, with /tiendo to see
    assert "cảnh báo chưa giải trình" in client.texts()


async def birth_place_missing(router: Router) -> ChatClient:
    client = await at(router, missing("noi_dang_ky_khai_sinh", "que_quan"))
    assert (await cursor(router, client)).field_id == "noi_dang_ky_khai_sinh"
    return client


# ---------------------------------------------------------------------------------------------
# (7) shortcuts


async def test_nhu_tren_copies_the_address_above_once_confirmed(router: Router) -> None:
    client = await birth_place_missing(router)
    await client.send("nhu tren")  # nothing above (5): said, nothing stored
    assert "Chưa có gì ở trên" in client.texts()
    await client.send("xa long hung, huyen van giang, tinh hung yen")
    await client.send("co")
    assert (await cursor(router, client)).field_id == "que_quan"
    await client.send("như trên")
    assert "chép từ mục (5) Nơi đăng ký khai sinh" in client.texts()
    assert f"«{SUGGESTED}»" in client.texts()
    assert "que_quan" not in (await dossier(router, client)).answers  # not before "yes"
    await client.send("ok")
    assert (await dossier(router, client)).answers["que_quan"] == SUGGESTED


async def test_giong_muc_n_copies_that_item_and_can_be_declined(router: Router) -> None:
    client = await at(router, load_sample("a"))
    await client.send("/sua 7")
    await client.send("giống mục (5)")
    assert "chép từ mục (5) Nơi đăng ký khai sinh" in client.texts()
    await client.click("Không, tôi sẽ ghi")
    assert "Nơi thường trú hiện nay?" in client.texts()  # the question again, nothing stored
    d = await dossier(router, client)
    assert d.answers["thuong_tru"] == load_sample("a").answers["thuong_tru"]


async def test_nhu_tren_for_a_relative_copies_the_birthplace(router: Router) -> None:
    """The father's hometown "như trên" is his birthplace; the mother's birthplace "như trên"
    the father's (the relative above)."""
    facts = ("que_quan", "cu_tru", "o_nuoc_ngoai", "nghe_nghiep", "thanh_phan",
             "lich_su_chinh_tri", "chinh_tri", "chap_hanh", "la_dang_vien")  # fmt: skip
    client = await at(router, missing(keep=5, relatives={4: facts}))
    assert (await cursor(router, client)).field_id == "que_quan"
    await client.send("nhu tren")
    assert "chép từ Nơi sinh" in client.texts()
    await client.send("dung")
    father = (await dossier(router, client)).relatives[4]
    assert father["que_quan"] == father["noi_sinh"]


@pytest.mark.parametrize(
    ("field", "typed", "source"),
    [
        ("cu_tru", "ở cùng tôi", "mục (7) Nơi cư trú – Nơi thường trú"),
        ("cu_tru", "hiện đang sống chung với gia đình em ạ", "mục (7) Nơi cư trú – Nơi thường trú"),
        ("cu_tru", "cùng địa chỉ với con", "mục (7) Nơi cư trú – Nơi thường trú"),
        ("que_quan", "cùng quê với cháu", "mục (6) Quê quán"),
    ],
)
async def test_a_relative_at_the_candidates_own_address(
    router: Router, field: str, typed: str, source: str
) -> None:
    """ "ở cùng tôi" was stored as the grandmother's address; the booklet needs it written
    out: the candidate's own, offered like "như trên", stored once confirmed."""
    sample = load_sample("a")
    facts = tuple(sample.relatives[1])  # the grandmother, living
    client = await at(router, missing(keep=5, relatives={1: facts[facts.index(field) :]}))
    assert (await cursor(router, client)).field_id == field
    await client.send(typed)
    assert f"chép từ {source}" in client.texts()
    assert field not in (await dossier(router, client)).relatives[1]  # not before "yes"
    await client.click("Ghi như vậy")
    own = "thuong_tru" if field == "cu_tru" else "que_quan"
    assert (await dossier(router, client)).relatives[1][field] == sample.answers[own]


async def test_a_candidate_without_a_permanent_residence_is_copied_from_the_temporary(
    router: Router,
) -> None:
    """(7)'s «Nơi thường trú» answered «không» is no address to copy ("không" was offered)."""
    sample = missing(keep=5)
    sample.answers["thuong_tru"] = "không"
    sample.answers["tam_tru"] = TEMPORARY = (
        "Phòng 305, nhà B2, phường Hòa An, thành phố Hồ Chí Minh"
    )
    facts = tuple(sample.relatives[1])
    sample.relatives[1] = {k: v for k, v in sample.relatives[1].items() if k in facts[:4]}
    client = await at(router, sample)
    assert (await cursor(router, client)).field_id == "que_quan"
    await client.send(sample.relatives[0]["que_quan"])
    await client.send("Việt Nam")
    assert (await cursor(router, client)).field_id == "cu_tru"
    await client.send("ở cùng tôi")
    assert "chép từ mục (7) Nơi cư trú – Nơi tạm trú" in client.texts()
    await client.click("Ghi như vậy")
    assert (await dossier(router, client)).relatives[1]["cu_tru"] == TEMPORARY


async def test_hom_nay_is_today_for_a_date(router: Router) -> None:
    client = await at(router, missing("ngay_ky", "ky_ten"))
    assert (await cursor(router, client)).field_id == "ngay_ky"
    await client.send("hom nay")
    assert (await dossier(router, client)).answers["ngay_ky"] == "17/03/2026"


@pytest.mark.parametrize("typed", ["nam nay", "năm nay"])
async def test_nam_nay_is_this_year_for_a_relatives_birth_year(router: Router, typed: str) -> None:
    facts = tuple(k for k in load_sample("a").relatives[4] if k not in ("quan_he", "ho_ten"))
    client = await at(router, missing(keep=5, relatives={4: facts}))
    assert (await cursor(router, client)).field_id == "nam_sinh"
    await client.send(typed)
    assert (await dossier(router, client)).relatives[4]["nam_sinh"] == str(TODAY.year)


async def test_a_one_month_period_is_written_once(router: Router) -> None:
    """A one-month class (17): its month at both ends. (18) records only stays of 3 months
    or more: there one month is the start (tests/test_typed_variants.py)."""
    sample = load_sample("a")
    sample.tables["dao_tao"] = []
    client = await at(router, sample)
    await client.send("/sua 17")
    await client.click("Thêm")
    assert (await cursor(router, client)).field_id == "thoi_gian"
    await client.send("08/2022")
    rows = (await dossier(router, client)).tables["dao_tao"]
    assert (rows[0]["tu"], rows[0]["den"]) == ("08/2022", "08/2022")


# ---------------------------------------------------------------------------------------------
# (8) fix buttons, one numbering, no internal numbers, one form of address


def flawed() -> Dossier:
    """Sample A with non-answers stored by an older version (or a JSON file)."""
    d = load_sample("a")
    d.relatives[0]["noi_mat"] = "ko biet"
    d.relatives[4]["chap_hanh"] = "khong"
    return d


async def test_a_fix_button_opens_the_flagged_field(router: Router) -> None:
    """ "Sửa mục (21)" opened "Anh/chị đã kết hôn chưa?", the start of the item, not the
    grandfather's place of death it flagged."""
    client = await at(router, flawed())
    await client.send("/tiendo")
    await client.click("Sửa mục (21)")
    screen = await cursor(router, client)
    assert (screen.item, screen.field_id, screen.row) == (21, "noi_mat", 0)  # type: ignore[attr-defined]
    assert "Mất tại đâu?" in client.texts() and "Đã ghi: ko biet" in client.texts()
    assert "Giữ nguyên" not in client.buttons()  # a non-answer is not offered to be kept
    await client.send("tai nha")
    assert (await dossier(router, client)).relatives[0]["noi_mat"] == "tai nha"


async def test_warnings_keep_one_numbering_across_pages(router: Router) -> None:
    d = load_sample("a")
    for key in ("noi_vao_doan", "nghe_nghiep", "chuyen_mon", "tin_hoc"):
        d.answers[key] = fold(d.answers[key])  # F19 warnings
    for row in d.tables["lich_su"]:
        row["noi_dung"] = fold(row["noi_dung"])
    client = await at(router, d)
    await client.send("/tiendo")
    first = client.texts()
    assert "cảnh báo 1:" in first
    await client.click("Xem thêm")
    later = client.texts()
    numbers = [b for b in client.buttons() if b.startswith("💬")]
    assert numbers and "Giải trình cảnh báo 1" not in numbers[0]  # numbering goes on
    assert "cảnh báo 1:" not in later


async def test_internal_item_numbers_are_never_shown(router: Router) -> None:
    client = await at(router, load_sample("a"))
    await client.send("/sua")
    assert "91" not in client.texts() and "92" not in client.texts()
    assert "«Người giới thiệu vào Đảng»" in client.texts()
    await client.send("/sua nguoi gioi thieu")
    assert "Người giới thiệu vào Đảng" in client.texts()


def test_the_candidates_texts_say_anh_chi() -> None:
    """One form of address throughout the candidate's texts: "anh/chị", never "bạn",
    "em" or "đồng chí" for the candidate."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    files = [root / "chat.toml", root / "parse.toml", *(root / "chat").glob("*.j2")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(bạn|Bạn|đồng chí|Đồng chí)\b", text), path.name
        assert not re.search(r"\b(em|Em) (hãy|đã|có|cần|chưa|vui lòng)\b", text), path.name


async def test_a_bare_yes_picks_no_closest_name(router: Router) -> None:
    """Typing "co" to a list of real names the candidate never typed picks none of them; a
    tap (or its number) does."""
    client = await birth_place_missing(router)
    await client.send("xa long hung, huyen van giag, hung yen")
    await client.send("co")
    assert "bấm tên đúng" in client.texts()
    answers = (await dossier(router, client)).answers
    assert answers["noi_dang_ky_khai_sinh"] == "xa long hung, huyen van giag, hung yen"
    await client.send("1")
    assert "(trước đây là xã Long Hưng, huyện Văn Giang" in client.texts()


def test_a_cause_of_death_without_diacritics_is_an_answer() -> None:
    """ "tai bien mach mau nao" (tai biến mạch máu não) was read as a question ("… nào?"),
    so a candidate without diacritics could never give it."""
    from forms.classify import classify
    from forms.definition import load_form

    cause = next(f for f in load_form().relatives().fields if f.id == "nguyen_nhan_mat")
    assert classify("tai bien mach mau nao", cause).is_answer
    assert not classify("ghi cai nao", cause).is_answer


async def test_nt_copies_the_previous_relatives_fact_and_is_never_stored(router: Router) -> None:
    """ "nt" (như trên) was stored and would have been printed in the booklet."""
    mother = ("nghe_nghiep", "thanh_phan", "lich_su_chinh_tri", "chinh_tri", "chap_hanh",
              "la_dang_vien", "ngay_vao_dang", "chi_bo_dang", "noi_luu_ho_so")  # fmt: skip
    client = await at(router, missing(keep=6, relatives={5: mother}))
    assert (await cursor(router, client)).field_id == "nghe_nghiep"
    await client.send("nt")
    assert "chép từ Cha đẻ – Nghề nghiệp" in client.texts() and "«nông dân»" in client.texts()
    await client.send("ok")
    assert (await dossier(router, client)).relatives[5]["nghe_nghiep"] == "nông dân"

    other = await at(router, missing("nghe_nghiep"), "1002")
    before = await revision(router, other)
    await other.send("như trên")  # nothing above item (10) to copy: said, not stored
    assert "Lý lịch không ghi «như trên»" in other.texts()
    assert await unchanged(router, other, before)


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("ho_ten", "ong noi em mat som ko biet ten"),  # "ko biet" inside a name
        ("ho_ten", "mat som roi ko biet"),
        ("nghe_nghiep", "de em hoi me da"),  # put off to ask someone
        ("nghe_nghiep", "hoi me da"),
        ("chinh_tri", "khong co gi"),  # "nothing" to a statement: a bare no
    ],
)
async def test_more_non_answers_found_by_driving_the_chat(
    router: Router, where: str, text: str
) -> None:
    facts = ("ho_ten", "nam_sinh", "da_mat", "nam_mat", "nguyen_nhan_mat", "noi_mat", "que_quan",
             "nghe_nghiep", "chinh_tri", "la_dang_vien")  # fmt: skip
    keep = facts[facts.index(where) :]
    client = await at(router, missing(keep=1, relatives={0: keep}))
    assert (await cursor(router, client)).field_id == where
    before = await revision(router, client)
    await client.send(text)
    assert await unchanged(router, client, before)


async def test_a_loop_menu_reads_how_people_answer(router: Router) -> None:
    """ "Còn anh, chị, em nào nữa không?" answered "ko con ai" or "con 1 nguoi nua"."""
    client = await consented(router)
    await seed(router, client, load_sample("a"), gates=GATES,
               closed=[k for k in CLOSED_A if k != "r:anh_chi_em"])  # fmt: skip
    assert (await cursor(router, client)).kind == "loop"
    await client.send("con 1 nguoi nua")
    assert (await cursor(router, client)).field_id == "xung_ho"  # type: ignore[attr-defined]
    await client.click("Quay lại")
    assert (await cursor(router, client)).kind == "loop"
    await client.send("ko con ai")
    assert (await cursor(router, client)).kind != "loop"


# ---------------------------------------------------------------------------------------------
# the end screen: nothing left to answer


@pytest.mark.parametrize("typed", ["xong rồi", "ok", "được rồi", "rồi sao nữa?", "xong rui"])
async def test_done_words_at_the_end_screen_say_what_comes_next(router: Router, typed: str) -> None:
    """«xong rồi», «ok», «được rồi» at the end screen got «hãy chọn một nút»: there they mean
    "done, what next?", and are answered with the next step and the screen's buttons; nothing
    is submitted from them."""
    client = await at(router, missing("ky_ten"))
    await client.send("TRẦN MINH KHOA")
    assert "đã khai hết các mục" in client.last_text()
    text = client.texts(await client.send(typed))
    assert "chọn một nút" not in text and "Việc tiếp theo" in text, text
    assert "«📄 Xem bản nháp»" in text and "«📨 Nộp lý lịch»" in text
    assert client.buttons() == ["📄 Xem bản nháp", "📨 Nộp lý lịch"]
    assert (await dossier(router, client)).answers["ky_ten"] == "TRẦN MINH KHOA"
    async with router.db.read() as r:
        assert await r.fetchval("SELECT status FROM dossiers") == "draft"


async def test_thanks_at_the_end_screen_is_not_told_of_a_question(router: Router) -> None:
    """«cảm ơn» at the end screen was answered «Ta tiếp tục câu đang hỏi:» — no question is."""
    client = await at(router, missing("ky_ten"))
    await client.send("TRẦN MINH KHOA")
    text = client.texts(await client.send("cảm ơn em"))
    assert "Không có gì ạ" in text and "câu đang hỏi" not in text, text


async def test_done_words_mid_form_still_end_a_menu(router: Router) -> None:
    """Mid-form «xong rồi» at a rows menu keeps its meaning: no more rows, the form goes on."""
    client = await consented(router, "1001")
    await seed(router, client, load_sample("a"), gates=GATES,
               closed=[c for c in CLOSED_A if c != "t:khen_thuong"])  # fmt: skip
    asked = client.last_text()
    text = client.texts(await client.send("xong rồi"))
    assert "Thêm khen thưởng khác" in asked and "Xong phần «Khen thưởng, kỷ luật»" in text, text
    assert "Việc tiếp theo" not in text
