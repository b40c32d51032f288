"""The review and organisation flows driven in-process (fast; the Telegram e2e test plays the
same story through the fake Bot API)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pytest

from handlers.org import bootstrap
from storage.core import Change
from storage.db import Database
from storage.history import History
from storage.org import Org
from storage.reviews import Reviews
from tests.group_privacy import document_text, leaked
from tests.review_harness import World, dossier_for, group, open_db, private, user
from tests.samples import load_sample

SEC = user("101", "Bí thư Lê Văn Sáu")
R1 = user("201", "Trần Thị Duyệt")
R2 = user("202", "Phạm Văn Hai")
R3 = user("301", "Đỗ Đảng Ủy")
CAND = user("401", "Nguyễn Văn An")
OUT = user("999", "Người Ngoài")
CB_GROUP = group("-1001", "Chi bộ Kỹ thuật")
DU_GROUP = group("-1002", "Đảng ủy Công ty")


@pytest.fixture
async def db(tmp_path: Path):
    database = await open_db(tmp_path)
    try:
        yield database
    finally:
        await database.close()


def _code(text: str) -> str:
    match = re.search(r"start[= ]([A-Z0-9]{10})", text) or re.search(r"ketnoi ([A-Z0-9]{10})", text)
    assert match, text
    return match.group(1)


async def _organisation(world: World) -> dict[str, int]:
    """Bootstrap by code, sub-units, invites for reviewers, two bound groups."""
    async with world.db.transaction() as tx:
        boot = await bootstrap(tx, "Đảng bộ Khối Doanh nghiệp", bot_username="knd_test_bot")
    assert boot.code and boot.link.endswith(boot.code)
    await world.command(SEC, private(SEC), "start", boot.code)
    assert "bí thư của Đảng bộ Khối Doanh nghiệp" in world.last(private(SEC)).text
    # the same bootstrap code cannot be used twice
    await world.command(OUT, private(OUT), "start", boot.code)
    assert "đã được dùng" in world.last(private(OUT)).text

    await world.command(SEC, private(SEC), "donvi", "Đảng bộ Công ty A")
    du_id = int(re.search(r"#(\d+)", world.last(private(SEC)).text).group(1))  # type: ignore[union-attr]
    assert "cấp duyệt 2" in world.last(private(SEC)).text
    await world.command(SEC, private(SEC), "donvi", f"#{du_id} Chi bộ Phòng Kỹ thuật")
    cb_id = int(re.search(r"#(\d+)", world.last(private(SEC)).text).group(1))  # type: ignore[union-attr]
    assert "cấp duyệt 1" in world.last(private(SEC)).text

    for who, unit_id in ((R1, cb_id), (R2, cb_id), (R3, du_id)):
        await world.command(SEC, private(SEC), "moi", f"duyet #{unit_id}")
        await world.command(who, private(who), "start", _code(world.last(private(SEC)).text))
        assert "người duyệt" in world.last(private(who)).text

    for chat, unit_id in ((CB_GROUP, cb_id), (DU_GROUP, du_id)):
        await world.command(SEC, private(SEC), "ketnoi", f"#{unit_id}")
        code = _code(world.last(private(SEC)).text)
        await world.command(OUT, chat, "ketnoi", code)  # not the secretary
        assert "Chỉ bí thư" in world.last(chat).text
        await world.command(SEC, chat, "ketnoi", code)
        assert "đã được kết nối" in world.last(chat).text
    async with world.db.read() as r:
        cand = await r.people.find("telegram", CAND.id)
    ids = {"du": du_id, "cb": cb_id}
    if cand is None:
        async with world.db.transaction() as tx:
            person = await tx.people.get_or_create("telegram", CAND.id, CAND.name, consent=True)
            await tx.repo(Org).grant(cb_id, person.id, "candidate", None)
            ids["cand"] = person.id
    return ids


async def test_whole_review_in_process(db: Database) -> None:
    world = World(db)
    ids = await _organisation(world)
    dossier = load_sample("a")
    dossier_id = await dossier_for(db, ids["cand"], ids["cb"], dossier)
    await world.submit(ids["cand"], chat=private(CAND))
    assert "đã được gửi tới Chi bộ Phòng Kỹ thuật" in world.messages(private(CAND))[0].text

    card = world.last(CB_GROUP)
    assert f"Hồ sơ #{dossier_id}" in card.text and dossier.value("ho_ten") in card.text
    assert "Lỗi: 0" in card.text
    assert dossier.value("ngay_sinh") not in card.text  # no content in the group

    # the outsider and the đảng ủy reviewer cannot act on the chi bộ's card
    for intruder in (OUT, R3):
        before = world.texts(CB_GROUP)
        await world.tap(intruder, CB_GROUP, card, "Duyệt")
        assert "Chỉ người duyệt của Chi bộ Phòng Kỹ thuật" in world.toasts[-1]
        assert world.texts(CB_GROUP) == before
    await world.tap(OUT, CB_GROUP, card, "Xem")
    assert world.messages(private(OUT)) == [] or "Hồ sơ #" not in world.texts(private(OUT))

    # Xem without a private chat: told in the group, no details
    r2_private_before = world.messages(private(R2))
    async with db.transaction() as tx:
        await tx.execute("DELETE FROM private_chats WHERE user_id = ?", (R2.id,))
    await world.tap(R2, CB_GROUP, card, "Xem")
    assert "mở trò chuyện riêng" in world.last(CB_GROUP).text
    assert dossier.value("ngay_sinh") not in world.last(CB_GROUP).text
    assert world.messages(private(R2)) == r2_private_before

    # Xem with a private chat: summary + draft docx, privately
    await world.tap(R1, CB_GROUP, card, "Xem")
    view, doc_message = world.messages(private(R1))[-2:]
    assert dossier.value("ngay_sinh") in view.text
    assert doc_message.document is not None and doc_message.document.filename.endswith("nhap.docx")

    # comment via item buttons, via reply, via /nhanxet
    await world.tap(R1, CB_GROUP, card, "Nhận xét")
    picker = world.last(CB_GROUP)
    await world.tap(R1, CB_GROUP, picker, "15")
    prompt = world.last(CB_GROUP)
    assert "mục (15)" in prompt.text
    await world.reply_to(R1, CB_GROUP, prompt, "Ghi rõ tháng bắt đầu công tác.")
    assert "Đã ghi nhận xét" in world.last(CB_GROUP).text
    await world.command(R2, CB_GROUP, "nhanxet", "3 Kiểm tra lại ngày sinh theo giấy khai sinh.")
    await world.command(OUT, CB_GROUP, "nhanxet", "3 spam")
    assert "Chỉ người duyệt" in world.last(CB_GROUP).text
    assert "Nhận xét mới" in card.text  # the card was edited with the drafts

    # return: all comments to the candidate at once, each with a jump button
    await world.tap(R2, CB_GROUP, card, "Trả lại")
    assert "đã trả lại" in card.text and card.buttons == []
    cand_msgs = world.messages(private(CAND))
    assert "2 nhận xét mới" in cand_msgs[-3].text
    jumps = [m.buttons[0][0] for m in cand_msgs[-2:]]
    assert {b.label for b in jumps} == {"✏️ Sửa mục (3)", "✏️ Sửa mục (15)"}

    # the candidate fixes item 15 (only) and resubmits: the card counts what changed and
    # which comment is addressed; the items, the values and the comments are told privately
    rows = list(dossier.rows("cong_tac"))
    fixed = {**rows[0], "viec": rows[0].get("viec", "") + " (từ tháng 07)"}
    await world.edit_dossier(ids["cand"], [Change("tables.cong_tac.0", fixed)])
    await world.submit(ids["cand"], chat=private(CAND))
    card2 = world.last(CB_GROUP)
    assert card2 is not card
    assert "Thay đổi từ lần xem trước" in card2.text and "1 mục" in card2.text
    assert "(15) Những công việc" not in card2.text and "(từ tháng 07)" not in card2.text
    assert "người khai đã sửa mục của 1 nhận xét" in card2.text
    await world.tap(R1, CB_GROUP, card2, "Xem")
    view = world.messages(private(R1))[-2].text
    assert "→" in view and "(15) Những công việc" in view  # old → new, privately
    assert re.search(r"#\d+ \(15\).*người khai đã sửa mục này", view)
    assert re.search(r"#\d+ \(3\).*chưa thấy sửa mục này", view)

    # mark comment (15) resolved, keep (3) open
    c15 = re.search(r"#(\d+) \(15\)", view).group(1)  # type: ignore[union-attr]
    assert f"#{c15} — người khai đã sửa mục này" in card2.text
    await world.tap(R1, CB_GROUP, card2, f"Đã sửa #{c15}")
    assert f"nhận xét #{c15} (mục (15)) là đã sửa" in world.last(CB_GROUP).text
    assert f"• #{c15} —" not in card2.text  # resolved: no longer listed as open
    c3 = re.search(r"#(\d+) \(3\)", view).group(1)  # type: ignore[union-attr]
    await world.tap(R2, CB_GROUP, card2, f"Chưa đạt #{c3}")
    assert "chưa đạt" in world.last(CB_GROUP).text

    # approve at chi bộ level → the đảng ủy's group gets the card
    await world.tap(R1, CB_GROUP, card2, "Duyệt")
    assert "chuyển lên Đảng bộ Công ty A" in card2.text
    du_card = world.last(DU_GROUP)
    assert f"Hồ sơ #{dossier_id}" in du_card.text
    await world.tap(R1, DU_GROUP, du_card, "Duyệt")  # a chi bộ reviewer in the đảng ủy group
    assert "Chỉ người duyệt của Đảng bộ Công ty A" in world.toasts[-1]
    await world.tap(R3, DU_GROUP, du_card, "Duyệt")
    assert "Đã duyệt lần cuối" in du_card.text

    final = world.messages(private(CAND))[-1]
    assert final.document is not None and not final.document.filename.endswith("nhap.docx")
    assert "không tẩy xóa" in final.text
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(final.document.data)).paragraphs)
    assert "NHÁP" not in text.upper()
    # no document in any group; the deciding unit's secretary asks for it, privately
    assert all(m.document is None for m in world.messages(DU_GROUP) + world.messages(CB_GROUP))
    note = world.last(private(SEC))
    assert f"Hồ sơ #{dossier_id}" in note.text and "Bản chính thức" in note.text
    await world.tap(R3, DU_GROUP, du_card, "Bản chính thức")  # a reviewer, not a secretary
    assert "bí thư của đơn vị đã duyệt" in world.toasts[-1]
    assert world.messages(private(R3))[-1].document is None
    await world.tap(SEC, private(SEC), note, "Bản chính thức")
    copy = world.last(private(SEC)).document
    assert copy is not None and copy.filename == final.document.filename

    async with db.read() as r:
        record = await r.dossiers.get(dossier_id)
        assert record is not None and record.locked and record.status == "approved"

    # reopening: explicit and recorded; the outsider cannot
    await world.command(OUT, private(OUT), "molai", f"#{dossier_id}")
    await world.tap(R3, DU_GROUP, du_card, "Mở lại")
    async with db.read() as r:
        record = await r.dossiers.get(dossier_id)
        assert record is not None and not record.locked and record.status == "returned"
        actions = [h.action for h in await r.repo(History).of_dossier(dossier_id)]
    for expected in ("submit", "view", "comment", "return", "approve", "deliver", "reopen"):
        assert expected in actions

    # the secretary reads the history; the outsider cannot
    await world.command(SEC, private(SEC), "lichsu", f"#{dossier_id}")
    history = world.last(private(SEC)).text
    assert "trả lại" in history and "mở lại hồ sơ" in history and "Trần Thị Duyệt" in history
    assert dossier.value("ngay_sinh") not in history
    await world.command(OUT, private(OUT), "lichsu", f"#{dossier_id}")
    assert world.last(private(OUT)).text == "Bạn không có quyền thực hiện việc này."

    # the groups saw numbers, the name, statuses, counts and who acted: no field value of the
    # dossier in any message, any earlier version of an edited card, or any document
    shown = [
        text
        for chat in (CB_GROUP, DU_GROUP)
        for m in world.messages(chat)
        for text in (m.text, *m.history, document_text(m.document.data) if m.document else "")
    ]
    assert leaked(shown, dossier) == []
    assert any(dossier.value("ho_ten") in text for text in shown)


async def test_outdated_card_is_refused(db: Database) -> None:
    world = World(db)
    ids = await _organisation(world)
    await dossier_for(db, ids["cand"], ids["cb"], load_sample("a"))
    await world.submit(ids["cand"], chat=private(CAND))
    card = world.last(CB_GROUP)
    await world.edit_dossier(ids["cand"], [Change("answers.ten_khac", "Bé An")])
    await world.tap(R1, CB_GROUP, card, "Duyệt")
    assert "đã được sửa sau khi thẻ này được gửi" in world.toasts[-1]


async def test_secretary_manages_roles(db: Database) -> None:
    world = World(db)
    ids = await _organisation(world)
    await world.command(SEC, private(SEC), "vaitro", f"#{ids['cb']}")
    listing = world.last(private(SEC))
    assert "Trần Thị Duyệt" in listing.text and "Phạm Văn Hai" in listing.text
    role_id = int(re.search(r"#(\d+) Trần Thị Duyệt", listing.text).group(1))  # type: ignore[union-attr]
    await world.command(OUT, private(OUT), "thuhoi", str(role_id))
    assert "Không có vai trò" in world.last(private(OUT)).text
    await world.command(SEC, private(SEC), "thuhoi", str(role_id))
    assert "Đã thu hồi" in world.last(private(SEC)).text
    async with db.read() as r:
        cb = await r.repo(Org).unit(ids["cb"])
        assert cb is not None
        names = [x.display_name for x in await r.repo(Org).roles_in([cb.id], "reviewer")]
        org_events = [h.action for h in await r.repo(History).of_units([cb.id])]
    assert names == ["Phạm Văn Hai"]
    assert "role_revoke" in org_events and "role_grant" in org_events

    # configurable levels: a third level at the top unit
    await world.command(SEC, private(SEC), "capduyet", "#1 3 Ban Thường vụ Đảng ủy Khối")
    assert "cấp duyệt 3" in world.last(private(SEC)).text
    async with db.read() as r:
        chain = await r.repo(Org).review_chain(ids["cb"])
    assert [u.review_level for u in chain] == [1, 2, 3]


async def test_candidate_invite_and_expiry(db: Database) -> None:
    world = World(db)
    ids = await _organisation(world)
    await world.command(SEC, private(SEC), "moi", f"ungvien #{ids['cb']} 2 ngày")
    code = _code(world.last(private(SEC)).text)
    newcomer = user("555", "Hoàng Văn Mới")
    async with db.transaction() as tx:
        from handlers.events import Event

        event = Event(newcomer, private(newcomer), "command", text=code, command="start")
        result = await world.org.redeem_start(tx, event, code)
        assert result is not None and result.role == "candidate" and result.unit_id == ids["cb"]
        assert await tx.people.find("telegram", newcomer.id) is None  # nothing stored yet
    await world.command(newcomer, private(newcomer), "start", code)
    assert "đã được dùng" in world.last(private(newcomer)).text

    # an expired invite
    async with db.transaction() as tx:
        await tx.execute("UPDATE invites SET expires_at = '2000-01-01T00:00:00+00:00'")
    await world.command(SEC, private(SEC), "moi", f"duyet #{ids['cb']}")
    code = _code(world.last(private(SEC)).text)
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE invites SET expires_at = '2000-01-01T00:00:00+00:00' WHERE token = ?", (code,)
        )
    await world.command(newcomer, private(newcomer), "start", code)
    assert "hết hạn" in world.last(private(newcomer)).text


async def test_unbound_unit_gets_private_cards(db: Database) -> None:
    """A unit without a group: its reviewers who opened a private chat get the card there."""
    world = World(db)
    async with db.transaction() as tx:
        org = tx.repo(Org)
        cb = await org.create_unit("Chi bộ Một", "chi_bo")
        r = await tx.people.get_or_create("telegram", R1.id, R1.name)
        await org.grant(cb.id, r.id, "reviewer", None)
        await org.note_private_chat("telegram", R1.id, R1.id)
        cand = await tx.people.get_or_create("telegram", CAND.id, CAND.name, consent=True)
    await dossier_for(db, cand.id, cb.id, load_sample("b"))
    await world.submit(cand.id, chat=private(CAND))
    card = world.last(private(R1))
    assert "Hồ sơ #" in card.text
    await world.tap(R1, private(R1), card, "Duyệt")
    assert "Đã duyệt lần cuối" in card.text
    assert world.messages(private(CAND))[-1].document is not None


async def test_replies_to_the_card_listing_and_staff_start(db: Database) -> None:
    world = World(db)
    ids = await _organisation(world)
    dossier_id = await dossier_for(db, ids["cand"], ids["cb"], load_sample("a"))
    await world.submit(ids["cand"], chat=private(CAND))
    card = world.last(CB_GROUP)
    count = len(world.messages(CB_GROUP))
    assert await world.reply_to(OUT, CB_GROUP, card, "ok") == []  # chatter: silence
    await world.reply_to(R1, CB_GROUP, card, "xem giúp")
    assert "Cách ghi nhận xét" in world.last(CB_GROUP).text
    await world.reply_to(R1, CB_GROUP, card, "mục 9: ghi rõ «không»")
    assert "cho mục (9)" in world.last(CB_GROUP).text
    assert len(world.messages(CB_GROUP)) == count + 2
    # deleting one's own draft
    saved = world.last(CB_GROUP)
    await world.tap(R2, CB_GROUP, saved, "Xóa nhận xét")
    assert "Đã xóa" not in saved.text  # not the author
    await world.tap(R1, CB_GROUP, saved, "Xóa nhận xét")
    assert saved.text.startswith("Đã xóa nhận xét")
    async with db.read() as r:
        assert await r.repo(Reviews).comments(dossier_id) == []

    await world.command(R1, CB_GROUP, "hoso")
    assert f"#{dossier_id} TRẦN MINH KHOA" in world.last(CB_GROUP).text
    await world.command(R3, private(R3), "hoso")
    assert "Không có hồ sơ nào đang chờ Đảng bộ Công ty A" in world.last(private(R3)).text
    await world.command(OUT, CB_GROUP, "hoso")
    assert "TRẦN MINH KHOA" not in world.last(CB_GROUP).text

    replies = await world.command(R1, private(R1), "start")
    assert "người duyệt của Chi bộ Phòng Kỹ thuật" in replies[0].text
    # a candidate's plain /start is left to the candidate flow
    async with db.transaction() as tx:
        from handlers.events import Event

        event = Event(CAND, private(CAND), "command", command="start")
        assert not await world.org.claims_private(tx, event)
        assert await world.router.owner(tx, event) is None  # the candidate flow is not here


async def test_card_counts_flags_and_shows_explanations_without_content(db: Database) -> None:
    from forms.checks import Flag

    world = World(db)
    flags = [
        Flag("X5", "warning", 15, "Khoảng trống 03/2019–06/2019", "X5:a", explanation="Nghỉ ốm"),
        Flag("X7", "warning", 14, "Thiếu nơi học", "X7:b"),
        Flag("F9", "error", 9, "Tôn giáo để trống", "F9"),
    ]
    world.review.checks = lambda dossier, today=None: flags
    ids = await _organisation(world)
    dossier = load_sample("a")
    del dossier.answers["ngay_sinh"]
    await dossier_for(db, ids["cand"], ids["cb"], dossier)
    await world.submit(ids["cand"], chat=private(CAND))
    card = world.last(CB_GROUP).text
    assert "Lỗi: 1 · Cảnh báo: 2 (1 có giải trình)" in card
    assert "Nghỉ ốm" not in card  # the candidate's explanation: private too (issue 11)
    assert "Khoảng trống" not in card and "Tôn giáo để trống" not in card  # details: private
    await world.tap(R1, CB_GROUP, world.last(CB_GROUP), "Xem")
    view = world.messages(private(R1))[-2]
    assert "Khoảng trống" in view.text and "Giải trình: Nghỉ ốm" in view.text and view.protect
    from forms.definition import load_form
    from handlers.review import completeness

    done, total = completeness(dossier, load_form())
    assert done == total - 1  # item (3) is missing
    assert f"Đã khai {done}/{total} mục bắt buộc" in card
