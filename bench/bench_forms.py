"""Time the rule engine and the Word rendering on sample B (a full, married, two-children dossier).

Run ``python bench/bench_forms.py [RUNS]`` from the repository root; prints median and p90
in milliseconds, and the cold render (the first of the process: form data, text catalogue and
base document loaded). The target is under 50 ms per dossier, warm (issue 15).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forms.addresses import analyse_address  # noqa: E402
from forms.checks import run_checks  # noqa: E402
from forms.document import render_dossier  # noqa: E402
from forms.dossier import Dossier  # noqa: E402

#: Typical addresses: unaccented old names, a long street address, a current ward.
ADDRESSES = (
    "xa an lac huyen thanh binh tinh thai binh",
    "xã Vĩnh Thủy, huyện Vĩnh Linh, tỉnh Quảng Trị",
    "Số 18, ngõ 42 phố Hoa Sữa, tổ dân phố 5, phường Lạc Hồng, thành phố Hà Nội",
    "phường Phúc Xá, quận Ba Đình, thành phố Hà Nội",
)


def analyse(text: str) -> object:
    return analyse_address(text, kind="origin")


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
    start = time.perf_counter()
    size = len(render_dossier(dossier, draft=True, flags=[]))
    cold = (time.perf_counter() - start) * 1000
    print(f"{'render_dossier (draft, cold)':<28} {cold:7.2f} ms   (first of the process)")
    print(
        f"sample B: {len(dossier.answers)} answers, "
        f"{sum(len(r) for r in dossier.tables.values())} table rows, "
        f"{len(dossier.relatives)} relatives; draft .docx {size / 1024:.0f} KiB"
    )
    flags = list(run_checks(dossier, today=today))
    report("run_checks", timed(lambda: run_checks(dossier, today=today), runs))
    report("analyse_address (4 texts)", timed(lambda: [analyse(t) for t in ADDRESSES], runs))
    report(
        "render_dossier (draft)",
        timed(lambda: render_dossier(dossier, draft=True, flags=flags), runs),
    )
    report("render_dossier (final)", timed(lambda: render_dossier(dossier, draft=False), runs))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
