"""Load the three sample dossiers of the domain notes (§4) for any test.

A and B are clean dossiers (no errors under any rule); C carries exactly five deliberate
mistakes (name not in capitals, religion blank, impossible Youth Union date, a 15-month
hole in the history, a deceased grandfather without year/cause/place of death).
Each call returns a fresh copy, so a test may mutate it freely.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from forms.dossier import Dossier

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PATHS: dict[str, Path] = {
    "a": ROOT / "examples" / "sample_a.json",
    "b": ROOT / "examples" / "sample_b.json",
    "c": ROOT / "tests" / "data" / "sample_c.json",
}


@cache
def _text(name: str) -> str:
    try:
        path = SAMPLE_PATHS[name.lower()]
    except KeyError:
        raise KeyError(f"no sample {name!r}; choose one of {sorted(SAMPLE_PATHS)}") from None
    return path.read_text(encoding="utf-8")


def load_sample(name: str) -> Dossier:
    """A fresh :class:`Dossier` for sample ``"a"``, ``"b"`` or ``"c"``."""
    return Dossier.model_validate_json(_text(name))
