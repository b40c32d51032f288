"""Digests and reminders: who to remind, and what was already sent (``notifications_sent``).

A claim is written in the transaction that decides to send, so a restart or a second process
never sends anything twice (at most once: a crash between commit and send loses the message).
"""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import Repo
from storage.stages.rows import IdleCandidate
from storage.stages.sql import writing_tx


class Notifications(Repo):
    """Idle drafts to remind, and claims of what is sent."""

    async def idle_candidates(self, idle_cutoff_d: int, limit: int = 500) -> list[IdleCandidate]:
        """Drafts untouched since before ``idle_cutoff_d``, with their candidate's identity."""
        rows = await self.s.fetchall(
            "SELECT p.dossier_id, d.person_id, pe.platform, pe.platform_user_id, p.updated_d"
            " FROM dossier_progress p JOIN dossiers d ON d.id = p.dossier_id"
            " JOIN people pe ON pe.id = d.person_id"
            " WHERE p.status = 'draft' AND p.updated_d < ? ORDER BY p.updated_d LIMIT ?",
            (idle_cutoff_d, limit),
        )
        return [IdleCandidate(*r) for r in rows]

    async def claim(self, kind: str, key: str) -> bool:
        """Mark (kind, key) as sent; False when it already was (nothing is sent twice)."""
        tx = writing_tx(self)
        return (
            await tx.execute(
                "INSERT INTO notifications_sent (kind, key, sent_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (kind, key, tx.now),
            )
            == 1
        )

    async def claim_many(self, kind: str, keys: Sequence[str]) -> list[str]:
        """Claim several keys at once; returns those that were not claimed before."""
        if not keys:
            return []
        tx = writing_tx(self)
        known: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            rows = await self.s.fetchall(
                "SELECT key FROM notifications_sent WHERE kind = ?"
                f" AND key IN ({','.join('?' * len(chunk))})",
                (kind, *chunk),
            )
            known.update(r[0] for r in rows)
        fresh = [k for k in dict.fromkeys(keys) if k not in known]
        await tx.executemany(
            "INSERT INTO notifications_sent (kind, key, sent_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            [(kind, k, tx.now) for k in fresh],
        )
        return fresh

    async def claim_if_older(self, kind: str, key: str, not_after_iso: str) -> bool:
        """Claim (kind, key) when never sent or last sent at or before ``not_after_iso``."""
        tx = writing_tx(self)
        changed = await tx.execute(
            "INSERT INTO notifications_sent (kind, key, sent_at) VALUES (?, ?, ?)"
            " ON CONFLICT (kind, key) DO UPDATE SET sent_at = excluded.sent_at"
            " WHERE notifications_sent.sent_at <= ?",
            (kind, key, tx.now, not_after_iso),
        )
        return changed == 1
