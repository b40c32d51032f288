"""/chitieu (the year's target and deadline, the term's target): secretaries of the unit or of
a unit above it (:func:`handlers.secretary.scope.as_secretary`)."""

from __future__ import annotations

import re
from datetime import date

from admission.stages import StepRefused
from forms.parsers import format_date
from forms.vn import fold
from handlers.events import Reply
from handlers.secretary.common import Request, t
from handlers.secretary.scope import Managed, as_secretary
from handlers.stages import parse_day
from handlers.summary import fmt_int
from storage.db import Tx
from storage.stages import Targets

# Words around the deadline of "/chitieu 150 người, hạn ngày 31/10" (folded).
_DEADLINE_FILLERS = frozenset({"nguoi", "dang", "vien", "dangvien", "han", "truoc", "den", "vao"})
MAX_TARGET = 100_000
# "năm 2027 là 200", "cho năm 2027: 200" (folded): the year named before the number
_YEAR_FIRST = re.compile(r"(?:cho\s+)?nam\s+(\d{4})\s*(?:la\b|[:\-–])?\s*")


async def target_command(tx: Tx, request: Request) -> list[Reply]:
    """/chitieu: show the targets, or set the year's or the term's."""
    return await as_secretary(tx, request, _set_target)


# -- /chitieu ------------------------------------------------------------------------------------


async def _set_target(tx: Tx, m: Managed) -> list[Reply]:
    text = fold(m.args).strip()
    if not text:
        return [Reply(text=await _target_text(tx, m))]
    if text.replace(" ", "").startswith("nhiemky"):
        return await _set_term_target(tx, m)
    named = _YEAR_FIRST.match(text)  # "năm 2027 là 200 …": the year said before the number
    year = int(named.group(1)) if named else None
    words = re.split(r"[\s,;:]+", text[named.end() :] if named else text)
    number = words[0] if words else ""  # "150", or "1.500" with the thousands separator
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number):
        number = number.replace(".", "")
    if not number.isdecimal() or not 1 <= int(number) <= MAX_TARGET:
        return [Reply(text=t("target.bad_number") + "\n\n" + t("target.usage"))]
    target = int(number)
    deadline, refused = await _deadline(tx, m, " ".join(words[1:]), year, target)
    if deadline is None:
        return [Reply(text=refused)]
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


async def _deadline(
    tx: Tx, m: Managed, typed: str, year: int | None, target: int
) -> tuple[date | None, str]:
    """The deadline typed after the number, else the one already set for that year (a
    secretary changing only the number: "/chitieu 160"); or why there is none."""
    words = [w for w in re.split(r"[\s,;:]+", typed) if w and w not in _DEADLINE_FILLERS]
    if not words:
        year = year or m.today.year
        found = (await tx.repo(Targets).targets([m.unit_id], year)).get(m.unit_id)
        if found is None:
            return None, t("target.need_deadline", year=year, target=target)
        deadline = date.fromisoformat(found.deadline_iso)
    else:
        typed_day = _parse_deadline(" ".join(words), m.today)
        if typed_day is None:
            return None, t("target.bad_deadline")
        deadline = typed_day
        if year and deadline.year != year and not re.search(r"\d{4}", typed):
            deadline = deadline.replace(year=year)  # "năm 2027 … hạn 31/10"
    if year and deadline.year != year:
        return None, t("target.other_year", deadline=format_date(deadline), year=year)
    if deadline < m.today:
        return None, t("target.past_deadline", deadline=format_date(deadline))
    return deadline, ""


async def _set_term_target(tx: Tx, m: Managed) -> list[Reply]:
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


async def _target_text(tx: Tx, m: Managed) -> str:
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
    """ "31/10" (this year), "31/10/2027", "ngày 31 tháng 10" (folded, fillers dropped)."""
    try:
        return parse_day(text, today)
    except StepRefused:
        return None
