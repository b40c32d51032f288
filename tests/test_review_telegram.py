"""End to end through python-telegram-bot's real client and the fake Bot API: a whole review.

A candidate, two chi bộ reviewers, a đảng ủy reviewer and an outsider sit in the chi bộ's
group; the đảng ủy has its own group. They play: bootstrap → units → invites → group binding →
submission → comment → return → fix → diff shown → approval (two reviewers tapping at the same
moment: one decision) → second level → final .docx delivered and the dossier locked →
reopening. The outsider's taps and commands are refused and reveal nothing; invite codes used
twice or after expiry are refused.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from admission.clock import FixedClock
from bot.app import open_router
from bot.pacing import Pacing
from bot.settings import Settings
from bot.telegram_service import TelegramService
from handlers.org import bootstrap
from handlers.router import Router
from tests.fake_bot_api import Chat, FakeBotAPI
from tests.group_privacy import document_text, leaked
from tests.review_harness import fill_from_sample
from tests.samples import load_sample
from tests.tg_client import TelegramUser

NOW = "2026-03-02T02:00:00+00:00"


class Scene:
    """The fake Telegram, the running bot and the people of the story."""

    def __init__(self, api: FakeBotAPI, router: Router, bot: TelegramService) -> None:
        self.api = api
        self.router = router
        self.bot = bot
        self.secretary = self.person("Lê Văn Sáu")
        self.r1 = self.person("Trần Thị Duyệt")
        self.r2 = self.person("Phạm Văn Hai")
        self.r3 = self.person("Đỗ Đảng Ủy")
        self.candidate = self.person("Trần Minh Khoa")
        self.outsider = self.person("Người Ngoài")
        self.cb_chat = api.new_group("Chi bộ Phòng Kỹ thuật")
        self.du_chat = api.new_group("Đảng ủy Công ty A")

    def person(self, name: str) -> TelegramUser:
        return TelegramUser(self.api, first_name=name, quiet=0.0, timeout=10.0)

    def in_group(self, who: TelegramUser, chat: Chat) -> TelegramUser:
        """The same person typing in a group chat."""
        self.api.set_member_status(chat, who.user, "member")
        return TelegramUser(self.api, who.user, chat, quiet=0.0, timeout=10.0)

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.router.db.path}?mode=ro", uri=True)


@asynccontextmanager
async def running_scene(tmp_path: Path, pacing: Pacing | None = None) -> AsyncIterator[Scene]:
    """The story's world: the fake Telegram and the production bot on a fresh database
    (unpaced unless ``pacing`` is given)."""
    async with FakeBotAPI() as api:
        settings = Settings(
            _env_file=None,
            bot_token=api.token,
            api_base_url=api.base_url,
            api_file_url=api.base_file_url,
            db_path=tmp_path / "knd.sqlite3",
            polling_timeout=10,
        )
        from datetime import datetime

        router, close = await open_router(settings, clock=FixedClock(datetime.fromisoformat(NOW)))
        bot = TelegramService(settings, router, pacing=pacing or Pacing.unlimited())
        api.idle_probe = bot.idle
        await bot.start()
        try:
            yield Scene(api, router, bot)
        finally:
            await bot.stop()
            await close()


@pytest.fixture
async def scene(tmp_path: Path) -> AsyncIterator[Scene]:
    async with running_scene(tmp_path) as s:
        yield s


def code_in(text: str) -> str:
    match = re.search(r"(?:start=|/start |/ketnoi )([A-Z0-9]{10})", text)
    assert match, text
    return match.group(1)


def button_on(message: Any, label: str) -> dict[str, Any]:
    for row in message.inline_keyboard:
        for button in row:
            if label in button["text"]:
                return button
    raise AssertionError(f"no button {label!r} on {message.content!r}")


async def tap_together(scene: Scene, people: list[TelegramUser], message: Any, label: str) -> None:
    """Several people tap the same button before the bot answers any of them."""
    api = scene.api
    data = button_on(message, label)["callback_data"]
    updates = [api.user_clicks(p.user, p.chat, message.message_id, data) for p in people]
    await api.wait_for(
        lambda: all(api.callback_queries[u["callback_query"]["id"]].answered for u in updates),
        10.0,
        lambda: "callback queries never answered",
    )
    assert api.idle_probe is not None
    await api.idle_probe()


async def test_a_whole_review_in_group_chats(scene: Scene) -> None:
    api = scene.api
    sec, r1, r2, r3, cand, out = (
        scene.secretary, scene.r1, scene.r2, scene.r3, scene.candidate, scene.outsider,
    )  # fmt: skip

    # -- bootstrap: the CLI creates the top unit and prints a one-time code ---------------------
    async with scene.router.db.transaction() as tx:
        boot = await bootstrap(tx, "Đảng bộ Khối Doanh nghiệp", bot_username="knd_test_bot")
    assert boot.code is not None
    await sec.start(boot.code)
    assert "bí thư của Đảng bộ Khối Doanh nghiệp" in sec.last_text()
    await out.start(boot.code)  # used twice: refused
    assert "đã được dùng" in out.last_text()

    # -- units and reviewers --------------------------------------------------------------------
    await sec.command("donvi", "Đảng bộ Công ty A")
    du_id = re.search(r"#(\d+)", sec.last_text()).group(1)  # type: ignore[union-attr]
    await sec.command("donvi", f"#{du_id}", "Chi bộ Phòng Kỹ thuật")
    cb_id = re.search(r"#(\d+)", sec.last_text()).group(1)  # type: ignore[union-attr]
    for who, unit in ((r1, cb_id), (r2, cb_id), (r3, du_id)):
        await sec.command("moi", "duyet", f"#{unit}")
        link = sec.last_text()
        assert "https://t.me/knd_test_bot?start=" in link  # the adapter told the flows its name
        await who.start(code_in(link))
        assert "người duyệt" in who.last_text()

    # an expired invite
    await sec.command("moi", "duyet", f"#{cb_id}")
    stale = code_in(sec.last_text())
    async with scene.router.db.transaction() as tx:
        await tx.execute(
            "UPDATE invites SET expires_at = '2026-03-01T00:00:00+00:00' WHERE token = ?", (stale,)
        )
    await out.start(stale)
    assert "hết hạn" in out.last_text()

    # -- the groups -------------------------------------------------------------------------------
    members = {who: scene.in_group(who, scene.cb_chat) for who in (sec, r1, r2, r3, cand, out)}
    du_members = {who: scene.in_group(who, scene.du_chat) for who in (sec, r1, r3)}
    for chat, unit, people in ((scene.cb_chat, cb_id, members), (scene.du_chat, du_id, du_members)):
        api.bot_added_to_group(sec.user, chat)
        await people[sec].wait_for_message(lambda m: "/ketnoi" in m.content)
        await sec.command("ketnoi", f"#{unit}")
        code = code_in(sec.last_text())
        await people[sec].command("ketnoi", code)
        assert "đã được kết nối" in people[sec].last_text()
        assert "Chỉ người được giao vai trò người duyệt" in people[sec].last_text()

    # -- the candidate: invite, consent, the dossier (filled from sample A), /nop ----------------
    await sec.command("moi", "ungvien", f"#{cb_id}")
    await cand.start(code_in(sec.last_text()))
    await cand.click("Tôi đồng ý")
    sample = load_sample("a")
    record = await fill_from_sample(scene.router.db, "telegram", str(cand.user.id), sample)
    assert record.unit_id is not None  # the invite's chi bộ
    dossier_id = record.id
    await cand.command("nop")
    assert "đã được gửi tới Chi bộ Phòng Kỹ thuật" in cand.last_text()

    group = members[r1]
    card = group.last_message()
    assert f"Hồ sơ #{dossier_id} — TRẦN MINH KHOA" in card.content
    assert "Lỗi: 0" in card.content
    assert sample.value("ngay_sinh") not in card.content  # nothing sensitive in the group

    # -- the outsider: taps and commands refused, nothing revealed -------------------------------
    before = [m.content for m in api.transcript(scene.cb_chat)]
    out_private_before = len(out.bot_messages())
    for label in ("Duyệt", "Trả lại", "Xem", "Nhận xét"):
        await members[out].click(label, message=card)
        assert members[out].last_callback.answer_text in (
            "Chỉ người duyệt của Chi bộ Phòng Kỹ thuật mới thao tác được trên thẻ này.",
            "Bạn không có quyền thực hiện việc này.",
        )
    assert [m.content for m in api.transcript(scene.cb_chat)] == before
    # an outsider's command posts nothing in the group: the refusal comes privately (the
    # outsider has started the bot)
    group_bot_messages = len(api.bot_messages(scene.cb_chat))
    await members[out].command("nhanxet", "15", "bình luận lạ", expect_reply=False)
    assert len(api.bot_messages(scene.cb_chat)) == group_bot_messages
    assert "Chỉ người duyệt" in out.last_text()
    await out.command("lichsu", f"#{dossier_id}")
    await out.command("hoso")
    texts = out.texts()[out_private_before:]
    assert all("TRẦN MINH KHOA" not in x and sample.value("ngay_sinh") not in x for x in texts)
    assert not out.documents()
    # the đảng ủy reviewer sits in the chi bộ group but does not act for it
    await members[r3].click("Duyệt", message=card)
    assert "Chỉ người duyệt của Chi bộ" in members[r3].last_callback.answer_text

    # -- Xem: the draft .docx and a summary, privately --------------------------------------------
    seen = len(r1.bot_messages())
    await members[r1].click("Xem", message=card)
    assert members[r1].last_callback.answer_text == "Đã gửi hồ sơ vào tin nhắn riêng."
    assert r1.documents()[-1].filename.endswith("nhap.docx")
    assert sample.value("ngay_sinh") in "\n".join(r1.texts()[seen:])
    assert all(sample.value("ngay_sinh") not in m.content for m in api.transcript(scene.cb_chat))

    # -- comments: item buttons + reply, and /nhanxet ---------------------------------------------
    await members[r2].click("Nhận xét", message=card)
    await members[r2].click("3")  # the item picker
    prompt = members[r2].last_message()
    assert "mục (3)" in prompt.content
    await members[r2].send("Ngày sinh phải khớp giấy khai sinh (15/08?).", reply_to=prompt)
    assert "Đã ghi nhận xét" in members[r2].last_text()
    await members[r1].command("nhanxet", "15", "Ghi rõ chức vụ từng giai đoạn.")
    assert "Đã ghi nhận xét" in members[r1].last_text()
    assert "Nhận xét mới" in api.message(scene.cb_chat, card.message_id).content

    # -- return: every comment to the candidate at once, privately, with jump buttons -------------
    await members[r2].click("Trả lại", message=card)
    returned = api.message(scene.cb_chat, card.message_id).content
    # a closed card still says which dossier it was, for a busy group
    assert returned.startswith(f"📋 Hồ sơ #{dossier_id} — ") and "đã trả lại" in returned
    assert "2 nhận xét mới" in cand.texts()[-3]
    jump = cand.bot_messages()[-2]  # the comment on item (3)
    assert "Mục (3)" in jump.content
    await cand.click("Sửa mục (3)", message=jump)
    assert "Sinh ngày" in cand.last_text() or "(3)" in cand.last_text()
    await cand.send("12/07/2001" if sample.value("ngay_sinh") != "12/07/2001" else "13/07/2001")
    await cand.command("nop")
    if "Nộp luôn" in " ".join(cand.buttons()):
        await cand.click("Nộp luôn")

    # -- the new card: how much changed, which comment is addressed; the rest privately ---------
    card2 = group.last_message()
    assert card2.message_id != card.message_id
    assert "Thay đổi từ lần xem trước" in card2.content and "1 mục" in card2.content
    assert "(3) Sinh ngày" not in card2.content
    assert "người khai đã sửa mục của 1 nhận xét" in card2.content
    seen = len(r1.bot_messages())
    await members[r1].click("Xem", message=card2)
    view = "\n".join(r1.texts()[seen:])
    # content shown privately goes with Telegram's protect_content (Reply.protect)
    assert all(m.protected for m in r1.bot_messages()[seen:])
    assert "→" in view and "(3) Sinh ngày" in view  # old → new values, privately
    assert re.search(r"#\d+ \(3\) \(đã gửi, [^)]*\): [^\n]* — người khai đã sửa mục này", view)
    assert re.search(r"#\d+ \(15\) \(đã gửi, [^)]*\): [^\n]* — chưa thấy sửa mục này", view)
    c3 = re.search(r"#(\d+) \(3\)", view).group(1)  # type: ignore[union-attr]
    assert f"#{c3} — người khai đã sửa mục này" in card2.content
    await members[r1].click(f"Đã sửa #{c3}", message=card2)
    card2 = api.message(scene.cb_chat, card2.message_id)
    assert f"• #{c3} —" not in card2.content

    # -- two reviewers tap "Duyệt" at the same moment: one decision ------------------------------
    await tap_together(scene, [members[r1], members[r2]], card2, "Duyệt")
    with scene.db() as conn:
        decisions = conn.execute(
            "SELECT decision, level FROM review_decisions WHERE dossier_id = ? ORDER BY id",
            (dossier_id,),
        ).fetchall()
    assert decisions == [("return", 1), ("approve", 1)]
    forwarded = api.message(scene.cb_chat, card2.message_id).content
    assert forwarded.startswith(f"📋 Hồ sơ #{dossier_id} — ") and "đã duyệt" in forwarded
    answers = [q.answer_text for q in api.callback_queries.values() if q.data.startswith("rv:a:")]
    assert "Đã duyệt." in answers
    assert any(a and "quyết định của đồng chí không được ghi" in a for a in answers)

    # -- second level ----------------------------------------------------------------------------
    du_card = du_members[r3].last_message()
    assert f"Hồ sơ #{dossier_id}" in du_card.content and "cấp duyệt 2/2" in du_card.content
    await du_members[r1].click("Duyệt", message=du_card)  # chi bộ reviewer: not here
    assert "Chỉ người duyệt của Đảng bộ Công ty A" in du_members[r1].last_callback.answer_text
    await du_members[r3].click("Duyệt", message=du_card)
    closed = api.message(scene.du_chat, du_card.message_id).content
    assert closed.startswith(f"📋 Hồ sơ #{dossier_id} — ") and "Đã duyệt lần cuối" in closed

    final = cand.documents()[-1]
    assert final.filename == f"2KND-ho-so-{dossier_id}-ban-{_revision(scene, dossier_id)}.docx"
    body = "\n".join(p.text for p in final.as_docx().paragraphs)
    assert "NHÁP" not in body.upper() and "TRẦN MINH KHOA" in body
    assert "không tẩy xóa" in cand.texts()[-1] or "không tẩy xóa" in " ".join(cand.texts()[-2:])
    # no document in a group: the deciding unit's secretary asks for it, privately
    assert not [
        m for c in (scene.cb_chat, scene.du_chat) for m in api.bot_messages(c) if m.document
    ]
    note = next(m for m in reversed(sec.bot_messages()) if "Bản chính thức" in m.content)
    await sec.click("Bản chính thức", message=note)
    assert sec.documents()[-1].filename == final.filename
    # the final .docx privately, protected from forwarding: to the candidate and to staff
    finals = [m for p in (cand, sec) for m in p.bot_messages() if m.document is not None]
    assert [m.protected for m in finals if m.document.filename == final.filename] == [True, True]
    assert not cand.bot_messages()[0].protected  # a question is not content to protect
    with scene.db() as conn:
        status, locked = conn.execute(
            "SELECT status, locked FROM dossiers WHERE id = ?", (dossier_id,)
        ).fetchone()
    assert (status, locked) == ("approved", 1)
    await cand.send("/sua 3")
    assert "đã được duyệt" in cand.last_text()

    # -- reopening is explicit and recorded -------------------------------------------------------
    await du_members[r3].click("Mở lại", message=api.message(scene.du_chat, du_card.message_id))
    assert "mở lại hồ sơ" in cand.last_text()
    await sec.command("lichsu", f"#{dossier_id}")
    history = sec.last_text()
    for words in ("nộp hồ sơ", "xem", "nhận xét", "trả lại", "duyệt", "mở lại hồ sơ"):
        assert words in history
    assert sample.value("ngay_sinh") not in history
    assert not api.unanswered_callback_queries()

    # -- the candidate's own copy (/dulieu) is theirs to keep: not protected -------------------
    before = len(cand.bot_messages())
    await cand.command("dulieu")
    copies = [m for m in cand.bot_messages()[before:] if m.document is not None]
    assert [m.document.filename.rsplit(".", 1)[-1] for m in copies] == ["json", "docx"]
    assert not any(m.protected for m in cand.bot_messages()[before:])

    # -- the groups saw numbers, the name, statuses, counts and who acted: no field value ------
    shown = [
        text or ""
        for chat in (scene.cb_chat, scene.du_chat)
        for m in api.bot_messages(chat)
        for text in (
            m.content,
            *(e.text or e.caption for e in m.edits),
            document_text(m.document.content) if m.document else "",
        )
    ]
    assert leaked(shown, sample) == []
    assert any("TRẦN MINH KHOA" in text for text in shown)


def _revision(scene: Scene, dossier_id: int) -> int:
    with scene.db() as conn:
        return conn.execute("SELECT revision FROM dossiers WHERE id = ?", (dossier_id,)).fetchone()[
            0
        ]


async def chi_bo_with_reviewer(scene: Scene, *more: TelegramUser) -> str:
    """Bootstrapped by the secretary: a đảng ủy, a chi bộ under it (no group yet) and
    ``scene.r1`` (and ``more``) as its reviewers; returns the chi bộ's id."""
    sec = scene.secretary
    async with scene.router.db.transaction() as tx:
        boot = await bootstrap(tx, "Đảng bộ Khối", bot_username="knd_test_bot")
    assert boot.code is not None
    await sec.start(boot.code)
    await sec.command("donvi", "Đảng bộ Công ty A")
    du_id = re.search(r"#(\d+)", sec.last_text()).group(1)  # type: ignore[union-attr]
    await sec.command("donvi", f"#{du_id}", "Chi bộ Phòng Kỹ thuật")
    cb_id = re.search(r"#(\d+)", sec.last_text()).group(1)  # type: ignore[union-attr]
    for reviewer in (scene.r1, *more):
        await sec.command("moi", "duyet", f"#{cb_id}")
        await reviewer.start(code_in(sec.last_text()))
    return cb_id


