"""The console adapter: chat with the bot as a candidate in a terminal, or through a pipe.

Replies are printed as text; buttons become numbered options ``[1] Bỏ qua`` — typing the
number taps the button (numbers run across one batch of replies, so a flag's "Sửa mục (15)"
and the question's buttons never share a number). A label can also be typed: the engine
recognises it. Documents are written to the person's folder under ``documents_dir``
(``storage/files.py``: private, removed by an erasure) and their path is printed.

With a terminal the adapter prints a ``Bạn: `` prompt; with a pipe it prints no prompt and
echoes each input line as ``» …`` so the output reads as a conversation, and stops at end of
input. Commands are typed as in Telegram: ``/tiendo``, ``/sua 15``…
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path
from typing import TextIO

from admission.clock import Clock
from bot.app import build_flows, warm_up, web_server
from bot.settings import Settings
from bot.web.keys import link_signer
from bot.web.server import WebServer
from forms.framing import option_number
from handlers.events import Chat, Event, Reply, User
from handlers.router import Router
from storage.db import Database
from storage.files import DocumentFolder

PLATFORM = "console"


class ConsoleAdapter:
    """Turns lines into events and replies into text; see the module docstring."""

    def __init__(
        self,
        router: Router,
        output: TextIO,
        *,
        documents_dir: Path,
        user_id: str = "local",
        name: str = "",
    ) -> None:
        self.router = router
        self.output = output
        self.documents_dir = documents_dir
        self.files = DocumentFolder(documents_dir)
        self.user = User(PLATFORM, user_id, name)
        self.chat = Chat(PLATFORM, user_id, "private")
        self._numbers: dict[int, str] = {}
        self._ids = itertools.count(1)

    def event_for(self, line: str) -> Event:
        text = line.strip()
        number = option_number(text)  # "2", "số 2", "chọn 2 ạ"
        if number in self._numbers:
            return Event(self.user, self.chat, "button", action=self._numbers[number])
        if text.startswith("/"):
            head, _, rest = text[1:].partition(" ")
            return Event(self.user, self.chat, "command", text=rest.strip(), command=head.lower())
        return Event(self.user, self.chat, "text", text=text)

    async def send_line(self, line: str) -> list[Reply]:
        replies = await self.router.handle(self.event_for(line))
        self.show(replies)
        return replies

    def show(self, replies: list[Reply]) -> None:
        numbers: dict[int, str] = {}
        out = self.output
        for reply in replies:
            if reply.toast and not reply.text:
                out.write(f"  ({reply.toast})\n")
            if reply.text:
                out.write(reply.text.rstrip() + "\n")
            for row in reply.buttons:
                cells = []
                for button in row:
                    n = len(numbers) + 1
                    numbers[n] = button.action
                    cells.append(f"[{n}] {button.label}")
                out.write("   " + "   ".join(cells) + "\n")
            if reply.document:
                path = self.save(reply.document.filename, reply.document.data)
                caption = f" – {reply.document.caption}" if reply.document.caption else ""
                out.write(f"📄 Đã lưu tệp: {path}{caption}\n")
            if reply.photo:
                path = self.save(f"anh-{next(self._ids)}.png", reply.photo.data)
                out.write(f"🖼 Đã lưu ảnh: {path}\n")
            out.write("\n")
        if numbers:
            self._numbers = numbers
        out.flush()

    def save(self, filename: str, data: bytes) -> Path:
        """Into the person's own folder (0700, files 0600), which an erasure removes."""
        return self.files.save(PLATFORM, self.user.id, filename, data).resolve()


async def run_console(
    db_path: str | Path,
    input: TextIO = sys.stdin,
    output: TextIO = sys.stdout,
    *,
    documents_dir: str | Path = "data/documents",
    user_id: str = "local",
    clock: Clock | None = None,
    key: str | None = None,
    settings: Settings | None = None,
) -> int:
    """Chat as a candidate on the database ``db_path`` until end of input; returns 0.
    With ``settings`` naming a web base URL, the web companion runs meanwhile on its own
    server (``/web`` gives its link)."""
    warm_up()
    db = await Database.open(db_path, key=key)
    server: WebServer | None = None
    try:
        web = settings is not None and settings.web_enabled
        links = link_signer(settings) if settings is not None and web else None
        router = Router(db, clock, build_flows(links=links))
        if settings is not None and links is not None:
            server = web_server(settings, router)
            assert server is not None
            await server.start(settings.web_listen, settings.web_port)
        adapter = ConsoleAdapter(router, output, documents_dir=Path(documents_dir), user_id=user_id)
        db.files = adapter.files
        interactive = _isatty(input)
        await adapter.send_line("/start")
        while True:
            if interactive:
                output.write("Bạn: ")
                output.flush()
            line = await asyncio.to_thread(input.readline)
            if not line:
                break
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            if not interactive:
                output.write(f"» {line}\n")
            await adapter.send_line(line)
    finally:
        if server is not None:
            await server.stop()
        await db.close()
    return 0


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
