"""Working days and calendar arithmetic for the guidance's clocks.

The guidance counts most deadlines in *working days* (ngày làm việc): verification replies
within 30 (90 abroad), the admission decision within 45 of the chi bộ vote, the ceremony
within 30 of the decision. Working days skip Saturdays, Sundays and Vietnamese public
holidays (Tết, Giỗ Tổ, 30/4, 1/5, 2/9 and the government's substitute days off), which the
maintained ``holidays`` package publishes for Viet Nam. Local rules differ (U5), so extra
days off and compensating working Saturdays can be added per calendar.

Everything here is pure (the holidays come from the package's data, cached per year), so the
summary can turn "N working days ago" into a single date cut-off and let SQL compare dates.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays

EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    """Days since 1970-01-01: how the derived tables store dates (integer maths in SQL)."""
    return (d - EPOCH).days


def from_day_number(n: int) -> date:
    return EPOCH + timedelta(days=n)


def add_months(d: date, months: int) -> date:
    """Same day ``months`` later (or earlier), clamped to the month's last day (31/1 + 1 = 28/2)."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


@lru_cache(maxsize=64)
def _vn_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=year).keys())


@lru_cache(maxsize=64)
def _vn_weekend_workdays(year: int) -> frozenset[date]:
    """Saturdays (or Sundays) worked to make up for a bridge day off, as the ``holidays``
    package publishes them (22/08/2026 made up for the day off on 31/08/2026)."""
    calendar_ = holidays.country_holidays("VN", years=year)
    days = getattr(calendar_, "weekend_workdays", ()) or ()
    return frozenset(d for d in days if d.year == year)


class WorkCalendar:
    """Vietnamese working days: Monday–Friday minus public holidays, plus the weekend days
    worked to make up for a bridge day off (both from the ``holidays`` package).

    ``extra_days_off`` adds local or newly announced days off; ``extra_workdays`` marks
    other Saturdays worked to compensate a bridge holiday.
    """

    def __init__(
        self, extra_days_off: Iterable[date] = (), extra_workdays: Iterable[date] = ()
    ) -> None:
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_workdays = frozenset(extra_workdays)
        self._cutoffs: dict[tuple[date, int], date] = {}

    def is_holiday(self, d: date) -> bool:
        return d in _vn_holidays(d.year) or d in self.extra_days_off

    def is_workday(self, d: date) -> bool:
        if d in self.extra_workdays or d in _vn_weekend_workdays(d.year):
            return True
        return d.weekday() < 5 and not self.is_holiday(d)

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``n`` = 0 gives ``start``)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        d = start
        while n:
            d += timedelta(days=1)
            if self.is_workday(d):
                n -= 1
        return d

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many have elapsed since ``start`` by ``end``."""
        if end <= start:
            return 0
        count = 0
        d = start
        while d < end:
            d += timedelta(days=1)
            count += self.is_workday(d)
        return count

    def overdue_cutoff(self, today: date, n: int) -> date:
        """The date ``c`` with: ``today`` is past the n-th working day after ``s`` ⇔ ``s < c``.

        A clock started on ``s`` with a limit of ``n`` working days is overdue on ``today``
        when ``add_workdays(s, n) < today``. That holds exactly when ``s`` lies before the
        n-th working day counted back from yesterday, so SQL can test ``started < c``.
        """
        key = (today, n)
        found = self._cutoffs.get(key)
        if found is not None:
            return found
        d = today
        remaining = n
        while remaining:
            d -= timedelta(days=1)
            if self.is_workday(d):
                remaining -= 1
        self._cutoffs[key] = d
        return d


DEFAULT_CALENDAR = WorkCalendar()
