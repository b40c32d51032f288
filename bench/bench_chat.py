"""Benchmark: N simulated candidates fill a whole dossier at once over Telegram or Zalo.

    python bench/bench_chat.py --n 50 500
    python bench/bench_chat.py --platform zalo --n 50 500   # bench/zalo_side.py

What runs where
---------------
* **The bot** runs in a fresh process per configuration (N, mode): the production path
  (bot/telegram_service.py: our getUpdates loop storing each batch in the inbox before the
  next offset confirms it, the real router and flows, the outbox, the sender with the
  production pacing default of bot/pacing.py) over python-telegram-bot's Bot and our aiohttp
  transport, and the SQLite database on disk in WAL mode. Every update is stored before it
  is acknowledged; every answer — the inbox row marked processed, the revision, the
  conversation cursor and the replies — is committed in one transaction before anything is
  sent; each reply is marked sent in a commit after Telegram confirmed it. The memory printed
  is that process's resident set: sampled every 50 ms during the run, and the kernel's peak
  (``ru_maxrss``) over the process's whole life; the CPU is the bot process's user + system
  time per update answered.
* **A subprocess of the bot is Telegram plus the people**: the fake Bot API server
  (tests/fake_bot_api.py) and N simulated candidates. Each candidate replays the conversation
  of sample A (recorded once through the platform-neutral router, so it types and taps exactly
  what a person following the bot would) and waits for the bot's whole answer before its next
  move. The two processes share this machine's cores.

Who the candidates are (issue 17)
--------------------------------
Each candidate is their own person (bench/people.py, ``--seed``): their own name, birth
date, house number, typos and free text (studies, job, home commune, relatives' stories, the
paragraphs) over sample A's conversation, so caches keyed on typed text miss as they do in
life. Their families differ too: up to two more brothers and up to two more awards than
sample A (``Family``: nine shapes), so conversations differ in length and people do not all
finish — and ask for their draft — in the same seconds. ``--same-text`` is the old bench
(everyone types sample A); ``--shared-free-text`` the people of sessions 7–10 (their own
names, dates, house numbers and typos, sample A's free text); ``--same-family`` everyone with
sample A's family (sessions 4–11: they march in step, and the 475 drafts come within three
seconds at the end).
``--with-peer`` runs, after each of ours, a plain python-telegram-bot form bot
(bench/peer_bot.py: ConversationHandler + PicklePersistence) in the same harness with the
same people, and prints the ratio of CPU per update; ``--rounds R`` interleaves R such pairs.
``--submit-share S`` (0.05 by default) of the candidates end with /nop instead of asking for
the draft, and reviewers in the groups review them (bench/review_side.py: cards, «Xem»,
comments, «Trả lại», «Duyệt» at two levels, the final .docx and the candidates' notices);
what they did and how long each action felt is printed under the run.

Figures
-------
* felt latency (first line of each run): from the moment the person's update entered the
  fake Telegram server to the bot's first reply reaching it — the wait for the bot's next
  getUpdates included; whole-run updates/s beside the steady window's. Drafts' felt latency
  is printed on its own line, and with the rendering pool the bot's and its workers' memory.
* the fake side's CPU: the fake server's and the simulated people's CPU time per update and
  their share of a core, printed beside the bot's — they run on the same cores, so at 600
  updates/s they take about a third of one (docs/benchmarks.md, 2026-12-06, helper `edge`).
  ``--profile PATH --cprofile`` writes cProfile's stats of the bot (CPU time per function and
  call counts) instead of pyinstrument's wall-clock profile.
* instructions: ``KND_BENCH_CALLGRIND=PREFIX`` runs each bot process under valgrind's callgrind
  (output PREFIX.N.MODE, the count on stderr as "Collected"; hash seed fixed). The bot is then
  ~40× slower, so the people wait on it (the saturated regime) — a figure for comparing code,
  not the machine: (count at N − count at a smaller N) / the updates between them leaves out
  the start (docs/benchmarks.md, session 5, helper `edges3`).
* updates/s: updates answered per second of wall time.
* CPU per update: the bot process's CPU time over the run, divided by the updates answered;
  the machine's load does not inflate it as it does latencies, so the inbox/outbox cost is
  read there first.
* latency: from the moment getUpdates handed an update to the bot until the bot's first
  message or edit answering it arrived at the server (the bot's own delay; the long-poll
  round trip is not in it). "user-felt" adds the time the update waited for the next poll.

Two runs per N
--------------
* **paced** — the acceptance measure, OPEN-LOOP. Each candidate answers on its own schedule:
  one move every ``N / --rate`` seconds on average (uniformly 0.5–1.5× that), so the N
  candidates together *offer* ``--rate`` updates/s (650 by default) whatever the bot does. A
  candidate never answers a question it has not seen yet: if the bot is late it answers as
  soon as the reply arrives, and then keeps to its schedule (a late bot is not rewarded with
  less load). The issue's target is checked here: with every answer durable, at N = 500,
  ≥ 600 updates/s achieved, p99 latency < 200 ms, bot peak RSS < 200 MB.
* **saturated** — closed loop, no thinking time: the most the bot can do (its capacity).
  Latency is then mostly queueing and says little: by Little's law 500 candidates each
  waiting for their answer at 600 answers/s spend 500 / 600 ≈ 830 ms per round trip, so p99
  < 200 ms at N = 500 is only meaningful open-loop. Printed as capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import random
import resource
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT, ROOT / "bench"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


# ============================================================================================
# The conversation to replay
# ============================================================================================


@dataclass
class Step:
    """One thing the person does: type ``value`` or tap the button labelled ``value``.

    ``outputs`` is how many messages/edits the bot answers with, so the player knows when
    the answer is complete before it taps a button on it.
    """

    kind: str  # "text" | "tap"
    value: str
    outputs: int = 1
    document: bool = False  # the answer carries a .docx (the draft), rendered in the pool
    field_kind: str = ""  # typed answers: the kind of field answered (bench/people.py)
    field_id: str = ""


def stub_script(length: int) -> list[Step]:
    """A synthetic conversation for the stub router (transport-only measurement)."""
    steps = [Step("text", "/start")]
    for n in range(1, length):
        steps.append(Step("tap", "Có") if n % 3 == 0 else Step("text", f"Câu trả lời {n}"))
    return steps


class StubFlow:
    """Answers like the real flow would in shape (a question with buttons), stores nothing of
    its own (the router still stores the inbox row and the outbox rows)."""

    def __init__(self, routes: Any) -> None:
        self.routes = routes  # a flow as the router's Flow protocol has it

    async def handle(self, tx: Any, event: Any) -> list[Any]:
        from handlers.events import Button, Reply

        return [
            Reply(
                text="Mục tiếp theo: hãy nhập câu trả lời.",
                buttons=[[Button("Có", "y"), Button("Không", "n")]],
            )
        ]


async def stub_router(db_path: Path) -> tuple[Any, Any]:
    """The production router with every event owned by :class:`StubFlow`."""
    from handlers.router import Router
    from handlers.routing import Routes
    from storage.db import Database

    class StubRouter(Router):
        async def owner(self, tx: Any, event: Any) -> Any:
            return flow

    flow = StubFlow(Routes(flow="stub"))
    db = await Database.open(db_path)
    return StubRouter(db), db.close


#: Brothers and sisters a candidate may have beside sample A's one, and awards beside its
#: one (bench/people.py draws how many of each for each person): a sibling is ≈ 13 more
#: moves, an award ≈ 4, so people finish — and ask for their draft — at different moments,
#: as they do in life, instead of all 475 within the same three seconds of a run (sessions
#: 4–11's people, ``--same-family``).
EXTRA_SIBLINGS = (
    {
        "quan_he": "anh_chi_em",
        "xung_ho": "Anh trai",
        "ho_ten": "TRẦN VĂN MINH",
        "nam_sinh": "1998",
        "da_mat": "không",
        "quoc_tich": "Việt Nam",
        "cu_tru": "thôn Đông, xã An Lạc, tỉnh Hưng Yên",
        "o_nuoc_ngoai": "không",
        "nghe_nghiep": "công nhân cơ khí",
        "hoan_canh_kinh_te": "tự lập, thu nhập ổn định",
        "chap_hanh": "Chấp hành tốt chủ trương của Đảng, chính sách, pháp luật của Nhà nước",
        "tien_an": "không",
        "la_dang_vien": "không",
    },
    {
        "quan_he": "anh_chi_em",
        "xung_ho": "Em trai",
        "ho_ten": "TRẦN VĂN PHÚC",
        "nam_sinh": "2009",
        "da_mat": "không",
        "quoc_tich": "Việt Nam",
        "cu_tru": "thôn Đông, xã An Lạc, tỉnh Hưng Yên",
        "o_nuoc_ngoai": "không",
        "nghe_nghiep": "học sinh",
        "hoan_canh_kinh_te": "phụ thuộc gia đình",
        "chap_hanh": "Chấp hành tốt chủ trương của Đảng, chính sách, pháp luật của Nhà nước",
        "tien_an": "không",
        "la_dang_vien": "không",
    },
)
EXTRA_AWARDS = (
    {
        "thang_nam": "11/2021",
        "ly_do_hinh_thuc": "Bằng khen - giải Nhì Olympic Tin học sinh viên toàn quốc năm 2021",
        "cap_quyet_dinh": "Trung ương Hội Sinh viên Việt Nam",
    },
    {
        "thang_nam": "12/2022",
        "ly_do_hinh_thuc": "Bằng khen - thành tích xuất sắc trong phong trào tình nguyện năm 2022",
        "cap_quyet_dinh": "Ban Chấp hành Trung ương Đoàn TNCS Hồ Chí Minh",
    },
)


@dataclass(frozen=True)
class Family:
    """What a person has beyond sample A: the first ``siblings`` of :data:`EXTRA_SIBLINGS`
    and the first ``awards`` of :data:`EXTRA_AWARDS`."""

    siblings: int = 0
    awards: int = 0

    @property
    def key(self) -> str:
        """The name of the recorded script of this family (``""``: sample A's own)."""
        return f"+{self.siblings}s{self.awards}a" if self != Family() else ""

    def applied(self, sample: Any) -> Any:
        """``sample`` (a Dossier) with this family: the older brother before the sample's
        sister, the younger one after her, the awards before the sample's (oldest first)."""
        extra = EXTRA_SIBLINGS[: self.siblings]
        older = [s for s in extra if s["xung_ho"].startswith("Anh")]
        younger = [s for s in extra if not s["xung_ho"].startswith("Anh")]
        first = next(i for i, r in enumerate(sample.relatives) if r["quan_he"] == "anh_chi_em")
        relatives = [*sample.relatives[:first], *older, *sample.relatives[first:], *younger]
        tables = dict(sample.tables)
        tables["khen_thuong"] = [*EXTRA_AWARDS[: self.awards], *tables["khen_thuong"]]
        return sample.model_copy(
            update={
                "relatives": [dict(r) for r in relatives],
                "tables": {name: [dict(r) for r in rows] for name, rows in tables.items()},
            }
        )


#: Every family a person may have (bench/people.py ``Person.family``).
FAMILIES = tuple(
    Family(s, a) for s in range(len(EXTRA_SIBLINGS) + 1) for a in range(len(EXTRA_AWARDS) + 1)
)


def script_key(finish: str, family: Family = Family()) -> str:
    """The recorded script a person plays: how they finish, and their family."""
    return finish + family.key


async def record_script(sample: str, finish: str = "view", family: Family = Family()) -> list[Step]:
    """Play ``sample`` once through the router (no Telegram) and write down every move, how
    many Telegram messages answered it and, for typed answers, which field it answered;
    all simulated candidates then replay it (each as their own person: bench/people.py).
    ``finish="submit"`` ends with the dossier submitted instead of the draft viewed;
    ``family``: with that many more brothers, sisters and awards (:class:`Family`)."""
    from bot.app import build_flows
    from bot.telegram import split_text
    from handlers.events import Chat, Event, User
    from handlers.router import Router
    from storage.db import Database
    from tests.samples import load_sample
    from tests.telegram_player import Move, SamplePlayer, read_state

    with tempfile.TemporaryDirectory(prefix="knd-script-") as tmp:
        path = Path(tmp) / "script.sqlite3"
        db = await Database.open(path)
        if finish == "submit":  # the candidate belongs to a chi bộ whose group is bound
            from review_side import Cast, seed

            await seed(db, Cast(cb_groups=[-1], du_group=-2, cb_reviewers=[2], submitters=[1]))
        router = Router(db, flows=build_flows())
        typed: list[Any] = []

        def note_field(fdef: Any, text: str) -> str:
            typed.append(fdef)
            return text

        copied = family.applied(load_sample(sample))
        player = SamplePlayer(copied, typist=note_field, finish=finish)  # type: ignore[arg-type]
        user, chat = User("telegram", "1", "Ứng viên"), Chat("telegram", "1")
        steps: list[Step] = []
        move = Move("text", "/start")
        buttons: list[Any] = []
        while move.kind != "done":
            key = str(len(steps))
            if move.kind == "text" and move.value.startswith("/"):
                event = Event(user, chat, "command", command=move.value[1:], update_key=key)
            elif move.kind == "text":
                event = Event(user, chat, "text", text=move.value, update_key=key)
            else:
                action = next(
                    b.action
                    for row in buttons
                    for b in row
                    if b.action.partition("~")[0] == move.value
                )
                event = Event(user, chat, "button", action=action, update_key=key)
            replies = await router.handle(event)
            outputs = 0
            document = any(reply.document is not None for reply in replies)
            for reply in replies:
                if reply.chat is not None and reply.chat != chat:
                    continue  # a card or a notice elsewhere: not part of the answer awaited
                outputs += len(split_text(reply.text)) if reply.text else 0
                outputs += (reply.document is not None) + (reply.photo is not None)
                if reply.buttons:
                    buttons = reply.buttons
            kind = "tap" if move.kind == "tap" else "text"
            fdef = typed.pop() if typed else None
            steps.append(
                Step(
                    kind,
                    move.value,
                    outputs,
                    document,
                    field_kind=str(fdef.kind) if fdef is not None else "",
                    field_id=fdef.id if fdef is not None else "",
                )
            )
            state, dossier = read_state(path, "telegram", "1")
            move = player.next_move(state, dossier)
        await db.close()
    return steps


def candidate_scripts(
    templates: dict[str, list[Step]], args: argparse.Namespace
) -> list[list[Step]]:
    """Each candidate's own script: sample A's conversation played as a different person
    (bench/people.py, seeded), or — ``--same-text``, the old bench — everyone typing sample
    A's text; for the peer (``--peer``), the same people answering the peer's questions.
    ``--submit-share`` of them end with /nop (``templates["submit"]``), the others ask for
    the draft (``templates["view"]``), each with their own family (:func:`script_key`:
    ``"view+2s1a"`` has two siblings and an award more); the peer's people all do the
    latter."""
    from people import person, personalise
    from review_side import submits

    share = 0.0 if args.peer or args.platform == "zalo" else args.submit_share
    who = [person(args.seed, i) for i in range(args.n)]
    # families were recorded for Telegram's conversation only (not the stub's, not Zalo's)
    families = script_key("view", FAMILIES[-1]) in templates
    chosen = [
        templates[
            script_key(
                "submit" if submits(i, args.n, share) else "view",
                FAMILIES[who[i].family] if families else Family(),
            )
        ]
        for i in range(args.n)
    ]
    if args.same_text:
        plays = chosen
    else:
        from tests.samples import load_sample

        birth = load_sample("a").answers["ngay_sinh"]
        own = not args.shared_free_text
        plays = [personalise(chosen[i], who[i], birth, free_text=own) for i in range(args.n)]
    if args.peer:
        plays = [peer_script(steps) for steps in plays]
    return plays


def peer_script(steps: list[Step]) -> list[Step]:
    """The same number of moves for the peer bot (bench/peer_bot.py): its questions answered
    with this person's own values of the same kind, and a tap on "Bỏ qua" where the person
    tapped a button with ours. The peer answers every move with one message."""
    from peer_bot import QUESTIONS, SKIP

    typed: dict[str, list[str]] = {}
    for step in steps:
        if step.kind == "text" and not step.value.startswith("/"):
            kind = step.field_kind if step.field_kind in ("name", "date", "gender") else "text"
            typed.setdefault(kind, []).append(step.value)
    moves = [Step("text", "/start")]
    for number, step in enumerate(steps[1:]):
        if step.kind == "tap":
            moves.append(Step("tap", SKIP))
            continue
        kind = QUESTIONS[number % len(QUESTIONS)][2]
        pool = typed.get(kind) or typed["text"]
        moves.append(Step("text", pool[number % len(pool)]))
    return moves


# ============================================================================================
# Fake side (subprocess): Bot API server + simulated candidates
# ============================================================================================


def _fast_fake_class() -> type:
    """FakeBotAPI with O(1) bookkeeping where the test version scans lists (N = 500)."""
    from tests.fake_bot_api import OUTPUT_EVENTS, ChatEvent, FakeBotAPI

    class BenchFake(FakeBotAPI):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.waiters: dict[int, tuple[int, asyncio.Future[tuple[float, float]]]] = {}
            self.outputs: dict[int, int] = {}
            self.first_output: dict[int, float] = {}

        def _confirm(self, offset: int) -> None:
            if offset <= 0:
                return super()._confirm(offset)
            now = time.monotonic()
            keep = []
            for record in self._pending:
                if record.update_id < offset and record.delivery_count:
                    record.acked_at = now
                else:
                    keep.append(record)
            self._pending = keep

        def _event(self, state: Any, kind: str, message_id: Any, detail: Any = None) -> Any:
            now = time.monotonic()
            event = ChatEvent(
                seq=0, chat_id=state.chat.id, kind=kind, message_id=message_id, at=now
            )
            if kind in OUTPUT_EVENTS:
                chat_id = state.chat.id
                count = self.outputs.get(chat_id, 0) + 1
                self.outputs[chat_id] = count
                self.first_output.setdefault(chat_id, now)
                waiter = self.waiters.get(chat_id)
                if waiter is not None and count >= waiter[0] and not waiter[1].done():
                    waiter[1].set_result((self.first_output[chat_id], now))
            return event

        def expect(self, chat_id: int, outputs: int) -> asyncio.Future[tuple[float, float]]:
            self.outputs[chat_id] = 0
            self.first_output.pop(chat_id, None)
            future: asyncio.Future[tuple[float, float]] = asyncio.get_running_loop().create_future()
            self.waiters[chat_id] = (outputs, future)
            return future

    return BenchFake


@dataclass
class SideResult:
    """What the fake side measured. Rates are taken over the steady window — from the moment
    every candidate has made a first move until the first one has finished — because the
    ramp-up and the thinning end would dilute the load. Latencies are kept for every update
    (the last move, "see the draft", renders a .docx and comes after the window) and for the
    window alone; the target must hold for both."""

    updates: int = 0
    seconds: float = 0.0
    steady_seconds: float = 0.0
    steady_updates: int = 0  # answered inside the window
    steady_offered: int = 0  # moves scheduled inside the window (paced runs)
    latencies: list[float] = field(default_factory=list)
    steady_latencies: list[float] = field(default_factory=list)
    document_latencies: list[float] = field(default_factory=list)  # drafts (.docx) only
    document_felt: list[float] = field(default_factory=list)  # the same, as people feel it
    # each draft's (chat id, update created, handed to the bot, first reply, last reply),
    # joined with the bot's own waypoints (handlers/waypoints.py)
    document_times: list[tuple[str, float, float, float, float]] = field(default_factory=list)
    felt: list[float] = field(default_factory=list)
    complete: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    finished: int = 0
    review: dict[str, Any] | None = None  # bench/review_side.py's ReviewFigures


async def fake_side(args: argparse.Namespace) -> None:
    """Serve the Bot API and play N candidates; report timings as JSON on stdout."""
    from tests.fake_bot_api import Chat

    stored = json.loads(Path(args.script).read_text(encoding="utf-8"))
    plays = candidate_scripts({k: [Step(**s) for s in v] for k, v in stored.items()}, args)
    # This process is the measuring instrument: it keeps the whole history of the run
    # (every call, update and message: ~0.8 GB at N = 500), and with the garbage collector
    # on, its full collections grew to over a second each — pauses that held every reply in
    # flight and were counted as the bot's latency. Reference counting frees what it drops.
    gc.disable()
    zalo = args.platform == "zalo"
    if zalo:
        from bench.zalo_side import zalo_fake_class

        api = zalo_fake_class()()
        await api.__aenter__()
    else:
        api = _fast_fake_class()()
        await api.start()
    from review_side import Cast, Reviewers, make_cast, submits

    share = 0.0 if args.peer or zalo else args.submit_share  # reviews: over Telegram only
    people = [api.new_user(f"Ứng viên {i}") for i in range(args.n)]
    submitters = [people[i].id for i in range(args.n) if submits(i, args.n, share)]
    cast, reviewer_users, groups = (
        make_cast(api, submitters, args.reviewers) if submitters else (Cast(), {}, {})
    )
    # a group takes 20 messages a minute (bot/pacing.py): cards can queue for minutes
    reviewers = Reviewers(api, cast, reviewer_users, groups, 5 * args.timeout)
    submitted_at: dict[int, int] = {}
    print(f"READY {api.port} {json.dumps(asdict(cast))}", flush=True)
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    await reader.readline()  # "GO"
    result = SideResult()
    rng = random.Random(7)
    period = args.think  # mean seconds between one candidate's moves (0: as fast as answered)
    loop = asyncio.get_running_loop()
    # per update: (scheduled, answered, latency, user-felt, whole answer)
    moves: list[tuple[float, float, float, float, float]] = []
    starts: list[float] = []
    ends: list[float] = []
    series: list[tuple[float, float, int]] = []  # --series: (answered at, latency, step)

    async def candidate(index: int) -> None:
        steps = plays[index]
        user = people[index]
        chat = user if zalo else Chat.private(user)
        # people do not start in lockstep; then each keeps to their own open-loop schedule
        due = loop.time() + rng.uniform(0, period or 0.01)
        last_keyboard_id: int | None = None
        for number, step in enumerate(steps):
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if number == 0:
                starts.append(loop.time())
            waiter = api.expect(chat.id, step.outputs)
            if zalo:  # every move is typed on Zalo; buttons are numbers
                sent_at = time.monotonic()
                key = api.user_sends(user, step.value)["message"]["message_id"]
            elif step.kind == "text":
                api.user_sends_text(user, None, step.value)
            else:
                message_id, data = _find_button(api, chat.id, step.value, last_keyboard_id)
                api.user_clicks(user, None, message_id, data, strict=False)
            record = None if zalo else api.updates[-1]
            try:
                first, last = await asyncio.wait_for(waiter, args.timeout)
            except TimeoutError:
                result.failures.append(
                    f"candidate {index} step {number} ({step.kind} {step.value!r}): no answer"
                )
                ends.append(loop.time())
                return
            if record is None:
                created, delivered = sent_at, api.delivered.get(key, sent_at)
            else:
                created, delivered = record.created_at, record.delivered_at or record.created_at
            scheduled = due if period else created
            moves.append((scheduled, first, first - delivered, first - created, last - delivered))
            if step.document:
                result.document_latencies.append(first - delivered)
                result.document_felt.append(first - created)
                result.document_times.append((str(chat.id), created, delivered, first, last))
            if args.series:
                series.append((round(first - started, 4), round(first - delivered, 5), number))
            last_keyboard_id = None if zalo else _latest_keyboard(api, chat.id)
            if period:
                due += rng.uniform(0.5 * period, 1.5 * period)
        ends.append(loop.time())
        result.finished += 1
        if user.id in cast.submitters:
            submitted_at[user.id] = len(api._chats[chat.id].messages)

    started = time.monotonic()
    reviewing = asyncio.ensure_future(reviewers.run())
    await asyncio.gather(*(candidate(i) for i in range(args.n)))
    result.seconds = time.monotonic() - started
    reviewers.expected = len(submitted_at)
    await reviewing
    for _ in range(int(args.timeout / 0.1)):  # the candidates' notices after the last approval
        reviewers.count_notices(submitted_at)
        if reviewers.figures.finals >= reviewers.figures.finals_due:
            break
        await asyncio.sleep(0.1)
    result.review = asdict(reviewers.figures) if submitted_at else None
    if args.series:
        Path(args.series).write_text(json.dumps(series), encoding="utf-8")
    result.updates = len(moves)
    begin, end = max(starts), min(ends)
    if end <= begin:  # too short a run for a steady window: use all of it
        begin, end = started, started + result.seconds
    result.steady_seconds = end - begin
    result.steady_offered = sum(begin <= m[0] < end for m in moves)
    result.steady_updates = sum(begin <= m[1] < end for m in moves)
    result.steady_latencies = [m[2] for m in moves if begin <= m[1] < end]
    result.latencies = [m[2] for m in moves]
    result.felt = [m[3] for m in moves]
    result.complete = [m[4] for m in moves]
    # Timings go to a file, not through the bot process: parsing them there would add
    # megabytes to the memory being measured.
    Path(args.result).write_text(json.dumps(asdict(result)), encoding="utf-8")
    print("DONE", flush=True)
    await reader.readline()  # wait until the bot stopped polling
    await api.stop()


def _latest_keyboard(api: Any, chat_id: int) -> int | None:
    state = api._chats.get(chat_id)
    if state is None:
        return None
    for message in reversed(state.messages):
        if message.from_bot and not message.deleted and message.inline_keyboard:
            return message.message_id
    return None


def _find_button(api: Any, chat_id: int, action: str, message_id: int | None) -> tuple[int, str]:
    """The button whose action (callback_data without its "~seq") is ``action``."""
    if message_id is None:
        raise RuntimeError(f"no keyboard to tap {action!r} on")
    message = api._chats[chat_id].by_id[message_id]
    for row in message.inline_keyboard:
        for button in row:
            data = str(button.get("callback_data", ""))
            if data.partition("~")[0] == action or button.get("text") == action:
                return message_id, data
    raise RuntimeError(f"no button {action!r} on message {message_id}")


# ============================================================================================
# Bot side (this process)
# ============================================================================================


def people_options(args: argparse.Namespace) -> list[str]:
    """The options that say who the candidates are and which bot serves them."""
    return [
        "--seed",
        str(args.seed),
        *(["--same-text"] if args.same_text else []),
        *(["--shared-free-text"] if args.shared_free_text else []),
        *(["--peer"] if args.peer else []),
        "--submit-share",
        str(args.submit_share),
        "--reviewers",
        str(args.reviewers),
    ]


def cpu_seconds() -> float:
    """This process's user + system CPU time."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _status_mb(pid: int | str, key: str, name: str = "status") -> float:
    """A ``kB`` line of /proc/PID/status (VmRSS) or smaps_rollup (Pss), in MB; 0 if gone."""
    try:
        with open(f"/proc/{pid}/{name}", encoding="ascii") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def render_workers(exclude: int) -> list[int]:
    """This process's descendants but ``exclude`` (the fake side): the rendering pool (and a
    fork server, if the pool starts its workers from one)."""
    found: list[int] = []
    todo = [os.getpid()]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                for child in (task / "children").read_text().split():
                    if int(child) != exclude:
                        found.append(int(child))
                        todo.append(int(child))
    return found


def memory_with_workers(exclude: int) -> dict[str, float]:
    """The bot's resident memory and its rendering workers': RSS (a page shared by the bot
    and a forked worker counted in both) and PSS (a shared page split between them: the
    memory the machine actually gives them)."""
    workers = render_workers(exclude)
    return {
        "workers": len(workers),
        "rss_bot": _status_mb("self", "VmRSS:"),
        "rss_workers": sum(_status_mb(p, "VmRSS:") for p in workers),
        "pss_total": _status_mb("self", "Pss:", "smaps_rollup")
        + sum(_status_mb(p, "Pss:", "smaps_rollup") for p in workers),
    }


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used so far (0 if gone)."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def workers_cpu(exclude: int) -> float:
    """CPU seconds (user + system) the rendering workers have used so far."""
    return sum(process_cpu(pid) for pid in render_workers(exclude))


async def open_bot_router(db_path: Path, stub: bool) -> tuple[Any, Any]:
    if stub:
        return await stub_router(db_path)
    from bot.app import open_router
    from bot.settings import Settings

    settings = Settings(_env_file=None, db_path=db_path)
    return await open_router(settings)


def peer_settings(port: int, db_path: Path) -> Any:
    """Telegram settings pointing at the fake side (ours and the peer's)."""
    from bot.settings import Settings

    return Settings(
        _env_file=None,
        bot_token="123456789:TEST-fake_token-ABCdefGHIjklMNOpqr",
        api_base_url=f"http://127.0.0.1:{port}/bot",
        api_file_url=f"http://127.0.0.1:{port}/file/bot",
        db_path=db_path,
        polling_timeout=10,
    )


def telegram_bot(router: Any, port: int, db_path: Path) -> Any:
    """The production TelegramService (default pacing, as run_telegram runs it)."""
    from bot.telegram_service import TelegramService

    return TelegramService(peer_settings(port, db_path), router, commands=[])


async def durability(db: Any) -> dict[str, int]:
    """What the database holds once the bot stopped: every update received is in the inbox
    (processed, or left for the next start), every reply in the outbox (sent, or pending)."""
    async with db.read() as r:
        inbox = await r.fetchone(
            "SELECT COUNT(*), COALESCE(SUM(processed_at IS NULL), 0) FROM inbox"
        )
        rows = dict(await r.fetchall("SELECT status, COUNT(*) FROM outbox GROUP BY status"))
    return {
        "inbox": int(inbox[0]),
        "unprocessed": int(inbox[1]),
        **{f"outbox_{status}": int(count) for status, count in rows.items()},
    }


async def bot_side(args: argparse.Namespace) -> None:
    """One configuration in this (fresh) process: the bot, with the fake side as its child."""

    n, think = args.n, args.think
    with tempfile.TemporaryDirectory(prefix="knd-bench-") as tmp:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            str(Path(__file__).resolve()),
            "--fake-side",
            "--n",
            str(n),
            "--think",
            str(think),
            "--script",
            args.script,
            "--result",
            args.result,
            "--platform",
            args.platform,
            *(["--series", args.series] if args.series else []),
            *people_options(args),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=str(ROOT),
            limit=2**26,
        )
        assert child.stdout is not None and child.stdin is not None
        ready = (await child.stdout.readline()).decode().split(maxsplit=2)
        if not ready or ready[0] != "READY":
            raise RuntimeError(f"fake side did not start: {ready}")
        port = int(ready[1])
        db_path = Path(tmp) / "knd.sqlite3"
        router, close = (None, None) if args.peer else await open_bot_router(db_path, args.stub)
        cast = json.loads(ready[2]) if len(ready) > 2 else {}
        if router is not None and cast.get("submitters"):
            from review_side import Cast, seed

            await seed(router.db, Cast(**cast))
        bot: Any
        if args.peer:
            bot = PeerService(peer_settings(port, db_path), Path(tmp))
        elif args.platform == "zalo":
            import socket

            from bench.zalo_side import zalo_bot

            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                hook_port = probe.getsockname()[1]
            bot = zalo_bot(router, port, hook_port, db_path)
        else:
            bot = telegram_bot(router, port, db_path)
        await bot.start()
        baseline = rss_mb()
        peak = baseline
        profiler: Any = None
        if args.profile and args.cprofile:
            import cProfile

            profiler = cProfile.Profile(time.thread_time)  # CPU per function, call counts
            profiler.enable()
        elif args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="disabled")
            profiler.start()
        if router is not None:
            from handlers import waypoints

            waypoints.record()  # where each draft waits (printed under the run)
        cpu_before = cpu_seconds()
        fake_before = process_cpu(child.pid)
        child.stdin.write(b"GO\n")
        await child.stdin.drain()
        line_task = asyncio.ensure_future(child.stdout.readline())
        pool_peak: dict[str, float] = {}
        ticks = 0
        while not line_task.done():
            peak = max(peak, rss_mb())
            ticks += 1
            if ticks % 10 == 0:  # every half second: the pool's memory (/proc reads)
                now = memory_with_workers(child.pid)
                if now["pss_total"] > pool_peak.get("pss_total", 0.0):
                    pool_peak = now
            await asyncio.wait({line_task}, timeout=0.05)
        if profiler is not None and args.cprofile:
            profiler.disable()
            profiler.dump_stats(str(Path(args.profile).with_suffix(".prof")))
        elif profiler is not None:
            profiler.stop()
            Path(args.profile).write_text(profiler.output_html(), encoding="utf-8")
            text = profiler.output_text(unicode=True, show_all=False)
            Path(args.profile).with_suffix(".txt").write_text(text, encoding="utf-8")
        line = line_task.result().decode()
        cpu = cpu_seconds() - cpu_before
        from handlers import waypoints

        notes = waypoints.taken()
        fake_cpu = process_cpu(child.pid) - fake_before
        pool_cpu = workers_cpu(child.pid)
        await bot.stop()
        durable = await durability(router.db) if router is not None else {}
        if close is not None:
            await close()
        child.stdin.write(b"STOP\n")
        await child.stdin.drain()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(child.wait(), 10)
        if not line.startswith("DONE"):
            raise RuntimeError(f"fake side failed: {line!r}")
        kernel_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        memory = {
            "rss_baseline": baseline,
            "rss_peak": max(peak, kernel_peak),
            "cpu": cpu,
            "fake_cpu": fake_cpu,
            "pool_cpu": pool_cpu,
            "pool_peak": pool_peak,
            "durable": durable,
            "waypoints": notes,
        }
        print("RESULT " + json.dumps(memory), flush=True)


