"""Reviewers' experience, played as people in the chats (exploratory findings turned into
behaviour tests): what a chi ủy member sees and can do in a busy group, what the candidate and
outsiders must not see, and the ways out of dead ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import Database
from storage.reviews import Reviews
from tests.review_harness import World, dossier_for, open_db, private
from tests.samples import load_sample
from tests.test_review_flow import (
    CAND,
    CB_GROUP,
    DU_GROUP,
    OUT,
    R1,
    R2,
    R3,
    _organisation,
)


@pytest.fixture
async def db(tmp_path: Path):
    database = await open_db(tmp_path)
    try:
        yield database
    finally:
        await database.close()


async def _submitted(world: World) -> tuple[dict[str, int], int]:
    ids = await _organisation(world)
    dossier_id = await dossier_for(world.db, ids["cand"], ids["cb"], load_sample("a"))
    await world.submit(ids["cand"], chat=private(CAND))
    return ids, dossier_id


def _card(world: World, chat, dossier_id: int):  # type: ignore[no-untyped-def]
    return [m for m in world.messages(chat) if m.text.startswith(f"📋 Hồ sơ #{dossier_id} ")][-1]


async def test_approving_with_unsent_comments_is_refused(db: Database) -> None:
    """R1 writes a comment, R2 taps «Duyệt» without noticing: the comment must not ride up to
    the đảng ủy (and be sent to the candidate later in the đảng ủy's name)."""
    world = World(db)
    _, dossier_id = await _submitted(world)
    card = _card(world, CB_GROUP, dossier_id)
    await world.command(R1, CB_GROUP, "nhanxet", "15 Ghi rõ tháng bắt đầu công tác.")
    await world.tap(R2, CB_GROUP, card, "Duyệt")
    assert "1 nhận xét chưa gửi" in world.toasts[-1]
    assert "Trả lại" in world.toasts[-1]
    assert card.buttons  # still open at the chi bộ
    assert world.messages(DU_GROUP)[-1].text.startswith("✅ Nhóm này")  # nothing forwarded
    async with db.read() as r:
        record = await r.dossiers.get(dossier_id)
        assert record is not None and record.review_level == 1

    # the author withdraws it; now the approval goes through
    saved = next(m for m in world.messages(CB_GROUP) if "Đã ghi nhận xét" in m.text)
    await world.tap(R1, CB_GROUP, saved, "Xóa nhận xét")
    await world.tap(R2, CB_GROUP, card, "Duyệt")
    assert "chuyển lên Đảng bộ Công ty A" in card.text
    assert "Nhận xét mới" not in _card(world, DU_GROUP, dossier_id).text


async def test_candidate_cannot_open_the_reviewers_view_from_the_card(db: Database) -> None:
    """The candidate sits in the chi bộ's group: «Xem» on their own card must not hand them
    the reviewers' unsent comments (nor a «Nhận xét» button)."""
    world = World(db)
    _, dossier_id = await _submitted(world)
    card = _card(world, CB_GROUP, dossier_id)
    await world.command(R1, CB_GROUP, "nhanxet", "3 Nội bộ: hỏi lại ngày sinh trước khi gửi.")
    await world.command(CAND, private(CAND), "hoso")  # the candidate has a private chat
    before = len(world.messages(private(CAND)))
    await world.tap(CAND, CB_GROUP, card, "Xem")
    shown = world.messages(private(CAND))[before:]
    assert all("Nội bộ" not in m.text for m in shown)
    assert all(m.document is None for m in shown)
    assert world.toasts[-1] == "Bạn không có quyền thực hiện việc này."
    async with db.read() as r:
        views = [h for h in await r.repo(Reviews).history(dossier_id) if h.action == "view"]
    assert views == []


async def test_open_comments_on_the_card_are_one_per_line(db: Database) -> None:
    world = World(db)
    ids, dossier_id = await _submitted(world)
    card = _card(world, CB_GROUP, dossier_id)
    await world.command(R1, CB_GROUP, "nhanxet", "3 Kiểm tra ngày sinh.")
    await world.command(R1, CB_GROUP, "nhanxet", "15 Ghi rõ tháng.")
    await world.tap(R1, CB_GROUP, card, "Trả lại")
    await world.submit(ids["cand"], chat=private(CAND))
    lines = _card(world, CB_GROUP, dossier_id).text.splitlines()
    open_lines = [line for line in lines if "«Kiểm tra ngày sinh.»" in line or "«Ghi rõ" in line]
    assert len(open_lines) == 2, lines


async def test_candidate_does_not_read_the_reviewers_history(db: Database) -> None:
    """/lichsu is for the unit's secretaries and reviewers: it names who looked and who wrote
    comments that were never sent."""
    world = World(db)
    _, dossier_id = await _submitted(world)
    await world.command(R1, CB_GROUP, "nhanxet", "3 Kiểm tra ngày sinh.")
    await world.command(CAND, private(CAND), "lichsu", f"#{dossier_id}")
    assert world.last(private(CAND)).text == "Bạn không có quyền thực hiện việc này."
    await world.command(R1, private(R1), "lichsu", f"#{dossier_id}")
    assert "nhận xét #" in world.last(private(R1)).text


async def test_dossier_numbers_do_not_reveal_which_exist(db: Database) -> None:
    world = World(db)
    _, dossier_id = await _submitted(world)
    for who in (OUT, CAND):
        await world.command(who, private(who), "nhanxet", f"#{dossier_id} 15 xin chào")
        existing = world.last(private(who)).text
        await world.command(who, private(who), "nhanxet", "#9999 15 xin chào")
        assert world.last(private(who)).text == existing
    await world.command(R1, private(R1), "nhanxet", "#9999 15 xin chào")
    assert "Không tìm thấy" in world.last(private(R1)).text


async def test_reopening_by_command_says_it_once(db: Database) -> None:
    world = World(db)
    _, dossier_id = await _submitted(world)
    await world.tap(R1, CB_GROUP, _card(world, CB_GROUP, dossier_id), "Duyệt")
    await world.tap(R3, DU_GROUP, _card(world, DU_GROUP, dossier_id), "Duyệt")
    before = len(world.messages(CB_GROUP))
    await world.command(R1, CB_GROUP, "molai", f"#{dossier_id}")
    said = [m.text for m in world.messages(CB_GROUP)[before:]]
    assert len(said) == 1 and "mở lại" in said[0], said
