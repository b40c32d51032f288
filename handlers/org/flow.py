"""The organisation flow: its routes, and the tables that send each event to its handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from admission import access as rules
from forms.texts import message
from handlers import access
from handlers.events import Chat, Event, EventKind, Reply
from handlers.org import groups, invites, roles, staff, units
from handlers.org.common import OrgContext, t
from handlers.org.invites import InviteResult
from handlers.routing import ActionCodec, Outsider, Routes
from storage.db import Tx
from storage.org import Org

Handler = Callable[[OrgContext], Awaitable[list[Reply]]]
ButtonHandler = Callable[[OrgContext, Any], Awaitable[list[Reply]]]


async def _start(ctx: OrgContext) -> list[Reply]:
    """A plain /start in private comes from staff (see ``claims_private``); ``/start CODE`` in
    a group comes from a ``startgroup`` link: a binding code."""
    if ctx.event.chat.kind == "private":
        return await staff.staff_start(ctx)
    return await groups.bind_command(ctx)


#: Commands, typed in a private chat unless said otherwise.
COMMANDS: dict[str, Handler] = {
    "quanly": units.help_command,
    "donvi": units.units_command,
    "capduyet": units.level_command,
    "moi": invites.invite_command,
    "vaitro": roles.roles_command,
    "thuhoi": roles.revoke_command,
    "ketnoi": groups.bind_command,
    "lichsu": staff.history_command,
}
#: Typed in a group, these answer "in the private chat" (the group menu offers /ketnoi and the
#: /quanly help there).
PRIVATE_ONLY = frozenset(COMMANDS) - {"ketnoi", "quanly"}
BUTTONS: dict[ActionCodec[Any], ButtonHandler] = {
    roles.REVOKE_ROLE: roles.revoke_button,
    roles.UNDO_GRANT: roles.undo_button,
}
#: Commands that bind a group to a unit (see :meth:`OrgFlow.outsider`).
BINDING = frozenset({"ketnoi", "start"})


async def _command(ctx: OrgContext) -> list[Reply]:
    name = ctx.event.command
    if name == "start":
        return await _start(ctx)
    if ctx.event.chat.kind != "private" and name in PRIVATE_ONLY:
        # managing people and units, and a dossier's history, are not for the group
        return [Reply(text=t("private_only", command=name))]
    return await COMMANDS[name](ctx)


async def _button(ctx: OrgContext) -> list[Reply]:
    for codec, handler in BUTTONS.items():
        decoded = codec.decode(ctx.event.action)
        if decoded is not None:
            return await handler(ctx, decoded.payload)
    return [Reply(toast=message("review.refuse.no_right"))]


#: What each kind of event the flow owns goes to.
KINDS: dict[EventKind, Handler] = {
    "command": _command,
    "button": _button,
    "text": staff.staff_start,  # staff typing in their private chat
    "other": staff.staff_start,
    "bot_added": groups.bot_added,
    "bot_removed": groups.bot_removed,
}


class OrgFlow:
    """Secretary commands, invite redemption and group binding (see the package docstring)."""

    name = "org"
    routes = Routes(
        flow="org",
        prefix="og",
        commands={**dict.fromkeys(COMMANDS, "any"), "start": "group"},
        actions=tuple(BUTTONS),
        kinds=frozenset({"bot_added", "bot_removed"}),
        claims_private=True,
        group_roles=True,
    )

    def __init__(self, *, bot_username: str = "", web_base: str = "") -> None:
        self.bot_username = bot_username
        self.web_base = web_base  # candidate invites also open the web form there

    async def claims_private(self, tx: Tx, event: Event) -> bool:
        """A private text or plain /start from a reviewer or secretary with no dossier
        conversation of their own: their roles, not the candidate's consent prompt."""
        if event.kind == "command" and (event.command != "start" or event.text.strip()):
            return False
        if event.kind != "command":
            # checked cheaply first, as it runs for every candidate's answer
            conv = await tx.conversations.get(event.chat.platform, event.chat.id, event.user.id)
            if conv is not None and conv.dossier_id is not None:
                return False
        person = await tx.people.find(event.user.platform, event.user.id)
        if person is None:
            return False
        return rules.is_staff(await access.grants_of(tx, person.id))

    async def handle(self, tx: Tx, event: Event) -> list[Reply]:
        person = await tx.people.find(event.user.platform, event.user.id)
        if person is not None and event.chat.kind == "private":
            await tx.repo(Org).note_private_chat(event.user.platform, event.user.id, event.chat.id)
        handler = KINDS.get(event.kind)
        if handler is None:
            return []
        return await handler(OrgContext(tx, event, person, self.bot_username, self.web_base))

    async def outsider(self, tx: Tx, event: Event) -> Outsider | None:
        """None when the sender of a group's command or tap holds a role there
        (:func:`admission.access.belongs_in_group`); a binding command (/ketnoi, /start with
        a code) is judged as in a group bound to no unit: a secretary binds a group wherever
        it was bound before."""
        person = await tx.people.find(event.user.platform, event.user.id)
        grants = await access.grants_of(tx, person.id if person else None)
        org = tx.repo(Org)
        unit = await org.unit_by_group(event.chat.platform, event.chat.id)
        binding = event.kind == "command" and event.command in BINDING
        ancestors = None if unit is None or binding else await org.ancestors(unit.id)
        if rules.belongs_in_group(grants, None if ancestors is None else [u.id for u in ancestors]):
            return None
        chat_id = await org.private_chat(event.user.platform, event.user.id)
        return Outsider(Chat(event.user.platform, chat_id, "private") if chat_id else None)

    # -- hooks of the candidate flow (passed in by bot/app.py) ------------------------------------
    def looks_like_code(self, payload: str) -> bool:
        return invites.looks_like_code(payload)

    async def redeem_start(self, tx: Tx, event: Event, payload: str) -> InviteResult | None:
        """See :func:`handlers.org.invites.redeem_start`."""
        return await invites.redeem_start(tx, event, payload)

    async def on_start(self, tx: Tx, event: Event, payload: str) -> list[Reply] | None:
        """See :func:`handlers.org.invites.on_start`."""
        return await invites.on_start(tx, event, payload)

    async def unit_for(self, tx: Tx, person_id: int, payload: str) -> int | None:
        """See :func:`handlers.org.invites.unit_for`."""
        return await invites.unit_for(tx, person_id, payload)

    async def staff_help(self, tx: Tx, event: Event) -> list[Reply]:
        """See :func:`handlers.org.staff.staff_help` (the candidate flow's /trogiup asks)."""
        person = await tx.people.find(event.user.platform, event.user.id)
        return await staff.staff_help(
            OrgContext(tx, event, person, self.bot_username, self.web_base)
        )

    async def accept_candidate(self, tx: Tx, person_id: int, unit_id: int) -> None:
        await invites.accept_candidate(tx, person_id, unit_id)
