"""The units as the summary and the digest read them (the organisation itself belongs to
``storage.reviews``), the hour of each unit's daily digest, and whether its group may see
candidates' names."""

from __future__ import annotations

from storage.db import Repo
from storage.stages.rows import UnitRow
from storage.stages.sql import writing_tx


class UnitRows(Repo):
    """Every unit as a row (parent, name, bound group, digest hour, names in its group)."""

    async def unit_rows(self) -> list[UnitRow]:
        rows = await self.s.fetchall(
            "SELECT id, parent_id, name, group_platform, group_chat_id, digest_hour,"
            " names_in_group FROM units ORDER BY id"
        )
        return [UnitRow(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]

    async def names_in_group(self, unit_id: int) -> bool:
        """Whether the unit's group may see candidates' names (off by default)."""
        value = await self.s.fetchval("SELECT names_in_group FROM units WHERE id = ?", (unit_id,))
        return bool(value)

    async def set_names_in_group(self, unit_id: int, allowed: bool) -> None:
        await writing_tx(self).execute(
            "UPDATE units SET names_in_group = ? WHERE id = ?", (int(allowed), unit_id)
        )

    async def set_digest_hour(self, unit_id: int, hour: int | None) -> None:
        """The local hour of the unit's daily digest; -1 turns it off, None = default."""
        await writing_tx(self).execute(
            "UPDATE units SET digest_hour = ? WHERE id = ?", (hour, unit_id)
        )
