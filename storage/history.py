"""A dossier's history and a unit's organisation events, read from the audit log with the
names of the people and units (never a dossier's content)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.db import Repo

__all__ = ["History", "HistoryEntry"]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: str
    action: str
    person_id: int | None
    person_name: str
    revision: int | None
    unit_id: int | None
    unit_name: str
    detail: dict[str, Any]


_ENTRIES = (
    "SELECT a.at, a.action, a.person_id, coalesce(p.display_name, ''), a.revision,"
    " a.unit_id, coalesce(u.name, ''), a.detail FROM audit_log a"
    " LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id"
)


def _entry(row: Sequence[Any]) -> HistoryEntry:
    at, action, person_id, person_name, revision, unit_id, unit_name, detail = row
    return HistoryEntry(
        at, action, person_id, person_name, revision, unit_id, unit_name, json.loads(detail)
    )


class History(Repo):
    async def of_dossier(self, dossier_id: int) -> list[HistoryEntry]:
        """Everything recorded about a dossier, oldest first, with names (never content)."""
        rows = await self.s.fetchall(
            _ENTRIES + " WHERE a.dossier_id = ? ORDER BY a.id",
            (dossier_id,),
        )
        return [_entry(r) for r in rows]

    async def of_units(self, unit_ids: list[int], limit: int = 50) -> list[HistoryEntry]:
        """Organisation events (role changes, bindings) of these units, newest first."""
        if not unit_ids:
            return []
        marks = ",".join("?" * len(unit_ids))
        rows = await self.s.fetchall(
            _ENTRIES
            + f" WHERE a.unit_id IN ({marks}) AND a.dossier_id IS NULL ORDER BY a.id DESC LIMIT ?",
            (*unit_ids, limit),
        )
        return [_entry(r) for r in rows]
