"""Telegram's shapes: updates read as platform-neutral events, texts and buttons drawn as the
Bot API wants them, the command menus. No I/O of its own.

Running the bot is :mod:`bot.telegram_service` (``TelegramService``, ``run_telegram``): our own
getUpdates loop or aiohttp webhook stores every update in the inbox before Telegram is told it
arrived (:mod:`bot.telegram_receive`); :mod:`bot.intake` reads stored updates through
:func:`update_to_event` into the router, which commits the answer and its replies (the outbox)
together; :mod:`bot.delivery` sends the outbox per chat, in order, retrying, through
:class:`bot.telegram_transport.TelegramTransport` and paced by :mod:`bot.pacing`. PTB is used
as HTTP client and error mapping (``Bot``, its request layer and exceptions) and for uploads and
the set-up calls; updates are read from their JSON (:func:`update_to_event`), texts sent as
JSON (bot/telegram_transport.py). No Application, Updater, rate limiter or tornado webhook.

What this module decides:

* Groups. Only commands, replies to the bot and mentions of it are passed on; chatter and
  commands addressed to another bot are dropped, and so are edits in groups. A mention
  followed by a reviewer's words («@bot duyệt 12», «@bot xem 12») is that command, as on
  Zalo (``handlers.review.typed``).
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

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType, MessageEntityType, MessageLimit

from forms import texts
from handlers.events import MAX_ACTION_BYTES, Button, Chat, ChatKind, Event, User
from handlers.review.typed import addressed_command, without_mentions

__all__ = [
    "ALLOWED_UPDATES",
    "PLATFORM",
    "anonymous_command",
    "callback_id",
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


Raw = dict[str, Any]  # an update, or a part of one, as the Bot API's JSON


def _chat(raw: Raw | None) -> Chat | None:
    if raw is None:
        return None
    kind: ChatKind
    chat_type = raw.get("type")
    if chat_type == ChatType.PRIVATE:
        kind = "private"
    elif chat_type in (ChatType.GROUP, ChatType.SUPERGROUP):
        kind = "group"
    else:
        return None  # channels are not served
    return Chat(platform=PLATFORM, id=str(raw["id"]), kind=kind, title=raw.get("title") or "")


def _user(raw: Raw) -> User:
    """The person; their name as PTB's ``User.full_name`` writes it."""
    first, last = raw.get("first_name") or "", raw.get("last_name")
    return User(platform=PLATFORM, id=str(raw["id"]), name=f"{first} {last}" if last else first)


_WORD_TAIL = re.compile(r"[^\W_]*")


def _command(message: Raw, bot_username: str) -> tuple[str, str] | None:
    """``("start", "PAYLOAD")`` for "/start PAYLOAD" or "/Start@OurBot PAYLOAD".

    None when the text is not a command, or is a command addressed to another bot.
    """
    text = message.get("text") or ""
    entities = message.get("entities")
    entity = entities[0] if entities else None
    if entity is not None:
        if entity.get("type") != MessageEntityType.BOT_COMMAND or entity.get("offset") != 0:
            return None
        # with the letters that follow it: Telegram's entity stops at the first letter outside
        # a-z ("/sửa 15" is marked "/s"); the router reads "sửa" as "sua" (handlers/routing.py)
        tail = _WORD_TAIL.match(text, entity["length"])
        word = text[1 : tail.end() if tail else entity["length"]]
    elif text.startswith("/") and len(text) > 1 and not text[1].isspace():
        word = text[1:].split(maxsplit=1)[0]
    else:
        return None
    name, _, target = word.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return ("", "")  # someone else's command in a group
    args = text[1 + len(word) :].strip()
    return name.lower(), args


def update_to_event(raw: Raw, bot_username: str = "", bot_id: int | None = None) -> Event | None:
    """The platform-neutral :class:`Event` for the update ``raw`` (the Bot API's JSON, as
    stored in the inbox), or None if it concerns nobody.

    Read from the JSON directly rather than through ``telegram.Update.de_json``: PTB would
    build the whole object graph (a few hundred guarded attribute assignments per update,
    about a fifth of the bot's receiving CPU in bench/bench_chat.py) for the dozen fields
    read here. The fields and their meaning are the Bot API's, as PTB names them.

    Groups: with privacy mode on Telegram only sends commands, replies to the bot and
    mentions; if privacy mode is off we still only pass those on, so group chatter never
    reaches the flows.
    """
    key = str(raw["update_id"])
    if (query := raw.get("callback_query")) is not None:
        return _button(query, key)
    if (member := raw.get("my_chat_member")) is not None:
        return _membership(member, key)
    if (edited := raw.get("edited_message")) is not None:
        return _edited(edited)
    message = raw.get("message")
    if message is None:
        return None
    if message.get("migrate_to_chat_id") or message.get("migrate_from_chat_id"):
        return _chat_moved(message, key)
    return _message(message, key, bot_username, bot_id)


def callback_id(raw: Raw) -> str:
    """The id of the button tap in ``raw`` to answer ("" when it is not a tap)."""
    query = raw.get("callback_query")
    return str(query["id"]) if query is not None else ""


def _button(query: Raw, key: str) -> Event | None:
    """A tap on one of our buttons; its callback data is the action."""
    message = query.get("message")
    if message is None:  # inline-mode message: not ours
        return None
    chat = _chat(message.get("chat"))
    if chat is None:
        return None
    return Event(
        user=_user(query["from"]),
        chat=chat,
        kind="button",
        action=query.get("data") or "",
        update_key=key,
        message_ref=str(message["message_id"]),
    )


_PRESENT = (
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.OWNER,
    ChatMemberStatus.RESTRICTED,
)


