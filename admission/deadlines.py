"""The guidance's clocks after approval, and when each falls due.

HD 06 3.4d, QĐ 294 4.1/4.3.1, HD 06 5.4a-b: a verification reply within 30 working days (90
abroad), the admission decision within 45 working days of the chi bộ vote, the ceremony
within 30 of the decision, the certificate "nhận thức về Đảng" valid 60 months and the
dossier 12 months until the vote, 12 months of probation and then 30 working days for the
chi bộ to consider it; a draft left 14 days gets a reminder.

A summary turns each clock into one day-number cut-off (:func:`cutoffs`: "started before
day X" means overdue), so the database compares integers instead of counting working days
per dossier; :func:`deadline` gives the day a single running clock falls due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from admission.stages import ADULT_MONTHS, PROBATION_MONTHS
from admission.workdays import DEFAULT_CALENDAR, WorkCalendar, add_months, day_number

VERIFICATION_WD = 30
VERIFICATION_ABROAD_WD = 90
DECISION_WD = 45
CEREMONY_WD = 30
CERTIFICATE_MONTHS = 60
DOSSIER_MONTHS = 12
PROBATION_WARNING_DAYS = 30
PROBATION_REVIEW_WD = 30
IDLE_DAYS = 14

# The clocks a summary counts, in the order it lists them.
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


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """Day numbers: a clock is overdue when its start day is below the cut-off."""

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


def not_adult_born_from(today: date) -> int:
    """The day number of birth on or after which a candidate is not 18 yet ``today``
    (rule X1 counts the 18 years in months)."""
    return day_number(months_cutoff(today + timedelta(days=1), ADULT_MONTHS))


# A running clock (``storage.stages.StageRecords.open_deadlines``) → its length from the start.
_WORKDAYS: dict[str, int] = {
    "verification": VERIFICATION_WD,
    "verification_abroad": VERIFICATION_ABROAD_WD,
    "decision": DECISION_WD,
    "ceremony": CEREMONY_WD,
}
_MONTHS: dict[str, int] = {
    "certificate": CERTIFICATE_MONTHS,  # the chi bộ votes while the certificate is valid
    "dossier_age": DOSSIER_MONTHS,
}


def deadline(
    clock: str, start: date, today: date, calendar: WorkCalendar = DEFAULT_CALENDAR
) -> date:
    """The day a running clock that started on ``start`` falls due."""
    if clock in _WORKDAYS:
        return calendar.add_workdays(start, _WORKDAYS[clock])
    if clock in _MONTHS:
        return add_months(start, _MONTHS[clock])
    # probation: its end; once over, the chi bộ's 30 working days to consider it
    end = add_months(start, PROBATION_MONTHS)
    return end if end >= today else calendar.add_workdays(end, PROBATION_REVIEW_WD)


def verification_due(sent: date, abroad: bool, calendar: WorkCalendar = DEFAULT_CALENDAR) -> date:
    """The day a verification reply is due."""
    return calendar.add_workdays(sent, VERIFICATION_ABROAD_WD if abroad else VERIFICATION_WD)
