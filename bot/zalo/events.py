"""Zalo updates read as platform-neutral events. No I/O.

An update is ``{"event_name": "message.text.received", "message": {…}}``, received flat
(getUpdates) or wrapped in ``{"ok": true, "result": …}`` (some webhook deliveries): both are
read. The inbox key is the message's own ``message_id``: Zalo's getUpdates has no offset and
replays what was read, so that id is what recognises a replay however often it comes.

* **Private chats.** ``/cmd args`` is a command; a typed number or label of the options last
  delivered there (bot/zalo/options.py) is that option's button; anything else is text.
  Stickers, photos and unsupported messages are ``other``.
* **Groups.** Zalo passes the bot only messages that mention it. The mention is cut off and
  the rest read as a reviewer's typed command — ``xem 12``, ``nhận xét 12 mục 15: …``,
  ``trả lại 12``, ``duyệt 12``, ``hồ sơ`` (:mod:`handlers.review.typed`), with or without accents —
  or a ``/command``, or the number of an option posted in the group. Other chatter is passed
  as group text, which no flow owns (an outsider's mention gets nothing).
"""

from __future__ import annotations

import re
from typing import Any

from bot.zalo.options import OptionMemory
from handlers.events import Chat, Event, User
from handlers.review.typed import addressed_command, without_mentions

PLATFORM = "zalo"

_COMMAND = re.compile(r"^/(\w+)(?:@\S+)?\s*(.*)$", re.DOTALL)


def unwrap(raw: dict[str, Any]) -> dict[str, Any]:
    """The update itself, whether delivered flat or wrapped in ``{"ok", "result"}``."""
    result = raw.get("result")
    return result if isinstance(result, dict) and "message" in result else raw


def update_key(raw: dict[str, Any]) -> str:
    message = unwrap(raw).get("message") or {}
    return str(message.get("message_id") or "")


def key_and_sender(update: dict[str, Any]) -> tuple[str, str]:
    """An unwrapped update's message id and sender id ('' when absent), read once."""
    message = update.get("message")
    if not isinstance(message, dict):
        return "", ""
    sender = message.get("from")
    who = sender.get("id") if isinstance(sender, dict) else None
    return str(message.get("message_id") or ""), str(who or "")


def update_to_event(
    raw: dict[str, Any], bot_names: tuple[str, ...], options: OptionMemory | None = None
) -> Event | None:
    """The event a stored update means, or None (the bot's own message, no message)."""
    message = unwrap(raw).get("message")
    if not isinstance(message, dict):
        return None
    sender = message.get("from") or {}
    chat_raw = message.get("chat") or {}
    if sender.get("is_bot") or not sender.get("id") or not chat_raw.get("id"):
        return None
    name = str(sender.get("display_name") or sender.get("first_name") or sender.get("name") or "")
    user = User(PLATFORM, str(sender["id"]), name)
    group = str(chat_raw.get("chat_type", "")).upper() == "GROUP"
    chat = Chat(PLATFORM, str(chat_raw["id"]), "group" if group else "private")
    key = str(message.get("message_id") or "")
    text = message.get("text")
    if not isinstance(text, str):
        return None if group else Event(user, chat, "other", update_key=key)
    if group:
        text = without_mentions(text, bot_names)
        word = addressed_command(text)
        if word is not None:
            command, rest = word
            return Event(user, chat, "command", text=rest, command=command, update_key=key)
    return _typed(user, chat, text, key, options)


def _typed(user: User, chat: Chat, text: str, key: str, options: OptionMemory | None) -> Event:
    if options is not None:
        options.heard(chat.id)
    command = _COMMAND.match(text.strip()) if text.lstrip().startswith("/") else None
    if command:
        name, rest = command.group(1).lower(), command.group(2).strip()
        return Event(user, chat, "command", text=rest, command=name, update_key=key)
    action = options.resolve(chat.id, text) if options is not None else None
    if action is not None:
        return Event(user, chat, "button", action=action, update_key=key)
    return Event(user, chat, "text", text=text, update_key=key)
