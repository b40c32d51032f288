"""Telegram pitfalls a production bot meets, end to end through PTB and the fake Bot API.

* A basic group upgraded to a supergroup gets a new id: the bound unit follows it, whether
  the bot reads Telegram's service messages or only learns it from a refused send.
* A chat that refuses the bot (403) loses its own replies only, not the other chats'.
* The same update posted twice to the webhook is processed once.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.telegram_service import TelegramService
from handlers.events import Chat, Reply
from storage.core import Change
from tests import test_review_telegram, test_telegram_adapter
from tests.fake_bot_api import GROUP_ANONYMOUS_BOT, FakeBotAPI
from tests.fake_bot_api import Chat as TgChat
from tests.samples import load_sample
from tests.test_review_telegram import Scene, chi_bo_with_reviewer, code_in
from tests.test_telegram_adapter import bot_idle
from tests.test_telegram_e2e import SamplePlayer, Stack, person, play, read_state, revisions
from tests.test_telegram_e2e import make_settings as e2e_settings
from tests.tg_client import TelegramUser

scene = test_review_telegram.scene  # the review story's fixture: bot, router, people
harness = test_telegram_adapter.harness  # the adapter's fixture: bot over a stub router

# ------------------------------------------------------------------- group → supergroup, e2e


async def bind_basic_group(scene: Scene) -> tuple[TgChat, str]:
    """A chi bộ bound to a basic (not super) group, with a reviewer and a candidate ready to
    submit; returns the group and the chi bộ's id."""
    sec, r1, cand = scene.secretary, scene.r1, scene.candidate
    cb_id = await chi_bo_with_reviewer(scene)
    group = scene.api.new_group("Chi bộ Phòng Kỹ thuật", supergroup=False)
    scene.in_group(r1, group)
    await sec.command("ketnoi", f"#{cb_id}")
    await scene.in_group(sec, group).command("ketnoi", code_in(sec.last_text()))
    assert "đã được kết nối" in scene.api.bot_messages(group)[-1].content
    await sec.command("moi", "ungvien", f"#{cb_id}")
    await cand.start(code_in(sec.last_text()))
    await cand.click("Tôi đồng ý")
    sample = load_sample("a")
    async with scene.router.db.transaction() as tx:
        who = await tx.people.find("telegram", str(cand.user.id))
        assert who is not None
        record = await tx.dossiers.current_for(who.id)
        assert record is not None
        await tx.dossiers.apply(
            record,
            [Change(f"answers.{k}", v) for k, v in sample.answers.items()]
            + [Change(f"tables.{t}.{i}", r) for t, rows in sample.tables.items()
               for i, r in enumerate(rows)]
            + [Change(f"relatives.{i}", r) for i, r in enumerate(sample.relatives)],
            who.id,
        )  # fmt: skip
    return group, cb_id


async def submit(scene: Scene) -> None:
    cand = scene.candidate
    await cand.command("nop")
    if "Nộp luôn" in " ".join(cand.buttons()):
        await cand.click("Nộp luôn")


def stored_chat_ids(scene: Scene, unit_id: str) -> tuple[str | None, set[str], list[dict]]:
    """The unit's bound group, the chats of remembered bot messages, the chat_moved audit."""
    with scene.db() as db:
        group = db.execute("SELECT group_chat_id FROM units WHERE id = ?", (unit_id,)).fetchone()
        chats = {r[0] for r in db.execute("SELECT chat_id FROM bot_messages")}
        audit = [
            json.loads(r[0])
            for r in db.execute("SELECT detail FROM audit_log WHERE action = 'chat_moved'")
        ]
    return group[0], chats, audit


