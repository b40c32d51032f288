"""Documents are rendered in worker processes, and nobody's answer waits for one (issue 17).

The running bot (bot/app.py) gives the router and the flows one DocumentRenderer over a
process pool. A draft asked for with /xem is rendered there — not in the bot's process — and
while it renders, the database's write lock is free: another person's answer is committed
and answered before the draft is done. Through the outbox, the /xem itself is answered and
committed before anything is rendered: the draft waits there as a job, the person's next
answer is handled at once, and the sender has the draft rendered when it reaches it, then
sends what followed it in the chat's order.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pytest
from pydantic import ValidationError

import forms.document
from bot.app import build_flows, render_pool
from bot.delivery import Delivery
from bot.demo import Player
from bot.pacing import Pacer, Pacing
from forms.checks import run_checks
from forms.memo import forget_typed_text
from handlers.events import Button, Document, Photo
from handlers.render_jobs import DossierJob
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
        for _ in range(500):  # the draft reaches the pool (its answer committed)
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


class Recorder:
    """A platform that records what it is sent: (kind, text or filename, file bytes)."""

    platform = "test"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, bytes]] = []

    def split_text(self, text: str) -> list[str]:
        return [text] if text.strip() else []

    def caption_fits(self, caption: str) -> bool:
        return True

    async def send_text(
        self, chat_id: str, text: str, buttons: list[list[Button]], *, protect: bool = False
    ) -> str:
        self.sent.append(("text", text, b""))
        return str(len(self.sent))

    async def edit_text(
        self, chat_id: str, message_id: str, text: str, buttons: list[list[Button]] | None
    ) -> str | None:
        self.sent.append(("edit", text, b""))
        return message_id

    async def send_document(
        self,
        chat_id: str,
        document: Document,
        caption: str,
        buttons: list[list[Button]],
        *,
        protect: bool = False,
    ) -> str:
        self.sent.append(("document", document.filename, document.data))
        return str(len(self.sent))

    async def send_photo(
        self,
        chat_id: str,
        photo: Photo,
        caption: str,
        buttons: list[list[Button]],
        *,
        protect: bool = False,
    ) -> str:
        self.sent.append(("photo", caption, photo.data))
        return str(len(self.sent))

    async def answer_callback(self, query_id: str, text: str) -> None:
        return None


async def test_the_answer_is_committed_before_its_draft_is_rendered(tmp_path: Path) -> None:
    pool = HeldPool()
    renderer = DocumentRenderer(pool)
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        router = Router(db, flows=build_flows(renderer=renderer), renderer=renderer)
        khoa = await begin(router, "khoa", "TRẦN MINH KHOA")
        view = khoa._event("command", command="xem")
        replies = await asyncio.wait_for(router.handle(view, outbox=True), 5)
        assert any(r.document is not None for r in replies)
        skip = next(b for r in replies for row in r.buttons for b in row if "Bỏ qua" in b.label)
        answer = khoa._event("button", action=skip.action)  # the next question, answered
        await asyncio.wait_for(router.handle(answer, outbox=True), 5)
        assert not pool.submitted.is_set()  # both answered; nothing rendered yet
        async with db.read() as r:
            queued = await r.fetchval("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        assert queued >= 3  # the draft, the question asked again, the question after it

        platform = Recorder()
        delivery = Delivery(db, platform, pacer=Pacer(Pacing.unlimited()), renderer=renderer)  # type: ignore[arg-type]
        delivery.wake("khoa")
        for _ in range(500):  # the sender reached the draft: it waits for its rendering
            if pool.submitted.is_set():
                break
            await asyncio.sleep(0.01)
        assert pool.submitted.is_set() and platform.sent == []  # nothing overtakes the draft
        pool.release.set()
        await asyncio.wait_for(delivery.idle(), 10)
        kinds = [k for k, _, _ in platform.sent]
        assert kinds.count("document") == 1
        _, filename, data = platform.sent[kinds.index("document")]
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        assert filename.endswith(".docx") and "TRẦN MINH KHOA" in text
        after = [t for _, t, _ in platform.sent[kinds.index("document") + 1 :]]
        assert "(2) Các tên gọi khác" in after[0] and "(3) Sinh ngày" in after[1]  # in order
        assert router.stats.errors == 0
    finally:
        pool.release.set()
        await db.close()
        pool.shutdown()


async def test_a_draft_asked_for_again_before_it_was_sent_is_rendered_once(
    tmp_path: Path,
) -> None:
    """/xem three times while the sender was behind (the person sees the question again only
    after the draft, so nothing is answered between): one draft is rendered and sent, the
    two earlier ones are marked superseded; the questions asked again still go out."""
    pool = HeldPool()
    pool.release.set()
    renderer = DocumentRenderer(pool)
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        router = Router(db, flows=build_flows(renderer=renderer), renderer=renderer)
        khoa = await begin(router, "khoa", "TRẦN MINH KHOA")
        for _ in range(3):
            await router.handle(khoa._event("command", command="xem"), outbox=True)
        async with db.read() as r:
            drafts = await r.fetchval(
                "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attachment IS NOT NULL"
            )
        assert drafts == 3

        platform = Recorder()
        delivery = Delivery(db, platform, pacer=Pacer(Pacing.unlimited()), renderer=renderer)  # type: ignore[arg-type]
        delivery.wake("khoa")
        await asyncio.wait_for(delivery.idle(), 10)
        kinds = [k for k, _, _ in platform.sent]
        assert kinds.count("document") == 1 and delivery.stats.superseded == 2
        _, _, data = platform.sent[kinds.index("document")]
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        assert "TRẦN MINH KHOA" in text
        asked = [t for k, t, _ in platform.sent if k == "text"]
        assert len(asked) == 3 and all("(2) Các tên gọi khác" in t for t in asked)
        async with db.read() as r:
            statuses = [row[0] for row in await r.fetchall("SELECT status FROM outbox")]
        assert statuses.count("superseded") == 2 and "pending" not in statuses
        assert router.stats.errors == 0
    finally:
        pool.release.set()
        await db.close()
        pool.shutdown()


async def test_drafts_of_two_people_are_both_sent(tmp_path: Path) -> None:
    """Coalescing is per chat and dossier: two candidates' drafts queued together are both
    rendered."""
    pool = HeldPool()
    pool.release.set()
    renderer = DocumentRenderer(pool)
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        router = Router(db, flows=build_flows(renderer=renderer), renderer=renderer)
        people = [await begin(router, "khoa", "TRẦN MINH KHOA"),
                  await begin(router, "an", "NGUYỄN VĂN AN")]  # fmt: skip
        for person in people:
            await router.handle(person._event("command", command="xem"), outbox=True)
        platform = Recorder()
        delivery = Delivery(db, platform, pacer=Pacer(Pacing.unlimited()), renderer=renderer)  # type: ignore[arg-type]
        delivery.wake("khoa")
        delivery.wake("an")
        await asyncio.wait_for(delivery.idle(), 10)
        assert [k for k, _, _ in platform.sent].count("document") == 2
        assert delivery.stats.superseded == 0
    finally:
        await db.close()
        pool.shutdown()


def test_a_job_decodes_to_the_dossier_and_flags_it_was_made_of() -> None:
    """The worker reads a job as the model the bot wrote (no second cleaning of the file):
    what it renders is exactly the dossier and flags of the job, and a job whose dossier is
    not of the model's shape is refused rather than rendered."""
    dossier = load_sample("b")
    flags = tuple(run_checks(dossier, today=dossier.meta.chi_bo_meeting))
    job = DossierJob(dossier, True, flags)
    assert DossierJob.decode(bytes(job.encode())) == job
    broken = json.loads(bytes(job.encode()))
    broken["dossier"]["answers"]["ho_ten"] = 5
    with pytest.raises(ValidationError):
        DossierJob.decode(json.dumps(broken).encode())