class PeerService:
    """The peer bot (bench/peer_bot.py) started and stopped like our TelegramService."""

    def __init__(self, settings: Any, tmp: Path) -> None:
        from peer_bot import build

        self.application = build(
            settings.token,
            settings.api_base_url,
            settings.api_file_url,
            tmp / "peer.pickle",
        )

    async def start(self) -> None:
        await self.application.initialize()
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(poll_interval=0.0, timeout=10)

    async def stop(self) -> None:
        assert self.application.updater is not None
        await self.application.updater.stop()
        await self.application.stop()
        await self.application.shutdown()


async def run_one(
    n: int, mode: str, think: float, script: Path, args: argparse.Namespace, peer: bool = False
) -> dict:
    """Run one configuration in a fresh bot process (ours, or the peer) and return its
    figures."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--bot-side",
        "--n",
        str(n),
        "--think",
        str(think),
        "--script",
        str(script),
        "--result",
        str(script.with_suffix(f".{n}.{mode}{'.peer' if peer else ''}.json")),
        *people_options(args),
        *(["--peer"] if peer else []),
        "--platform",
        args.platform,
        "--loop",
        args.loop,
    ]
    if args.stub:
        command.append("--stub")
    if args.profile:
        command += ["--profile", f"{args.profile}.{n}.{mode}.html"]
        command += ["--cprofile"] if args.cprofile else []
    if args.series:
        command += ["--series", f"{args.series}.{n}.{mode}.json"]
    callgrind = os.environ.get("KND_BENCH_CALLGRIND", "")
    if callgrind:  # the bot process under valgrind: its instructions (stderr: "Collected")
        out = f"--callgrind-out-file={callgrind}.{n}.{mode}"
        command = ["valgrind", "--tool=callgrind", out, *command]
    load_before = os.getloadavg()[0]
    child = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        cwd=str(ROOT),
        limit=2**26,
        env=dict(os.environ, PYTHONHASHSEED="0") if callgrind else None,
    )
    assert child.stdout is not None
    result: dict | None = None
    async for raw in child.stdout:
        line = raw.decode()
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
        else:
            print(line, end="", flush=True)
    if await child.wait() != 0 or result is None:
        raise RuntimeError(f"bot process for N={n} {mode} failed")
    timings = Path(command[command.index("--result") + 1])
    result.update(json.loads(timings.read_text(encoding="utf-8")))
    result["load"] = (load_before, os.getloadavg()[0])
    return result


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# The target (paced, every answer durable) — see the module docstring.
TARGET_RATE = 600.0  # updates/s achieved
TARGET_P99_MS = 200.0  # update handed to the bot → first reply
TARGET_RSS_MB = 200.0  # bot process, peak


@dataclass(frozen=True)
class Before:
    """One run of this bench before issue 10: PTB's Updater (a batch confirmed once queued in
    memory), replies sent from the update's handler, no inbox and no outbox."""

    rate: float  # updates/s in the steady window
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # bot CPU per update
    load: tuple[float, float]  # 1-minute load average before and after the run


