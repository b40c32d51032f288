"""A simulated human on the other side of the bot, for readable conversation tests.

Why: tests should read like a person using Telegram ("type this, tap that button, read the
answer") while every step still travels through the fake Bot API and PTB's real network stack.
Each action waits until the bot has finished reacting (see :meth:`FakeBotAPI.settle`), so
tests never sleep.

Example::

    an = TelegramUser(api, first_name="Nguyễn Văn An")
    await an.send("/start")
    assert "Xin chào" in an.last_text()
    await an.click("Đồng ý")          # exact, substring, or accent/case-insensitive match
    doc = an.documents()[-1]
    assert doc.filename.endswith(".docx")
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

from tests.fake_bot_api import (
    MAX_MESSAGE_LENGTH,
    CallbackQueryRecord,
    Chat,
    ChatMessage,
    FakeBotAPI,
    SentFile,
    User,
    ascii_fold,
)

__all__ = ["BotMessage", "TelegramUser", "attach_application", "running_application"]

_LOGGER = logging.getLogger(__name__)

#: A message as the user sees it (current state; ``.edits`` holds earlier versions).
BotMessage: TypeAlias = ChatMessage

#: Quiet period (s) after the bot's last output before an action counts as answered.
QUIET_WITHOUT_PROBE = 0.08
#: Shorter quiet period when ``attach_application`` gives an exact idle signal.
QUIET_WITH_PROBE = 0.03


def attach_application(api: FakeBotAPI, app: Any) -> None:
    """Wire a PTB ``Application`` to the fake for exact waiting and readable failures.

    * ``update_queue.join()`` becomes the idle probe: PTB calls ``task_done()`` only after all
      (blocking) handlers of an update returned, so it says precisely "bot is done". Handlers
      with ``block=False``, ``create_task`` and jobs are still covered by the quiet period only.
    * An error handler collects handler exceptions into ``api.bot_errors`` (and logs them, as
      PTB would without error handlers) so a crashing handler fails the test with its traceback.
    """
    api.idle_probe = app.update_queue.join

    async def collect(update: object, context: Any) -> None:
        if context.error is not None:
            api.bot_errors.append(context.error)
            _LOGGER.error("bot handler raised", exc_info=context.error)

    app.add_error_handler(collect)


@contextlib.asynccontextmanager
async def running_application(
    api: FakeBotAPI, app: Any, *, attach: bool = True, poll_timeout: int = 10
) -> AsyncIterator[Any]:
    """Run a PTB ``Application`` with long polling inside the test's event loop.

    Does what ``run_polling`` does (initialize, start, start_polling … stop, shutdown) without
    blocking or touching signal handlers. The app must have been built against ``api``, e.g.
    with ``api.application_builder()``.
    """
    if attach:
        attach_application(api, app)
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=poll_timeout)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


class TelegramUser:
    """One person chatting with the bot in one chat (private by default, or a group)."""

    def __init__(
        self,
        api: FakeBotAPI,
        user: User | None = None,
        chat: Chat | None = None,
        *,
        first_name: str = "Nguyễn Văn An",
        username: str | None = None,
        timeout: float = 5.0,
        quiet: float | None = None,
        require_callback_answer: bool = True,
        fail_on_bot_errors: bool = False,
    ) -> None:
        self.api = api
        self.user = user or api.new_user(first_name, username)
        api.users.setdefault(self.user.id, self.user)
        self.chat = chat or Chat.private(self.user)
        self.timeout = timeout
        #: ``None``: QUIET_WITH_PROBE if an idle probe is attached, else QUIET_WITHOUT_PROBE.
        self.quiet = quiet
        #: Fail an action whenever a bot handler raised during it, even if the bot still
        #: replied. Off by default (some bots re-raise on purpose after answering); either way
        #: a failed wait shows the handler's traceback.
        self.fail_on_bot_errors = fail_on_bot_errors
        #: A real user sees a spinner until the bot answers the callback query; fail if not.
        self.require_callback_answer = require_callback_answer
        #: Bot messages produced by the latest action.
        self.last_reply: list[BotMessage] = []
        #: The latest button press and how the bot answered it.
        self.last_callback: CallbackQueryRecord | None = None

    def __repr__(self) -> str:
        return f"TelegramUser({self.user.first_name!r}, chat={self.chat.id})"

    # ------------------------------------------------------------------ acting

    async def _act(
        self,
        create: Callable[[], list[dict[str, Any]]],
        *,
        expect_reply: bool,
        timeout: float | None,
        callback_id: Callable[[dict[str, Any]], str | None] | None = None,
    ) -> list[BotMessage]:
        since = self.api.last_seq
        errors_before = len(self.api.bot_errors)
        updates = create()
        cb_id = callback_id(updates[-1]) if callback_id else None
        quiet = self.quiet
        if quiet is None:
            quiet = QUIET_WITH_PROBE if self.api.idle_probe else QUIET_WITHOUT_PROBE
        try:
            self.last_reply = await self.api.settle(
                self.chat,
                since_seq=since,
                update_id=updates[-1]["update_id"],
                callback_id=cb_id,
                expect_reply=expect_reply,
                timeout=self.timeout if timeout is None else timeout,
                quiet=quiet,
            )
        except AssertionError as failure:
            self._raise_bot_errors(errors_before, str(failure))
            raise
        if self.fail_on_bot_errors:
            self._raise_bot_errors(errors_before, "the bot replied, but a handler raised")
        return self.last_reply

    def _raise_bot_errors(self, before: int, headline: str) -> None:
        """Re-raise as AssertionError carrying the first new handler traceback, if any."""
        if len(self.api.bot_errors) <= before:
            return
        error = self.api.bot_errors[before]
        trace = "".join(traceback.format_exception(error))
        raise AssertionError(
            f"{headline}\n\na bot handler raised while handling "
            f"{self.user.first_name}'s action:\n{trace}"
        ) from error

    async def send(
        self,
        text: str,
        *,
        expect_reply: bool = True,
        timeout: float | None = None,
        reply_to: BotMessage | int | None = None,
    ) -> list[BotMessage]:
        """Type ``text`` and wait for the bot's answer (new or edited messages).

        Texts over 4096 characters are split into several messages, as Telegram apps do.
        """
        chunks = [
            text[i : i + MAX_MESSAGE_LENGTH] for i in range(0, len(text), MAX_MESSAGE_LENGTH)
        ] or [text]
        reply_id = reply_to.message_id if isinstance(reply_to, ChatMessage) else reply_to

        def create() -> list[dict[str, Any]]:
            return [
                self.api.user_sends_text(
                    self.user,
                    self.chat,
                    chunk,
                    reply_to_message_id=reply_id if n == 0 else None,
                )
                for n, chunk in enumerate(chunks)
            ]

        return await self._act(create, expect_reply=expect_reply, timeout=timeout)

    async def command(
        self, name: str, *args: str, expect_reply: bool = True, timeout: float | None = None
    ) -> list[BotMessage]:
        """Send ``/name args`` — in groups as ``/name@botusername`` like the command menu does."""
        name = name.lstrip("/")
        if self.chat.type != "private":
            name = f"{name}@{self.api.bot_user.username}"
        text = " ".join([f"/{name}", *args])
        return await self.send(text, expect_reply=expect_reply, timeout=timeout)

    async def start(self, payload: str | None = None) -> list[BotMessage]:
        """Press Start (optionally with a deep-link payload)."""
        return await self.send("/start" if payload is None else f"/start {payload}")

    async def edit(
        self,
        message: BotMessage,
        new_text: str,
        *,
        expect_reply: bool = True,
        timeout: float | None = None,
    ) -> list[BotMessage]:
        """Edit one of the user's own earlier text messages (``edited_message`` update)."""

        def create() -> list[dict[str, Any]]:
            return [self.api.user_edits_text(self.user, self.chat, message.message_id, new_text)]

        return await self._act(create, expect_reply=expect_reply, timeout=timeout)

    def my_messages(self) -> list[ChatMessage]:
        """Messages this user sent in the chat, oldest first."""
        return [
            m for m in self.api.transcript(self.chat) if not m.from_bot and m.sender == self.user
        ]

    async def send_document(
        self,
        filename: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
        expect_reply: bool = True,
        timeout: float | None = None,
    ) -> list[BotMessage]:
        """Upload a file; the bot can fetch it through getFile."""

        def create() -> list[dict[str, Any]]:
            return [
                self.api.user_sends_document(
                    self.user, self.chat, filename, content, mime_type=mime_type, caption=caption
                )
            ]

        return await self._act(create, expect_reply=expect_reply, timeout=timeout)

    async def send_photo(
        self,
        content: bytes = b"\xff\xd8\xff\xe0fake-jpeg",
        *,
        caption: str | None = None,
        expect_reply: bool = True,
        timeout: float | None = None,
    ) -> list[BotMessage]:
        """Send a photo (e.g. a portrait)."""

        def create() -> list[dict[str, Any]]:
            return [self.api.user_sends_photo(self.user, self.chat, content, caption=caption)]

        return await self._act(create, expect_reply=expect_reply, timeout=timeout)

    async def send_sticker(
        self, emoji: str = "👍", *, expect_reply: bool = True, timeout: float | None = None
    ) -> list[BotMessage]:
        """Send a sticker — the classic unexpected input in the middle of a form."""

        def create() -> list[dict[str, Any]]:
            return [self.api.user_sends_sticker(self.user, self.chat, emoji)]

        return await self._act(create, expect_reply=expect_reply, timeout=timeout)

    async def send_content(
        self, content: dict[str, Any], *, expect_reply: bool = True, timeout: float | None = None
    ) -> list[BotMessage]:
        """Send any other message content in raw Bot API form (``{"location": {...}}`` …)."""

        def create() -> list[dict[str, Any]]:
            return [self.api.user_sends_message(self.user, self.chat, content)]

        return await self._act(create, expect_reply=expect_reply, timeout=timeout)

    async def share_contact(
        self, phone_number: str, *, expect_reply: bool = True, timeout: float | None = None
    ) -> list[BotMessage]:
        """Share the user's own contact, as the "request_contact" keyboard button does."""
        contact = {
            "phone_number": phone_number,
            "first_name": self.user.first_name,
            "user_id": self.user.id,
        }
        return await self.send_content(
            {"contact": contact}, expect_reply=expect_reply, timeout=timeout
        )

    async def click(
        self,
        label: str,
        *,
        message: BotMessage | None = None,
        expect_reply: bool = True,
        timeout: float | None = None,
    ) -> list[BotMessage]:
        """Tap the button whose label matches ``label`` and wait for the bot's reaction.

        Looks at the inline keyboard of ``message`` (default: the most recent bot message that
        has one), then at the active reply keyboard. Matching tries, in order: exact label,
        substring, then the same two ignoring case and Vietnamese diacritics. Returns the bot
        messages sent or edited in response (the edited message itself included).
        """
        inline_msg = message or self._latest_inline_message()
        inline = [b for row in inline_msg.inline_keyboard for b in row] if inline_msg else []
        button = _match_button(inline, label)
        if button is not None:
            assert inline_msg is not None
            return await self._press_inline(inline_msg, button, expect_reply, timeout)
        reply_kb = [] if message is not None else self.reply_keyboard_buttons()
        button = _match_button(reply_kb, label)
        if button is None:
            available = [b.get("text", "") for b in inline] + [b["text"] for b in reply_kb]
            raise AssertionError(
                f"no button matching {label!r}; visible buttons: {available}\n"
                f"transcript tail:\n{self.format_transcript()}"
            )
        if button.get("request_contact"):
            return await self.share_contact("+84901234567", expect_reply=expect_reply)
        if button.get("request_location"):
            location = {"latitude": 21.0285, "longitude": 105.8542}
            return await self.send_content({"location": location}, expect_reply=expect_reply)
        return await self.send(button["text"], expect_reply=expect_reply, timeout=timeout)

    async def _press_inline(
        self,
        message: BotMessage,
        button: dict[str, Any],
        expect_reply: bool,
        timeout: float | None,
    ) -> list[BotMessage]:
        if "callback_data" not in button:
            kinds = sorted(set(button) - {"text"})
            raise AssertionError(
                f"button {button.get('text')!r} is not a callback button ({kinds}); "
                "the fake cannot follow it"
            )

        created: list[dict[str, Any]] = []

        def create() -> list[dict[str, Any]]:
            update = self.api.user_clicks(
                self.user, self.chat, message.message_id, button["callback_data"]
            )
            created.append(update)
            return [update]

        result = await self._act(
            create,
            expect_reply=expect_reply,
            timeout=timeout,
            callback_id=lambda update: update["callback_query"]["id"],
        )
        query = self.api.callback_queries[created[0]["callback_query"]["id"]]
        self.last_callback = query
        if self.require_callback_answer and not query.answered:
            raise AssertionError(
                f"bot never answered the callback query for button {button.get('text')!r} "
                "(the user keeps seeing a loading spinner); call query.answer()\n"
                f"transcript tail:\n{self.format_transcript()}"
            )
        return result

    async def wait_for_message(
        self,
        predicate: Callable[[BotMessage], bool] | None = None,
        *,
        timeout: float | None = None,
    ) -> BotMessage:
        """Wait for a message the bot sends on its own (reminders, jobs) — no action first."""
        return await self.api.wait_for_bot_message(
            self.chat, predicate, timeout=self.timeout if timeout is None else timeout
        )

    async def block_bot(self) -> None:
        """Block the bot (Telegram sends my_chat_member "kicked"); later sends get 403."""
        update = self.api.user_blocks_bot(self.user)
        await self.api.wait_for_update_ack(update["update_id"], self.timeout)
        await self._wait_idle()

    async def _wait_idle(self) -> None:
        probe: Callable[[], Awaitable[object]] | None = self.api.idle_probe
        if probe is not None:
            await probe()

    # ------------------------------------------------------------------ reading

    def transcript(self) -> list[BotMessage]:
        """Everything visible in this chat, both directions, oldest first."""
        return self.api.transcript(self.chat)

    def bot_messages(self) -> list[BotMessage]:
        """The bot's messages in this chat, oldest first."""
        return self.api.bot_messages(self.chat)

    def last_message(self) -> BotMessage:
        """The bot's most recent visible message."""
        messages = self.bot_messages()
        if not messages:
            raise AssertionError(f"the bot has not said anything in chat {self.chat.id}")
        return messages[-1]

    def last_text(self) -> str:
        """Visible text (or caption) of the bot's most recent message."""
        return self.last_message().content

    def texts(self) -> list[str]:
        """Visible texts of all bot messages, oldest first."""
        return [m.content for m in self.bot_messages()]

    def _latest_inline_message(self) -> BotMessage | None:
        for message in reversed(self.bot_messages()):
            if message.inline_keyboard:
                return message
        return None

    def buttons(self, message: BotMessage | None = None) -> list[str]:
        """Labels of the latest inline keyboard (or of ``message``), row by row flattened."""
        target = message or self._latest_inline_message()
        return target.button_labels if target else []

    def button_rows(self, message: BotMessage | None = None) -> list[list[str]]:
        """Labels of the latest inline keyboard, keeping the row layout."""
        target = message or self._latest_inline_message()
        if target is None:
            return []
        return [[b.get("text", "") for b in row] for row in target.inline_keyboard]

    def reply_keyboard_buttons(self) -> list[dict[str, Any]]:
        """Buttons of the reply keyboard currently shown under the input field (if any)."""
        for message in reversed(self.bot_messages()):
            markup = message.reply_markup or {}
            if "keyboard" in markup:
                return [b for row in message.reply_keyboard for b in row]
            if markup.get("remove_keyboard"):
                return []
        return []

    def documents(self) -> list[SentFile]:
        """Documents the bot sent to this chat, with their bytes."""
        return [m.document for m in self.bot_messages() if m.document is not None]

    def photos(self) -> list[SentFile]:
        """Photos the bot sent to this chat, with their bytes."""
        return [m.photo for m in self.bot_messages() if m.photo is not None]

    def format_transcript(self, last: int = 12) -> str:
        """The last ``last`` messages as text, for assertion messages and debugging."""
        return self.api.format_transcript(self.chat, last)


def _match_button(buttons: list[dict[str, Any]], label: str) -> dict[str, Any] | None:
    """Find one button by label: exact → substring → folded exact → folded substring."""
    folded = ascii_fold(label)
    levels: list[Callable[[str], bool]] = [
        lambda text: text == label,
        lambda text: label in text,
        lambda text: ascii_fold(text) == folded,
        lambda text: folded in ascii_fold(text),
    ]
    for matches in levels:
        found = [b for b in buttons if matches(str(b.get("text", "")))]
        if len(found) == 1 or (found and matches is levels[0]):
            return found[0]
        if len(found) > 1:
            labels = [b.get("text") for b in found]
            raise AssertionError(f"label {label!r} is ambiguous: matches {labels}")
    return None
