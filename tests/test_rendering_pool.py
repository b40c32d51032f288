"""Documents are rendered in worker processes, and nobody's answer waits for one (issue 17).

The running bot (bot/app.py) gives the router and the flows one DocumentRenderer over a
process pool. A draft asked for with /xem is rendered there — not in the bot's process — and
while it renders, the database's write lock is free: another person's answer is committed
and answered before the draft is done.
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docx
import pytest

import forms.document
from bot.app import build_flows, render_pool
from bot.demo import Player
from handlers.rendering import DocumentRenderer
from handlers.router import Router
from storage.db import Database
from tests.samples import load_sample


async def begin(router: Router, user_id: str, name: str) -> Player:
    """A candidate who agreed to the notice and gave their name."""
    player = Player(router, load_sample("a"), platform="test", user_id=user_id)
    await player.send("/start")
    await player.tap("Tôi đồng ý")
    await player.send(name)
    return player


def draft_text(replies: list[Any]) -> str:
    document = next(r.document for r in replies if r.document is not None)
    return "\n".join(p.text for p in docx.Document(io.BytesIO(document.data)).paragraphs)


async def test_a_draft_is_rendered_in_a_worker_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, render = os.getpid(), forms.document.render_dossier

    def elsewhere(*args: Any, **kwargs: Any) -> bytes:
        if os.getpid() == bot:
            raise AssertionError("rendered in the bot's own process")
        return render(*args, **kwargs)

    monkeypatch.setattr(forms.document, "render_dossier", elsewhere)
    pool = render_pool(1)
    renderer = DocumentRenderer(pool)
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        router = Router(db, flows=build_flows(renderer=renderer), renderer=renderer)
        khoa = await begin(router, "khoa", "TRẦN MINH KHOA")
        replies = await khoa.send("/xem")
        assert "TRẦN MINH KHOA" in draft_text(replies)
        assert any("Anh/chị" in r.text or r.buttons for r in replies)  # then asked again
        assert router.stats.errors == 0
    finally:
        await db.close()
        pool.shutdown()


class HeldPool(ThreadPoolExecutor):
    """A pool whose jobs start only once the test lets them."""

    def __init__(self) -> None:
        super().__init__(1)
        self.release = threading.Event()
        self.submitted = threading.Event()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted.set()

        def held() -> Any:
            self.release.wait(10)
            return fn(*args, **kwargs)

        return super().submit(held)


async def test_another_persons_answer_is_committed_while_a_draft_renders(tmp_path: Path) -> None:
    pool = HeldPool()
    renderer = DocumentRenderer(pool)
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        router = Router(db, flows=build_flows(renderer=renderer), renderer=renderer)
        khoa = await begin(router, "khoa", "TRẦN MINH KHOA")
        an = await begin(router, "an", "NGUYỄN VĂN AN")
        await an.tap("Bỏ qua")  # no other names: the birth date is asked next
        draft = asyncio.create_task(khoa.send("/xem"))
        for _ in range(500):  # the draft reaches the pool (its rehearsal done)
            if pool.submitted.is_set():
                break
            await asyncio.sleep(0.01)
        assert pool.submitted.is_set()
        answered = await asyncio.wait_for(an.send("12/07/2001"), 5)
        assert any("12/07/2001" in r.text for r in answered)
        assert (await an.dossier()).answers["ngay_sinh"] == "12/07/2001"
        assert not draft.done()
        pool.release.set()
        assert "TRẦN MINH KHOA" in draft_text(await draft)
        assert router.stats.errors == 0
    finally:
        pool.release.set()
        await db.close()
        pool.shutdown()
