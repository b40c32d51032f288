"""Reading a summary's aggregate rows: a handful of queries for a unit and everything below it
(``storage.stages.SummaryQueries``), handed to the pure :func:`build_summary`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from admission.deadlines import cutoffs, not_adult_born_from
from admission.workdays import DEFAULT_CALENDAR, WorkCalendar, add_months, day_number
from handlers.summary.model import Summary, SummaryRows, build_summary, subtree_of
from storage.db import Session
from storage.reviews import Org
from storage.stages import WIDE_SCOPE, SummaryQueries, Targets, UnitRow, UnitRows

MEDIAN_MONTHS = 12  # medians over stages completed in the last 12 months


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
    if units is None:
        units = await s.repo(UnitRows).unit_rows()
    root = next((u for u in units if u.id == unit_id), None)
    if root is None:
        return None
    if level_names is None:
        level_names = await load_level_names(s)
    ids = subtree_of(units, unit_id)
    scope: list[int] | None = None if len(ids) == len(units) else ids
    rows = await _load_rows(s, root, ids, scope, today, calendar, items_per_clock, level_names)
    return build_summary(root, units, today, rows)


async def _load_rows(
    s: Session,
    root: UnitRow,
    ids: list[int],
    scope: list[int] | None,
    today: date,
    calendar: WorkCalendar,
    items_per_clock: int,
    level_names: dict[int, str],
) -> SummaryRows:
    queries, targets = s.repo(SummaryQueries), s.repo(Targets)
    cut = cutoffs(today, calendar)
    year = today.year
    first, last = day_number(date(year, 1, 1)), day_number(date(year, 12, 31))
    phase_rows = await queries.phase_counts(scope)
    # a large scope reads date ranges of the clock indexes; a small one its own rows
    wide = scope is None or sum(row[3] for row in phase_rows) > WIDE_SCOPE
    year_targets = await targets.targets(ids, year)
    term = await targets.term_target(root.id, year)
    admissions_term = None
    if term is not None:
        term_first = day_number(date(term.start_year, 1, 1))
        term_last = day_number(date(term.end_year, 12, 31))
        term_adm = await queries.admissions(scope, term_first, term_last, wide=wide)
        admissions_term = sum(term_adm.values())
    since = day_number(add_months(today, -MEDIAN_MONTHS))
    under_age = await queries.under_age(scope, not_adult_born_from(today), items_per_clock)
    return SummaryRows(
        phase_rows=phase_rows,
        level_names=level_names,
        admissions_year=await queries.admissions(scope, first, last, wide=wide),
        admissions_term=admissions_term,
        year_target=year_targets.get(root.id),
        sub_targets=year_targets,
        term=term,
        overdue_counts=await queries.overdue_counts(scope, cut, wide=wide),
        overdue_items=await queries.overdue_items(scope, cut, items_per_clock, wide=wide),
        quality=await queries.quality(scope, wide=wide),
        top_flags=await queries.top_flags(scope),
        histograms=await queries.duration_histograms(scope, since, wide=wide),
        under_age_count=under_age[0],
        under_age_items=under_age[1],
    )


async def load_level_names(s: Session) -> dict[int, str]:
    """The name of each review level ("Chi bộ", "Đảng ủy cơ sở"…), from the units."""
    names: dict[int, str] = {}
    for unit in await s.repo(Org).units():
        if unit.review_level is not None and unit.level_name:
            names.setdefault(unit.review_level, unit.level_name)
    return names
