"""A virtual clock for code that waits through ``clock.sleep`` (bot/pacing.py's Clock).

Minutes of paced traffic run in milliseconds: :meth:`VirtualClock.run` lets every task run
until all of them wait on the clock, then jumps to the earliest wake-up. Only for tests whose
other waits resolve without real time (fake transports, the in-place database writer).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools


class VirtualClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.t + max(0.0, seconds), next(self._seq), future))
        await future

    async def settle(self, turns: int = 1000) -> None:
        """Let every runnable task run until it waits (on the clock or on nothing)."""
        loop = asyncio.get_running_loop()
        quiet = 0
        for _ in range(turns):
            await asyncio.sleep(0)
            # nothing else scheduled (the loop's private ready queue): all tasks are waiting
            quiet = quiet + 1 if not loop._ready else 0  # type: ignore[attr-defined]
            if quiet >= 3:
                return

    async def run(self, until: float | None = None, done: object = None) -> None:
        """Advance time wake-up by wake-up until nobody sleeps (or ``until`` is reached, or
        the awaitable ``done`` has finished)."""
        while True:
            await self.settle()
            if isinstance(done, asyncio.Future) and done.done():
                return
            live = [s for s in self._sleepers if not s[2].cancelled()]
            if not live:
                return
            heapq.heapify(live)
            self._sleepers = live
            deadline = self._sleepers[0][0]
            if until is not None and deadline > until:
                self.t = until
                return
            self.t = max(self.t, deadline)
            while self._sleepers and self._sleepers[0][0] <= self.t:
                _, _, future = heapq.heappop(self._sleepers)
                if not future.done():
                    future.set_result(None)
