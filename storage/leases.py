"""Leases: which worker holds a named piece of work, until when (several workers, issue 16).

One table, the same SQL on SQLite and PostgreSQL (``INSERT … ON CONFLICT … DO UPDATE …
WHERE``): a lease is taken when it is free, expired or already ours, and the statement says
whether it was (one row changed or none). The holder renews it while it works (only while it
still holds it: a lease lost is never renewed back) and drops it when done; a killed worker's
leases run out after their time and another worker takes the work over. bot/workers.py
builds the leader lock and the per-person and per-chat claims on it.

**Fencing.** A lease can be lost without its holder noticing (a worker paused or starved past
its time): the work it then commits must not land beside the new holder's. So work done under
a lease is committed with :meth:`Leases.hold` in the same transaction: it checks that the
same holder still holds the lease, else the caller rolls back. The holder's name is the
token (a worker's names are unique per process start, and a chat's per sending task): a lease
taken over and dropped since is gone, so a stale holder cannot match it again. On PostgreSQL
the check's row lock (an UPDATE that changes nothing) lasts until the commit, so no take-over
slips between the check and the commit; on SQLite the transaction is the only writer anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from sqlite3 import Row

from storage.db import Repo, Tx
from storage.dialect import APPLICATION_NAME, IDLE_IN_TRANSACTION_MS
from storage.session import Params, utc_iso


@dataclass(frozen=True, slots=True)
class Fence:
    """The lease work was begun under, checked when the work is committed (module docstring)."""

    name: str
    holder: str


class Leases(Repo):
    """SQL of the ``leases`` table (see the module docstring); ``tx.now`` is the clock."""

    #: :meth:`hold`'s statement (storage/inbox.py runs it with its mark on PostgreSQL)
    HOLD = "UPDATE leases SET holder = holder WHERE name = ? AND holder = ?"

    #: :meth:`take`'s statement: taken when free, expired or already ours (one row changed)
    TAKE = (
        "INSERT INTO leases (name, holder, until) VALUES (?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until"
        " WHERE leases.holder = excluded.holder OR leases.until < ?"
    )
    RELEASE = "DELETE FROM leases WHERE name = ? AND holder = ?"

    def _tx(self) -> Tx:
        tx = self.s
        assert isinstance(tx, Tx), "leases are taken inside a transaction"
        return tx

    async def take(self, name: str, holder: str, seconds: float) -> bool:
        """Take or renew ``name`` for ``seconds`` from now; False if another holds it."""
        return await self._tx().execute(self.TAKE, self._take_params(name, holder, seconds)) == 1

    def _take_params(self, name: str, holder: str, seconds: float) -> tuple[str, str, str, str]:
        now = self._tx().now
        return name, holder, utc_iso(datetime.fromisoformat(now) + timedelta(seconds=seconds)), now

    async def take_reading(
        self, name: str, holder: str, seconds: float, read: str, params: Params
    ) -> list[Row] | None:
        """:meth:`take`, and the rows of ``read`` (the work the lease is for) read after it
        in the same round trip on PostgreSQL; None: not taken (the rows are dropped)."""
        taken, rows = await self._tx().write_then_read(
            self.TAKE, self._take_params(name, holder, seconds), read, params
        )
        return rows if taken == 1 else None

    async def release_reading(self, name: str, holder: str, read: str, params: Params) -> list[Row]:
        """:meth:`release`, and the rows of ``read`` read after the drop in the same round
        trip on PostgreSQL: work stored by another worker that found the lease held (it left
        the work to the holder) is committed before the drop, so this read sees it."""
        _, rows = await self._tx().write_then_read(self.RELEASE, (name, holder), read, params)
        return rows

    async def renew(self, name: str, holder: str, seconds: float) -> bool:
        """Extend ``name`` for ``seconds`` from now if ``holder`` still holds it (expired or
        not: nobody took it over). Never takes it anew: a holder that lost a lease, even one
        dropped since, does not get it back with what it read while it held it."""
        tx = self._tx()
        until = utc_iso(datetime.fromisoformat(tx.now) + timedelta(seconds=seconds))
        changed = await tx.execute(
            "UPDATE leases SET until = ? WHERE name = ? AND holder = ?", (until, name, holder)
        )
        return changed == 1

    async def hold(self, fence: Fence) -> bool:
        """Whether ``fence``'s holder still holds its lease (expired or not: nobody took it
        over), the lease row locked until this transaction ends; False: roll back (module
        docstring). It does not renew: ``tx.now`` is the flows' clock, not the leases'."""
        changed = await self._tx().execute(self.HOLD, (fence.name, fence.holder))
        return changed == 1

    async def release(self, name: str, holder: str) -> bool:
        """Drop ``name`` if ``holder`` still holds it."""
        return await self._tx().execute(self.RELEASE, (name, holder)) == 1

    async def end_stalled(
        self, application: str = APPLICATION_NAME, idle_ms: int = IDLE_IN_TRANSACTION_MS
    ) -> int:
        """PostgreSQL: end the sessions of ``application`` idle inside a transaction for over
        ``idle_ms`` (a worker paused or swapped out mid-transaction); returns how many. The
        server's own ``idle_in_transaction_session_timeout`` (storage/pg.py) misses some:
        a Flush message after the ReadyForQuery disarms its timer until the next statement,
        and psycopg sends one when it leaves pipeline mode (the pipelined ``BEGIN``,
        ``executemany``), so a session stalled right there would hold its row locks, leases'
        among them, until it resumed. A session stalled INSIDE the pipeline (its statement
        run, the Sync not yet sent) is not even idle: the server shows it ``active``, waiting
        for the client (``ClientRead``) — ended alike (seen: a worker paused there held a
        person's lease row, the other worker's lease take waited on it with the one write
        connection, and nothing was taken over). SQLite: nothing to do (0)."""
        if not self.s.dialect.postgres:
            return 0
        ended = await self.s.fetchall(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = ?"
            " AND pid <> pg_backend_pid() AND (state LIKE 'idle in transaction%'"
            " OR (state = 'active' AND wait_event = 'ClientRead'))"
            " AND state_change < clock_timestamp() - make_interval(secs => ?)",
            (application, idle_ms / 1000),
        )
        return sum(1 for (done,) in ended if done)

    async def holder(self, name: str) -> str | None:
        """Who holds ``name`` now (None: nobody, or the lease ran out)."""
        found = await self.s.fetchval(
            "SELECT holder FROM leases WHERE name = ? AND until >= ?", (name, self.s.now)
        )
        return None if found is None else str(found)
