"""A candidate without a messenger: the chi bộ's candidate invite (``/moi ungvien``, the same
single-use, expiring code as the chat's ``/start CODE``) opens the consent on the web, and
only once it is accepted is anything stored — the person (platform ``web``), their consent
with its version, the candidate role and a dossier in the invite's chi bộ — exactly what the
chat's consent stores. The browser then holds a ``form`` session of that person.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from forms.texts import render
from handlers.candidate.consent import version
from handlers.candidate.core import Notice
from handlers.org.invites import accept_candidate
from storage.core import DossierRecord, Person
from storage.db import Tx
from storage.org import Invite, InviteError, Org, normalise_code

PLATFORM = "web"
NAME_LIMIT = 120


@dataclass(frozen=True, slots=True)
class Joined:
    person: Person
    record: DossierRecord


def consent_texts(notice: Notice) -> str:
    """The consent's full text, as the chat shows it with «Xem đầy đủ»."""
    context: dict[str, Any] = {
        "controller": notice.controller or "",
        "days": notice.retention_days,
        "abandoned": notice.abandoned_days,
        "warning": notice.abandoned_warning_days,
    }
    if not notice.controller:
        from handlers.candidate.texts import t

        context["controller"] = t("consent.controller_unset")
    return render("chat/consent_full.j2", **context)


async def open_invite(tx: Tx, code: str) -> Invite | None:
    """The candidate invite ``code`` names while it can still be used (nothing is used yet)."""
    invite = await tx.repo(Org).invite(normalise_code(code))
    if invite is None or invite.purpose != "role" or invite.role != "candidate":
        return None
    if invite.revoked_at is not None or invite.uses >= invite.max_uses:
        return None
    if invite.expires_at is not None and invite.expires_at <= tx.now:
        return None
    return invite


async def join(tx: Tx, code: str, name: str) -> Joined | None:
    """The consent accepted on the web: the invite used once, then the person, their consent,
    their candidate role and their dossier stored; None when the invite cannot be used."""
    if await open_invite(tx, code) is None:
        return None
    try:
        invite = await tx.repo(Org).redeem(code, "role")
    except InviteError:
        return None
    shown = " ".join(name.split())[:NAME_LIMIT]
    person = await tx.people.get_or_create(
        PLATFORM, secrets.token_urlsafe(12), shown, consent=True, version=version()
    )
    await tx.audit.append("consent_given", person_id=person.id, detail={"version": version()})
    await tx.audit.append(
        "invite_use", unit_id=invite.unit_id, detail={"role": "candidate", "purpose": "web"}
    )
    await accept_candidate(tx, person.id, invite.unit_id)
    record = await tx.dossiers.create(person.id, unit_id=invite.unit_id)
    await tx.audit.append("dossier_opened", person_id=person.id, dossier_id=record.id)
    return Joined(person, record)
