"""Issue 12, the conversation side: no path stores a non-answer. Driven through the Router as
a 22-year-old worker typing on a phone (often without diacritics) would."""

from __future__ import annotations

import pytest

from admission.clock import FixedClock
from forms.dossier import Dossier
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
    for _ in range(6):  # đã mất, nơi sinh, quê quán, nơi ở, nước ngoài, nghề nghiệp
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
    assert "Nơi ở hiện nay?" in client.texts()
