"""What the organisation's commands share, and what the review flow uses of the organisation:
the event being handled, texts, granting a role, writing to a unit's secretaries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from admission.clock import local_time
from forms.texts import message
from handlers.events import Button, Chat, Event, Reply
from storage.core import Person
from storage.db import Tx
from storage.org import Org, Role, RoleName, Unit


@dataclass(frozen=True, slots=True)
class OrgContext:
    """One event for the organisation flow: the transaction, the event and who sent it."""

    tx: Tx
    event: Event
    person: Person | None
    bot_username: str = ""
    web_base: str = ""  # the web companion's base URL ("" : no web)

    async def managed(self) -> list[Unit]:
        """The units the sender manages as secretary (with everything below them)."""
        return await self.tx.repo(Org).secretary_units(self.person.id) if self.person else []


def t(key: str, **kw: Any) -> str:
    return message(f"review.org.{key}", **kw)


def shown_time(iso: str | None) -> str:
    """'14:05 25/10/2025' on the users' clock, for people ('' for no time; text that is no
    time is shown as it is)."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return local_time(moment).strftime("%H:%M %d/%m/%Y")


def role_label(role: str) -> str:
    names = t("role_names").split("|")
    return dict(zip(("reviewer", "candidate", "secretary"), names, strict=True)).get(role, role)


def no_right() -> list[Reply]:
    return [Reply(text=message("review.refuse.no_right"))]


async def grant_role(
    tx: Tx,
    unit_id: int,
    person_id: int,
    role: RoleName,
    *,
    by: int | None,
    via: str,
    actor: int | Literal["person"] | None = "person",
) -> Role | None:
    """Grant ``role`` (granted by ``by``) and record it once: the new role, or None when it
    was held already. The audit row names ``actor``: the person themself unless told
    otherwise."""
    granted, new = await tx.repo(Org).grant(unit_id, person_id, role, by)
    if not new:
        return None
    await tx.audit.append(
        "role_grant",
        person_id=person_id if actor == "person" else actor,
        unit_id=unit_id,
        detail={"person": person_id, "role": role, "via": via},
    )
    return granted


async def secretaries_reply(
    tx: Tx, unit: Unit, text: str, *, buttons: list[list[Button]] | None = None
) -> list[Reply]:
    """``text`` (with ``buttons``) to every secretary of ``unit`` or of a unit above it who
    can be reached in a private chat (each once)."""
    org = tx.repo(Org)
    replies: list[Reply] = []
    seen: set[tuple[str, str]] = set()
    for role in await org.roles_in([u.id for u in await org.ancestors(unit.id)], "secretary"):
        found = await org.reach(role.platform, role.platform_user_id)
        if found is None or found in seen:
            continue
        seen.add(found)
        chat = Chat(*found, "private")
        replies.append(Reply(text=text, chat=chat, buttons=list(buttons or [])))
    return replies


def choose_unit(units: list[Unit], unit_id: int | None) -> Unit | Reply:
    """The managed unit numbered ``unit_id``, or with no number the one unit at the top of
    those one manages; else the reply that says why not."""
    managed = {u.id: u for u in units}
    if unit_id is None:
        roots = [u for u in units if u.parent_id not in managed]
        return roots[0] if len(roots) == 1 else Reply(text=t("choose_parent"))
    return managed.get(unit_id) or Reply(text=t("unit_not_managed", id=unit_id))


def unit_row(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.id,
        "name": unit.name,
        "level": unit.review_level,
        "level_name": unit.level_name,
        "group": unit.has_group,
    }


def leading_unit(text: str) -> tuple[int | None, str]:
    """'#3 Chi bộ X' → (3, 'Chi bộ X'); 'Chi bộ X' → (None, 'Chi bộ X')."""
    match = re.match(r"^\s*#(\d+)\s*(.*)$", text, re.DOTALL)
    if match:
        return int(match.group(1)), match.group(2)
    match = re.match(r"^\s*(\d+)\s*$", text)
    if match:
        return int(match.group(1)), ""
    return None, text


def invite_error(reason: str) -> str:
    key = {
        "used": "invite_used",
        "expired": "invite_expired",
        "revoked": "invite_revoked_msg",
    }.get(reason, "invite_unknown")
    return t(key)
