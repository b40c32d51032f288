"""The Zalo channel's own edges through our client and the fake Zalo server: the webhook's
secret header and payload shapes, replays, texts over 2,000 characters, numbered options kept
over a restart, the monthly quota warning, stickers."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.delivery import Delivery
from bot.zalo.client import MAX_TEXT, ZaloBotClient
from bot.zalo.options import OptionMemory
from bot.zalo.receive import ZaloWebhook
from bot.zalo.render import ZaloTransport, split_text
from handlers.events import Button, Chat, Reply
from handlers.org import bootstrap
from storage.db import Database
from tests.fake_zalo_api import SECRET_HEADER, FakeZaloAPI
from tests.zalo_harness import ZaloStack, zalo_settings

SECRET = "hook-secret-123"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[ZaloStack]:
    async with FakeZaloAPI() as api:
        s = ZaloStack(api, zalo_settings(api, tmp_path / "knd.sqlite3", zalo_monthly_quota=40))
        await s.start_bot()
        try:
            yield s
        finally:
            await s.stop_bot()


@pytest.fixture
async def hooked(tmp_path: Path, unused_tcp_port: int) -> AsyncIterator[ZaloStack]:
    port = unused_tcp_port
    async with FakeZaloAPI() as api:
        settings = zalo_settings(
            api,
            tmp_path / "knd.sqlite3",
            zalo_webhook_url=f"http://127.0.0.1:{port}/zalo",
            zalo_webhook_port=port,
            zalo_webhook_secret=SECRET,
        )
        s = ZaloStack(api, settings)
        await s.start_bot()
        try:
            yield s
        finally:
            await s.stop_bot()


def inbox_rows(stack: ZaloStack) -> int:
    with sqlite3.connect(stack.db_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0])


async def test_the_webhook_takes_only_the_secret_header_and_each_message_once(
    hooked: ZaloStack,
) -> None:
    api = hooked.api
    assert api.webhook.url.endswith("/zalo") and api.webhook.secret == SECRET
    an = api.new_user("An")
    assert "Tôi đồng ý" in "\n".join(await hooked.say(an, "/start"))
    update = api.user_sends(an, "lần nữa")
    assert update is not None
    await hooked.settle(update["message"]["message_id"])
    rows = inbox_rows(hooked)
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong-secret"}, {SECRET_HEADER: SECRET[:-1]}):
            async with http.post(api.webhook.url, json=update, headers=headers) as response:
                assert response.status == 403
        for body in (update, {"ok": True, "result": update}):  # flat or wrapped: a replay
            headers = {SECRET_HEADER: SECRET}
            async with http.post(api.webhook.url, json=body, headers=headers) as response:
                assert response.status == 200
        async with http.post(api.webhook.url, data=b"{", headers={SECRET_HEADER: SECRET}) as r:
            assert r.status == 400
        # the server's one endpoint: a POST to its path, bodies up to 1 MB
        async with http.get(api.webhook.url, headers={SECRET_HEADER: SECRET}) as r:
            assert r.status == 405
        elsewhere = api.webhook.url.replace("/zalo", "/other")
        async with http.post(elsewhere, json=update, headers={SECRET_HEADER: SECRET}) as r:
            assert r.status == 404
        huge = {**update, "padding": "x" * (1024 * 1024)}
        async with http.post(api.webhook.url, json=huge, headers={SECRET_HEADER: SECRET}) as r:
            assert r.status == 413
    assert inbox_rows(hooked) == rows  # nothing stored twice, nothing stored unauthenticated
    assert [s for s, _ in api.webhook_posts] == [200, 200]


async def test_replayed_updates_are_processed_once(stack: ZaloStack) -> None:
    an = stack.api.new_user("An")
    await stack.say(an, "/start")
    before = len(stack.api.sent)
    for _ in range(3):
        assert stack.api.replay_all() >= 1
        await stack.api.wait_for(lambda: not stack.api._queue, 5)
        assert stack.bot is not None
        await stack.bot.idle()
    assert len(stack.api.sent) == before
    assert stack.bot is not None and stack.bot.intake.stats.duplicates >= 3


def test_long_texts_are_cut_at_line_boundaries_within_the_limit() -> None:
    lines = [f"Dòng {i}: " + ("nội dung dài " * 12).strip() for i in range(60)]
    text = "\n".join(lines)
    parts = split_text(text)
    assert len(parts) > 2 and all(len(p) <= MAX_TEXT for p in parts)
    assert "\n".join(parts) == text  # nothing lost, every cut at a line's end
    assert all(p.split("\n")[-1] in lines for p in parts)


async def test_a_long_reply_with_options_arrives_whole_through_the_fake(tmp_path: Path) -> None:
    async with FakeZaloAPI() as api, ZaloBotClient(api.token, base_url=api.base_url) as client:
        db = await Database.open(tmp_path / "x.sqlite3")
        try:
            options = OptionMemory(db, "zalo")
            delivery = Delivery(db, ZaloTransport(client, options))
            an = api.new_user("An")
            text = "\n".join(f"Mục {i}: " + "chi tiết " * 20 for i in range(40))
            buttons = [[Button("Có", "c:yes"), Button("Không", "c:no")]]
            await delivery.enqueue([Reply(text=text, buttons=buttons)], Chat("zalo", an.id))
            await delivery.idle()
            sent = api.texts(an.id)
            assert len(sent) >= 3 and all(len(t) <= MAX_TEXT for t in sent)
            assert sent[-1].endswith("Gõ 1, 2 hoặc chữ trên nút.")
            assert options.resolve(an.id, "2") == "c:no" and options.resolve(an.id, "có") == "c:yes"
            assert await options.flush() == 1
            again = OptionMemory(db, "zalo")
            await again.load()  # what a restart reads
            assert again.resolve(an.id, "2") == "c:no"
        finally:
            await db.close()


async def test_options_are_written_when_they_change_and_labels_match_as_people_type(
    tmp_path: Path,
) -> None:
    async with FakeZaloAPI() as api, ZaloBotClient(api.token, base_url=api.base_url) as client:
        db = await Database.open(tmp_path / "x.sqlite3")
        try:
            options = OptionMemory(db, "zalo")
            delivery = Delivery(db, ZaloTransport(client, options))
            an = api.new_user("An")
            chat = Chat("zalo", an.id)
            question = [[Button("⬅️ Quay lại", "c:back~1"), Button("Có  thể!", "c:maybe~1")]]
            await delivery.enqueue([Reply(text="Câu 1?", buttons=question)], chat)
            await delivery.idle()
            assert await options.flush() == 1
            for typed, meant in (
                ("quay lai", "c:back~1"),
                ("  QUAY LẠI …", "c:back~1"),
                ("có thể", "c:maybe~1"),
                ("co the", "c:maybe~1"),
                ("2.", "c:maybe~1"),
                ("số 2", "c:maybe~1"),  # as people type a pick (forms.framing.option_number)
                ("chọn 1 ạ", "c:back~1"),
                ("em chọn số hai", "c:maybe~1"),
                ("quay", None),
                ("!!!", None),
            ):
                assert options.resolve(an.id, typed) == meant, typed
            options.heard(an.id)  # the person wrote; the same question comes again
            await delivery.enqueue([Reply(text="Câu 1?", buttons=question)], chat)
            await delivery.idle()
            assert await options.flush() == 0  # the same options: nothing to write
            following = [[Button("Không", "c:no~2")]]
            options.heard(an.id)
            await delivery.enqueue([Reply(text="Câu 2?", buttons=following)], chat)
            await delivery.idle()
            assert await options.flush() == 1
            again = OptionMemory(db, "zalo")
            await again.load()  # what a restart reads: the latest options
            assert again.resolve(an.id, "1") == "c:no~2" and again.resolve(an.id, "2") is None
            assert api.texts(an.id)[-1].startswith("Câu 2?")
        finally:
            await db.close()


async def test_options_typed_after_a_restart_mean_what_was_shown(stack: ZaloStack) -> None:
    an = stack.api.new_user("An")
    await stack.say(an, "/start")  # the consent, with «1. Tôi đồng ý»
    await stack.stop_bot()
    await stack.start_bot()
    await stack.say(an, "1")
    assert "Cảm ơn anh/chị" in "\n".join(stack.api.texts(an.id)[-3:])


async def test_an_option_picked_in_words_is_the_option(stack: ZaloStack) -> None:
    """ "chọn 1 ạ" to «1. Tôi đồng ý» was read as text, and the consent asked again."""
    an = stack.api.new_user("An")
    await stack.say(an, "/start")
    await stack.say(an, "chọn 1 ạ")
    assert "Cảm ơn anh/chị" in "\n".join(stack.api.texts(an.id)[-3:])


async def test_secretaries_are_warned_once_near_the_monthly_quota(stack: ZaloStack) -> None:
    assert stack.bot is not None
    api = stack.api
    async with stack.bot.router.db.transaction() as tx:
        boot = await bootstrap(tx, "Đảng bộ Khối Doanh nghiệp", platform="zalo")
    sec = api.new_user("Lê Văn Sáu")
    await stack.say(sec, f"/start {boot.code}")
    for i in range(40):  # strangers write until the plan's 40 messages are nearly used
        await stack.say(api.new_user(f"Người {i}"), "/start")
        if len(api.sent) >= 36:
            break
    await stack.bot._flush()
    await stack.bot.idle()
    for i in range(3):  # later messages: no second warning
        await stack.say(api.new_user(f"Người sau {i}"), "/start")
    await stack.bot._flush()
    await stack.bot.idle()
    warnings = [t for t in api.texts(sec.id) if t.startswith("⚠️ Bot Zalo đã gửi")]
    assert len(warnings) == 1 and "/ 40 tin nhắn" in warnings[0]
    with sqlite3.connect(stack.db_path) as conn:
        sent, warned = conn.execute("SELECT sent, warned FROM message_counts").fetchone()
    assert sent == len(api.sent) and warned == 1


async def test_a_sticker_is_not_an_answer(stack: ZaloStack) -> None:
    an = stack.api.new_user("An")
    await stack.say(an, "/start")
    await stack.say(an, "1")
    update = stack.api.user_sends_sticker(an)
    await stack.settle(update["message"]["message_id"])
    assert stack.api.texts(an.id)[-1]  # answered with a reminder of the question


def typed(user_id: str, text: str, n: int) -> dict[str, object]:
    """A private text update as Zalo posts it (tests/fake_zalo_api.py's shape)."""
    message = {
        "message_id": f"burst-{user_id}-{n}",
        "date": 1_700_000_000_000 + n,
        "chat": {"id": user_id, "chat_type": "PRIVATE"},
        "from": {"id": user_id, "display_name": f"Người {user_id}", "is_bot": False},
        "text": text,
    }
    return {"event_name": "message.text.received", "message": message}


async def test_webhook_posts_arriving_together_are_answered_after_their_commit(
    hooked: ZaloStack,
) -> None:
    """Thirty people write at once: the posts are stored together (fewer commits than posts),
    each answered 200 only once stored, each processed once; a commit that fails answers 500
    to every post it held, stores none of them, and Zalo's retries then store them."""
    api, bot = hooked.api, hooked.bot
    assert bot is not None and isinstance(bot.receiver, ZaloWebhook)
    calls: list[int] = []
    failing = [True]
    receive = bot.intake.receive

    async def counted(rows):  # type: ignore[no-untyped-def]
        calls.append(len(rows))
        if failing[0]:
            failing[0] = False
            raise RuntimeError("disk full")
        return await receive(rows)

    bot.intake.receive = counted  # type: ignore[method-assign]
    headers = {SECRET_HEADER: SECRET}
    updates = [typed(f"u{i}", "/start", i) for i in range(30)]
    async with aiohttp.ClientSession() as http:

        async def post(body: dict[str, object]) -> int:
            async with http.post(api.webhook.url, json=body, headers=headers) as response:
                return response.status

        first = await asyncio.gather(*(post(u) for u in updates))
        assert 500 in first and inbox_rows(hooked) == first.count(200)
        again = await asyncio.gather(
            *(post(u) for u, s in zip(updates, first, strict=True) if s != 200)
        )
    assert set(again) == {200}
    assert inbox_rows(hooked) == 30
    assert len(calls) < 30 + first.count(500)  # posts shared commits
    await bot.idle()
    greeted = {m.chat_id for m in api.sent if "Tôi đồng ý" in m.text}
    assert greeted == {f"u{i}" for i in range(30)}
    assert sum("Tôi đồng ý" in m.text for m in api.sent) == 30  # each processed once
