"""Reviewers' experience, played as people in the chats (exploratory findings turned into
behaviour tests): what a chi ủy member sees and can do in a busy group, what the candidate and
outsiders must not see, and the ways out of dead ends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from handlers.org import bootstrap
from storage.db import Database
from storage.history import History
from storage.org import Org
from storage.reviews import Reviews
from tests.review_harness import World, dossier_for, group, open_db, person, private
from tests.samples import load_sample
from tests.test_review_flow import (
    CAND,
    CB_GROUP,
    DU_GROUP,
    OUT,
    R1,
    R2,
    R3,
    SEC,
    _code,
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


async def _submitted_to_a_lone_chi_bo(world: World) -> tuple[int, int, int]:
    """A chi bộ with no group and no reviewer yet, and a dossier submitted to it:
    (chi bộ, candidate, dossier)."""
    async with world.db.transaction() as tx:
        boot = await bootstrap(tx, "Đảng bộ Khối", bot_username="knd_test_bot")
    await world.command(SEC, private(SEC), "start", boot.code)
    await world.command(SEC, private(SEC), "donvi", "Chi bộ Một")
    cb = int(re.search(r"#(\d+)", world.last(private(SEC)).text).group(1))  # type: ignore[union-attr]
    cand = await person(world.db, CAND)
    async with world.db.transaction() as tx:
        await tx.repo(Org).grant(cb, cand, "candidate", None)
    dossier_id = await dossier_for(world.db, cand, cb, load_sample("a"))
    await world.submit(cand, chat=private(CAND))
    return cb, cand, dossier_id


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
        views = [h for h in await r.repo(History).of_dossier(dossier_id) if h.action == "view"]
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
    open_lines = [line for line in lines if re.fullmatch(r"  • #\d+ — chưa thấy sửa mục này", line)]
    assert len(open_lines) == 2, lines
    assert not any("Kiểm tra ngày sinh" in line or "Ghi rõ" in line for line in lines)


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


async def test_a_dossier_waiting_without_a_card_can_be_brought_up_with_hoso(
    db: Database,
) -> None:
    """Submitted before the chi bộ had a group or any reachable reviewer: once the group is
    bound, /hoso gives a button that posts the card there, and the review can go on."""
    world = World(db)
    cb, _, dossier_id = await _submitted_to_a_lone_chi_bo(world)
    assert world.messages(CB_GROUP) == []  # nowhere to post the card

    await world.command(SEC, private(SEC), "moi", f"duyet #{cb}")
    await world.command(R1, private(R1), "start", _code(world.last(private(SEC)).text))
    await world.command(SEC, private(SEC), "ketnoi", f"#{cb}")
    await world.command(SEC, CB_GROUP, "ketnoi", _code(world.last(private(SEC)).text))

    await world.command(OUT, CB_GROUP, "hoso")
    assert world.last(CB_GROUP).buttons == []
    await world.command(R1, CB_GROUP, "hoso")
    listing = world.last(CB_GROUP)
    await world.tap(OUT, CB_GROUP, listing, f"#{dossier_id}")
    assert world.last(CB_GROUP) is listing  # the outsider's tap posts nothing
    await world.tap(R1, CB_GROUP, listing, f"#{dossier_id}")
    card = _card(world, CB_GROUP, dossier_id)
    await world.tap(R1, CB_GROUP, card, "Duyệt")
    assert "Đã duyệt lần cuối" in card.text
    assert world.messages(private(CAND))[-1].document is not None


async def test_hoso_card_in_private_for_a_reviewer(db: Database) -> None:
    """In a busy group the card scrolls away: /hoso in private brings it up there."""
    world = World(db)
    _, dossier_id = await _submitted(world)
    group_card = _card(world, CB_GROUP, dossier_id)
    await world.command(R2, private(R2), "hoso")
    await world.tap(R2, private(R2), world.last(private(R2)), f"#{dossier_id}")
    card = _card(world, private(R2), dossier_id)
    await world.command(R1, CB_GROUP, "nhanxet", "9 Ghi rõ «không».")
    assert "Nhận xét mới, chưa gửi (sẽ gửi khi bấm «Trả lại»): 1" in card.text  # kept up to date
    assert "Ghi rõ" not in card.text  # like the group's card: counts, never the comment
    await world.tap(R2, private(R2), card, "Trả lại")
    assert card.buttons == [] and "đã trả lại" in card.text
    assert group_card.buttons == [] and "đã trả lại" in group_card.text


async def test_explanations_and_the_binding_notice_keep_their_lines(db: Database) -> None:
    from forms.checks import Flag

    world = World(db)
    world.review.checks = lambda dossier, today=None: [
        Flag("X5", "warning", 15, "Khoảng trống", "X5:a", explanation="Nghỉ ốm"),
    ]
    _, dossier_id = await _submitted(world)
    card = _card(world, CB_GROUP, dossier_id)
    lines = card.text.splitlines()
    assert "Lỗi: 0 · Cảnh báo: 1 (1 có giải trình)" in lines
    assert "Nghỉ ốm" not in card.text  # the explanation: in the private view only
    await world.tap(R1, CB_GROUP, card, "Xem")
    view_lines = world.messages(private(R1))[-2].text.splitlines()
    assert "  ⚠️ (15) Khoảng trống" in view_lines and "     Giải trình: Nghỉ ốm" in view_lines
    bound = next(m.text for m in world.messages(CB_GROUP) if m.text.startswith("✅ Nhóm này"))
    assert "\n\nBot sẽ đăng vào nhóm:" in bound


async def test_secretaries_hear_of_a_dossier_nobody_can_receive(db: Database) -> None:
    """A chi bộ with no group and no reviewer in reach: the secretaries are told privately
    (no content), and the final card in a private chat does not speak of a group."""
    world = World(db)
    cb, _, dossier_id = await _submitted_to_a_lone_chi_bo(world)
    told = world.last(private(SEC)).text
    assert f"Hồ sơ #{dossier_id} đang chờ Chi bộ Một duyệt" in told
    assert f"/ketnoi #{cb}" in told and "/hoso" in told
    assert "TRẦN MINH KHOA" not in told

    await world.command(SEC, private(SEC), "moi", f"duyet #{cb}")
    await world.command(R1, private(R1), "start", _code(world.last(private(SEC)).text))
    await world.command(R1, private(R1), "hoso")
    await world.tap(R1, private(R1), world.last(private(R1)), f"#{dossier_id}")
    card = _card(world, private(R1), dossier_id)
    await world.tap(R1, private(R1), card, "Duyệt")
    assert "gửi cho người khai." in card.text and "nhóm" not in card.text


async def test_a_revoked_reviewer_private_card_stops_following_the_review(db: Database) -> None:
    """R2 brought the card into their private chat, then lost the reviewer role: new
    comments and the decision must not keep arriving there by edits."""
    world = World(db)
    _, dossier_id = await _submitted(world)
    await world.command(R2, private(R2), "hoso")
    await world.tap(R2, private(R2), world.last(private(R2)), f"#{dossier_id}")
    card = _card(world, private(R2), dossier_id)

    await world.command(SEC, private(SEC), "vaitro", "")
    role_id = re.search(r"#(\d+) Phạm Văn Hai", world.last(private(SEC)).text).group(1)  # type: ignore[union-attr]
    await world.command(SEC, private(SEC), "thuhoi", role_id)
    await world.command(R1, CB_GROUP, "nhanxet", "9 Ghi rõ tôn giáo.")
    assert "Ghi rõ tôn giáo" not in card.text
    assert "TRẦN MINH KHOA" not in card.text and card.buttons == []
    assert "không còn là người duyệt" in card.text
    await world.tap(R1, CB_GROUP, _card(world, CB_GROUP, dossier_id), "Trả lại")
    assert "Trần Thị Duyệt" not in card.text  # closed without news of the decision


async def test_a_colleague_cannot_delete_my_comment_and_is_told_why(db: Database) -> None:
    world = World(db)
    _, dossier_id = await _submitted(world)
    await world.command(R1, CB_GROUP, "nhanxet", "9 Ghi rõ tôn giáo.")
    saved = world.last(CB_GROUP)
    await world.tap(R2, CB_GROUP, saved, "Xóa nhận xét")
    assert "Chỉ người viết nhận xét" in world.toasts[-1]
    assert "Đã ghi nhận xét" in saved.text
    async with db.read() as r:
        assert len(await r.repo(Reviews).comments(dossier_id, ("draft",))) == 1


async def test_an_empty_command_comment_is_explained_for_the_command(db: Database) -> None:
    world = World(db)
    _, dossier_id = await _submitted(world)
    await world.command(R1, CB_GROUP, "nhanxet", f"#{dossier_id} 15")
    assert "/nhanxet 15 nội dung" in world.last(CB_GROUP).text


async def test_a_year_or_a_date_is_not_read_as_an_item_number(db: Database) -> None:
    """'2019 …' is not item (20) with the text '19 …', nor '10/2019 …' item (10)."""
    world = World(db)
    _, dossier_id = await _submitted(world)
    card = _card(world, CB_GROUP, dossier_id)
    for text in ("2019 là năm vào Đoàn?", "10/2019 ghi sai tháng"):
        await world.reply_to(R1, CB_GROUP, card, text)
        assert "Cách ghi nhận xét" in world.last(CB_GROUP).text
        await world.command(R1, CB_GROUP, "nhanxet", text)
        assert "Cách ghi nhận xét" in world.last(CB_GROUP).text
    async with db.read() as r:
        assert await r.repo(Reviews).comments(dossier_id) == []
    await world.reply_to(R1, CB_GROUP, card, "(12) ghi rõ ngày vào Đoàn")
    await world.command(R1, CB_GROUP, "nhanxet", "mục 15: 10/2019 ghi sai tháng")
    async with db.read() as r:
        comments = await r.repo(Reviews).comments(dossier_id)
    assert [(c.item_number, c.text) for c in comments] == [
        (12, "ghi rõ ngày vào Đoàn"),
        (15, "10/2019 ghi sai tháng"),
    ]


async def test_changing_the_level_of_a_unit_with_waiting_dossiers_is_refused(
    db: Database,
) -> None:
    """A dossier waits at the chi bộ's level: taking the level away (or moving it) would
    leave it at a level no unit has, invisible to /hoso and refused to every reviewer."""
    world = World(db)
    ids, dossier_id = await _submitted(world)
    for args in (f"#{ids['cb']} không", f"#{ids['cb']} 3 Chi bộ"):
        await world.command(SEC, private(SEC), "capduyet", args)
        refused = world.last(private(SEC)).text
        assert "đang chờ" in refused and f"(#{dossier_id})" in refused
    await world.command(SEC, private(SEC), "capduyet", f"#{ids['cb']} 1 Chi ủy")  # same level
    assert "cấp duyệt 1 (Chi ủy)" in world.last(private(SEC)).text
    card = _card(world, CB_GROUP, dossier_id)
    await world.tap(R1, CB_GROUP, card, "Duyệt")
    assert "chuyển lên Đảng bộ Công ty A" in card.text


async def test_a_group_given_to_another_unit_stops_following_the_old_units_cards(
    db: Database,
) -> None:
    """The secretary binds the chi bộ's group to another chi bộ: the cards already there
    must not go on showing the first chi bộ's comments and decisions to that group."""
    world = World(db)
    ids, dossier_id = await _submitted(world)
    card = _card(world, CB_GROUP, dossier_id)
    await world.command(SEC, private(SEC), "donvi", f"#{ids['du']} Chi bộ Kinh doanh")
    other = int(re.search(r"#(\d+)", world.last(private(SEC)).text).group(1))  # type: ignore[union-attr]
    await world.command(SEC, private(SEC), "ketnoi", f"#{other}")
    await world.command(SEC, CB_GROUP, "ketnoi", _code(world.last(private(SEC)).text))
    assert "không còn nhận hồ sơ của Chi bộ Phòng Kỹ thuật" in world.last(CB_GROUP).text

    await world.command(R1, private(R1), "nhanxet", f"#{dossier_id} 9 Ghi rõ tôn giáo.")
    assert "Ghi rõ tôn giáo" not in card.text and card.buttons == []
    assert "nhóm này không còn" in card.text
    assert "đồng chí" not in card.text.lower()  # a group, not a person


