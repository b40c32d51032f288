"""Who oversees what: the units a request may see, and the unit a command is about.

Secretaries and reviewers see their unit and every unit below it. In a group chat the unit is
the one the group is bound to, and nothing beside it (``#số`` of a unit outside, a dossier
outside: refused even for a secretary of a unit above — it works in private); in a private
chat it is the highest unit the person holds such a role in (buttons when there are several,
or ``#số`` to name one).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from handlers import access
from handlers.events import Button, Event, Reply
from handlers.routing import ActionCodec
from handlers.secretary.actions import SUMMARY, UnitRef
from handlers.secretary.common import OVERSEERS, Request, t, too_large
from handlers.stages import MAX_ID
from handlers.summary import PRIVATE, Audience, group_audience
from storage.core import Person
from storage.db import Tx
from storage.reviews import Org, Unit
from storage.stages import StageRecords, UnitRows


async def overseen_units(tx: Tx, person_id: int, roles: Sequence[str] = OVERSEERS) -> list[Unit]:
    """The highest units where the person is secretary or reviewer (each with its subtree)."""
    org = tx.repo(Org)
    mine = {r.unit_id for r in await org.roles_of(person_id) if r.role in roles}
    tops = []
    for unit_id in sorted(mine):
        ancestors = await org.ancestors(unit_id)
        if not any(u.id in mine for u in ancestors[1:]):
            tops.append(ancestors[0])
    return tops


async def oversees(
    tx: Tx, person_id: int | None, unit_id: int, roles: Sequence[str] = OVERSEERS
) -> bool:
    """Whether the person holds one of ``roles`` in ``unit_id`` or a unit above it."""
    if person_id is None:
        return False
    org = tx.repo(Org)
    mine = {r.unit_id for r in await org.roles_of(person_id) if r.role in roles}
    if not mine:
        return False
    return any(u.id in mine for u in await org.ancestors(unit_id))


async def _below(tx: Tx, unit_id: int, top_id: int) -> bool:
    """Whether ``unit_id`` is ``top_id`` or a unit under it."""
    return any(u.id == top_id for u in await tx.repo(Org).ancestors(unit_id))


@dataclass(frozen=True, slots=True)
class UnitChoice:
    """The unit a command is about (None: see ``replies``), and the rest of its arguments."""

    unit_id: int | None
    args: str
    replies: list[Reply] = field(default_factory=list)


async def choose_unit(
    tx: Tx, request: Request, *, roles: Sequence[str], choose: ActionCodec[UnitRef]
) -> UnitChoice:
    """The unit the request names (``#số``) or implies; ``choose`` encodes the buttons
    offered when the person oversees several units."""
    refused = [Reply(text=t("access.refused" if roles == OVERSEERS else "access.secretary_only"))]
    person, args = request.person, request.event.text
    if person is None:
        return UnitChoice(None, args, refused)
    match = re.match(r"\s*#\s*(\d+)\s*", args)
    wanted = int(match.group(1)) if match else None
    if match:
        args = args[match.end() :]
    if wanted is not None and wanted > MAX_ID:
        return UnitChoice(None, args, too_large(match.group(1) if match else ""))
    if request.event.chat.kind == "group":
        return await _group_unit(tx, request.event, person, wanted, args, roles, refused)
    tops = await overseen_units(tx, person.id, roles)
    if wanted is not None:
        if await oversees(tx, person.id, wanted, roles):
            return UnitChoice(wanted, args)
        if not tops:
            return UnitChoice(None, args, refused)
        # someone in charge of other units: say which ones they can see
        names = ", ".join(u.name for u in tops)
        return UnitChoice(None, args, [Reply(text=t("access.outside_units", units=names))])
    if not tops:
        return UnitChoice(None, args, refused)
    if len(tops) == 1:
        return UnitChoice(tops[0].id, args)
    buttons = [[Button(u.name[:60] or f"#{u.id}", choose.encode(UnitRef(u.id)))] for u in tops]
    return UnitChoice(None, args, [Reply(text=t("access.choose_unit"), buttons=buttons)])


async def _group_unit(
    tx: Tx,
    event: Event,
    person: Person,
    wanted: int | None,
    args: str,
    roles: Sequence[str],
    refused: list[Reply],
) -> UnitChoice:
    """A group sees its own unit and the units below it, never a unit beside it."""
    unit = await tx.repo(Org).unit_by_group(event.chat.platform, event.chat.id)
    if unit is None:
        return UnitChoice(None, args, [Reply(text=t("access.group_not_bound"))])
    if not await oversees(tx, person.id, unit.id, roles):
        return UnitChoice(None, args, refused)
    if wanted is not None and not await _below(tx, wanted, unit.id):
        return UnitChoice(None, args, [Reply(text=t("access.outside_group", unit=unit.name))])
    return UnitChoice(wanted or unit.id, args)


async def audience_of(tx: Tx, event: Event) -> Audience:
    """What may be shown where ``event`` was sent: everything in a private chat (the person's
    standing is checked by each command); in a group no details, and names only where the
    group's unit allowed them."""
    if event.chat.kind != "group":
        return PRIVATE
    unit = await tx.repo(Org).unit_by_group(event.chat.platform, event.chat.id)
    allowed = unit is not None and await tx.repo(UnitRows).names_in_group(unit.id)
    return group_audience(allowed)


async def request_scope(tx: Tx, event: Event, person: Person) -> list[int]:
    """The top units this request may see: in a group, the group's unit (when the person
    oversees it); in private, the person's highest units."""
    if event.chat.kind == "group":
        unit = await tx.repo(Org).unit_by_group(event.chat.platform, event.chat.id)
        if unit is None or not await oversees(tx, person.id, unit.id):
            return []
        return [unit.id]
    return [u.id for u in await overseen_units(tx, person.id)]


async def within(tx: Tx, event: Event, person: Person, unit_id: int) -> bool:
    """Whether ``unit_id`` lies in this request's scope (see :func:`request_scope`)."""
    ancestors = {u.id for u in await tx.repo(Org).ancestors(unit_id)}
    return any(top in ancestors for top in await request_scope(tx, event, person))


async def dossier_refusal(
    tx: Tx, event: Event, person: Person, dossier_id: int
) -> list[Reply] | None:
    """None when the person may see and record steps of the dossier here; else the
    refusal, which does not tell whether the dossier exists."""
    progress = await tx.repo(StageRecords).progress(dossier_id)
    if (
        progress is None
        or progress.status == "deleted"
        or progress.unit_id is None
        or not await within(tx, event, person, progress.unit_id)
    ):
        return [Reply(text=t("step.no_dossier", number=dossier_id))]
    return None


@dataclass(frozen=True, slots=True)
class Managed:
    """A secretary's command about a unit: who, which unit, the rest of the arguments."""

    person: Person
    unit_id: int
    unit_name: str
    args: str
    today: date


Then = Callable[[Tx, Managed], Awaitable[list[Reply]]]


async def as_secretary(tx: Tx, request: Request, then: Then) -> list[Reply]:
    """``then`` when the person is a secretary of the unit the request names or implies, or
    of a unit above it (:func:`handlers.access.may_manage`)."""
    choice = await choose_unit(tx, request, roles=("secretary",), choose=SUMMARY)
    if choice.unit_id is None:
        return choice.replies
    person = request.person
    assert person is not None
    unit = await tx.repo(Org).unit(choice.unit_id)
    if unit is None or not await access.may_manage(tx, person.id, choice.unit_id):
        return [Reply(text=t("access.secretary_only"))]
    return await then(tx, Managed(person, choice.unit_id, unit.name, choice.args, request.today))