#: The old path (commit ed614ed: PTB's Updater, no inbox, no outbox) measured on the same
#: shared 2-core machine in the same session as the production path's figures
#: (docs/benchmarks.md, 2026-12-06), so that the difference printed beside each run is the
#: inbox/outbox cost. The machine was loaded by other work (load 7–12): compare the CPU per
#: update first, rates and latencies only roughly.
BEFORE: dict[tuple[int, str], Before] = {
    (50, "paced"): Before(rate=180, p50_ms=184.3, p99_ms=496.2, cpu_ms=2.45, load=(7.3, 7.3)),
    (500, "paced"): Before(rate=69, p50_ms=821.8, p99_ms=5985.1, cpu_ms=2.63, load=(11.5, 9.0)),
}


def compare(label: str, n: int, data: dict, rate: float) -> None:
    """The run beside the old path's figures: what the inbox and the outbox cost."""
    ms = 1000.0
    cpu = data["cpu"] / data["updates"] * ms if data.get("updates") else float("nan")
    load = data.get("load", (float("nan"), float("nan")))
    print(
        f"          bot CPU {cpu:.2f} ms per update; load average {load[0]:.1f} → {load[1]:.1f}",
        flush=True,
    )
    if data.get("fake_cpu") is not None and data.get("updates") and data.get("seconds"):
        fake = data["fake_cpu"] / data["updates"] * ms
        cores = (data["cpu"] + data["fake_cpu"]) / data["seconds"]
        print(
            f"          the fake platform and the people (this machine, same cores): CPU "
            f"{fake:.2f} ms per update, {data['fake_cpu'] / data['seconds'] * 100:.0f} % of a "
            f"core; bot + fake side {cores:.2f} of {os.cpu_count()} cores",
            flush=True,
        )
    old = None if data.get("stub") else BEFORE.get((n, label))
    if old is None:
        return
    lat = data["latencies"]
    print(
        f"          before issue 10 (no inbox/outbox): {old.rate:.0f} updates/s, "
        f"p50={old.p50_ms:.1f} p99={old.p99_ms:.1f} ms, CPU {old.cpu_ms:.2f} ms per update "
        f"(load {old.load[0]:.1f} → {old.load[1]:.1f});\n          inbox/outbox cost: "
        f"CPU {cpu - old.cpu_ms:+.2f} ms per update ({(cpu / old.cpu_ms - 1) * 100:+.0f} %), "
        f"{rate - old.rate:+.0f} updates/s, p50 {pct(lat, 0.5) * ms - old.p50_ms:+.1f} ms, "
        f"p99 {pct(lat, 0.99) * ms - old.p99_ms:+.1f} ms",
        flush=True,
    )


