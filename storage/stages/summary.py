"""The summary's aggregate queries over ``dossier_progress`` and ``verifications``.

Aggregation happens in SQL (GROUP BY); Python receives hundreds of rows, not 100 000. Each
overdue clock is one range of its partial index (migration 006): the cut-offs come from
:func:`admission.deadlines.cutoffs`, so the database compares day numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from admission.deadlines import Cutoffs
from storage.db import Repo
from storage.stages.rows import OverdueItem
from storage.stages.sql import pin_index, unit_filter

# The phases of a dossier no longer on its way: out of every clock.
_CLOSED = "('deleted', 'withdrawn', 'official', 'not_admitted')"
_ACTIVE = f"p.phase NOT IN {_CLOSED}"
# Clock → (SQL condition on dossier_progress p, start column, its partial index of 006).
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
# A verification still awaited past its deadline, of a dossier still on its way (one withdrawn
# or not admitted leaves the clocks: issue 11, a withdrawn dossier is nobody's work any more).
_VERIF_SQL = (
    "p.returned_d IS NULL AND p.sent_d < :verification"
    " AND (p.abroad = 0 OR p.sent_d < :verification_abroad)"
    " AND NOT EXISTS (SELECT 1 FROM dossier_progress c"
    f" WHERE c.dossier_id = p.dossier_id AND c.phase IN {_CLOSED})"
)

# Stage durations for the medians.
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


class SummaryQueries(Repo):
    """Counts per unit and stage, admissions, overdue clocks, quality, durations, flags."""

    async def phase_counts(
        self, unit_ids: Sequence[int] | None
    ) -> list[tuple[int | None, str, int | None, int]]:
        """(unit_id, phase, review_level, count) over the units' dossiers."""
        where, params = unit_filter(unit_ids)
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
        where, params = unit_filter(unit_ids)
        rows = await self.s.fetchall(
            "SELECT unit_id, count(*) FROM dossier_progress"
            f"{pin_index(wide, 'dossier_progress_decision')}"
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
        where, params = unit_filter(unit_ids, "p.unit_id")
        named = _named(cut)
        named.update({f"u{i}": u for i, u in enumerate(params)})
        where = _rename(where, len(params))
        parts = [
            f"SELECT '{clock}', count(*) FROM dossier_progress p{pin_index(wide, index)}"
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
        where, params = unit_filter(unit_ids, "p.unit_id")
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
                f" FROM dossier_progress p{pin_index(wide, index)}"
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
        where, params = unit_filter(unit_ids, "p.unit_id")
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
        where, params = unit_filter(unit_ids)
        rows = await self.s.fetchall(
            "SELECT returns, count(*) FROM dossier_progress"
            f"{pin_index(wide, 'dossier_progress_returns')}"
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
        where, params = unit_filter(unit_ids)
        parts = []
        all_params: list[int] = []
        for name, start, end, index in DURATIONS:
            parts.append(
                f"SELECT '{name}', {end} - {start} AS d, count(*) FROM dossier_progress"
                f"{pin_index(wide, index)} WHERE {end} >= ? AND {start} IS NOT NULL"
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
        where, params = unit_filter(unit_ids)
        rows = await self.s.fetchall(
            f"SELECT rule, count(*) AS n FROM dossier_flags WHERE 1{where} GROUP BY rule"
            " ORDER BY n DESC, rule LIMIT ?",
            (*params, limit),
        )
        return [(r[0], r[1]) for r in rows]

    async def export_rows(self, unit_ids: Sequence[int] | None) -> list[dict[str, Any]]:
        """One dict per dossier for the spreadsheet (no dossier content beyond the name)."""
        where, params = unit_filter(unit_ids, "p.unit_id")
        rows = await self.s.fetchall(
            "SELECT p.dossier_id, p.full_name, p.unit_id, p.phase, p.review_level, p.opened_d,"
            " p.first_submitted_d, p.approved_d, p.returns, p.handwritten_d, p.verif_sent,"
            " p.verif_pending, p.verif_done_d, p.chi_bo_d, p.dang_uy_d, p.decision_d,"
            " p.ceremony_d, p.official_d, p.cert_d, p.updated_d, p.not_admitted_d"
            f" FROM dossier_progress p WHERE p.phase <> 'deleted'{where}"
            " ORDER BY p.unit_id, p.dossier_id",
            params,
        )
        keys = (
            "dossier_id", "full_name", "unit_id", "phase", "review_level", "opened_d",
            "first_submitted_d", "approved_d", "returns", "handwritten_d", "verif_sent",
            "verif_pending", "verif_done_d", "chi_bo_d", "dang_uy_d", "decision_d",
            "ceremony_d", "official_d", "cert_d", "updated_d", "not_admitted_d",
        )  # fmt: skip
        return [dict(zip(keys, r, strict=True)) for r in rows]


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
