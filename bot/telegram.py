"""Telegram's shapes: updates read as platform-neutral events, texts and buttons drawn as the
Bot API wants them, the command menus. No I/O of its own.

Running the bot is :mod:`bot.telegram_service` (``TelegramService``, ``run_telegram``): our own
getUpdates loop or aiohttp webhook stores every update in the inbox before Telegram is told it
arrived (:mod:`bot.telegram_receive`); :mod:`bot.intake` reads stored updates through
:func:`update_to_event` into the router, which commits the answer and its replies (the outbox)
together; :mod:`bot.delivery` sends the outbox per chat, in order, retrying, through
:class:`bot.telegram_transport.TelegramTransport` and paced by :mod:`bot.pacing`. PTB is used
as HTTP client and object model only (``Bot``, ``Update.de_json``): no Application, Updater,
rate limiter or tornado webhook.

What this module decides:

* Groups. Only commands, replies to the bot and mentions of it are passed on; chatter and
  commands addressed to another bot are dropped, and so are edits in groups.
* Edits. ``edited_message`` is subscribed only so that a person who corrects a typo by editing
  is told that edits are not read and how to change the answer (handlers/edits.py); an edit
  never changes stored data. A private edit is keyed by its message, so a message edited
  several times is answered once.
* A group upgraded to a supergroup: its two service messages become one ``chat_moved`` event
  (handlers/chat_moves.py); a send refused with ``ChatMigrated`` is handled by the sender.
* An anonymous group admin (GroupAnonymousBot) cannot be recognised: no flow gets their command
  (:func:`anonymous_command` lets the service answer how to be recognised).
* Texts are split at 4096 UTF-16 units (:func:`split_text`), buttons are callback data of at
  most 64 bytes (:func:`keyboard`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

from telegram import CallbackQuery, ChatMemberUpdated, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, MessageEntityType, MessageLimit

from forms import texts
from handlers.events import MAX_ACTION_BYTES, Button, Chat, ChatKind, Event, User

__all__ = [
    "ALLOWED_UPDATES",
    "PLATFORM",
    "anonymous_command",
    "default_commands",
    "group_commands",
    "keyboard",
    "split_text",
    "update_to_event",
    "utf16_len",
]

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
# Bot API calls
# --------------------------------------------------------------------------------------------


async def _api(bot: Any, method: str, params: dict[str, Any]) -> Any:
    """Call Bot API ``method`` through PTB and return its raw JSON result.

    PTB's typed methods (``send_message``, ``edit_message_text``…) rebuild a whole ``Message``
    from every answer — about a hundred attribute assignments through ``TelegramObject``'s
    guarded ``__setattr__`` — and we only ever read the message_id: with hundreds of people
    answering, that parsing was about a tenth of the bot's CPU (bench/bench_chat.py).
    ``Bot._post`` is the layer right under those methods: the same request objects, PTB's
    error mapping (BadRequest, Forbidden, RetryAfter…), None values dropped — only the final
    de_json is skipped. It is PTB's private API (the public
    ``do_api_request`` warns for every method PTB knows); the end-to-end tests against the
    fake Bot API exercise it, so a PTB upgrade that changes it fails loudly.
    """
    return await bot._post(method, params)


# --------------------------------------------------------------------------------------------
# Command menus
# --------------------------------------------------------------------------------------------


def group_commands() -> list[tuple[str, str]]:
    """The menu shown in group chats: what reviewers and secretaries type there."""
    names = ("nhanxet", "hoso", "molai", "tinhhinh", "buoc", "ketnoi", "lichsu", "quanly")
    return [(name, texts.message(f"menu.group.{name}")) for name in names]


def default_commands() -> list[tuple[str, str]]:
    """The Vietnamese command list shown in Telegram's menu, taken from the candidate flow."""
    from handlers.candidate import COMMANDS

    return [(name, description) for name, description in COMMANDS]
