"""/chitieu (the year's target and deadline, the term's target) and /giobaocao (the hour of the
unit's daily digest): secretaries of the unit or of a unit above it
(:func:`handlers.access.may_manage`)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from admission.stages import StepRefused
from forms.parsers import format_date
from forms.vn import fold
from handlers import access
from handlers.events import Reply
from handlers.secretary.actions import SUMMARY
from handlers.secretary.common import DIGEST_OFF, QUIET_FROM, QUIET_UNTIL, Request, t
from handlers.secretary.scope import choose_unit
from handlers.stages import parse_day
from handlers.summary import fmt_int
from storage.core import Person
from storage.db import Tx
from storage.reviews import Org
from storage.stages import Targets, UnitRows

# Words around the deadline of "/chitieu 150 người, hạn ngày 31/10" (folded).
_DEADLINE_FILLERS = frozenset({"nguoi", "dang", "vien", "dangvien", "han", "truoc", "den", "vao"})
MAX_TARGET = 100_000


@dataclass(frozen=True, slots=True)
class _Managed:
    """A secretary's command about a unit: who, which unit, the rest of the arguments."""

    person: Person
    unit_id: int
    unit_name: str
    args: str
    today: date


_Then = Callable[[Tx, _Managed], Awaitable[list[Reply]]]


async def _as_secretary(tx: Tx, request: Request, then: _Then) -> list[Reply]:
    """``then`` when the person is a secretary of the unit or above."""
    choice = await choose_unit(tx, request, roles=("secretary",), choose=SUMMARY)
    if choice.unit_id is None:
        return choice.replies
    person = request.person
    assert person is not None
    unit = await tx.repo(Org).unit(choice.unit_id)
    if unit is None or not await access.may_manage(tx, person.id, choice.unit_id):
        return [Reply(text=t("access.secretary_only"))]
    return await then(tx, _Managed(person, choice.unit_id, unit.name, choice.args, request.today))


async def target_command(tx: Tx, request: Request) -> list[Reply]:
    """/chitieu: show the targets, or set the year's or the term's."""
    return await _as_secretary(tx, request, _set_target)


async def digest_hour_command(tx: Tx, request: Request) -> list[Reply]:
    """/giobaocao: the hour of the unit's daily digest, or off."""
    return await _as_secretary(tx, request, _set_digest_hour)


# -- /chitieu ------------------------------------------------------------------------------------


async def _set_target(tx: Tx, m: _Managed) -> list[Reply]:
    words = fold(m.args).split()
    if not words:
        return [Reply(text=await _target_text(tx, m))]
    if "".join(words).startswith("nhiemky"):
        return await _set_term_target(tx, m)
    number = words[0]  # "150", or "1.500" with the Vietnamese thousands separator
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number):
        number = number.replace(".", "")
    if not number.isdecimal() or not 1 <= int(number) <= MAX_TARGET:
        return [Reply(text=t("target.bad_number") + "\n\n" + t("target.usage"))]
    target = int(number)
    deadline = _parse_deadline(" ".join(words[1:]), m.today)
    if deadline is None:
        return [Reply(text=t("target.bad_deadline"))]
    if deadline < m.today:
        return [Reply(text=t("target.past_deadline", deadline=format_date(deadline)))]
    year = deadline.year
    await tx.repo(Targets).set_target(m.unit_id, year, target, deadline.isoformat(), m.person.id)
    await tx.audit.append(
        "target",
        person_id=m.person.id,
        unit_id=m.unit_id,
        detail={"year": year, "target": target, "deadline": deadline.isoformat()},
    )
    text = t(
        "target.saved",
        unit=m.unit_name,
        year=year,
        target=fmt_int(target),
        deadline=format_date(deadline),
    )
    return [Reply(text=text)]


async def _set_term_target(tx: Tx, m: _Managed) -> list[Reply]:
    """ "nhiệm kỳ 2025-2030 750", also "2025 – 2030: 750 người"."""
    numbers = re.findall(r"\d+", m.args.replace(".", ""))
    if len(numbers) != 3 or not all(len(n) == 4 for n in numbers[:2]):
        return [Reply(text=t("target.bad_term"))]
    start, end, target = (int(n) for n in numbers)
    if not (2000 <= start <= end <= start + 10):
        return [Reply(text=t("target.bad_term"))]
    if not 1 <= target <= MAX_TARGET:
        return [Reply(text=t("target.bad_number"))]
    await tx.repo(Targets).set_term_target(m.unit_id, start, end, target, m.person.id)
    await tx.audit.append(
        "target_term",
        person_id=m.person.id,
        unit_id=m.unit_id,
        detail={"start": start, "end": end, "target": target},
    )
    text = t("target.term_saved", unit=m.unit_name, start=start, end=end, target=fmt_int(target))
    return [Reply(text=text)]


async def _target_text(tx: Tx, m: _Managed) -> str:
    targets = tx.repo(Targets)
    year = m.today.year
    found = (await targets.targets([m.unit_id], year)).get(m.unit_id)
    term = await targets.term_target(m.unit_id, year)
    current = t(
        "target.current",
        unit=m.unit_name,
        year=year,
        year_target=fmt_int(found.target) if found else "",
        deadline=format_date(date.fromisoformat(found.deadline_iso)) if found else "",
        term=f"{term.start_year}–{term.end_year}" if term else "",
        term_target=fmt_int(term.target) if term else "",
    )
    return current + "\n\n" + t("target.usage")


def _parse_deadline(text: str, today: date) -> date | None:
    """ "31/10" (this year), "31/10/2027", "ngày 31 tháng 10", "người, hạn 31/10" (folded)."""
    words = [w for w in re.split(r"[\s,;:]+", text) if w and w not in _DEADLINE_FILLERS]
    if not words:
        return None
    try:
        return parse_day(" ".join(words), today)
    except StepRefused:
        return None


# -- /giobaocao ----------------------------------------------------------------------------------


async def _set_digest_hour(tx: Tx, m: _Managed) -> list[Reply]:
    word = re.sub(r"\s+", "", fold(m.args))
    if word in ("tat", "khong", "off"):
        await tx.repo(UnitRows).set_digest_hour(m.unit_id, DIGEST_OFF)
        return [Reply(text=t("digest_hour.off", unit=m.unit_name))]
    # whole hours only: "8", "8h", "8 giờ", "8:00", "8h00" ("7:30" is not an hour)
    match = re.fullmatch(r"(\d{1,2})(?:h|gio|:00|h00|gio00)?(?:sang|chieu)?", word)
    if match is None:
        return [Reply(text=t("digest_hour.usage"))]
    hour = int(match.group(1))
    if word.endswith("chieu") and hour < 12:
        hour += 12  # "5 giờ chiều"
    if not QUIET_UNTIL <= hour < QUIET_FROM:
        return [Reply(text=t("digest_hour.night"))]
    await tx.repo(UnitRows).set_digest_hour(m.unit_id, hour)
    await tx.audit.append(
        "digest_hour", person_id=m.person.id, unit_id=m.unit_id, detail={"hour": hour}
    )
    text = t("digest_hour.saved", unit=m.unit_name, hour=hour)
    unit = await tx.repo(Org).unit(m.unit_id)
    if unit is not None and not unit.has_group:  # the digest goes to the unit's group
        text += "\n" + t("digest_hour.no_group", unit=m.unit_name)
    return [Reply(text=text)]
