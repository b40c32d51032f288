"""An in-process chat client over :class:`handlers.router.Router` for fast flow tests.

It plays one person in a private chat: ``send("15/8/1997")``, ``click("Bỏ qua")``, and reads
what came back with ``last_text()`` / ``buttons()``. Every event carries a fresh update key
(``resend()`` delivers the previous one again, as a platform redelivery would). Modelled on
aiogram_dialog's test_tools BotClient: tests read like the conversation they check.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from forms.vn import match_key
from handlers.events import Button, Chat, Event, Reply, User
from handlers.router import Router

_UPDATE_IDS = itertools.count(1)


@dataclass
class ChatClient:
    router: Router
    user_id: str = "1001"
    name: str = "Người dùng thử"
    platform: str = "test"
    history: list[Reply] = field(default_factory=list)
    transcript: list[tuple[str, str]] = field(default_factory=list)
    last_event: Event | None = None

    @property
    def user(self) -> User:
        return User(self.platform, self.user_id, self.name)

    @property
    def chat(self) -> Chat:
        return Chat(self.platform, self.user_id, "private")

    # -- acting --------------------------------------------------------------------------------
    async def send(self, text: str) -> list[Reply]:
        """Type ``text``; "/cmd args" is sent as a command."""
        if text.startswith("/"):
            head, _, rest = text[1:].partition(" ")
            command = head.split("@", 1)[0].lower()
            event = self._event("command", text=rest, command=command)
        else:
            event = self._event("text", text=text)
        self.transcript.append(("người dùng", text))
        return await self._deliver(event)

    async def click(self, label: str) -> list[Reply]:
        """Tap the button of the latest keyboard whose label is ``label`` (case, diacritics
        and leading emoji ignored; a unique prefix is enough)."""
        button = self.find_button(label)
        self.transcript.append(("người dùng", f"[{button.label}]"))
        return await self._deliver(self._event("button", action=button.action))

    async def press(self, action: str) -> list[Reply]:
        """Deliver a raw button action (an old message's button, another flow's link…)."""
        self.transcript.append(("người dùng", f"[{action}]"))
        return await self._deliver(self._event("button", action=action))

    async def sticker(self) -> list[Reply]:
        self.transcript.append(("người dùng", "[nhãn dán]"))
        return await self._deliver(self._event("other"))

    async def resend(self) -> list[Reply]:
        """Deliver the previous event again with the same update key."""
        assert self.last_event is not None
        return await self._deliver(self.last_event)

    # -- reading -------------------------------------------------------------------------------
    def keyboard(self) -> list[list[Button]]:
        """The buttons of the last batch of replies (a flag list and the question after it
        both count), else of the latest reply that had buttons."""
        rows = [row for reply in self._last_batch for row in reply.buttons]
        if rows:
            return rows
        for reply in reversed(self.history):
            if reply.buttons:
                return reply.buttons
        return []

    def buttons(self) -> list[str]:
        return [b.label for row in self.keyboard() for b in row]

    def find_button(self, label: str) -> Button:
        flat = [b for row in self.keyboard() for b in row]
        key = _key(label)
        exact = [b for b in flat if _key(b.label) == key]
        if exact:
            return exact[-1]
        prefix = [b for b in flat if _key(b.label).startswith(key)]
        if len(prefix) == 1:
            return prefix[0]
        raise AssertionError(f"no button {label!r} in {[b.label for b in flat]}")

    def last_text(self) -> str:
        for reply in reversed(self.history):
            if reply.text:
                return reply.text
        return ""

    def texts(self, replies: list[Reply] | None = None) -> str:
        """All texts of ``replies`` (default: the last batch) joined."""
        batch = replies if replies is not None else self._last_batch
        return "\n".join(r.text for r in batch if r.text)

    # -- plumbing ------------------------------------------------------------------------------
    _last_batch: list[Reply] = field(default_factory=list)

    def _event(self, kind: str, **kw: str) -> Event:
        return Event(
            user=self.user,
            chat=self.chat,
            kind=kind,  # type: ignore[arg-type]
            update_key=f"{self.user_id}:{next(_UPDATE_IDS)}",
            **kw,
        )

    async def _deliver(self, event: Event) -> list[Reply]:
        self.last_event = event
        replies = await self.router.handle(event)
        self.history.extend(replies)
        self._last_batch = replies
        for reply in replies:
            if reply.text:
                self.transcript.append(("trợ lý", reply.text))
            if reply.document:
                self.transcript.append(("trợ lý", f"[tệp {reply.document.filename}]"))
        return replies


def _key(label: str) -> str:
    return match_key("".join(ch for ch in label if ch.isalnum() or ch.isspace()))
