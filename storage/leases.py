"""Leases: which worker holds a named piece of work, until when (several workers, issue 16).

One table, the same SQL on SQLite and PostgreSQL (``INSERT … ON CONFLICT … DO UPDATE …
WHERE``): a lease is taken when it is free, expired or already ours, and the statement says
whether it was (one row changed or none). The holder renews it while it works and drops it
when done; a killed worker's leases run out after their time and another worker takes the
work over. bot/workers.py builds the leader lock and the per-person and per-chat claims on it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.db import Repo, Tx
from storage.session import utc_iso


class Leases(Repo):
    """SQL of the ``leases`` table (see the module docstring); ``tx.now`` is the clock."""

    def _tx(self) -> Tx:
        tx = self.s
        assert isinstance(tx, Tx), "leases are taken inside a transaction"
        return tx

    async def take(self, name: str, holder: str, seconds: float) -> bool:
        """Take or renew ``name`` for ``seconds`` from now; False if another holds it."""
        tx = self._tx()
        until = utc_iso(datetime.fromisoformat(tx.now) + timedelta(seconds=seconds))
        changed = await tx.execute(
            "INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until"
            " WHERE leases.holder = excluded.holder OR leases.until < ?",
            (name, holder, until, tx.now),
        )
        return changed == 1

    async def release(self, name: str, holder: str) -> bool:
        """Drop ``name`` if ``holder`` still holds it."""
        return (
            await self._tx().execute(
                "DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)
            )
            == 1
        )

    async def holder(self, name: str) -> str | None:
        """Who holds ``name`` now (None: nobody, or the lease ran out)."""
        found = await self.s.fetchval(
            "SELECT holder FROM leases WHERE name = ? AND until >= ?", (name, self.s.now)
        )
        return None if found is None else str(found)
