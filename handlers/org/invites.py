"""Invite codes: /moi creates one; ``/start CODE`` (a deep link, or typed) uses it.

A staff invite (reviewer, secretary) opens a dossier's content to whoever holds the link, so
it is short-lived: single use and 72 hours unless the secretary asks otherwise, never more
than :data:`STAFF_MAX_HOURS` hours nor :data:`STAFF_MAX_USES` uses. It grants its role at
once, and the secretary who issued it is told privately who took it, with a button that
undoes the grant (a link forwarded to the wrong person is caught at once).

A candidate invite by someone who has not consented yet stores nothing about the person: the
candidate flow greets them, asks consent and keeps the code in its conversation; the
dossier's chi bộ is read from it when the dossier is opened (:func:`unit_for`) or submitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from admission import lifecycle
from admission.organisation import CANDIDATE_LEVEL
from forms.texts import message
from forms.vn import fold
from handlers.candidate import invite_payload
from handlers.events import Button, Chat, Event, Reply
from handlers.org.common import (
    OrgContext,
    choose_unit,
    grant_role,
    invite_error,
    role_label,
    shown_time,
    t,
)
from handlers.org.roles import UNDO_GRANT, RoleRef
from storage.core import ConversationRecord
from storage.db import Tx
from storage.org import InviteError, Org, Role, RoleName, Unit, normalise_code

DEFAULT_INVITE_DAYS = 7  # a candidate invite
CANDIDATE_MAX_DAYS = 90
CANDIDATE_MAX_USES = 200
#: A staff invite: 72 hours and one use by default, and at most (issue 11).
STAFF_MAX_HOURS = 72
STAFF_MAX_USES = 10
_ROLE_WORDS: dict[str, RoleName] = {
    "duyet": "reviewer",
    "nguoiduyet": "reviewer",
    "reviewer": "reviewer",
    "ungvien": "candidate",
    "nguoikhai": "candidate",
    "quanchung": "candidate",
    "candidate": "candidate",
    "bithu": "secretary",
    "secretary": "secretary",
}
_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{6,64}$")


def invite_link(bot_username: str, code: str, *, group: bool = False) -> str:
    if not bot_username:
        return ""
    return f"https://t.me/{bot_username}?{'startgroup' if group else 'start'}={code}"


def looks_like_code(payload: str) -> bool:
    return bool(_CODE_RE.match(payload.strip()))


@dataclass(slots=True)
class InviteResult:
    """What a /start code did. ``role``/``unit_id`` tell the candidate flow that a candidate
    invite was accepted (it then asks consent and opens the dossier in that chi bộ)."""

    replies: list[Reply] = field(default_factory=list)
    role: RoleName | None = None
    unit_id: int | None = None
    ok: bool = False


# ---------------------------------------------------------------------------------------------
# /moi


@dataclass(frozen=True, slots=True)
class InviteTerms:
    """What a secretary typed after the role word: ``#3 2 ngày 5 lần`` (or ``48 giờ``)."""

    unit_id: int | None
    hours: int | None  # None: the role's default
    uses: int


def _invite_terms(rest: str) -> InviteTerms:
    unit_match = re.search(r"#(\d+)", rest)
    days_match = re.search(r"(\d+)\s*(?:ngay|ngày)", rest, re.IGNORECASE)
    hours_match = re.search(r"(\d+)\s*(?:gio|giờ|h\b)", rest, re.IGNORECASE)
    uses_match = re.search(r"(\d+)\s*(?:lan|lần|nguoi|người)", rest, re.IGNORECASE)
    hours = int(hours_match.group(1)) if hours_match else None
    if days_match:
        hours = int(days_match.group(1)) * 24
    return InviteTerms(
        int(unit_match.group(1)) if unit_match else None,
        hours,
        int(uses_match.group(1)) if uses_match else 1,
    )


