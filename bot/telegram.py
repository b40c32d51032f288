"""python-telegram-bot adapter: Telegram updates in, platform-neutral events to the router,
replies drawn back as Telegram messages.

PTB is used only as a transport (HTTP client, polling, webhook server). Conversation state,
ordering per user and deduplication live in :class:`handlers.router.Router` and the database,
so this module is thin and knows nothing about the form.

Delivery guarantees, and why they are good enough:

* Polling. PTB confirms a fetched batch with the *next* getUpdates call, which it makes
  right after queueing the batch. A graceful stop (SIGINT/SIGTERM) processes everything that
  was queued before it confirms; a hard crash loses the updates that were in flight (the person
  sees no answer and sends again: nothing half-written, because each answer and the
  conversation cursor commit in one transaction). An update delivered twice (a failed confirm,
  Telegram's redelivery) is ignored by the router's ``processed_updates`` table.
* Webhook. PTB's tornado handler answers 200 as soon as the update is queued, before it is
  processed, so Telegram will not redeliver an update that was lost by a crash mid-processing.
  The same dedupe table makes Telegram's own retries harmless. Polling is the default.
* Ordering. Different users run concurrently (``concurrent_updates``); one person's updates
  are taken in order by the router's per-user lock (tasks start in arrival order and the lock
  is FIFO).
* Refusals. A chat that answers 403 (blocked, bot removed) gets nothing more of a batch; the
  batch's other chats still get theirs. A group upgraded to a supergroup (service messages, or
  ``ChatMigrated`` on a send) becomes a ``chat_moved`` event (handlers/chat_moves.py) and the
  refused reply is sent again, as a new message, to the new id.
* Edits. ``edited_message`` is subscribed only so that a person who corrects a typo by
  editing is told that edits are not read and how to change the answer (handlers/edits.py);
  an edit never changes stored data. Edits in groups are dropped here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import warnings
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC
from typing import Any, Protocol

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    ChatMemberUpdated,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, MessageEntityType, MessageLimit
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    ContextTypes,
    TypeHandler,
)

from bot.settings import Settings, protect_logs
from bot.telegram_request import AiohttpRequest
from forms import texts
from handlers.events import MAX_ACTION_BYTES, Button, Chat, ChatKind, Event, Reply, User
from handlers.failures import failure_place

__all__ = [
    "PLATFORM",
    "PacedRateLimiter",
    "TelegramAdapter",
    "TelegramBot",
    "build_application",
    "default_commands",
    "keyboard",
    "run_telegram",
    "split_text",
    "update_to_event",
    "utf16_len",
]

_LOGGER = logging.getLogger(__name__)

PLATFORM = "telegram"
MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096
MAX_CAPTION = MessageLimit.CAPTION_LENGTH  # 1024
MAX_TOAST = 200  # answerCallbackQuery text
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,  # only to tell the person that edits are not read
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]


class RouterLike(Protocol):
    """What the adapter needs from :class:`handlers.router.Router`."""

    async def handle(self, event: Event) -> list[Reply]: ...

    async def message_sent(
        self, ref_key: str, platform: str, chat_id: str, message_id: str
    ) -> None: ...


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji outside the BMP counts 2)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """Largest index i such that ``text[:i]`` is at most ``limit`` UTF-16 units."""
    if utf16_len(text[:limit]) <= limit:
        return min(len(text), limit)
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split ``text`` into messages of at most ``limit`` UTF-16 units.

    Cuts at the last paragraph break that keeps a chunk at least half full, else a line break,
    else a space; only a single word longer than the limit is cut inside.
    """
    text = text.strip()
    if not text:
        return []
    chunks: list[str] = []
    while utf16_len(text) > limit:
        window = _prefix_within(text, limit)
        head = text[:window]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            position = head.rfind(separator)
            if position >= window // 2:
                cut = position
                break
        if cut <= 0:
            cut = window
        chunk = text[:cut].rstrip()
        if chunk:
            chunks.append(chunk)
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks


