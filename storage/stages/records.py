"""The steps recorded after approval (``stage_events``, the source of truth) and the progress
folded from them (``dossier_progress``' stage columns, ``verifications``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from admission.stages import RECORDABLE, DerivedStages, Verification
from storage.db import Repo
from storage.stages.rows import ProgressRow, StageEventRow
from storage.stages.sql import dumps, pin_index, unit_filter, writing_tx

_PROGRESS_COLS = (
    "dossier_id, unit_id, status, review_level, full_name, phase, opened_d, approved_d,"
    " handwritten_d, chi_bo_d, dang_uy_d, decision_d, ceremony_d, official_d, returns"
)
# The clocks still running on a dossier, for "what needs action first" (/buoc): clock →
# (start column, open condition, the partial index of 006 holding exactly the open ones).
_DEADLINE_SQL: dict[str, tuple[str, str, str]] = {
    "decision": ("p.chi_bo_d", "p.decision_d IS NULL", "dossier_progress_clock_decision"),
    "ceremony": ("p.decision_d", "p.ceremony_d IS NULL", "dossier_progress_clock_ceremony"),
    "probation": ("p.ceremony_d", "p.official_d IS NULL", "dossier_progress_clock_probation"),
    "certificate": ("p.cert_d", "p.chi_bo_d IS NULL", "dossier_progress_clock_certificate"),
    "dossier_age": ("p.opened_d", "p.chi_bo_d IS NULL", "dossier_progress_clock_age"),
}


class StageRecords(Repo):
    """Steps recorded, the progress derived from them, and the dossiers' running clocks."""

    async def events(self, dossier_id: int) -> list[StageEventRow]:
        sql = self.s.dialect
        rows = await self.s.fetchall(
            f"SELECT id, dossier_id, stage, {sql.epoch_day('happened_on')},"
            f" coalesce({sql.json_text('detail', '$.person')}, ''),"
            f" coalesce({sql.json_int('detail', '$.abroad')}, 0), recorded_by, recorded_at,"
            f" coalesce({sql.json_text('detail', '$.abroad_reason')}, ''),"
            f" coalesce({sql.json_int('detail', '$.abroad_override')}, 0)"
            " FROM stage_events WHERE dossier_id = ? ORDER BY id",
            (dossier_id,),
        )
        return [
            StageEventRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], r[8], bool(r[9]))
            for r in rows
        ]

    async def add_event(
        self,
        dossier_id: int,
        stage: str,
        happened_on_iso: str,
        *,
        person: str = "",
        abroad: bool = False,
        abroad_reason: str = "",
        abroad_override: bool = False,
        recorded_by: int | None = None,
    ) -> int:
        if stage not in RECORDABLE:
            raise ValueError(f"unknown stage {stage!r}")
        tx = writing_tx(self)
        detail: dict[str, Any] = {}
        if person:
            detail["person"] = person
        if abroad:
            detail["abroad"] = 1
        if abroad_reason:
            detail["abroad_reason"] = abroad_reason
        if abroad_override:
            detail["abroad_override"] = 1
        return await tx.insert(
            "INSERT INTO stage_events (dossier_id, stage, happened_on, detail, recorded_by,"
            " recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
            (dossier_id, stage, happened_on_iso, dumps(detail), recorded_by, tx.now),
        )

    async def delete_event(self, event_id: int) -> bool:
        return (
            await writing_tx(self).execute("DELETE FROM stage_events WHERE id = ?", (event_id,))
            == 1
        )

    async def write_progress(self, dossier_id: int, derived: DerivedStages) -> None:
        """Store the stage columns and verification rows folded from the events. A dossier the
        unit decided not to admit awaits no reply any more: only the replies received are
        kept as rows (for the medians), so no verification clock runs on it."""
        tx = writing_tx(self)
        pending = sum(1 for v in derived.verifications if v.returned_d is None)
        await tx.execute(
            "INSERT INTO dossier_progress (dossier_id, status)"
            " SELECT id, status FROM dossiers WHERE id = ? ON CONFLICT DO NOTHING",
            (dossier_id,),
        )
        await tx.execute(
            "UPDATE dossier_progress SET handwritten_d = ?, verif_sent = ?, verif_pending = ?,"
            " verif_done_d = ?, chi_bo_d = ?, dang_uy_d = ?, decision_d = ?, ceremony_d = ?,"
            " official_d = ?, not_admitted_d = ? WHERE dossier_id = ?",
            (
                derived.handwritten_d,
                len(derived.verifications),
                pending,
                derived.verif_done_d,
                derived.chi_bo_d,
                derived.dang_uy_d,
                derived.decision_d,
                derived.ceremony_d,
                derived.official_d,
                derived.not_admitted_d,
                dossier_id,
            ),
        )
        await tx.execute("DELETE FROM verifications WHERE dossier_id = ?", (dossier_id,))
        unit_id = await self.s.fetchval(
            "SELECT unit_id FROM dossier_progress WHERE dossier_id = ?", (dossier_id,)
        )
        await tx.executemany(
            "INSERT INTO verifications (dossier_id, person, abroad, sent_d, returned_d, unit_id,"
            " abroad_reason, abroad_override) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    dossier_id,
                    v.person,
                    int(v.abroad),
                    v.sent_d,
                    v.returned_d,
                    unit_id,
                    v.reason,
                    int(v.override),
                )
                for v in derived.verifications
                if derived.not_admitted_d is None or v.returned_d is not None
            ],
        )

    async def progress(self, dossier_id: int) -> ProgressRow | None:
        row = await self.s.fetchone(
            f"SELECT {_PROGRESS_COLS} FROM dossier_progress WHERE dossier_id = ?", (dossier_id,)
        )
        return ProgressRow(*row) if row else None

    async def progress_in(
        self, unit_ids: Sequence[int] | None, phases: Sequence[str] = (), limit: int = 50
    ) -> list[ProgressRow]:
        """Dossiers of these units (optionally in these phases), by number."""
        where, units = unit_filter(unit_ids)
        params: list[int | str] = [*units]
        if phases:
            where += f" AND phase IN ({','.join('?' * len(phases))})"
            params += phases
        rows = await self.s.fetchall(
            f"SELECT {_PROGRESS_COLS} FROM dossier_progress WHERE phase <> 'deleted'{where}"
            " ORDER BY dossier_id LIMIT ?",
            (*params, limit),
        )
        return [ProgressRow(*r) for r in rows]

    async def open_deadlines(
        self,
        unit_ids: Sequence[int] | None,
        phases: Sequence[str],
        limit: int,
        *,
        wide: bool = True,
    ) -> list[tuple[str, int, int]]:
        """(clock, dossier id, start day) of the clocks still running on dossiers in these
        phases: for each clock the ``limit`` earliest starts, whether overdue or not (a
        clock's deadline grows with its start, so these hold its ``limit`` nearest
        deadlines). Verifications count once per dossier, the earliest reply awaited, as
        ``verification`` (30 working days) and ``verification_abroad`` (90)."""
        where, params = unit_filter(unit_ids, "p.unit_id")
        marks = ",".join("?" * len(phases))
        out: list[tuple[str, int, int]] = []
        for clock, (start, cond, index) in _DEADLINE_SQL.items():
            rows = await self.s.fetchall(
                f"SELECT p.dossier_id, {start} FROM dossier_progress p{pin_index(wide, index)}"
                f" WHERE {cond} AND {start} IS NOT NULL AND p.phase IN ({marks}){where}"
                f" ORDER BY {start}, p.dossier_id LIMIT ?",
                (*phases, *params, limit),
            )
            out += [(clock, r[0], r[1]) for r in rows]
        for clock, abroad in (("verification", 0), ("verification_abroad", 1)):
            rows = await self.s.fetchall(
                "SELECT p.dossier_id, min(p.sent_d) AS first FROM verifications p"
                f" WHERE p.returned_d IS NULL AND p.abroad = ?{where}"
                " GROUP BY p.dossier_id ORDER BY first, p.dossier_id LIMIT ?",
                (abroad, *params, limit),
            )
            out += [(clock, r[0], r[1]) for r in rows]
        return out

    async def count_in(self, unit_ids: Sequence[int] | None, phases: Sequence[str]) -> int:
        """How many dossiers of these units are in these phases."""
        where, params = unit_filter(unit_ids)
        row = await self.s.fetchone(
            f"SELECT count(*) FROM dossier_progress WHERE phase IN ({','.join('?' * len(phases))})"
            f"{where}",
            (*phases, *params),
        )
        return int(row[0]) if row else 0

    async def verifications(self, dossier_id: int) -> list[Verification]:
        rows = await self.s.fetchall(
            "SELECT person, abroad, sent_d, returned_d FROM verifications WHERE dossier_id = ?"
            " ORDER BY id",
            (dossier_id,),
        )
        return [Verification(r[0], bool(r[1]), r[2], r[3]) for r in rows]
