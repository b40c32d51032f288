"""Follow-ups of the audits of the candidate's conversation and the checks behind it, driven
through the Router as a person would."""

from __future__ import annotations

import pytest

from admission.clock import FixedClock
from bot.demo import Player, comparable
from forms.checks import check_field, run_checks
from forms.dossier import Dossier
from handlers.candidate import CandidateFlow
from handlers.candidate.tables import RowsMenu
from handlers.router import Router
from storage.db import Database
from tests.samples import load_sample
from tests.test_conversation import TODAY, consented, cursor, dossier, seed


def raised_by_an_uncle() -> Dossier:
    """Sample A raised from childhood by his uncle, declared instead of the parents."""
    d = load_sample("a")
    d.answers["nuoi_duong"] = "có"
    father = next(r for r in d.relatives if r["quan_he"] == "cha")
    uncle = {**father, "quan_he": "nguoi_nuoi_duong", "ho_ten": "TRẦN VĂN BÌNH"}
    d.relatives = [uncle if r is father else r for r in d.relatives if r["quan_he"] != "me"]
    return d


CLOSED_A = ["t:lich_su", "t:cong_tac", "t:dao_tao", "t:nuoc_ngoai", "t:khen_thuong",
            "t:gioi_thieu", "r:anh_chi_em"]  # fmt: skip


@pytest.fixture
def router(db: Database) -> Router:
    return Router(db, FixedClock(TODAY), [CandidateFlow()])


# ---------------------------------------------------------------------------------------------
# Flags open the item where they are fixed


async def test_history_running_past_the_start_of_15_opens_item_14(router: Router) -> None:
    """(14)'s last period ran to 12/2019 while (15) starts 09/2019: the flag sat on item 15
    and its "Sửa mục (15)" button opened the table that was right, not the period to cut."""
    client = await consented(router)
    sample = load_sample("a")
    sample.tables["lich_su"][-1]["den"] = "12/2019"
    await seed(router, client, sample, gates={"13": "không", "20": "không"}, closed=CLOSED_A)
    (flag,) = [f for f in run_checks(sample, today=TODAY.date()) if f.key == "X4:handoff"]
    assert (flag.item, flag.table, flag.row) == (14, "lich_su", 3)
    await client.send("/tiendo")
    assert flag.message in client.texts()
    assert "Sửa mục (14)" in client.buttons()
    assert "Sửa mục (15)" not in client.buttons()
    await client.click("Sửa mục (14)")
    assert (await cursor(router, client)).item == 14


# ---------------------------------------------------------------------------------------------
# /tiendo and the end of parts report what the conversation has finished


async def test_tiendo_does_not_list_relatives_not_asked_yet(router: Router) -> None:
    """With the first grandparent entered, /tiendo listed "chưa khai Bà nội / Ông ngoại /
    Cha đẻ…"; with only "đã kết hôn chưa?" answered, the two gate questions that come next
    as "chưa trả lời": the conversation was about to ask all of them."""
    closed = [k for k in CLOSED_A if not k.startswith("r:")]
    gates = {"13": "không", "20": "không"}
    first = await consented(router, "2001")
    sample = load_sample("a")
    sample.relatives = sample.relatives[:1]
    await seed(router, first, sample, gates=gates, closed=closed)
    assert (await cursor(router, first)).relation == "ba_noi"  # next: the paternal grandmother
    await first.send("/tiendo")
    assert "chưa khai" not in first.texts()
    # they are not forgotten: /nop names them
    await first.send("/nop")
    assert "chưa khai Bà nội" in first.texts()

    married = await consented(router, "2002")
    sample = load_sample("a")
    sample.relatives = []
    for gate in ("co_anh_chi_em", "co_con"):
        del sample.answers[gate]
    await seed(router, married, sample, gates=gates, closed=closed)
    assert (await cursor(router, married)).field_id == "co_anh_chi_em"
    await married.send("/tiendo")
    assert "chưa trả lời" not in married.texts()
    assert "chưa khai" not in married.texts()


