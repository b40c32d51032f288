"""A long answer sent in several messages, as people do on a phone (handlers/candidate/
continuation.py): the second part used to land on the next question and be refused there
("Hãy bấm «Tôi xin cam đoan»…"); now it is offered, joined to the first, at the question it
continues, and stored only once taken."""

from __future__ import annotations

import pytest

from admission.clock import FixedClock
from handlers.candidate import CandidateFlow
from handlers.router import Router
from storage.db import Database
from tests.test_conversation import TODAY, cursor, dossier
from tests.test_honest_conversation import at, missing

END = ("tu_nhan_xet", "cam_doan", "noi_ky", "ngay_ky", "ky_ten")
FIRST = "Ưu điểm: lập trường tư tưởng vững vàng, hoàn thành tốt nhiệm vụ được giao."
SECOND = "Khuyết điểm: đôi lúc còn nóng vội, nói trước đông người còn hạn chế."
THIRD = "Bản thân đang tích cực khắc phục."


@pytest.fixture
def router(db: Database) -> Router:
    return Router(db, FixedClock(TODAY), [CandidateFlow()])


async def test_the_second_part_is_joined_once_taken(router: Router) -> None:
    client = await at(router, missing(*END))
    assert (await cursor(router, client)).field_id == "tu_nhan_xet"
    await client.send(FIRST)
    assert (await cursor(router, client)).field_id == "cam_doan"
    await client.send(SECOND)
    assert "có phải là phần tiếp theo của «Tự nhận xét»" in client.texts()
    assert (await dossier(router, client)).answers["tu_nhan_xet"] == FIRST  # not before "yes"
    await client.send(THIRD)  # a third bubble: joined too
    await client.click("Ghi nối như vậy")
    d = await dossier(router, client)
    assert d.answers["tu_nhan_xet"] == f"{FIRST} {SECOND} {THIRD}"
    assert "cam_doan" not in d.answers
    assert (await cursor(router, client)).field_id == "cam_doan"  # back where it was


async def test_declined_the_first_part_stays_and_the_chat_goes_on(router: Router) -> None:
    client = await at(router, missing(*END))
    await client.send(FIRST)
    await client.send(SECOND)
    await client.click("Không, bỏ tin vừa gửi")
    assert (await dossier(router, client)).answers["tu_nhan_xet"] == FIRST
    assert (await cursor(router, client)).field_id == "cam_doan"
    await client.send("có")  # a short reply is the pledge's, never a part of (22)
    assert (await dossier(router, client)).answers["cam_doan"]
    assert (await cursor(router, client)).field_id == "noi_ky"


async def test_the_rest_of_a_text_at_a_screen_of_buttons(router: Router) -> None:
    """(16) in two bubbles, the last open question: the second reached the end screen, which
    asked to tap a button (a table's «Thêm / Không có» menu is the same kind of screen)."""
    client = await at(router, missing("dac_diem_lich_su"))
    assert (await cursor(router, client)).field_id == "dac_diem_lich_su"
    first, rest = "Không có đặc điểm gì về lịch sử.", "Bản thân không bị bắt, tù, đày."
    await client.send(first)
    await client.send(rest)
    assert "có phải là phần tiếp theo của «Đặc điểm lịch sử»" in client.texts()
    await client.click("Ghi nối như vậy")
    assert (await dossier(router, client)).answers["dac_diem_lich_su"] == f"{first} {rest}"
    assert "Anh/chị đã khai hết các mục" in client.texts().rsplit("Đã ghi", 1)[-1]
