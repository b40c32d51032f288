"""The organisation: units, roles, invites, bootstrap codes and group binding, as chat commands
for secretaries (and the CLI's bootstrap).

Commands (Vietnamese, typed in a private chat with the bot unless said otherwise):

* ``/quanly`` — what a secretary can do, and their units.
* ``/donvi`` — list the units one manages; ``/donvi [#cha] Tên`` creates a sub-unit (its kind,
  and so its default review level, is read from the name: "Chi bộ …" reviews at level 1,
  "Đảng bộ …/Đảng ủy …" at level 2).
* ``/capduyet #đơn_vị số_cấp Tên cấp`` | ``/capduyet #đơn_vị khong`` — the review levels of a
  unit tree are data: any number of levels, any names.
* ``/moi duyet|ungvien|bithu [#đơn_vị] [N ngày] [N lần]`` — an invite link
  ``https://t.me/<bot>?start=<code>`` (single use by default, 7 days).
* ``/vaitro [#đơn_vị]`` — roles, with a "Thu hồi" button each; ``/thuhoi số|MÃ`` — revoke.
* ``/ketnoi [#đơn_vị]`` — a one-time code; ``/ketnoi MÃ`` typed IN the group binds it (only a
  secretary of that unit can), and the bot announces what it will post there.
* ``/lichsu #hồ_sơ`` — a dossier's history (who, when, which revision; never content).

Invite codes reach the bot as ``/start CODE`` (deep link or typed): :meth:`OrgFlow.redeem_start`
is the hook the candidate flow calls for a /start payload. Every role change, binding and unit
change is appended to audit_log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from forms.texts import message, render
from forms.vn import fold
from handlers import access
from handlers.events import Button, Event, Reply
from handlers.review import grant_role, local_time, secretaries_reply
from handlers.routing import Routes
from handlers.stages import person_label, step_label
from storage.core import Person
from storage.db import Tx
from storage.history import History
from storage.org import UNIT_KINDS, InviteError, Org, OrgError, RoleName, Unit, normalise_code
from storage.reviews import Reviews

PREFIX = "og:"
COMMANDS = ("quanly", "donvi", "capduyet", "moi", "vaitro", "thuhoi", "ketnoi", "lichsu")
#: Typed in a group, these answer "in the private chat" (the group menu offers /ketnoi and the
#: /quanly help there).
PRIVATE_ONLY = frozenset(COMMANDS) - {"ketnoi", "quanly"}
DEFAULT_INVITE_DAYS = 7
BIND_CODE_HOURS = 24
BOOTSTRAP_CODE_DAYS = 7
MAX_ROLE_BUTTONS = 20
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


def t(key: str, **kw: Any) -> str:
    return message(f"review.org.{key}", **kw)


def role_label(role: str) -> str:
    names = t("role_names").split("|")
    return dict(zip(("reviewer", "candidate", "secretary"), names, strict=True)).get(role, role)


def kind_from_name(name: str, parent: Unit | None) -> str:
    """A unit's kind read from its Vietnamese name (decides its default review level)."""
    key = fold(name)
    if key.startswith("chi bo co so"):
        return "chi_bo_co_so"
    if key.startswith("chi bo"):
        return "chi_bo"
    if key.startswith("dang bo bo phan") or key.startswith("dang uy bo phan"):
        return "dang_bo_bo_phan"
    if key.startswith(("dang bo", "dang uy")):
        return "dang_bo_co_so" if parent is not None else "cap_tren"
    if parent is not None and parent.kind in ("dang_bo_co_so", "dang_bo_bo_phan"):
        return "chi_bo"
    return "dang_bo_co_so" if parent is not None else "cap_tren"


def invite_link(bot_username: str, code: str, *, group: bool = False) -> str:
    if not bot_username:
        return ""
    return f"https://t.me/{bot_username}?{'startgroup' if group else 'start'}={code}"


@dataclass(slots=True)
class InviteResult:
    """What a /start code did. ``role``/``unit_id`` tell the candidate flow that a candidate
    invite was accepted (it then asks consent and opens the dossier in that chi bộ)."""

    replies: list[Reply] = field(default_factory=list)
    role: RoleName | None = None
    unit_id: int | None = None
    ok: bool = False


