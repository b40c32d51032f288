"""What the logs say of a failure: its type and place, never its content (issue 11).

A failure a person's event caused may carry what they typed in its message (``ValueError:
invalid literal … 'NGUYỄN VĂN AN'``), and a logged traceback prints that message; the
router, the sender and the Telegram adapter log :func:`failure_place` instead.
"""

from __future__ import annotations

import traceback
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
#: Our packages (and the tests, in a checkout): frames elsewhere are libraries'.
_OURS = tuple(
    _ROOT / name for name in ("admission", "bot", "forms", "handlers", "storage", "tests")
)


def failure_place(exc: BaseException, depth: int = 4) -> str:
    """What to log of a failure a person's event caused: its type and where it was raised
    (the innermost ``depth`` frames of our code, innermost first), never its message — it may
    quote what the person typed — nor any variable. ``ValueError at handlers/a.py:12 (f) <
    handlers/b.py:40 (g)``."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if _ours(f.filename)] or frames[-1:]
    places = [f"{_short(f.filename)}:{f.lineno} ({f.name})" for f in reversed(ours[-depth:])]
    return f"{type(exc).__name__} at {' < '.join(places)}" if places else type(exc).__name__


def _ours(filename: str) -> bool:
    path = Path(filename).resolve()
    return any(path.is_relative_to(package) for package in _OURS)


def _short(filename: str) -> str:
    path = Path(filename).resolve()
    return str(path.relative_to(_ROOT)) if path.is_relative_to(_ROOT) else path.name
