"""The event loop the bot runs on: uvloop where it is installed, asyncio's own otherwise.

Why: at several hundred updates a second the loop's own work — polling the sockets, waking
for the rendering pool's results, scheduling callbacks, the transports of every HTTP call —
is a measurable share of an update's CPU on the one core the bot uses (see
docs/benchmarks.md, "uvloop"). uvloop (MagicStack, the loop under many asyncio servers) does
that work in C behind the same API, so nothing else changes. ``KND_EVENT_LOOP=asyncio`` is the
way back if a platform ever misbehaves with it (Windows has no uvloop: asyncio there).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")

EventLoopKind = Literal["uvloop", "asyncio"]


def loop_factory(kind: EventLoopKind = "uvloop") -> Callable[[], asyncio.AbstractEventLoop]:
    """A new loop of the kind asked for; asyncio's when uvloop cannot be imported."""
    if kind == "uvloop":
        try:
            import uvloop
        except ImportError:  # not installed (Windows): the standard loop does the same work
            return asyncio.new_event_loop
        return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(coro: Coroutine[Any, Any, T], kind: EventLoopKind = "uvloop") -> T:
    """``asyncio.run`` on the bot's loop: the coroutine to its end, then the loop closed."""
    with asyncio.Runner(loop_factory=loop_factory(kind)) as runner:
        return runner.run(coro)
