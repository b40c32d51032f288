"""Time the rule engine and the Word rendering on sample B (a full, married, two-children dossier).

Run ``python bench/bench_forms.py [RUNS]`` from the repository root; prints median and p90
in milliseconds, and the first render of the process (form data, text catalogue and base
document loaded). The target is under 50 ms per dossier, warm (issue 15).

``python bench/bench_forms.py --callgrind [RUNS]`` counts the instructions of one draft of
sample B under valgrind instead (load-independent, for comparing two commits on a busy
machine, issue 17): warm (RUNS more drafts in one process), cold text caches (the same with
the caches below emptied before each), and the first draft of a process (the form, the base
document and the prepared elements made then).

Each figure is printed twice: **warm** (the same dossier again and again, so every cache
keyed on typed text hits — what a repeated run of one dossier costs) and **cold** (those
caches emptied before every run: what a new person's dossier costs). The caches emptied are
the bounded ``lru_cache``s of ``forms`` that take an argument (parsed dates, names,
addresses…); the others hold per-process constants (the form, the templates, the gazetteer,
compiled patterns) and stay.
"""

from __future__ import annotations

import inspect
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def text_caches() -> list[Any]:
    """The bounded caches of ``forms`` (keyed on typed text; see the module docstring)."""
    found = []
    for name, module in list(sys.modules.items()):
        if name != "forms" and not name.startswith("forms."):
            continue
        for value in vars(module).values():
            parameters = getattr(value, "cache_parameters", None)
            bounded = parameters is not None and parameters()["maxsize"] is not None
            if bounded and inspect.signature(value).parameters:  # not a loaded constant
                found.append(value)
    return found


def timed(fn: Callable[[], object], runs: int, *, cold: bool = False) -> list[float]:
    fn()  # warm caches (form definition, text catalogue, base document)
    caches = text_caches() if cold else []
    samples = []
    for _ in range(runs):
        for cache in caches:
            cache.cache_clear()
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    print(
        f"{name:<34} median {statistics.median(ordered):7.2f} ms   p90 {p90:7.2f} ms   "
        f"(n={len(ordered)})"
    )


def renders(count: int, *, cold: bool) -> None:
    """Render ``count`` drafts of sample B after the imports and checks (what callgrind counts)."""
    dossier = Dossier.from_json((ROOT / "examples" / "sample_b.json").read_text(encoding="utf-8"))
    flags = list(run_checks(dossier, today=dossier.meta.chi_bo_meeting))
    caches = text_caches() if cold else []
    for _ in range(count):
        for cache in caches:
            cache.cache_clear()
        render_dossier(dossier, draft=True, flags=flags)


def instructions(count: int, *, cold: bool = False) -> int:
    """Instructions this script executes rendering ``count`` drafts, under callgrind."""
    from callgrind import instructions as counted

    return counted(__file__, "--renders", str(count), *(["--cold"] if cold else []))


def callgrind(runs: int) -> None:
    none, one = instructions(0), instructions(1)
    warm = (instructions(1 + runs) - one) / runs
    cold = (instructions(1 + runs, cold=True) - instructions(1, cold=True)) / runs
    print(f"render_dossier (draft, sample B), callgrind, {runs} runs:")
    print(f"  warm                 {warm / 1e6:8.2f} M instructions per draft")
    print(f"  cold text caches     {cold / 1e6:8.2f} M instructions per draft")
    print(f"  first of the process {(one - none) / 1e6:8.2f} M instructions")


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
    print(f"cold: {len(text_caches())} text caches of forms emptied before every run")
    cases: list[tuple[str, Callable[[], object]]] = [
        ("run_checks", lambda: run_checks(dossier, today=today)),
        ("analyse_address (4 texts)", lambda: [analyse(t) for t in ADDRESSES]),
        ("render_dossier (draft)", lambda: render_dossier(dossier, draft=True, flags=flags)),
        ("render_dossier (final)", lambda: render_dossier(dossier, draft=False)),
    ]
    for name, fn in cases:
        report(f"{name}, warm", timed(fn, runs))
        report(f"{name}, cold", timed(fn, runs, cold=True))


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    if "--renders" in sys.argv:
        renders(numbers[0], cold="--cold" in sys.argv)
    elif "--callgrind" in sys.argv:
        callgrind(numbers[0] if numbers else 10)
    else:
        main(numbers[0] if numbers else 200)