class CountingPool(HeldPool):
    """A held pool that also counts the jobs that actually ran (a cancelled one never does)."""

    def __init__(self) -> None:
        super().__init__()
        self.ran = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        def counted(*a: Any, **kw: Any) -> Any:
            self.ran += 1
            return fn(*a, **kw)

        return super().submit(counted, *args, **kwargs)


class StuckRecorder(Recorder):
    """A platform whose text sends wait until the test lets them through."""

    def __init__(self) -> None:
        super().__init__()
        self.through = asyncio.Event()

    async def send_text(
        self, chat_id: str, text: str, buttons: list[list[Button]], *, protect: bool = False
    ) -> str:
        await self.through.wait()
        return await super().send_text(chat_id, text, buttons, protect=protect)


@dataclass
class HeldSender:
    """A candidate whose chat's sender is held on a question's reply (the platform takes no
    texts until ``platform.through`` is set), with the router and a counting held pool."""

    pool: CountingPool
    router: Router
    khoa: Player
    platform: StuckRecorder
    delivery: Delivery


@asynccontextmanager
async def held_sender(tmp_path: Path) -> AsyncIterator[HeldSender]:
    pool = CountingPool()
    renderer = DocumentRenderer(pool)
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        router = Router(db, flows=build_flows(renderer=renderer), renderer=renderer)
        khoa = await begin(router, "khoa", "TRẦN MINH KHOA")
        platform = StuckRecorder()
        delivery = Delivery(db, platform, pacer=Pacer(Pacing.unlimited()), renderer=renderer)  # type: ignore[arg-type]
        await router.handle(khoa._event("text", text="Minh"), outbox=True)  # a question next
        delivery.wake("khoa")
        await asyncio.sleep(0.05)  # the sender holds the question's reply
        yield HeldSender(pool, router, khoa, platform, delivery)
    finally:
        pool.release.set()
        await db.close()
        pool.shutdown()