def _membership(member: Raw, key: str) -> Event | None:
    """The bot added to or removed from a group (``bot_added`` / ``bot_removed``)."""
    chat = _chat(member.get("chat"))
    if chat is None or chat.kind != "group":
        return None  # a private block/unblock carries nothing for the flows
    old = member["old_chat_member"]["status"] in _PRESENT
    new = member["new_chat_member"]["status"] in _PRESENT
    if old == new:
        return None  # e.g. promoted to admin
    return Event(
        user=_user(member["from"]),
        chat=chat,
        kind="bot_added" if new else "bot_removed",
        update_key=key,
    )


def _message(message: Raw, key: str, bot_username: str, bot_id: int | None) -> Event | None:
    """A person's message: a command, text, or anything else (a sticker, a photo…). In a
    group only commands, replies to the bot and (for text) mentions of it are passed on."""
    sender = message.get("from")
    if sender is None:
        return None
    chat = _chat(message.get("chat"))
    if chat is None or sender.get("is_bot"):
        return None
    user = _user(sender)
    reply_ref = _reply_to_us(message, bot_id)
    text = message.get("text")
    if text is not None:
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
        if chat.kind == "group" and not reply_ref:
            if not _mentions(text, bot_username):
                return None
            # «@bot duyệt 12»: a reviewer's words to the bot, read as on Zalo
            word = addressed_command(without_mentions(text, (bot_username,)))
            if word is not None:
                name, args = word
                return Event(
                    user=user, chat=chat, kind="command", command=name, text=args, update_key=key
                )
        return Event(
            user=user, chat=chat, kind="text", text=text, update_key=key, reply_to_ref=reply_ref
        )
    if chat.kind == "group" and not reply_ref:
        return None
    # Stickers, photos, documents, voice, contacts…: never data; the flow says so and re-asks.
    return Event(
        user=user,
        chat=chat,
        kind="other",
        text=message.get("caption") or "",
        update_key=key,
        reply_to_ref=reply_ref,
    )


def _reply_to_us(message: Raw, bot_id: int | None) -> str:
    """The id of our message that ``message`` replies to ("" when it replies to none of
    ours)."""
    replied = message.get("reply_to_message")
    author = replied.get("from") if replied is not None else None
    if author is None or not author.get("is_bot"):
        return ""
    ours = bot_id is None or author.get("id") == bot_id
    return str(replied["message_id"]) if replied is not None and ours else ""


def _edited(message: Raw) -> Event | None:
    """A person's edit of a text message in a private chat, as an ``edited`` event.

    Groups' edits are ignored. The key names the message rather than the update, so a message
    edited several times is answered once (and a redelivered edit changes nothing).
    """
    chat = _chat(message.get("chat"))
    sender = message.get("from")
    if chat is None or chat.kind != "private" or sender is None or sender.get("is_bot"):
        return None
    if message.get("text") is None:
        return None  # a caption: the photo or file was never read as an answer either
    return Event(
        user=_user(sender),
        chat=chat,
        kind="edited",
        update_key=f"edited:{chat.id}:{message['message_id']}",
        sent_at=datetime.fromtimestamp(message["date"], UTC).isoformat(),
    )


def _chat_moved(message: Raw, key: str) -> Event | None:
    """The service message of a group upgraded to a supergroup, as a ``chat_moved`` event.

    Telegram sends it twice: ``migrate_to_chat_id`` in the old group, ``migrate_from_chat_id``
    in the new supergroup; both name the same move (old id → new id), the second is a no-op.
    """
    chat = _chat(message.get("chat"))
    if chat is None:
        return None
    if message.get("migrate_to_chat_id"):
        old, new = chat.id, str(message["migrate_to_chat_id"])
    else:
        old, new = str(message["migrate_from_chat_id"]), chat.id
    sender = message.get("from")
    return Event(
        user=_user(sender) if sender is not None else User(PLATFORM, ""),
        chat=Chat(PLATFORM, old, "group", chat.title),
        kind="chat_moved",
        update_key=key,
        moved_to=new,
    )


def anonymous_command(raw: Raw, bot_username: str = "") -> Chat | None:
    """The group where an anonymous admin sent us a command, else None.

    A group admin with "Remain anonymous" on writes as the group: ``from`` is the
    GroupAnonymousBot and ``sender_chat`` the group itself. The flows cannot tell who that
    is (roles are per person), so :func:`update_to_event` drops it like any bot's message;
    the adapter answers such a command with how to be recognised instead of silence.
    """
    message = raw.get("message")
    if message is None or message.get("text") is None:
        return None
    sender_chat = message.get("sender_chat")
    if sender_chat is None or sender_chat.get("id") != message["chat"]["id"]:
        return None  # none, or a linked channel's post, not an admin
    chat = _chat(message.get("chat"))
    if chat is None or chat.kind != "group":
        return None
    command = _command(message, bot_username)
    return chat if command is not None and command[0] else None


def _mentions(text: str, bot_username: str) -> bool:
    if not bot_username:
        return False
    return "@" + bot_username.lower() in text.lower()


# --------------------------------------------------------------------------------------------
# Command menus
# --------------------------------------------------------------------------------------------


def group_commands() -> list[tuple[str, str]]:
    """The menu shown in group chats: what reviewers and secretaries type there."""
    names = (
        "nhanxet",
        "hoso",
        "molai",
        "tinhhinh",
        "buoc",
        "ketnoi",
        "lichsu",
        "quanly",
        "trogiup",
    )
    return [(name, texts.message(f"menu.group.{name}")) for name in names]


def default_commands() -> list[tuple[str, str]]:
    """The Vietnamese command list shown in Telegram's menu, taken from the candidate flow."""
    from handlers.candidate import COMMANDS

    return [(name, description) for name, description in COMMANDS]
