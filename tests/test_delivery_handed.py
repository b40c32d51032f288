"""Handed rows (bot/delivery.py): a chat known to have nothing pending gets its next reply
from the commit that queued it, not read back from the outbox — and still in order, once,
the card in its latest state, and every row read back where the sender cannot know it."""

from __future__ import annotations

import asyncio

import pytest

from bot.delivery import Delivery, TryAgain
from handlers.events import Reply
from storage.db import Database
from storage.outbox import Outbox, Pending
from tests.test_delivery import (  # clock and transport: its fixtures, shared
    ALICE,
    GROUP,
    ScriptedTransport,
    clock,
    deliver,
    make_delivery,
    statuses,
    transport,
)
from tests.virtual_clock import VirtualClock

__all__ = ["clock", "transport"]  # fixtures pytest finds here


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every read of a chat's next pending row, by chat."""
    seen: list[str] = []
    original = Outbox.next

    async def counted(self: Outbox, platform: str, chat_id: str) -> Pending | None:
        seen.append(chat_id)
        return await original(self, platform, chat_id)

    monkeypatch.setattr(Outbox, "next", counted)
    return seen


async def test_a_drained_chats_next_replies_go_in_order_with_one_read_less(
    db: Database, transport: ScriptedTransport, clock: VirtualClock, reads: list[str]
) -> None:
    delivery = make_delivery(db, transport, clock)
    await deliver(delivery, clock, [Reply(text="(1) Họ và tên?")])
    assert reads == [ALICE.id, ALICE.id]  # read, sent; the mark finds nothing after it
    reads.clear()
    await deliver(delivery, clock, [Reply(text="Đã lưu."), Reply(text="(2) Ngày sinh?")])
    assert transport.texts(ALICE) == ["(1) Họ và tên?", "Đã lưu.", "(2) Ngày sinh?"]
    assert reads == [ALICE.id, ALICE.id]  # each mark reads the next; the first is handed
    assert [s for s, _ in await statuses(db)] == ["sent"] * 3


async def test_an_edit_takes_back_the_handed_edit_it_supersedes(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    delivery = make_delivery(db, transport, clock)
    await deliver(delivery, clock, [Reply(text="card v0")], GROUP)
    # both committed before the chat's worker runs: the first is handed, then superseded
    await delivery.enqueue([Reply(text="card v1", edit_ref="900")], GROUP)
    await delivery.enqueue([Reply(text="card: returned", edit_ref="900")], GROUP)
    await clock.run(done=asyncio.ensure_future(delivery.idle()))
    assert [c.text for c in transport.calls if c.method == "edit"] == ["card: returned"]
    assert [s for s, _ in await statuses(db)] == ["sent", "superseded", "sent"]


async def test_a_sender_that_is_not_alone_reads_every_row(
    db: Database, transport: ScriptedTransport, clock: VirtualClock, reads: list[str]
) -> None:
    class Shared(Delivery):
        sole_sender = False  # as bot/workers.py's SharedDelivery: others queue rows too

    delivery = make_delivery(db, transport, clock)
    await delivery.stop()
    shared = Shared(db, transport, pacer=delivery.pacer, retry=delivery.retry)
    await deliver(shared, clock, [Reply(text="one")])
    reads.clear()
    # another worker's row, queued without this sender seeing the commit
    async with db.transaction() as tx:
        from handlers.replies import to_messages

        await tx.repo(Outbox).add(to_messages([Reply(text="theirs")], ALICE))
    await deliver(shared, clock, [Reply(text="mine")])
    assert transport.texts(ALICE) == ["one", "theirs", "mine"]
    assert reads == [ALICE.id] * 3


async def test_a_row_queued_behind_the_senders_back_is_not_jumped(
    db: Database, transport: ScriptedTransport, clock: VirtualClock
) -> None:
    """A stopped sender no longer takes rows; its successor reads the table."""
    first = make_delivery(db, transport, clock)
    await deliver(first, clock, [Reply(text="one")])
    await first.stop()
    async with db.transaction() as tx:
        from handlers.replies import to_messages

        await tx.repo(Outbox).add(to_messages([Reply(text="left over")], ALICE))
    second = make_delivery(db, transport, clock)
    await deliver(second, clock, [Reply(text="after the restart")])
    assert transport.texts(ALICE) == ["one", "left over", "after the restart"]


async def test_a_reply_handed_alone_drains_its_chat_without_any_read(
    db: Database, transport: ScriptedTransport, clock: VirtualClock, reads: list[str]
) -> None:
    """The conversation's steady state: one answer, one reply. Each reply is handed, and as
    nothing was queued after it, its mark drains the chat: the next one is handed again."""
    delivery = make_delivery(db, transport, clock)
    await deliver(delivery, clock, [Reply(text="(1) Họ và tên?")])
    reads.clear()
    for question in ("(2) Ngày sinh?", "(3) Nơi sinh?", "(4) Quê quán?"):
        await deliver(delivery, clock, [Reply(text=question)])
    assert transport.texts(ALICE) == [
        "(1) Họ và tên?",
        "(2) Ngày sinh?",
        "(3) Nơi sinh?",
        "(4) Quê quán?",
    ]
    assert reads == []
    assert [s for s, _ in await statuses(db)] == ["sent"] * 4


async def test_a_reply_queued_while_the_handed_one_is_out_follows_it(
    db: Database, transport: ScriptedTransport, clock: VirtualClock, reads: list[str]
) -> None:
    """A row committed while the handed one waits for the platform is read with the handed
    one's mark (not skipped as if the chat were drained), and goes out after it, once."""
    delivery = make_delivery(db, transport, clock)
    await deliver(delivery, clock, [Reply(text="(1)")])
    reads.clear()
    transport.fail(ALICE, TryAgain("503"))  # the handed row waits out a backoff
    await delivery.enqueue([Reply(text="(2)")], ALICE)
    for _ in range(20):
        await asyncio.sleep(0)
    assert transport.attempts == 2  # (1), then (2)'s failed try: (2) is out
    await delivery.enqueue([Reply(text="(3)")], ALICE)
    await clock.run(done=asyncio.ensure_future(delivery.idle()))
    await deliver(delivery, clock, [Reply(text="(4)")])
    assert transport.texts(ALICE) == ["(1)", "(2)", "(3)", "(4)"]
    assert reads[:1] == [ALICE.id]  # (2)'s mark reads (3)
    assert [s for s, _ in await statuses(db)] == ["sent"] * 4