async def test_a_draft_starts_rendering_at_its_commit_and_goes_out_in_its_turn(
    tmp_path: Path,
) -> None:
    """While the chat's sender is still held on an earlier reply, a draft committed to the
    outbox is already in the pool (``EarlyRenders``); two more /xem cancel those still
    waiting for it; once the platform takes texts again, everything goes out in the
    chat's order and one draft is sent."""
    async with held_sender(tmp_path) as held:
        pool, router, platform, delivery = held.pool, held.router, held.platform, held.delivery
        for _ in range(3):
            await router.handle(held.khoa._event("command", command="xem"), outbox=True)
        for _ in range(500):
            if pool.submitted.is_set():
                break
            await asyncio.sleep(0.01)
        assert pool.submitted.is_set() and platform.sent == []  # rendering, nothing sent
        pool.release.set()
        platform.through.set()
        await asyncio.wait_for(delivery.idle(), 10)
        kinds = [k for k, _, _ in platform.sent]
        assert kinds.count("document") == 1 and kinds[0] == "text"
        assert pool.ran < 3  # the middle one never rendered (the first, if it had started)
        assert delivery.stats.superseded == 2 and router.stats.errors == 0


async def test_an_erasure_drops_the_drafts_rendered_early(tmp_path: Path) -> None:
    """A draft rendered early and still waiting for its turn is not kept past an erasure
    (what ``forms.memo.forget_typed_text`` empties): it is rendered again when its turn
    comes, and still goes out once."""
    async with held_sender(tmp_path) as held:
        pool, platform = held.pool, held.platform
        pool.release.set()
        await held.router.handle(held.khoa._event("command", command="xem"), outbox=True)
        for _ in range(500):
            if pool.ran:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert pool.ran == 1 and platform.sent == []  # rendered, waiting for its turn
        forget_typed_text()
        platform.through.set()
        await asyncio.wait_for(held.delivery.idle(), 10)
        assert [k for k, _, _ in platform.sent].count("document") == 1
        assert pool.ran == 2  # the early rendering was dropped, so rendered again


async def test_the_end_screens_draft_is_rendered_before_it_is_asked_for(tmp_path: Path) -> None:
    """A candidate who answered the last question is shown the end screen, whose first
    button is «Xem bản nháp»: the draft of the dossier as it is then starts rendering in the
    pool at once (``Ahead``), and the tap takes that rendering — one rendering in all, of
    this dossier — instead of queueing for the pool then."""
    pool = CountingPool()
    pool.release.set()
    renderer = DocumentRenderer(pool)
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        router = Router(db, flows=build_flows(renderer=renderer), renderer=renderer)
        khoa = Player(router, load_sample("a"), platform="test", user_id="khoa")
        await khoa.play()
        for _ in range(500):
            if pool.ran:
                break
            await asyncio.sleep(0.01)
        assert pool.ran == 1  # at the end screen, before any tap
        replies = await khoa.tap("Xem bản nháp")
        assert load_sample("a").value("ho_ten") in draft_text(replies)
        assert pool.ran == 1 and renderer.prepared.taken == 1
        assert router.stats.errors == 0
    finally:
        await db.close()
        pool.shutdown()


async def test_a_draft_rendered_ahead_serves_only_the_same_job() -> None:
    """A rendering started ahead is taken by the job it was started for, byte for byte, and
    by no other (a dossier changed meanwhile is rendered as asked); an erasure drops it."""
    sample = load_sample("a")
    renderer = DocumentRenderer(ThreadPoolExecutor(1))
    try:
        renderer.ahead(sample, [])
        changed = sample.model_copy(update={"answers": {**sample.answers, "ho_ten": "LÊ AN"}})
        assert renderer.prepared.take(bytes(DossierJob(changed, True, ()).encode())) is None
        same = bytes(DossierJob(sample, True, ()).encode())
        rendering = renderer.prepared.take(same)
        assert rendering is not None
        text = "\n".join(p.text for p in docx.Document(io.BytesIO(await rendering)).paragraphs)
        assert sample.value("ho_ten") in text
        assert renderer.prepared.take(same) is None  # taken once
        renderer.ahead(sample, [])
        forget_typed_text()
        assert renderer.prepared.take(same) is None
    finally:
        assert renderer.pool is not None
        renderer.pool.shutdown()
