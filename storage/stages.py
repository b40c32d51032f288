"""The dossier's life after approval, targets, reminders sent, and the summary's queries.

Why this shape
--------------
* ``stage_events`` (001) is the record of what secretaries and reviewers entered: one row per
  step with its date. It is the source of truth. ``dossier_progress`` and ``verifications``
  (005) are *derived* from it and from the dossier's own columns, and are written in the same
  transaction as the change that causes them: by triggers when anyone updates ``dossiers`` or
  inserts a return into ``review_decisions``, and by :meth:`Stages.write_progress` when a step
  is recorded or undone. The summary therefore reads one narrow integer row per dossier and
  never parses dossier JSON.
* Dates in the derived tables are day numbers (days since 1970-01-01, local date), so "how
  many days in this stage" is a subtraction and "overdue" is ``day < cut-off``: the working
  day arithmetic is done once per summary in Python (``handlers.summary.cutoffs``), not per
  dossier.
* Aggregation happens in SQL (GROUP BY); Python receives hundreds of rows, not 100 000.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.db import Repo, Tx

# Steps recorded after the 2-KNĐ is approved, in the order of the procedure.
STEPS: tuple[str, ...] = (
    "ban_viet_tay",  # handwritten copy of the biography handed in
    "tham_tra_gui",  # verification request sent (per person verified)
    "tham_tra_ve",  # verification reply received (per person verified)
    "chi_bo",  # chi bộ resolution proposing admission (6-KNĐ)
    "dang_uy",  # đảng ủy resolution (8-KNĐ)
    "quyet_dinh",  # admission decision (9-KNĐ)
    "ket_nap",  # admission ceremony: probation starts
    "chinh_thuc",  # recognised as official member (16-KNĐ)
)

# Phases of dossier_progress.phase, in pipeline order (the funnel).
PHASES: tuple[str, ...] = (
    "draft",
    "submitted",
    "returned",
    "approved",
    "handwritten",
    "verifying",
    "verified",
    "chi_bo",
    "dang_uy",
    "decided",
    "probation",
    "official",
)

# Overdue clocks, in the order the summary lists them.
CLOCKS: tuple[str, ...] = (
    "verification",
    "decision",
    "ceremony",
    "certificate",
    "dossier_age",
    "probation_ending",
    "probation_over",
    "idle",
)
# Of those, the reminders of a deadline still ahead (not overdue): listed under their own
# heading ("Sắp đến hạn"), never under "Quá hạn".
UPCOMING: tuple[str, ...] = ("probation_ending",)
OVERDUE: tuple[str, ...] = tuple(c for c in CLOCKS if c not in UPCOMING)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _tx(repo: Repo) -> Tx:
    if not isinstance(repo.s, Tx):
        raise TypeError("writes need a transaction: `async with db.transaction() as tx`")
    return repo.s


def _in(ids: Sequence[int] | None, column: str = "unit_id") -> tuple[str, list[int]]:
    """An ``AND column IN (...)`` filter; ``None`` means every unit (no filter)."""
    if ids is None:
        return "", []
    if not ids:
        return " AND 0", []
    return f" AND {column} IN ({','.join('?' * len(ids))})", list(ids)


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class StageEventRow:
    id: int
    dossier_id: int
    stage: str
    day: int  # day number
    person: str  # person verified (tham_tra_*), else ''
    abroad: bool
    recorded_by: int | None
    recorded_at: str
    # tham_tra_gui: why the dossier says the person is abroad ("" if it does not), and
    # whether the secretary chose otherwise than the dossier says (an override).
    abroad_reason: str = ""
    abroad_override: bool = False


@dataclass(frozen=True, slots=True)
class VerificationRow:
    person: str
    abroad: bool
    sent_d: int
    returned_d: int | None
    reason: str = ""  # the dossier's reason for "abroad" (see StageEventRow)
    override: bool = False  # the secretary chose otherwise than the dossier says


@dataclass(frozen=True, slots=True)
class ProgressRow:
    """One dossier as the summary sees it (dates are day numbers)."""

    dossier_id: int
    unit_id: int | None
    status: str
    review_level: int | None
    full_name: str
    phase: str
    opened_d: int | None
    approved_d: int | None
    handwritten_d: int | None
    chi_bo_d: int | None
    dang_uy_d: int | None
    decision_d: int | None
    ceremony_d: int | None
    official_d: int | None
    returns: int


@dataclass(frozen=True, slots=True)
class DerivedStages:
    """What :meth:`Stages.write_progress` stores, folded from the events."""

    handwritten_d: int | None
    chi_bo_d: int | None
    dang_uy_d: int | None
    decision_d: int | None
    ceremony_d: int | None
    official_d: int | None
    verifications: tuple[VerificationRow, ...]

    @property
    def verif_done_d(self) -> int | None:
        if not self.verifications or any(v.returned_d is None for v in self.verifications):
            return None
        return max(v.returned_d for v in self.verifications if v.returned_d is not None)


@dataclass(frozen=True, slots=True)
class UnitRow:
    id: int
    parent_id: int | None
    name: str
    group_platform: str | None
    group_chat_id: str | None
    digest_hour: int | None


@dataclass(frozen=True, slots=True)
class TargetRow:
    unit_id: int
    year: int
    target: int
    deadline_iso: str


@dataclass(frozen=True, slots=True)
class TermTargetRow:
    unit_id: int
    start_year: int
    end_year: int
    target: int


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """Day numbers: a clock is overdue when its start day is below the cut-off.

    Built by ``handlers.summary.cutoffs`` from the working-day calendar.
    """

    today: int
    verification: int  # sent before this → more than 30 working days
    verification_abroad: int  # 90 working days
    decision: int  # chi bộ vote before this → decision late (45 working days)
    ceremony: int  # decision before this → ceremony late (30 working days)
    certificate: int  # certificate before this → older than 60 months
    dossier_age: int  # opened before this → older than 12 months
    probation_from: int  # ceremony on/after this and before probation_to → ends within 30 days
    probation_to: int
    probation_over: int  # ceremony before this → probation ended 30+ working days ago
    idle: int  # draft untouched since before this → idle 14 days


@dataclass(frozen=True, slots=True)
class OverdueItem:
    clock: str
    dossier_id: int
    unit_id: int | None
    full_name: str
    since_d: int  # the day the clock started
    person: str = ""  # person verified
    abroad: bool = False
    abroad_reason: str = ""  # verification: the dossier's reason for "abroad"
    abroad_override: bool = False  # verification: the secretary chose otherwise

    @property
    def key(self) -> str:
        return f"{self.clock}:{self.dossier_id}:{self.person}"


@dataclass(frozen=True, slots=True)
class IdleCandidate:
    dossier_id: int
    person_id: int
    platform: str
    platform_user_id: str
    updated_d: int


# Clock → (SQL condition on dossier_progress p, start column, its partial index of 006).
_ACTIVE = "p.phase NOT IN ('deleted', 'official')"
_CLOCK_SQL: dict[str, tuple[str, str, str]] = {
    "decision": (
        "p.chi_bo_d < :decision AND p.decision_d IS NULL",
        "p.chi_bo_d",
        "dossier_progress_clock_decision",
    ),
    "ceremony": (
        "p.decision_d < :ceremony AND p.ceremony_d IS NULL",
        "p.decision_d",
        "dossier_progress_clock_ceremony",
    ),
    "certificate": (
        "p.cert_d < :certificate AND p.chi_bo_d IS NULL AND p.phase <> 'draft'",
        "p.cert_d",
        "dossier_progress_clock_certificate",
    ),
    "dossier_age": (
        "p.opened_d < :dossier_age AND p.chi_bo_d IS NULL",
        "p.opened_d",
        "dossier_progress_clock_age",
    ),
    "probation_ending": (
        "p.ceremony_d >= :probation_from AND p.ceremony_d < :probation_to AND p.official_d IS NULL",
        "p.ceremony_d",
        "dossier_progress_clock_probation",
    ),
    "probation_over": (
        "p.ceremony_d < :probation_over AND p.official_d IS NULL",
        "p.ceremony_d",
        "dossier_progress_clock_probation",
    ),
    "idle": (
        "p.status = 'draft' AND p.updated_d < :idle",
        "p.updated_d",
        "dossier_progress_clock_idle",
    ),
}
# The clocks still running on a dossier, for "what needs action first" (/buoc): clock →
# (start column, open condition, the partial index of 006 holding exactly the open ones).
_DEADLINE_SQL: dict[str, tuple[str, str, str]] = {
    "decision": ("p.chi_bo_d", "p.decision_d IS NULL", "dossier_progress_clock_decision"),
    "ceremony": ("p.decision_d", "p.ceremony_d IS NULL", "dossier_progress_clock_ceremony"),
    "probation": ("p.ceremony_d", "p.official_d IS NULL", "dossier_progress_clock_probation"),
    "certificate": ("p.cert_d", "p.chi_bo_d IS NULL", "dossier_progress_clock_certificate"),
    "dossier_age": ("p.opened_d", "p.chi_bo_d IS NULL", "dossier_progress_clock_age"),
}
_VERIF_SQL = (
    "p.returned_d IS NULL AND p.sent_d < :verification"
    " AND (p.abroad = 0 OR p.sent_d < :verification_abroad)"
)
# Below this many dossiers in scope, reading the scope's rows through the unit index beats
# scanning a date range of the whole table (the summary of one chi bộ vs. of a đảng bộ).
WIDE_SCOPE = 3000


def _index(wide: bool, name: str) -> str:
    """Pin the query plan: the clock/date index for a wide scope, the unit index otherwise.

    SQLite's planner otherwise takes an ``x IS NULL`` equality on a leading column of a
    non-covering index and reads half the table row by row.
    """
    return f" INDEXED BY {name if wide else 'dossier_progress_unit'}"


# Stage durations for the medians: (name, start column, end column).
DURATIONS: tuple[tuple[str, str, str, str], ...] = (
    # (name, start column, end column, index of 006 on (end, start, unit_id, status))
    ("khai", "opened_d", "first_submitted_d", "dossier_progress_dur_khai"),
    ("xet_duyet", "first_submitted_d", "approved_d", "dossier_progress_dur_xet"),
    ("viet_tay", "approved_d", "handwritten_d", "dossier_progress_dur_viet"),
    ("tham_tra_chi_bo", "handwritten_d", "chi_bo_d", "dossier_progress_dur_chibo"),
    ("dang_uy", "chi_bo_d", "dang_uy_d", "dossier_progress_dur_danguy"),
    ("quyet_dinh", "dang_uy_d", "decision_d", "dossier_progress_dur_qd"),
    ("ket_nap", "decision_d", "ceremony_d", "dossier_progress_dur_kn"),
    ("du_bi", "ceremony_d", "official_d", "dossier_progress_dur_ct"),
)


class Stages(Repo):
    """Stage records, targets, notifications and the summary's aggregate queries."""

    # -- stage events ------------------------------------------------------------------------
    async def events(self, dossier_id: int) -> list[StageEventRow]:
        rows = await self.s.fetchall(
            "SELECT id, dossier_id, stage,"
            " CAST(julianday(happened_on) - 2440587.5 AS INTEGER),"
            " coalesce(json_extract(detail, '$.person'), ''),"
            " coalesce(json_extract(detail, '$.abroad'), 0), recorded_by, recorded_at,"
            " coalesce(json_extract(detail, '$.abroad_reason'), ''),"
            " coalesce(json_extract(detail, '$.abroad_override'), 0)"
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
        if stage not in STEPS:
            raise ValueError(f"unknown stage {stage!r}")
        tx = _tx(self)
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
            (dossier_id, stage, happened_on_iso, _dumps(detail), recorded_by, tx.now),
        )

    async def delete_event(self, event_id: int) -> bool:
        return await _tx(self).execute("DELETE FROM stage_events WHERE id = ?", (event_id,)) == 1

    async def write_progress(self, dossier_id: int, derived: DerivedStages) -> None:
        """Store the stage columns and verification rows folded from the events."""
        tx = _tx(self)
        pending = sum(1 for v in derived.verifications if v.returned_d is None)
        await tx.execute(
            "INSERT OR IGNORE INTO dossier_progress (dossier_id, status)"
            " SELECT id, status FROM dossiers WHERE id = ?",
            (dossier_id,),
        )
        await tx.execute(
            "UPDATE dossier_progress SET handwritten_d = ?, verif_sent = ?, verif_pending = ?,"
            " verif_done_d = ?, chi_bo_d = ?, dang_uy_d = ?, decision_d = ?, ceremony_d = ?,"
            " official_d = ? WHERE dossier_id = ?",
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
        """Dossiers of these units (optionally in these phases), most advanced first."""
        where, params = _in(unit_ids)
        if phases:
            where += f" AND phase IN ({','.join('?' * len(phases))})"
            params += list(phases)
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
        where, params = _in(unit_ids, "p.unit_id")
        marks = ",".join("?" * len(phases))
        out: list[tuple[str, int, int]] = []
        for clock, (start, cond, index) in _DEADLINE_SQL.items():
            rows = await self.s.fetchall(
                f"SELECT p.dossier_id, {start} FROM dossier_progress p{_index(wide, index)}"
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
        where, params = _in(unit_ids)
        row = await self.s.fetchone(
            f"SELECT count(*) FROM dossier_progress WHERE phase IN ({','.join('?' * len(phases))})"
            f"{where}",
            (*phases, *params),
        )
        return int(row[0]) if row else 0

    async def verifications(self, dossier_id: int) -> list[VerificationRow]:
        rows = await self.s.fetchall(
            "SELECT person, abroad, sent_d, returned_d FROM verifications WHERE dossier_id = ?"
            " ORDER BY id",
            (dossier_id,),
        )
        return [VerificationRow(r[0], bool(r[1]), r[2], r[3]) for r in rows]

    # -- units (read-only; the organisation belongs to storage.reviews) ----------------------
    async def unit_rows(self) -> list[UnitRow]:
        rows = await self.s.fetchall(
            "SELECT id, parent_id, name, group_platform, group_chat_id, digest_hour FROM units"
            " ORDER BY id"
        )
        return [UnitRow(*r) for r in rows]

    async def set_digest_hour(self, unit_id: int, hour: int | None) -> None:
        """The local hour of the unit's daily digest; -1 turns it off, None = default."""
        await _tx(self).execute("UPDATE units SET digest_hour = ? WHERE id = ?", (hour, unit_id))

    # -- targets -----------------------------------------------------------------------------
    async def set_target(
        self, unit_id: int, year: int, target: int, deadline_iso: str, set_by: int | None
    ) -> None:
        tx = _tx(self)
        await tx.execute(
            "INSERT INTO targets (unit_id, year, target, deadline, set_by, set_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unit_id, year) DO UPDATE SET"
            " target = excluded.target, deadline = excluded.deadline,"
            " set_by = excluded.set_by, set_at = excluded.set_at",
            (unit_id, year, target, deadline_iso, set_by, tx.now),
        )

    async def targets(self, unit_ids: Sequence[int], year: int) -> dict[int, TargetRow]:
        where, params = _in(unit_ids)
        rows = await self.s.fetchall(
            f"SELECT unit_id, year, target, deadline FROM targets WHERE year = ?{where}",
            (year, *params),
        )
        return {r[0]: TargetRow(*r) for r in rows}

    async def set_term_target(
        self, unit_id: int, start_year: int, end_year: int, target: int, set_by: int | None
    ) -> None:
        tx = _tx(self)
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

    # -- the summary's aggregates ------------------------------------------------------------
    async def phase_counts(
        self, unit_ids: Sequence[int] | None
    ) -> list[tuple[int | None, str, int | None, int]]:
        """(unit_id, phase, review_level, count) over the units' dossiers."""
        where, params = _in(unit_ids)
        rows = await self.s.fetchall(
            "SELECT unit_id, phase, review_level, count(*) FROM dossier_progress"
            f" WHERE phase <> 'deleted'{where} GROUP BY unit_id, phase, review_level",
            params,
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def admissions(
        self, unit_ids: Sequence[int] | None, first_d: int, last_d: int, *, wide: bool = True
    ) -> dict[int | None, int]:
        """Admission decisions (9-KNĐ) dated in [first_d, last_d], per unit."""
        where, params = _in(unit_ids)
        rows = await self.s.fetchall(
            "SELECT unit_id, count(*) FROM dossier_progress"
            f"{_index(wide, 'dossier_progress_decision')}"
            f" WHERE decision_d BETWEEN ? AND ? AND status <> 'deleted'{where} GROUP BY unit_id",
            (first_d, last_d, *params),
        )
        return {r[0]: r[1] for r in rows}

    async def overdue_counts(
        self, unit_ids: Sequence[int] | None, cut: Cutoffs, *, wide: bool = True
    ) -> dict[str, int]:
        """How many items each clock has overdue (verification: per person).

        Each clock is one range of its partial index (migration 006).
        """
        where, params = _in(unit_ids, "p.unit_id")
        named = _named(cut)
        named.update({f"u{i}": u for i, u in enumerate(params)})
        where = _rename(where, len(params))
        parts = [
            f"SELECT '{clock}', count(*) FROM dossier_progress p{_index(wide, index)}"
            f" WHERE {cond} AND {_ACTIVE}{where}"
            for clock, (cond, _start, index) in _CLOCK_SQL.items()
        ]
        parts.append(
            "SELECT 'verification', count(*) FROM verifications p"
            f" INDEXED BY verifications_pending WHERE {_VERIF_SQL}{where}"
        )
        rows = await self.s.fetchall(" UNION ALL ".join(parts), named)
        return {r[0]: r[1] for r in rows}

    async def overdue_items(
        self,
        unit_ids: Sequence[int] | None,
        cut: Cutoffs,
        limit: int | None = 5,
        *,
        wide: bool = True,
    ) -> list[OverdueItem]:
        """The overdue items themselves, oldest first; at most ``limit`` per clock."""
        where, params = _in(unit_ids, "p.unit_id")
        named = _named(cut)
        named.update({f"u{i}": u for i, u in enumerate(params)})
        where = _rename(where, len(params))
        lim = "" if limit is None else f" LIMIT {int(limit)}"
        out: list[OverdueItem] = []
        rows = await self.s.fetchall(
            "SELECT v.dossier_id, v.unit_id, d.full_name, v.sent_d, v.person, v.abroad,"
            " v.abroad_reason, v.abroad_override FROM"
            " (SELECT * FROM verifications p INDEXED BY verifications_pending"
            f" WHERE {_VERIF_SQL}{where} ORDER BY p.sent_d, p.id{lim}) v"
            " JOIN dossier_progress d ON d.dossier_id = v.dossier_id ORDER BY v.sent_d, v.id",
            named,
        )
        out += [
            OverdueItem("verification", r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], bool(r[7]))
            for r in rows
        ]
        for clock, (cond, start, index) in _CLOCK_SQL.items():
            rows = await self.s.fetchall(
                f"SELECT p.dossier_id, p.unit_id, p.full_name, {start}"
                f" FROM dossier_progress p{_index(wide, index)}"
                f" WHERE {cond} AND {_ACTIVE}{where} ORDER BY {start}, p.dossier_id{lim}",
                named,
            )
            out += [OverdueItem(clock, r[0], r[1], r[2], r[3]) for r in rows]
        return out

    async def under_age(
        self, unit_ids: Sequence[int] | None, born_from: int, limit: int = 5
    ) -> tuple[int, list[OverdueItem]]:
        """Approved candidates not yet voted on by the chi bộ and born on or after the day
        number ``born_from`` (not 18 yet): how many, and the ``limit`` who turn 18 first (as
        items of the pseudo-clock ``under_18`` whose start is the date of birth)."""
        where, params = _in(unit_ids, "p.unit_id")
        cond = (
            "p.chi_bo_d IS NULL AND p.approved_d IS NOT NULL AND p.birth_d IS NOT NULL"
            f" AND p.birth_d >= ? AND {_ACTIVE}{where}"
        )
        index = " INDEXED BY dossier_progress_young"
        count = await self.s.fetchval(
            f"SELECT count(*) FROM dossier_progress p{index} WHERE {cond}", (born_from, *params)
        )
        rows = await self.s.fetchall(
            f"SELECT p.dossier_id, p.unit_id, p.full_name, p.birth_d"
            f" FROM dossier_progress p{index} WHERE {cond}"
            " ORDER BY p.birth_d, p.dossier_id LIMIT ?",
            (born_from, *params, limit),
        )
        return int(count or 0), [OverdueItem("under_18", r[0], r[1], r[2], r[3]) for r in rows]

    async def quality(
        self, unit_ids: Sequence[int] | None, *, wide: bool = True
    ) -> tuple[int, int, int]:
        """(dossiers ever approved, of which never returned, total returns among them)."""
        where, params = _in(unit_ids)
        rows = await self.s.fetchall(
            "SELECT returns, count(*) FROM dossier_progress"
            f"{_index(wide, 'dossier_progress_returns')}"
            f" WHERE approved_d IS NOT NULL AND status <> 'deleted'{where} GROUP BY returns",
            params,
        )
        approved = sum(n for _, n in rows)
        first_time = sum(n for returns, n in rows if returns == 0)
        return approved, first_time, sum(returns * n for returns, n in rows)

    async def duration_histograms(
        self, unit_ids: Sequence[int] | None, since_d: int, *, wide: bool = True
    ) -> dict[str, list[tuple[int, int]]]:
        """Per stage, (days spent, number of dossiers) for stages completed since ``since_d``."""
        where, params = _in(unit_ids)
        parts = []
        all_params: list[int] = []
        for name, start, end, index in DURATIONS:
            parts.append(
                f"SELECT '{name}', {end} - {start} AS d, count(*) FROM dossier_progress"
                f"{_index(wide, index)} WHERE {end} >= ? AND {start} IS NOT NULL"
                f" AND status <> 'deleted'{where} GROUP BY d"
            )
            all_params += [since_d, *params]
        parts.append(
            "SELECT 'tra_loi_tham_tra', returned_d - sent_d AS d, count(*) FROM verifications"
            f" INDEXED BY verifications_returned WHERE returned_d >= ?{where} GROUP BY d"
        )
        all_params += [since_d, *params]
        rows = await self.s.fetchall(" UNION ALL ".join(parts), all_params)
        out: dict[str, list[tuple[int, int]]] = {}
        for name, days, count in rows:
            out.setdefault(name, []).append((int(days), int(count)))
        return out

    async def top_flags(
        self, unit_ids: Sequence[int] | None, limit: int = 5
    ) -> list[tuple[str, int]]:
        """The rules flagged on most submitted dossiers (from the per-revision cache)."""
        where, params = _in(unit_ids)
        rows = await self.s.fetchall(
            f"SELECT rule, count(*) AS n FROM dossier_flags WHERE 1{where} GROUP BY rule"
            " ORDER BY n DESC, rule LIMIT ?",
            (*params, limit),
        )
        return [(r[0], r[1]) for r in rows]

    async def stale_flag_dossiers(self, limit: int) -> list[tuple[int, int]]:
        """(dossier_id, revision) of submitted-or-later dossiers whose cached flags are old."""
        rows = await self.s.fetchall(
            "SELECT dossier_id, revision FROM dossier_progress"
            " WHERE phase NOT IN ('draft', 'deleted') AND flags_revision IS NOT revision"
            " ORDER BY dossier_id LIMIT ?",
            (limit,),
        )
        return [(r[0], r[1]) for r in rows]

    async def store_flags(
        self, dossier_id: int, revision: int, flags: Sequence[tuple[str, str]]
    ) -> None:
        """Replace the cached (rule, severity) list of a dossier, computed on ``revision``."""
        tx = _tx(self)
        await tx.execute("DELETE FROM dossier_flags WHERE dossier_id = ?", (dossier_id,))
        unit_id = await self.s.fetchval(
            "SELECT coalesce(unit_id, 0) FROM dossier_progress WHERE dossier_id = ?",
            (dossier_id,),
        )
        await tx.executemany(
            "INSERT OR IGNORE INTO dossier_flags (rule, unit_id, dossier_id, severity)"
            " VALUES (?, ?, ?, ?)",
            [(rule, unit_id or 0, dossier_id, severity) for rule, severity in flags],
        )
        await tx.execute(
            "UPDATE dossier_progress SET flags_revision = ? WHERE dossier_id = ?",
            (revision, dossier_id),
        )

    async def export_rows(self, unit_ids: Sequence[int] | None) -> list[dict[str, Any]]:
        """One dict per dossier for the spreadsheet (no dossier content beyond the name)."""
        where, params = _in(unit_ids, "p.unit_id")
        rows = await self.s.fetchall(
            "SELECT p.dossier_id, p.full_name, p.unit_id, p.phase, p.review_level, p.opened_d,"
            " p.first_submitted_d, p.approved_d, p.returns, p.handwritten_d, p.verif_sent,"
            " p.verif_pending, p.verif_done_d, p.chi_bo_d, p.dang_uy_d, p.decision_d,"
            " p.ceremony_d, p.official_d, p.cert_d, p.updated_d"
            f" FROM dossier_progress p WHERE p.phase <> 'deleted'{where}"
            " ORDER BY p.unit_id, p.dossier_id",
            params,
        )
        keys = (
            "dossier_id", "full_name", "unit_id", "phase", "review_level", "opened_d",
            "first_submitted_d", "approved_d", "returns", "handwritten_d", "verif_sent",
            "verif_pending", "verif_done_d", "chi_bo_d", "dang_uy_d", "decision_d",
            "ceremony_d", "official_d", "cert_d", "updated_d",
        )  # fmt: skip
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # -- reminders -----------------------------------------------------------------------------
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
        tx = _tx(self)
        return (
            await tx.execute(
                "INSERT OR IGNORE INTO notifications_sent (kind, key, sent_at) VALUES (?, ?, ?)",
                (kind, key, tx.now),
            )
            == 1
        )

    async def claim_many(self, kind: str, keys: Sequence[str]) -> list[str]:
        """Claim several keys at once; returns those that were not claimed before."""
        if not keys:
            return []
        tx = _tx(self)
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
            "INSERT OR IGNORE INTO notifications_sent (kind, key, sent_at) VALUES (?, ?, ?)",
            [(kind, k, tx.now) for k in fresh],
        )
        return fresh

    async def claim_if_older(self, kind: str, key: str, not_after_iso: str) -> bool:
        """Claim (kind, key) when never sent or last sent at or before ``not_after_iso``."""
        tx = _tx(self)
        changed = await tx.execute(
            "INSERT INTO notifications_sent (kind, key, sent_at) VALUES (?, ?, ?)"
            " ON CONFLICT (kind, key) DO UPDATE SET sent_at = excluded.sent_at"
            " WHERE notifications_sent.sent_at <= ?",
            (kind, key, tx.now, not_after_iso),
        )
        return changed == 1

    async def was_sent(self, kind: str, key: str) -> bool:
        return (
            await self.s.fetchval(
                "SELECT 1 FROM notifications_sent WHERE kind = ? AND key = ?", (kind, key)
            )
            is not None
        )


_PROGRESS_COLS = (
    "dossier_id, unit_id, status, review_level, full_name, phase, opened_d, approved_d,"
    " handwritten_d, chi_bo_d, dang_uy_d, decision_d, ceremony_d, official_d, returns"
)


def _named(cut: Cutoffs) -> dict[str, int]:
    return {
        "verification": cut.verification,
        "verification_abroad": cut.verification_abroad,
        "decision": cut.decision,
        "ceremony": cut.ceremony,
        "certificate": cut.certificate,
        "dossier_age": cut.dossier_age,
        "probation_from": cut.probation_from,
        "probation_to": cut.probation_to,
        "probation_over": cut.probation_over,
        "idle": cut.idle,
    }


def _rename(where: str, count: int) -> str:
    """Turn the ``?`` placeholders of an IN filter into named ``:u0, :u1…``."""
    for i in range(count):
        where = where.replace("?", f":u{i}", 1)
    return where