# ---------------------------------------------------------------------------------------------
# Bootstrap (used by the CLI verb and tests)


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
) -> str:
    """The CLI's ``bootstrap`` verb: open the database, create the top unit and its first
    secretary, and return what to print (Vietnamese)."""
    from storage.db import Database

    name = " ".join(unit_name.split())
    if not name:
        return message("review.cli.no_name")
    db = await Database.open(db_path)
    try:
        async with db.transaction() as tx:
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


# ---------------------------------------------------------------------------------------------
# The flow


class OrgFlow:
    """Secretary commands, invite redemption and group binding."""

    name = "org"
    routes = Routes(
        flow="org",
        prefix="og",
        commands={**{name: "any" for name in COMMANDS}, "start": "group"},
        kinds=frozenset({"bot_added", "bot_removed"}),
        claims_private=True,
    )

    def __init__(self, *, bot_username: str = "") -> None:
        self.bot_username = bot_username

    def claims(self, event: Event) -> bool:
        if event.kind in ("bot_added", "bot_removed"):
            return True
        if event.kind == "button":
            return event.action.startswith(PREFIX)
        if event.kind == "command":
            if event.command in COMMANDS:
                return True
            # "/start CODE" in a group comes from a startgroup link: a binding code; a plain
            # /start in private may come from a reviewer or a secretary
            return event.command == "start" and (
                event.chat.kind == "group" or not event.text.strip()
            )
        # A reviewer or secretary typing in their private chat is no candidate: see handle().
        return event.chat.kind == "private" and event.kind in ("text", "other")

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
        return any(r.role != "candidate" for r in await tx.repo(Org).roles_of(person.id))

    async def handle(self, tx: Tx, event: Event) -> list[Reply] | None:
        if not self.claims(event):
            return None
        if event.kind in ("text", "other"):
            # Free text in a private chat: a candidate's answer unless the writer is staff with
            # no conversation of their own. Checked cheaply first, as it runs for every answer.
            conv = await tx.conversations.get(event.chat.platform, event.chat.id, event.user.id)
            if conv is not None and conv.dossier_id is not None:
                return None
        person = await tx.people.find(event.user.platform, event.user.id)
        if person is not None and event.chat.kind == "private":
            await tx.repo(Org).note_private_chat(event.user.platform, event.user.id, event.chat.id)
        if event.kind == "bot_added":
            return await self._bot_added(tx, event)
        if event.kind == "bot_removed":
            return await self._bot_removed(tx, event, person)
        if event.kind == "button":
            return await self._button(tx, event, person)
        if event.command == "start" and event.chat.kind == "private":
            return await self._staff_start(tx, event, person)
        if event.kind in ("text", "other"):
            # their commands, not the candidate's consent prompt offering to collect a biography
            return await self._staff_start(tx, event, person)
        if event.chat.kind != "private" and event.command in PRIVATE_ONLY:
            # managing people and units, and a dossier's history, are not for the group
            return [Reply(text=t("private_only", command=event.command))]
        handler = {
            "quanly": self._help,
            "donvi": self._units,
            "capduyet": self._set_level,
            "moi": self._invite,
            "vaitro": self._roles,
            "thuhoi": self._revoke,
            "ketnoi": self._bind,
            "lichsu": self._history,
            "start": self._bind,
        }[event.command]
        return await handler(tx, event, person)

    # -- /start CODE (private) -------------------------------------------------------------------
    def looks_like_code(self, payload: str) -> bool:
        return bool(_CODE_RE.match(payload.strip()))

    async def redeem_start(self, tx: Tx, event: Event, payload: str) -> InviteResult | None:
        """Use an invite or bootstrap code sent as ``/start CODE`` in a private chat.

        None when ``payload`` is no code of ours (the caller treats /start as usual). A
        candidate invite returns ``role="candidate"`` and the chi bộ's ``unit_id`` without
        storing the person: the candidate flow asks consent first, then calls
        :meth:`accept_candidate`.
        """
        payload = payload.strip()
        if not self.looks_like_code(payload):
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
            return InviteResult([Reply(text=_invite_error(err.reason))])
        unit = await org.unit(invite.unit_id)
        assert unit is not None
        role: RoleName = invite.role or "secretary"
        if role == "candidate":
            await tx.audit.append(
                "invite_use", unit_id=unit.id, detail={"role": "candidate", "purpose": "role"}
            )
            return InviteResult(
                [Reply(text=t("invite_welcome_candidate", unit=unit.name))],
                role="candidate",
                unit_id=unit.id,
                ok=True,
            )
        person = await tx.people.get_or_create(event.user.platform, event.user.id, event.user.name)
        await org.note_private_chat(event.user.platform, event.user.id, event.chat.id)
        by = invite.created_by
        new = await grant_role(tx, unit.id, person.id, role, by=by, via=invite.purpose, actor=by)
        key = "bootstrap_done" if invite.purpose == "bootstrap" else f"invite_welcome_{role}"
        text = t(key, unit=unit.name) if new else t("invite_already", unit=unit.name)
        return InviteResult([Reply(text=text)], role=role, unit_id=unit.id, ok=True)

    async def on_start(self, tx: Tx, event: Event, payload: str) -> list[Reply] | None:
        """The candidate flow's /start hook: invite and bootstrap codes.

        A candidate invite by someone who has not consented yet returns None: the candidate
        flow greets them and asks consent, keeping the code in its conversation state; the
        review flow reads it there when the dossier is submitted (nothing about the person is
        stored before consent). A consented candidate's dossier is attached right away.
        """
        payload = payload.strip()
        conv = await tx.conversations.get(event.chat.platform, event.chat.id, event.user.id)
        if conv is not None and conv.state.get("payload") == payload:
            return None  # the same person opening the same invite link again
        result = await self.redeem_start(tx, event, payload)
        if result is None:
            return None
        if result.role != "candidate" or not result.ok or result.unit_id is None:
            return result.replies
        person = await tx.people.find(event.user.platform, event.user.id)
        if person is None or not person.consent_at:
            return None
        await self.accept_candidate(tx, person.id, result.unit_id)
        record = await tx.dossiers.current_for(person.id)
        unit = await tx.repo(Org).unit(result.unit_id)
        assert unit is not None
        if record is not None and record.status in ("draft", "returned"):
            await tx.dossiers.set_meta(record, unit_id=unit.id)
        return [Reply(text=t("candidate_attached", unit=unit.name))]

    async def unit_for(self, tx: Tx, person_id: int, payload: str) -> int | None:
        """The candidate flow's hook when it opens a dossier (right after consent): the chi bộ
        of the candidate invite the person used before consenting (kept as the /start
        payload), which also becomes their candidate role; else their candidate role's unit."""
        org = tx.repo(Org)
        invite = await org.invite(payload) if payload and self.looks_like_code(payload) else None
        if (
            invite is not None
            and invite.purpose == "role"
            and invite.role == "candidate"
            and invite.uses > 0
        ):
            await self.accept_candidate(tx, person_id, invite.unit_id)
            return invite.unit_id
        return await org.candidate_unit(person_id)

    async def accept_candidate(self, tx: Tx, person_id: int, unit_id: int) -> None:
        """Record the candidate role once the person has consented (called by the candidate
        flow after a candidate invite)."""
        await grant_role(tx, unit_id, person_id, "candidate", by=None, via="invite")

    async def _staff_start(self, tx: Tx, event: Event, person: Person | None) -> list[Reply] | None:
        """/start from a reviewer or secretary: their roles, not the candidate's consent."""
        if person is None:
            return None
        roles = [r for r in await tx.repo(Org).roles_of(person.id) if r.role != "candidate"]
        if not roles:
            return None
        lines = [t("staff_role", role=role_label(r.role), unit=r.unit_name) for r in roles]
        return [Reply(text=render("review/staff_welcome.j2", roles=lines))]

    # -- help and units --------------------------------------------------------------------------
    async def _managed(self, tx: Tx, person: Person | None) -> list[Unit]:
        return await tx.repo(Org).secretary_units(person.id) if person else []

    async def _help(self, tx: Tx, event: Event, person: Person | None) -> list[Reply]:
        units = await self._managed(tx, person)
        return [Reply(text=render("review/manage_help.j2", units=[_unit_row(u) for u in units]))]

    async def _units(self, tx: Tx, event: Event, person: Person | None) -> list[Reply]:
        units = await self._managed(tx, person)
        if not units:
            return [Reply(text=t("no_units"))]
        text = event.text.strip()
        if not text:
            lines = [
                t("units_header"),
                *(t("unit_line", **_unit_row(u)) for u in units),
                "",
                t("units_footer"),
            ]
            return [Reply(text="\n".join(lines))]
        parent_id, name = _leading_unit(text)
        parent = _choose_unit(units, parent_id)
        if isinstance(parent, Reply):
            return [parent]
        name = " ".join(name.split())
        if not name:
            return [Reply(text=t("name_missing"))]
        assert person is not None
        unit = await tx.repo(Org).create_unit(name[:200], kind_from_name(name, parent), parent.id)
        await tx.audit.append(
            "unit_create",
            person_id=person.id,
            unit_id=unit.id,
            detail={"name": unit.name, "parent": parent.id, "kind": unit.kind},
        )
        return [
            Reply(
                text=t(
                    "created",
                    id=unit.id,
                    name=unit.name,
                    parent=parent.name,
                    level=unit.review_level,
                    level_name=unit.level_name,
                )
            )
        ]

    async def _set_level(self, tx: Tx, event: Event, person: Person | None) -> list[Reply]:
        match = re.match(r"^\s*#?(\d+)\s+(\S+)\s*(.*)$", event.text, re.DOTALL)
        if not match:
            return [Reply(text=t("level_usage"))]
        unit_id, level_text, name = int(match.group(1)), fold(match.group(2)), match.group(3)
        if person is None or not await access.may_manage(tx, person.id, unit_id):
            return [Reply(text=t("unit_not_managed", id=unit_id))]
        org = tx.repo(Org)
        level: int | None
        if level_text in ("khong", "0", "-"):
            level, name = None, ""
        elif level_text.isdigit() and 0 < int(level_text) <= 9:
            level = int(level_text)
            name = " ".join(name.split())[:100] or t("level_default_name", level=level)
        else:
            return [Reply(text=t("level_usage"))]
        unit = await org.unit(unit_id)
        waiting = await tx.repo(Reviews).under_review(unit) if unit else []
        if unit is not None and waiting and level != unit.review_level:
            # they would wait at a level no unit has any more: invisible, refused to everyone
            ids = ", ".join(f"#{w.dossier_id}" for w in waiting[:10])
            return [Reply(text=t("level_busy", name=unit.name, count=len(waiting), ids=ids))]
        await org.set_review_level(unit_id, level, name)
        unit = await org.unit(unit_id)
        assert unit is not None
        await tx.audit.append(
            "review_level_set",
            person_id=person.id,
            unit_id=unit_id,
            detail={"level": level, "name": name},
        )
        return [
            Reply(
                text=t(
                    "level_set", id=unit.id, name=unit.name, level=level, level_name=unit.level_name
                )
            )
        ]

    # -- invites ---------------------------------------------------------------------------------
    async def _invite(self, tx: Tx, event: Event, person: Person | None) -> list[Reply]:
        units = await self._managed(tx, person)
        if person is None or not units:
            return [Reply(text=t("no_units"))]
        words = event.text.split()
        if not words or fold(words[0]).replace(" ", "") not in _ROLE_WORDS:
            return [Reply(text=t("invite_usage"))]
        role = _ROLE_WORDS[fold(words[0]).replace(" ", "")]
        rest = " ".join(words[1:])
        unit_match = re.search(r"#(\d+)", rest)
        days_match = re.search(r"(\d+)\s*(?:ngay|ngày)", rest, re.IGNORECASE)
        uses_match = re.search(r"(\d+)\s*(?:lan|lần|nguoi|người)", rest, re.IGNORECASE)
        unit = _choose_unit(units, int(unit_match.group(1)) if unit_match else None)
        if isinstance(unit, Reply):
            return [unit]
        if role == "candidate" and unit.review_level != 1:
            return [Reply(text=t("invite_unit_needed"))]
        days = int(days_match.group(1)) if days_match else DEFAULT_INVITE_DAYS
        uses = int(uses_match.group(1)) if uses_match else 1
        if not (0 < days <= 90 and 0 < uses <= 200):
            return [Reply(text=t("invite_usage"))]
        invite = await tx.repo(Org).create_invite(
            "role",
            unit.id,
            role=role,
            created_by=person.id,
            ttl=timedelta(days=days),
            max_uses=uses,
        )
        await tx.audit.append(
            "invite_create",
            person_id=person.id,
            unit_id=unit.id,
            detail={"role": role, "uses": uses, "days": days},
        )
        link = invite_link(self.bot_username, invite.token) or f"/start {invite.token}"
        return [
            Reply(
                text=t(
                    "invite_created",
                    role=role_label(role),
                    unit=unit.name,
                    link=link,
                    uses=uses,
                    expires=local_time(invite.expires_at),
                    code=invite.token,
                )
            )
        ]

    # -- roles -------------------------------------------------------------------------------------
    async def _roles(self, tx: Tx, event: Event, person: Person | None) -> list[Reply]:
        units = await self._managed(tx, person)
        if not units:
            return [Reply(text=t("no_units"))]
        unit_id, _ = _leading_unit(event.text)
        if unit_id is not None:
            units = [u for u in units if u.id == unit_id]
            if not units:
                return [Reply(text=t("unit_not_managed", id=unit_id))]
        roles = await tx.repo(Org).roles_in([u.id for u in units])
        if not roles:
            return [Reply(text=t("no_roles"))]
        lines = [
            t(
                "roles_header",
                unit=units[0].name
                if len(units) == 1
                else ", ".join(u.name for u in units[:3]) + ("…" if len(units) > 3 else ""),
            )
        ]
        for r in roles:
            lines.append(
                t(
                    "role_line",
                    id=r.id,
                    name=r.display_name or r.platform_user_id,
                    role=role_label(r.role),
                    unit=r.unit_name if len(units) > 1 else "",
                    since=local_time(r.granted_at),
                )
            )
        lines += ["", t("roles_footer", example=roles[0].id)]
        buttons = [
            [Button(message("review.button.revoke", id=r.id), f"og:rv:{r.id}")]
            for r in roles[:MAX_ROLE_BUTTONS]
        ]
        return [Reply(text="\n".join(lines), buttons=buttons)]

    async def _revoke(self, tx: Tx, event: Event, person: Person | None) -> list[Reply]:
        arg = event.text.strip().lstrip("#")
        if not arg:
            return [Reply(text=t("revoke_usage"))]
        if arg.isdigit():
            return await self._revoke_role(tx, person, int(arg))
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

    async def _revoke_role(self, tx: Tx, person: Person | None, role_id: int) -> list[Reply]:
        org = tx.repo(Org)
        role = await org.role(role_id)
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
            detail={"person": role.person_id, "role": role.role, "role_id": role.id},
        )
        return [
            Reply(
                text=t(
                    "revoked",
                    role=role_label(role.role),
                    name=role.display_name or role.platform_user_id,
                    unit=role.unit_name,
                )
            )
        ]

    async def _button(self, tx: Tx, event: Event, person: Person | None) -> list[Reply]:
        parts = event.action.split(":")
        if len(parts) == 3 and parts[1] == "rv" and parts[2].isdigit():
            replies = await self._revoke_role(tx, person, int(parts[2]))
            return [Reply(toast=replies[0].text[:190]), *replies]
        return [Reply(toast=message("review.refuse.no_right"))]

    # -- group binding ---------------------------------------------------------------------------
    async def _bind(self, tx: Tx, event: Event, person: Person | None) -> list[Reply]:
        arg = event.text.strip()
        org = tx.repo(Org)
        if event.chat.kind == "private":
            if arg and not arg.startswith("#") and not arg.isdigit():
                return [Reply(text=t("bind_in_private"))]
            units = await self._managed(tx, person)
            if person is None or not units:
                return [Reply(text=t("no_units"))]
            unit = _choose_unit(units, _leading_unit(arg)[0])
            if isinstance(unit, Reply):
                return [unit]
            invite = await org.create_invite(
                "bind_group", unit.id, created_by=person.id, ttl=timedelta(hours=BIND_CODE_HOURS)
            )
            await tx.audit.append(
                "invite_create",
                person_id=person.id,
                unit_id=unit.id,
                detail={"purpose": "bind_group"},
            )
            link = invite_link(self.bot_username, invite.token, group=True)
            return [
                Reply(
                    text=t(
                        "bind_code",
                        unit=unit.name,
                        code=invite.token,
                        hours=BIND_CODE_HOURS,
                        link=link,
                    )
                )
            ]
        # in a group
        if not arg:
            return [Reply(text=t("bind_in_group_usage"))]
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
            return [Reply(text=_invite_error(err.reason))]
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
        chain_last = await self._is_last_level(tx, unit)
        reviewers = await org.roles_in([unit.id], "reviewer")
        return [
            Reply(
                text=render(
                    "review/bind_announce.j2",
                    unit=unit.name,
                    unit_id=unit.id,
                    level=unit.review_level,
                    level_name=unit.level_name,
                    last_level=chain_last,
                    reviewers=len(reviewers),
                    previous=previous.name if previous else "",
                )
            )
        ]

    async def _is_last_level(self, tx: Tx, unit: Unit) -> bool:
        """Whether some dossier below this unit ends its review here (then the final .docx is
        posted in its group)."""
        if unit.review_level is None:
            return False
        org = tx.repo(Org)
        for sub in await org.subtree(unit.id):
            chain = await org.review_chain(sub.id)
            if chain and chain[-1].id == unit.id:
                return True
        return False

    async def _bot_added(self, tx: Tx, event: Event) -> list[Reply]:
        unit = await tx.repo(Org).unit_by_group(event.chat.platform, event.chat.id)
        if unit is not None:
            return []
        return [Reply(text=t("bot_added"))]

    async def _bot_removed(self, tx: Tx, event: Event, person: Person | None) -> list[Reply]:
        unit = await tx.repo(Org).unbind_group(event.chat.platform, event.chat.id)
        if unit is None:
            return []
        await tx.audit.append(
            "group_unbind",
            person_id=person.id if person else None,
            unit_id=unit.id,
            detail={"platform": event.chat.platform, "chat": event.chat.id},
        )
        # The group is gone: tell the unit's secretaries privately.
        return await secretaries_reply(tx, unit, t("group_unbound", unit=unit.name))

    # -- history ---------------------------------------------------------------------------------
    async def _history(self, tx: Tx, event: Event, person: Person | None) -> list[Reply]:
        match = re.match(r"^\s*(?:#|hs\s*)?(\d+)\s*$", event.text, re.IGNORECASE)
        if not match:
            return [Reply(text=t("history_usage"))]
        dossier_id = int(match.group(1))
        record = await tx.dossiers.get(dossier_id)
        if record is None or not await access.may_read_history(
            tx, person.id if person else None, record
        ):
            return _no_right()
        entries = await tx.repo(History).of_dossier(dossier_id)
        if not entries:
            return [Reply(text=t("history_none", id=dossier_id))]
        # the candidate flow and the review flow both record a submission: say it once
        submitted = {e.revision for e in entries if e.action == "submit"}
        rows = []
        for e in entries:
            if e.action == "dossier_submitted" and e.revision in submitted:
                continue
            row = {
                "at": local_time(e.at),
                "action": e.action,
                "who": e.person_name,
                "revision": e.revision,
                "unit": e.unit_name,
                "detail": e.detail,
            }
            if e.action in ("stage", "stage_undo"):  # a secretary's step after approval
                on = str(e.detail.get("on", ""))
                row["step"] = step_label(str(e.detail.get("stage", "")))
                row["verified"] = person_label(e.detail["person"]) if e.detail.get("person") else ""
                row["on"] = date.fromisoformat(on).strftime("%d/%m/%Y") if on else ""
            rows.append(row)
        return [Reply(text=render("review/history.j2", dossier=dossier_id, rows=rows))]


