"""Who acts for which unit: the unit a reviewer acts for on a dossier, and the checks that
refuse everyone else (only holders of a unit's reviewer role act, whoever sits in its group;
:mod:`handlers.access` decides)."""

from __future__ import annotations

from admission import access as rules
from admission import lifecycle
from handlers import access
from handlers.review.context import ReviewContext, t
from storage.core import DossierRecord
from storage.org import Org, Unit, storable


async def acting_unit(ctx: ReviewContext, record: DossierRecord) -> Unit | None:
    """The unit the actor acts for on ``record``: the group's unit in a group (it must be in
    the dossier's chain), else the unit currently reviewing it, else any unit above."""
    org = ctx.tx.repo(Org)
    if record.unit_id is None:
        return None
    chain = await org.review_chain(record.unit_id)
    if ctx.in_group:
        unit = await org.unit_by_group(ctx.event.chat.platform, ctx.event.chat.id)
        if unit is None or all(u.id != unit.id for u in chain):
            return None
        return unit
    current = next((u for u in chain if u.review_level == record.review_level), None)
    if (
        current is not None
        and ctx.person is not None
        and await access.may_act(ctx.tx, ctx.person.id, current)
    ):
        return current
    if ctx.person is None:
        return None
    for unit in reversed(chain):
        if await access.may_act(ctx.tx, ctx.person.id, unit):
            return unit
    return None


async def authorise(ctx: ReviewContext, dossier_id: int) -> tuple[DossierRecord, Unit] | None:
    """The dossier and the unit the actor may act for, or None after telling them no."""
    record = await ctx.tx.dossiers.get(dossier_id) if storable(dossier_id) else None
    group_unit = None
    if ctx.in_group:
        group_unit = await ctx.tx.repo(Org).unit_by_group(
            ctx.event.chat.platform, ctx.event.chat.id
        )
    if record is None or record.status == "deleted":
        # "not found" only to reviewers: to anyone else it would tell which numbers exist
        grants = await access.grants_of(ctx.tx, ctx.person.id if ctx.person else None)
        ctx.toast(t("refuse.not_found") if rules.reviews_anywhere(grants) else t("refuse.no_right"))
        return None
    unit = await acting_unit(ctx, record)
    if unit is None or ctx.person is None or not await access.may_act(ctx.tx, ctx.person.id, unit):
        named = unit or group_unit
        name = named.name if named else ""
        ctx.toast(t("refuse.not_reviewer", unit=name) if name else t("refuse.no_right"))
        return None
    if record.person_id == ctx.person.id:  # a reviewer who applies too: colleagues decide
        ctx.toast(t("refuse.own_dossier"))
        return None
    return record, unit


async def authorise_here(ctx: ReviewContext, dossier_id: int) -> tuple[DossierRecord, Unit] | None:
    """As :func:`authorise`, and the dossier waits for the actor's unit now."""
    found = await authorise(ctx, dossier_id)
    if found is None:
        return None
    record, unit = found
    if not lifecycle.under_review(record.status):
        ctx.toast(t("refuse.not_under_review"))
        return None
    if not lifecycle.waits_at(record.status, record.review_level, unit.review_level):
        ctx.toast(t("refuse.not_your_turn", unit=unit.name))
        return None
    return found


async def reviewing_units(ctx: ReviewContext, nobody_key: str) -> list[Unit] | None:
    """The units the actor reviews for here: the group's unit in a group, else every unit
    where they hold the reviewer role; None after telling them why not (``nobody_key`` when
    they review nowhere)."""
    org = ctx.tx.repo(Org)
    units: list[Unit] = []
    if ctx.in_group:
        unit = await org.unit_by_group(ctx.event.chat.platform, ctx.event.chat.id)
        if unit is None:
            ctx.say(t("refuse.group_not_bound"))
            return None
        units = [unit]
    elif ctx.person is not None:
        roles = await org.roles_of(ctx.person.id)
        units = [u for r in roles if r.role == "reviewer" if (u := await org.unit(r.unit_id))]
    person = ctx.person
    allowed = [u for u in units if person and await access.may_act(ctx.tx, person.id, u)]
    if allowed:
        return allowed
    roles = await org.roles_of(person.id) if person is not None else []
    led = [u.name for r in roles if r.role == "secretary" if (u := await org.unit(r.unit_id))]
    if led and not any(r.role == "reviewer" for r in roles):
        # a secretary who reviews nowhere, in private or in a group: what she types instead
        ctx.say(t("refuse.secretary_not_reviewer", units=led))
        return None
    name = units[0].name if units else ""
    ctx.say(t("refuse.not_reviewer", unit=name) if name else t(nobody_key))
    return None
