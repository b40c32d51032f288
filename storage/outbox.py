"""The reply outbox: what the bot has to say, stored with the answer that caused it.

The router writes a flow's replies here (:meth:`Outbox.add`) in the same transaction as the
answer, so a committed answer always has its replies, and a rolled-back one has none. The
sender (bot/delivery.py) takes each chat's rows in id order (:meth:`Outbox.next`), delivers
them and marks them (:meth:`Outbox.sent`, :meth:`Outbox.give_up`); a restart picks up what is
still pending (:meth:`Outbox.pending_chats`).

Payloads are opaque bytes here (handlers/replies.py encodes a Reply), so storage knows no
handler type. An edit supersedes the earlier unsent edits of the same message when it is
added: the message always ends in its latest state, and a stale edit never lands after a
newer one. A done row keeps its metadata (status, message id, prompt) but not its payload.
A row records the dossier it shows or names (``dossier_id``): erasing that dossier deletes
the row while it waits (storage/erasure.py), so nothing of it is sent afterwards.

A sender may :func:`watch` a database: it is then handed the rows :meth:`Outbox.add` queued,
as :class:`Pending`, once their transaction is committed (in the same turn of the event loop
as the ``COMMIT``), so it need not read back a row it knows is a chat's next one
(bot/delivery.py, "handed rows").
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from storage.db import Repo, Tx
from storage.leases import Fence, Leases

ChatKey = tuple[str, str]  # (platform, chat id)
Queued = Callable[[Sequence["Pending"]], object]

# database -> the senders watching what is queued in it (see the module docstring)
_watchers: weakref.WeakKeyDictionary[object, list[Queued]] = weakref.WeakKeyDictionary()


def watch(db: object, callback: Queued) -> None:
    """Call ``callback`` with the rows queued in ``db`` after each commit that queued some."""
    _watchers.setdefault(db, []).append(callback)


def unwatch(db: object, callback: Queued) -> None:
    watching = _watchers.get(db)
    if watching is not None and callback in watching:
        watching.remove(callback)


@dataclass(frozen=True, slots=True)
class Message:
    """A reply to store: where it goes and its encoded content."""

    platform: str
    chat_id: str
    chat_kind: str  # 'private' | 'group'
    payload: bytes
    attachment: bytes | None = None
    edit_ref: str = ""
    prompt: str = ""
    reply: bool = False  # answers the person's own message in this private chat (pacing)
    dossier_id: int | None = None  # the dossier it shows or names (an erasure removes it)
    #: what ``payload`` encodes, as the caller had it (not stored): a row handed to a sender
    #: in this process carries it, so the sender need not decode the payload again
    source: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Pending:
    """A stored reply still to deliver."""

    id: int
    platform: str
    chat_id: str
    chat_kind: str
    payload: bytes
    attachment: bytes | None
    edit_ref: str
    prompt: str
    attempts: int
    progress: int
    created_at: str
    first_failed_at: str | None
    reply: bool = False
    dossier_id: int | None = None
    #: a handed row (:func:`watch`): what its payload encodes, as queued; None when read back
    source: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PromptState:
    """The last question prompt queued for a chat, and whether it reached the person."""

    prompt: str
    status: str  # 'pending' | 'sent' | 'superseded' | 'failed'

    @property
    def delivered(self) -> bool:
        return self.status == "sent"


_DONE = "payload = CAST('' AS BLOB), attachment = NULL, done_at = ?"
_COLUMNS = (
    "id, platform, chat_id, chat_kind, payload, attachment, edit_ref, prompt, attempts,"
    " progress, created_at, first_failed_at, reply, dossier_id"
)


def _pending(row: sqlite3.Row) -> Pending:
    attachment = row[5]
    return Pending(
        id=int(row[0]),
        platform=str(row[1]),
        chat_id=str(row[2]),
        chat_kind=str(row[3]),
        payload=bytes(row[4]),
        attachment=bytes(attachment) if attachment is not None else None,
        edit_ref=str(row[6]),
        prompt=str(row[7]),
        attempts=int(row[8]),
        progress=int(row[9]),
        created_at=str(row[10]),
        first_failed_at=None if row[11] is None else str(row[11]),
        reply=bool(row[12]),
        dossier_id=None if row[13] is None else int(row[13]),
    )


def first_pending(rows: Sequence[sqlite3.Row]) -> Pending | None:
    """The first of rows read by :attr:`Outbox.NEXT` (None: none)."""
    return _pending(rows[0]) if rows else None


def _queued(row_id: int, m: Message, now: str) -> Pending:
    """The row :meth:`Outbox.add` just inserted, as :meth:`Outbox.next` would read it."""
    return Pending(
        row_id,
        m.platform,
        m.chat_id,
        m.chat_kind,
        m.payload,
        m.attachment,
        m.edit_ref,
        m.prompt,
        attempts=0,
        progress=0,
        created_at=now,
        first_failed_at=None,
        reply=m.reply,
        dossier_id=m.dossier_id,
        source=m.source,
    )


def _announce(watching: list[Queued], queued: list[Pending]) -> None:
    for callback in list(watching):
        callback(queued)


class Outbox(Repo):
    """SQL of the ``outbox`` table (see the module docstring)."""

    def _tx(self) -> Tx:
        tx = self.s
        assert isinstance(tx, Tx), "the outbox is written inside a transaction"
        return tx

    async def add(self, messages: Sequence[Message]) -> list[int]:
        """Queue ``messages`` in order; an edit supersedes earlier unsent edits of its message
        (those not begun: a long text half delivered is finished first)."""
        tx = self._tx()
        ids: list[int] = []
        watching = _watchers.get(tx.db)
        for m in messages:
            if m.edit_ref:
                await tx.execute(
                    f"UPDATE outbox SET status = 'superseded', {_DONE}"
                    " WHERE platform = ? AND chat_id = ? AND edit_ref = ?"
                    " AND status = 'pending' AND progress = 0",
                    (tx.now, m.platform, m.chat_id, m.edit_ref),
                )
            ids.append(
                await tx.insert(
                    "INSERT INTO outbox (platform, chat_id, chat_kind, edit_ref, prompt, payload,"
                    " attachment, created_at, reply, dossier_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        m.platform,
                        m.chat_id,
                        m.chat_kind,
                        m.edit_ref,
                        m.prompt,
                        m.payload,
                        m.attachment,
                        tx.now,
                        int(m.reply),
                        m.dossier_id,
                    ),
                )
            )
        if watching and ids:
            queued = [_queued(row_id, m, tx.now) for row_id, m in zip(ids, messages, strict=True)]
            tx.after_commit(lambda: _announce(watching, queued))
        return ids

    #: :meth:`next`'s statement (bot/workers.py also reads it with a chat's lease)
    NEXT = (
        f"SELECT {_COLUMNS} FROM outbox INDEXED BY outbox_pending"
        " WHERE platform = ? AND chat_id = ? AND status = 'pending' ORDER BY id LIMIT 1"
    )

    async def next(self, platform: str, chat_id: str) -> Pending | None:
        """The chat's oldest pending reply."""
        return first_pending(await self.s.fetchall(self.NEXT, (platform, chat_id)))

    async def last_id(self) -> int:
        return int(await self.s.fetchval("SELECT MAX(id) FROM outbox", default=0) or 0)

    async def pending_after(self, platform: str, chat_id: str, after_id: int) -> list[Pending]:
        """The chat's pending replies queued after row ``after_id``, in order."""
        rows = await self.s.fetchall(
            f"SELECT {_COLUMNS} FROM outbox INDEXED BY outbox_pending"
            " WHERE platform = ? AND chat_id = ? AND status = 'pending' AND id > ? ORDER BY id",
            (platform, chat_id, after_id),
        )
        return [_pending(r) for r in rows]

    async def pending_chats(self) -> list[tuple[str, str, str]]:
        """(platform, chat id, chat kind) of every chat with something to deliver, oldest first."""
        rows = await self.s.fetchall(
            "SELECT platform, chat_id, MIN(chat_kind), MIN(id) AS first FROM outbox"
            " WHERE status = 'pending' GROUP BY platform, chat_id ORDER BY first"
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def sent(self, row_id: int, message_id: str, fence: Fence | None = None) -> bool:
        """Delivered; ``message_id`` is the platform's id of the (last) message it became.
        ``fence``: only if its lease is still held (several workers, storage/leases.py);
        False: it is not, nothing marked, roll back."""
        tx = self._tx()
        mark = f"UPDATE outbox SET status = 'sent', message_id = ?, {_DONE} WHERE id = ?"
        params = (message_id, tx.now, row_id)
        if fence is not None and tx.dialect.postgres:
            # the lease's check (its row locked until the commit) and the mark in one
            # statement, one round trip; the answer says whether the lease was held
            held = await tx.fetchval(
                f"WITH held AS ({Leases.HOLD} RETURNING 1),"
                f" marked AS ({mark} AND EXISTS (SELECT 1 FROM held))"
                " SELECT count(*) FROM held",
                (fence.name, fence.holder, *params),
            )
            return bool(held)
        if fence is not None and not await tx.repo(Leases).hold(fence):
            return False
        await tx.execute(mark, params)
        return True

    async def supersede(self, row_id: int) -> None:
        """Not to deliver: a later reply replaces it (a document asked for again before it was
        sent, bot/delivery.py)."""
        tx = self._tx()
        await tx.execute(
            f"UPDATE outbox SET status = 'superseded', {_DONE} WHERE id = ? AND status = 'pending'",
            (tx.now, row_id),
        )

    async def progressed(self, row_id: int, progress: int) -> None:
        """``progress`` platform calls of a multi-part reply are done (not repeated after a
        restart)."""
        await self._tx().execute("UPDATE outbox SET progress = ? WHERE id = ?", (progress, row_id))

    async def failed_attempt(self, row_id: int, error: str) -> None:
        """An attempt failed with a transient error; the reply stays pending."""
        tx = self._tx()
        await tx.execute(
            "UPDATE outbox SET attempts = attempts + 1, error = ?,"
            " first_failed_at = COALESCE(first_failed_at, ?) WHERE id = ?",
            (error[:200], tx.now, row_id),
        )

    async def give_up(self, row_id: int, error: str) -> None:
        """Never to be delivered (the limit passed, or the platform refused it for good)."""
        tx = self._tx()
        await tx.execute(
            f"UPDATE outbox SET status = 'failed', error = ?, {_DONE} WHERE id = ?",
            (error[:200], tx.now, row_id),
        )

    async def give_up_chat(self, platform: str, chat_id: str, error: str) -> list[int]:
        """Give up every pending reply of the chat (it refuses the bot); returns their ids."""
        tx = self._tx()
        rows = await tx.fetchall(
            "SELECT id FROM outbox INDEXED BY outbox_pending"
            " WHERE platform = ? AND chat_id = ? AND status = 'pending' ORDER BY id",
            (platform, chat_id),
        )
        await tx.execute(
            f"UPDATE outbox SET status = 'failed', error = ?, {_DONE}"
            " WHERE platform = ? AND chat_id = ? AND status = 'pending'",
            (error[:200], tx.now, platform, chat_id),
        )
        return [int(r[0]) for r in rows]

    async def status(self, row_id: int) -> str | None:
        found = await self.s.fetchval("SELECT status FROM outbox WHERE id = ?", (row_id,))
        return None if found is None else str(found)

    async def last_prompt(self, platform: str, chat_id: str) -> PromptState | None:
        """The last question prompt queued for the chat and what became of it (None: none
        queued since the outbox was last pruned). Read with the chat's conversation when
        nothing was written since (``storage/core.py`` ``Conversations.get``)."""
        key = ("prompt", platform, chat_id)
        if key in self.s.read_ahead:
            prompt, status = self.s.read_ahead.pop(key)
        else:
            row = await self.s.fetchone(
                "SELECT prompt, status FROM outbox INDEXED BY outbox_prompts"
                " WHERE platform = ? AND chat_id = ? AND prompt != '' ORDER BY id DESC LIMIT 1",
                (platform, chat_id),
            )
            prompt, status = (row[0], row[1]) if row is not None else (None, None)
        return PromptState(str(prompt), str(status)) if prompt is not None else None

    async def prune(self, before: str) -> int:
        """Forget done rows created before ``before`` (ISO-8601 UTC); pending rows stay.

        Rows are numbered in the order they were queued, so those created before ``before``
        are the ones below the first created at or after it (found by reading the old rows
        in order: no index on the time, one page less to write with every reply)."""
        return await self._tx().execute(
            "DELETE FROM outbox WHERE status != 'pending' AND id < COALESCE("
            " (SELECT id FROM outbox WHERE created_at >= ? ORDER BY id LIMIT 1),"
            " (SELECT MAX(id) + 1 FROM outbox))",
            (before,),
        )