def keyboard(rows: Sequence[Sequence[Button]]) -> dict[str, Any] | None:
    """Buttons as an inline keyboard, in the Bot API's JSON shape (``reply_markup``); the
    button's action is its callback_data (≤ 64 bytes).

    Plain JSON rather than PTB's ``InlineKeyboardMarkup``: PTB would only turn those objects
    back into these dicts (``to_dict``) before encoding, at a measurable cost per reply.
    """
    if not rows:
        return None
    built: list[list[dict[str, str]]] = []
    for row in rows:
        line = []
        for button in row:
            data = button.action
            if not 0 < len(data.encode()) <= MAX_ACTION_BYTES:
                raise ValueError(f"callback_data must be 1..64 bytes: {data!r}")
            line.append({"text": button.label, "callback_data": data})
        if line:
            built.append(line)
    return {"inline_keyboard": built} if built else None


# --------------------------------------------------------------------------------------------
# Update → Event
# --------------------------------------------------------------------------------------------


def _chat(tg_chat: Any) -> Chat | None:
    kind: ChatKind
    if tg_chat.type == ChatType.PRIVATE:
        kind = "private"
    elif tg_chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        kind = "group"
    else:
        return None  # channels are not served
    return Chat(platform=PLATFORM, id=str(tg_chat.id), kind=kind, title=tg_chat.title or "")


def _user(tg_user: Any) -> User:
    return User(platform=PLATFORM, id=str(tg_user.id), name=tg_user.full_name)


def _command(message: Message, bot_username: str) -> tuple[str, str] | None:
    """``("start", "PAYLOAD")`` for "/start PAYLOAD" or "/Start@OurBot PAYLOAD".

    None when the text is not a command, or is a command addressed to another bot.
    """
    text = message.text or ""
    entity = message.entities[0] if message.entities else None
    if entity is not None:
        if entity.type != MessageEntityType.BOT_COMMAND or entity.offset != 0:
            return None
        word = text[1 : entity.length]
    elif text.startswith("/") and len(text) > 1 and not text[1].isspace():
        word = text[1:].split(maxsplit=1)[0]
    else:
        return None
    name, _, target = word.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return ("", "")  # someone else's command in a group
    args = text[1 + len(word) :].strip()
    return name.lower(), args


def update_to_event(
    update: Update, bot_username: str = "", bot_id: int | None = None
) -> Event | None:
    """The platform-neutral :class:`Event` for ``update``, or None if it concerns nobody.

    Groups: with privacy mode on Telegram only sends commands, replies to the bot and
    mentions; if privacy mode is off we still only pass those on, so group chatter never
    reaches the flows.
    """
    key = str(update.update_id)
    if update.callback_query is not None:
        return _button(update.callback_query, key)
    if update.my_chat_member is not None:
        return _membership(update.my_chat_member, key)
    if update.edited_message is not None:
        return _edited(update.edited_message)
    message = update.message
    if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
        return _chat_moved(message, key)
    if message is None:
        return None
    return _message(message, key, bot_username, bot_id)


def _button(query: CallbackQuery, key: str) -> Event | None:
    """A tap on one of our buttons; its callback data is the action."""
    message = query.message
    if message is None:  # inline-mode message: not ours
        return None
    chat = _chat(message.chat)
    if chat is None:
        return None
    return Event(
        user=_user(query.from_user),
        chat=chat,
        kind="button",
        action=query.data or "",
        update_key=key,
        message_ref=str(message.message_id),
    )


_PRESENT = (
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.OWNER,
    ChatMemberStatus.RESTRICTED,
)


def _membership(member: ChatMemberUpdated, key: str) -> Event | None:
    """The bot added to or removed from a group (``bot_added`` / ``bot_removed``)."""
    chat = _chat(member.chat)
    if chat is None or chat.kind != "group":
        return None  # a private block/unblock carries nothing for the flows
    old = member.old_chat_member.status in _PRESENT
    new = member.new_chat_member.status in _PRESENT
    if old == new:
        return None  # e.g. promoted to admin
    return Event(
        user=_user(member.from_user),
        chat=chat,
        kind="bot_added" if new else "bot_removed",
        update_key=key,
    )


