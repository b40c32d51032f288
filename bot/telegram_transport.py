"""Telegram as a :class:`bot.delivery.Transport`: Bot API calls through python-telegram-bot,
its errors mapped onto the sender's four kinds.

* ``RetryAfter`` (429) → :class:`TryAgain` with the delay Telegram asked for;
* ``NetworkError`` (timeouts, connection errors, every 5xx) and an unexpected Bot API error
  → :class:`TryAgain` with backoff;
* ``Forbidden`` (403: the person blocked the bot, the bot was removed) → :class:`Refused`;
* ``BadRequest`` (400) → :class:`Rejected`, except on an edit: "message is not modified"
  counts as done, any other refusal of an edit (deleted, too old, posted before the group
  became a supergroup) makes the sender post the text as a new message;
* ``ChatMigrated`` → :class:`ChatMoved` with the supergroup's id.

Texts, edits and tap answers go out as JSON (:func:`bot.telegram_request.call_json`: PTB's
request layer and error mapping, no ``Message`` rebuilt from the answer), documents the same
way as aiohttp's multipart (:func:`bot.telegram_request.call_upload`); photos through PTB's
typed method.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable
from typing import Any, TypeVar

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    RetryAfter,
    TelegramError,
)

from bot.delivery import Buttons, ChatMoved, Refused, Rejected, TryAgain
from bot.telegram import MAX_CAPTION, MAX_TOAST, PLATFORM, keyboard, split_text, utf16_len
from bot.telegram_request import call_json, call_upload
from handlers.events import Document, Photo

log = logging.getLogger(__name__)

T = TypeVar("T")


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds (PTB 22 is moving it from int to timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        delay: Any = exc.retry_after
    return float(delay.total_seconds() if hasattr(delay, "total_seconds") else delay)


async def guarded(call: Awaitable[T]) -> T:
    """Await a Bot API call, its failure as one of the sender's kinds (module docstring)."""
    try:
        return await call
    except RetryAfter as exc:
        raise TryAgain(f"429: {exc.message}", after=retry_seconds(exc)) from exc
    except ChatMigrated as exc:
        raise ChatMoved(str(exc.new_chat_id)) from exc
    except Forbidden as exc:
        raise Refused(exc.message) from exc
    except (BadRequest, EndPointNotFound) as exc:
        raise Rejected(exc.message) from exc
    except TelegramError as exc:  # NetworkError, TimedOut, 5xx, InvalidToken, Conflict
        raise TryAgain(f"{type(exc).__name__}: {exc.message}") from exc


class TelegramTransport:
    """Sends, edits, uploads and answers taps for :class:`bot.delivery.Delivery`."""

    platform = PLATFORM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def split_text(self, text: str) -> list[str]:
        return split_text(text)

    def caption_fits(self, caption: str) -> bool:
        return utf16_len(caption) <= MAX_CAPTION

    async def send_text(
        self, chat_id: str, text: str, buttons: Buttons, *, protect: bool = False
    ) -> str:
        params = {
            "chat_id": int(chat_id),
            "text": text,
            "reply_markup": keyboard(buttons),
            "protect_content": True if protect else None,  # None: not sent
        }
        result = await guarded(call_json(self.bot, "sendMessage", params))
        return str(result["message_id"])

    async def edit_text(
        self, chat_id: str, message_id: str, text: str, buttons: Buttons | None
    ) -> str | None:
        if not message_id.isdigit():
            return None  # a message that can no longer be edited (storage/chat_moves.py)
        params = {
            "chat_id": int(chat_id),
            "message_id": int(message_id),
            "text": text,
            "reply_markup": keyboard(buttons or []),
        }
        try:
            await guarded(call_json(self.bot, "editMessageText", params))
        except Rejected as exc:
            if "not modified" in str(exc).lower():
                return message_id
            log.info("edit of message %s failed (%s); sending a new one", message_id, exc)
            return None
        return message_id

    async def send_document(
        self,
        chat_id: str,
        document: Document,
        caption: str,
        buttons: Buttons,
        *,
        protect: bool = False,
    ) -> str:
        params = {
            "chat_id": int(chat_id),
            "caption": caption or None,
            "reply_markup": keyboard(buttons),
            "protect_content": True if protect else None,
        }
        upload = call_upload(
            self.bot, "sendDocument", params, "document", document.filename, document.data
        )
        result = await guarded(upload)
        return str(result["message_id"])

    async def send_photo(
        self, chat_id: str, photo: Photo, caption: str, buttons: Buttons, *, protect: bool = False
    ) -> str:
        message = await guarded(
            self.bot.send_photo(
                chat_id=int(chat_id),
                photo=photo.data,
                caption=caption or None,
                reply_markup=keyboard(buttons),  # type: ignore[arg-type]
                protect_content=protect or None,
            )
        )
        return str(message.message_id)

    async def answer_callback(self, query_id: str, text: str) -> None:
        """Stop the phone's spinner. Failures (a query too old after a restart) do not
        matter: the tap itself was stored and processed."""
        params = {"callback_query_id": query_id, "text": text[:MAX_TOAST] or None}
        try:
            await call_json(self.bot, "answerCallbackQuery", params)
        except TelegramError as exc:
            log.debug("answerCallbackQuery failed: %s", exc)
