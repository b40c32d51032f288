"""A unit's group chat: /ketnoi gives a secretary a one-time code, the code typed in the group
(or a ``startgroup`` link) binds it; the bot added to or removed from a group."""

from __future__ import annotations

from datetime import timedelta

from forms.texts import render
from handlers import access
from handlers.events import Reply
from handlers.org.common import (
    OrgContext,
    choose_unit,
    invite_error,
    leading_unit,
    secretaries_reply,
    t,
)
from handlers.org.invites import invite_link
from storage.org import InviteError, Org

BIND_CODE_HOURS = 24


async def bind_command(ctx: OrgContext) -> list[Reply]:
    """/ketnoi [#đơn_vị] in private: a code; /ketnoi MÃ (or /start MÃ) in the group: bind."""
    if ctx.event.chat.kind == "private":
        return await _bind_code(ctx)
    return await _bind_here(ctx)


async def _bind_code(ctx: OrgContext) -> list[Reply]:
    tx, person, arg = ctx.tx, ctx.person, ctx.event.text.strip()
    if arg and not arg.startswith("#") and not arg.isdigit():
        return [Reply(text=t("bind_in_private"))]
    units = await ctx.managed()
    if person is None or not units:
        return [Reply(text=t("no_units"))]
    unit = choose_unit(units, leading_unit(arg)[0])
    if isinstance(unit, Reply):
        return [unit]
    invite = await tx.repo(Org).create_invite(
        "bind_group", unit.id, created_by=person.id, ttl=timedelta(hours=BIND_CODE_HOURS)
    )
    await tx.audit.append(
        "invite_create", person_id=person.id, unit_id=unit.id, detail={"purpose": "bind_group"}
    )
    link = invite_link(ctx.bot_username, invite.token, group=True)
    text = t("bind_code", unit=unit.name, code=invite.token, hours=BIND_CODE_HOURS, link=link)
    return [Reply(text=text)]


async def _bind_here(ctx: OrgContext) -> list[Reply]:
    tx, event, person, arg = ctx.tx, ctx.event, ctx.person, ctx.event.text.strip()
    if not arg:
        return [Reply(text=t("bind_in_group_usage"))]
    org = tx.repo(Org)
    invite = await org.invite(arg)
    if invite is None or invite.purpose != "bind_group":
        if event.command == "start":
            return [Reply(text=t("bind_in_group_usage"))]
        return [Reply(text=t("invite_unknown"))]
    if person is None or not await access.may_manage(tx, person.id, invite.unit_id):
        return [Reply(text=t("bind_only_secretary"))]
    try:
        await org.redeem(arg, "bind_group")
    except InviteError as err:
        return [Reply(text=invite_error(err.reason))]
    previous = await org.bind_group(invite.unit_id, event.chat.platform, event.chat.id)
    unit = await org.unit(invite.unit_id)
    assert unit is not None
    await tx.audit.append(
        "group_bind",
        person_id=person.id,
        unit_id=unit.id,
        detail={
            "platform": event.chat.platform,
            "chat": event.chat.id,
            "replaced_unit": previous.id if previous else None,
        },
    )
    text = render(
        "review/bind_announce.j2",
        unit=unit.name,
        unit_id=unit.id,
        level=unit.review_level,
        level_name=unit.level_name,
        reviewers=len(await org.roles_in([unit.id], "reviewer")),
        previous=previous.name if previous else "",
    )
    return [Reply(text=text)]


async def bot_added(ctx: OrgContext) -> list[Reply]:
    """The bot joined a group: how to bind it, unless it serves a unit already."""
    unit = await ctx.tx.repo(Org).unit_by_group(ctx.event.chat.platform, ctx.event.chat.id)
    if unit is not None:
        return []
    return [Reply(text=t("bot_added"))]


async def bot_removed(ctx: OrgContext) -> list[Reply]:
    """The bot left a group: the unit loses it, and its secretaries are told privately."""
    tx, event = ctx.tx, ctx.event
    unit = await tx.repo(Org).unbind_group(event.chat.platform, event.chat.id)
    if unit is None:
        return []
    await tx.audit.append(
        "group_unbind",
        person_id=ctx.person.id if ctx.person else None,
        unit_id=unit.id,
        detail={"platform": event.chat.platform, "chat": event.chat.id},
    )
    return await secretaries_reply(tx, unit, t("group_unbound", unit=unit.name))
