"""What a summary shows, as plain values, and :func:`build_summary` — the pure step from the
aggregate rows to those values (percentages, pace, medians, the per-sub-unit roll-up)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from admission.deadlines import CLOCKS, OVERDUE
from admission.stages import PHASES
from forms import texts
from storage.stages import DURATIONS, OverdueItem, TargetRow, TermTargetRow, UnitRow


@dataclass(frozen=True, slots=True)
class TargetProgress:
    year: int
    target: int
    deadline: date
    admitted: int
    days_left: int  # negative once the deadline has passed

    @property
    def remaining(self) -> int:
        return max(0, self.target - self.admitted)

    @property
    def per_week(self) -> float | None:
        """Admissions needed per week to reach the target by the deadline."""
        if self.remaining == 0 or self.days_left <= 0:
            return None
        return self.remaining / (self.days_left / 7)


@dataclass(frozen=True, slots=True)
class TermProgress:
    start_year: int
    end_year: int
    target: int
    admitted: int


@dataclass(frozen=True, slots=True)
class SubUnitLine:
    unit_id: int
    name: str
    phases: dict[str, int]
    admitted: int
    target: int | None

    @property
    def total(self) -> int:
        return sum(self.phases.values())


@dataclass(frozen=True, slots=True)
class Quality:
    approved: int  # dossiers whose 2-KNĐ was approved
    first_time: int  # of which never returned
    returns: int  # total returns among them

    @property
    def average_returns(self) -> float | None:
        return self.returns / self.approved if self.approved else None


@dataclass(slots=True)
class Summary:
    unit_id: int
    unit_name: str
    today: date
    phases: dict[str, int]
    submitted_by_level: dict[str, int]
    sub_units: list[SubUnitLine]
    year_target: TargetProgress | None
    admitted_this_year: int
    term: TermProgress | None
    overdue_counts: dict[str, int]
    overdue_items: list[OverdueItem]
    quality: Quality
    top_flags: list[tuple[str, int]]
    medians: dict[str, float]
    unit_names: dict[int, str] = field(default_factory=dict)
    # approved candidates the chi bộ may not vote on yet: not 18 (counted in months) today
    under_age_count: int = 0
    under_age_items: list[OverdueItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.phases.values())

    @property
    def overdue_total(self) -> int:
        """Items past a deadline (the reminders of a deadline ahead are not counted)."""
        return sum(n for clock, n in self.overdue_counts.items() if clock in OVERDUE)


def median_from_histogram(hist: Iterable[tuple[int, int]]) -> float | None:
    """Median of values given as (value, count) pairs."""
    pairs = sorted((v, c) for v, c in hist if c > 0)
    n = sum(c for _, c in pairs)
    if n == 0:
        return None
    lo_rank, hi_rank = (n - 1) // 2, n // 2
    lo = hi = None
    seen = 0
    for value, count in pairs:
        if lo is None and lo_rank < seen + count:
            lo = value
        if hi_rank < seen + count:
            hi = value
            break
        seen += count
    assert lo is not None and hi is not None
    return (lo + hi) / 2


def subtree_of(units: Sequence[UnitRow], root_id: int) -> list[int]:
    children: dict[int | None, list[int]] = {}
    for u in units:
        children.setdefault(u.parent_id, []).append(u.id)
    out: list[int] = []
    stack = [root_id]
    while stack:
        uid = stack.pop()
        out.append(uid)
        stack.extend(children.get(uid, ()))
    return out


def top_child_map(units: Sequence[UnitRow], root_id: int) -> dict[int, int]:
    """Each unit of the subtree → the root's child it sits under (the root maps to itself)."""
    parent = {u.id: u.parent_id for u in units}
    out: dict[int, int] = {root_id: root_id}
    for uid in subtree_of(units, root_id):
        node = uid
        while node != root_id and parent[node] != root_id:
            node = parent[node]  # type: ignore[assignment]
        out[uid] = node
    return out


@dataclass(frozen=True, slots=True)
class SummaryRows:
    """The aggregate rows of one summary, as :func:`handlers.summary.load.load_summary`
    reads them."""

    phase_rows: Sequence[tuple[int | None, str, int | None, int]]
    level_names: dict[int, str]
    admissions_year: dict[int | None, int]
    admissions_term: int | None
    year_target: TargetRow | None
    sub_targets: dict[int, TargetRow]
    term: TermTargetRow | None
    overdue_counts: dict[str, int]
    overdue_items: list[OverdueItem]
    quality: tuple[int, int, int]
    top_flags: list[tuple[str, int]]
    histograms: dict[str, list[tuple[int, int]]]
    under_age_count: int = 0
    under_age_items: list[OverdueItem] = field(default_factory=list)