def cpu_per_update_ms(data: dict) -> float:
    """The bot process's CPU time over the run ÷ the updates answered."""
    return data["cpu"] / data["updates"] * 1000.0 if data.get("updates") else float("nan")


def report_felt(label: str, n: int, data: dict) -> None:
    """What people feel: from the moment the person's update entered the (fake) Telegram
    server to the bot's first reply reaching it — the wait for the bot's next getUpdates
    included — and the rate over the whole run beside the steady window's."""
    ms = 1000.0
    felt, window = data["felt"], data["steady_seconds"]
    whole = data["updates"] / data["seconds"] if data["seconds"] else 0.0
    steady = data["steady_updates"] / window if window else 0.0
    print(
        f"{label:9} N={n:<4} felt latency p50={pct(felt, 0.5) * ms:6.1f} ms "
        f"p99={pct(felt, 0.99) * ms:7.1f} ms max={max(felt, default=0) * ms:7.1f} ms; "
        f"{whole:4.0f} updates/s over the whole run ({data['updates']} in "
        f"{data['seconds']:.0f} s), {steady:4.0f}/s in the steady window; "
        f"CPU {cpu_per_update_ms(data):.2f} ms per update",
        flush=True,
    )
    pool = data.get("pool_peak") or {}
    if pool.get("workers"):
        print(
            f"          rendering workers' CPU {data['pool_cpu'] / data['updates'] * ms:.2f} ms "
            "per update (not in the bot's figure)",
            flush=True,
        )
        print(
            f"          with the rendering pool (at its largest): bot RSS {pool['rss_bot']:.0f}"
            f" MB + {pool['workers']:.0f} rendering process(es) (workers, resource tracker)"
            f" RSS {pool['rss_workers']:.0f} MB; "
            f"PSS of them all {pool['pss_total']:.0f} MB",
            flush=True,
        )
    docs = data.get("document_felt") or []
    if docs:
        print(
            f"          drafts felt p50={pct(docs, 0.5):.2f} s p99={pct(docs, 0.99):.2f} s "
            f"max={max(docs):.2f} s ({len(docs)} drafts)",
            flush=True,
        )
    report_waypoints(data)
    from review_side import report as report_review

    report_review(data.get("review"), pct)


