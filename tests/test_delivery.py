"""The sender (bot/delivery.py) against a scripted transport, on a virtual clock: order per
chat, retries (network, 5xx, 429 + retry_after), giving up, superseded edits, remembered
messages, moved chats, multi-part replies and a restart."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from bot.delivery import (
    Buttons,
    ChatMoved,
    Delivery,
    Refused,
    RetryPolicy,
    SendError,
    TryAgain,
)
from bot.pacing import Pacer, Pacing
from handlers.events import Chat, Document, Photo, Reply
from handlers.replies import to_messages
from storage.db import Database, Tx
from storage.outbox import Outbox
from tests.virtual_clock import VirtualClock

ALICE = Chat("tg", "1")
BOB = Chat("tg", "2")
GROUP = Chat("tg", "-5", "group")


@dataclass
class Call:
    at: float
    method: str
    chat: str
    text: str
    message_id: str
    buttons: Buttons | None = None


@dataclass
class ScriptedTransport:
    """Sends instantly; ``fail(chat, *errors)`` makes that chat's next calls raise."""

    clock: VirtualClock
    platform: str = "tg"
    limit: int = 20
    calls: list[Call] = field(default_factory=list)
    errors: dict[str, list[SendError]] = field(default_factory=dict)
    not_editable: set[str] = field(default_factory=set)
    attempts: int = 0
    _ids: int = 100

    def fail(self, chat: Chat | str, *errors: SendError) -> None:
        key = chat.id if isinstance(chat, Chat) else chat
        self.errors.setdefault(key, []).extend(errors)

    def split_text(self, text: str) -> list[str]:
        text = text.strip()
        return [text[i : i + self.limit] for i in range(0, len(text), self.limit)]

    def caption_fits(self, caption: str) -> bool:
        return len(caption) <= self.limit

    def _record(
        self, method: str, chat: str, text: str, buttons: Buttons | None, mid: str = ""
    ) -> str:
        self.attempts += 1
        queued = self.errors.get(chat)
        if queued:
            raise queued.pop(0)
        if not mid:
            self._ids += 1
            mid = str(self._ids)
        self.calls.append(Call(self.clock.now(), method, chat, text, mid, buttons))
        return mid

    async def send_text(
        self, chat_id: str, text: str, buttons: Buttons, *, protect: bool = False
    ) -> str:
        return self._record("send", chat_id, text, buttons)

    async def edit_text(
        self, chat_id: str, message_id: str, text: str, buttons: Buttons | None
    ) -> str | None:
        if message_id in self.not_editable:
            return None
        return self._record("edit", chat_id, text, buttons, message_id)

    async def send_document(
        self,
        chat_id: str,
        document: Document,
        caption: str,
        buttons: Buttons,
        *,
        protect: bool = False,
    ) -> str:
        return self._record("document", chat_id, f"{document.filename}|{caption}", buttons)

    async def send_photo(
        self, chat_id: str, photo: Photo, caption: str, buttons: Buttons, *, protect: bool = False
    ) -> str:
        return self._record("photo", chat_id, caption, buttons)

    async def answer_callback(self, query_id: str, text: str) -> None:
        self.calls.append(Call(self.clock.now(), "answer", "", text, ""))

    def texts(self, chat: Chat) -> list[str]:
        return [c.text for c in self.calls if c.chat == chat.id]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def transport(clock: VirtualClock) -> ScriptedTransport:
    return ScriptedTransport(clock)


def make_delivery(
    db: Database, transport: ScriptedTransport, clock: VirtualClock, **kw: object
) -> Delivery:
    pacing = kw.pop("pacing", Pacing.unlimited())
    retry = kw.pop("retry", RetryPolicy(first_delay=1.0, max_delay=30.0))
    return Delivery(db, transport, pacer=Pacer(pacing, clock), retry=retry, **kw)  # type: ignore[arg-type]


async def deliver(
    delivery: Delivery, clock: VirtualClock, replies: Sequence[Reply], chat: Chat = ALICE
) -> None:
    await delivery.enqueue(replies, chat)
    await clock.run(done=asyncio.ensure_future(delivery.idle()))
    await delivery.idle()


async def statuses(db: Database) -> list[tuple[str, str]]:
    async with db.transaction() as tx:
        rows = await tx.fetchall("SELECT status, error FROM outbox ORDER BY id")
    return [(r[0], r[1]) for r in rows]


