"""The update inbox: every platform update, stored before the platform is acknowledged.

An adapter stores what it receives (:meth:`Inbox.receive`, one transaction per batch) and only
then acknowledges it (the next getUpdates offset, a webhook's 200). Processing marks a row
(:meth:`Inbox.mark_processed`) in the same transaction as the state change the update caused,
so a crash anywhere leaves every update either unprocessed (done at the next start, in order
per person: :meth:`Inbox.unprocessed`) or processed with all its effects — never lost, never
twice. The table is also the dedupe record: a key seen before is not stored again, and keys
derived from an update (:meth:`Inbox.claim`) are recorded as rows born processed.

The raw body is emptied when the row is processed (it holds what people typed); the keys stay
until :meth:`Inbox.prune`, long enough to recognise a redelivery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from storage.db import Repo, Tx
from storage.leases import Fence, Leases

_PER_STATEMENT = 100  # rows per INSERT (5 parameters each; SQLite allows 32 766)
#: how many updates :meth:`Inbox.receive` stores with ONE statement: a unit of work that
#: stores no more may be declared ``single`` (storage/db.py: no BEGIN/COMMIT on PostgreSQL)
ONE_STATEMENT = _PER_STATEMENT


@dataclass(frozen=True, slots=True)
class Incoming:
    """An update as received: the platform's key for it, who sent it, its raw JSON."""

    platform: str
    key: str
    person: str
    raw: bytes
    #: ``raw`` as the adapter decoded it on arrival (not stored): processing it in this
    #: process reads it from here instead of decoding ``raw`` again
    update: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Received:
    """An update stored in the inbox (``id`` orders the updates as they were received)."""

    id: int
    platform: str
    key: str
    person: str
    raw: bytes
    #: several workers: the person's lease it is processed under (storage/leases.py)
    fence: Fence | None = None
    #: ``Incoming.update`` when stored by this process (None when read back)
    update: object = field(default=None, compare=False, repr=False)


def received(rows: Sequence[Any]) -> list[Received]:
    """Rows of :attr:`Inbox.UNPROCESSED_OF` as :class:`Received`."""
    return [Received(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]


class Inbox(Repo):
    """SQL of the ``inbox`` table (see the module docstring)."""

    def _tx(self) -> Tx:
        tx = self.s
        assert isinstance(tx, Tx), "the inbox is written inside a transaction"
        return tx

    async def receive(self, updates: Sequence[Incoming]) -> list[Received]:
        """Store ``updates``; returns those that were new, in order (a known key is skipped).

        One statement per batch (a getUpdates batch is up to 100 updates): the rows' ids
        follow the batch's order, and RETURNING names each new row by its key."""
        tx = self._tx()
        stored: list[Received] = []
        for start in range(0, len(updates), _PER_STATEMENT):
            part = updates[start : start + _PER_STATEMENT]
            params: list[object] = []
            for u in part:
                params += (u.platform, u.key, u.person, u.raw, tx.now)
            rows = await tx.fetchall(
                "INSERT INTO inbox (platform, update_key, person, raw, received_at) VALUES "
                + ", ".join(["(?, ?, ?, ?, ?)"] * len(part))
                + " ON CONFLICT DO NOTHING RETURNING id, platform, update_key",
                params,
            )
            ids = {(str(r[1]), str(r[2])): int(r[0]) for r in rows}
            for u in part:
                new = ids.pop((u.platform, u.key), None)  # popped: a key twice is stored once
                if new is not None:
                    stored.append(
                        Received(new, u.platform, u.key, u.person, u.raw, update=u.update)
                    )
        return stored

    async def mark_processed(self, row_id: int, fence: Fence | None = None) -> bool:
        """Mark a stored update processed (and drop its body); False if it already was, or
        if ``fence``'s lease was taken over (another worker processes the person now)."""
        mark = (
            "UPDATE inbox SET processed_at = ?, raw = CAST('' AS BLOB)"
            " WHERE id = ? AND processed_at IS NULL"
        )
        if fence is not None and self.s.dialect.postgres:
            # the lease's check (Leases.hold: its row locked until the commit) and the mark
            # in one statement, one round trip; not held: nothing marked, False
            held = f"WITH held AS ({Leases.HOLD} RETURNING 1) "
            return (
                await self._tx().execute(
                    f"{held}{mark} AND EXISTS (SELECT 1 FROM held)",
                    (fence.name, fence.holder, self.s.now, row_id),
                )
                == 1
            )
        if fence is not None and not await self._tx().repo(Leases).hold(fence):
            return False
        return await self._tx().execute(mark, (self.s.now, row_id)) == 1

    async def claim(self, platform: str, key: str, person: str = "") -> bool:
        """Record ``key`` as processed now; False if it was known (a redelivery).

        For keys that are not a stored row's own: events derived from an update, and events
        of adapters that do not store raw updates (the console, tests)."""
        tx = self._tx()
        return (
            await tx.execute(
                "INSERT INTO inbox"
                " (platform, update_key, person, raw, received_at, processed_at)"
                " VALUES (?, ?, ?, CAST('' AS BLOB), ?, ?) ON CONFLICT DO NOTHING",
                (platform, key, person, tx.now, tx.now),
            )
            == 1
        )

    async def seen(self, platform: str, key: str) -> bool:
        found = await self.s.fetchval(
            "SELECT 1 FROM inbox WHERE platform = ? AND update_key = ?", (platform, key)
        )
        return found is not None

    async def unprocessed(self, limit: int = 10_000, after: int = 0) -> list[Received]:
        """Stored updates not processed yet, oldest first (the order they were received)."""
        # the index of each person's unprocessed rows holds exactly these: read and sorted
        rows = await self.s.fetchall(
            "SELECT id, platform, update_key, person, raw FROM inbox"
            " INDEXED BY inbox_unprocessed_person"
            " WHERE processed_at IS NULL AND id > ? ORDER BY id LIMIT ?",
            (after, limit),
        )
        return received(rows)

    #: :meth:`unprocessed_of`'s statement (bot/workers.py also reads it with a lease's take)
    UNPROCESSED_OF = (
        "SELECT id, platform, update_key, person, raw FROM inbox"
        " WHERE platform = ? AND person = ? AND processed_at IS NULL ORDER BY id LIMIT ?"
    )

    async def unprocessed_of(self, platform: str, person: str, limit: int = 50) -> list[Received]:
        """One person's stored updates not processed yet, oldest first (several workers: the
        worker holding the person's lease takes them in this order, bot/workers.py)."""
        return received(await self.s.fetchall(self.UNPROCESSED_OF, (platform, person, limit)))

    async def waiting_people(self, limit: int = 1000) -> list[tuple[str, str]]:
        """(platform, person) of everyone with an unprocessed update, oldest waiting first."""
        rows = await self.s.fetchall(
            "SELECT platform, person, MIN(id) AS first FROM inbox WHERE processed_at IS NULL"
            " GROUP BY platform, person ORDER BY first LIMIT ?",
            (limit,),
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def prune(self, before: str) -> int:
        """Forget processed updates received before ``before`` (ISO-8601 UTC).

        Rows are numbered in the order they were stored, so those received before ``before``
        are the ones below the first received at or after it (found by reading the old rows
        in order: no index on the time, one page less to write with every update; 046)."""
        return await self._tx().execute(
            "DELETE FROM inbox WHERE processed_at IS NOT NULL AND id < COALESCE("
            " (SELECT id FROM inbox WHERE received_at >= ? ORDER BY id LIMIT 1),"
            " (SELECT MAX(id) + 1 FROM inbox))",
            (before,),
        )
