"""What the parts of the secretaries' flow share: their texts, the request they answer, the
settings the flow was built with, and the hours digests keep."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from admission.clock import ZONE
from admission.workdays import DEFAULT_CALENDAR, WorkCalendar
from forms import texts
from handlers.events import Event, Reply
from handlers.stages import MAX_ID, shown_number
from handlers.summary import PRIVATE, Audience, FlagChecker, default_checker
from handlers.web.links import LinkSigner
from storage.core import Person

# Who may read a unit's summary, export and steps (of the unit or of a unit above it).
OVERSEERS = ("secretary", "reviewer")
QUIET_FROM, QUIET_UNTIL = 21, 7  # nothing is sent from 21:00 to 07:00 local time
DEFAULT_DIGEST_HOUR = 8
DIGEST_OFF = -1


def t(key: str, **kw: Any) -> str:
    return texts.message(f"secretary.{key}", **kw)


def refused(*, toast: bool = False) -> list[Reply]:
    """The refusal that reveals nothing (to candidates, outsiders, forged buttons)."""
    text = t("access.refused")
    return [Reply(text=text, toast=text[:190])] if toast else [Reply(text=text)]


def too_large(number: str) -> list[Reply]:
    """The refusal of a number no dossier or unit can carry (shortened if very long)."""
    return [Reply(text=t("step.too_large", number=shown_number(number)))]


def ids_out_of_range(payload: Any) -> bool:
    """Whether a decoded button carries a number no dossier or unit can carry."""
    return any(
        isinstance(value, int) and not -MAX_ID - 1 <= value <= MAX_ID
        for value in (getattr(payload, f.name) for f in fields(payload))
    )


@dataclass(frozen=True, slots=True)
class Request:
    """One command or button: the event, who sent it (None: no account), the local date, and
    what may be shown where it was sent (:mod:`handlers.summary.audience`)."""

    event: Event
    person: Person | None
    today: date
    audience: Audience = PRIVATE


@dataclass(frozen=True)
class Settings:
    """How the flow was built: the working-day calendar, the users' zone, whether a summary
    comes with its chart, and the flag checks run before it (at most ``flag_refresh_limit``
    dossiers per summary)."""

    calendar: WorkCalendar = DEFAULT_CALENDAR
    zone: ZoneInfo = ZONE
    chart: bool = True
    checker: FlagChecker = default_checker
    flag_refresh_limit: int = 30
    links: LinkSigner | None = None  # the web companion's signed links (None: no web)