async def test_an_upgraded_group_keeps_its_unit_cards_and_reviewers(scene: Scene) -> None:
    api, r1 = scene.api, scene.r1
    old, cb_id = await bind_basic_group(scene)
    api.user_sends_text(r1.user, old, "Chào cả nhóm")  # chatter: the bot does not answer
    await submit(scene)
    card = api.bot_messages(old)[-1]
    assert "Hồ sơ #" in card.content

    new, updates = api.upgrade_to_supergroup(scene.secretary.user, old)
    for update in updates:
        await api.wait_for_update_ack(update["update_id"])
    assert scene.api.idle_probe is not None
    await scene.api.idle_probe()

    group_id, chats, audit = stored_chat_ids(scene, cb_id)
    assert group_id == str(new.id)
    assert chats and str(old.id) not in chats  # the card is remembered under the new id
    assert len(audit) == 1  # two service messages, one move
    assert (audit[0]["from"], audit[0]["to"], audit[0]["units"]) == (
        str(old.id), str(new.id), [int(cb_id)]
    )  # fmt: skip
    # one notice; the bot's "joined" update for the supergroup finds it bound: no /ketnoi plea
    (notice,) = [m.content for m in api.bot_messages(new)]
    assert "siêu nhóm" in notice and "Chi bộ Phòng Kỹ thuật" in notice
    # the reviewers carry on in the new supergroup: it is still the chi bộ's group
    in_new = TelegramUser(api, r1.user, new, quiet=0.0, timeout=10.0)
    await in_new.command("hoso")
    assert "chờ duyệt (Chi bộ Phòng Kỹ thuật)" in in_new.last_text()
    await in_new.click("#1")
    card_here = in_new.last_message()
    assert "Hồ sơ #" in card_here.content
    before = {m.message_id: m.content for m in api.bot_messages(new)}
    await in_new.click("Duyệt", message=card_here)
    # both cards close: the new one in place; the old one's id means nothing in the new
    # chat (ids start again there), so it must not edit whatever message now has that id
    edited = [
        m.message_id
        for m in api.bot_messages(new)
        if before.get(m.message_id, m.content) != m.content
    ]
    assert edited == [card_here.message_id]
    assert "chuyển lên Đảng bộ Công ty A" in card_here.content


async def test_a_missed_upgrade_is_learnt_from_the_refused_send(scene: Scene) -> None:
    """No service message reached the bot (e.g. it was down for over a day): the first card
    sent to the old id is refused with ChatMigrated, sent again to the new supergroup, and
    the stored group follows so the next sends go straight there."""
    api = scene.api
    old, cb_id = await bind_basic_group(scene)
    new, updates = api.upgrade_to_supergroup(scene.secretary.user, old, notify=False)
    assert updates == []
    await submit(scene)

    card = api.bot_messages(new)[-1]
    assert "Hồ sơ #" in card.content
    group_id, chats, audit = stored_chat_ids(scene, cb_id)
    assert group_id == str(new.id) and str(old.id) not in chats
    assert len(audit) == 1 and audit[0]["to"] == str(new.id)
    refused = [c for c in api.failed_calls() if "upgraded to a supergroup" in c.description]
    assert len(refused) == 1
    # a tap on the card in the new chat is the chi bộ's: the card was remembered there
    await TelegramUser(api, scene.r1.user, new, quiet=0.0, timeout=10.0).click(
        "Duyệt", message=card
    )
    assert "chuyển lên Đảng bộ Công ty A" in api.message(new, card.message_id).content
    assert len([c for c in api.failed_calls() if "upgraded" in c.description]) == 1


async def test_both_service_messages_name_the_same_move(harness) -> None:
    """``migrate_to_chat_id`` in the old group (from the person), ``migrate_from_chat_id`` in
    the new one (from the anonymous "Group" bot, which is otherwise never listened to)."""
    api, router, _ = harness
    router.script = lambda e: []
    admin = api.new_user("Bí thư")
    old = api.new_group("Chi bộ", supergroup=False)
    new, updates = api.upgrade_to_supergroup(admin, old)
    for update in updates:
        await api.wait_for_update_ack(update["update_id"])
    await bot_idle(harness)
    moves = [(e.chat.id, e.chat.kind, e.moved_to) for e in router.events if e.kind == "chat_moved"]
    assert moves == [(str(old.id), "group", str(new.id))] * 2
    assert [e.update_key for e in router.events if e.kind == "chat_moved"] == [
        str(updates[0]["update_id"]),
        str(updates[2]["update_id"]),
    ]


async def test_an_edit_refused_by_an_upgraded_group_is_sent_anew_there(harness) -> None:
    """The flow edits a card it posted in the basic group; Telegram answers ChatMigrated.
    Message ids start again in the supergroup, so the card's id may name another message
    there: the retry posts the text as a new message, and the router hears of the move."""
    api, router, _ = harness
    admin = api.new_user("Bí thư")
    old = api.new_group("Chi bộ", supergroup=False)
    router.script = lambda e: [Reply(text="Thẻ hồ sơ #1")]
    await TelegramUser(api, admin, old).command("hoso")
    card = api.bot_messages(old)[-1]
    new, _ = api.upgrade_to_supergroup(admin, old, notify=False)
    in_new = TelegramUser(api, admin, new)
    router.script = lambda e: [Reply(text="Tin khác")]
    await in_new.command("hoso")
    other = in_new.last_message()
    assert other.message_id == card.message_id  # the same number, another message
    closed = "Thẻ hồ sơ #1 — đã duyệt"
    group = Chat("telegram", str(old.id), "group", "Chi bộ")
    router.script = lambda e: (
        []
        if e.kind == "chat_moved"
        else [Reply(text=closed, chat=group, edit_ref=str(card.message_id))]
    )
    await in_new.command("duyet")
    assert other.content == "Tin khác" and not other.edits
    assert in_new.last_text() == closed
    moves = [e for e in router.events if e.kind == "chat_moved"]
    assert [(e.chat.id, e.moved_to) for e in moves] == [(str(old.id), str(new.id))]
    # later replies to the old id go straight to the new chat
    failed = len(api.failed_calls())
    router.script = lambda e: [Reply(text="Thẻ hồ sơ #2", chat=group)]
    await in_new.command("hoso")
    assert in_new.last_text() == "Thẻ hồ sơ #2" and len(api.failed_calls()) == failed


