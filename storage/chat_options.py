"""Numbered options of text-only platforms, and messages counted against a monthly quota.

Zalo has no buttons: a reply's buttons are drawn as "1. Có / 2. Không" and the person types a
number or a label. :class:`ChatOptions` keeps the options last delivered to each chat, so a
typed "2" means the same after a restart. :class:`MessageCounts` counts what a platform sent
per month (its free plan has a monthly quota) and remembers whether the secretaries were
warned. Both hold no dossier content (button labels only); an erasure drops a person's
options with their private chat (storage/erasure.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson

from storage.db import Repo, Tx

Option = tuple[str, str]  # (label, action)


class ChatOptions(Repo):
    """SQL of ``chat_options``."""

    async def all(self, platform: str) -> dict[str, list[Option]]:
        rows = await self.s.fetchall(
            "SELECT chat_id, options FROM chat_options WHERE platform = ?", (platform,)
        )
        return {str(r[0]): [(str(a), str(b)) for a, b in orjson.loads(r[1])] for r in rows}

    async def put(self, platform: str, chat_id: str, options: Sequence[Option]) -> None:
        await self.put_all(platform, {chat_id: options})

    async def put_all(self, platform: str, chats: Mapping[str, Sequence[Option]]) -> None:
        """Each chat's options in ONE statement run for every chat (a flush writes hundreds
        a second under load)."""
        tx = self.s
        assert isinstance(tx, Tx)
        await tx.executemany(
            "INSERT INTO chat_options (platform, chat_id, options, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (platform, chat_id) DO UPDATE SET options = excluded.options,"
            " updated_at = excluded.updated_at",
            [
                (platform, chat_id, orjson.dumps(options).decode(), tx.now)
                for chat_id, options in chats.items()
            ],
        )


class MessageCounts(Repo):
    """SQL of ``message_counts``."""

    async def add(self, platform: str, month: str, sent: int) -> int:
        """Count ``sent`` more messages in ``month``; returns the month's total."""
        tx = self.s
        assert isinstance(tx, Tx)
        await tx.execute(
            "INSERT INTO message_counts (platform, month, sent) VALUES (?, ?, ?)"
            " ON CONFLICT (platform, month) DO UPDATE SET sent = sent + excluded.sent",
            (platform, month, sent),
        )
        return await self.sent(platform, month)

    async def sent(self, platform: str, month: str) -> int:
        value = await self.s.fetchval(
            "SELECT sent FROM message_counts WHERE platform = ? AND month = ?", (platform, month)
        )
        return int(value or 0)

    async def warn_once(self, platform: str, month: str) -> bool:
        """Mark the month warned; False if it was already."""
        tx = self.s
        assert isinstance(tx, Tx)
        return (
            await tx.execute(
                "UPDATE message_counts SET warned = 1"
                " WHERE platform = ? AND month = ? AND warned = 0",
                (platform, month),
            )
            == 1
        )
