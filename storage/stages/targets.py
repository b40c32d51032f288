"""The admissions a unit plans: the year's target with its deadline, and the term's target."""

from __future__ import annotations

from collections.abc import Sequence

from storage.db import Repo
from storage.stages.rows import TargetRow, TermTargetRow
from storage.stages.sql import unit_filter, writing_tx


class Targets(Repo):
    """Targets and term targets per unit."""

    async def set_target(
        self, unit_id: int, year: int, target: int, deadline_iso: str, set_by: int | None
    ) -> None:
        tx = writing_tx(self)
        await tx.execute(
            "INSERT INTO targets (unit_id, year, target, deadline, set_by, set_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unit_id, year) DO UPDATE SET"
            " target = excluded.target, deadline = excluded.deadline,"
            " set_by = excluded.set_by, set_at = excluded.set_at",
            (unit_id, year, target, deadline_iso, set_by, tx.now),
        )

    async def targets(self, unit_ids: Sequence[int], year: int) -> dict[int, TargetRow]:
        where, params = unit_filter(unit_ids)
        rows = await self.s.fetchall(
            f"SELECT unit_id, year, target, deadline FROM targets WHERE year = ?{where}",
            (year, *params),
        )
        return {r[0]: TargetRow(*r) for r in rows}

    async def set_term_target(
        self, unit_id: int, start_year: int, end_year: int, target: int, set_by: int | None
    ) -> None:
        tx = writing_tx(self)
        await tx.execute(
            "INSERT INTO term_targets (unit_id, start_year, end_year, target, set_by, set_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unit_id, start_year) DO UPDATE SET"
            " end_year = excluded.end_year, target = excluded.target,"
            " set_by = excluded.set_by, set_at = excluded.set_at",
            (unit_id, start_year, end_year, target, set_by, tx.now),
        )

    async def term_target(self, unit_id: int, year: int) -> TermTargetRow | None:
        """The unit's term covering ``year`` (the latest started, if terms overlap)."""
        row = await self.s.fetchone(
            "SELECT unit_id, start_year, end_year, target FROM term_targets WHERE unit_id = ?"
            " AND start_year <= ? AND end_year >= ? ORDER BY start_year DESC LIMIT 1",
            (unit_id, year, year),
        )
        return TermTargetRow(*row) if row else None