async def test_secretary_commands_typed_in_a_group_point_to_the_private_chat(
    db: Database,
) -> None:
    """A secretary typing /moi or /thuhoi in the unit's group is told where to type it (not
    'no right'), and nothing about roles is posted in the group."""
    world = World(db)
    ids, dossier_id = await _submitted(world)
    await world.command(SEC, private(SEC), "vaitro", f"#{ids['cb']}")
    role_id = re.search(r"#(\d+) Phạm Văn Hai", world.last(private(SEC)).text).group(1)  # type: ignore[union-attr]
    for name, args in (
        ("moi", "duyet"),
        ("thuhoi", role_id),
        ("capduyet", f"#{ids['cb']} 1 Chi ủy"),
        ("lichsu", f"#{dossier_id}"),
    ):
        await world.command(SEC, CB_GROUP, name, args)
        said = world.last(CB_GROUP).text
        assert "tin nhắn riêng" in said and "Phạm Văn Hai" not in said, (name, said)
    async with db.read() as r:
        names = [x.display_name for x in await r.repo(Org).roles_in([ids["cb"]], "reviewer")]
    assert "Phạm Văn Hai" in names  # /thuhoi in the group did nothing


async def test_a_resubmission_without_changes_says_so_on_the_card(db: Database) -> None:
    """Returned, then sent again untouched: the new card must not look like a first look."""
    world = World(db)
    ids, dossier_id = await _submitted(world)
    card = _card(world, CB_GROUP, dossier_id)
    await world.command(R1, CB_GROUP, "nhanxet", "9 Ghi rõ tôn giáo.")
    await world.tap(R1, CB_GROUP, card, "Trả lại")
    await world.submit(ids["cand"], chat=private(CAND))
    again = _card(world, CB_GROUP, dossier_id)
    assert again is not card
    assert "Thay đổi từ lần xem trước" in again.text and "không có thay đổi nào" in again.text