#: a draft's way, in order: the fake server's moments and the bot's (handlers/waypoints.py)
WAYPOINTS = (
    ("sent", "the person sent it"),
    ("handed", "getUpdates handed it to the bot"),
    ("routed", "stored in the inbox, read by the intake, given to the router"),
    ("locked", "the router took the person's lock, the chat's last question marked sent"),
    ("committed", "the answer and the job committed to the outbox"),
    ("picked", "the chat's sender took the job"),
    ("rendered", "the pool's document back in the sender"),
    ("paced", "the pacer let the upload go"),
    ("uploaded", "the platform answered the upload"),
    ("arrived", "the first reply reached the server"),
)


def report_waypoints(data: dict) -> None:
    """Where the drafts waited: for each leg between two waypoints, p50 / p99 / max over the
    drafts that passed both (a leg the draft's first reply reached before is left out)."""
    notes = data.get("waypoints") or {}
    times = data.get("document_times") or []
    if not notes or not times:
        return
    legs: dict[tuple[str, str], list[float]] = {}
    for chat, created, handed, first, _last in times:
        moments = {"sent": created, "handed": handed, "arrived": first}
        moments.update(
            (stage, at)
            for stage, at in notes.get(chat, [])
            if handed <= at and stage not in moments
        )
        passed = [(name, moments[name]) for name, _ in WAYPOINTS if name in moments]
        for (a, t_a), (b, t_b) in itertools.pairwise(passed):
            legs.setdefault((a, b), []).append(t_b - t_a)
    print("          where the drafts waited (ms: p50 / p99 / max, drafts):", flush=True)
    labels = dict(WAYPOINTS)
    for (a, b), spans in legs.items():
        print(
            f"            {a:>9} → {b:<9} {pct(spans, 0.5) * 1e3:7.1f} / "
            f"{pct(spans, 0.99) * 1e3:7.1f} / {max(spans) * 1e3:7.1f}  ({len(spans)}): "
            f"{labels[b]}",
            flush=True,
        )
    print(
        "          documents held in the bot at once, at most: "
        f"{most_at_once(notes, 'picked', 'rendered')} being rendered (job sent to the pool), "
        f"{most_at_once(notes, 'rendered', 'uploaded')} rendered and not yet uploaded",
        flush=True,
    )