async def test_a_table_being_filled_waits_for_xong(router: Router) -> None:
    """With the first class of (17) entered, /tiendo said every other diploma of (11) had no
    row in (17) yet; those flags belong to the moment (17) is finished ("Xong")."""
    client = await consented(router)
    sample = load_sample("a")
    sample.tables["dao_tao"] = sample.tables["dao_tao"][:1]  # the degree; IELTS etc. to come
    await seed(router, client, sample, gates={"13": "không", "20": "không"},
               closed=[k for k in CLOSED_A if k != "t:dao_tao"])  # fmt: skip
    assert (await cursor(router, client)) == RowsMenu(17)
    await client.send("/tiendo")
    assert "chưa có dòng tương ứng ở mục (17)" not in client.texts()
    # going back through (11) ends its part: the check still waits for (17)
    await client.send("/sua 11")
    for _ in range(9):
        await client.click("Giữ nguyên")
    assert "chưa có dòng tương ứng ở mục (17)" not in client.texts()
    await client.send("/sua 17")
    await client.click("Xong")  # (17) finished with one row: now it is reported, on (17)
    assert "«Tiếng Anh IELTS 6.5» chưa có dòng tương ứng ở mục (17)" in client.texts()
    assert "Sửa mục (17)" in client.buttons()
    await client.send("/tiendo")
    assert "«Tiếng Anh IELTS 6.5» chưa có dòng tương ứng ở mục (17)" in client.texts()


# ---------------------------------------------------------------------------------------------
# The form's wording


async def test_the_birthplace_question_gives_one_instruction(router: Router) -> None:
    """(5) said "xã/phường, tỉnh/thành phố như trong giấy khai sinh" in its question, "ghi đủ
    xã, huyện, tỉnh như trong giấy khai sinh" as its rule and showed "tên mới (trước đây là
    tên cũ)" as its example: three instructions. HD 38 and the 2025 addresses: the names of
    the birth certificate, the new name first and the old one in brackets."""
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.click("Bỏ qua")
    await client.send("12/07/2001")
    await client.send("nam")
    question = client.last_text()
    assert "(5) Nơi đăng ký khai sinh" in question
    rule = next(line for line in question.splitlines() if line.startswith("📌"))
    assert "tên mới" in rule and "ngoặc" in rule and "trước đây là" in rule
    example = question.split("Ví dụ: ", 1)[1].splitlines()[0]
    assert "(trước đây là " in example
    written = Dossier(answers={"noi_dang_ky_khai_sinh": example})
    assert check_field(written, "noi_dang_ky_khai_sinh", today=TODAY.date()) == []


async def test_temporary_residence_is_asked_only_without_a_permanent_one(router: Router) -> None:
    """Tạm trú was asked of everyone ("bấm «Bỏ qua»" if there is a thường trú); HD 38 wants
    it only when there is no thường trú."""
    first = ("ho_ten", "ten_khac", "ngay_sinh", "gioi_tinh", "noi_dang_ky_khai_sinh", "que_quan")
    answers = load_sample("a").answers
    known = Dossier(answers={k: answers[k] for k in first})

    settled = await consented(router, "3001")
    await seed(router, settled, known)
    await settled.send(answers["thuong_tru"])
    assert (await cursor(router, settled)).field_id == "dan_toc"
    assert "tạm trú" not in settled.texts().lower()

    renting = await consented(router, "3002")
    await seed(router, renting, known)
    await renting.send("ko co")
    assert (await cursor(router, renting)).field_id == "tam_tru"
    await renting.send("Phòng 305, nhà B2, tổ dân phố 7, phường Hòa An, thành phố Hồ Chí Minh")
    assert (await cursor(router, renting)).field_id == "dan_toc"
    d = await dossier(router, renting)
    assert d.answers["thuong_tru"] == "không" and d.answers["tam_tru"].startswith("Phòng 305")
    assert not [f for f in run_checks(d, today=TODAY.date()) if f.item == 7]
    # and later given a thường trú: the tạm trú no longer applies and is removed
    await renting.send("/sua 7")
    await renting.send(answers["thuong_tru"])
    assert "Nơi tạm trú: Phòng 305" in renting.texts()  # issue 12: shown and asked first
    await renting.click("Xóa")
    assert "tam_tru" not in (await dossier(router, renting)).answers


# ---------------------------------------------------------------------------------------------
# The person who raised the candidate


async def test_the_person_who_raised_the_candidate_is_declared_instead_of_the_parents(
    router: Router,
) -> None:
    """HD 38 (21): "cha mẹ đẻ (hoặc người nuôi dưỡng từ nhỏ)"; X11 required both parents and
    the chat could only ask "Cha đẻ" and "Mẹ đẻ"."""
    sample = raised_by_an_uncle()
    player = Player(router, sample, platform="test", user_id="raised")
    await player.play()
    asked = "\n".join(r.text for r in player.replies)
    assert "Người nuôi dưỡng" in asked
    assert "Cha đẻ" not in asked and "Mẹ đẻ" not in asked
    d = await player.dossier()
    assert comparable(d) == comparable(sample)
    assert [f for f in run_checks(d, today=TODAY.date()) if f.is_error] == []