async def test_each_chat_in_order_and_chats_independent(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    delivery = make_delivery(db, transport, clock)
    await delivery.enqueue([Reply(text=f"a{i}") for i in range(5)], ALICE)
    await delivery.enqueue([Reply(text=f"b{i}") for i in range(5)], BOB)
    await clock.run(done=asyncio.ensure_future(delivery.idle()))
    assert transport.texts(ALICE) == [f"a{i}" for i in range(5)]
    assert transport.texts(BOB) == [f"b{i}" for i in range(5)]
    assert {s for s, _ in await statuses(db)} == {"sent"}


@pytest.mark.parametrize(
    ("errors", "waited"),
    [
        ([TryAgain("timed out")], 1.0),
        ([TryAgain("500 Internal Server Error"), TryAgain("502 Bad Gateway")], 3.0),
        ([TryAgain("429 Too Many Requests", after=7)], 7.0),
    ],
    ids=["once", "twice", "429-retry-after"],
)
async def test_a_failing_reply_is_retried_and_delivered_once_in_order(
    db: Database,
    transport: ScriptedTransport,
    clock: VirtualClock,
    errors: list[TryAgain],
    waited: float,
) -> None:
    delivery = make_delivery(db, transport, clock)
    transport.fail(ALICE, *errors)
    start = clock.now()
    await deliver(delivery, clock, [Reply(text="Đã lưu."), Reply(text="(4) Tôn giáo?")])
    assert transport.texts(ALICE) == ["Đã lưu.", "(4) Tôn giáo?"]
    assert transport.calls[0].at - start == pytest.approx(waited)  # backoff, or as told
    assert await statuses(db) == [("sent", errors[-1].args[0]), ("sent", "")]
    assert delivery.stats.retries == len(errors)


async def test_other_chats_do_not_wait_for_a_failing_one(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    delivery = make_delivery(db, transport, clock)
    transport.fail(ALICE, TryAgain("429", after=30))
    await delivery.enqueue([Reply(text="to alice")], ALICE)
    await delivery.enqueue([Reply(text="to bob")], BOB)
    await clock.run(done=asyncio.ensure_future(delivery.idle()))
    bob = next(c for c in transport.calls if c.chat == BOB.id)
    alice = next(c for c in transport.calls if c.chat == ALICE.id)
    assert bob.at < alice.at


async def test_giving_up_after_the_limit_is_recorded_and_the_next_reply_goes(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    from datetime import UTC, datetime, timedelta

    base = datetime(2026, 1, 1, tzinfo=UTC)

    def wall() -> datetime:  # the wall clock follows the virtual one
        return base + timedelta(seconds=clock.now())

    retry = RetryPolicy(first_delay=60, max_delay=600, give_up_after=3600)
    delivery = make_delivery(db, transport, clock, retry=retry, wall=wall)
    transport.fail(ALICE, *[TryAgain("network down")] * 100)
    await deliver(delivery, clock, [Reply(text="lost")])
    transport.errors.clear()
    await deliver(delivery, clock, [Reply(text="next")])
    assert transport.texts(ALICE) == ["next"]
    (failed, _sent) = await statuses(db)
    assert failed[0] == "failed" and "gave up after" in failed[1]
    async with db.transaction() as tx:
        audit = await tx.fetchall("SELECT detail FROM audit_log WHERE action = 'reply_given_up'")
    assert len(audit) == 1 and "lost" not in audit[0][0]  # chat and reason, never the text
    assert 3600 <= clock.now() - 1000 < 3600 + 600 + 60


async def test_a_chat_that_refuses_the_bot_is_given_up_at_once(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    delivery = make_delivery(db, transport, clock)
    transport.fail(ALICE, Refused("Forbidden: bot was blocked by the user"))
    await deliver(delivery, clock, [Reply(text="one"), Reply(text="two")])
    assert transport.attempts == 1  # what was queued with it is not asked again
    await deliver(delivery, clock, [Reply(text="after unblocking")])
    assert transport.texts(ALICE) == ["after unblocking"]
    assert [s for s, _ in await statuses(db)] == ["failed", "failed", "sent"]
    async with db.transaction() as tx:
        audit = await tx.fetchall("SELECT detail FROM audit_log WHERE action = 'reply_given_up'")
    assert len(audit) == 1 and '"outbox":[1,2]' in audit[0][0]


async def test_the_card_ends_in_its_latest_state(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    """Edits built while the group is paced are superseded by the decision's edit."""
    delivery = make_delivery(
        db, transport, clock, pacing=Pacing(chat_rate=None, global_rate=None, group_max=2)
    )
    await delivery.enqueue([Reply(text=f"comment {i}") for i in range(4)], GROUP)
    for version in range(5):
        await delivery.enqueue([Reply(text=f"card v{version}", edit_ref="900")], GROUP)
    await delivery.enqueue([Reply(text="card: returned", edit_ref="900")], GROUP)
    await clock.run(done=asyncio.ensure_future(delivery.idle()))
    edits = [c.text for c in transport.calls if c.method == "edit"]
    assert edits == ["card: returned"]
    assert transport.texts(GROUP)[-1] == "card: returned"


async def test_remembered_messages_are_reported_with_their_id(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    seen: list[tuple[str, str, str, str]] = []

    async def remembered(tx: Tx, key: str, platform: str, chat: str, message_id: str) -> None:
        status = await tx.repo(Outbox).status(1)
        seen.append((key, chat, message_id, str(status)))

    delivery = make_delivery(db, transport, clock, remembered=remembered)
    await deliver(delivery, clock, [Reply(text="card", remember="card:7")], GROUP)
    assert seen == [("card:7", GROUP.id, transport.calls[0].message_id, "sent")]  # one commit


async def test_replies_confirmed_together_are_marked_in_one_commit_failures_apart(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    """Ten chats' replies confirmed in one turn: their marks share a commit; a ``remembered``
    hook failing for one of them leaves that reply pending (sent again at the next start)
    and the others marked."""
    commits: list[int] = []
    transaction = db.transaction

    def counted(*args: object, **kw: object):  # type: ignore[no-untyped-def]
        commits.append(1)
        return transaction(*args, **kw)  # type: ignore[arg-type]

    async def remembered(tx: Tx, key: str, platform: str, chat: str, message_id: str) -> None:
        if key == "bad":
            raise RuntimeError("a flow's hook failed")

    db.transaction = counted  # type: ignore[method-assign]
    delivery = make_delivery(db, transport, clock, remembered=remembered)
    chats = [Chat("tg", str(n)) for n in range(10)]
    async with transaction() as tx:
        await tx.repo(Outbox).add(
            [m for c in chats for m in to_messages([Reply(text=c.id, remember=c.id)], c)]
            + to_messages([Reply(text="x", remember="bad")], chats[3])
        )
    commits.clear()
    for chat in chats:
        delivery.wake(chat.id)
    await clock.run(done=asyncio.ensure_future(delivery.idle()))
    assert sorted(c.text for c in transport.calls) == sorted([c.id for c in chats] + ["x"])
    # one commit for the ten first replies, then chat 3's "x": its own, failed, tried alone
    assert len(commits) == 3, commits
    assert [s for s, _ in await statuses(db)] == ["sent"] * 10 + ["pending"]


async def test_a_moved_chat_gets_the_reply_at_its_new_id(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    moves: list[tuple[str, str]] = []

    async def chat_moved(chat: Chat, new_id: str) -> None:
        moves.append((chat.id, new_id))  # the flows tell the group, at its new id
        await delivery.enqueue([Reply(text="the group moved")], Chat("tg", new_id, "group"))

    delivery = make_delivery(db, transport, clock, chat_moved=chat_moved)
    transport.fail(GROUP, ChatMoved("-1009"))
    await deliver(
        delivery, clock, [Reply(text="card v2", edit_ref="900"), Reply(text="more")], GROUP
    )
    assert moves == [("-5", "-1009")]
    assert [(c.method, c.chat, c.text) for c in transport.calls] == [
        ("send", "-1009", "the group moved"),  # the notice first, then the refused reply
        ("send", "-1009", "card v2"),  # a new message: ids do not carry over
        ("send", "-1009", "more"),
    ]


async def test_an_uneditable_message_is_sent_anew(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    delivery = make_delivery(db, transport, clock)
    transport.not_editable.add("moved:900")
    await deliver(delivery, clock, [Reply(text="card", edit_ref="moved:900", remember="c")], GROUP)
    assert [c.method for c in transport.calls] == ["send"]


async def test_a_long_reply_is_not_repeated_when_a_later_part_fails(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    delivery = make_delivery(db, transport, clock)
    long = "x" * 20 + "y" * 20 + "z" * 20

    original = transport._record
    failed: list[str] = []

    def flaky(method: str, chat: str, text: str, buttons: Buttons | None, mid: str = "") -> str:
        if text.startswith("y") and not failed:
            failed.append(text)
            transport.fail(chat, TryAgain("reset by peer"))
        return original(method, chat, text, buttons, mid)

    transport._record = flaky  # type: ignore[method-assign]
    await deliver(delivery, clock, [Reply(text=long)])
    assert transport.texts(ALICE) == ["x" * 20, "y" * 20, "z" * 20]
    assert failed == ["y" * 20]


async def test_attachments_and_long_captions(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    delivery = make_delivery(db, transport, clock)
    reply = Reply(text="Bản nháp:", document=Document("a.docx", b"PK", "c" * 30))
    await deliver(delivery, clock, [reply])
    assert [(c.method, c.text) for c in transport.calls] == [
        ("send", "Bản nháp:"),
        ("document", "a.docx|"),  # the caption is too long for one: it follows as text
        ("send", "c" * 20),
        ("send", "c" * 10),
    ]


async def test_a_restart_sends_what_is_still_pending(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    async with db.transaction() as tx:
        from handlers.replies import to_messages

        await tx.repo(Outbox).add(to_messages([Reply(text="left over"), Reply(text="too")], BOB))
    delivery = make_delivery(db, transport, clock)
    assert await delivery.resume() == 1
    await clock.run(done=asyncio.ensure_future(delivery.idle()))
    assert transport.texts(BOB) == ["left over", "too"]


async def test_private_replies_do_not_wait_behind_a_busy_group(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    delivery = make_delivery(db, transport, clock, pacing=Pacing())
    await delivery.enqueue([Reply(text=f"group {i}") for i in range(45)], GROUP)
    await clock.run(until=clock.now() + 90)
    asked = clock.now()
    await delivery.enqueue([Reply(text="Hồ sơ của bạn đã được duyệt.")], ALICE)
    await clock.settle()
    private = next(c for c in transport.calls if c.chat == ALICE.id)
    assert private.at == asked
    await clock.run(done=asyncio.ensure_future(delivery.idle()))
    times = [c.at for c in transport.calls if c.chat == GROUP.id]
    assert len(times) == 45
    assert all(
        later - earlier >= 60 - 1e-6 for earlier, later in zip(times, times[20:], strict=False)
    )


async def test_settled_waits_for_a_question_the_platform_is_confirming(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    """A person may answer a question the moment it arrives, before the sender has marked
    it sent: the router awaits ``settled`` (inside the person's lock) so that the flows
    read the question as delivered; a failed call settles at once."""
    release = asyncio.Event()
    send = transport.send_text

    async def slow_send(chat_id: str, text: str, buttons: Buttons, **kw: bool) -> str:
        await release.wait()  # Telegram has shown it; its answer is on the way
        return await send(chat_id, text, buttons, **kw)

    transport.send_text = slow_send  # type: ignore[method-assign]
    delivery = make_delivery(db, transport, clock)
    await delivery.enqueue([Reply(text="Dân tộc?", prompt="7 field 3 dan_toc")], ALICE)
    await clock.settle()
    waiter = asyncio.ensure_future(delivery.settled(ALICE))
    await clock.settle()
    assert not waiter.done()
    await delivery.settled(BOB)  # another chat does not wait
    release.set()
    await asyncio.wait_for(waiter, 5)
    async with db.read() as r:
        state = await r.repo(Outbox).last_prompt("tg", ALICE.id)
    assert state is not None and state.delivered  # marked before ``settled`` returned

    transport.fail(ALICE, TryAgain("502"))
    await delivery.enqueue([Reply(text="Tôn giáo?", prompt="8 field 3 ton_giao")], ALICE)
    await clock.settle()
    await asyncio.wait_for(delivery.settled(ALICE), 1)  # failed: waiting for its retry
    async with db.read() as r:
        state = await r.repo(Outbox).last_prompt("tg", ALICE.id)
    assert state is not None and not state.delivered
    await clock.run(done=asyncio.ensure_future(delivery.idle()))
