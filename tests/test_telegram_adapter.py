"""The Telegram adapter through PTB's real client against the fake Bot API, with a stub router.

These tests pin down the translation layer only (update → Event, Reply → Bot API calls) on the
production path (TelegramService: inbox, router, outbox, sender); the conversation itself is
covered by tests/test_telegram_e2e.py with the real flows.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.pacing import Pacing
from bot.settings import Settings
from bot.telegram import split_text, utf16_len
from bot.telegram_service import TelegramService
from handlers.events import Button, Document, Event, Photo, Reply
from handlers.router import Flow, Router
from handlers.routing import Routes
from storage.db import Database, Tx
from tests.fake_bot_api import FakeBotAPI
from tests.tg_client import TelegramUser

Script = Callable[[Event], list[Reply]]


class StubRouter(Router):
    """The production router whose one flow answers with whatever the test's ``script``
    returns; it records every event it is handed (before deduplication) and every message
    id the sender reports for a reply marked ``remember``."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.events: list[Event] = []
        self.sent: list[tuple[str, str, str, str]] = []
        self.script: Script = lambda event: [Reply(text=f"echo {event.kind}")]
        self.scripted = _Scripted(self)

    async def handle(self, event: Event, **kw: Any) -> list[Reply]:
        self.events.append(event)
        return await super().handle(event, **kw)

    async def owner(self, tx: Tx, event: Event) -> Flow | None:
        return self.scripted

    async def remembered(
        self, tx: Tx, ref_key: str, platform: str, chat_id: str, message_id: str
    ) -> bool:
        self.sent.append((ref_key, platform, chat_id, message_id))
        return True


class _Scripted:
    routes = Routes(flow="scripted")

    def __init__(self, router: StubRouter) -> None:
        self.router = router

    async def handle(self, tx: Tx, event: Event) -> list[Reply]:
        return self.router.script(event)


def service(settings: Settings, router: Router, **kw: Any) -> TelegramService:
    """The production service, unpaced (these tests are not about pacing)."""
    return TelegramService(settings, router, pacing=Pacing.unlimited(), **kw)


@asynccontextmanager
async def running(
    api: FakeBotAPI, settings: Settings, **kw: Any
) -> AsyncIterator[tuple[StubRouter, TelegramService]]:
    db = await Database.open(settings.db_path)
    router = StubRouter(db)
    bot = service(settings, router, **kw)
    api.idle_probe = bot.idle
    await bot.start()
    try:
        yield router, bot
    finally:
        await bot.stop()
        await db.close()


def make_settings(api: FakeBotAPI, tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=api.token,
        api_base_url=api.base_url,
        api_file_url=api.base_file_url,
        db_path=tmp_path / "knd.sqlite3",
        polling_timeout=10,
        **extra,
    )


@pytest.fixture
async def harness(
    tmp_path: Path,
) -> AsyncIterator[tuple[FakeBotAPI, StubRouter, TelegramService]]:
    async with FakeBotAPI() as api:
        settings = make_settings(api, tmp_path)
        async with running(api, settings, commands=[("tiendo", "Tiến độ")]) as (router, bot):
            yield api, router, bot


# ------------------------------------------------------------------------------- splitting


def test_split_prefers_paragraphs_and_keeps_every_word() -> None:
    paragraph = ("Lịch sử bản thân từ nhỏ đến nay. " * 40).strip()
    text = "\n\n".join([paragraph] * 12)
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(utf16_len(c) <= 4096 for c in chunks)
    assert all(c.endswith(".") for c in chunks)  # cut at a paragraph end, not mid-sentence
    assert " ".join(chunks).split() == text.split()


def test_split_counts_utf16_units() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units, 3000 code points
    chunks = split_text(text)
    assert [utf16_len(c) for c in chunks] == [4096, 6000 - 4096]