# ------------------------------------------------------------------- anonymous group admins


async def test_an_anonymous_admins_command_is_answered_not_dropped(harness) -> None:
    """An admin with "Remain anonymous" on writes as the group (GroupAnonymousBot): nobody
    can be recognised, so no flow hears it, but the group is told how to be recognised."""
    api, router, _ = harness
    group = api.new_group("Chi bộ")
    channel = TgChat(id=-1_009_000_000_001, type="channel", title="Kênh")

    def as_sender(sender: TgChat, text: str) -> dict:
        message = {
            "message_id": 900 + len(api.updates),
            "date": 0,
            "chat": group.to_api(),
            "from": GROUP_ANONYMOUS_BOT.to_api(),
            "sender_chat": sender.to_api(),
            "text": text,
        }
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len("/ketnoi")}]
        return api.inject_update({"message": message}, chat_id=group.id)

    for sender, text in ((channel, "/ketnoi ABC"), (group, "chào cả nhóm"), (group, "/ketnoi ABC")):
        await api.wait_for_update_ack(as_sender(sender, text)["update_id"])
    await bot_idle(harness)
    assert router.events == []
    (notice,) = api.bot_messages(group)
    assert "«Ẩn danh»" in notice.content and "gõ lại" in notice.content


# ------------------------------------------------------------------- 403 in a batch of replies


async def test_a_chat_that_blocked_the_bot_loses_only_its_own_replies(harness) -> None:
    """One event's replies go to several chats (a decision: the candidate, the secretaries,
    the group). A person who blocked the bot must not silence the others."""
    api, router, _ = harness
    blocked = TelegramUser(api, first_name="Đã chặn")
    other = TelegramUser(api, first_name="Người khác")
    await bot_idle(harness)
    await api.wait_for_update_ack(api.user_blocks_bot(blocked.user)["update_id"])
    await bot_idle(harness)
    away = Chat("telegram", str(blocked.chat.id))
    router.script = lambda e: [
        Reply(text="cho người đã chặn", chat=away),
        Reply(text="thứ nhất"),
        Reply(text="lại cho người đã chặn", chat=away),
        Reply(text="thứ hai"),
    ]
    await other.send("duyệt")
    assert other.texts()[-2:] == ["thứ nhất", "thứ hai"]
    to_blocked = [c for c in api.calls_to("sendMessage") if c.params["chat_id"] == blocked.chat.id]
    assert len(to_blocked) == 1  # refused once, not asked again within the batch


# ------------------------------------------------------------------- webhook redelivery


async def test_the_same_update_posted_twice_to_the_webhook_is_processed_once(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    """Telegram re-posts an update it thinks failed (no answer within 60 s, a non-2xx):
    the second copy changes nothing and sends nothing."""
    async with FakeBotAPI() as api:
        settings = e2e_settings(
            api,
            tmp_path / "knd.sqlite3",
            webhook_url=f"http://127.0.0.1:{unused_tcp_port}/hook",
            webhook_port=unused_tcp_port,
            webhook_path="hook",
            webhook_secret="e2e_SECRET-42",
        )
        s = Stack(api, settings)
        bot: TelegramService = await s.start_bot()
        try:
            an = person(api)
            await play(s, an, SamplePlayer(load_sample("a")), moves=8)
            original = next(u for u in reversed(api.updates) if "message" in u.payload)
            state = read_state(s.db_path, "telegram", str(an.chat.id))
            count, seen = revisions(s), len(an.bot_messages())
            for _ in range(2):
                assert await api.deliver_to_webhook(original.payload) == 200
            await asyncio.wait_for(bot.idle(), 5)
            assert revisions(s) == count and len(an.bot_messages()) == seen
            assert read_state(s.db_path, "telegram", str(an.chat.id)) == state
        finally:
            await s.stop_bot()
