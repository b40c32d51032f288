"""Time for the whole product: one clock protocol, one users' time zone, one local date.

Everything stored is UTC (ISO-8601 text); what people see and the deadlines they keep are in
the users' zone (Viet Nam by default, ``KND_TIMEZONE`` in settings). Tests and the demo pin
the time with :class:`FixedClock`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

#: The users' time zone unless settings say otherwise.
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real time, timezone-aware (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A settable clock for tests and the demo."""

    at: datetime

    def now(self) -> datetime:
        return self.at


def local_date(moment: str | datetime, zone: ZoneInfo = ZONE) -> date:
    """The users' calendar date at ``moment`` (a datetime or stored ISO-8601 text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(zone).date()


def local_time(moment: str | datetime, zone: ZoneInfo = ZONE) -> datetime:
    """``moment`` on the users' wall clock."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(zone)