def _message(message: Message, key: str, bot_username: str, bot_id: int | None) -> Event | None:
    """A person's message: a command, text, or anything else (a sticker, a photo…). In a
    group only commands, replies to the bot and (for text) mentions of it are passed on."""
    if message.from_user is None:
        return None
    chat = _chat(message.chat)
    if chat is None or message.from_user.is_bot:
        return None
    user = _user(message.from_user)
    reply_ref = _reply_to_us(message, bot_id)
    if message.text is not None:
        command = _command(message, bot_username)
        if command is not None:
            name, args = command
            if not name:
                return None
            return Event(
                user=user,
                chat=chat,
                kind="command",
                command=name,
                text=args,
                update_key=key,
                reply_to_ref=reply_ref,
            )
        if chat.kind == "group" and not reply_ref and not _mentions(message, bot_username):
            return None
        return Event(
            user=user,
            chat=chat,
            kind="text",
            text=message.text,
            update_key=key,
            reply_to_ref=reply_ref,
        )
    if chat.kind == "group" and not reply_ref:
        return None
    # Stickers, photos, documents, voice, contacts…: never data; the flow says so and re-asks.
    return Event(
        user=user,
        chat=chat,
        kind="other",
        text=message.caption or "",
        update_key=key,
        reply_to_ref=reply_ref,
    )


def _reply_to_us(message: Message, bot_id: int | None) -> str:
    """The id of our message that ``message`` replies to ("" when it replies to none of
    ours)."""
    replied = message.reply_to_message
    author = replied.from_user if replied is not None else None
    ours = author is not None and author.is_bot and (bot_id is None or author.id == bot_id)
    return str(replied.message_id) if replied is not None and ours else ""


def _edited(message: Message) -> Event | None:
    """A person's edit of a text message in a private chat, as an ``edited`` event.

    Groups' edits are ignored. The key names the message rather than the update, so a message
    edited several times is answered once (and a redelivered edit changes nothing).
    """
    chat = _chat(message.chat)
    sender = message.from_user
    if chat is None or chat.kind != "private" or sender is None or sender.is_bot:
        return None
    if message.text is None:
        return None  # a caption: the photo or file was never read as an answer either
    return Event(
        user=_user(sender),
        chat=chat,
        kind="edited",
        update_key=f"edited:{chat.id}:{message.message_id}",
        sent_at=message.date.astimezone(UTC).isoformat(),
    )


def _chat_moved(message: Message, key: str) -> Event | None:
    """The service message of a group upgraded to a supergroup, as a ``chat_moved`` event.

    Telegram sends it twice: ``migrate_to_chat_id`` in the old group, ``migrate_from_chat_id``
    in the new supergroup; both name the same move (old id → new id), the second is a no-op.
    """
    chat = _chat(message.chat)
    if chat is None:
        return None
    if message.migrate_to_chat_id:
        old, new = chat.id, str(message.migrate_to_chat_id)
    else:
        old, new = str(message.migrate_from_chat_id), chat.id
    sender = message.from_user
    return Event(
        user=_user(sender) if sender is not None else User(PLATFORM, ""),
        chat=Chat(PLATFORM, old, "group", chat.title),
        kind="chat_moved",
        update_key=key,
        moved_to=new,
    )


def anonymous_command(update: Update, bot_username: str = "") -> Chat | None:
    """The group where an anonymous admin sent us a command, else None.

    A group admin with "Remain anonymous" on writes as the group: ``from`` is the
    GroupAnonymousBot and ``sender_chat`` the group itself. The flows cannot tell who that
    is (roles are per person), so :func:`update_to_event` drops it like any bot's message;
    the adapter answers such a command with how to be recognised instead of silence.
    """
    message = update.message
    if message is None or message.sender_chat is None or message.text is None:
        return None
    if message.sender_chat.id != message.chat.id:
        return None  # a linked channel's post, not an admin
    chat = _chat(message.chat)
    if chat is None or chat.kind != "group":
        return None
    command = _command(message, bot_username)
    return chat if command is not None and command[0] else None


def _mentions(message: Message, bot_username: str) -> bool:
    if not bot_username:
        return False
    needle = "@" + bot_username.lower()
    return needle in (message.text or "").lower()


# --------------------------------------------------------------------------------------------
# Rate limiting: pace groups, never delay private replies
# --------------------------------------------------------------------------------------------


