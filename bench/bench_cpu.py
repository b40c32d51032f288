"""CPU (and instructions) per update of the engine: recorded conversations replayed through
``Router.handle`` on one SQLite file, nothing else in the process doing work.

    python bench/bench_cpu.py --n 20                # CPU ms per update, distinct people
    python bench/bench_cpu.py --n 20 --same-text    # the old way: everyone types sample A
    python bench/bench_cpu.py --n 20 --shared-free-text  # own names and dates, sample A's words
    python bench/bench_cpu.py --callgrind --n 10    # instructions per update (valgrind)
    python bench/bench_cpu.py --n 20 --cold         # forms' text caches emptied before each update
    python bench/bench_cpu.py --n 20 --per-step     # CPU ms of each step, and by kind of step

bench_engine.py's players read the dossier back after every move, which costs as much as the
engine itself; here each candidate replays a script recorded beforehand (bench_chat's
``record_script``, personalised per candidate by bench/people.py), so the process CPU
measured around the replay is the router's: the flows, the checks, the storage and the
commits. Candidates are replayed concurrently (``--concurrency``), as the bot serves them.

``--callgrind`` runs the replay twice under ``valgrind --tool=callgrind`` (N and 0
candidates) and prints (instructions(N) − instructions(0)) / updates: a figure that does
not depend on what else the machine is doing (the 2 cores are shared), so old and new code
can be compared from runs made at different times.

``--cold`` empties the bounded caches of ``forms`` keyed on typed text (bench_forms.py's
``text_caches``: parsed dates, names, addresses, readings, rendered messages) before every
update, so no answer profits from an earlier one; the time spent emptying them is not
counted. The classifier's phrase book (``_book``, ``_phrase``: built from the phrase lists,
per-process constants that happen to take an argument) stays.

``--cache-stats`` prints, after the replay, the hits and misses of every cache keyed on typed
text (``forms.memo.remembered``: ``honesty._read``, ``classify._classify``…) during it, the
ones that missed most first: whether the people's own text still fits them.

``--per-step`` replays one candidate at a time and prints the CPU of each step of the script
(the mean over the candidates) and of its kinds of steps: the address answers, the answers of
item (21) (the relatives' table), the other typed answers and the taps. The slow steps of
one conversation show there, which a figure per update averages away.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


#: The engine before issue 17's cuts (main at fa66f7e, 2026-12-06), printed beside each run.
#: Instructions do not depend on the load; the CPU time was measured at N=10 interleaved with
#: the new code on the shared 2-core machine, so compare it only with runs made alike.
BEFORE_INSTRUCTIONS_M = 9.35
BEFORE_CPU_MS = 2.17


#: Caches among ``text_caches`` that hold per-process constants (see the module docstring).
CONSTANTS = frozenset({"_book", "_phrase"})
#: CPU seconds spent emptying caches in a ``--cold`` run (taken off the figure).
EMPTYING = [0.0]


def empty_caches(caches: list[Any]) -> None:
    started = time.process_time()
    for cache in caches:
        cache.cache_clear()
    EMPTYING[0] += time.process_time() - started


async def replay(
    router: Any,
    steps: list[Any],
    user_id: str,
    caches: Sequence[Any] = (),
    per_step: list[float] | None = None,
) -> int:
    """Play ``steps`` as the Telegram user ``user_id``; return the steps whose number of
    replies differed from the recording (0 when the person's script fits the bot).
    ``caches``: emptied before every update (``--cold``); ``per_step``: each step's CPU
    seconds added to it (``--per-step``)."""
    from bot.telegram import split_text
    from handlers.events import Chat, Event, User

    user, chat = User("telegram", user_id, "Ứng viên"), Chat("telegram", user_id)
    buttons: list[Any] = []
    mismatches = 0
    for number, step in enumerate(steps):
        key = f"{user_id}:{number}"
        if step.kind == "text" and step.value.startswith("/"):
            event = Event(user, chat, "command", command=step.value[1:], update_key=key)
        elif step.kind == "text":
            event = Event(user, chat, "text", text=step.value, update_key=key)
        else:
            action = next(
                (
                    b.action
                    for row in buttons
                    for b in row
                    if b.action.partition("~")[0] == step.value
                ),
                step.value,
            )
            event = Event(user, chat, "button", action=action, update_key=key)
        if caches:
            empty_caches(caches)
        started = time.process_time()
        replies = await router.handle(event)
        if per_step is not None:
            per_step[number] += time.process_time() - started
        outputs = 0
        for reply in replies:
            outputs += len(split_text(reply.text)) if reply.text else 0
            outputs += (reply.document is not None) + (reply.photo is not None)
            if reply.buttons:
                buttons = reply.buttons
        mismatches += outputs != step.outputs
    return mismatches


def scripts(
    template: list[Any], n: int, same_text: bool, seed: int, free_text: bool = True
) -> list[list[Any]]:
    """Each candidate's script: their own person (bench/people.py; ``free_text=False``:
    with sample A's free text), or sample A's for everyone (``same_text``)."""
    from people import person, personalise

    from tests.samples import load_sample

    if same_text:
        return [template] * n
    birth = load_sample("a").answers["ngay_sinh"]
    return [personalise(template, person(seed, i), birth, free_text=free_text) for i in range(n)]


async def run(args: argparse.Namespace) -> dict[str, float]:
    from bench_chat import record_script
    from bench_forms import text_caches

    from bot.app import build_flows, warm_up
    from handlers.router import Router
    from storage.db import Database

    template = await record_script("a")
    plays = scripts(template, args.n, args.same_text, args.seed, not args.shared_free_text)
    warm_up()
    with tempfile.TemporaryDirectory(prefix="knd-cpu-") as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        router = Router(db, flows=build_flows())
        gc.collect()
        gc.freeze()
        queue = list(enumerate(plays))
        mismatches = 0
        caches = [c for c in text_caches() if c.__qualname__ not in CONSTANTS] if args.cold else []
        per_step = [0.0] * len(template) if args.per_step else None
        concurrency = 1 if args.per_step else max(1, args.concurrency)

        async def worker() -> None:
            nonlocal mismatches
            while queue:
                index, steps = queue.pop()
                mismatches += await replay(router, steps, str(1000 + index), caches, per_step)

        before = cache_counts()
        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        cpu, wall = time.process_time() - cpu - EMPTYING[0], time.perf_counter() - wall
        await db.close()
    if args.cache_stats:
        print_cache_stats(before, cache_counts())
    updates = sum(len(p) for p in plays)
    if per_step is not None:
        print_per_step(template, [t / len(plays) for t in per_step])
    return {
        "updates": updates,
        "cpu_ms": cpu / updates * 1000 if updates else 0.0,
        "wall_s": wall,
        "mismatches": mismatches,
        "errors": router.stats.errors,
    }


def cache_counts() -> dict[str, tuple[int, int, int, int]]:
    """(hits, misses, entries, size) of every cache keyed on typed text, by name."""
    from forms.memo import typed_text_caches

    counts = {}
    for cache in typed_text_caches():
        info = cache.cache_info()
        name = f"{cache.__module__}.{cache.__qualname__}"
        counts[name] = (info.hits, info.misses, info.currsize, info.maxsize or 0)
    return counts


def print_cache_stats(
    before: dict[str, tuple[int, int, int, int]], after: dict[str, tuple[int, int, int, int]]
) -> None:
    """The hits and misses of each cache during the replay, the most missed first."""
    rows = []
    for name, (hits, misses, entries, size) in after.items():
        hits0, misses0 = before.get(name, (0, 0, 0, 0))[:2]
        rows.append((misses - misses0, hits - hits0, entries, size, name))
    print("cache                                          hits    misses  miss %  entries/size")
    for misses, hits, entries, size, name in sorted(rows, reverse=True):
        if hits or misses:
            share = misses / (hits + misses) * 100
            print(f"{name:44s} {hits:8d} {misses:8d} {share:6.1f}  {entries}/{size}")


#: The field kinds of the address answers (bench_chat's ``Step.field_kind``).
ADDRESS_KINDS = frozenset({"address_origin", "address_residence"})


def step_groups(template: list[Any]) -> list[str]:
    """Each step's kind for ``--per-step``: "address", "item (21)" (a typed answer from the
    first to the last answer of a fact only a relative has: the relatives' table), "typed"
    or "tap"."""
    from forms.definition import load_form

    form = load_form()
    scalar = {f.id for _, f in form.scalar_fields()}
    only_relatives = {f.id for f in form.relatives().fields} - scalar
    theirs = [n for n, step in enumerate(template) if step.field_id in only_relatives]
    first, last = (theirs[0], theirs[-1]) if theirs else (-1, -1)
    groups = []
    for n, step in enumerate(template):
        if step.kind != "text" or step.value.startswith("/"):
            groups.append("tap" if step.kind != "text" else "typed")
        elif step.field_kind in ADDRESS_KINDS:
            groups.append("address")
        else:
            groups.append("item (21)" if first <= n <= last else "typed")
    return groups


def print_per_step(template: list[Any], seconds: list[float]) -> None:
    """The CPU of each step (mean over the candidates), then of each kind of step."""
    groups = step_groups(template)
    print("step  kind       field                  CPU ms  typed or tapped")
    for n, (step, group, spent) in enumerate(zip(template, groups, seconds, strict=True)):
        field = step.field_id or "-"
        print(f"{n:4d}  {group:9s}  {field:20s} {spent * 1000:8.3f}  {step.value[:32]!r}")
    for group in ("typed", "address", "item (21)", "tap"):
        spent = [s for s, g in zip(seconds, groups, strict=True) if g == group]
        if spent:
            mean = sum(spent) / len(spent) * 1000
            print(f"{group}: {len(spent)} steps, {mean:.3f} ms per step", flush=True)


def instructions(n: int, args: argparse.Namespace) -> int:
    """Instructions executed by this script replaying ``n`` candidates, under callgrind."""
    from callgrind import instructions as counted

    options = ["--n", str(n), "--seed", str(args.seed)]
    options += ["--same-text"] if args.same_text else []
    options += ["--shared-free-text"] if args.shared_free_text else []
    return counted(__file__, *options, *(["--cold"] if args.cold else []))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="candidates (each sample A, 191 updates)")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--same-text", action="store_true", help="everyone types sample A")
    parser.add_argument(
        "--shared-free-text",
        action="store_true",
        help="own names, dates and typos, sample A's free text (the people of sessions 7–10)",
    )
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--cold", action="store_true", help="text caches emptied per update")
    parser.add_argument(
        "--cache-stats", action="store_true", help="hits and misses of the typed-text caches"
    )
    parser.add_argument(
        "--per-step", action="store_true", help="CPU of each step (one candidate at a time)"
    )
    args = parser.parse_args()
    people = "identical text" if args.same_text else f"distinct people (seed {args.seed})"
    people += ", sample A's free text" if args.shared_free_text and not args.same_text else ""
    people += ", cold caches" if args.cold else ""
    if args.callgrind:
        base = instructions(0, args)
        full = instructions(args.n, args)
        updates = asyncio.run(_count_updates(args))
        per_update = (full - base) / updates / 1e6
        print(
            f"callgrind N={args.n} {people}: {per_update:.2f} M instructions per update"
            f" ({updates} updates); before issue 17's cuts {BEFORE_INSTRUCTIONS_M:.2f} M"
            f" ({per_update / BEFORE_INSTRUCTIONS_M:.2f}×)",
            flush=True,
        )
        return
    result = asyncio.run(run(args))
    print(
        f"engine replay N={args.n} {people}: {result['updates']} updates, "
        f"CPU {result['cpu_ms']:.3f} ms per update (before issue 17's cuts {BEFORE_CPU_MS} ms"
        f" at N=10 on the shared machine), {result['wall_s']:.1f} s wall, "
        f"replies differing from the recording: {result['mismatches']}, "
        f"errors {result['errors']}",
        flush=True,
    )


async def _count_updates(args: argparse.Namespace) -> int:
    from bench_chat import record_script

    return len(await record_script("a")) * args.n


if __name__ == "__main__":
    main()
