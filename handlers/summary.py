"""The secretaries' summary: what it computes, and how it reads in Vietnamese.

Split in three so each part is fast and testable on its own:

* :func:`cutoffs` turns today's date and the guidance's clocks (30/90/45/30 working days, 60
  and 12 months, 14 days) into day-number cut-offs, once per summary;
* :func:`load_summary` runs a handful of aggregate queries (``storage.stages``) for a unit and
  everything below it and hands the plain results to :func:`build_summary`, a pure function
  that adds percentages, pace, medians and the per-sub-unit roll-up;
* :func:`render_summary` formats the result with Vietnamese conventions (decimal comma,
  "58 %", dd/mm) through ``templates/secretary/summary.j2``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from forms import texts
from forms.parsers import format_date
from handlers.workdays import (
    DEFAULT_CALENDAR,
    WorkCalendar,
    add_months,
    day_number,
    from_day_number,
)
from storage.db import Database, Session
from storage.stages import (
    CLOCKS,
    DURATIONS,
    OVERDUE,
    PHASES,
    UPCOMING,
    WIDE_SCOPE,
    Cutoffs,
    OverdueItem,
    Stages,
    TargetRow,
    TermTargetRow,
    UnitRow,
)

log = logging.getLogger(__name__)

# The guidance's clocks (HD 06 3.4d, QĐ 294 4.1/4.3.1, HD 06 5.4a-b).
VERIFICATION_WD = 30
VERIFICATION_ABROAD_WD = 90
DECISION_WD = 45
CEREMONY_WD = 30
CERTIFICATE_MONTHS = 60
DOSSIER_MONTHS = 12
PROBATION_MONTHS = 12
PROBATION_WARNING_DAYS = 30
PROBATION_REVIEW_WD = 30
IDLE_DAYS = 14
ADULT_MONTHS = 18 * 12  # the age condition on the day the chi bộ considers the case (X1)
MEDIAN_MONTHS = 12  # medians over stages completed in the last 12 months


# ---------------------------------------------------------------------------------------------
# Vietnamese number formatting


def fmt_int(n: int) -> str:
    """12345 → "12.345" (Vietnamese thousands separator)."""
    return f"{n:,}".replace(",", ".")


def fmt_decimal(x: float, places: int = 1) -> str:
    """1.74 → "1,7"; 2.0 → "2"; 1234.5 → "1.234,5"."""
    text = f"{x:,.{places}f}"
    whole, _, frac = text.partition(".")
    whole = whole.replace(",", ".")
    frac = frac.rstrip("0")
    return f"{whole},{frac}" if frac else whole


def fmt_percent(part: int, whole: int) -> str:
    """87 of 150 → "58 %"; 191 of 200 → "95,5 %"; whole 0 → "–"."""
    if whole <= 0:
        return "–"
    return f"{fmt_decimal(100 * part / whole)} %"


def fmt_date(d: date, *, year: bool = True) -> str:
    return format_date(d) if year else f"{d.day:02d}/{d.month:02d}"


# ---------------------------------------------------------------------------------------------
# Clocks


def months_cutoff(today: date, months: int) -> date:
    """The first day ``c`` with ``add_months(c, months) >= today``: earlier starts are past."""
    c = add_months(today, -months) - timedelta(days=4)
    while add_months(c, months) < today:
        c += timedelta(days=1)
    return c


def cutoffs(today: date, calendar: WorkCalendar = DEFAULT_CALENDAR) -> Cutoffs:
    """Every overdue clock as "start day < cut-off" for ``today``."""
    probation_review = calendar.overdue_cutoff(today, PROBATION_REVIEW_WD)
    return Cutoffs(
        today=day_number(today),
        verification=day_number(calendar.overdue_cutoff(today, VERIFICATION_WD)),
        verification_abroad=day_number(calendar.overdue_cutoff(today, VERIFICATION_ABROAD_WD)),
        decision=day_number(calendar.overdue_cutoff(today, DECISION_WD)),
        ceremony=day_number(calendar.overdue_cutoff(today, CEREMONY_WD)),
        certificate=day_number(months_cutoff(today, CERTIFICATE_MONTHS)),
        dossier_age=day_number(months_cutoff(today, DOSSIER_MONTHS)),
        # probation ends on ceremony + 12 months; "within 30 days": end in [today, today+30]
        probation_from=day_number(months_cutoff(today, PROBATION_MONTHS)),
        probation_to=day_number(
            months_cutoff(today + timedelta(days=PROBATION_WARNING_DAYS + 1), PROBATION_MONTHS)
        ),
        # ended and the chi bộ's 30 working days to consider it have passed
        probation_over=day_number(months_cutoff(probation_review, PROBATION_MONTHS)),
        idle=day_number(today) - IDLE_DAYS + 1,
    )


# ---------------------------------------------------------------------------------------------
# The summary's data


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


def build_summary(
    *,
    root: UnitRow,
    units: Sequence[UnitRow],
    today: date,
    phase_rows: Sequence[tuple[int | None, str, int | None, int]],
    level_names: dict[int, str],
    admissions_year: dict[int | None, int],
    admissions_term: int | None,
    year_target: TargetRow | None,
    sub_targets: dict[int, TargetRow],
    term: TermTargetRow | None,
    overdue_counts: dict[str, int],
    overdue_items: list[OverdueItem],
    quality: tuple[int, int, int],
    top_flags: list[tuple[str, int]],
    histograms: dict[str, list[tuple[int, int]]],
) -> Summary:
    """Everything the text and the chart show, from the aggregate rows (pure)."""
    top = top_child_map(units, root.id)
    names = {u.id: u.name for u in units}
    phases = {p: 0 for p in PHASES}
    by_level: dict[str, int] = {}
    per_sub: dict[int, dict[str, int]] = {}
    for unit_id, phase, level, count in phase_rows:
        if phase not in phases:
            continue
        phases[phase] += count
        if phase == "submitted":
            name = level_names.get(level or 0) or texts.message("secretary.phases.submitted")
            by_level[name] = by_level.get(name, 0) + count
        sub = top.get(unit_id) if unit_id is not None else None
        if sub is not None:  # the root itself too: its own dossiers get their own line
            bucket = per_sub.setdefault(sub, {})
            bucket[phase] = bucket.get(phase, 0) + count
    admitted_sub: dict[int, int] = {}
    for unit_id, count in admissions_year.items():
        sub = top.get(unit_id) if unit_id is not None else None
        if sub is not None:
            admitted_sub[sub] = admitted_sub.get(sub, 0) + count
    direct_children = [u for u in units if u.parent_id == root.id]
    sub_lines = [
        SubUnitLine(
            u.id,
            u.name,
            per_sub.get(u.id, {}),
            admitted_sub.get(u.id, 0),
            sub_targets[u.id].target if u.id in sub_targets else None,
        )
        for u in direct_children
    ]
    if sub_lines and root.id in per_sub:
        # dossiers kept at the unit itself: without this line the sub-units would not add
        # up to the total
        own_name = texts.message("secretary.summary.own_dossiers", unit=root.name)
        sub_lines.insert(
            0, SubUnitLine(root.id, own_name, per_sub[root.id], admitted_sub.get(root.id, 0), None)
        )
    admitted = sum(admissions_year.values())
    target_progress = None
    if year_target is not None:
        deadline = date.fromisoformat(year_target.deadline_iso)
        target_progress = TargetProgress(
            year_target.year,
            year_target.target,
            deadline,
            admitted,
            (deadline - today).days,
        )
    term_progress = None
    if term is not None:
        term_progress = TermProgress(
            term.start_year, term.end_year, term.target, admissions_term or 0
        )
    medians: dict[str, float] = {}
    for name, *_ in (*DURATIONS, ("tra_loi_tham_tra",)):
        value = median_from_histogram(histograms.get(name, ()))
        if value is not None:
            medians[name] = value
    counts = {clock: overdue_counts.get(clock, 0) for clock in CLOCKS}
    return Summary(
        unit_id=root.id,
        unit_name=root.name,
        today=today,
        phases=phases,
        submitted_by_level=by_level,
        sub_units=sub_lines,
        year_target=target_progress,
        admitted_this_year=admitted,
        term=term_progress,
        overdue_counts=counts,
        overdue_items=overdue_items,
        quality=Quality(*quality),
        top_flags=top_flags,
        medians=medians,
        unit_names=names,
    )


async def load_summary(
    s: Session,
    unit_id: int,
    today: date,
    *,
    calendar: WorkCalendar = DEFAULT_CALENDAR,
    items_per_clock: int = 5,
    units: Sequence[UnitRow] | None = None,
    level_names: dict[int, str] | None = None,
) -> Summary | None:
    """Query and build the summary of ``unit_id`` and every unit below it (None: no unit)."""
    stages = s.repo(Stages)
    if units is None:
        units = await stages.unit_rows()
    root = next((u for u in units if u.id == unit_id), None)
    if root is None:
        return None
    ids = subtree_of(units, unit_id)
    scope: list[int] | None = None if len(ids) == len(units) else ids
    if level_names is None:
        level_names = await load_level_names(s)
    cut = cutoffs(today, calendar)
    year = today.year
    first, last = day_number(date(year, 1, 1)), day_number(date(year, 12, 31))
    phase_rows = await stages.phase_counts(scope)
    # a large scope reads date ranges of the clock indexes; a small one its own rows
    wide = scope is None or sum(row[3] for row in phase_rows) > WIDE_SCOPE
    year_targets = await stages.targets(ids, year)
    term = await stages.term_target(unit_id, year)
    admissions_term = None
    if term is not None:
        term_adm = await stages.admissions(
            scope,
            day_number(date(term.start_year, 1, 1)),
            day_number(date(term.end_year, 12, 31)),
            wide=wide,
        )
        admissions_term = sum(term_adm.values())
    since = day_number(add_months(today, -MEDIAN_MONTHS))
    # born on or after this day: not 18 yet today (rule X1 counts the 18 years in months)
    born_from = day_number(months_cutoff(today + timedelta(days=1), ADULT_MONTHS))
    under_age = await stages.under_age(scope, born_from, items_per_clock)
    summary = build_summary(
        root=root,
        units=units,
        today=today,
        phase_rows=phase_rows,
        level_names=level_names,
        admissions_year=await stages.admissions(scope, first, last, wide=wide),
        admissions_term=admissions_term,
        year_target=year_targets.get(unit_id),
        sub_targets=year_targets,
        term=term,
        overdue_counts=await stages.overdue_counts(scope, cut, wide=wide),
        overdue_items=await stages.overdue_items(scope, cut, items_per_clock, wide=wide),
        quality=await stages.quality(scope, wide=wide),
        top_flags=await stages.top_flags(scope),
        histograms=await stages.duration_histograms(scope, since, wide=wide),
    )
    summary.under_age_count, summary.under_age_items = under_age
    return summary


async def load_level_names(s: Session) -> dict[int, str]:
    from storage.reviews import Org

    names: dict[int, str] = {}
    for unit in await s.repo(Org).units():
        if unit.review_level is not None and unit.level_name:
            names.setdefault(unit.review_level, unit.level_name)
    return names


# ---------------------------------------------------------------------------------------------
# Text


def _flag_title(rule: str) -> str:
    try:
        from forms.checks import RULES

        return RULES[rule].title if rule in RULES else rule
    except Exception:  # a rule renamed since the cache was filled
        return rule


def overdue_line(item: OverdueItem, unit_names: dict[int, str]) -> str:
    """One overdue item as a line of text."""
    end = ""
    if item.clock in ("probation_ending", "probation_over"):
        end = fmt_date(add_months(from_day_number(item.since_d), PROBATION_MONTHS))
    elif item.clock == "under_18":  # since: the date of birth
        end = fmt_date(add_months(from_day_number(item.since_d), ADULT_MONTHS))
    from handlers.stages import person_label

    return texts.message(
        f"secretary.clock_item.{item.clock}",
        name=item.full_name or texts.message("secretary.dossier_number", number=item.dossier_id),
        unit=unit_names.get(item.unit_id or 0, ""),
        since=fmt_date(from_day_number(item.since_d)),
        person=person_label(item.person) if item.person else "",
        abroad=item.abroad,
        reason=item.abroad_reason,
        end=end,
    )


def render_summary(summary: Summary) -> str:
    """The short Vietnamese text of the summary."""
    levels = ", ".join(
        f"{name.lower()} {fmt_int(n)}" for name, n in summary.submitted_by_level.items()
    )
    phase_lines = [
        {
            "label": texts.message(f"secretary.phases.{p}"),
            "count": fmt_int(n),
            "extra": levels if p == "submitted" else "",
        }
        for p, n in summary.phases.items()
        if n
    ]
    target = None
    if summary.year_target is not None:
        t = summary.year_target
        target = {
            "year": t.year,
            "target": fmt_int(t.target),
            "deadline": fmt_date(t.deadline, year=t.deadline.year != t.year),
            "admitted": fmt_int(t.admitted),
            "percent": fmt_percent(t.admitted, t.target),
            "days_left": fmt_int(t.days_left) if t.days_left >= 0 else "",
            "overdue_days": fmt_int(-t.days_left) if t.days_left < 0 else "",
            "reached": t.remaining == 0,
            "remaining": fmt_int(t.remaining),
            # under a week left, a pace "per week" reads oddly: say how many are missing
            "last_day": t.days_left == 0,
            "per_week": fmt_decimal(t.per_week)
            if t.per_week is not None and t.days_left >= 7
            else "",
        }
    term = None
    if summary.term is not None:
        term = {
            "label": f"{summary.term.start_year}–{summary.term.end_year}",
            "target": fmt_int(summary.term.target),
            "admitted": fmt_int(summary.term.admitted),
            "percent": fmt_percent(summary.term.admitted, summary.term.target),
        }
    subs = []
    for line in summary.sub_units:
        parts = [
            f"{texts.message(f'secretary.phases_short.{p}').lower()} {fmt_int(n)}"
            for p in PHASES
            if (n := line.phases.get(p, 0))
        ]
        subs.append(
            {
                "name": line.name,
                "total": fmt_int(line.total),
                "parts": ", ".join(parts),
                "admitted": fmt_int(line.admitted),
                "target": fmt_int(line.target) if line.target is not None else "",
                "percent": fmt_percent(line.admitted, line.target) if line.target else "",
            }
        )
    by_clock: dict[str, list[OverdueItem]] = {}
    for item in summary.overdue_items:
        by_clock.setdefault(item.clock, []).append(item)
    clock_groups: dict[str, list[dict[str, object]]] = {"overdue": [], "upcoming": []}
    for clock in CLOCKS:
        count = summary.overdue_counts.get(clock, 0)
        if not count:
            continue
        shown = [overdue_line(i, summary.unit_names) for i in by_clock.get(clock, [])]
        clock_groups["upcoming" if clock in UPCOMING else "overdue"].append(
            {
                "title": texts.message(f"secretary.clocks.{clock}"),
                "count": fmt_int(count),
                "lines": shown,
                "more": fmt_int(count - len(shown)) if count > len(shown) else "",
            }
        )
    q = summary.quality
    quality = {
        "approved": fmt_int(q.approved),
        "first_time": fmt_int(q.first_time),
        "share": fmt_percent(q.first_time, q.approved),
        "average": fmt_decimal(q.average_returns, 2) if q.average_returns is not None else "",
    }
    flags = [{"title": _flag_title(rule), "count": fmt_int(n)} for rule, n in summary.top_flags]
    medians = [
        {"label": texts.message(f"secretary.durations.{name}"), "days": fmt_decimal(days)}
        for name, days in summary.medians.items()
    ]
    return texts.render(
        "secretary/summary.j2",
        unit=summary.unit_name,
        today=fmt_date(summary.today),
        total=fmt_int(summary.total),
        phases=phase_lines,
        target=target,
        admitted_year=fmt_int(summary.admitted_this_year),
        year=summary.today.year,
        term=term,
        subs=subs,
        overdue=clock_groups["overdue"],
        upcoming=clock_groups["upcoming"],
        under_age={
            "count": fmt_int(summary.under_age_count),
            "lines": [overdue_line(i, summary.unit_names) for i in summary.under_age_items],
            "more": fmt_int(summary.under_age_count - len(summary.under_age_items)),
        }
        if summary.under_age_count
        else None,
        quality=quality,
        flags=flags,
        medians=medians,
    )


# ---------------------------------------------------------------------------------------------
# The flag cache


FlagChecker = Callable[[object, date], list[tuple[str, str]]]


def default_checker(dossier: object, today: date) -> list[tuple[str, str]]:
    """(rule, severity) of every flag forms.checks finds, one per rule."""
    from forms.checks import run_checks

    seen: dict[str, str] = {}
    for flag in run_checks(dossier, today=today):  # type: ignore[arg-type]
        seen.setdefault(flag.rule, flag.severity)
    return sorted(seen.items())


async def refresh_flag_cache(
    db: Database,
    today: date,
    *,
    limit: int = 100,
    checker: FlagChecker = default_checker,
) -> int:
    """Run the checks on up to ``limit`` submitted dossiers whose cached flags are stale.

    Called before a summary (a few at most) and by the periodic runner (the rest), so the
    summary itself only groups cached rows. Returns how many dossiers were refreshed.
    """
    async with db.read() as r:
        stale = await r.repo(Stages).stale_flag_dossiers(limit)
    done = 0
    for dossier_id, revision in stale:
        async with db.transaction() as tx:
            record = await tx.dossiers.get(dossier_id)
            if record is None or record.revision != revision:
                continue
            try:
                flags = checker(record.dossier, today)
            except Exception:  # a checks bug must not stop the summary
                log.exception("checks failed on dossier %s", dossier_id)
                flags = []
            await tx.repo(Stages).store_flags(dossier_id, revision, flags)
            done += 1
    return done
