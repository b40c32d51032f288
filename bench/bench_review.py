"""Benchmark: the cost of review actions through the production router (in process).

    python bench/bench_review.py --n 100

N dossiers (sample A) wait at one chi bộ whose group is bound; for each one a reviewer taps
Xem (summary + draft .docx rendered), adds a comment, returns it, the candidate resubmits, the
chi bộ approves (the card goes to the đảng ủy's group) and the đảng ủy approves (the final
.docx is rendered and delivered). Printed: milliseconds per action (mean, p50, p95), measured
around ``Router.handle`` — the whole unit of work including the commit, without a network.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from admission.clock import FixedClock  # noqa: E402
from bot.app import build_flows  # noqa: E402
from handlers.events import Chat, Event, Reply, User  # noqa: E402
from handlers.router import Router  # noqa: E402
from storage.core import Change  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.reviews import Org  # noqa: E402
from tests.samples import load_sample  # noqa: E402

P = "telegram"


async def run(n: int) -> dict[str, list[float]]:
    tmp = Path(tempfile.mkdtemp())
    db = await Database.open(tmp / "bench.sqlite3")
    router = Router(db, FixedClock(datetime.fromisoformat("2026-03-02T02:00:00+00:00")),
                    build_flows())  # fmt: skip
    review = router.flow("review")
    assert review is not None
    cb_group, du_group = Chat(P, "-1", "group"), Chat(P, "-2", "group")
    r1, r3 = User(P, "r1", "Người duyệt 1"), User(P, "r3", "Người duyệt 3")
    sample = load_sample("a")
    changes = [Change(f"answers.{k}", v) for k, v in sample.answers.items()]
    changes += [Change(f"tables.{t}.{i}", r) for t, rows in sample.tables.items()
                for i, r in enumerate(rows)]  # fmt: skip
    changes += [Change(f"relatives.{i}", r) for i, r in enumerate(sample.relatives)]
    async with db.transaction() as tx:
        org = tx.repo(Org)
        du = await org.create_unit("Đảng bộ A", "dang_bo_co_so")
        cb = await org.create_unit("Chi bộ 1", "chi_bo", du.id)
        await org.bind_group(cb.id, P, cb_group.id)
        await org.bind_group(du.id, P, du_group.id)
        for u, unit in ((r1, cb), (r3, du)):
            person = await tx.people.get_or_create(P, u.id, u.name)
            await org.grant(unit.id, person.id, "reviewer", None)
            await org.note_private_chat(P, u.id, u.id)
        dossiers = []
        for i in range(n):
            person = await tx.people.get_or_create(P, f"c{i}", f"Ứng viên {i}", consent=True)
            await org.grant(cb.id, person.id, "candidate", None)
            record = await tx.dossiers.create(person.id, unit_id=cb.id)
            record = await tx.dossiers.apply(record, changes, person.id)
            dossiers.append(record.id)

    timings: dict[str, list[float]] = {}
    message_ids = iter(range(1, 10**9))
    keys = iter(range(1, 10**9))

    async def deliver(replies: list[Reply], chat: Chat) -> None:
        for reply in replies:
            if reply.remember:
                target = reply.chat or chat
                await router.message_sent(reply.remember, P, target.id, str(next(message_ids)))

    async def timed(name: str, user: User, chat: Chat, **kw: str) -> list[Reply]:
        event = Event(user, chat, update_key=str(next(keys)), **kw)  # type: ignore[arg-type]
        start = time.perf_counter()
        replies = await router.handle(event)
        timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)
        await deliver(replies, chat)
        return replies

    async def submit(dossier_id: int) -> None:
        start = time.perf_counter()
        async with db.transaction() as tx:
            record = await tx.dossiers.get(dossier_id)
            assert record is not None
            record = await tx.dossiers.set_status(record, "submitted")
            replies = await review.on_submitted(tx, record)  # type: ignore[attr-defined]
        timings.setdefault("submit (card)", []).append((time.perf_counter() - start) * 1000)
        await deliver(replies, cb_group)

    for dossier_id in dossiers:
        await submit(dossier_id)
        async with db.read() as r:
            rev = (await r.dossiers.get(dossier_id)).revision  # type: ignore[union-attr]
        await timed("Xem (summary + draft .docx)", r1, cb_group, kind="button",
                    action=f"rv:x:{dossier_id}:{rev}")  # fmt: skip
        await timed("/nhanxet", r1, cb_group, kind="command", command="nhanxet",
                    text=f"#{dossier_id} 15 Ghi rõ tháng.")  # fmt: skip
        await timed("Trả lại", r1, cb_group, kind="button", action=f"rv:t:{dossier_id}:{rev}")
        async with db.transaction() as tx:
            record = await tx.dossiers.get(dossier_id)
            assert record is not None
            record = await tx.dossiers.apply(record, [Change("answers.ten_khac", "Bé")], None)
            rev = record.revision
        await submit(dossier_id)
        await timed("Duyệt (forward)", r1, cb_group, kind="button",
                    action=f"rv:a:{dossier_id}:{rev}")  # fmt: skip
        await timed("Duyệt (final .docx)", r3, du_group, kind="button",
                    action=f"rv:a:{dossier_id}:{rev}")  # fmt: skip
    async with db.read() as r:
        counts = dict(
            await r.fetchall("SELECT decision, count(*) FROM review_decisions GROUP BY decision")
        )
        locked = await r.fetchval("SELECT count(*) FROM dossiers WHERE locked = 1")
    await db.close()
    # every action must have done its work, or the figures mean nothing
    assert counts == {"return": n, "approve": 2 * n} and locked == n, (counts, locked)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()
    timings = asyncio.run(run(args.n))
    print(f"{args.n} dossiers, whole review each (ms per action, in process, SQLite WAL file)")
    for name, values in timings.items():
        values = sorted(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"  {name:<30} mean {statistics.mean(values):7.1f}  p50 "
              f"{statistics.median(values):7.1f}  p95 {p95:7.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
