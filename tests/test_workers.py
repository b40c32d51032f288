"""Several bot workers behind one webhook: one killed with -9 halfway, one paused past its
lease (issue 16), on SQLite and on PostgreSQL.

Two or three worker processes (tests/worker_bot.py: the production bot with every flow and
``shared_workers`` on) share one database; a small proxy in front spreads the fake Bot API's
webhook POSTs over them round-robin and, like nginx's ``proxy_next_upstream error``, tries the
next worker when one does not answer. The fake posts up to 40 updates at once (Telegram's
``max_connections``), one chat's one at a time. Candidates fill sample A at once (the
acceptance's 50 on PostgreSQL, 4 on one SQLite file; ``KND_TEST_CANDIDATES`` sets both),
each answering as soon as the bot's whole answer arrived. When half of all answers are in,
the worker that leads the scheduler is killed with SIGKILL; its leases run out (three
seconds) and the others take over its people, its chats and the scheduler.

Afterwards: every candidate finished sample A (nothing lost: each update Telegram delivered is
in the inbox and processed), each inbox row was processed once and each person's rows in the
order received (the workers log every commit that marks a row processed), each reply was
marked sent once, each chat's replies arrived in order — the only repeat allowed is the reply
in flight at the kill, once per chat — and every unit's group got its daily digest exactly
once, those bound before the kill and those bound after it (sent by the new leader).

The pause: a worker is stopped (SIGSTOP) while the platform holds back its answer to a message
it sent, for longer than its lease, then resumed (SIGCONT): the other worker sent that message
again and marked it; the paused one's mark is refused by the chat's lease (fencing,
storage/leases.py) — the same checks hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import psycopg
import pytest
from aiohttp import web

from storage.dialect import is_postgres_url
from storage.org import Org
from tests.fake_bot_api import OUTPUT_EVENTS, Chat, FakeBotAPI
from tests.secretary_world import TODAY, World, at, build_world
from tests.worker_bot import TOKEN

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from bench_chat import Step, record_script  # noqa: E402

#: candidates per database in the suite: the acceptance's 50 (10 450 answers) on PostgreSQL,
#: where several workers belong; 4 on SQLite's one file (``KND_TEST_CANDIDATES=50`` runs it at
#: 50 too). The whole suite on a quiet 2-core machine: 198 s with these (123 s with 4 and 4;
#: docs/benchmarks.md, session 10).
CANDIDATES = {"postgres": 50, "sqlite": 4}
#: the paused worker's leases (the pause lasts longer), and the moves of sample A its
#: candidates play (traffic around the pause; the kill tests play all of it)
PAUSE_LEASE, PAUSE_MOVES = 2.0, 40
PAUSED = 3  # candidates around the pause
DIGEST = "nhắc việc ngày"
T = TypeVar("T")


class Fake(FakeBotAPI):
    """The fake Bot API counting each chat's outputs for the waiting candidate; a message
    that repeats the chat's previous bot message (the one in flight at the kill, sent again
    by the worker that took the chat over) is not counted."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.waiters: dict[int, tuple[int, asyncio.Future[None]]] = {}
        self.outputs: dict[int, int] = {}
        self.repeats: dict[int, int] = {}

    def _event(self, state: Any, kind: str, message_id: Any, detail: Any = None) -> Any:
        event = super()._event(state, kind, message_id, detail)
        chat_id = state.chat.id
        if kind in OUTPUT_EVENTS and not (kind == "bot_message" and self._repeat(state)):
            self.outputs[chat_id] = count = self.outputs.get(chat_id, 0) + 1
            waiter = self.waiters.get(chat_id)
            if waiter is not None and count >= waiter[0] and not waiter[1].done():
                waiter[1].set_result(None)
        return event

    def _repeat(self, state: Any) -> bool:
        sent = []  # the chat's last two bot messages, looked for from the end
        for m in reversed(state.messages):
            if m.from_bot:
                sent.append(m)
                if len(sent) == 2:
                    break
        if len(sent) < 2:
            return False
        last, before = sent
        same = last.text == before.text and last.inline_keyboard == before.inline_keyboard
        if same:
            self.repeats[state.chat.id] = self.repeats.get(state.chat.id, 0) + 1
        return same

    def expect(self, chat_id: int, outputs: int) -> asyncio.Future[None]:
        self.outputs[chat_id] = 0
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters[chat_id] = (outputs, future)
        return future