async def test_a_card_with_many_comments_stays_one_telegram_message(db: Database) -> None:
    """Twenty long comments: the card must still fit one message (4096 UTF-16 units), or
    every edit would post the overflow as new messages in the group, buttons and all."""
    world = World(db)
    _, dossier_id = await _submitted(world)
    card = _card(world, CB_GROUP, dossier_id)
    remark = "Đề nghị ghi rõ " + "nơi công tác, chức vụ và thời gian cụ thể " * 5
    for item in range(1, 21):
        await world.command(R1, CB_GROUP, "nhanxet", f"#{dossier_id} {item} {remark}")
    assert len(card.text.encode("utf-16-le")) // 2 <= 4096
    hidden = re.search(r"… và (\d+) nhận xét khác", card.text)
    listed = re.findall(r"^  • #\d+ — ", card.text, re.MULTILINE)
    assert len(listed) + (int(hidden.group(1)) if hidden else 0) == 20
    assert "Đề nghị" not in card.text  # counted, never quoted
    assert "«Xem»" in card.text  # the footer survives


async def test_binding_a_group_to_a_unit_that_reviews_nothing_says_so(db: Database) -> None:
    """The top unit has no review level: its group will receive no card, and the binding
    notice must not promise them."""
    world = World(db)
    await _organisation(world)
    top = group("-1009", "Đảng ủy Khối")
    await world.command(SEC, private(SEC), "ketnoi", "#1")
    await world.command(SEC, top, "ketnoi", _code(world.last(private(SEC)).text))
    said = world.last(top).text
    assert "đã được kết nối" in said and "/capduyet" in said
    assert "thẻ hồ sơ chờ duyệt" not in said