@dataclass(slots=True)
class _PhaseCounts:
    phases: dict[str, int]
    by_level: dict[str, int]
    per_sub: dict[int, dict[str, int]]


def _count_phases(rows: SummaryRows, top: dict[int, int]) -> _PhaseCounts:
    """Dossiers per stage, per reviewing level (by name) and per sub-unit."""
    counts = _PhaseCounts({p: 0 for p in PHASES}, {}, {})
    for unit_id, phase, level, count in rows.phase_rows:
        if phase not in counts.phases:
            continue
        counts.phases[phase] += count
        if phase == "submitted":
            name = rows.level_names.get(level or 0) or texts.message("secretary.phases.submitted")
            counts.by_level[name] = counts.by_level.get(name, 0) + count
        sub = top.get(unit_id) if unit_id is not None else None
        if sub is not None:  # the root itself too: its own dossiers get their own line
            bucket = counts.per_sub.setdefault(sub, {})
            bucket[phase] = bucket.get(phase, 0) + count
    return counts


def _sub_lines(
    root: UnitRow,
    units: Sequence[UnitRow],
    rows: SummaryRows,
    top: dict[int, int],
    per_sub: dict[int, dict[str, int]],
) -> list[SubUnitLine]:
    """One line per unit directly below the root (and one for the root's own dossiers)."""
    admitted_sub: dict[int, int] = {}
    for unit_id, count in rows.admissions_year.items():
        sub = top.get(unit_id) if unit_id is not None else None
        if sub is not None:
            admitted_sub[sub] = admitted_sub.get(sub, 0) + count
    targets = rows.sub_targets
    lines = [
        SubUnitLine(
            u.id,
            u.name,
            per_sub.get(u.id, {}),
            admitted_sub.get(u.id, 0),
            targets[u.id].target if u.id in targets else None,
        )
        for u in units
        if u.parent_id == root.id
    ]
    if lines and root.id in per_sub:
        # dossiers kept at the unit itself: without this line the sub-units would not add
        # up to the total
        own_name = texts.message("secretary.summary.own_dossiers", unit=root.name)
        own = SubUnitLine(root.id, own_name, per_sub[root.id], admitted_sub.get(root.id, 0), None)
        lines.insert(0, own)
    return lines


def _medians(histograms: dict[str, list[tuple[int, int]]]) -> dict[str, float]:
    medians: dict[str, float] = {}
    for name, *_ in (*DURATIONS, ("tra_loi_tham_tra",)):
        value = median_from_histogram(histograms.get(name, ()))
        if value is not None:
            medians[name] = value
    return medians


def build_summary(
    root: UnitRow, units: Sequence[UnitRow], today: date, rows: SummaryRows
) -> Summary:
    """Everything the text and the chart show, from the aggregate rows (pure)."""
    top = top_child_map(units, root.id)
    counts = _count_phases(rows, top)
    admitted = sum(rows.admissions_year.values())
    target_progress = None
    if rows.year_target is not None:
        t = rows.year_target
        deadline = date.fromisoformat(t.deadline_iso)
        target_progress = TargetProgress(
            t.year, t.target, deadline, admitted, (deadline - today).days
        )
    term_progress = None
    if rows.term is not None:
        term = rows.term
        term_progress = TermProgress(
            term.start_year, term.end_year, term.target, rows.admissions_term or 0
        )
    return Summary(
        unit_id=root.id,
        unit_name=root.name,
        today=today,
        phases=counts.phases,
        submitted_by_level=counts.by_level,
        sub_units=_sub_lines(root, units, rows, top, counts.per_sub),
        year_target=target_progress,
        admitted_this_year=admitted,
        term=term_progress,
        overdue_counts={clock: rows.overdue_counts.get(clock, 0) for clock in CLOCKS},
        overdue_items=rows.overdue_items,
        quality=Quality(*rows.quality),
        top_flags=rows.top_flags,
        medians=_medians(rows.histograms),
        unit_names={u.id: u.name for u in units},
        under_age_count=rows.under_age_count,
        under_age_items=rows.under_age_items,
    )