#: how long the proxy leaves a worker that refused a connection alone (nginx's
#: ``fail_timeout``, with its ``max_fails=1``): a killed worker is not tried again for every
#: other update (each refused connect is an exception through aiohttp's connector)
FAIL_TIMEOUT = 10.0


@contextlib.asynccontextmanager
async def proxy(ports: list[int]) -> AsyncIterator[int]:
    """A round-robin reverse proxy for the webhook (nginx's upstream, in a few lines): the
    next worker is tried when one does not answer, and one that refused is left alone for
    :data:`FAIL_TIMEOUT`. aiohttp's low-level server (one endpoint: no application, router
    or middlewares) — the proxy's CPU is the test process's, which the suite pays."""
    turn = 0
    down: dict[int, float] = {}  # port -> until when it is left alone
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def forward(request: web.BaseRequest) -> web.Response:
        nonlocal turn
        if request.path != "/hook" or request.method != "POST":
            return web.Response(status=404)
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-")}
        headers["Content-Type"] = "application/json"
        now = time.monotonic()
        # round-robin over the workers not left alone; the others last (they may be back)
        live = [p for p in ports if down.get(p, 0.0) <= now]
        first = turn % len(live) if live else 0
        turn += 1
        for port in live[first:] + live[:first] + [p for p in ports if p not in live]:
            try:
                async with session.post(
                    f"http://127.0.0.1:{port}/hook", data=body, headers=headers
                ) as answer:
                    down.pop(port, None)
                    return web.Response(status=answer.status)
            except (aiohttp.ClientConnectionError, TimeoutError):
                down[port] = time.monotonic() + FAIL_TIMEOUT
                continue  # that worker is down: the next one
        return web.Response(status=502)

    runner = web.ServerRunner(web.Server(forward), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()
        await session.close()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def spawn(api: FakeBotAPI, db: str, port: int, hook: int, log: Path, *extra: str) -> Any:
    """A worker process, once it said READY. Its stdout is a file, not a pipe: asyncio's
    ``Process.wait()`` returns only once every pipe to the process closed, and a pipe held by
    a process the worker started would make the wait for a killed worker last for ever."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KND_ORDER_LOG": str(log.parent / "order")}
    ready = log.parent / f"ready-{port}"
    with log.open("ab") as err, ready.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.worker_bot", "--api-port", str(api.port),
            "--db", db, "--webhook-port", str(port),
            "--hook-url", f"http://127.0.0.1:{hook}/hook", *extra,
            cwd=str(ROOT), env=env, stdout=out, stderr=err,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while ready.read_bytes().strip() != b"READY":
        if proc.returncode is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"a worker never got ready: {log.read_text()[-3000:]}")
        await asyncio.sleep(0.05)
    return proc


def descendants(pid: int) -> set[int]:
    """The processes ``pid`` started, and theirs (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rpartition(")")[2].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def command(pid: int) -> str:
    """What ``pid`` runs, shortly (the victim's children, in the test's output)."""
    with contextlib.suppress(OSError):
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        return b" ".join(words[-2:]).decode()[:60]
    return "?"


def cpu_seconds(pid: int) -> float:
    """User + system CPU ``pid`` used so far (from /proc; 0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie nobody reaped does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return False


async def outliving(pids: set[int], seconds: float) -> set[int]:
    """Those of ``pids`` still running after up to ``seconds`` (then killed: a failed test
    leaves no process behind)."""
    deadline = time.monotonic() + seconds
    while (left := {p for p in pids if alive(p)}) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return left


async def bounded(body: Awaitable[T], seconds: float, state: Callable[[], str]) -> T:
    """``body``, or after ``seconds`` a failure saying where it waited — every task's stack
    and ``state()`` (the workers' processes, leases, inbox and outbox) — instead of a hang."""
    task = asyncio.ensure_future(body)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        stacks = io.StringIO()
        for other in asyncio.all_tasks():
            other.print_stack(file=stacks)
        report = f"no end after {seconds:.0f} s; {state()}\n{stacks.getvalue()}"
        print(report, file=sys.stderr)
        task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(task, 10)
        raise AssertionError(report)
    return task.result()


async def bind_groups(world: World, api: FakeBotAPI, units: list[Any]) -> list[Chat]:
    """A group for each unit, bound to it (the secretary's /ganchibo, written directly)."""
    chats = []
    async with world.db.transaction(at(TODAY, 9)) as tx:
        for unit in units:
            chat = api.new_group(unit.name)
            api.register_chat(chat)
            await tx.repo(Org).bind_group(unit.id, "telegram", str(chat.id))
            chats.append(chat)
    return chats


def rows(db: str, sql: str) -> list[tuple[Any, ...]]:
    """``sql``'s rows, read apart from the workers: from the SQLite file or the PostgreSQL
    database ``db`` names."""
    if is_postgres_url(db):
        with psycopg.connect(db, autocommit=True) as conn:
            return [tuple(r) for r in conn.execute(sql.encode()).fetchall()]
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def not_taken_over(db: str, chat_id: int) -> str:
    """What the database says when the paused worker's chat was not taken over."""
    outbox = rows(db, f"SELECT id, status FROM outbox WHERE chat_id = '{chat_id}' ORDER BY id")
    sessions = "SELECT pid, state, wait_event_type, left(query, 60) FROM pg_stat_activity"
    activity = rows(db, sessions) if "://" in db else []
    leases = rows(db, "SELECT * FROM leases")
    return f"never taken over: leases {leases}, outbox {outbox[-3:]}, sessions {activity}"


def holder_pid(db: str, lease: str = "scheduler") -> int:
    """The process id of the worker holding ``lease`` (the scheduler: the leader)."""
    found = rows(db, f"SELECT holder FROM leases WHERE name = '{lease}'")
    assert found, f"no worker holds {lease}"
    return int(str(found[0][0]).split(":")[1])


async def play(api: Fake, index: int, steps: list[Step], done: list[int]) -> None:
    """One candidate: each move once the bot's whole answer to the last one arrived."""
    user = api.new_user(f"Ứng viên {index}")
    chat = Chat.private(user)
    keyboard: int | None = None
    for number, step in enumerate(steps):
        waiter = api.expect(chat.id, step.outputs)
        if step.kind == "text":
            api.user_sends_text(user, None, step.value)
        else:
            data = button(api, chat.id, step.value, keyboard)
            api.user_clicks(user, None, keyboard or 0, data, strict=False)
        try:
            await asyncio.wait_for(waiter, 60)
        except TimeoutError:
            raise AssertionError(f"candidate {index}: no answer to step {number} {step}") from None
        keyboard = latest_keyboard(api, chat.id)
        done[0] += 1


def latest_keyboard(api: FakeBotAPI, chat_id: int) -> int | None:
    found = api.latest(chat_id, lambda m: m.from_bot and bool(m.inline_keyboard))
    return None if found is None else found.message_id


def button(api: FakeBotAPI, chat_id: int, action: str, message_id: int | None) -> str:
    assert message_id is not None, f"no keyboard to tap {action!r} on"
    for row in api.message(chat_id, message_id).inline_keyboard:
        for b in row:
            data = str(b.get("callback_data", ""))
            if data.partition("~")[0] == action or b.get("text") == action:
                return data
    tail = [
        (m.message_id, m.from_bot, (m.text or "")[:50], bool(m.inline_keyboard))
        for m in api.transcript(chat_id)[-16:]
    ]
    raise AssertionError(f"no button {action!r} on message {message_id}; the chat's end: {tail}")


def processing_order(folder: Path) -> list[int]:
    """Inbox ids in the order their processing was committed, over every worker."""
    lines = []
    for path in folder.glob("order-*.log"):
        for line in path.read_text().splitlines():
            stamp, row_id = line.split()
            lines.append((int(stamp), int(row_id)))
    return [row_id for _, row_id in sorted(lines)]


def sent_rows(folder: Path) -> list[tuple[int, int, str]]:
    """(stamp, outbox id, worker) for each commit that marked a reply sent, over every
    worker, in commit order."""
    lines = []
    for path in folder.glob("sent-*.log"):
        for line in path.read_text().splitlines():
            stamp, row_id = line.split()
            lines.append((int(stamp), int(row_id), path.stem))
    return sorted(lines)


class Run:
    """One test's world, fake Bot API, proxy and worker processes (killed if left running)."""

    def __init__(self, tmp_path: Path, world: World, api: Fake, candidates: int) -> None:
        self.tmp_path, self.world, self.api = tmp_path, world, api
        self.db = world.db.path  # a file, or the PostgreSQL database standing in for it
        self.log = tmp_path / "workers.log"
        self.candidates = candidates
        self.procs: dict[int, Any] = {}
        self.groups: list[Chat] = []
        self.existing = 0
        self.done = [0]  # answers received, over every candidate
        self.killed: list[str] = []  # what the killed worker had started
        self.cpu = 0.0  # the workers' CPU seconds while the candidates played

    def state(self) -> str:
        """The workers' state, for a test that did not end (:func:`bounded`)."""
        procs = {pid: proc.returncode for pid, proc in self.procs.items()}
        waiting = {c: n for c, (n, f) in self.api.waiters.items() if not f.done()}
        try:
            leases = rows(self.db, "SELECT name, holder, until FROM leases")
            inbox = rows(self.db, "SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL")
            outbox = rows(self.db, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
            stored = f"leases {leases}, unprocessed {inbox}, pending replies {outbox}"
        except Exception as exc:  # the report must not fail on a locked database
            stored = f"database unreadable: {exc!r}"
        return (
            f"workers {procs}, answers {self.done[0]}, chats waiting (chat: outputs) {waiting},"
            f" outputs {self.api.outputs}, {stored}; log: {self.log.read_text()[-2000:]}"
        )

    @contextlib.asynccontextmanager
    async def workers(self, count: int, *extra: str) -> AsyncIterator[None]:
        ports = [free_port() for _ in range(count)]
        async with proxy(ports) as hook:
            try:
                started = await asyncio.gather(
                    *(spawn(self.api, self.db, port, hook, self.log, *extra) for port in ports),
                    return_exceptions=True,
                )
                self.procs.update({p.pid: p for p in started if not isinstance(p, BaseException)})
                for failed in (p for p in started if isinstance(p, BaseException)):
                    raise failed
                yield
            finally:
                for proc in self.procs.values():
                    if proc.returncode is None:
                        proc.kill()
                        await proc.wait()

    async def stop(self) -> None:
        """SIGTERM to every worker left: each stops cleanly."""
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            assert await asyncio.wait_for(proc.wait(), 30) == 0, self.log.read_text()[-3000:]

    async def finish(self, players: list[asyncio.Task[None]]) -> None:
        """Every candidate done, every group's digest in, then nothing more for a moment."""
        await asyncio.gather(*players)
        await self.api.wait_for(
            lambda: all(digests(self.api, g) for g in self.groups),
            30,
            lambda: f"digests: {[len(self.api.bot_messages(g)) for g in self.groups]}",
        )
        await asyncio.sleep(0.5)  # nothing more should come

    async def digests_delivered(self) -> None:
        """The bound groups' digests sent and marked, before a worker is killed or paused: a
        message in flight at that moment may reach the platform twice (it has no idempotency
        key — the one repeat allowed a candidate's chat), and a digest has to arrive once.
        Under a heavy load the first scheduler round may still be sending at the kill."""
        await self.api.wait_for(
            lambda: all(digests(self.api, g) for g in self.groups)
            and not rows(self.db, "SELECT 1 FROM outbox WHERE chat_kind = 'group'"
                                  " AND status = 'pending'"),
            60,
            "the digests bound at the start were never sent",
        )  # fmt: skip

    def check(self) -> None:
        """Nothing lost, nothing twice, each person's updates in order, one digest a group."""
        api, db = self.api, self.db
        assert [len(digests(api, g)) for g in self.groups] == [1] * len(self.groups)
        inbox = dict(rows(db, "SELECT id, person FROM inbox WHERE raw IS NOT NULL"))
        keys = {int(k) for (k,) in rows(db, "SELECT update_key FROM inbox") if k.isdigit()}
        assert rows(db, "SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL") == [(0,)]
        assert rows(db, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") == [(0,)]
        dossiers = rows(db, "SELECT COUNT(*) FROM dossiers")[0][0]
        # nothing lost: every update Telegram delivered is stored (and processed, above)
        assert {r.update_id for r in api.updates} <= keys
        assert dossiers == self.existing + self.candidates  # one each: no answer made a second
        # nothing twice, each person's updates in the order received
        order = processing_order(self.tmp_path / "order")
        assert len(order) == len(set(order)), "a row was processed twice"
        people: dict[str, list[int]] = {}
        for row_id in order:
            people.setdefault(inbox[row_id], []).append(row_id)
        assert all(ids == sorted(ids) for ids in people.values())
        marks = sent_rows(self.tmp_path / "order")
        sent = [row_id for _, row_id, _ in marks]
        twice = [m for m in marks if sent.count(m[1]) > 1]
        assert not twice, f"replies marked sent twice (ns, id, worker): {twice}"
        # at most the reply in flight at the kill repeated, once per chat
        assert all(n <= 1 for n in api.repeats.values()), api.repeats


@contextlib.asynccontextmanager
async def run(tmp_path: Path, candidates: int, fake: type[Fake] = Fake) -> AsyncIterator[Run]:
    world = await build_world(tmp_path)
    (tmp_path / "order").mkdir()
    try:
        async with fake(
            token=TOKEN, webhook_max_attempts=20, webhook_retry_delay=0.02, webhook_connections=40
        ) as api:
            it = Run(tmp_path, world, api, candidates)
            async with world.db.read() as r:
                it.existing = int(await r.fetchval("SELECT COUNT(*) FROM dossiers"))
            it.groups = await bind_groups(world, api, [world.root, world.alpha, world.a1])
            yield it
    finally:
        await world.db.close()


_SCRIPT: list[Step] = []


async def sample_a() -> list[Step]:
    """Sample A's moves, recorded once per test process (each test replays them)."""
    if not _SCRIPT:
        _SCRIPT.extend(await record_script("a"))
    return list(_SCRIPT)


def candidates_for(backend: str) -> int:
    return int(os.environ.get("KND_TEST_CANDIDATES") or CANDIDATES[backend])


def bound(candidates: int) -> float:
    """How long a workers' test may take before it fails saying where it waits."""
    return 120.0 + 6.0 * candidates


#: two and three workers on each database (issue 16's acceptance): the suite's longest tests,
#: started first (``long``: their seconds in a full suite at load 8, tests/conftest.py)
KILL_CASES = [
    pytest.param("sqlite", 2, marks=pytest.mark.long(15)),
    pytest.param("sqlite", 3, marks=pytest.mark.long(18)),
    pytest.param("postgres", 2, marks=pytest.mark.long(95)),  # 50 candidates
    pytest.param("postgres", 3, marks=pytest.mark.long(120)),
]


@pytest.mark.sqlite_only  # not the conftest's doubling: the cases above name their database
@pytest.mark.parametrize(("backend", "workers"), KILL_CASES, indirect=["backend"])
async def test_workers_behind_one_webhook_survive_a_kill_9(
    tmp_path: Path, workers: int, backend: str
) -> None:
    script = await sample_a()
    candidates = candidates_for(backend)
    async with run(tmp_path, candidates) as it, it.workers(workers):
        cpu = time.process_time()
        it.cpu = -sum(cpu_seconds(pid) for pid in it.procs)
        elapsed = await bounded(kill_halfway(it, script), bound(candidates), it.state)
        cpu, answers = time.process_time() - cpu, candidates * len(script)
        it.cpu += sum(cpu_seconds(pid) for pid in it.procs)
        await it.stop()
    it.check()
    print(
        f"{workers} workers: {answers} answers in {elapsed:.1f} s (CPU per answer: the"
        f" workers {it.cpu / answers * 1000:.1f} ms, this process (fake, proxy, candidates)"
        f" {cpu / answers * 1000:.1f} ms; load {os.getloadavg()[0]:.1f}),"
        f" repeats {it.api.repeats}, the killed worker's children {it.killed}"
    )


async def kill_halfway(it: Run, script: list[Step]) -> float:
    """Candidates play ``script``; the leader is killed with -9 when half the answers are in
    (it leaves no process behind); then every candidate and digest is waited for. Returns
    the seconds it all took."""
    api, done = it.api, it.done
    total = it.candidates * len(script)
    players = [asyncio.create_task(play(api, i, script, done)) for i in range(it.candidates)]
    started = time.monotonic()
    # the half's wait grows with the candidates as the whole's does (:func:`bound`): 50 on
    # PostgreSQL at a load of 14 did not reach half in a fixed 120 s
    await api.wait_for(lambda: done[0] >= total // 2, bound(it.candidates), "half never answered")
    await it.digests_delivered()
    victim = it.procs.pop(holder_pid(it.db))
    children = descendants(victim.pid)
    it.killed = sorted(command(pid) for pid in children)
    it.cpu += cpu_seconds(victim.pid)
    victim.kill()
    assert await asyncio.wait_for(victim.wait(), 10) == -signal.SIGKILL
    assert not await outliving(children, 10), "a killed worker's renderers outlived it"
    it.groups += await bind_groups(it.world, api, [it.world.a2, it.world.beta])
    await it.finish(players)
    return time.monotonic() - started


@pytest.mark.sqlite_only  # no database in it
async def test_a_killed_worker_leaves_no_renderer_behind(tmp_path: Path) -> None:
    """The document renderers (bot/app.py's pool) end with the bot that started them, even
    when it is killed with -9 and cannot shut its pool down (bot/lifeline.py)."""
    script = (
        "import os, time\n"
        "from bot.app import render_pool\n"
        "pool = render_pool(1)\n"
        "print(pool.submit(os.getpid).result(), flush=True)\n"
        "time.sleep(60)\n"
    )
    out = tmp_path / "renderer"
    with out.open("wb") as sink:
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, cwd=str(ROOT), stdout=sink,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not out.read_text().strip() and time.monotonic() < deadline:
            assert bot.returncode is None, "the bot failed to start its renderer"
            await asyncio.sleep(0.05)
        renderer = int(out.read_text())
        assert alive(renderer) and renderer in descendants(bot.pid)
    finally:
        bot.kill()
        await asyncio.wait_for(bot.wait(), 10)
    assert not await outliving({renderer}, 5), "the renderer outlived its killed bot"


class Holding(Fake):
    """The fake Bot API holding back its answer to one message sent to a candidate: the
    message is delivered, the worker that sent it waits for the answer."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.armed = False
        self.held: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.release = asyncio.Event()

    async def _m_sendMessage(self, params: dict[str, Any], files: dict[str, Any]) -> Any:
        result = await super()._m_sendMessage(params, files)
        chat_id = int(params["chat_id"])
        if self.armed and chat_id > 0:  # a candidate's private chat
            self.armed = False
            self.held.set_result(chat_id)
            await self.release.wait()
        return result


@pytest.mark.long(19)  # on PostgreSQL (SQLite's is skipped)
async def test_a_worker_paused_past_its_lease_commits_and_sends_nothing_twice(
    tmp_path: Path, backend: str
) -> None:
    """SIGSTOP the worker whose message the platform has received but not yet confirmed, for
    longer than its lease; the other worker takes its chats and people over (the message goes
    out again: the one repeat of a reply in flight). After SIGCONT the paused worker learns
    the platform's answer — and its mark of the reply is refused (the chat's lease is fenced
    in the same transaction), as is anything else it held."""
    if backend == "sqlite" and os.environ.get("KND_TRY_SQLITE_PAUSE") != "1":
        # SIGSTOP can land inside one of the worker's (synchronous) transactions: it then
        # holds the one SQLite file's write lock, and no other worker can take anything over
        # until it resumes (seen once in five full-suite runs: "never taken over"). Inherent
        # to several workers on one SQLite file; PostgreSQL ends such a session after 4 s.
        pytest.skip("a paused SQLite writer blocks the file (KND_TRY_SQLITE_PAUSE=1 runs it)")
    script = (await sample_a())[:PAUSE_MOVES]
    lease = ("--lease", str(PAUSE_LEASE))
    async with run(tmp_path, PAUSED, Holding) as it, it.workers(2, *lease):
        chat_id = await bounded(pause_past_lease(it, script), bound(PAUSED), it.state)
        await it.stop()
    it.check()
    # the held reply went out twice (the platform had it; the new sender could not know) and
    # was marked sent once: the paused worker's mark was refused by the chat's fence
    assert it.api.repeats.get(chat_id) == 1, it.api.repeats
    assert "LeaseLost at bot/workers.py" in it.log.read_text()
    assert "(_mark_sent)" in it.log.read_text(), it.log.read_text()[-3000:]


async def pause_past_lease(it: Run, script: list[Step]) -> int:
    """Candidates play ``script``; a third of the way the worker sending a message the
    platform holds the answer to is paused until the other one sent it again; then every
    candidate and digest is waited for. Returns the held message's chat."""
    api, done = it.api, it.done
    assert isinstance(api, Holding)
    total = it.candidates * len(script)
    players = [asyncio.create_task(play(api, i, script, done)) for i in range(it.candidates)]
    await api.wait_for(lambda: done[0] >= total // 3, 120, "a third never answered")
    await it.digests_delivered()
    api.armed = True
    chat_id = await asyncio.wait_for(api.held, 30)
    paused = it.procs[holder_pid(it.db, f"chat:telegram:{chat_id}")]
    paused.send_signal(signal.SIGSTOP)
    api.release.set()
    # the other worker takes the chat over once the lease ran out (its sweep, every third of
    # a lease) and sends the held reply again: waited for, not slept on
    await api.wait_for(lambda: api.repeats.get(chat_id), 60, lambda: not_taken_over(it.db, chat_id))
    paused.send_signal(signal.SIGCONT)
    await it.finish(players)
    return chat_id


def digests(api: FakeBotAPI, group: Chat) -> list[Any]:
    return [m for m in api.bot_messages(group) if DIGEST in (m.text or "")]
