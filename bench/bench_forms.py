"""Time the rule engine and the Word rendering on sample B (a full, married, two-children dossier).

Run ``python bench/bench_forms.py [RUNS]`` from the repository root; prints median and p90
in milliseconds. The target is a render well under 100 ms median on the project machine.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forms.document import render_dossier  # noqa: E402
from forms.dossier import Dossier  # noqa: E402


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm caches (form definition, text catalogue, base document)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    print(
        f"{name:<28} median {statistics.median(ordered):7.2f} ms   p90 {p90:7.2f} ms   "
        f"(n={len(ordered)})"
    )


def main(runs: int = 200) -> None:
    dossier = Dossier.from_json((ROOT / "examples" / "sample_b.json").read_text(encoding="utf-8"))
    today = dossier.meta.chi_bo_meeting
    size = len(render_dossier(dossier, draft=True, flags=[]))
    print(
        f"sample B: {len(dossier.answers)} answers, "
        f"{sum(len(r) for r in dossier.tables.values())} table rows, "
        f"{len(dossier.relatives)} relatives; draft .docx {size / 1024:.0f} KiB"
    )
    try:
        from forms.checks import run_checks
    except ImportError:
        run_checks = None
        print("run_checks: forms.checks not available, skipped")
    flags: list = []
    if run_checks is not None:
        flags = list(run_checks(dossier, today=today))
        report("run_checks", timed(lambda: run_checks(dossier, today=today), runs))
    report(
        "render_dossier (draft)",
        timed(lambda: render_dossier(dossier, draft=True, flags=flags), runs),
    )
    report("render_dossier (final)", timed(lambda: render_dossier(dossier, draft=False), runs))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