@given(st.text(alphabet=st.sampled_from(list("ab ỹ\n😀")), max_size=400), st.integers(8, 60))
def test_split_never_exceeds_limit_nor_loses_words(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(0 < utf16_len(c) <= limit for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(text.split())


# ------------------------------------------------------------------------------- update → Event


async def test_text_commands_and_deep_link_become_events(harness) -> None:
    api, router, _ = harness
    an = TelegramUser(api, first_name="An")
    await an.start("inv_ABC-123")
    await an.send("Nguyễn Văn An")
    await an.send("/SUA@knd_test_bot 7")
    start, text, sua = router.events
    assert (start.kind, start.command, start.text) == ("command", "start", "inv_ABC-123")
    assert (text.kind, text.text) == ("text", "Nguyễn Văn An")
    assert (sua.kind, sua.command, sua.text) == ("command", "sua", "7")
    assert start.user.id == str(an.user.id) and start.chat.kind == "private"
    assert start.user.platform == start.chat.platform == "telegram"
    assert len({e.update_key for e in router.events}) == 3


async def test_the_persons_name_is_read_as_telegram_shows_it(harness) -> None:
    """Updates are read from their JSON, not through PTB's objects: the name is still PTB's
    ``full_name`` (first and last name; the first alone when there is no last)."""
    api, router, _ = harness
    ngoc = TelegramUser(api, api.new_user("Ngọc Ánh", last_name="Trần Thị"))
    await ngoc.send("Xin chào")
    an = TelegramUser(api, first_name="An")
    await an.send("Chào")
    assert [e.user.name for e in router.events] == ["Ngọc Ánh Trần Thị", "An"]
    assert router.events[0].user.name == ngoc.user.full_name


async def test_sticker_and_photo_are_other(harness) -> None:
    api, router, _ = harness
    an = TelegramUser(api)
    await an.send_sticker()
    await an.send_photo()
    assert [e.kind for e in router.events] == ["other", "other"]


async def test_button_tap_carries_action_and_message_and_is_answered(harness) -> None:
    api, router, _ = harness
    router.script = lambda e: (
        [Reply(text="Giới tính?", buttons=[[Button("Nam", "g:nam"), Button("Nữ", "g:nu")]])]
        if e.kind == "text"
        else [Reply(toast="Đã lưu"), Reply(text="Đã ghi: Nữ")]
    )
    an = TelegramUser(api)
    await an.send("bắt đầu")
    question = an.last_message()
    await an.click("Nữ")
    tap = router.events[-1]
    assert (tap.kind, tap.action, tap.message_ref) == ("button", "g:nu", str(question.message_id))
    assert an.last_callback is not None and an.last_callback.answer_text == "Đã lưu"
    assert an.last_text() == "Đã ghi: Nữ"


async def test_callback_is_answered_even_when_the_router_fails(harness) -> None:
    api, router, _ = harness
    router.script = lambda e: [Reply(text="Chọn", buttons=[[Button("A", "a")]])]
    an = TelegramUser(api)
    await an.send("x")

    def boom(event: Event) -> list[Reply]:
        raise RuntimeError("flow bug")

    router.script = boom
    await an.click("A", expect_reply=False)
    assert an.last_callback is not None and an.last_callback.answered


async def test_group_commands_for_other_bots_and_chatter_are_ignored(harness) -> None:
    api, router, _ = harness
    group = api.new_group()
    api.register_chat(group)
    member = TelegramUser(api, chat=group)
    await member.send("/tiendo@other_bot", expect_reply=False)
    await member.send("chuyện phiếm trong nhóm", expect_reply=False)
    assert router.events == []
    router.script = lambda e: [Reply(text="Bình luận đã ghi")]
    await member.command("tiendo")
    card = member.last_message()
    await member.send("Mục 7 ghi sai năm", reply_to=card)
    command, comment = router.events
    assert (command.kind, command.command, command.chat.kind) == ("command", "tiendo", "group")
    assert (comment.kind, comment.reply_to_ref) == ("text", str(card.message_id))


async def test_private_edits_become_one_keyed_event_and_group_edits_are_ignored(
    harness,
) -> None:
    api, router, _ = harness
    group = api.new_group()
    api.register_chat(group)
    member = TelegramUser(api, chat=group)
    await member.command("tiendo")
    await member.edit(member.my_messages()[-1], "/tiendo 2", expect_reply=False)
    assert [e.kind for e in router.events] == ["command"]

    an = TelegramUser(api)
    await an.send("Nguyen Van An")
    typo = an.my_messages()[-1]
    await an.edit(typo, "Nguyễn Văn An")
    await an.edit(typo, "Nguyễn Văn Ân", expect_reply=False)  # the same key: answered once
    assert an.texts().count("echo edited") == 1
    first, second = router.events[-2:]
    assert first.kind == second.kind == "edited" and first.chat.kind == "private"
    assert first.update_key == second.update_key == f"edited:{an.chat.id}:{typo.message_id}"
    assert first.text == ""  # an edit is never an answer: its text is not passed on
    assert datetime.fromisoformat(first.sent_at).timestamp() == typo.date
    call = next(c for c in api.calls_to("getUpdates") if "allowed_updates" in c.params)
    assert "edited_message" in call.params["allowed_updates"]


async def test_bot_added_and_removed_from_group(harness) -> None:
    api, router, _ = harness
    router.script = lambda e: []
    admin = api.new_user("Bí thư")
    group = api.new_group()
    added = api.bot_added_to_group(admin, group)
    await api.wait_for_update_ack(added["update_id"])
    removed = api.bot_removed_from_group(admin, group)
    await api.wait_for_update_ack(removed["update_id"])
    await bot_idle(harness)
    assert [e.kind for e in router.events] == ["bot_added", "bot_removed"]
    assert router.events[0].chat.id == str(group.id)


async def bot_idle(harness) -> None:
    _, _, bot = harness
    await asyncio.wait_for(bot.idle(), 5)


# ------------------------------------------------------------------------------- Reply → Telegram


async def test_long_reply_is_split_and_buttons_ride_on_the_last_part(harness) -> None:
    api, router, _ = harness
    long_text = "\n".join(f"Dòng {n}: quá trình công tác của bản thân." for n in range(400))
    router.script = lambda e: [Reply(text=long_text, buttons=[[Button("Tiếp", "next")]])]
    an = TelegramUser(api)
    messages = await an.send("xem")
    assert len(messages) >= 4
    assert all(len(m.content) <= 4096 for m in messages)
    assert [bool(m.inline_keyboard) for m in messages] == [False] * (len(messages) - 1) + [True]
    assert "\n".join(m.content for m in messages) == long_text


async def test_edit_in_place_and_fallback_to_a_new_message(harness) -> None:
    api, router, _ = harness
    router.script = lambda e: [Reply(text="Thẻ hồ sơ", buttons=[[Button("Duyệt", "ok")]])]
    an = TelegramUser(api)
    await an.send("a")
    card = an.last_message()
    router.script = lambda e: [Reply(text="Thẻ hồ sơ — đã duyệt", edit_ref=e.message_ref)]
    await an.click("Duyệt")
    assert card.content == "Thẻ hồ sơ — đã duyệt" and not card.inline_keyboard
    assert len(an.bot_messages()) == 1
    # Same content again: Telegram says "not modified"; nothing new must appear.
    router.script = lambda e: [Reply(text="Thẻ hồ sơ — đã duyệt", edit_ref=str(card.message_id))]
    await an.send("b", expect_reply=False)
    assert len(an.bot_messages()) == 1
    # A message that cannot be edited → a fresh message instead.
    router.script = lambda e: [Reply(text="Bản mới", edit_ref="999999")]
    await an.send("c")
    assert an.last_text() == "Bản mới" and len(an.bot_messages()) == 2


async def test_document_photo_long_caption_and_remember(harness) -> None:
    api, router, _ = harness
    caption = "Chú thích rất dài. " * 80
    router.script = lambda e: [
        Reply(text="Bản nháp của bạn:"),
        Reply(document=Document("ly-lich.docx", b"PK\x03\x04 fake docx", caption=caption)),
        Reply(photo=Photo(b"\xff\xd8\xff\xe0jpeg", caption="Ảnh")),
        Reply(text="Thẻ", buttons=[[Button("Xem", "view:1")]], remember="card:1"),
    ]
    an = TelegramUser(api)
    await an.send("/xem")
    kinds = [m.kind for m in an.bot_messages()]
    assert kinds[:2] == ["text", "document"] and "photo" in kinds
    document = an.documents()[0]
    assert document.filename == "ly-lich.docx" and document.content.startswith(b"PK")
    assert " ".join(an.texts()).split().count("dài.") == 80  # long caption sent as text
    card = an.last_message()
    assert router.sent == [("card:1", "telegram", str(an.chat.id), str(card.message_id))]


async def test_a_document_carries_its_caption_buttons_type_and_protection(harness) -> None:
    """The upload (``call_upload``: aiohttp's multipart, the answer read as JSON) sends what
    PTB's ``send_document`` sent; a 429 on it is waited out, a 400 gives the reply up and the
    chat goes on."""
    api, router, bot = harness
    router.script = lambda e: [
        Reply(
            document=Document("ban-nhap.docx", b"PK\x03\x04 draft", caption="Bản nháp"),
            buttons=[[Button("Nộp", "submit:1")]],
            protect=True,
        )
    ]
    api.fail_next("sendDocument", retry_after=1)
    an = TelegramUser(api, timeout=5)
    await an.send("/xem")
    sent = an.last_message()
    assert sent.document is not None and sent.document.content == b"PK\x03\x04 draft"
    assert sent.document.filename == "ban-nhap.docx" and sent.document.caption == "Bản nháp"
    assert sent.document.mime_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert sent.protected and sent.button_labels == ["Nộp"]
    assert sent.inline_keyboard[0][0]["callback_data"] == "submit:1"
    api.fail_next("sendDocument", description="Bad Request: file is too big")
    router.script = lambda e: [
        Reply(document=Document("a.docx", b"PK")),
        Reply(text=f"sau {e.kind}"),
    ]
    await an.send("lại")
    assert an.last_text() == "sau text" and len(an.documents()) == 1
    assert bot.delivery.stats.given_up == 1


async def test_rate_limit_answer_is_waited_out_not_dropped(harness) -> None:
    api, _, _ = harness
    api.fail_next("sendMessage", retry_after=1)
    an = TelegramUser(api, timeout=5)
    await an.send("x")
    assert an.last_text() == "echo text"


async def test_commands_registered_in_vietnamese_for_private_chats(harness) -> None:
    api, _, _ = harness
    call = await api.wait_for_call("setMyCommands")
    assert call.params["commands"] == [{"command": "tiendo", "description": "Tiến độ"}]
    assert call.params["scope"] == {"type": "all_private_chats"}


# ------------------------------------------------------------------------------- webhook


async def test_webhook_with_secret_token(tmp_path: Path, unused_tcp_port: int) -> None:
    async with FakeBotAPI() as api:
        settings = make_settings(
            api,
            tmp_path,
            webhook_url=f"http://127.0.0.1:{unused_tcp_port}/tg-hook",
            webhook_listen="127.0.0.1",
            webhook_port=unused_tcp_port,
            webhook_path="tg-hook",
            webhook_secret="s3cret_TOKEN-1",
        )
        async with running(api, settings, commands=[]) as (router, bot):
            info = await api.wait_for_call("setWebhook")
            assert info.params["secret_token"] == "s3cret_TOKEN-1"
            an = TelegramUser(api)
            await an.send("qua webhook")
            assert an.last_text() == "echo text"
            forged = {
                "update_id": 5,
                "message": {
                    "message_id": 99,
                    "date": 0,
                    "chat": {"id": an.user.id, "type": "private"},
                    "from": an.user.to_api(),
                    "text": "giả mạo",
                },
            }
            assert await api.deliver_to_webhook(forged, secret_token="wrong") == 403
            assert await api.deliver_to_webhook(forged, secret_token=None) == 403
            assert await api.deliver_to_webhook(forged) == 200  # the real secret gets in
            await bot_idle((api, router, bot))
            assert [e.text for e in router.events] == ["qua webhook", "giả mạo"]
