"""kill -9 of the Zalo bot at each point of an update's way, polling and webhook: nothing lost,
nothing done twice (tests/test_edges_crash.py for Zalo). The bot runs as its own process
(tests/zalo_edge_bot.py) against the fake Zalo server in this process; Zalo's getUpdates
replays what was read and its webhook retries until answered 200, so an update killed before
it was stored comes again; one stored is processed after the restart; a reply committed is
sent after it. The only repeat allowed is the message in flight at the kill. One difference
from Telegram: a polled update killed before it was stored comes back with Zalo's replay,
after the newer ones (getUpdates has no offset), so that one text is answered out of order — the
killed one, or any other a getUpdates in flight at the kill had taken from Zalo's queue."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.fake_zalo_api import FakeZaloAPI, ZaloUser
from tests.test_edges_crash import collapse

ROOT = Path(__file__).resolve().parent.parent
PEOPLE, TEXTS = 3, 3
TARGET = "p1-m1"
#: The points the intake, router and sender share with Telegram are all covered there
#: (tests/test_edges_crash.py); here what is Zalo's own: replays, the webhook, the transport.
CASES = [
    ("polling", "received"),
    ("polling", "acked"),
    ("polling", "committed"),
    ("polling", "sending"),
    ("webhook", "received"),
]


async def spawn(
    api: FakeZaloAPI, db: Path, log: Path, hook: int | None, crash: str = ""
) -> asyncio.subprocess.Process:
    args = ["--api-port", str(api.port), "--db", str(db)]
    if hook is not None:
        args += ["--webhook-port", str(hook)]
    if crash:
        args += ["--crash", crash]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as err:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.zalo_edge_bot", *args,
            cwd=str(ROOT), env=env, stdout=asyncio.subprocess.DEVNULL, stderr=err,
        )  # fmt: skip


def replies(api: FakeZaloAPI, user: ZaloUser) -> list[str]:
    return [t.split("\n\n")[0] for t in api.texts(user.id)]


def stored(db: Path, key: str) -> bool:
    if not db.exists():
        return False
    try:
        with sqlite3.connect(db) as conn:
            found = conn.execute("SELECT 1 FROM inbox WHERE update_key = ?", (key,))
            return found.fetchone() is not None
    except sqlite3.OperationalError:  # the bot is still creating its tables
        return False


async def wait_exit(proc: asyncio.subprocess.Process, log: Path, timeout: float = 30) -> int:
    try:
        return await asyncio.wait_for(proc.wait(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(
            f"the bot did not die as planned:\n{log.read_text()[-3000:]}"
        ) from None


@pytest.mark.parametrize(("mode", "point"), CASES)
async def test_kill_9_loses_nothing_and_repeats_nothing_on_zalo(
    tmp_path: Path, unused_tcp_port: int, mode: str, point: str
) -> None:
    db, log = tmp_path / "edge.sqlite3", tmp_path / "bot.log"
    hook = unused_tcp_port if mode == "webhook" else None
    async with FakeZaloAPI(replays=2, webhook_retry_delay=0.05, webhook_max_attempts=200) as api:
        people = [api.new_user(f"Người {i}") for i in range(PEOPLE)]
        keys: dict[str, str] = {}
        for j in range(TEXTS):
            for i, person in enumerate(people):
                update = api.user_sends(person, f"p{i}-m{j}")
                assert update is not None
                keys[f"p{i}-m{j}"] = update["message"]["message_id"]
        target_key = keys[TARGET]

        first = await spawn(api, db, log, hook, crash=f"{point}:{TARGET}")
        if point == "acked":
            await api.wait_for(lambda: stored(db, target_key), 30, "never stored")
            await asyncio.sleep(0.2)
            first.kill()
        assert await wait_exit(first, log) == -signal.SIGKILL
        assert stored(db, target_key) == (point != "received")
        # read from Zalo by the killed bot and never stored: Zalo replays them later
        read = {q.update["message"]["message_id"] for q in api._read}
        lost = {text for text, key in keys.items() if key in read and not stored(db, key)}
        assert (f"{TARGET} #2" in replies(api, people[1])) == (point == "sending")

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
            api.replay_all()  # Zalo replays what was read: nothing is done again
            await asyncio.sleep(0.4)
        finally:
            second.send_signal(signal.SIGTERM)
            assert await wait_exit(second, log) == 0, log.read_text()[-3000:]

    for i, person in enumerate(people):
        got = replies(api, person)
        once = collapse(got)
        sent = [f"p{i}-m{j}" for j in range(TEXTS)]
        if lost & set(sent):
            # read from Zalo and never stored (the kill, or a getUpdates in flight at the
            # kill), so Zalo's replay brings it back after the person's newer text: still
            # once, with no gap in the count, but later in the order; the rest keep theirs
            assert mode == "polling", got
            assert [t.split(" #")[1] for t in once] == ["1", "2", "3"], got
            texts = [t.split(" #")[0] for t in once]
            assert sorted(texts) == sent, got
            assert [t for t in texts if t not in lost] == [t for t in sent if t not in lost], got
        else:
            assert once == [f"p{i}-m{j} #{j + 1}" for j in range(TEXTS)], got
        assert len(got) - len(collapse(got)) <= 1, got
        if point == "sending" and i == 1:
            assert got.count(f"{TARGET} #2") == 2, got
    with sqlite3.connect(db) as conn:
        counted = conn.execute(
            "SELECT json_extract(detail, '$.text'), COUNT(*) FROM audit_log"
            " WHERE action = 'counted' GROUP BY 1"
        ).fetchall()
        unprocessed = conn.execute("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL")
        assert unprocessed.fetchone() == (0,)
        outbox = conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY 1").fetchall()
    assert sorted(counted) == sorted((f"p{i}-m{j}", 1) for i in range(PEOPLE) for j in range(TEXTS))
    assert outbox == [("sent", PEOPLE * TEXTS)]
