"""kill -9 at every point of an update's way, polling and webhook: nothing lost, nothing twice.

The bot runs as its own process (tests/edge_bot.py: the production TelegramService, inbox,
router, outbox and sender around a counting flow) against the fake Bot API in this process.
Four people send three texts each; the process is killed with SIGKILL at one point of one
text's way — received but not stored or acknowledged, acknowledged but not processed, in the
middle of its transaction, committed but not sent, sent but not marked — then started again.
Afterwards every text has been processed exactly once (its "#k" numbers the person's texts
without gap or repeat, and the database counted it once), every committed reply has been
delivered, and each person's replies arrived in the order of their texts. The only repeat
allowed is a message that was in flight when the process died, one per chat at most
(Telegram's API has no idempotency key, so delivery is at least once).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.edge_bot import POINTS
from tests.fake_bot_api import FakeBotAPI, UpdateRecord, User

ROOT = Path(__file__).resolve().parent.parent
PEOPLE, TEXTS = 4, 3
TARGET = "p1-m1"  # the second person's second text


async def spawn(
    api: FakeBotAPI, db: Path, log: Path, webhook_port: int | None, crash: str = ""
) -> asyncio.subprocess.Process:
    args = ["--api-port", str(api.port), "--db", str(db)]
    if webhook_port is not None:
        args += ["--webhook-port", str(webhook_port)]
    if crash:
        args += ["--crash", crash]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as err:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.edge_bot", *args,
            cwd=str(ROOT), env=env, stdout=asyncio.subprocess.DEVNULL, stderr=err,
        )  # fmt: skip


def record_of(api: FakeBotAPI, text: str) -> UpdateRecord:
    return next(r for r in api.updates if r.payload.get("message", {}).get("text") == text)


def replies(api: FakeBotAPI, user: User) -> list[str]:
    return [m.text or "" for m in api.bot_messages(user.id)]


def stored(db: Path, update_id: int) -> bool:
    """Whether the update is in the inbox (the bot's database, read while it is down)."""
    if not db.exists():
        return False
    with sqlite3.connect(db) as conn:
        found = conn.execute("SELECT 1 FROM inbox WHERE update_key = ?", (str(update_id),))
        return found.fetchone() is not None


def collapse(texts: list[str]) -> list[str]:
    """Consecutive copies of one message as one (the message in flight at the kill)."""
    return [t for i, t in enumerate(texts) if i == 0 or texts[i - 1] != t]


async def wait_exit(proc: asyncio.subprocess.Process, log: Path, timeout: float = 30) -> int:
    try:
        return await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(
            f"the bot did not die as planned:\n{log.read_text()[-3000:]}"
        ) from None


@pytest.mark.parametrize("mode", ["polling", "webhook"])
@pytest.mark.parametrize("point", POINTS)
async def test_kill_9_loses_nothing_and_repeats_nothing(
    tmp_path: Path, unused_tcp_port: int, point: str, mode: str
) -> None:
    db, log = tmp_path / "edge.sqlite3", tmp_path / "bot.log"
    hook = unused_tcp_port if mode == "webhook" else None
    async with FakeBotAPI(webhook_max_attempts=14, webhook_retry_delay=0.02) as api:
        people = [api.new_user(f"Người {i}") for i in range(PEOPLE)]
        for j in range(TEXTS):
            for i, person in enumerate(people):
                api.user_sends_text(person, None, f"p{i}-m{j}")
        target = record_of(api, TARGET)
        expected_reply = f"{TARGET} #2"

        first = await spawn(api, db, log, hook, crash=f"{point}:{TARGET}")
        if point == "acked":  # processing waits forever: kill once Telegram has the ack
            await api.wait_for(lambda: target.acked_at is not None, 30, "never acknowledged")
            first.kill()
        assert await wait_exit(first, log) == -signal.SIGKILL
        # the kill happened where it was meant to
        sent = expected_reply in replies(api, people[1])
        assert stored(db, target.update_id) == (point != "received")
        assert sent == (point == "sending")

        second = await spawn(api, db, log, hook)
        try:
            await api.wait_for(
                lambda: all(len(collapse(replies(api, p))) >= TEXTS for p in people),
                30,
                lambda: (
                    f"replies missing: {[replies(api, p) for p in people]}\n"
                    + log.read_text()[-3000:]
                ),
            )
            await asyncio.sleep(0.3)  # nothing more should come
        finally:
            second.send_signal(signal.SIGTERM)
            assert await wait_exit(second, log) == 0, log.read_text()[-3000:]

    for i, person in enumerate(people):
        got = replies(api, person)
        assert collapse(got) == [f"p{i}-m{j} #{j + 1}" for j in range(TEXTS)], got
        repeats = len(got) - len(collapse(got))
        # at most the one message of this chat in flight at the kill; the target's reply
        # certainly, when the kill came between its delivery and its mark
        assert repeats <= 1, got
        if point == "sending" and i == 1:
            assert got.count(expected_reply) == 2, got
    with sqlite3.connect(db) as conn:
        counted = conn.execute(
            "SELECT json_extract(detail, '$.text'), COUNT(*) FROM audit_log"
            " WHERE action = 'counted' GROUP BY 1"
        ).fetchall()
        outbox = conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY 1").fetchall()
        unprocessed = conn.execute("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL")
        assert unprocessed.fetchone() == (0,)
    assert sorted(counted) == sorted((f"p{i}-m{j}", 1) for i in range(PEOPLE) for j in range(TEXTS))
    assert outbox == [("sent", PEOPLE * TEXTS)]
