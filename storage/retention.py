"""What the retention job reads and records (the rules are :mod:`admission.retention`): the
dossiers whose period is over, the abandoned drafts and the warnings their candidates got.

A warning is a row of ``notifications_sent`` (kind ``erasure_warning``, key the dossier id,
``sent_at`` the time of the last warning), written in the job's transaction like every
reminder, so a restart never warns twice and the erasure counts from the warning recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from admission.retention import WITH_CANDIDATE, Reason
from storage.db import Repo
from storage.progress import local_day

WARNING = "erasure_warning"
_WITH_CANDIDATE = f"({', '.join(repr(s) for s in WITH_CANDIDATE)})"


@dataclass(frozen=True, slots=True)
class Idle:
    """A dossier with its candidate and no activity for long."""

    dossier_id: int
    platform: str
    platform_user_id: str
    last_activity: int  # day number: the last change of the dossier or of its conversation
    warned: int | None  # day number of the last warning


class RetentionRows(Repo):
    async def closed(self, before: int, limit: int = 500) -> list[tuple[int, Reason]]:
        """Dossiers withdrawn, or not admitted, before day ``before``."""
        rows = await self.s.fetchall(
            "SELECT dossier_id, 'withdrawn' FROM dossier_progress"
            " WHERE status = 'withdrawn' AND updated_d < ?"
            " UNION ALL SELECT dossier_id, 'not_admitted' FROM dossier_progress"
            " WHERE phase = 'not_admitted' AND not_admitted_d < ?"
            " ORDER BY 1 LIMIT ?",
            (before, before, limit),
        )
        return [(int(r[0]), r[1]) for r in rows]

    async def idle(self, before: int, limit: int = 500) -> list[Idle]:
        """Dossiers with their candidate, unchanged since before day ``before``, with the day
        of their conversation's last move and of their last warning."""
        rows = await self.s.fetchall(
            "SELECT p.dossier_id, pe.platform, pe.platform_user_id, p.updated_d,"
            " (SELECT max(c.updated_at) FROM conversations c WHERE c.dossier_id = p.dossier_id),"
            " n.sent_at"
            " FROM dossier_progress p JOIN dossiers d ON d.id = p.dossier_id"
            " JOIN people pe ON pe.id = d.person_id"
            " LEFT JOIN notifications_sent n ON n.kind = ? AND n.key = CAST(p.dossier_id AS TEXT)"
            f" WHERE p.status IN {_WITH_CANDIDATE} AND p.updated_d < ?"
            " ORDER BY p.updated_d, p.dossier_id LIMIT ?",
            (WARNING, before, limit),
        )
        return [
            Idle(
                int(r[0]),
                str(r[1]),
                str(r[2]),
                max(int(r[3] or 0), local_day(r[4]) or 0),
                local_day(r[5]),
            )
            for r in rows
        ]

    async def warn(self, dossier_id: int) -> None:
        """Record a warning now (a later one replaces it)."""
        tx = self.s
        await self._tx().execute(
            "INSERT INTO notifications_sent (kind, key, sent_at) VALUES (?, ?, ?)"
            " ON CONFLICT (kind, key) DO UPDATE SET sent_at = excluded.sent_at",
            (WARNING, str(dossier_id), tx.now),
        )

    async def forget_warning(self, dossier_id: int) -> None:
        await self._tx().execute(
            "DELETE FROM notifications_sent WHERE kind = ? AND key = ?", (WARNING, str(dossier_id))
        )