async def test_concurrent_invite_use_grants_once(scene: Scene) -> None:
    async with scene.router.db.transaction() as tx:
        boot = await bootstrap(tx, "Đảng bộ Khối", bot_username="knd_test_bot")
    people = [scene.person(f"Người {i}") for i in range(4)]
    assert boot.code is not None
    updates = [scene.api.user_sends_text(p.user, p.chat, f"/start {boot.code}") for p in people]
    await scene.api.wait_for(
        lambda: all(scene.api.bot_messages(p.chat) for p in people), 10.0, lambda: "no answers"
    )
    await asyncio.sleep(0)
    assert updates
    texts = [p.last_text() for p in people]
    assert sum("bí thư của Đảng bộ Khối" in x for x in texts) == 1
    assert sum("đã được dùng" in x for x in texts) == 3


async def test_a_secretary_who_blocked_the_bot_does_not_silence_the_candidate(
    scene: Scene,
) -> None:
    """The chi bộ approves; the đảng ủy has no group and no reviewer, so its secretaries are
    told, but the one secretary blocked the bot: the candidate still hears of the approval
    (the adapter skips only the blocked chat's replies; the notices to secretaries go last)."""
    sec, r1, cand = scene.secretary, scene.r1, scene.candidate
    cb_id = await chi_bo_with_reviewer(scene)
    group = scene.in_group(r1, scene.cb_chat)
    scene.in_group(sec, scene.cb_chat)
    await sec.command("ketnoi", f"#{cb_id}")
    await TelegramUser(scene.api, sec.user, scene.cb_chat, quiet=0.0, timeout=10.0).command(
        "ketnoi", code_in(sec.last_text())
    )
    await sec.command("moi", "ungvien", f"#{cb_id}")
    await cand.start(code_in(sec.last_text()))
    await cand.click("Tôi đồng ý")
    await fill_from_sample(scene.router.db, "telegram", str(cand.user.id), load_sample("a"))
    await cand.command("nop")
    if "Nộp luôn" in " ".join(cand.buttons()):
        await cand.click("Nộp luôn")
    card = group.last_message()
    assert "Hồ sơ #" in card.content

    await sec.block_bot()
    await group.click("Duyệt", message=card)
    assert (
        "chuyển lên Đảng bộ Công ty A" in scene.api.message(scene.cb_chat, card.message_id).content
    )
    assert "Chi bộ Phòng Kỹ thuật đã duyệt hồ sơ của anh/chị" in cand.last_text()
