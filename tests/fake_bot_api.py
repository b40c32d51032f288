"""A local, in-process fake of the Telegram Bot API for end-to-end tests.

Why: conversation tests must exercise the bot exactly as production does — PTB's real
HTTP stack, real (de)serialisation, long polling or webhooks — without network access.
This server listens on 127.0.0.1 only, speaks the Bot API wire format, enforces the limits
that most often break bots in production (text length, callback_data size, "message is not
modified", unknown chats, blocked users) and records everything the bot does so tests can
assert on it. It implements what the bot uses and refuses the rest loudly: the bot sends plain
text, so ``parse_mode`` and ``entities`` are refused rather than parsed (HTML and MarkdownV2
parsers were removed with nothing to test them on).

Typical use::

    async with FakeBotAPI() as api:
        app = (ApplicationBuilder().token(api.token).base_url(api.base_url)
               .base_file_url(api.base_file_url).build())
        ...
        user = api.new_user("An")
        api.user_sends_text(user, None, "/start")
        await api.wait_for_bot_message(user.id)

The test-side helpers (``user_sends_*``, ``inject_update`` …) are synchronous: they only queue
an update and wake pending long polls. Waiting helpers are ``async`` and event driven.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import mimetypes
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "ApiError",
    "CallbackQueryRecord",
    "Chat",
    "ChatEvent",
    "ChatMessage",
    "FakeBotAPI",
    "MessageEdit",
    "SentFile",
    "UpdateRecord",
    "User",
    "WebhookDelivery",
    "ascii_fold",
]

_LOGGER = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:TEST-fake_token-ABCdefGHIjklMNOpqr"

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

#: Update types Telegram delivers when ``allowed_updates`` was never set (or set to ``[]``).
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

#: Chat events that are visible output of the bot (count as "the bot replied").
OUTPUT_EVENTS = frozenset({"bot_message", "edit", "delete"})


# --------------------------------------------------------------------------------------------
# Plain data: users, chats, messages, files, logs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """A Telegram account. Frozen so it can be used as a dict key and shared freely."""

    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "vi"
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        """Serialise as the Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data

    @property
    def full_name(self) -> str:
        """First and last name, as Telegram clients display it."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


#: The account Telegram shows as the sender of messages sent "as the group" (anonymous
#: admins, the migration notice in a new supergroup).
GROUP_ANONYMOUS_BOT = User(
    id=1087968824, first_name="Group", username="GroupAnonymousBot", is_bot=True, language_code=None
)

ChatType = Literal["private", "group", "supergroup", "channel"]


@dataclass(frozen=True)
class Chat:
    """A chat. For private chats the id equals the user's id, like in Telegram."""

    id: int
    type: ChatType = "private"
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    @classmethod
    def private(cls, user: User) -> Chat:
        """The private chat between ``user`` and the bot."""
        return cls(
            id=user.id,
            type="private",
            username=user.username,
            first_name=user.first_name,
            last_name=user.last_name,
        )

    def to_api(self) -> dict[str, Any]:
        """Serialise as the Bot API ``Chat`` object."""
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value:
                data[key] = value
        return data