def _no_right() -> list[Reply]:
    return [Reply(text=message("review.refuse.no_right"))]


def _choose_unit(units: list[Unit], unit_id: int | None) -> Unit | Reply:
    """The managed unit numbered ``unit_id``, or with no number the one unit at the top of
    those one manages; else the reply that says why not."""
    managed = {u.id: u for u in units}
    if unit_id is None:
        roots = [u for u in units if u.parent_id not in managed]
        return roots[0] if len(roots) == 1 else Reply(text=t("choose_parent"))
    return managed.get(unit_id) or Reply(text=t("unit_not_managed", id=unit_id))


def _unit_row(unit: Unit) -> dict[str, Any]:
    return {
        "id": unit.id,
        "name": unit.name,
        "level": unit.review_level,
        "level_name": unit.level_name,
        "group": unit.has_group,
    }


def _leading_unit(text: str) -> tuple[int | None, str]:
    """'#3 Chi bộ X' → (3, 'Chi bộ X'); 'Chi bộ X' → (None, 'Chi bộ X')."""
    match = re.match(r"^\s*#(\d+)\s*(.*)$", text, re.DOTALL)
    if match:
        return int(match.group(1)), match.group(2)
    match = re.match(r"^\s*(\d+)\s*$", text)
    if match:
        return int(match.group(1)), ""
    return None, text


def _invite_error(reason: str) -> str:
    key = {
        "used": "invite_used",
        "expired": "invite_expired",
        "revoked": "invite_revoked_msg",
    }.get(reason, "invite_unknown")
    return t(key)
