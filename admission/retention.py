"""How long a dossier that goes nowhere is kept (issue 11; Law 91/2025/QH15 asks that the data
of candidates who are not recruited be deleted).

Three kinds of dossier are erased (:data:`admission.lifecycle.Move.EXPIRE`), each after a
period the controller configures (``bot/settings.py``: ``KND_RETENTION_DAYS``,
``KND_ABANDONED_DAYS``, ``KND_ABANDONED_WARNING_DAYS``):

* **withdrawn** by the candidate: ``closed_days`` after the withdrawal;
* **not admitted** («không kết nạp», recorded by the unit): ``closed_days`` after its date;
* **abandoned**: a draft (or a dossier returned to its candidate) with no activity for
  ``abandoned_days`` gets one warning, which replaces the weekly idle reminder for good; it
  is erased ``warning_days`` after the warning unless the candidate came back in between
  (then the count starts again).

Days are day numbers (:func:`admission.workdays.day_number`, local dates).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Reason = Literal["withdrawn", "not_admitted", "abandoned"]
#: Statuses in which a dossier sits with its candidate: what can be abandoned.
WITH_CANDIDATE: tuple[str, ...] = ("draft", "returned")


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    closed_days: int = 365
    abandoned_days: int = 180
    warning_days: int = 30

    def __post_init__(self) -> None:
        if min(self.closed_days, self.abandoned_days, self.warning_days) < 1:
            raise ValueError("retention periods are at least one day")

    def closed_before(self, today: int) -> int:
        """Withdrawn or not admitted before this day: erased today."""
        return today - self.closed_days + 1

    def idle_before(self, today: int) -> int:
        """No activity since before this day: abandoned (warned, no more idle reminders)."""
        return today - self.abandoned_days + 1

    def erasure_day(self, warned: int) -> int:
        """The day a dossier warned on ``warned`` is erased if nothing happens."""
        return warned + self.warning_days


class Due(StrEnum):
    KEEP = "keep"
    WARN = "warn"
    ERASE = "erase"


def abandoned(policy: RetentionPolicy, today: int, last_activity: int, warned: int | None) -> Due:
    """What is due for a dossier with its candidate, last active on ``last_activity``, warned
    on ``warned`` (None: never, or before the candidate's last activity)."""
    if last_activity >= policy.idle_before(today):
        return Due.KEEP
    if warned is None or warned < last_activity:
        return Due.WARN
    return Due.ERASE if today >= policy.erasure_day(warned) else Due.KEEP
