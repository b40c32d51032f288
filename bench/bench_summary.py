"""Benchmark: the secretaries' summary over 100 000 dossiers in 200 units.

    python bench/bench_summary.py [--dossiers 100000] [--units 200] [--runs 30]

What is generated
-----------------
A temporary SQLite file (WAL, the real migrations) with a unit tree of one root, 9 đảng bộ
cơ sở and 190 chi bộ; ``--dossiers`` dossiers spread over the chi bộ and over every stage
(drafts, under review, returned, approved, verification, votes, decision, probation,
official) with dates in 2024–2026; 1–3 verifications per dossier past the handwritten copy;
review returns; a warm flag cache (2–4 rules per submitted dossier); yearly and term targets.
Rows are inserted with ``executemany``: dossiers through the real table (then
``Progress.refresh`` fills ``dossier_progress``, as ``Dossiers`` does in production), stage
columns and verifications in the shape ``StageRecords.write_progress`` gives them. (Data
generation is the only place outside storage/ that writes SQL; it is a benchmark fixture,
not product code.)

What is measured
----------------
* **summary**: ``handlers.summary.load_summary`` (every aggregate query: per-stage and
  per-sub-unit counts, admissions vs targets, each overdue clock with its first items,
  quality, top flags, stage-duration histograms → medians) + ``render_summary`` (the text),
  through the read connection, for the root (all dossiers), one đảng bộ cơ sở and one chi bộ.
  Median, p90 and max of ``--runs`` runs after one warm-up. **The chart is not included**;
* **chart**: ``summary_chart`` (matplotlib, PNG) timed separately;
* **export**: the /xuat spreadsheet of one đảng bộ cơ sở (one row per dossier).
Target: the root summary under 300 ms median.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from admission.workdays import add_months, day_number
from handlers.charts import summary_chart
from handlers.secretary import SecretaryFlow
from handlers.summary import load_summary, render_summary
from storage.db import Database, Tx

TODAY = date(2026, 9, 23)
RULES = ("F0", "F5", "X5", "X11", "X12", "F13", "P1", "X9", "F17", "X13")
PERSONS = ("ban_than", "cha", "me", "vo_chong", "cha_vc", "me_vc")
SURNAMES = ("NGUYỄN", "TRẦN", "LÊ", "PHẠM", "HOÀNG", "VŨ", "ĐẶNG", "BÙI", "ĐỖ", "HỒ")
MIDDLE = ("VĂN", "THỊ", "ĐỨC", "MINH", "THU", "HỮU", "NGỌC")
GIVEN = ("AN", "BÌNH", "CHI", "DŨNG", "GIANG", "HÀ", "KHOA", "LAN", "MAI", "NAM", "TÚ")


def iso(d: date, hour: int = 3) -> str:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC).isoformat(timespec="milliseconds")


async def generate(db: Database, n_dossiers: int, n_units: int, seed: int = 5) -> list[int]:
    """Fill the database; returns [root, a đảng bộ cơ sở, a chi bộ] unit ids."""
    rng = random.Random(seed)
    now = iso(TODAY)
    conn = db._require_writer()  # bulk load on the raw connection
    await conn.execute("BEGIN IMMEDIATE")
    units: list[tuple] = [(1, None, "Đảng bộ Khối Doanh nghiệp", "cap_tren", None, "", now)]
    n_mid = 9
    for i in range(n_mid):
        units.append(
            (2 + i, 1, f"Đảng bộ cơ sở số {i + 1}", "dang_bo_co_so", 2, "Đảng ủy cơ sở", now)
        )
    chi_bo = list(range(2 + n_mid, n_units + 1))
    for uid in chi_bo:
        parent = 2 + (uid % n_mid)
        units.append((uid, parent, f"Chi bộ {uid}", "chi_bo", 1, "Chi bộ", now))
    await conn.executemany(
        "INSERT INTO units (id, parent_id, name, kind, review_level, level_name, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        units,
    )
    await conn.executemany(
        "INSERT INTO people (id, platform, platform_user_id, display_name, consent_at,"
        " created_at) VALUES (?, 'tg', ?, '', ?, ?)",
        [(i, str(i), now, now) for i in range(1, n_dossiers + 1)],
    )
    dossiers, progress, verifications, returns, flags = [], [], [], [], []
    # phase weights: most dossiers are finished (official) or early
    phases = ["draft", "submitted", "returned", "approved", "handwritten", "verifying",
              "chi_bo", "dang_uy", "decided", "probation", "official"]  # fmt: skip
    weights = [10, 4, 2, 3, 3, 6, 2, 2, 2, 16, 50]
    for i in range(1, n_dossiers + 1):
        phase = rng.choices(phases, weights)[0]
        unit = rng.choice(chi_bo)
        opened = TODAY - timedelta(days=rng.randint(20, 1000))
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        cert = opened - timedelta(days=rng.randint(0, 2100))
        content = json.dumps(
            {"form_version": "HD38-2025", "meta": {"dossier_opened": None, "chi_bo_meeting": None},
             "answers": {"ho_ten": name, "ngay_chung_nhan_ntvd": cert.strftime("%d/%m/%Y"),
                         "ngay_sinh": "15/08/1997", "gioi_tinh": "nam"},
             "tables": {}, "relatives": [], "explanations": {}},
            ensure_ascii=False,
        )  # fmt: skip
        status = {"draft": "draft", "submitted": "submitted", "returned": "returned"}.get(
            phase, "approved"
        )
        t = opened
        submitted = approved = None
        if status != "draft":
            t = submitted = t + timedelta(days=rng.randint(5, 60))
            if status == "approved":
                t = approved = t + timedelta(days=rng.randint(3, 30))
        updated = t if status != "draft" else TODAY - timedelta(days=rng.randint(0, 40))
        dossiers.append((
            i, i, unit, content, 3, status, 1 if status == "submitted" else None, iso(opened),
            iso(submitted) if submitted else None, iso(approved) if approved else None,
            iso(min(updated, TODAY)),
        ))  # fmt: skip
        if status != "draft":
            for r in range(rng.choice((0, 0, 0, 0, 0, 0, 0, 0, 1, 2))):
                returns.append((i, r, unit, 1, "return", i, now))
            for rule in rng.sample(RULES, rng.randint(2, 4)):
                flags.append((rule, unit, i, "warning"))
        if approved is None:
            continue
        cols: dict[str, date | None] = {}
        order = phases.index(phase)
        t = approved
        if order >= phases.index("handwritten"):
            t = cols["hw"] = t + timedelta(days=rng.randint(2, 20))
        vs = []
        if order >= phases.index("verifying"):
            for person in rng.sample(PERSONS, rng.randint(1, 3)):
                sent = t + timedelta(days=rng.randint(1, 5))
                back = None
                if order > phases.index("verifying") or rng.random() < 0.5:
                    back = sent + timedelta(days=rng.randint(10, 60))
                vs.append((person, int(rng.random() < 0.05), sent, back))
            t = max([t] + [v[3] or v[2] for v in vs])
        if order >= phases.index("chi_bo"):
            t = cols["cb"] = t + timedelta(days=rng.randint(5, 40))
        if order >= phases.index("dang_uy"):
            t = cols["du"] = t + timedelta(days=rng.randint(5, 25))
        if order >= phases.index("decided"):
            t = cols["qd"] = t + timedelta(days=rng.randint(5, 45))
        if order >= phases.index("probation"):
            t = cols["kn"] = t + timedelta(days=rng.randint(3, 30))
        if order >= phases.index("official"):
            cols["ct"] = add_months(t, 12) + timedelta(days=rng.randint(0, 40))
        if any(v and v > TODAY for v in cols.values()):
            continue  # would be in the future: leave as approved
        for v in vs:
            verifications.append((i, v[0], v[1], day_number(v[2]),
                                  day_number(v[3]) if v[3] else None, unit))  # fmt: skip
        pending = sum(1 for v in vs if v[3] is None)
        done = max((v[3] for v in vs), default=None) if vs and not pending else None

        def dn(key: str, c: dict = cols) -> int | None:
            return day_number(c[key]) if c.get(key) else None

        progress.append((
            dn("hw"), len(vs), pending, day_number(done) if done else None, dn("cb"), dn("du"),
            dn("qd"), dn("kn"), dn("ct"), i,
        ))  # fmt: skip
    await conn.executemany(
        "INSERT INTO dossiers (id, person_id, unit_id, form_version, content, revision, status,"
        " review_level, opened_at, submitted_at, approved_at, updated_at, content_revision)"
        " VALUES (?, ?, ?, 'HD38-2025', ?, ?, ?, ?, ?, ?, ?, ?, 3)",
        dossiers,
    )
    await conn.executemany(
        "INSERT INTO review_decisions (dossier_id, revision, unit_id, level, decision,"
        " person_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        returns,
    )
    tx = Tx(db, conn, now)  # the bulk load's transaction, for the progress writer
    for i in range(1, n_dossiers + 1):
        await tx.progress.refresh(i)
    await conn.executemany(
        "UPDATE dossier_progress SET handwritten_d = ?, verif_sent = ?, verif_pending = ?,"
        " verif_done_d = ?, chi_bo_d = ?, dang_uy_d = ?, decision_d = ?, ceremony_d = ?,"
        " official_d = ? WHERE dossier_id = ?",
        progress,
    )
    await conn.executemany(
        "INSERT INTO verifications (dossier_id, person, abroad, sent_d, returned_d, unit_id)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        verifications,
    )
    await conn.executemany(
        "INSERT INTO dossier_flags (rule, unit_id, dossier_id, severity) VALUES (?, ?, ?, ?)",
        flags,
    )
    await conn.execute(
        "UPDATE dossier_progress SET flags_revision = revision WHERE status <> 'draft'"
    )
    await conn.execute(
        "INSERT INTO targets (unit_id, year, target, deadline, set_at) VALUES"
        " (1, 2026, 15000, '2026-10-31', ?), (2, 2026, 1700, '2026-10-31', ?)",
        (now, now),
    )
    await conn.execute(
        "INSERT INTO term_targets (unit_id, start_year, end_year, target, set_at)"
        " VALUES (1, 2025, 2030, 75000, ?)",
        (now,),
    )
    await conn.execute("COMMIT")
    await conn.execute("ANALYZE")
    return [1, 2, chi_bo[0]]


async def time_summary(db: Database, unit_id: int, runs: int) -> tuple[list[float], str, object]:
    times = []
    text = ""
    summary = None
    for i in range(runs + 1):
        start = time.perf_counter()
        async with db.read() as r:
            summary = await load_summary(r, unit_id, TODAY)
        assert summary is not None
        text = render_summary(summary)
        elapsed = time.perf_counter() - start
        if i:  # the first run warms the page cache and the statement cache
            times.append(elapsed)
    return times, text, summary


def fmt(times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return (
        f"median {statistics.median(times) * 1000:7.1f} ms   p90 {p90 * 1000:7.1f} ms"
        f"   max {max(times) * 1000:7.1f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--show", action="store_true", help="print the root summary text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        start = time.perf_counter()
        root, mid, leaf = await generate(db, args.dossiers, args.units)
        gen = time.perf_counter() - start
        size = (Path(tmp) / "bench.sqlite3").stat().st_size / 1e6
        async with db.read() as r:
            counts = await r.fetchone(
                "SELECT (SELECT count(*) FROM dossier_progress),"
                " (SELECT count(*) FROM verifications), (SELECT count(*) FROM units)"
            )
        print(
            f"generated {counts[0]:,} dossiers, {counts[1]:,} verifications, {counts[2]} units"
            f" in {gen:.1f} s (database {size:.0f} MB)"
        )
        print(f"summary (queries + text, chart not included), {args.runs} runs each:")
        results = {}
        for label, unit_id in (("root (all)", root), ("đảng bộ cơ sở", mid), ("chi bộ", leaf)):
            times, text, summary = await time_summary(db, unit_id, args.runs)
            results[label] = (times, text, summary)
            print(f"  {label:15} {summary.total:>7,} dossiers  {fmt(times)}")  # type: ignore[attr-defined]
        root_times, root_text, root_summary = results["root (all)"]
        chart_times = []
        for _ in range(5):
            start = time.perf_counter()
            png = summary_chart(root_summary)  # type: ignore[arg-type]
            chart_times.append(time.perf_counter() - start)
        print(f"chart (PNG {len(png) / 1000:.0f} kB, separate)        {fmt(chart_times)}")
        start = time.perf_counter()
        async with db.transaction() as tx:
            document = await SecretaryFlow(chart=False).export.workbook(tx, mid, TODAY)
        export = time.perf_counter() - start
        print(
            f"export /xuat of the đảng bộ cơ sở: {len(document.data) / 1000:.0f} kB"
            f" in {export * 1000:.0f} ms"
        )
        median = statistics.median(root_times) * 1000
        verdict = "OK" if median < 300 else "OVER TARGET"
        print(f"target: root summary < 300 ms median → {median:.1f} ms {verdict}")
        print(f"root summary text: {len(root_text)} characters")
        if args.show:
            print("\n" + root_text)
        await db.close()


if __name__ == "__main__":
    asyncio.run(main())
