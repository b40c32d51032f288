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
* every message Zalo accepted is counted (:class:`bot.zalo.quota.QuotaCounter`);
* the first question of a long part (a table, the relatives) carries, once per chat and part,
  the offer to fill that part on the web form with one link (``/web``) instead of dozens of
  messages — when the web companion runs (the free plan counts every message).

Errors map onto the sender's kinds: retryable (network, 408, 429, 5xx) → ``TryAgain``,
403 → ``Refused``, other 4xx → ``Rejected``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from functools import cache
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
from forms.memo import remembered
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
    lines = [_line(first + i, label) for i, (label, _) in enumerate(options)]
    last = first + len(options) - 1
    shown = ", ".join(map(str, range(first, last + 1))) if len(options) <= 4 else f"{first}–{last}"
    lines.append(_hint(shown))
    return "\n".join(lines), options


@remembered(maxsize=8192)
def _line(n: int, label: str) -> str:
    """One numbered option (labels and numbers repeat: rendered once)."""
    return message("zalo.options.line", n=n, label=label)


@remembered(maxsize=1024)
def _hint(numbers: str) -> str:
    return message("zalo.options.hint", numbers=numbers)


_PART = re.compile(r"^Phần (\d+)/\d+ – ", re.MULTILINE)


@cache
def long_parts() -> dict[int, str]:
    """The candidate's parts (numbered as the chat shows them) holding a table or the
    relatives: the long ones, where the web form saves most messages."""
    from forms.definition import load_form
    from handlers.candidate.structure import Structure

    structure = Structure(load_form())
    return {
        index + 1: section.title
        for index, section in enumerate(structure.sections)
        if any(item.table or item.relatives for item in structure.section_items(index))
    }


def web_offer(text: str) -> tuple[int, str] | None:
    """The long part a question of ``text`` belongs to, and the offer to fill it on the web."""
    match = _PART.search(text) if "Phần " in text else None
    if match is None:
        return None
    part = int(match.group(1))
    title = long_parts().get(part)
    return (part, message("zalo.web.offer", title=title)) if title else None


def typed_card(buttons: Buttons, bot: str) -> str:
    """Under a dossier's card (its «Xem», «Duyệt» buttons): the words a reviewer types after
    mentioning the bot in the group (bot/zalo/events.py reads them), else ''."""
    for row in buttons:
        for button in row:
            if not button.action.startswith(_CARD_TAGS):
                continue
            for codec in (review_actions.VIEW, review_actions.APPROVE, review_actions.RETURN):
                decoded = codec.decode(button.action)
                if decoded is not None:
                    return message("zalo.options.typed", bot=bot, n=decoded.payload.dossier)
    return ""


_CARD_TAGS = tuple(
    codec.tag for codec in (review_actions.VIEW, review_actions.APPROVE, review_actions.RETURN)
)


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
        self._offered: set[tuple[str, int]] = set()  # (chat, part) offered the web form

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

    async def send_text(
        self, chat_id: str, text: str, buttons: Buttons, *, protect: bool = False
    ) -> str:
        """``protect`` has no Zalo counterpart: content meant to be protected reaches Zalo
        only as a private link (documents, details), never as forwardable content."""
        if self.links is not None:  # the web companion runs: offer it for the long parts
            text = self._with_offer(chat_id, text)
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
        self.options.delivered(chat_id, options, first)
        return sent

    def _with_offer(self, chat_id: str, text: str) -> str:
        offer = web_offer(text)
        if offer is None or (chat_id, offer[0]) in self._offered:
            return text
        self._offered.add((chat_id, offer[0]))
        return f"{offer[1]}\n\n{text}" if len(text) + len(offer[1]) + 2 <= MAX_TEXT else text

    async def edit_text(
        self, chat_id: str, message_id: str, text: str, buttons: Buttons | None
    ) -> str | None:
        return None  # Zalo cannot edit: the sender posts the new state as a new message

    async def send_document(
        self,
        chat_id: str,
        document: Document,
        caption: str,
        buttons: Buttons,
        *,
        protect: bool = False,
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

    async def send_photo(
        self, chat_id: str, photo: Photo, caption: str, buttons: Buttons, *, protect: bool = False
    ) -> str:
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