def most_at_once(notes: dict[str, list[Any]], start: str, end: str) -> int:
    """The most chats that were at once between waypoints ``start`` and ``end``."""
    edges: list[tuple[float, int]] = []
    for marks in notes.values():
        at = dict((stage, t) for stage, t in reversed(marks))  # each stage's first moment
        if start in at and end in at:
            edges += [(at[start], 1), (at[end], -1)]
    most = held = 0
    for _, step in sorted(edges):
        held += step
        most = max(most, held)
    return most


def report_peer(label: str, n: int, data: dict, ours: dict) -> float:
    """The peer's run, and the ratio of CPU per update (ours ÷ the peer's)."""
    report_felt(f"peer {label[:4]}", n, data)
    ratio = cpu_per_update_ms(ours) / cpu_per_update_ms(data)
    print(
        f"          CPU per update: ours {cpu_per_update_ms(ours):.2f} ms, the peer "
        f"{cpu_per_update_ms(data):.2f} ms → ours ÷ peer = {ratio:.2f}; peer peak RSS "
        f"{data['rss_peak']:.0f} MB, done {data['finished']}/{n}",
        flush=True,
    )
    for failure in data["failures"][:3]:
        print("   ! peer:", failure)
    return ratio


def report(label: str, n: int, data: dict) -> list[tuple[str, bool]]:
    """Print one run's figures; for a paced run, also whether each target is met."""
    ms = 1000.0
    lat, felt, complete = data["latencies"], data["felt"], data["complete"]
    window = data["steady_seconds"]
    rate = data["steady_updates"] / window if window else 0.0
    offered = data["steady_offered"] / window if window and label == "paced" else 0.0
    p99_steady = pct(data["steady_latencies"], 0.99) * ms
    p99 = max(pct(lat, 0.99) * ms, p99_steady)
    report_felt(label, n, data)
    print(
        f"          bot's own delay (getUpdates handed it over → first reply): {rate:5.0f} "
        "updates/s"
        + (f" (offered {offered:.0f}/s)" if offered else "")
        + f"  latency p50={pct(lat, 0.5) * ms:5.1f} ms p99={pct(lat, 0.99) * ms:6.1f} ms "
        f"max={max(lat, default=0) * ms:6.1f} ms  RSS {data['rss_baseline']:.0f} MB after "
        f"start, peak {data['rss_peak']:.0f} MB  done {data['finished']}/{n}",
        flush=True,
    )
    print(
        f"          steady window {window:.0f} s of {data['seconds']:.0f} s "
        f"({data['updates']} updates in all, {data['updates'] / data['seconds']:.0f}/s), "
        f"p99 in the window {p99_steady:.1f} ms;\n          whole answer p99="
        f"{pct(complete, 0.99) * ms:.1f} ms; user-felt (with the wait for the next poll) "
        f"p50={pct(felt, 0.5) * ms:.1f} p99={pct(felt, 0.99) * ms:.1f} ms",
        flush=True,
    )
    docs = data.get("document_latencies") or []
    if docs:
        print(
            f"          of which {len(docs)} drafts (.docx, rendered in the pool after the "
            f"commit): latency p50={pct(docs, 0.5) * ms:.1f} p99={pct(docs, 0.99) * ms:.1f}"
            f" max={max(docs) * ms:.1f} ms",
            flush=True,
        )
    durable = data.get("durable") or {}
    if durable:
        print(
            f"          stored: {durable['inbox']} updates in the inbox "
            f"({durable['unprocessed']} left for the next start), replies in the outbox "
            + ", ".join(f"{k[7:]} {v}" for k, v in sorted(durable.items()) if k[:7] == "outbox_"),
            flush=True,
        )
    compare(label, n, data, rate)
    for failure in data["failures"][:5]:
        print("   !", failure)
    if label != "paced":
        return []
    checks = [
        (f"≥ {TARGET_RATE:.0f} updates/s offered and achieved", min(rate, offered) >= TARGET_RATE),
        (f"p99 < {TARGET_P99_MS:.0f} ms", p99 < TARGET_P99_MS),
        (f"peak RSS < {TARGET_RSS_MB:.0f} MB", data["rss_peak"] < TARGET_RSS_MB),
        ("every candidate finished", data["finished"] == n and not data["failures"]),
    ]
    for what, ok in checks:
        print(f"          target {what}: {'MET' if ok else 'NOT MET'}", flush=True)
    return [(f"N={n} paced: {what}", ok) for what, ok in checks]