async def test_the_last_secretary_cannot_revoke_themself(db: Database) -> None:
    """A mistyped number in /thuhoi must not leave the whole organisation with nobody to
    manage it (only the command line could start a new one)."""
    world = World(db)
    await _organisation(world)
    await world.command(SEC, private(SEC), "vaitro", "#1")
    own = re.search(r"#(\d+) Bí thư Lê Văn Sáu — bí thư", world.last(private(SEC)).text)
    assert own, world.last(private(SEC)).text
    await world.command(SEC, private(SEC), "thuhoi", own.group(1))
    assert "Đã thu hồi" not in world.last(private(SEC)).text
    await world.command(SEC, private(SEC), "donvi")
    assert "Các đơn vị đồng chí quản lý" in world.last(private(SEC)).text


async def test_a_reviewer_cannot_decide_or_comment_on_their_own_dossier(db: Database) -> None:
    """R1 reviews for the chi bộ and applies to join from it too (a dossier of their own):
    their colleagues decide; R1's taps and comments on it are refused and change nothing."""
    world = World(db)
    ids = await _organisation(world)
    r1 = await person(db, R1)
    async with db.transaction() as tx:
        await tx.repo(Org).grant(ids["cb"], r1, "candidate", None)
    dossier_id = await dossier_for(db, r1, ids["cb"], load_sample("a"))
    await world.submit(r1, chat=private(R1))
    card = _card(world, CB_GROUP, dossier_id)
    await world.tap(R1, CB_GROUP, card, "Duyệt")
    assert "của chính mình" in world.toasts[-1]
    await world.command(R1, CB_GROUP, "nhanxet", f"#{dossier_id} 15 Tự sửa.")
    assert "của chính mình" in world.last(CB_GROUP).text
    async with db.read() as r:
        record = await r.dossiers.get(dossier_id)
        comments = await r.repo(Reviews).comments(dossier_id)
    assert record is not None and record.status == "submitted" and record.review_level == 1
    assert comments == []
    # a colleague still can
    await world.tap(R2, CB_GROUP, card, "Duyệt")
    async with db.read() as r:
        record = await r.dossiers.get(dossier_id)
    assert record is not None and record.review_level == 2


async def test_a_deleted_card_is_posted_again_once_and_still_takes_replies(db: Database) -> None:
    """A group admin deletes the card in a busy group. The next change posts it anew; the
    one after edits that new card (not yet another one), and replies to it are comments."""
    world = World(db)
    _, dossier_id = await _submitted(world)
    world.delete(CB_GROUP, _card(world, CB_GROUP, dossier_id))
    await world.command(R1, CB_GROUP, "nhanxet", "15 Ghi rõ tháng bắt đầu công tác.")
    await world.command(R2, CB_GROUP, "nhanxet", "16 Thiếu số quyết định.")
    cards = [m for m in world.messages(CB_GROUP) if m.text.startswith(f"📋 Hồ sơ #{dossier_id} ")]
    assert len(cards) == 1  # posted again once, then edited
    assert "Nhận xét mới, chưa gửi (sẽ gửi khi bấm «Trả lại»): 2" in cards[0].text
    await world.reply_to(R1, CB_GROUP, cards[0], "17 Ghi đủ tên trường.")
    async with db.read() as r:
        drafts = await r.repo(Reviews).comments(dossier_id, ("draft",))
    assert sorted(c.item_number for c in drafts) == [15, 16, 17]
