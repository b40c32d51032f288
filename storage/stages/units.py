"""The units as the summary and the digest read them (the organisation itself belongs to
``storage.reviews``), and the hour of each unit's daily digest."""

from __future__ import annotations

from storage.db import Repo
from storage.stages.rows import UnitRow
from storage.stages.sql import writing_tx


class UnitRows(Repo):
    """Every unit as a row (parent, name, bound group, digest hour)."""

    async def unit_rows(self) -> list[UnitRow]:
        rows = await self.s.fetchall(
            "SELECT id, parent_id, name, group_platform, group_chat_id, digest_hour FROM units"
            " ORDER BY id"
        )
        return [UnitRow(*r) for r in rows]

    async def set_digest_hour(self, unit_id: int, hour: int | None) -> None:
        """The local hour of the unit's daily digest; -1 turns it off, None = default."""
        await writing_tx(self).execute(
            "UPDATE units SET digest_hour = ? WHERE id = ?", (hour, unit_id)
        )
