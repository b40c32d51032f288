"""Messages counted per month against the Zalo plan's quota (the free plan: 3,000 a month).

Every message Zalo accepted is counted in memory (:meth:`QuotaCounter.count`, synchronous on
the send path) and added to ``message_counts`` (storage/chat_options.py) by :meth:`flush`,
which the service runs every few seconds and at stop: one transaction per flush, not per
message (a kill -9 forgets at most the last few seconds' count — an estimate of a quota,
not content). The first flush that finds the month at or above ``warn_at`` of the quota calls
``on_near`` once per month: the service tells the secretaries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from storage.chat_options import MessageCounts
from storage.db import Database

NearHook = Callable[[int, int, str], Awaitable[object]]  # (sent, quota, month)


class QuotaCounter:
    def __init__(
        self,
        db: Database,
        platform: str,
        *,
        quota: int,
        warn_at: float = 0.9,
        on_near: NearHook | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.db = db
        self.platform = platform
        self.quota = quota
        self.warn_at = warn_at
        self.on_near = on_near
        self.now = now or (lambda: datetime.now(UTC))
        self.pending = 0
        self.total = 0  # counted this process, for tests and the bench

    def count(self, messages: int = 1) -> None:
        self.pending += messages
        self.total += messages

    async def flush(self) -> int:
        """Store the count; returns the month's total so far."""
        month = self.now().strftime("%Y-%m")
        pending, self.pending = self.pending, 0
        async with self.db.transaction() as tx:
            counts = tx.repo(MessageCounts)
            sent = await counts.add(self.platform, month, pending) if pending else 0
            sent = sent or await counts.sent(self.platform, month)
            near = self.quota > 0 and sent >= self.quota * self.warn_at
            warn = near and await counts.warn_once(self.platform, month)
        if warn and self.on_near is not None:
            await self.on_near(sent, self.quota, month)
        return sent
