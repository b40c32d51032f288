"""One person, two channels: a candidate who started on Telegram finishes on Zalo (or the other
way), a reviewer keeps their roles, by linking the two identities with a one-time code.

``/lienket`` on the first channel gives a code (single use, :data:`CODE_TTL`); ``/lienket MÃ``
on the other links that identity to the same person (storage/identities.py), after which
``People.find`` reads it as them: dossier, progress and roles follow. Two people's data are
never merged: an identity that already has its own person row is refused. Each step is
audited (no code, no identity in the detail: the channel only).
"""

from __future__ import annotations

from datetime import timedelta

from forms.texts import message
from handlers.events import Event, Reply
from handlers.routing import Routes
from storage.db import Tx
from storage.identities import Identities
from storage.org import Org

CODE_TTL = timedelta(minutes=15)


def t(key: str, **kw: object) -> str:
    return message(f"identity.link.{key}", **kw)


class IdentityFlow:
    """Owns ``/lienket`` in private chats (see the module docstring)."""

    name = "identity"
    routes = Routes(flow="identity", commands={"lienket": "private"})

    async def handle(self, tx: Tx, event: Event) -> list[Reply]:
        code = event.text.strip()
        if not code:
            return [Reply(text=await self._issue(tx, event))]
        return [Reply(text=await self._redeem(tx, event, code))]

    async def _issue(self, tx: Tx, event: Event) -> str:
        person = await tx.people.find(event.user.platform, event.user.id)
        if person is None or (not person.consent_at and not await tx.repo(Org).roles_of(person.id)):
            return t("no_person")
        code = await tx.repo(Identities).issue_code(person.id, CODE_TTL)
        await tx.audit.append(
            "identity_code", person_id=person.id, detail={"platform": event.user.platform}
        )
        return t("code", code=code, minutes=int(CODE_TTL.total_seconds() // 60))

    async def _redeem(self, tx: Tx, event: Event, code: str) -> str:
        platform, user_id = event.user.platform, event.user.id
        own = await tx.people.find(platform, user_id)
        ids = tx.repo(Identities)
        person_id = await ids.redeem(code)
        if person_id is None:
            return t("bad_code")
        if own is not None:
            return t("already") if own.id == person_id else t("own_data")
        person = await tx.people.get(person_id)
        if person is None:
            return t("bad_code")
        if person.platform == platform:
            return t("same_channel")
        if any(p == platform for p, _ in await ids.linked(person_id)):
            return t("channel_taken")
        await ids.link(platform, user_id, person_id)
        await tx.repo(Org).note_private_chat(platform, user_id, event.chat.id)
        await tx.audit.append("identity_linked", person_id=person_id, detail={"platform": platform})
        return t("done")
