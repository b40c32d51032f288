"""Replies drawn for Zalo, and Zalo as a :class:`bot.delivery.Transport`.

Zalo carries text (1..2000 characters), photos by URL and stickers — no buttons, no files, no
edits. So:

* texts are split at paragraph or line boundaries within 2,000 characters
  (:func:`split_text`);
* buttons become numbered options under the text, with the hint "Gõ 1, 2 hoặc chữ trên nút"
  (``templates/zalo.toml``); the options are recorded for the chat once Zalo accepted the
  message (bot/zalo/options.py), and a typed number or label later means that option;
* an edit is sent as a new message (Zalo cannot edit);
* a document, and a chart, arrive as a private signed link to the web companion when
  :class:`Links` is given (bot/zalo/links.py); without it the person is told plainly that the
  file does not come over Zalo — never a link that would not open;
* every message Zalo accepted is counted (:class:`bot.zalo.quota.QuotaCounter`).

Errors map onto the sender's kinds: retryable (network, 408, 429, 5xx) → ``TryAgain``,
403 → ``Refused``, other 4xx → ``Rejected``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from bot.delivery import Buttons, Refused, Rejected, TryAgain
from bot.zalo.client import (
    MAX_TEXT,
    ZaloBotClient,
    ZaloError,
    ZaloForbidden,
    ZaloRetryable,
    ZaloUnauthorized,
)
from bot.zalo.events import PLATFORM
from bot.zalo.options import OptionMemory
from bot.zalo.quota import QuotaCounter
from forms.texts import message
from handlers.events import Document, Photo
from handlers.review import actions as review_actions

log = logging.getLogger(__name__)

T = TypeVar("T")


class Links(Protocol):
    """Private, signed, short-lived links to the web companion (issue 14: what Zalo cannot
    carry). None from a method: no link could be made."""

    minutes: int

    async def document_url(self, chat_id: str, document: Document) -> str | None: ...

    async def photo_url(self, chat_id: str, photo: Photo) -> str | None: ...


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in messages of at most ``limit`` characters, cut at the last paragraph break
    that keeps a part at least half full, else a line break, else a space."""
    text = text.strip()
    parts: list[str] = []
    while len(text) > limit:
        head = text[:limit]
        cut = next(
            (p for sep in ("\n\n", "\n", " ") if (p := head.rfind(sep)) >= limit // 2), limit
        )
        part = text[:cut].rstrip()
        if part:
            parts.append(part)
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def draw_options(buttons: Buttons, first: int) -> tuple[str, list[tuple[str, str]]]:
    """The numbered lines of ``buttons`` from ``first``, the hint under them, and the options
    in their order."""
    options = [(b.label, b.action) for row in buttons for b in row]
    if not options:
        return "", []
    lines = [
        message("zalo.options.line", n=first + i, label=label)
        for i, (label, _) in enumerate(options)
    ]
    numbers = [str(first + i) for i in range(len(options))]
    shown = ", ".join(numbers) if len(numbers) <= 4 else f"{numbers[0]}–{numbers[-1]}"
    lines.append(message("zalo.options.hint", numbers=shown))
    return "\n".join(lines), options


def typed_card(buttons: Buttons, bot: str) -> str:
    """Under a dossier's card (its «Xem», «Duyệt» buttons): the words a reviewer types after
    mentioning the bot in the group (bot/zalo/events.py reads them), else ''."""
    for row in buttons:
        for button in row:
            for codec in (review_actions.VIEW, review_actions.APPROVE, review_actions.RETURN):
                decoded = codec.decode(button.action)
                if decoded is not None:
                    return message("zalo.options.typed", bot=bot, n=decoded.payload.dossier)
    return ""


async def guarded(call: Awaitable[T]) -> T:
    """A Zalo call, its failure as one of the sender's kinds (module docstring)."""
    try:
        return await call
    except ZaloRetryable as exc:
        raise TryAgain(str(exc), after=exc.retry_after) from exc
    except ZaloUnauthorized as exc:  # a token fixed in the settings: the replies wait
        raise TryAgain(str(exc)) from exc
    except ZaloForbidden as exc:
        raise Refused(str(exc)) from exc
    except ZaloError as exc:
        raise Rejected(str(exc)) from exc
    except ValueError as exc:  # refused by the client before sending (length)
        raise Rejected(str(exc)) from exc


class ZaloTransport:
    """Sends for :class:`bot.delivery.Delivery` (module docstring)."""

    platform = PLATFORM

    def __init__(
        self,
        client: ZaloBotClient,
        options: OptionMemory,
        *,
        links: Links | None = None,
        counter: QuotaCounter | None = None,
        on_sent: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.options = options
        self.links = links
        self.counter = counter
        self.on_sent = on_sent
        self.bot_name = "bot"  # the display name people mention (ZaloService sets it)

    def split_text(self, text: str) -> list[str]:
        return split_text(text)

    def caption_fits(self, caption: str) -> bool:
        return len(caption) <= MAX_TEXT

    async def _message(self, chat_id: str, text: str) -> str:
        sent = await guarded(self.client.send_message(chat_id, text))
        self._count(chat_id)
        return sent.message_id

    def _count(self, chat_id: str) -> None:
        if self.counter is not None:
            self.counter.count()
        if self.on_sent is not None:
            self.on_sent(chat_id)

    async def send_text(self, chat_id: str, text: str, buttons: Buttons) -> str:
        first = self.options.first_number(chat_id)
        drawn, options = draw_options(buttons, first)
        typed = typed_card(buttons, self.bot_name)
        if typed:
            drawn = f"{drawn}\n{typed}"
        if not drawn:
            return await self._message(chat_id, text)
        whole = f"{text}\n\n{drawn}" if text else drawn
        if len(whole) <= MAX_TEXT:
            sent = await self._message(chat_id, whole)
        else:  # the options as a message of their own, right after the text
            await self._message(chat_id, text)
            sent = ""
            for part in split_text(drawn):
                sent = await self._message(chat_id, part)
        await self.options.delivered(chat_id, options, first)
        return sent

    async def edit_text(
        self, chat_id: str, message_id: str, text: str, buttons: Buttons | None
    ) -> str | None:
        return None  # Zalo cannot edit: the sender posts the new state as a new message

    async def send_document(
        self, chat_id: str, document: Document, caption: str, buttons: Buttons
    ) -> str:
        url = await self.links.document_url(chat_id, document) if self.links else None
        if url is None:
            text = message("zalo.document.unavailable", filename=document.filename)
        else:
            assert self.links is not None
            minutes = self.links.minutes
            text = message(
                "zalo.document.link", filename=document.filename, url=url, minutes=minutes
            )
        if caption:
            text = f"{caption}\n{text}"
        parts = split_text(text)
        for part in parts[:-1]:
            await self._message(chat_id, part)
        return await self.send_text(chat_id, parts[-1], buttons)

    async def send_photo(self, chat_id: str, photo: Photo, caption: str, buttons: Buttons) -> str:
        """The chart: the page that shows it, by a private link (the web companion serves
        pages, not images, so it is not sent with ``sendPhoto``)."""
        url = await self.links.photo_url(chat_id, photo) if self.links else None
        if url is None:
            text = message("zalo.photo.unavailable")
            return await self.send_text(chat_id, f"{caption}\n{text}" if caption else text, buttons)
        assert self.links is not None
        text = message("zalo.photo.link", caption=caption, url=url, minutes=self.links.minutes)
        return await self.send_text(chat_id, text, buttons)

    async def answer_callback(self, query_id: str, text: str) -> None:
        """A typed option's short notice (a toast on Telegram) as a message of its own;
        ``query_id`` is the chat. Failures do not matter: the choice itself was processed."""
        if not text.strip():
            return
        try:
            await self._message(query_id, text[:MAX_TEXT])
        except Exception as exc:  # a lost notice is not content
            log.debug("a notice to a Zalo chat failed: %s", type(exc).__name__)