def _validity(role: RoleName, terms: InviteTerms) -> timedelta | None:
    """How long the invite is valid, within the role's limits; None when the terms are out
    of them (a staff invite: 72 hours and 10 uses at most)."""
    if role == "candidate":
        hours = terms.hours if terms.hours is not None else DEFAULT_INVITE_DAYS * 24
        ok = 0 < hours <= CANDIDATE_MAX_DAYS * 24 and 0 < terms.uses <= CANDIDATE_MAX_USES
    else:
        hours = terms.hours if terms.hours is not None else STAFF_MAX_HOURS
        ok = 0 < hours <= STAFF_MAX_HOURS and 0 < terms.uses <= STAFF_MAX_USES
    return timedelta(hours=hours) if ok else None


async def invite_command(ctx: OrgContext) -> list[Reply]:
    """/moi duyet|ungvien|bithu [#đơn_vị] [N ngày] [N lần]: an invite link."""
    tx, person = ctx.tx, ctx.person
    units = await ctx.managed()
    if person is None or not units:
        return [Reply(text=t("no_units"))]
    words = ctx.event.text.split()
    if not words or fold(words[0]).replace(" ", "") not in _ROLE_WORDS:
        return [Reply(text=t("invite_usage"))]
    role = _ROLE_WORDS[fold(words[0]).replace(" ", "")]
    terms = _invite_terms(" ".join(words[1:]))
    unit = choose_unit(units, terms.unit_id)
    if isinstance(unit, Reply):
        return [unit]
    if role == "candidate" and unit.review_level != CANDIDATE_LEVEL:
        return [Reply(text=t("invite_unit_needed"))]
    ttl = _validity(role, terms)
    if ttl is None:
        key = "invite_usage" if role == "candidate" else "invite_staff_limits"
        return [Reply(text=t(key, hours=STAFF_MAX_HOURS, uses=STAFF_MAX_USES))]
    uses = terms.uses
    invite = await tx.repo(Org).create_invite(
        "role", unit.id, role=role, created_by=person.id, ttl=ttl, max_uses=uses
    )
    await tx.audit.append(
        "invite_create",
        person_id=person.id,
        unit_id=unit.id,
        detail={"role": role, "uses": uses, "hours": ttl // timedelta(hours=1)},
    )
    link = invite_link(ctx.bot_username, invite.token) or f"/start {invite.token}"
    text = t(
        "invite_created",
        role=role_label(role),
        unit=unit.name,
        link=link,
        uses=uses,
        expires=shown_time(invite.expires_at),
        code=invite.token,
    )
    if role == "candidate" and ctx.web_base:  # without a messenger: the web form
        text += "\n\n" + message("web.chat.invite_link", url=f"{ctx.web_base}/w/moi/{invite.token}")
    return [Reply(text=text)]


# ---------------------------------------------------------------------------------------------
# /start CODE (private)


async def redeem_start(tx: Tx, event: Event, payload: str) -> InviteResult | None:
    """Use an invite or bootstrap code sent as ``/start CODE`` in a private chat.

    None when ``payload`` is no code of ours (the caller treats /start as usual). A candidate
    invite returns ``role="candidate"`` and the chi bộ's ``unit_id`` without storing the
    person: the candidate flow asks consent first, then calls :func:`accept_candidate`.
    """
    payload = payload.strip()
    if not looks_like_code(payload):
        return None
    org = tx.repo(Org)
    invite = await org.invite(payload)
    if invite is None:
        if event.chat.kind == "private" and len(normalise_code(payload)) == 10:
            return InviteResult([Reply(text=t("invite_unknown"))])
        return None
    if event.chat.kind != "private":
        return InviteResult([Reply(text=t("invite_in_group"))])
    if invite.purpose == "bind_group":
        return InviteResult([Reply(text=t("invite_wrong_place", code=invite.token))])
    try:
        invite = await org.redeem(payload, "role", "bootstrap")
    except InviteError as err:
        return InviteResult([Reply(text=invite_error(err.reason))])
    unit = await org.unit(invite.unit_id)
    assert unit is not None
    role: RoleName = invite.role or "secretary"
    if role == "candidate":
        await tx.audit.append(
            "invite_use", unit_id=unit.id, detail={"role": "candidate", "purpose": "role"}
        )
        welcome = Reply(text=t("invite_welcome_candidate", unit=unit.name))
        return InviteResult([welcome], role="candidate", unit_id=unit.id, ok=True)
    person = await tx.people.get_or_create(event.user.platform, event.user.id, event.user.name)
    await org.note_private_chat(event.user.platform, event.user.id, event.chat.id)
    by = invite.created_by
    granted = await grant_role(tx, unit.id, person.id, role, by=by, via=invite.purpose, actor=by)
    key = "bootstrap_done" if invite.purpose == "bootstrap" else f"invite_welcome_{role}"
    text = t(key, unit=unit.name) if granted else t("invite_already", unit=unit.name)
    replies = [Reply(text=text)]
    if granted is not None and by is not None:
        replies += await _tell_issuer(tx, by, granted, unit, event.user.name)
    return InviteResult(replies, role=role, unit_id=unit.id, ok=True)


async def _tell_issuer(tx: Tx, issuer_id: int, granted: Role, unit: Unit, name: str) -> list[Reply]:
    """The secretary who issued a staff invite learns, privately, who just took it, with a
    button that undoes the grant (a link that reached the wrong person)."""
    issuer = await tx.people.get(issuer_id)
    if issuer is None:
        return []
    found = await tx.repo(Org).reach(issuer.platform, issuer.platform_user_id)
    if found is None:
        return []
    text = t(
        "staff_joined",
        name=granted.display_name or name or granted.platform_user_id,
        role=role_label(granted.role),
        unit=unit.name,
        at=shown_time(tx.now),
    )
    undo = UNDO_GRANT.encode(RoleRef(granted.id))
    button = Button(message("review.button.undo_grant"), undo)
    return [Reply(text=text, chat=Chat(*found, "private"), buttons=[[button]])]


async def on_start(tx: Tx, event: Event, payload: str) -> list[Reply] | None:
    """The candidate flow's /start hook: invite and bootstrap codes.

    A candidate invite by someone who has not consented yet returns None: the candidate flow
    greets them and asks consent, keeping the code in its conversation state; the review flow
    reads it there when the dossier is submitted (nothing about the person is stored before
    consent). A consented candidate's dossier is attached right away.
    """
    payload = payload.strip()
    conv = await tx.conversations.get(event.chat.platform, event.chat.id, event.user.id)
    if conv is not None and invite_payload(conv) == payload:
        return None  # the same person opening the same invite link again
    result = await redeem_start(tx, event, payload)
    if result is None:
        return None
    if result.role != "candidate" or not result.ok or result.unit_id is None:
        return result.replies
    person = await tx.people.find(event.user.platform, event.user.id)
    if person is None or not person.consent_at:
        return None
    await accept_candidate(tx, person.id, result.unit_id)
    record = await tx.dossiers.current_for(person.id)
    unit = await tx.repo(Org).unit(result.unit_id)
    assert unit is not None
    if record is not None and lifecycle.editable_by_candidate(record.status):
        await tx.dossiers.set_meta(record, unit_id=unit.id)
    return [Reply(text=t("candidate_attached", unit=unit.name))]


async def unit_for(tx: Tx, person_id: int, payload: str) -> int | None:
    """The candidate flow's hook when it opens a dossier (right after consent): the chi bộ of
    the candidate invite the person used before consenting (kept as the /start payload), which
    also becomes their candidate role; else their candidate role's unit."""
    org = tx.repo(Org)
    invite = await org.invite(payload) if payload and looks_like_code(payload) else None
    if (
        invite is not None
        and invite.purpose == "role"
        and invite.role == "candidate"
        and invite.uses > 0
    ):
        await accept_candidate(tx, person_id, invite.unit_id)
        return invite.unit_id
    return await org.candidate_unit(person_id)


async def accept_candidate(tx: Tx, person_id: int, unit_id: int) -> None:
    """Record the candidate role once the person has consented (after a candidate invite)."""
    await grant_role(tx, unit_id, person_id, "candidate", by=None, via="invite")


async def invited_unit(tx: Tx, conversations: list[ConversationRecord]) -> int | None:
    """The chi bộ of a candidate invite kept in one of these conversations (a person who used
    an invite before consenting), or None."""
    org = tx.repo(Org)
    for conv in conversations:
        payload = invite_payload(conv)
        invite = await org.invite(payload) if payload else None
        if invite and invite.purpose == "role" and invite.role == "candidate":
            return invite.unit_id
    return None
