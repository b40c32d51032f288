"""/vaitro and /thuhoi: the roles in one's units, with a "Thu hồi" button each; revoking a role
or an invite code; undoing a staff grant from the note its issuer got."""

from __future__ import annotations

from dataclasses import dataclass

from forms.texts import message
from handlers import access
from handlers.events import Button, Reply
from handlers.org.common import OrgContext, leading_unit, role_label, shown_time, t
from handlers.routing import ActionCodec
from storage.core import Person
from storage.db import Tx
from storage.org import Org, Role, storable

MAX_ROLE_BUTTONS = 20


@dataclass(frozen=True, slots=True)
class RoleRef:
    role_id: int


#: "Thu hồi" under /vaitro: ``og:rv:<role>``.
REVOKE_ROLE = ActionCodec("og", "rv", RoleRef)
#: "Hủy" under the note to the secretary whose invite was just used: ``og:ug:<role>``.
UNDO_GRANT = ActionCodec("og", "ug", RoleRef)


def _roles_header(units_names: list[str]) -> str:
    if len(units_names) == 1:
        return t("roles_header", unit=units_names[0])
    shown = ", ".join(units_names[:3]) + ("…" if len(units_names) > 3 else "")
    return t("roles_header", unit=shown)


def _role_line(role: Role, several_units: bool) -> str:
    return t(
        "role_line",
        id=role.id,
        name=role.display_name or role.platform_user_id,
        role=role_label(role.role),
        unit=role.unit_name if several_units else "",
        since=shown_time(role.granted_at),
    )


async def roles_command(ctx: OrgContext) -> list[Reply]:
    """/vaitro [#đơn_vị]: the roles, each with a "Thu hồi" button."""
    units = await ctx.managed()
    if not units:
        return [Reply(text=t("no_units"))]
    unit_id, _ = leading_unit(ctx.event.text)
    if unit_id is not None:
        units = [u for u in units if u.id == unit_id]
        if not units:
            return [Reply(text=t("unit_not_managed", id=unit_id))]
    roles = await ctx.tx.repo(Org).roles_in([u.id for u in units])
    if not roles:
        return [Reply(text=t("no_roles"))]
    lines = [_roles_header([u.name for u in units])]
    lines += [_role_line(r, len(units) > 1) for r in roles]
    lines += ["", t("roles_footer", example=roles[0].id)]
    buttons = [
        [Button(message("review.button.revoke", id=r.id), REVOKE_ROLE.encode(RoleRef(r.id)))]
        for r in roles[:MAX_ROLE_BUTTONS]
    ]
    return [Reply(text="\n".join(lines), buttons=buttons)]


async def revoke_command(ctx: OrgContext) -> list[Reply]:
    """/thuhoi số|MÃ: revoke a role by its number, or an invite code."""
    tx, person = ctx.tx, ctx.person
    arg = ctx.event.text.strip().lstrip("#")
    if not arg:
        return [Reply(text=t("revoke_usage"))]
    if arg.isdigit():
        return await revoke_role(tx, person, int(arg))
    org = tx.repo(Org)
    invite = await org.invite(arg)
    if (
        invite is None
        or person is None
        or not await access.may_manage(tx, person.id, invite.unit_id)
    ):
        return [Reply(text=t("revoke_usage"))]
    await org.revoke_invite(arg)
    await tx.audit.append(
        "invite_revoke",
        person_id=person.id,
        unit_id=invite.unit_id,
        detail={"role": invite.role},
    )
    return [Reply(text=t("invite_revoked", code=invite.token))]


async def revoke_button(ctx: OrgContext, ref: RoleRef) -> list[Reply]:
    """ "Thu hồi": the outcome as a toast and as a message."""
    replies = await revoke_role(ctx.tx, ctx.person, ref.role_id)
    return [Reply(toast=replies[0].text[:190]), *replies]


async def undo_button(ctx: OrgContext, ref: RoleRef) -> list[Reply]:
    """ "Hủy" under the note of a staff invite just used: the role revoked (recorded with
    ``via: undo``); the note is replaced by the outcome, so it cannot be tapped again."""
    outcome = (await revoke_role(ctx.tx, ctx.person, ref.role_id, via="undo"))[0]
    edit = (
        Reply(text=outcome.text, edit_ref=ctx.event.message_ref)
        if ctx.event.message_ref
        else outcome
    )
    return [Reply(toast=outcome.text[:190]), edit]


async def revoke_role(
    tx: Tx, person: Person | None, role_id: int, *, via: str = "revoke"
) -> list[Reply]:
    """Revoke role ``role_id`` for a secretary who manages its unit (never the last
    secretary of the organisation); the reply says what happened."""
    org = tx.repo(Org)
    role = await org.role(role_id) if storable(role_id) else None
    if (
        role is None
        or role.revoked_at is not None
        or person is None
        or not await access.may_manage(tx, person.id, role.unit_id)
    ):
        return [Reply(text=t("role_not_found", id=role_id))]
    if role.role == "secretary":
        # someone must still manage the unit: else only the command line could start over
        above = [u.id for u in await org.ancestors(role.unit_id)]
        others = [r for r in await org.roles_in(above, "secretary") if r.id != role.id]
        if not others:
            return [Reply(text=t("last_secretary", unit=role.unit_name))]
    revoked = await org.revoke(role_id, person.id)
    assert revoked is not None
    await tx.audit.append(
        "role_revoke",
        person_id=person.id,
        unit_id=role.unit_id,
        detail={"person": role.person_id, "role": role.role, "role_id": role.id, "via": via},
    )
    text = t(
        "revoked",
        role=role_label(role.role),
        name=role.display_name or role.platform_user_id,
        unit=role.unit_name,
    )
    return [Reply(text=text)]
