"""Where a document job waits, stage by stage: timestamps a bench can print (issue 17).

A draft asked for under load is felt seconds later although its rendering is a few
milliseconds of CPU; to see which stage holds it, the router and the sender note, for each
document job, the moment it passes a stage (``mark(chat, "committed")``). Off by default:
:func:`mark` is then one global read. ``bench/bench_chat.py`` turns it on in the bot's
process (:func:`record`) and joins the notes with its own clock by chat: the times are
``time.monotonic()``, the system's monotonic clock, the same in every process.
"""

from __future__ import annotations

import time

#: chat id -> [(stage, monotonic seconds)], or None: not recording
_notes: dict[str, list[tuple[str, float]]] | None = None


def record() -> None:
    """Start noting stages (a bench, in the bot's process)."""
    global _notes
    _notes = {}


def recording() -> bool:
    return _notes is not None


def mark(chat: str, stage: str) -> None:
    """``chat``'s document job passed ``stage`` now (nothing unless recording)."""
    if _notes is not None:
        _notes.setdefault(chat, []).append((stage, time.monotonic()))


def taken() -> dict[str, list[tuple[str, float]]]:
    """Every note so far, by chat (empty when not recording)."""
    return dict(_notes or {})