async def interleaved_rounds(
    n: int, label: str, think: float, script: Path, args: argparse.Namespace
) -> list[tuple[str, bool]]:
    """``--rounds`` runs of ours, each followed by the peer's (``--with-peer``) on the same
    candidates: the machine's mood then weighs on both alike, and the median of the
    per-round ratios is the figure to quote."""
    verdicts: list[tuple[str, bool]] = []
    ratios: list[float] = []
    for _ in range(args.rounds):
        ours = await run_one(n, label, think, script, args)
        ours["stub"] = args.stub  # the old figures are of the real flows
        verdicts += report(label, n, ours)
        if args.with_peer:
            peer = await run_one(n, label, think, script, args, peer=True)
            ratios.append(report_peer(label, n, peer, ours))
    if ratios:
        print(
            f"{label} N={n}: CPU per update ours ÷ peer, per round "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + f"; median {pct(ratios, 0.5):.2f}",
            flush=True,
        )
    return verdicts


async def main_async(args: argparse.Namespace) -> None:
    scripts: dict[str, list[Step]] = {}
    if args.stub:
        steps = stub_script(args.steps or 200)
    elif args.platform == "zalo":
        from bench.zalo_side import record_zalo_script

        zalo = await record_zalo_script(args.sample, Step)
        steps = zalo.steps[: args.steps] if args.steps else zalo.steps
        with_web = zalo.messages - zalo.long_messages + 2  # the /web link, then «Tiếp tục»
        print(
            f"Zalo messages for a whole dossier (sample {args.sample}): {zalo.messages} by chat"
            f" alone; {with_web} with the web form for the tables and relatives (their"
            f" {zalo.long_moves} moves and {zalo.long_messages} messages replaced by one link"
            " and its return, estimated from this conversation)",
            flush=True,
        )
    else:
        steps = await record_script(args.sample)
        if args.steps:
            steps = steps[: args.steps]
        scripts["submit"] = await record_script(args.sample, finish="submit")
        if not (args.same_family or args.same_text or args.steps):
            for family in FAMILIES[1:]:
                for finish in ("view", "submit"):
                    key = script_key(finish, family)
                    scripts[key] = await record_script(args.sample, finish, family)
    lengths = sorted({len(v) for k, v in scripts.items() if k.startswith("view")} | {len(steps)})
    print(
        f"conversation: {'/'.join(map(str, lengths))} updates per candidate "
        + ("(by the size of their family) " if len(lengths) > 1 else "")
        + f"({'stub router' if args.stub else f'sample {args.sample}'}); a fresh bot process "
        f"per run; paced runs offer {args.rate:.0f} updates/s open-loop; "
        + "the production path (inbox, router, outbox, sender; default pacing)",
        flush=True,
    )
    scripts["view"] = steps
    if "submit" not in scripts:  # the stub and Zalo: nobody submits
        args.submit_share = 0.0
    verdicts: list[tuple[str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="knd-bench-script-") as tmp:
        script = Path(tmp) / "script.json"
        stored = {k: [asdict(s) for s in v] for k, v in scripts.items()}
        script.write_text(json.dumps(stored), encoding="utf-8")
        for n in args.n:
            modes = {"paced": n / args.rate, "saturated": 0.0}
            for label in args.modes:
                verdicts += await interleaved_rounds(n, label, modes[label], script, args)
    if verdicts:
        missed = [what for what, ok in verdicts if not ok]
        print(
            "targets: all met" if not missed else "targets NOT met: " + "; ".join(missed),
            flush=True,
        )


def main() -> None:
    if "--workers" in sys.argv:  # several workers behind a webhook: bench/bench_workers.py
        from bench_workers import main as several_workers

        several_workers(sys.argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--rate", type=float, default=650.0, help="offered updates/s when paced")
    parser.add_argument("--modes", nargs="+", default=["paced", "saturated"])
    parser.add_argument("--sample", default="a")
    parser.add_argument(
        "--platform",
        choices=["telegram", "zalo"],
        default="telegram",
        help="the adapter: Telegram (polling) or Zalo (webhook; bench/zalo_side.py)",
    )
    parser.add_argument("--steps", type=int, default=0, help="cut the conversation (dev)")
    parser.add_argument("--stub", action="store_true", help="stub router: transport only")
    parser.add_argument("--profile", default="", help="write pyinstrument profiles (HTML and text)")
    parser.add_argument(
        "--cprofile", action="store_true", help="with --profile: cProfile's stats (.prof) instead"
    )
    parser.add_argument(
        "--series",
        default="",
        help="write every update's (answered at s, latency s, step) to PATH.N.MODE.json",
    )
    parser.add_argument("--seed", type=int, default=17, help="who the candidates are")
    parser.add_argument(
        "--same-text", action="store_true", help="the old bench: everyone types sample A"
    )
    parser.add_argument(
        "--shared-free-text",
        action="store_true",
        help="each person's own names, dates and typos, but sample A's free text (sessions 7–10)",
    )
    parser.add_argument(
        "--same-family",
        action="store_true",
        help="everyone with sample A's family (one sister): all finish together (sessions 4–11)",
    )
    parser.add_argument("--peer", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--with-peer",
        action="store_true",
        help="run the plain python-telegram-bot peer (bench/peer_bot.py) after each run",
    )
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds (ours, peer)")
    parser.add_argument(
        "--submit-share",
        type=float,
        default=0.05,
        help="share of the candidates who submit (/nop) and are reviewed (bench/review_side.py)",
    )
    parser.add_argument("--reviewers", type=int, default=2, help="reviewers in the đảng ủy's group")
    parser.add_argument(
        "--loop",
        choices=["uvloop", "asyncio"],
        default="uvloop",
        help="our bot's event loop (bot/event_loop.py); the fake side and the peer use asyncio's",
    )
    parser.add_argument("--fake-side", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bot-side", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--think", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--script", default="", help=argparse.SUPPRESS)
    parser.add_argument("--result", default="", help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=60.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake_side:
        args.n = args.n[0]
        asyncio.run(fake_side(args))
    elif args.bot_side:
        args.n = args.n[0]
        from bot import event_loop

        event_loop.run(bot_side(args), "asyncio" if args.peer else args.loop)
    else:
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
