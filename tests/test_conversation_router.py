"""The router's guarantees with stand-in flows, and the text heuristics on their own."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
from datetime import UTC, datetime

import pytest

from admission.clock import FixedClock
from forms.model import Kind
from handlers.candidate.intent import read, social, typed_button
from handlers.events import Chat, Event, Reply, User
from handlers.router import HeavyGate, Router
from handlers.routing import Routes
from storage.db import Database, Tx

NOW = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)


def event(user: str, text: str, key: str, chat_kind: str = "private", command: str = "") -> Event:
    kind = "command" if command else "text"
    return Event(
        User("test", user),
        Chat("test", user, chat_kind),  # type: ignore[arg-type]
        kind,
        text=text,
        command=command,
        update_key=key,
    )


class Recorder:
    """Stores each text as an audit row (a write) and echoes it; can be told to fail."""

    name = "recorder"
    routes = Routes(flow="recorder", private_default=True)

    def __init__(self) -> None:
        self.fail_on: str = ""
        self.order: list[str] = []
        self.sent: list[tuple[str, str]] = []

    async def handle(self, tx: Tx, ev: Event) -> list[Reply] | None:
        await tx.audit.append("echo", detail={"user": ev.user.id, "text": ev.text})
        if ev.text == self.fail_on:
            raise RuntimeError("flow bug")
        await asyncio.sleep(0)  # let other users' events interleave
        self.order.append(f"{ev.user.id}:{ev.text}")
        return [Reply(text=ev.text, remember="card:1")]

    async def message_sent(self, tx: Tx, ref: str, platform: str, chat: str, msg: str) -> bool:
        self.sent.append((ref, msg))
        return ref.startswith("card:")


async def audit_texts(db: Database) -> list[str]:
    async with db.read() as r:
        rows = await r.fetchall("SELECT json_extract(detail, '$.text') FROM audit_log ORDER BY id")
    return [row[0] for row in rows]


async def test_a_failing_flow_rolls_back_apologises_and_is_not_retried(db: Database) -> None:
    flow = Recorder()
    flow.fail_on = "boom"
    router = Router(db, FixedClock(NOW), [flow])
    replies = await router.handle(event("u1", "boom", "k1"))
    assert len(replies) == 1 and "sự cố" in replies[0].text
    assert await audit_texts(db) == []  # the flow's write was rolled back
    assert await router.handle(event("u1", "boom", "k1")) == []  # marked: not run again
    assert router.stats.errors == 1 and router.stats.duplicates == 1


class Flaky(Recorder):
    """The database failing under the flow for ``failures`` tries (a session the server
    ended, a file locked past its busy timeout), then working again."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def handle(self, tx: Tx, ev: Event) -> list[Reply] | None:
        replies = await super().handle(tx, ev)
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database is locked")
        return replies


