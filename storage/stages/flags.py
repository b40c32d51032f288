"""The per-revision cache of each submitted dossier's flags (rule, severity), so a summary
groups cached rows instead of running the checks over thousands of dossiers."""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import Repo
from storage.stages.sql import writing_tx


class FlagCache(Repo):
    """Which dossiers' cached flags are stale, and storing fresh ones."""

    async def stale_flag_dossiers(self, limit: int) -> list[tuple[int, int]]:
        """(dossier_id, revision) of submitted-or-later dossiers whose cached flags are old."""
        rows = await self.s.fetchall(
            "SELECT dossier_id, revision FROM dossier_progress"
            " WHERE phase NOT IN ('draft', 'deleted')"
            f" AND flags_revision {self.s.dialect.is_not} revision"
            " ORDER BY dossier_id LIMIT ?",
            (limit,),
        )
        return [(r[0], r[1]) for r in rows]

    async def store_flags(
        self, dossier_id: int, revision: int, flags: Sequence[tuple[str, str]]
    ) -> None:
        """Replace the cached (rule, severity) list of a dossier, computed on ``revision``."""
        tx = writing_tx(self)
        await tx.execute("DELETE FROM dossier_flags WHERE dossier_id = ?", (dossier_id,))
        unit_id = await self.s.fetchval(
            "SELECT coalesce(unit_id, 0) FROM dossier_progress WHERE dossier_id = ?",
            (dossier_id,),
        )
        await tx.executemany(
            "INSERT INTO dossier_flags (rule, unit_id, dossier_id, severity)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(rule, unit_id or 0, dossier_id, severity) for rule, severity in flags],
        )
        await tx.execute(
            "UPDATE dossier_progress SET flags_revision = ? WHERE dossier_id = ?",
            (revision, dossier_id),
        )