class PacedRateLimiter(BaseRateLimiter[int]):
    """Pace messages to group chats (~20 per minute per group), leave private chats alone.

    PTB's :class:`AIORateLimiter` also applies an overall 30 requests/s limit, which is meant
    for broadcasts; replying to people is not limited that way, and under load it would queue
    every private reply behind all others. Here private replies go straight out; a
    ``RetryAfter`` from Telegram delays only the request that got it (and is retried).
    """

    def __init__(self, group_per_minute: int = 20, max_retries: int = 3) -> None:
        self._group_per_minute = group_per_minute
        self._max_retries = max_retries
        self._limiters: dict[int | str, Any] = {}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        self._limiters.clear()

    def _group_limiter(self, chat_id: int | str) -> Any:
        from aiolimiter import AsyncLimiter

        limiter = self._limiters.get(chat_id)
        if limiter is None:
            limiter = AsyncLimiter(self._group_per_minute, 60)
            self._limiters[chat_id] = limiter
        return limiter

    async def process_request(
        self,
        callback: Callable[..., Awaitable[Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        grouped = endpoint not in ("answerCallbackQuery", "getUpdates") and (
            (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str)
        )
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        for attempt in range(retries + 1):
            try:
                if grouped:
                    async with self._group_limiter(chat_id):  # type: ignore[arg-type]
                        return await callback(*args, **kwargs)
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= retries:
                    raise
                seconds = _retry_seconds(exc)
                _LOGGER.info("Telegram asked to wait %.1f s (%s)", seconds, endpoint)
                await asyncio.sleep(float(seconds) + 0.1)
        raise AssertionError("unreachable")


def _retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds (PTB 22 is moving it from int to timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        delay: Any = exc.retry_after
    return float(delay.total_seconds() if hasattr(delay, "total_seconds") else delay)


# --------------------------------------------------------------------------------------------
# Reply → Telegram
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Sent:
    message_id: int


class TelegramAdapter:
    """Feeds updates to the router and draws its replies. One instance per Application."""

    def __init__(self, router: RouterLike, *, bot_username: str = "") -> None:
        self.router = router
        self.bot_username = bot_username
        self.moved: dict[str, str] = {}  # chat id → its new id (groups upgraded to supergroups)

    async def on_update(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """PTB callback for every update (registered as a TypeHandler)."""
        if not isinstance(update, Update):
            return
        bot = context.bot
        username = self.bot_username or (bot.username or "")
        event = update_to_event(update, username, bot.id)
        query = update.callback_query
        if event is None:
            if query is not None:
                await _answer(query, "")
            elif (group := anonymous_command(update, username)) is not None:
                notice = Reply(text=texts.message("platform.anonymous.command"))
                await self.deliver(bot, group, [notice])
            return
        if event.kind == "chat_moved":
            self.moved[event.chat.id] = event.moved_to
        toast_sent = False
        try:
            replies = await self.router.handle(event)
            if query is not None:
                toast = " ".join(r.toast for r in replies if r.toast).strip()
                toast_sent = True
                await _answer(query, toast)
            await self.deliver(bot, event.chat, replies)
        finally:
            if query is not None and not toast_sent:
                await _answer(query, "")

    async def deliver(self, bot: Any, chat: Chat, replies: Iterable[Reply]) -> None:
        """Send ``replies`` in order; a failing reply is logged and the rest still go out.

        A chat that refuses the bot (403: the person blocked it, the group removed it) gets
        nothing more of this batch, while the other chats of the batch still get theirs. A
        chat that moved (a group upgraded to a supergroup: ``ChatMigrated``) is sent to at
        its new id, once, and the router is told so that the stored ids follow.
        """
        refused: set[str] = set()
        for reply in replies:
            target = reply.chat or chat
            new_id = self.moved.get(target.id)
            if new_id is not None:
                target = Chat(target.platform, new_id, target.kind, target.title)
            if target.id in refused:
                continue
            try:
                try:
                    sent = await self._send_one(bot, target, reply)
                except ChatMigrated as exc:
                    target = await self._chat_moved(bot, target, str(exc.new_chat_id))
                    # the old chat's message ids mean nothing (or another message) there
                    sent = await self._send_one(bot, target, replace(reply, edit_ref=""))
            except Forbidden:
                _LOGGER.info("a %s chat blocked the bot or removed it; reply dropped", target.kind)
                refused.add(target.id)
                continue
            except TelegramError as exc:
                _LOGGER.warning("could not deliver a reply to a %s chat: %s", target.kind, exc)
                continue
            if reply.remember and sent is not None:
                await self.router.message_sent(
                    reply.remember, PLATFORM, target.id, str(sent.message_id)
                )

    async def _chat_moved(self, bot: Any, chat: Chat, new_id: str) -> Chat:
        """Telegram refused ``chat``: it is now ``new_id``. Remember it here, and have the
        router move what is stored under the old id (the update telling of the move may have
        been missed); returns the chat at its new id."""
        _LOGGER.info("a group moved to a new id (upgraded to a supergroup)")
        self.moved[chat.id] = new_id
        event = Event(
            user=User(PLATFORM, ""),
            chat=chat,
            kind="chat_moved",
            update_key=f"chat_moved:{chat.id}:{new_id}",
            moved_to=new_id,
        )
        try:
            replies = await self.router.handle(event)
        except Exception as exc:  # the send itself must still go out
            _LOGGER.error("could not record the move of a chat: %s", failure_place(exc))
            replies = []
        moved = Chat(chat.platform, new_id, chat.kind, chat.title)
        if replies:
            await self.deliver(bot, moved, replies)
        return moved

    async def _send_one(self, bot: Any, chat: Chat, reply: Reply) -> _Sent | None:
        chat_id = int(chat.id)
        markup = keyboard(reply.buttons)
        chunks = split_text(reply.text)
        attachments = [a for a in (reply.document, reply.photo) if a is not None]
        last: _Sent | None = None

        start = 0
        # a non-numeric ref is a message that can no longer be edited (storage/chat_moves.py)
        if reply.edit_ref.isdigit() and chunks:
            only = len(chunks) == 1 and not attachments
            edited = await self._edit(
                bot, chat_id, int(reply.edit_ref), chunks[0], markup if only else None
            )
            if edited is not None:
                last = edited
                start = 1
        for index in range(start, len(chunks)):
            final = index == len(chunks) - 1 and not attachments
            last = await _send_message(bot, chat_id, chunks[index], markup if final else None)

        for position, attachment in enumerate(attachments):
            final = position == len(attachments) - 1
            caption = attachment.caption.strip()
            long_caption = utf16_len(caption) > MAX_CAPTION
            kwargs: dict[str, Any] = {
                "chat_id": chat_id,
                "caption": None if long_caption or not caption else caption,
                "reply_markup": markup if final and not long_caption else None,
            }
            if attachment is reply.document:
                message = await bot.send_document(
                    document=attachment.data, filename=attachment.filename, **kwargs
                )
            else:
                message = await bot.send_photo(photo=attachment.data, **kwargs)
            last = _Sent(message.message_id)
            if long_caption:
                pieces = split_text(caption)
                for index, piece in enumerate(pieces):
                    tail = final and index == len(pieces) - 1
                    last = await _send_message(bot, chat_id, piece, markup if tail else None)
        if last is None and markup is not None:
            raise ValueError("a reply with buttons needs text or an attachment")
        return last

    async def _edit(
        self, bot: Any, chat_id: int, message_id: int, text: str, markup: Any
    ) -> _Sent | None:
        """Edit in place; None if the message cannot be edited (then a new one is sent)."""
        try:
            params = {"chat_id": chat_id, "message_id": message_id, "text": text}
            await _api(bot, "editMessageText", {**params, "reply_markup": markup})
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return _Sent(message_id)
            _LOGGER.info("edit of message %s failed (%s); sending a new one", message_id, exc)
            return None
        return _Sent(message_id)


async def _api(bot: Any, method: str, params: dict[str, Any]) -> Any:
    """Call Bot API ``method`` through PTB and return its raw JSON result.

    PTB's typed methods (``send_message``, ``edit_message_text``…) rebuild a whole ``Message``
    from every answer — about a hundred attribute assignments through ``TelegramObject``'s
    guarded ``__setattr__`` — and we only ever read the message_id: with hundreds of people
    answering, that parsing was about a tenth of the bot's CPU (bench/bench_chat.py).
    ``Bot._post`` is the layer right under those methods: the same request objects, our rate
    limiter, PTB's error mapping (BadRequest, Forbidden, RetryAfter…), None values dropped —
    only the final de_json is skipped. It is PTB's private API (the public
    ``do_api_request`` warns for every method PTB knows); the end-to-end tests against the
    fake Bot API exercise it, so a PTB upgrade that changes it fails loudly.
    """
    return await bot._post(method, params)


async def _send_message(bot: Any, chat_id: int, text: str, markup: Any) -> _Sent:
    result = await _api(
        bot, "sendMessage", {"chat_id": chat_id, "text": text, "reply_markup": markup}
    )
    return _Sent(int(result["message_id"]))


async def _answer(query: CallbackQuery, text: str) -> None:
    """Stop the phone's spinner. Failures (query too old after a restart) do not matter."""
    try:
        await _api(
            query.get_bot(),
            "answerCallbackQuery",
            {"callback_query_id": query.id, "text": text[:MAX_TOAST] or None},
        )
    except TelegramError as exc:
        _LOGGER.debug("answerCallbackQuery failed: %s", exc)


# --------------------------------------------------------------------------------------------
# Application and lifecycle
# --------------------------------------------------------------------------------------------


SCHEDULER_INTERVAL = 60.0  # seconds between looks for due digests and reminders


def group_commands() -> list[tuple[str, str]]:
    """The menu shown in group chats: what reviewers and secretaries type there."""
    names = ("nhanxet", "hoso", "molai", "tinhhinh", "buoc", "ketnoi", "lichsu", "quanly")
    return [(name, texts.message(f"menu.group.{name}")) for name in names]


def default_commands() -> list[tuple[str, str]]:
    """The Vietnamese command list shown in Telegram's menu, taken from the candidate flow."""
    try:
        from handlers import candidate
    except ImportError:
        return []
    raw = getattr(candidate, "COMMANDS", None) or []
    if isinstance(raw, dict):
        raw = list(raw.items())
    pairs: list[tuple[str, str]] = []
    for entry in raw:
        if isinstance(entry, tuple | list):
            name, description = entry[0], entry[1]
        else:
            name = getattr(entry, "command", None) or getattr(entry, "name", "")
            description = getattr(entry, "description", "")
        pairs.append((str(name).lstrip("/"), str(description)))
    return pairs


def build_application(settings: Settings, adapter: TelegramAdapter) -> Application:
    """A PTB Application pointed at ``settings``' Bot API, with our one handler."""
    if not settings.token:
        raise ValueError("no bot token: set KND_BOT_TOKEN (or use the console)")
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)
        .concurrent_updates(settings.concurrent_updates)
        .rate_limiter(PacedRateLimiter())
        # aiohttp instead of httpx: O(1) connection pool (see bot/telegram_request.py); a
        # request waits for a free connection rather than failing after PTB's 1 s default
        .request(AiohttpRequest(connection_pool_size=min(settings.concurrent_updates, 256)))
        .get_updates_request(AiohttpRequest(connection_pool_size=2))
    )
    app = builder.build()
    app.add_handler(TypeHandler(Update, adapter.on_update))
    app.add_error_handler(_log_error)
    return app


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Never log the update itself: it carries dossier contents.
    update_id = getattr(update, "update_id", "?")
    error = context.error
    place = failure_place(error) if error is not None else "unknown"
    _LOGGER.error("error while handling update %s: %s", update_id, place)


class TelegramBot:
    """A running Telegram bot: Application + adapter, started and stopped as a unit.

    Tests start several in turn against the same database to check that a restart resumes.
    """

    def __init__(
        self,
        settings: Settings,
        router: RouterLike,
        *,
        commands: Sequence[tuple[str, str]] | None = None,
        scheduler_interval: float | None = None,
    ) -> None:
        self.settings = settings
        self.adapter = TelegramAdapter(router, bot_username=settings.bot_username)
        self.app = build_application(settings, self.adapter)
        self.commands = list(default_commands() if commands is None else commands)
        self.scheduler_interval = scheduler_interval
        self._scheduler: tuple[asyncio.Task[None], asyncio.Event] | None = None

    async def start(self) -> None:
        await self.app.initialize()
        if not self.adapter.bot_username:
            self.adapter.bot_username = self.app.bot.username or ""
        _share_username(self.adapter.router, self.adapter.bot_username)
        if self.commands:
            await self.app.bot.set_my_commands(
                [BotCommand(name, text) for name, text in self.commands],
                scope=BotCommandScopeAllPrivateChats(),
            )
            group = group_commands()
            if group:
                await self.app.bot.set_my_commands(
                    [BotCommand(name, text) for name, text in group],
                    scope=BotCommandScopeAllGroupChats(),
                )
        await self.app.start()
        if self.scheduler_interval is not None:
            self.start_scheduler(self.scheduler_interval)
        updater = self.app.updater
        assert updater is not None
        if self.settings.use_webhook:
            secret = self.settings.webhook_secret
            await updater.start_webhook(
                listen=self.settings.webhook_listen,
                port=self.settings.webhook_port,
                url_path=self.settings.webhook_path,
                webhook_url=self.settings.webhook_url,
                secret_token=secret.get_secret_value() if secret else None,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await updater.start_polling(
                timeout=self.settings.polling_timeout,
                allowed_updates=ALLOWED_UPDATES,
                poll_interval=0.0,
            )
        _LOGGER.info(
            "bot @%s running (%s)",
            self.adapter.bot_username,
            "webhook" if self.settings.use_webhook else "long polling",
        )

    def start_scheduler(self, interval: float) -> None:
        """Daily digests to units' groups and weekly reminders to idle candidates.

        The notifier records every send, so a restart never repeats one; it needs the
        production router (its database, clock and time zone)."""
        from handlers.router import Router
        from handlers.secretary import start_scheduler

        router = self.adapter.router
        if self._scheduler is not None or not isinstance(router, Router):
            return

        async def send(reply: Reply) -> None:
            if reply.chat is not None:
                await self.adapter.deliver(self.app.bot, reply.chat, [reply])

        self._scheduler = start_scheduler(
            router, send, interval=interval, retention=self.settings.retention
        )

    async def stop(self) -> None:
        """Stop fetching, finish every update already taken, then close connections."""
        if self._scheduler is not None:
            task, stop_event = self._scheduler
            stop_event.set()
            await asyncio.wait_for(task, 30)
            self._scheduler = None
        updater = self.app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def __aenter__(self) -> TelegramBot:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()


def _share_username(router: RouterLike, username: str) -> None:
    """Flows that write t.me links (invites) learn the bot's @username once getMe told it."""
    for flow in getattr(router, "flows", ()):
        if getattr(flow, "bot_username", None) == "":
            flow.bot_username = username


async def run_telegram(
    settings: Settings,
    router: RouterLike | None = None,
    *,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the bot until SIGINT/SIGTERM (or ``stop`` is set), then stop gracefully."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=settings.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    protect_logs(settings)
    close: Callable[[], Awaitable[None]] | None = None
    if router is None:
        if not settings.bot_username:
            # the flows need the bot's @username (deep links, group commands) when built
            settings = settings.model_copy(update={"bot_username": await _fetch_username(settings)})
        router, close = await _open_router(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        async with TelegramBot(settings, router, scheduler_interval=SCHEDULER_INTERVAL):
            await stop.wait()
            _LOGGER.info("stopping…")
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        if close is not None:
            await close()


async def _fetch_username(settings: Settings) -> str:
    """getMe once, before the flows are built."""
    request = AiohttpRequest(connection_pool_size=1)
    async with Bot(
        settings.token,
        base_url=settings.api_base_url,
        base_file_url=settings.api_file_url,
        request=request,
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    ) as bot:
        return bot.username or ""


async def _open_router(settings: Settings) -> tuple[RouterLike, Callable[[], Awaitable[None]]]:
    """The production router on the configured database (import deferred: heavy)."""
    from bot.app import open_router

    router, close = await open_router(settings)
    return router, close