async def test_a_database_failing_for_a_moment_is_tried_again_not_apologised_for(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("handlers.router.TRANSIENT_RETRIES", (0.0, 0.0))
    flow = Flaky(failures=2)
    router = Router(db, FixedClock(NOW), [flow])
    replies = await router.handle(event("u1", "Kinh", "k1"))
    assert [r.text for r in replies] == ["Kinh"]  # the answer, after two failed tries
    assert await audit_texts(db) == ["Kinh"]  # written once: the failed tries rolled back
    assert router.stats.retried == 2 and router.stats.errors == 0


async def test_a_database_failing_past_the_tries_keeps_the_update_for_later(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No apology and no mark: an apology would make the person type the answer again, into
    the next question (issue 10); the update stays to be processed again (bot/intake.py)."""
    monkeypatch.setattr("handlers.router.TRANSIENT_RETRIES", (0.0, 0.0))
    flow = Flaky(failures=3)
    router = Router(db, FixedClock(NOW), [flow])
    with pytest.raises(sqlite3.OperationalError):
        await router.handle(event("u1", "Kinh", "k1"))
    assert await audit_texts(db) == [] and router.stats.errors == 0
    replies = await router.handle(event("u1", "Kinh", "k1"))  # later: not a duplicate
    assert [r.text for r in replies] == ["Kinh"] and await audit_texts(db) == ["Kinh"]


async def test_unowned_events_get_no_reply(db: Database) -> None:
    router = Router(db, FixedClock(NOW), [Recorder()])
    assert await router.handle(event("u1", "hello", "k1", chat_kind="group")) == []
    assert router.stats.unowned == 1


async def test_one_users_events_run_in_order_others_interleave(db: Database) -> None:
    flow = Recorder()
    router = Router(db, FixedClock(NOW), [flow])
    events = [event(u, str(i), f"{u}:{i}") for i in range(5) for u in ("a", "b")]
    await asyncio.gather(*(router.handle(e) for e in events))
    for user in ("a", "b"):
        assert [o for o in flow.order if o.startswith(user)] == [f"{user}:{i}" for i in range(5)]
    assert len(await audit_texts(db)) == 10
    assert router._locks == {}  # per-user locks are released


async def test_message_sent_reaches_the_flow_that_claims_it(db: Database) -> None:
    flow = Recorder()
    router = Router(db, FixedClock(NOW), [flow])
    await router.message_sent("card:1", "test", "u1", "555")
    await router.message_sent("other", "test", "u1", "556")
    assert flow.sent == [("card:1", "555"), ("other", "556")]


@pytest.mark.parametrize(
    ("text", "kind", "why"),
    [
        ("cái này là gì?", Kind.DATE, "question"),
        ("ghi the nao", Kind.NAME, "question"),
        ("Xin chào!", Kind.TEXT, "greeting"),
        ("cam on", Kind.LONG_TEXT, "thanks"),
        ("👍👍", Kind.TEXT, None),  # typed symbols: told they are no answer (not social)
        ("bỏ qua", Kind.NAME, "control"),
        ("Tại sao phải khai ông bà?", Kind.LONG_TEXT, "question"),
        ("15/08/1997", Kind.DATE, None),
        ("Hội An, Quảng Nam", Kind.ADDRESS_ORIGIN, None),
        ("Kỹ sư phần mềm, công ty gì cũng được", Kind.TEXT, None),
        (
            "Ưu điểm: trung thực. Khuyết điểm: đôi khi chưa hiểu hết ý cấp trên, là gì cũng hỏi?",
            Kind.LONG_TEXT,
            None,
        ),
    ],
)
def test_not_an_answer(text: str, kind: Kind, why: str | None) -> None:
    """The chat's reading of a typed text (the classifier of forms.classify, issue 12)."""
    assert social(read(text, kind)) == why


def test_typed_button_by_number_or_label() -> None:
    buttons = [("nam", "c:opt:0"), ("nữ", "c:opt:1"), ("⬅️ Quay lại", "c:back")]
    assert typed_button("2", buttons) == "c:opt:1"
    assert typed_button("NU", buttons) == "c:opt:1"
    assert typed_button("quay lai", buttons) == "c:back"
    assert typed_button("4", buttons) is None  # no fourth button: an answer, not a tap
    assert typed_button("1997", buttons) is None


class Renderer(Recorder):
    """A flow whose "draft" events block the loop like a document rendering does."""

    routes = Routes(
        flow="renderer",
        commands={"draft": "private"},
        heavy_commands=frozenset({"draft"}),
        private_default=True,
    )

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.spans: list[tuple[float, float]] = []

    async def handle(self, tx: Tx, ev: Event) -> list[Reply] | None:
        if ev.text == "draft":
            started = time.monotonic()
            time.sleep(self.seconds)  # CPU-bound work: nothing else runs meanwhile
            self.spans.append((started, time.monotonic()))
        return await super().handle(tx, ev)


async def test_heavy_events_queue_and_leave_room_for_answers(db: Database) -> None:
    flow = Renderer(seconds=0.03)
    router = Router(db, FixedClock(NOW), [flow])
    drafts = [event(f"d{i}", "draft", f"d{i}", command="draft") for i in range(4)]
    answers = [event(f"a{i}", "answer", f"a{i}") for i in range(4)]
    replies = await asyncio.gather(*(router.handle(e) for e in drafts + answers))
    assert all(r and r[0].text in ("draft", "answer") for r in replies)  # everybody served
    # one rendering at a time, each followed by a pause as long as itself (share 0.5)
    spans = sorted(flow.spans)
    for (start, end), (next_start, _) in itertools.pairwise(spans):
        assert next_start >= end + (end - start) * 0.9
    # the answers did not wait behind the queue of drafts
    finished = [o.split(":")[1] for o in flow.order]
    assert finished.index("answer") < len(flow.order) - 1
    assert finished[-1] == "draft" and finished.count("answer") == 4


def test_heavy_gate_share_is_validated() -> None:
    with pytest.raises(ValueError):
        HeavyGate(share=0)


def test_the_flows_that_render_documents_declare_it() -> None:
    from bot.app import build_flows
    from handlers.candidate import PREFIX
    from handlers.routing import RoutingTable

    private, group = Chat("test", "1", "private"), Chat("test", "-5", "group")
    user = User("test", "1")

    def ev(chat: Chat, kind: str, **kw: str) -> Event:
        return Event(user, chat, kind, update_key="k", **kw)  # type: ignore[arg-type]

    table = RoutingTable.build(f.routes for f in build_flows())
    assert table.is_heavy(ev(private, "command", command="xem"))
    assert table.is_heavy(ev(private, "button", action=f"{PREFIX}view"))
    assert not table.is_heavy(ev(private, "text", text="Nguyễn Văn A"))
    assert not table.is_heavy(ev(private, "command", command="tiendo"))
    assert table.is_heavy(ev(group, "button", action="rv:x:3:2"))
    assert table.is_heavy(ev(group, "button", action="rv:a:3:2"))
    assert not table.is_heavy(ev(group, "button", action="rv:t:3:2"))
