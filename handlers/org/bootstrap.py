"""The first unit and its first secretary, from the command line (``bootstrap``) or tests:
directly by platform user id, or as a one-time code the secretary sends to the bot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from admission.organisation import UNIT_KINDS
from forms.texts import message
from forms.vn import clean_text
from handlers.org.common import grant_role
from handlers.org.invites import invite_link
from storage.db import Database, Tx
from storage.org import Org, OrgError, Unit

#: The first secretary's one-time code: as short-lived as any staff invite (72 hours).
BOOTSTRAP_CODE_DAYS = 3


class BootstrapRefused(Exception):
    """The command line's ``bootstrap`` cannot run; ``str(err)`` is the Vietnamese reason."""


@dataclass(frozen=True, slots=True)
class Bootstrap:
    unit: Unit
    person_id: int | None
    code: str | None
    link: str


async def bootstrap(
    tx: Tx,
    unit_name: str,
    *,
    platform: str = "telegram",
    user_id: str | None = None,
    display_name: str = "",
    bot_username: str = "",
    kind: str = "cap_tren",
) -> Bootstrap:
    """Create the top unit and its first secretary: directly by platform user id, or as a
    one-time code the secretary sends to the bot (``/start CODE``)."""
    org = tx.repo(Org)
    if kind not in UNIT_KINDS:
        raise OrgError("bad_kind")
    unit = await org.create_unit(unit_name.strip(), kind)
    await tx.audit.append("unit_create", unit_id=unit.id, detail={"name": unit.name, "via": "cli"})
    if user_id is not None:
        person = await tx.people.get_or_create(platform, str(user_id), display_name)
        await grant_role(tx, unit.id, person.id, "secretary", by=None, via="bootstrap", actor=None)
        return Bootstrap(unit, person.id, None, "")
    invite = await org.create_invite(
        "bootstrap", unit.id, role="secretary", ttl=timedelta(days=BOOTSTRAP_CODE_DAYS)
    )
    await tx.audit.append(
        "invite_create", unit_id=unit.id, detail={"role": "secretary", "purpose": "bootstrap"}
    )
    return Bootstrap(unit, None, invite.token, invite_link(bot_username, invite.token))


async def run_bootstrap(
    db_path: str | Path,
    unit_name: str,
    *,
    telegram_id: int | None = None,
    display_name: str = "",
    bot_username: str = "",
    key: str | None = None,
) -> str:
    """The CLI's ``bootstrap`` verb: open the database, create the top unit and its first
    secretary, and return what to print (Vietnamese). Refuses (:class:`BootstrapRefused`)
    an empty unit name and a second top unit: the organisation has one root."""
    name = clean_text(unit_name)
    if not name:
        raise BootstrapRefused(message("review.cli.no_name"))
    db = await Database.open(db_path, key=key)
    try:
        async with db.transaction() as tx:
            tops = [u for u in await tx.repo(Org).units() if u.parent_id is None]
            if tops:
                raise BootstrapRefused(message("cli.error.second_top", unit=tops[0].name))
            done = await bootstrap(
                tx,
                name,
                user_id=str(telegram_id) if telegram_id is not None else None,
                display_name=display_name,
                bot_username=bot_username,
            )
    finally:
        await db.close()
    if done.code is None:
        return message(
            "review.cli.done_direct", unit=done.unit.name, id=done.unit.id, user=telegram_id
        )
    return message(
        "review.cli.done_code",
        unit=done.unit.name,
        id=done.unit.id,
        code=done.code,
        link=done.link,
        days=BOOTSTRAP_CODE_DAYS,
    )