@dataclass(eq=False)
class SentFile:
    """A file that travelled through the fake (uploaded by the bot or sent by a user).

    ``content`` holds the raw bytes so a test can open e.g. a generated .docx.
    """

    file_id: str
    file_unique_id: str
    filename: str | None
    content: bytes
    mime_type: str | None = None
    caption: str | None = None
    url: str | None = None
    file_path: str = ""

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.content)

    def as_docx(self) -> Any:
        """Open the bytes with python-docx (imported lazily: only tests about .docx need it)."""
        import io

        import docx

        return docx.Document(io.BytesIO(self.content))

    def to_document(self) -> dict[str, Any]:
        """Serialise as the Bot API ``Document`` object."""
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.filename:
            data["file_name"] = self.filename
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data

    def to_photo(self) -> list[dict[str, Any]]:
        """Serialise as a list of ``PhotoSize`` (one thumbnail, one full size)."""
        width, height = _image_size(self.content)
        base = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        return [
            {
                **base,
                "file_id": self.file_id + "_s",
                "file_unique_id": self.file_unique_id + "s",
                "width": max(1, width // 4),
                "height": max(1, height // 4),
                "file_size": max(1, self.size // 16),
            },
            {**base, "width": width, "height": height, "file_size": self.size},
        ]


@dataclass
class MessageEdit:
    """A previous version of a message, kept so tests can see how a message evolved."""

    text: str | None
    caption: str | None
    reply_markup: dict[str, Any] | None
    at: float
    method: str


@dataclass(eq=False)
class ChatMessage:
    """One message in a chat transcript (from the bot or from a user), in its current state."""

    chat: Chat
    message_id: int
    sender: User
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: SentFile | None = None
    photo: SentFile | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    reply_to_message_id: int | None = None
    edits: list[MessageEdit] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False
    sent_at: float = 0.0
    #: sent with ``protect_content`` (no forwarding or saving; Telegram answers it back as
    #: ``has_protected_content``)
    protected: bool = False

    @property
    def chat_id(self) -> int:
        """Id of the chat the message lives in."""
        return self.chat.id

    @property
    def content(self) -> str:
        """What a person reads: the text, else the caption, else ``""``."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        """Rows of inline buttons (empty if the message has none)."""
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return self.reply_markup["inline_keyboard"]
        return []

    @property
    def reply_keyboard(self) -> list[list[dict[str, Any]]]:
        """Rows of reply-keyboard buttons, normalised to dicts with ``text``."""
        if self.reply_markup and "keyboard" in self.reply_markup:
            return [
                [b if isinstance(b, dict) else {"text": str(b)} for b in row]
                for row in self.reply_markup["keyboard"]
            ]
        return []

    @property
    def button_labels(self) -> list[str]:
        """Labels of all inline buttons, row by row."""
        return [b.get("text", "") for row in self.inline_keyboard for b in row]

    @property
    def kind(self) -> str:
        """``text``, ``document``, ``photo`` or the first extra content key (``sticker`` …)."""
        if self.document is not None:
            return "document"
        if self.photo is not None:
            return "photo"
        if self.text is not None:
            return "text"
        return next(iter(self.extra), "unknown")

    def to_api(self, bot_user: User) -> dict[str, Any]:
        """Serialise as the Bot API ``Message`` object, as Telegram would return it."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat.to_api(),
            "from": (bot_user if self.from_bot else self.sender).to_api(),
        }
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.caption is not None:
            data["caption"] = self.caption
        if self.document is not None:
            data["document"] = self.document.to_document()
        if self.photo is not None:
            data["photo"] = self.photo.to_photo()
        data.update(self.extra)
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.protected:
            data["has_protected_content"] = True
        # Telegram only echoes inline keyboards back inside Message objects.
        if self.inline_keyboard:
            data["reply_markup"] = {"inline_keyboard": self.inline_keyboard}
        return data


@dataclass
class ApiCall:
    """One HTTP call the bot made, for assertions and latency measurements."""

    method: str
    params: dict[str, Any]
    files: dict[str, SentFile]
    started_at: float
    finished_at: float | None = None
    ok: bool | None = None
    http_status: int | None = None
    description: str | None = None
    result: Any = None

    @property
    def duration(self) -> float | None:
        """Server-side handling time (long polls included)."""
        return None if self.finished_at is None else self.finished_at - self.started_at


@dataclass
class UpdateRecord:
    """An update created by the test, with delivery timing.

    ``delivered_at`` is when the update was first handed to the bot (returned by getUpdates or
    POSTed to the webhook); ``acked_at`` when the bot confirmed it (next getUpdates offset, or a
    2xx webhook answer); ``first_reply_at`` when the bot's first output to that chat arrived
    after delivery.
    """

    update_id: int
    payload: dict[str, Any]
    chat_id: int | None
    type: str
    created_at: float
    delivered_at: float | None = None
    delivery_count: int = 0
    acked_at: float | None = None
    dropped: bool = False
    first_reply_at: float | None = None
    first_reply_method: str | None = None

    @property
    def latency(self) -> float | None:
        """Seconds from hand-over to the bot until its first reply in that chat."""
        if self.delivered_at is None or self.first_reply_at is None:
            return None
        return self.first_reply_at - self.delivered_at


@dataclass
class CallbackQueryRecord:
    """A button press and whether/how the bot answered it."""

    id: str
    user: User
    chat_id: int
    message_id: int
    data: str
    created_at: float
    answered: bool = False
    answered_at: float | None = None
    answer_text: str | None = None
    show_alert: bool = False
    answer_url: str | None = None


@dataclass
class ChatEvent:
    """Something that happened in a chat; ``seq`` is global and strictly increasing."""

    seq: int
    chat_id: int
    # user_message | user_edit | bot_message | edit | delete | callback_answer | chat_action
    kind: str
    message_id: int | None
    at: float
    detail: str | None = None


@dataclass
class WebhookDelivery:
    """One attempt to POST an update to the bot's webhook."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    at: float


class ApiError(Exception):
    """Raised inside method handlers; becomes an ``{"ok": false}`` answer."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class _ChatState:
    chat: Chat
    next_message_id: int = 1
    messages: list[ChatMessage] = field(default_factory=list)
    by_id: dict[int, ChatMessage] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    blocked: bool = False
    migrated_to: int | None = None  # a group upgraded to this supergroup id


@dataclass
class _Webhook:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Failure:
    error_code: int
    description: str
    retry_after: int | None
    remaining: int


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _u16len(text: str) -> int:
    """Length in UTF-16 code units: Telegram's unit for entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def ascii_fold(text: str) -> str:
    """Casefold and strip Vietnamese diacritics (``"Đồng ý"`` → ``"dong y"``) for fuzzy matches."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def _image_size(content: bytes) -> tuple[int, int]:
    """PNG dimensions so PhotoSize looks plausible (the bot sends PNG charts); 512x512 else."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    return 512, 512


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------


_COMMAND_RE = re.compile(
    r"(?<![^\s(])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?(?![A-Za-z0-9_/@])"
)


def _command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities as Telegram's servers add them to user text (UTF-16 offsets)."""
    return [
        {
            "type": "bot_command",
            "offset": _u16len(text[: m.start()]),
            "length": _u16len(m.group(0)),
        }
        for m in _COMMAND_RE.finditer(text)
    ]


# --------------------------------------------------------------------------------------------
# Parameter decoding
# --------------------------------------------------------------------------------------------

_JSON_FIELDS = frozenset(
    {"reply_markup", "reply_parameters", "allowed_updates", "commands", "scope"}
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "user_id",
        "cache_time",
        "max_connections",
    }
)
_FLOAT_FIELDS = frozenset({"timeout"})
_BOOL_FIELDS = frozenset({"show_alert", "drop_pending_updates", "protect_content"})
#: Parameters whose behaviour the fake does not model. They are refused, so a bot that starts
#: sending one gets a failing test rather than a fake that silently ignores it (the bot sends
#: plain text and never edits inline messages).
UNMODELLED_PARAMETERS = (
    "parse_mode",
    "entities",
    "caption_entities",
    "inline_message_id",
    "drop_pending_updates",
)


def _coerce(name: str, value: Any) -> Any:
    """Decode one form field the way the Bot API does: by its documented type."""
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError as exc:
            raise _bad(f"can't parse {name} JSON object") from exc
    if name in _INT_FIELDS or name in _FLOAT_FIELDS:
        try:
            return int(value) if name in _INT_FIELDS else float(value)
        except ValueError as exc:
            raise _bad(f"{name} must be a number") from exc
    if name in _BOOL_FIELDS:
        return value.strip().lower() in ("true", "1")
    return value


_METHODS: dict[str, str] = {}  # lowercase -> canonical; filled after FakeBotAPI below


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeBotAPI:
    """Fake Telegram Bot API server plus the test-side controls that play the users.

    Bot-facing: HTTP routes ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``.
    Test-facing: ``user_sends_*``/``user_clicks``/``inject_update`` create updates; ``calls``,
    ``transcript()``, ``updates`` and ``events`` record what happened; ``wait_for*`` and
    ``settle`` wait for the bot without fixed sleeps.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "knd_test_bot",
        bot_first_name: str = "KND Test Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_max_attempts: int = 5,
        webhook_retry_delay: float = 0.05,
        response_delay: float = 0.0,
        webhook_connections: int = 1,
    ) -> None:
        if not re.fullmatch(r"\d+:[A-Za-z0-9_-]+", token):
            raise ValueError(f"token {token!r} does not look like '<bot id>:<secret>'")
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the fake Bot API only ever binds to the loopback interface")
        self.token = token
        self.bot_user = User(
            id=int(token.split(":", 1)[0]),
            first_name=bot_first_name,
            username=bot_username,
            is_bot=True,
            language_code=None,
        )
        self.host = host
        self.port = port
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        #: Updates POSTed at once, at most setWebhook's ``max_connections`` (Telegram opens up
        #: to that many connections; 1 = one at a time, in order); never two of one chat.
        self.webhook_connections = webhook_connections
        #: Artificial delay added to every API answer (simulates a slow network for benchmarks).
        self.response_delay = response_delay
        #: Optional ``async`` callable that returns once the bot has processed everything it
        #: received, e.g. ``app.update_queue.join``; makes :meth:`settle` exact.
        self.idle_probe: Callable[[], Awaitable[object]] | None = None
        #: Exceptions raised by the bot's handlers (filled by ``tg_client.attach_application``);
        #: lets assertion messages show the real traceback instead of a bare timeout.
        self.bot_errors: list[BaseException] = []
        #: Seconds added to the wall clock in the ``date``/``edit_date`` of messages: lets a
        #: test have a person answer minutes apart without waiting (see :meth:`advance_clock`).
        self.clock_offset = 0.0

        self.calls: list[ApiCall] = []
        self.updates: list[UpdateRecord] = []
        self.events: list[ChatEvent] = []
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.files: dict[str, SentFile] = {}
        self.users: dict[int, User] = {}
        self._chats: dict[int, _ChatState] = {}
        self._pending: list[UpdateRecord] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._webhook = _Webhook()
        self._allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._next_update_id = 100_000_001
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._poll_generation = 0
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._user_ids = itertools.count(700_000_001)
        self._group_ids = itertools.count(1)

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> FakeBotAPI:
        """Bind 127.0.0.1 (port 0 → a free port) and start serving."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a long poll whose client went away (PTB's stop() cancels it)
        # must not keep running and "deliver" updates into the void.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])  # the port the kernel chose for port 0
        self._session = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_loop(), name="fake-bot-webhook")
        return self

    async def stop(self) -> None:
        """Wake long polls, stop webhook delivery and shut the server down."""
        self._closing = True
        self._bump()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def application_builder(self) -> Any:
        """A PTB ``ApplicationBuilder`` already pointed at this fake (token and both URLs)."""
        from telegram.ext import ApplicationBuilder

        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(self.base_url)
            .base_file_url(self.base_file_url)
        )

    @property
    def base_url(self) -> str:
        """Pass to ``ApplicationBuilder().base_url``; PTB appends the token itself."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass to ``ApplicationBuilder().base_file_url``; PTB appends the token itself."""
        return f"http://{self.host}:{self.port}/file/bot"

    # ---------------------------------------------------------------- time

    def unix_now(self) -> int:
        """Telegram's clock as message dates show it: whole seconds, plus ``clock_offset``."""
        return int(time.time() + self.clock_offset)

    def advance_clock(self, seconds: float) -> None:
        """Let ``seconds`` pass for the dates of the messages created from now on (the bot's
        own clock is the test's business, e.g. the wall clock plus ``clock_offset``)."""
        self.clock_offset += seconds

    # ---------------------------------------------------------------- change notification

    def _bump(self) -> None:
        """Wake everyone waiting for a change (long polls, wait_for, settle)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,
        message: str | Callable[[], str] = "condition not met",
    ) -> Any:
        """Wait until ``predicate()`` is truthy, re-checking on every state change.

        Returns the predicate's value; raises ``AssertionError`` (with ``message``) on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                text = message() if callable(message) else message
                raise AssertionError(f"timed out after {timeout:.2f}s: {text}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def _wait_change(self, timeout: float) -> bool:
        """Wait for the next state change; False if ``timeout`` passed first."""
        if timeout <= 0:
            return False
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # ---------------------------------------------------------------- users and chats

    def new_user(
        self, first_name: str = "Nguyễn Văn An", username: str | None = None, **kwargs: Any
    ) -> User:
        """Create a user with a fresh id and remember it (for getChatMember)."""
        user = User(id=next(self._user_ids), first_name=first_name, username=username, **kwargs)
        self.users[user.id] = user
        return user

    def new_group(self, title: str = "Chi bộ thử nghiệm", *, supergroup: bool = True) -> Chat:
        """Create a group chat id in Telegram's style (supergroups are -100…)."""
        n = next(self._group_ids)
        if supergroup:
            return Chat(id=-1_001_000_000_000 - n, type="supergroup", title=title)
        return Chat(id=-4_000_000_000 - n, type="group", title=title)

    def register_chat(self, chat: Chat, *, bot_status: str = "member") -> None:
        """Make ``chat`` known so the bot may send to it without a prior update."""
        state = self._chat_state(chat)
        state.bot_status = bot_status

    def set_member_status(self, chat: Chat, user: User, status: str) -> None:
        """Set ``user``'s status in ``chat`` (member/administrator/creator/left/kicked…)."""
        self.users.setdefault(user.id, user)
        self._chat_state(chat).members[user.id] = status

    def _chat_state(self, chat: Chat) -> _ChatState:
        state = self._chats.get(chat.id)
        if state is None:
            state = self._chats[chat.id] = _ChatState(chat=chat)
        return state

    def _resolve_chat(self, chat_id: Any) -> _ChatState:
        if isinstance(chat_id, int) and chat_id in self._chats:
            state = self._chats[chat_id]
            if state.migrated_to is not None:
                raise ApiError(
                    400,
                    "Bad Request: group chat was upgraded to a supergroup chat",
                    {"migrate_to_chat_id": state.migrated_to},
                )
            return state
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        raise _bad("chat not found")

    def _writable_chat(self, chat_id: Any) -> _ChatState:
        state = self._resolve_chat(chat_id)
        if state.chat.type == "private" and state.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if state.chat.type != "private" and state.bot_status in ("left", "kicked"):
            kind = "supergroup" if state.chat.type == "supergroup" else "group"
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        return state

    # ---------------------------------------------------------------- transcript access

    def transcript(self, chat: Chat | int, *, include_deleted: bool = False) -> list[ChatMessage]:
        """All messages of a chat in order (both directions), current state."""
        state = self._chats.get(chat if isinstance(chat, int) else chat.id)
        if state is None:
            return []
        return [m for m in state.messages if include_deleted or not m.deleted]

    def latest(self, chat: Chat | int, accept: Callable[[ChatMessage], bool]) -> ChatMessage | None:
        """The chat's last message (not deleted) that ``accept`` takes, looked for from the
        end (a long chat is not copied, as :meth:`transcript` does, at every move)."""
        state = self._chats.get(chat if isinstance(chat, int) else chat.id)
        for m in reversed(state.messages if state is not None else []):
            if not m.deleted and accept(m):
                return m
        return None

    def bot_messages(self, chat: Chat | int) -> list[ChatMessage]:
        """Messages the bot sent to a chat (not deleted)."""
        return [m for m in self.transcript(chat) if m.from_bot]

    def message(self, chat: Chat | int, message_id: int) -> ChatMessage:
        """One message by id (``KeyError`` if unknown)."""
        state = self._chats[chat if isinstance(chat, int) else chat.id]
        return state.by_id[message_id]

    def chat_events(self, chat: Chat | int, since_seq: int = 0) -> list[ChatEvent]:
        """Events of one chat with ``seq > since_seq``."""
        state = self._chats.get(chat if isinstance(chat, int) else chat.id)
        if state is None:
            return []
        return [e for e in state.events if e.seq > since_seq]

    @property
    def last_seq(self) -> int:
        """Sequence number of the latest event (0 if none): a cursor for ``settle``."""
        return self.events[-1].seq if self.events else 0

    def calls_to(self, method: str) -> list[ApiCall]:
        """Logged calls of one method (case-insensitive name)."""
        canonical = _METHODS.get(method.lower(), method)
        return [c for c in self.calls if c.method == canonical]

    def failed_calls(self) -> list[ApiCall]:
        """Calls answered with ``ok: false`` — handy as ``assert not api.failed_calls()``."""
        return [c for c in self.calls if c.ok is False]

    def latencies(self) -> list[float]:
        """Update→first-reply latencies (seconds) of all updates that got a reply."""
        return [u.latency for u in self.updates if u.latency is not None]

    def unanswered_callback_queries(self) -> list[CallbackQueryRecord]:
        """Button presses the bot never answered (the user would see a spinner)."""
        return [q for q in self.callback_queries.values() if not q.answered]

    def pending_updates(self) -> list[UpdateRecord]:
        """Updates not yet confirmed by the bot."""
        return list(self._pending)

    def format_transcript(self, chat: Chat | int, last: int = 12) -> str:
        """Human-readable tail of a chat, used in assertion messages."""
        lines: list[str] = []
        for m in self.transcript(chat, include_deleted=True)[-last:]:
            who = "BOT " if m.from_bot else f"USER {m.sender.first_name}"
            body = m.content.replace("\n", "\n      ")
            if m.document is not None:
                body = f"[document {m.document.filename} {m.document.size} B] {body}"
            elif m.photo is not None:
                body = f"[photo {m.photo.size} B] {body}"
            elif m.text is None and m.caption is None:
                body = f"[{m.kind}]"
            flags = (" (edited)" if m.edits else "") + (" (deleted)" if m.deleted else "")
            lines.append(f"  #{m.message_id} {who}{flags}: {body}")
            rows = m.inline_keyboard or m.reply_keyboard
            if rows:
                kb = " / ".join(" | ".join(b.get("text", "") for b in row) for row in rows)
                lines.append(f"      [{kb}]")
        return "\n".join(lines) if lines else "  (empty chat)"

    # ---------------------------------------------------------------- events

    def _event(
        self, state: _ChatState, kind: str, message_id: int | None, detail: str | None = None
    ) -> ChatEvent:
        event = ChatEvent(
            seq=next(self._seq),
            chat_id=state.chat.id,
            kind=kind,
            message_id=message_id,
            at=time.monotonic(),
            detail=detail,
        )
        self.events.append(event)
        state.events.append(event)
        if kind in OUTPUT_EVENTS:
            for record in self.updates[-200:]:
                if (
                    record.chat_id == state.chat.id
                    and record.delivered_at is not None
                    and record.first_reply_at is None
                ):
                    record.first_reply_at = event.at
                    record.first_reply_method = detail
        self._bump()
        return event

    def _add_message(self, state: _ChatState, msg_kwargs: dict[str, Any]) -> ChatMessage:
        message = ChatMessage(
            chat=state.chat,
            message_id=state.next_message_id,
            date=self.unix_now(),
            sent_at=time.monotonic(),
            **msg_kwargs,
        )
        state.next_message_id += 1
        state.messages.append(message)
        state.by_id[message.message_id] = message
        return message

    # ---------------------------------------------------------------- creating updates

    def _enqueue(self, payload: dict[str, Any], chat_id: int | None) -> dict[str, Any]:
        if "update_id" not in payload:
            payload = {"update_id": self._next_update_id, **payload}
        update_id = int(payload["update_id"])
        self._next_update_id = max(self._next_update_id, update_id + 1)
        utype = next((k for k in payload if k != "update_id"), "unknown")
        record = UpdateRecord(
            update_id=update_id,
            payload=payload,
            chat_id=chat_id,
            type=utype,
            created_at=time.monotonic(),
        )
        self.updates.append(record)
        self._pending.append(record)
        self._bump()
        return payload

    def _user_message(
        self,
        user: User,
        chat: Chat | None,
        fields: dict[str, Any],
        reply_to_message_id: int | None = None,
    ) -> ChatMessage:
        chat = chat or Chat.private(user)
        self.users.setdefault(user.id, user)
        state = self._chat_state(chat)
        if state.migrated_to is not None:
            raise ValueError(f"chat {chat.id} was upgraded; write in {state.migrated_to}")
        if chat.type != "private":
            state.members.setdefault(user.id, "member")
        elif state.blocked:
            raise ValueError(f"{user.first_name} blocked the bot; unblock first")
        kwargs: dict[str, Any] = {"sender": user, "from_bot": False, **fields}
        if reply_to_message_id is not None:
            if reply_to_message_id not in state.by_id:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat.id} to reply to")
            kwargs["reply_to_message_id"] = reply_to_message_id
        message = self._add_message(state, kwargs)
        self._event(state, "user_message", message.message_id, message.kind)
        return message

    def _message_update(self, message: ChatMessage) -> dict[str, Any]:
        data = message.to_api(self.bot_user)
        if message.reply_to_message_id is not None:
            replied = self._chats[message.chat_id].by_id[message.reply_to_message_id]
            data["reply_to_message"] = replied.to_api(self.bot_user)
        return self._enqueue({"message": data}, message.chat_id)

    def user_sends_text(
        self,
        user: User,
        chat: Chat | None,
        text: str,
        *,
        reply_to_message_id: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Queue a text message typed by ``user`` (``chat=None`` → private chat).

        ``/commands`` get ``bot_command`` entities exactly like Telegram's servers add them.
        Returns the raw update.
        """
        if not text.strip():
            raise ValueError("Telegram clients cannot send an empty message")
        if len(text) > MAX_MESSAGE_LENGTH:
            raise ValueError("Telegram splits texts over 4096 characters; use TelegramUser.send")
        ents = _command_entities(text) if entities is None else entities
        message = self._user_message(
            user, chat, {"text": text, "entities": ents}, reply_to_message_id
        )
        return self._message_update(message)

    def user_edits_text(
        self, user: User, chat: Chat | None, message_id: int, text: str
    ) -> dict[str, Any]:
        """Queue the ``edited_message`` update of a user correcting an earlier message."""
        chat = chat or Chat.private(user)
        state = self._chat_state(chat)
        message = state.by_id.get(message_id)
        if message is None or message.from_bot or message.sender.id != user.id:
            raise ValueError(f"{user.first_name} has no message {message_id} in chat {chat.id}")
        if message.text is None:
            raise ValueError("only text messages can be edited this way")
        message.edits.append(
            MessageEdit(message.text, None, None, time.monotonic(), "user_edits_text")
        )
        message.text, message.entities = text, _command_entities(text)
        message.edit_date = self.unix_now()
        self._event(state, "user_edit", message_id)
        return self._enqueue({"edited_message": message.to_api(self.bot_user)}, chat.id)

    def user_sends_message(
        self, user: User, chat: Chat | None, content: dict[str, Any]
    ) -> dict[str, Any]:
        """Queue a non-text message with raw Bot API content, e.g. ``{"contact": {...}}``."""
        message = self._user_message(user, chat, {"extra": dict(content)})
        return self._message_update(message)

    def user_sends_sticker(
        self, user: User, chat: Chat | None, emoji: str = "👍"
    ) -> dict[str, Any]:
        """Queue a sticker (a typical "unexpected input" in a form flow)."""
        n = next(self._ids)
        sticker = {
            "file_id": f"CAACAgIAAxkBAAI{n:06d}",
            "file_unique_id": f"AgAD{n:06d}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.user_sends_message(user, chat, {"sticker": sticker})

    def _store_file(
        self,
        content: bytes,
        filename: str | None,
        mime_type: str | None,
        kind: str,
        caption: str | None = None,
        url: str | None = None,
    ) -> SentFile:
        n = next(self._ids)
        prefix = {"photo": "AgACAgIAAxkBAAI", "document": "BQACAgIAAxkBAAI"}.get(kind, "BAAC")
        ext = ""
        if filename and "." in filename:
            ext = "." + filename.rsplit(".", 1)[1]
        elif kind == "photo":
            ext = ".jpg"
        stored = SentFile(
            file_id=f"{prefix}{n:08d}",
            file_unique_id=f"AgAD{n:08d}",
            filename=filename,
            content=content,
            mime_type=mime_type,
            caption=caption,
            url=url,
            file_path=f"{kind}s/file_{n}{ext}",
        )
        self.files[stored.file_id] = stored
        return stored

    def user_sends_document(
        self,
        user: User,
        chat: Chat | None,
        filename: str,
        content: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Queue a document upload; the bot can download it through getFile."""
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self._store_file(content, filename, mime, "document", caption)
        fields: dict[str, Any] = {"document": stored}
        if caption is not None:
            fields["caption"] = caption
        return self._message_update(self._user_message(user, chat, fields))

    def user_sends_photo(
        self,
        user: User,
        chat: Chat | None,
        content: bytes = b"\xff\xd8\xff\xe0fake-jpeg",
        *,
        caption: str | None = None,
    ) -> dict[str, Any]:
        """Queue a photo (e.g. a portrait for the form); downloadable through getFile."""
        stored = self._store_file(content, None, "image/jpeg", "photo", caption)
        fields: dict[str, Any] = {"photo": stored}
        if caption is not None:
            fields["caption"] = caption
        return self._message_update(self._user_message(user, chat, fields))

    def user_clicks(
        self,
        user: User,
        chat: Chat | None,
        message_id: int,
        callback_data: str,
        *,
        strict: bool = True,
    ) -> dict[str, Any]:
        """Queue the callback_query a button press produces; returns the raw update.

        With ``strict`` the message must exist, be the bot's and carry a button with that
        ``callback_data`` — a person cannot press a button that is not on screen.
        """
        chat = chat or Chat.private(user)
        self.users.setdefault(user.id, user)
        state = self._chat_state(chat)
        message = state.by_id.get(message_id)
        if strict:
            if message is None or message.deleted:
                raise ValueError(f"message {message_id} is not visible in chat {chat.id}")
            datas = [b.get("callback_data") for row in message.inline_keyboard for b in row]
            if callback_data not in datas:
                raise ValueError(
                    f"message {message_id} has no button with callback_data {callback_data!r}; "
                    f"it has {datas}"
                )
        query_id = str(4_000_000_000_000_000 + next(self._ids))
        self.callback_queries[query_id] = CallbackQueryRecord(
            id=query_id,
            user=user,
            chat_id=chat.id,
            message_id=message_id,
            data=callback_data,
            created_at=time.monotonic(),
        )
        query: dict[str, Any] = {
            "id": query_id,
            "from": user.to_api(),
            "chat_instance": str(abs(chat.id) * 7919 % 10**12),
            "data": callback_data,
        }
        if message is not None:
            query["message"] = message.to_api(self.bot_user)
        return self._enqueue({"callback_query": query}, chat.id)

    def _member_dict(self, user: User, status: str) -> dict[str, Any]:
        base: dict[str, Any] = {"status": status, "user": user.to_api()}
        if status == "creator":
            base["is_anonymous"] = False
        elif status == "administrator":
            base.update(
                {
                    key: key != "is_anonymous"
                    for key in (
                        "can_be_edited",
                        "is_anonymous",
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_promote_members",
                        "can_change_info",
                        "can_invite_users",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                    )
                }
            )
        elif status == "kicked":
            base["until_date"] = 0
        elif status == "restricted":
            base.update(
                {
                    key: True
                    for key in (
                        "is_member",
                        "can_change_info",
                        "can_invite_users",
                        "can_pin_messages",
                        "can_send_messages",
                        "can_send_polls",
                        "can_send_other_messages",
                        "can_add_web_page_previews",
                        "can_manage_topics",
                        "can_send_audios",
                        "can_send_documents",
                        "can_send_photos",
                        "can_send_videos",
                        "can_send_video_notes",
                        "can_send_voice_notes",
                        "can_edit_tag",
                    )
                }
            )
            base["until_date"] = 0
        return base

    def _my_chat_member(self, by: User, chat: Chat, old: str, new: str) -> dict[str, Any]:
        payload = {
            "my_chat_member": {
                "chat": chat.to_api(),
                "from": by.to_api(),
                "date": self.unix_now(),
                "old_chat_member": self._member_dict(self.bot_user, old),
                "new_chat_member": self._member_dict(self.bot_user, new),
            }
        }
        return self._enqueue(payload, chat.id)

    def bot_added_to_group(self, by: User, chat: Chat, *, status: str = "member") -> dict[str, Any]:
        """Queue the my_chat_member update Telegram sends when someone adds the bot."""
        state = self._chat_state(chat)
        old = state.bot_status if state.bot_status in ("left", "kicked") else "left"
        state.bot_status = status
        state.members.setdefault(by.id, "member")
        self.users.setdefault(by.id, by)
        return self._my_chat_member(by, chat, old, status)

    def bot_removed_from_group(self, by: User, chat: Chat) -> dict[str, Any]:
        """Queue my_chat_member(left); later sends to the group fail with 403."""
        state = self._chat_state(chat)
        old, state.bot_status = state.bot_status, "left"
        return self._my_chat_member(by, chat, old, "left")

    def upgrade_to_supergroup(
        self, by: User, chat: Chat, *, notify: bool = True
    ) -> tuple[Chat, list[dict[str, Any]]]:
        """Upgrade the basic group ``chat`` to a supergroup with a new id, as Telegram does.

        Members and the bot's status carry over; message ids start again in the new chat.
        From then on every method naming the old id fails with 400 "group chat was upgraded
        to a supergroup chat" and ``parameters.migrate_to_chat_id`` (PTB: ``ChatMigrated``).
        With ``notify`` the updates Telegram sends are queued, in its order: the service
        message ``migrate_to_chat_id`` in the old group (from ``by``), the bot's
        ``my_chat_member`` (left → its status) in the new supergroup, then the service message
        ``migrate_from_chat_id`` there, from the anonymous "Group" bot with ``sender_chat``
        (tdlib/telegram-bot-api#266, ktgbotapi#514). Without ``notify`` the bot learns of the
        move only from a refused send. Returns the new chat and the updates.
        """
        old = self._chat_state(chat)
        if chat.type != "group" or old.migrated_to is not None:
            raise ValueError(f"chat {chat.id} is not a basic group that can be upgraded")
        new_chat = Chat(id=-1_001_000_000_000 - next(self._group_ids), type="supergroup",
                        title=chat.title)  # fmt: skip
        new = self._chat_state(new_chat)
        new.members = dict(old.members)
        new.bot_status = old.bot_status
        self.users.setdefault(by.id, by)
        updates = []
        if notify:
            note = self._add_message(
                old, {"sender": by, "from_bot": False, "extra": {"migrate_to_chat_id": new_chat.id}}
            )
            self._event(old, "user_message", note.message_id, "migrate_to_chat_id")
            updates.append(self._message_update(note))
        old.migrated_to = new_chat.id
        if notify:
            updates.append(self._my_chat_member(by, new_chat, "left", new.bot_status))
            extra = {"sender_chat": new_chat.to_api(), "migrate_from_chat_id": chat.id}
            sender = GROUP_ANONYMOUS_BOT
            note = self._add_message(new, {"sender": sender, "from_bot": False, "extra": extra})
            self._event(new, "user_message", note.message_id, "migrate_from_chat_id")
            updates.append(self._message_update(note))
        return new_chat, updates

    def user_blocks_bot(self, user: User) -> dict[str, Any]:
        """Queue my_chat_member(kicked); later sends fail with 403 "bot was blocked"."""
        chat = Chat.private(user)
        self._chat_state(chat).blocked = True
        return self._my_chat_member(user, chat, "member", "kicked")

    def inject_update(self, raw: dict[str, Any], *, chat_id: int | None = None) -> dict[str, Any]:
        """Queue an arbitrary raw update verbatim (keeps its update_id, so duplicates work).

        The fake never deduplicates: the same update_id twice is delivered twice.
        """
        payload = json.loads(json.dumps(raw))
        chat_dict: dict[str, Any] | None = None
        with contextlib.suppress(StopIteration, AttributeError, TypeError):
            body = next(v for k, v in payload.items() if k != "update_id")
            chat_dict = body.get("chat") or (body.get("message") or {}).get("chat")
        if chat_id is None and chat_dict:
            chat_id = chat_dict.get("id")
        if chat_dict and chat_id is not None and chat_id not in self._chats:
            self._chat_state(
                Chat(
                    id=chat_id,
                    type=chat_dict.get("type", "private"),
                    title=chat_dict.get("title"),
                    username=chat_dict.get("username"),
                    first_name=chat_dict.get("first_name"),
                    last_name=chat_dict.get("last_name"),
                )
            )
        return self._enqueue(payload, chat_id)

    def fail_next(
        self,
        method: str,
        *,
        error_code: int = 400,
        description: str = "Bad Request: injected failure",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (e.g. 429 with ``retry_after``)."""
        if retry_after is not None and error_code == 400:
            error_code = 429
            if description == "Bad Request: injected failure":
                description = f"Too Many Requests: retry after {retry_after}"
        canonical = _METHODS.get(method.lower(), method)
        self._failures.setdefault(canonical, []).append(
            _Failure(error_code, description, retry_after, times)
        )

    # ---------------------------------------------------------------- waiting helpers

    async def wait_for_update_ack(self, update_id: int, timeout: float = 5.0) -> None:
        """Wait until the bot confirmed (or dropped) every queued copy of ``update_id``."""

        def done() -> bool:
            return not any(r.update_id == update_id for r in self._pending)

        await self.wait_for(
            done,
            timeout,
            lambda: (
                f"bot never confirmed update {update_id} (is it polling/webhooked? "
                f"webhook={self._webhook.url!r})"
            ),
        )

    async def wait_for_bot_message(
        self,
        chat: Chat | int,
        predicate: Callable[[ChatMessage], bool] | None = None,
        *,
        since_seq: int | None = None,
        timeout: float = 5.0,
    ) -> ChatMessage:
        """Wait for a new (or edited) bot message in ``chat`` matching ``predicate``."""
        chat_id = chat if isinstance(chat, int) else chat.id
        start = self.last_seq if since_seq is None else since_seq

        def find() -> ChatMessage | None:
            for event in self.chat_events(chat_id, start):
                if event.kind in ("bot_message", "edit") and event.message_id is not None:
                    message = self._chats[chat_id].by_id[event.message_id]
                    if not message.deleted and (predicate is None or predicate(message)):
                        return message
            return None

        return await self.wait_for(
            find,
            timeout,
            lambda: (
                "no matching bot message in chat "
                f"{chat_id}; transcript tail:\n{self.format_transcript(chat_id)}"
            ),
        )

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        *,
        after: int = 0,
        timeout: float = 5.0,
    ) -> ApiCall:
        """Wait for a completed API call of ``method`` (index in ``calls`` ≥ ``after``)."""
        canonical = _METHODS.get(method.lower(), method)

        def find() -> ApiCall | None:
            for call in self.calls[after:]:
                if (
                    call.method == canonical
                    and call.finished_at is not None
                    and (predicate is None or predicate(call))
                ):
                    return call
            return None

        return await self.wait_for(find, timeout, f"no {canonical} call")

    async def settle(
        self,
        chat: Chat | int,
        *,
        since_seq: int,
        update_id: int | None = None,
        callback_id: str | None = None,
        expect_reply: bool = True,
        timeout: float = 5.0,
        quiet: float = 0.08,
    ) -> list[ChatMessage]:
        """Wait until the bot has finished reacting to an action and return its output.

        Steps: (1) the update is confirmed by the bot; (2) ``idle_probe`` (if set) returns;
        (3) with ``expect_reply``, some output has appeared; (4) the chat stays quiet for
        ``quiet`` seconds (timer restarts on every new event). Returns the bot messages sent or
        edited after ``since_seq``, in first-touched order, current state, deleted ones left out.
        """
        chat_id = chat if isinstance(chat, int) else chat.id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        def tail() -> str:
            return self.format_transcript(chat_id)

        def remaining() -> float:
            return max(0.0, deadline - loop.time())

        def replied() -> bool:
            for event in self.chat_events(chat_id, since_seq):
                if event.kind in OUTPUT_EVENTS:
                    return True
                if event.kind == "callback_answer" and event.detail == callback_id:
                    return callback_id is not None
            return False

        if update_id is not None:
            await self.wait_for(
                lambda: not any(r.update_id == update_id for r in self._pending),
                remaining(),
                lambda: (
                    f"the bot never fetched update {update_id} — is it running "
                    f"(polling or webhook)?\ntranscript tail:\n{tail()}"
                ),
            )
        probe = self.idle_probe
        if probe is not None:
            try:
                await asyncio.wait_for(probe(), remaining())
            except TimeoutError:
                raise AssertionError(
                    f"bot still busy after {timeout:.2f}s\ntranscript tail:\n{tail()}"
                ) from None
        elif expect_reply:
            await self.wait_for(
                replied,
                remaining(),
                lambda: f"bot did not reply within {timeout:.2f}s\ntranscript tail:\n{tail()}",
            )
        while True:
            marker = self.chat_events(chat_id)[-1].seq if self.chat_events(chat_id) else 0
            window = min(quiet, remaining())
            changed = await self._quiet_changed(chat_id, marker, window)
            if not changed:
                break
            if probe is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(probe(), remaining())
            if remaining() <= 0:
                break
        if expect_reply and not replied():
            raise AssertionError(
                f"bot processed the update but sent nothing within {timeout:.2f}s"
                f"\ntranscript tail:\n{tail()}"
            )
        seen: dict[int, ChatMessage] = {}
        state = self._chats.get(chat_id)
        for event in self.chat_events(chat_id, since_seq):
            if event.kind in ("bot_message", "edit") and event.message_id not in seen:
                assert state is not None and event.message_id is not None
                seen[event.message_id] = state.by_id[event.message_id]
        return [m for m in seen.values() if not m.deleted]

    async def _quiet_changed(self, chat_id: int, marker: int, window: float) -> bool:
        """True if a chat event newer than ``marker`` appears within ``window`` seconds."""
        loop = asyncio.get_running_loop()
        end = loop.time() + window
        while True:
            event = self._changed
            if self.chat_events(chat_id, marker):
                return True
            left = end - loop.time()
            if left <= 0:
                return False
            try:
                await asyncio.wait_for(event.wait(), left)
            except TimeoutError:
                return bool(self.chat_events(chat_id, marker))

    # ---------------------------------------------------------------- HTTP plumbing

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, SentFile]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, SentFile] = {}
        ctype = request.content_type
        if request.method == "POST" and request.can_read_body:
            if ctype == "application/json":
                try:
                    body = await request.json()
                except ValueError as exc:
                    raise _bad("can't parse JSON") from exc
                if not isinstance(body, dict):
                    raise _bad("JSON object expected")
                params.update(body)
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        content = value.file.read()
                        files[key] = SentFile(
                            file_id="",
                            file_unique_id="",
                            filename=value.filename,
                            content=content,
                            mime_type=value.content_type,
                        )
                    else:
                        params[key] = value
        decoded = {k: _coerce(k, v) for k, v in params.items()}
        return decoded, files

    @staticmethod
    def _reply(status: int, payload: dict[str, Any]) -> web.Response:
        return web.Response(
            status=status,
            text=json.dumps(payload, ensure_ascii=False),
            content_type="application/json",
        )

    async def _handle_method(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method_name = request.match_info["method"]
        if token != self.token:
            return self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        canonical = _METHODS.get(method_name.lower())
        call = ApiCall(
            method=canonical or method_name, params={}, files={}, started_at=time.monotonic()
        )
        self.calls.append(call)
        try:
            if canonical is None:
                _LOGGER.warning("fake Bot API: unsupported method %s", method_name)
                raise ApiError(404, "Not Found")
            call.params, call.files = await self._read_params(request)
            refused = [name for name in UNMODELLED_PARAMETERS if call.params.get(name)]
            if refused:
                raise _bad(f"the fake Bot API does not model {', '.join(refused)}")
            failures = self._failures.get(canonical)
            if failures:
                failure = failures[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    failures.pop(0)
                params = {"retry_after": failure.retry_after} if failure.retry_after else None
                raise ApiError(failure.error_code, failure.description, params)
            handler = getattr(self, f"_m_{canonical}")
            result = await handler(call.params, call.files)
            if self.response_delay:
                await asyncio.sleep(self.response_delay)
            status, payload = 200, {"ok": True, "result": result}
            call.ok, call.result = True, result
        except ApiError as exc:
            status = exc.error_code
            payload = {"ok": False, "error_code": exc.error_code, "description": exc.description}
            if exc.parameters:
                payload["parameters"] = exc.parameters
            call.ok, call.description = False, exc.description
        except asyncio.CancelledError:
            # The client hung up (PTB cancels its long poll on stop()); keep the log truthful.
            call.description = "cancelled: client disconnected"
            call.finished_at = time.monotonic()
            raise
        call.http_status = status
        call.finished_at = time.monotonic()
        self._bump()
        return self._reply(status, payload)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        path = request.match_info["path"]
        for stored in self.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.content, content_type=stored.mime_type or "application/octet-stream"
                )
        return web.Response(status=404, text="Not Found")

    # ---------------------------------------------------------------- validation helpers

    @staticmethod
    def _plain_text(text: Any, *, caption: bool = False) -> str:
        """The visible text: trimmed like Telegram does, within its length limits."""
        plain = str(text if text is not None else "").strip()
        if caption:
            if len(plain) > MAX_CAPTION_LENGTH:
                raise _bad("message caption is too long")
        else:
            if not plain:
                raise _bad("message text is empty")
            if len(plain) > MAX_MESSAGE_LENGTH:
                raise _bad("message is too long")
        return plain

    @staticmethod
    def _validate_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
            for row in rows:
                for button in row:
                    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                        raise _bad("can't parse inline keyboard button: Text must be a String")
                    if "callback_data" not in button:  # url, web_app… buttons: not modelled
                        raise _bad("the fake Bot API models callback_data buttons only")
                    data = button["callback_data"]
                    if not isinstance(data, str) or not (
                        1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                    ):
                        raise _bad("BUTTON_DATA_INVALID")
            return markup if rows else None
        if inline_only:
            raise _bad("inline keyboard expected")
        if isinstance(markup.get("keyboard"), list):
            return markup
        raise _bad('can\'t find field "inline_keyboard"')

    @staticmethod
    def _reply_to(state: _ChatState, params: dict[str, Any]) -> int | None:
        """The message the bot quotes (PTB quotes in groups: ``reply_parameters``)."""
        reply = params.get("reply_parameters") or {}
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = reply_id or params.get("reply_to_message_id")
        if not reply_id:
            return None
        target = state.by_id.get(int(reply_id))
        if target is None or target.deleted:
            raise _bad("message to be replied not found")
        return target.message_id

    def _bot_output(
        self, state: _ChatState, params: dict[str, Any], kwargs: dict[str, Any], method: str
    ) -> dict[str, Any]:
        reply_to = self._reply_to(state, params)
        message = self._add_message(
            state,
            {"sender": self.bot_user, "from_bot": True, "reply_to_message_id": reply_to, **kwargs},
        )
        self._event(state, "bot_message", message.message_id, method)
        data = message.to_api(self.bot_user)
        if reply_to is not None:
            data["reply_to_message"] = state.by_id[reply_to].to_api(self.bot_user)
        return data

    def _upload(self, files: dict[str, SentFile], kind: str, caption: str | None) -> SentFile:
        """The file the bot uploaded in field ``kind`` (the bot always uploads bytes)."""
        upload = files.get(kind)
        if upload is None:
            raise _bad(f"there is no {kind} in the request (the fake takes uploads only)")
        if len(upload.content) > MAX_UPLOAD_BYTES:
            raise ApiError(413, "Request Entity Too Large")
        if kind == "document" and not upload.content:
            raise _bad("file must be non-empty")
        return self._store_file(upload.content, upload.filename, upload.mime_type, kind, caption)

    # ---------------------------------------------------------------- Bot API methods
    # Each ``_m_<name>`` implements one method; ``_METHODS`` maps lowercase → canonical.

    async def _m_getMe(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        return {
            **self.bot_user.to_api(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _confirm(self, offset: int) -> None:
        if offset <= 0:
            return
        now = time.monotonic()
        confirmed = [r for r in self._pending if r.update_id < offset and r.delivery_count]
        self._pending = [r for r in self._pending if r not in confirmed]
        for record in confirmed:
            record.acked_at = now

    async def _m_getUpdates(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        if self._webhook.url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(100, max(1, int(params.get("limit") or 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or DEFAULT_ALLOWED_UPDATES
        self._confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self._bump()  # terminates an older long poll (409), like Telegram
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            batch = self._take_batch(limit)
            if batch or self._closing:
                break
            if not await self._wait_change(deadline - loop.time()):
                break
        now = time.monotonic()
        for record in batch:
            record.delivery_count += 1
            if record.delivered_at is None:
                record.delivered_at = now
        return [record.payload for record in batch]

    def _take_batch(self, limit: int) -> list[UpdateRecord]:
        now = time.monotonic()
        batch: list[UpdateRecord] = []
        for record in list(self._pending):
            if record.type not in self._allowed_updates:
                record.dropped = True
                record.acked_at = now
                self._pending.remove(record)
                continue
            batch.append(record)
        batch.sort(key=lambda r: r.update_id)  # stable: duplicates keep insertion order
        return batch[:limit]

    async def _m_setWebhook(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        url = str(params.get("url") or "")
        secret = params.get("secret_token")
        if url:
            match = re.match(r"https?://(\[[^\]]+\]|[^/:]+)", url)
            if not match:
                raise _bad("bad webhook: invalid URL")
            if match.group(1) not in ("127.0.0.1", "localhost", "[::1]"):
                raise _bad("bad webhook: the fake Bot API only delivers to loopback addresses")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad("secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or DEFAULT_ALLOWED_UPDATES
        self._webhook = _Webhook(
            url=url,
            secret_token=str(secret) if secret else None,
            max_connections=int(params.get("max_connections") or 40),
            allowed_updates=allowed if isinstance(allowed, list) else None,
        )
        self._poll_generation += 1
        self._bump()
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        self._webhook = _Webhook()
        self._bump()
        return True

    async def _m_getWebhookInfo(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        hook = self._webhook
        info: dict[str, Any] = {
            "url": hook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if hook.url:
            info["max_connections"] = hook.max_connections
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad("can't parse BotCommandScope JSON object")
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    async def _m_setMyCommands(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad('parameter "commands" is required')
        if len(commands) > 100:
            raise _bad("too many commands")
        clean: list[dict[str, str]] = []
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            desc = str(command.get("description", "")) if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(desc) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": name, "description": desc})
        self.commands[self._commands_key(params)] = clean
        return True

    async def _m_getMyCommands(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        return self.commands.get(self._commands_key(params), [])

    async def _m_deleteMyCommands(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        self.commands.pop(self._commands_key(params), None)
        return True

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Commands the bot registered for a scope (default scope if ``None``)."""
        params = {"scope": scope, "language_code": language_code}
        return self.commands.get(self._commands_key(params), [])

    async def _m_sendMessage(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        state = self._writable_chat(params.get("chat_id"))
        text = self._plain_text(params.get("text"))
        markup = self._validate_markup(params.get("reply_markup"))
        protected = bool(params.get("protect_content"))
        kwargs = {"text": text, "reply_markup": markup, "protected": protected}
        return self._bot_output(state, params, kwargs, "sendMessage")

    def _send_file(
        self, params: dict[str, Any], files: dict[str, SentFile], kind: str, method: str
    ) -> Any:
        state = self._writable_chat(params.get("chat_id"))
        source = params.get("caption")
        caption = None if source is None else self._plain_text(source, caption=True)
        markup = self._validate_markup(params.get("reply_markup"))
        stored = self._upload(files, kind, caption)
        protected = bool(params.get("protect_content"))
        kwargs = {kind: stored, "caption": caption, "reply_markup": markup, "protected": protected}
        return self._bot_output(state, params, kwargs, method)

    async def _m_sendDocument(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        return self._send_file(params, files, "document", "sendDocument")

    async def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        return self._send_file(params, files, "photo", "sendPhoto")

    def _editable(self, params: dict[str, Any]) -> tuple[_ChatState, ChatMessage]:
        state = self._resolve_chat(params.get("chat_id"))
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise _bad("message identifier is not specified")
        message = state.by_id.get(message_id)
        if message is None or message.deleted:
            raise _bad("message to edit not found")
        if not message.from_bot:
            raise _bad("message can't be edited")
        return state, message

    @staticmethod
    def _same_markup(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
        def norm(m: dict[str, Any] | None) -> Any:
            if not m or not m.get("inline_keyboard"):
                return None
            return json.dumps(m["inline_keyboard"], sort_keys=True)

        return norm(a) == norm(b)

    def _apply_edit(
        self,
        state: _ChatState,
        message: ChatMessage,
        method: str,
        changes: dict[str, Any],
    ) -> Any:
        message.edits.append(
            MessageEdit(
                text=message.text,
                caption=message.caption,
                reply_markup=message.reply_markup,
                at=time.monotonic(),
                method=method,
            )
        )
        for key, value in changes.items():
            setattr(message, key, value)
        message.edit_date = self.unix_now()
        self._event(state, "edit", message.message_id, method)
        return message.to_api(self.bot_user)

    async def _m_editMessageText(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        state, message = self._editable(params)
        if message.text is None:
            raise _bad("there is no text in the message to edit")
        text = self._plain_text(params.get("text"))
        # Like Telegram: omitting reply_markup removes the inline keyboard.
        markup = self._validate_markup(params.get("reply_markup"), inline_only=True)
        if text == message.text and self._same_markup(markup, message.reply_markup):
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        return self._apply_edit(
            state,
            message,
            "editMessageText",
            {"text": text, "reply_markup": markup},
        )

    async def _m_deleteMessage(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        state = self._resolve_chat(params.get("chat_id"))
        message = state.by_id.get(params.get("message_id"))  # type: ignore[arg-type]
        if message is None or message.deleted:
            raise _bad("message to delete not found")
        message.deleted = True
        self._event(state, "delete", message.message_id, "deleteMessage")
        return True

    async def _m_answerCallbackQuery(
        self, params: dict[str, Any], files: dict[str, SentFile]
    ) -> Any:
        query = self.callback_queries.get(str(params.get("callback_query_id") or ""))
        if query is None or query.answered:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        query.answered = True
        query.answered_at = time.monotonic()
        query.answer_text = None if text is None else str(text)
        query.show_alert = bool(params.get("show_alert"))
        query.answer_url = params.get("url")
        state = self._chats.get(query.chat_id)
        if state is not None:
            self._event(state, "callback_answer", query.message_id, query.id)
        return True

    async def _m_sendChatAction(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        state = self._writable_chat(params.get("chat_id"))
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self._event(state, "chat_action", None, str(action))
        return True

    async def _m_getChat(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        state = self._resolve_chat(params.get("chat_id"))
        return {
            **state.chat.to_api(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _m_getChatMember(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        state = self._resolve_chat(params.get("chat_id"))
        user = self.users.get(params.get("user_id"))  # type: ignore[arg-type]
        if user is None:
            raise _bad("user not found")
        if state.chat.type == "private":
            status = "member" if user.id == state.chat.id else "left"
        else:
            status = state.members.get(user.id, "left")
        return self._member_dict(user, status)

    async def _m_getFile(self, params: dict[str, Any], files: dict[str, SentFile]) -> Any:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    # ---------------------------------------------------------------- webhook delivery

    async def deliver_to_webhook(
        self, update: dict[str, Any], *, secret_token: str | None = "__configured__"
    ) -> int:
        """POST one raw update to the configured webhook once; returns the HTTP status.

        ``secret_token`` defaults to the configured one; pass another (or ``None`` to omit the
        header) to check that the bot rejects forged requests.
        """
        if not self._webhook.url:
            raise RuntimeError("no webhook is set")
        secret = self._webhook.secret_token if secret_token == "__configured__" else secret_token
        status, _ = await self._post(self._webhook.url, update, secret)
        return status or 0

    async def _post(
        self, url: str, update: dict[str, Any], secret: str | None
    ) -> tuple[int | None, str | None]:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        try:
            async with self._session.post(
                url,
                data=json.dumps(update, ensure_ascii=False).encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                await response.read()
                error = None if 200 <= response.status < 300 else response.reason
                status: int | None = response.status
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            status, error = None, f"{type(exc).__name__}: {exc}"
        self.webhook_deliveries.append(
            WebhookDelivery(
                update_id=int(update.get("update_id", 0)),
                url=url,
                status=status,
                error=error,
                at=time.monotonic(),
            )
        )
        return status, error

    async def _webhook_loop(self) -> None:
        """Push pending updates to the webhook, retrying failed deliveries: in order, up to
        ``webhook_connections`` at once, one chat's one at a time."""
        flying: dict[asyncio.Task[None], UpdateRecord] = {}
        try:
            await self._push_updates(flying)
        finally:
            for task in list(flying):
                task.cancel()

    async def _push_updates(self, flying: dict[asyncio.Task[None], UpdateRecord]) -> None:
        while not self._closing:
            event = self._changed
            limit = max(1, min(self.webhook_connections, self._webhook.max_connections))
            record = self._next_for_webhook(flying.values()) if len(flying) < limit else None
            if record is None:
                await event.wait()
                continue
            if record.type not in self._allowed_updates:
                record.dropped, record.acked_at = True, time.monotonic()
                self._pending.remove(record)
                continue
            if limit == 1:
                await self._deliver_record(record)
                continue
            task = asyncio.create_task(self._deliver_record(record))
            flying[task] = record

            def landed(task: asyncio.Task[None]) -> None:
                flying.pop(task, None)
                self._bump()  # the chat is free: its next update may go (the loop waits)

            task.add_done_callback(landed)

    def _next_for_webhook(self, flying: Iterable[UpdateRecord]) -> UpdateRecord | None:
        """The first pending update not being delivered whose chat has none being delivered."""
        if not self._webhook.url:
            return None
        taken = {id(r) for r in flying}
        busy = {r.chat_id for r in flying if r.chat_id is not None}
        for record in self._pending:
            if id(record) not in taken and (record.chat_id is None or record.chat_id not in busy):
                return record
        return None

    async def _deliver_record(self, record: UpdateRecord) -> None:
        url, secret = self._webhook.url, self._webhook.secret_token
        ok = False
        for attempt in range(self.webhook_max_attempts):
            if record.delivered_at is None:
                record.delivered_at = time.monotonic()
            record.delivery_count += 1
            status, error = await self._post(url, record.payload, secret)
            if status is not None and 200 <= status < 300:
                ok = True
                break
            self._webhook.last_error_date = self.unix_now()
            self._webhook.last_error_message = (
                f"Wrong response from the webhook: {status} {error}"
                if status is not None
                else f"Connection failed: {error}"
            )
            if self._webhook.url != url:
                break
            # backing off as Telegram does, but never past 2 s: 20 attempts of a doubling
            # 0.02 s reached hours and stalled the worker tests after a kill
            await asyncio.sleep(min(self.webhook_retry_delay * (2**attempt), 2.0))
        if record in self._pending:
            self._pending.remove(record)
        record.acked_at = time.monotonic()
        record.dropped = not ok
        if not ok:
            _LOGGER.warning(
                "fake Bot API: dropped update %s after failed webhook deliveries",
                record.update_id,
            )
        self._bump()


_METHODS.update(
    {
        name[3:].lower(): name[3:]
        for name in dir(FakeBotAPI)
        if name.startswith("_m_") and callable(getattr(FakeBotAPI, name))
    }
)
