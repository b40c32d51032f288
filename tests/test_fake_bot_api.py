"""Self-tests of the fake Telegram Bot API and the simulated user.

Why: every conversation test of the product relies on these two modules, so they are checked
here against a real python-telegram-bot ``Application`` (real HTTP, real long polling and a
real webhook server) with a tiny echo bot defined in this file.
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from tests.fake_bot_api import Chat, FakeBotAPI
from tests.tg_client import TelegramUser, attach_application, running_application

# ------------------------------------------------------------------------------------------
# A tiny echo bot
# ------------------------------------------------------------------------------------------


def build_app(api: FakeBotAPI) -> Application:
    """An Application pointed at the fake, with handlers covering the features under test."""
    app: Application = api.application_builder().build()
    seen: list[int] = []
    app.bot_data["seen_update_ids"] = seen

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Đồng ý", callback_data="yes"),
                    InlineKeyboardButton("Không đồng ý", callback_data="no"),
                ]
            ]
        )
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            "Xin chào bạn! Bạn có đồng ý?", reply_markup=keyboard
        )

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"Bạn chọn {query.data}")
        await query.edit_message_text(f"Đã chọn: {query.data}")

    async def send_doc(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        import docx

        document = docx.Document()
        document.add_paragraph("Mẫu 2-KNĐ: Nguyễn Văn An")
        buffer = io.BytesIO()
        document.save(buffer)
        assert update.effective_chat is not None
        await context.bot.send_document(
            update.effective_chat.id,
            buffer.getvalue(),
            filename="ho_so.docx",
            caption="Hồ sơ của bạn",
        )

    async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton("Nam"), KeyboardButton("Nữ")]], one_time_keyboard=True
        )
        assert update.effective_message is not None
        await update.effective_message.reply_text("Giới tính?", reply_markup=keyboard)

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.document is not None
        file = await update.message.document.get_file()
        data = await file.download_as_bytearray()
        await update.message.reply_text(f"Đã nhận {len(data)} byte: {bytes(data[:5]).decode()}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        await message.reply_text(f"Bạn nói: {message.text[:200]}")

    async def on_added(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "Cảm ơn đã thêm tôi!")

    async def boom(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        raise RuntimeError("kaboom in handler")

    app.add_handler(TypeHandler(Update, record), group=-1)
    app.add_handler(CommandHandler("boom", boom))
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("doc", send_doc))
    app.add_handler(CommandHandler("menu", menu))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(ChatMemberHandler(on_added, ChatMemberHandler.MY_CHAT_MEMBER))
    return app


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def app(api: FakeBotAPI) -> AsyncIterator[Application]:
    async with running_application(api, build_app(api)) as application:
        yield application


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------------------------------
# Round trips through PTB
# ------------------------------------------------------------------------------------------


async def test_text_round_trip(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api, first_name="Nguyễn Văn An")
    replies = await an.send("Tôi sinh ngày 12/05/1990")
    assert [m.text for m in replies] == ["Bạn nói: Tôi sinh ngày 12/05/1990"]
    assert an.last_text() == "Bạn nói: Tôi sinh ngày 12/05/1990"
    call = api.calls_to("sendMessage")[-1]
    assert call.params["chat_id"] == an.user.id  # form-encoded "123" decoded to int
    assert [m.from_bot for m in an.transcript()] == [False, True]
    assert api.calls_to("getMe") and api.calls_to("deleteWebhook")
    assert not api.failed_calls()


async def test_long_text_is_split_and_edits_are_delivered(
    api: FakeBotAPI, app: Application
) -> None:
    an = TelegramUser(api)
    replies = await an.send("a" * 5000)  # a Telegram app splits it into two messages
    assert [len(m.text or "") for m in an.my_messages()] == [4096, 904]
    assert len(replies) == 2
    [reply] = await an.edit(an.my_messages()[0], "đã sửa")
    assert reply.text == "Bạn nói: đã sửa"  # echo handles edited_message too


async def test_button_click_round_trip(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    [greeting] = await an.start()
    assert greeting.text == "Xin chào bạn! Bạn có đồng ý?"
    assert an.buttons() == ["Đồng ý", "Không đồng ý"]

    replies = await an.click("dong y")  # accent/case-insensitive, unambiguous exact fold
    assert [m.text for m in replies] == ["Đã chọn: yes"]
    assert replies[0] is greeting  # edited in place, history kept
    assert greeting.edits[0].text == "Xin chào bạn! Bạn có đồng ý?"
    assert an.last_callback is not None and an.last_callback.answer_text == "Bạn chọn yes"
    assert an.buttons() == []  # editMessageText without reply_markup drops the keyboard
    assert api.unanswered_callback_queries() == []


async def test_click_helpers_fail_clearly(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    await an.start()
    with pytest.raises(AssertionError, match="ambiguous"):
        await an.click("ng y")  # substring of both "Đồng ý" and "Không đồng ý"
    with pytest.raises(AssertionError, match="no button matching 'Hủy'"):
        await an.click("Hủy")
    with pytest.raises(ValueError, match="no button with callback_data"):
        api.user_clicks(an.user, None, an.last_message().message_id, "forged")


async def test_reply_keyboard_button_sends_its_text(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    await an.command("menu")
    assert [b["text"] for b in an.reply_keyboard_buttons()] == ["Nam", "Nữ"]
    replies = await an.click("nu")
    assert replies[-1].text == "Bạn nói: Nữ"


async def test_send_document_upload_bytes_read_back(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    [message] = await an.send("/doc")
    assert message.kind == "document" and message.caption == "Hồ sơ của bạn"
    [doc] = an.documents()
    assert doc.filename == "ho_so.docx"
    assert doc.content.startswith(b"PK")  # raw multipart bytes kept intact
    assert doc.as_docx().paragraphs[0].text == "Mẫu 2-KNĐ: Nguyễn Văn An"
    call = api.calls_to("sendDocument")[-1]
    assert "document" in call.files and call.params["caption"] == "Hồ sơ của bạn"


async def test_user_document_downloadable_by_bot(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    replies = await an.send_document("cv.txt", b"hello world", caption="CV")
    assert replies[-1].text == "Đã nhận 11 byte: hello"
    assert api.calls_to("getFile")


async def test_sticker_and_group_command(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    assert await an.send_sticker(expect_reply=False) == []  # echo bot ignores stickers

    group = api.new_group("Chi bộ 1")
    member = TelegramUser(api, chat=group, first_name="Trần Thị Bình")
    await member.command("start")  # "/start@knd_test_bot", accepted by CommandHandler
    assert api.transcript(group)[0].text == "/start@knd_test_bot"
    assert api.transcript(group)[0].entities[0]["type"] == "bot_command"
    assert member.buttons() == ["Đồng ý", "Không đồng ý"]


async def test_handler_crash_fails_with_traceback(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    with pytest.raises(AssertionError, match=r"(?s)sent nothing.*handler raised.*kaboom"):
        await an.send("/boom")  # instead of a bare "no reply", the failure shows the traceback
    assert await an.send("vẫn sống") != []  # the bot keeps serving after the error
    assert await an.send("/boom", expect_reply=False) == []  # tolerated unless strict
    strict = TelegramUser(api, user=an.user, fail_on_bot_errors=True)
    with pytest.raises(AssertionError, match=r"(?s)handler raised.*kaboom"):
        await strict.send("/boom", expect_reply=False)


async def test_wait_for_unprompted_message(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    await an.send("hi")
    reminder = asyncio.create_task(app.bot.send_message(an.chat.id, "Nhắc: hạn nộp hồ sơ"))
    message = await an.wait_for_message(lambda m: m.content.startswith("Nhắc"))
    assert message.text == "Nhắc: hạn nộp hồ sơ"
    await reminder


async def test_bot_added_to_group(api: FakeBotAPI, app: Application) -> None:
    admin = api.new_user("Lê Văn Cường")
    group = api.new_group("Chi bộ 2")
    since = api.last_seq
    update = api.bot_added_to_group(admin, group)
    [message] = await api.settle(group, since_seq=since, update_id=update["update_id"])
    assert message.text == "Cảm ơn đã thêm tôi!"


# ------------------------------------------------------------------------------------------
# Limits enforced like Telegram
# ------------------------------------------------------------------------------------------


async def test_message_length_limits(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    await an.send("hi")
    chat_id = an.chat.id
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await app.bot.send_message(chat_id, "x" * 5000)
    ok = await app.bot.send_message(chat_id, "ă" * 4096)
    assert len(ok.text or "") == 4096
    # Surrounding whitespace does not count, and is trimmed as Telegram does.
    padded = await app.bot.send_message(chat_id, f"  {'y' * 4096}\n")
    assert padded.text == "y" * 4096
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await app.bot.send_message(chat_id, "   ")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await app.bot.send_document(chat_id, b"abc", filename="a.txt", caption="c" * 1025)
    # The bot sends plain text: markup it would start sending is refused, not ignored.
    with pytest.raises(BadRequest, match=r"does not model parse_mode"):
        await app.bot.send_message(chat_id, "<b>1</b>", parse_mode=ParseMode.HTML)


async def test_callback_data_limit_is_64_bytes(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    await an.send("hi")

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data=data)]])

    await app.bot.send_message(an.chat.id, "ok", reply_markup=keyboard("đ" * 32))  # 64 bytes
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await app.bot.send_message(an.chat.id, "no", reply_markup=keyboard("a" * 65))
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await app.bot.send_message(an.chat.id, "no", reply_markup=keyboard("đ" * 33))  # 33 chars


async def test_edits_callbacks_chats_and_blocking(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    await an.send("hi")
    bot = app.bot
    message = await bot.send_message(an.chat.id, "Bước 1")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Bước 1", chat_id=an.chat.id, message_id=message.message_id)
    await bot.edit_message_text("Bước 2", chat_id=an.chat.id, message_id=message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=an.chat.id, message_id=9999)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "hello?")
    with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
        await bot.answer_callback_query("123")
    await bot.delete_message(an.chat.id, message.message_id)
    assert api.message(an.chat, message.message_id).deleted

    await an.block_bot()
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(an.chat.id, "còn đó không?")


async def test_group_upgraded_to_a_supergroup(api: FakeBotAPI, app: Application) -> None:
    admin = api.new_user("Bí thư")
    old = api.new_group("Chi bộ", supergroup=False)
    api.set_member_status(old, admin, "creator")
    new, (moved_to, joined, moved_from) = api.upgrade_to_supergroup(admin, old)
    assert (new.type, new.title, new.id != old.id) == ("supergroup", "Chi bộ", True)
    assert moved_to["message"]["chat"]["id"] == old.id
    assert moved_to["message"]["from"]["id"] == admin.id
    assert moved_to["message"]["migrate_to_chat_id"] == new.id
    assert joined["my_chat_member"]["chat"]["id"] == new.id
    assert joined["my_chat_member"]["new_chat_member"]["status"] == "member"
    assert moved_from["message"]["chat"]["id"] == new.id
    assert moved_from["message"]["sender_chat"]["id"] == new.id
    assert moved_from["message"]["from"]["username"] == "GroupAnonymousBot"
    assert moved_from["message"]["migrate_from_chat_id"] == old.id
    with pytest.raises(ChatMigrated) as refused:
        await app.bot.send_message(old.id, "còn ở đây không?")
    assert refused.value.new_chat_id == new.id
    sent = await app.bot.send_message(new.id, "ở nhóm mới")
    assert sent.chat.id == new.id and api.bot_messages(new)[-1].text == "ở nhóm mới"
    with pytest.raises(ValueError, match="upgraded"):
        api.user_sends_text(admin, old, "nhắn vào nhóm cũ")
    with pytest.raises(ValueError, match="basic group"):
        api.upgrade_to_supergroup(admin, new)


async def test_answer_text_limit_and_injected_failures(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api, require_callback_answer=False)
    await an.start()
    update = api.user_clicks(an.user, None, an.last_message().message_id, "yes")
    query_id = update["callback_query"]["id"]
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await app.bot.answer_callback_query(query_id, "x" * 201)

    api.fail_next("sendMessage", retry_after=7)
    with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
        await app.bot.send_message(an.chat.id, "x")
    await app.bot.send_message(an.chat.id, "second try works")


async def test_chat_and_member_lookup(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    await an.send("hi")
    chat = await app.bot.get_chat(an.chat.id)
    assert chat.type == "private" and chat.first_name == an.user.first_name
    member = await app.bot.get_chat_member(an.chat.id, an.user.id)
    assert member.status == "member" and member.user.id == an.user.id
    group = api.new_group()
    api.register_chat(group)
    api.set_member_status(group, an.user, "administrator")
    admin = await app.bot.get_chat_member(group.id, an.user.id)
    assert admin.status == "administrator"
    await app.bot.send_chat_action(group.id, "typing")
    assert api.chat_events(group)[-1].kind == "chat_action"


async def test_set_my_commands_recorded(api: FakeBotAPI, app: Application) -> None:
    await app.bot.set_my_commands([BotCommand("start", "Bắt đầu"), BotCommand("huy", "Hủy")])
    await app.bot.set_my_commands(
        [BotCommand("khai", "Khai lý lịch")], scope=BotCommandScopeAllPrivateChats()
    )
    assert api.my_commands() == [
        {"command": "start", "description": "Bắt đầu"},
        {"command": "huy", "description": "Hủy"},
    ]
    assert api.my_commands({"type": "all_private_chats"})[0]["command"] == "khai"
    fetched = await app.bot.get_my_commands()
    assert [c.command for c in fetched] == ["start", "huy"]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await app.bot.set_my_commands([BotCommand("Bad-Name", "x")])
    await app.bot.delete_my_commands()
    assert api.my_commands() == []


# ------------------------------------------------------------------------------------------
# Update delivery semantics
# ------------------------------------------------------------------------------------------


async def test_duplicate_update_id_delivered_twice(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    await an.send("hi")  # makes the chat known and gives a realistic message to copy
    raw = api.updates[-1].payload
    duplicate = {**raw, "update_id": raw["update_id"]}

    since = api.last_seq
    api.inject_update(duplicate)
    await api.settle(an.chat, since_seq=since, update_id=raw["update_id"])
    seen = app.bot_data["seen_update_ids"]
    assert seen.count(raw["update_id"]) == 2  # the fake does not dedupe; that is the bot's job
    assert an.texts() == ["Bạn nói: hi", "Bạn nói: hi"]


async def test_latency_is_recorded(api: FakeBotAPI, app: Application) -> None:
    an = TelegramUser(api)
    await an.send("đo độ trễ")
    record = api.updates[-1]
    assert record.delivered_at is not None and record.acked_at is not None
    assert record.latency is not None and 0 < record.latency < 2
    assert record.first_reply_method == "sendMessage"
    assert api.latencies() == [record.latency]


async def test_raw_http_formats_and_long_poll(api: FakeBotAPI) -> None:
    """No PTB here: check the wire format directly (JSON, form, multipart, errors, long poll)."""
    user = api.new_user("An")
    api.register_chat(Chat.private(user))
    url = f"{api.base_url}{api.token}"
    keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{url}/sendMessage",
            json={"chat_id": user.id, "text": "json", "reply_markup": keyboard},
        ) as response:
            body = await response.json()
            assert response.status == 200 and body["ok"] is True
            assert body["result"]["reply_markup"] == keyboard
            assert body["result"]["from"]["is_bot"] is True
        form = {"chat_id": str(user.id), "text": "form", "reply_markup": json.dumps(keyboard)}
        async with http.post(f"{url}/SENDMESSAGE", data=form) as response:
            assert (await response.json())["result"]["message_id"] == 2
        multipart = aiohttp.FormData()
        multipart.add_field("chat_id", str(user.id))
        multipart.add_field("document", b"\x00\x01raw", filename="a.bin")
        async with http.post(f"{url}/sendDocument", data=multipart) as response:
            result = (await response.json())["result"]
            assert result["document"]["file_name"] == "a.bin"
        assert api.bot_messages(user.id)[-1].document.content == b"\x00\x01raw"  # type: ignore[union-attr]

        async with http.post(f"{url}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.post(f"{api.base_url}1:wrong/getMe") as response:
            assert response.status == 401
        async with http.post(f"{url}/sendMessage", json={"chat_id": 1, "text": "x"}) as response:
            assert response.status == 400
            assert (await response.json())["description"] == "Bad Request: chat not found"

        async def get_updates(**params: Any) -> dict[str, Any]:
            async with http.post(f"{url}/getUpdates", json=params) as response:
                return dict(await response.json())

        def polls_waiting() -> int:
            return sum(c.finished_at is None for c in api.calls_to("getUpdates"))

        # A newer getUpdates terminates a pending one with 409, like Telegram.
        first = asyncio.create_task(get_updates(timeout=5))
        await api.wait_for(lambda: polls_waiting() == 1)
        assert (await get_updates(timeout=0))["result"] == []
        assert (await first)["error_code"] == 409

        # Long poll: held until an update arrives, not until the timeout.
        started = time.monotonic()
        poll = asyncio.create_task(get_updates(timeout=5))
        await api.wait_for(lambda: polls_waiting() == 1)
        update = api.user_sends_text(user, None, "/start ref42")
        updates = (await poll)["result"]
        assert time.monotonic() - started < 2
        assert [u["update_id"] for u in updates] == [update["update_id"]]
        assert updates[0]["message"]["entities"] == [
            {"type": "bot_command", "offset": 0, "length": 6}
        ]
        # Not confirmed yet → delivered again; offset confirms it.
        assert len((await get_updates(timeout=0))["result"]) == 1
        assert (await get_updates(offset=update["update_id"] + 1))["result"] == []
        assert api.pending_updates() == []


# ------------------------------------------------------------------------------------------
# Webhook mode
# ------------------------------------------------------------------------------------------


async def test_webhook_mode(api: FakeBotAPI) -> None:
    application = build_app(api)
    attach_application(api, application)
    port = free_port()
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_webhook(
        listen="127.0.0.1", port=port, url_path="tg-hook", secret_token="s3cr3t-token"
    )
    try:
        info = await application.bot.get_webhook_info()
        assert info.url == f"http://127.0.0.1:{port}/tg-hook"

        an = TelegramUser(api)
        replies = await an.send("qua webhook")
        assert replies[-1].text == "Bạn nói: qua webhook"
        assert api.webhook_deliveries[-1].status == 200

        seen = application.bot_data["seen_update_ids"]
        forged = {**api.updates[-1].payload, "update_id": 999_999_999}
        assert await api.deliver_to_webhook(forged, secret_token="wrong") == 403
        assert await api.deliver_to_webhook(forged, secret_token=None) == 403
        assert 999_999_999 not in seen

        with pytest.raises(Conflict, match="webhook is active"):
            await application.bot.get_updates()
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_webhook_retries_then_reports_error(api: FakeBotAPI) -> None:
    api.webhook_max_attempts, api.webhook_retry_delay = 3, 0.001
    bot = api.application_builder().build().bot
    async with bot:
        await bot.set_webhook(f"http://127.0.0.1:{free_port()}/nobody-listens", secret_token="t")
        user = api.new_user()
        update = api.user_sends_text(user, None, "xin chào")
        await api.wait_for_update_ack(update["update_id"])
        record = api.updates[-1]
        assert record.dropped and record.delivery_count == 3
        assert [d.status for d in api.webhook_deliveries] == [None, None, None]
        info = await bot.get_webhook_info()
        assert info.last_error_message and info.last_error_message.startswith("Connection failed")
        with pytest.raises(BadRequest, match=r"(?i)loopback"):
            await bot.set_webhook("https://example.com/hook")
