"""The organisation's repository: units and their review levels, group chats, roles, invite
codes and the private chats the bot may write to.

* The review chain of a dossier is data: the units from its chi bộ up to the root that carry a
  ``review_level`` (the rule: :func:`admission.organisation.review_chain`). Default levels come
  from the unit's kind (:data:`admission.organisation.UNIT_KINDS`); a secretary may change
  them per unit.
* Invite tokens are redeemed by one conditional UPDATE (uses < max_uses, not revoked, not
  expired), so a token used twice at the same moment is granted once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from admission.organisation import ROLES, UNIT_KINDS, RoleName, review_chain
from storage.db import Repo, Tx, utc_iso
from storage.session import integrity_error

__all__ = [
    "CODE_LENGTH",
    "ROLES",
    "UNIT_KINDS",
    "Invite",
    "InviteError",
    "InvitePurpose",
    "Org",
    "OrgError",
    "Role",
    "RoleName",
    "Unit",
    "in_transaction",
    "new_code",
    "normalise_code",
    "storable",
]

InvitePurpose = Literal["role", "bind_group", "bootstrap"]

# Codes people type or tap: no 0/O, 1/I/L, so a code read aloud or copied by hand survives.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


#: The largest row id SQLite stores (a signed 64-bit integer).
MAX_ROW_ID = 2**63 - 1


def storable(number: int) -> bool:
    """Whether a number people typed (or a button carried) can name a row: a bigger one
    cannot reach SQLite at all (it raises), so it names nothing."""
    return 0 < number <= MAX_ROW_ID


def new_code(length: int = CODE_LENGTH) -> str:
    """A random code valid as a Telegram deep-link payload and easy to type."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    """What a person typed, as a stored code (case and separators ignored)."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def in_transaction(repo: Repo) -> Tx:
    """The repository's session as a write transaction (writes need one)."""
    if not isinstance(repo.s, Tx):
        raise TypeError("writes need a transaction: `async with db.transaction() as tx`")
    return repo.s


# ---------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class Unit:
    id: int
    parent_id: int | None
    name: str
    kind: str
    review_level: int | None
    level_name: str
    group_platform: str | None
    group_chat_id: str | None

    @property
    def has_group(self) -> bool:
        return bool(self.group_chat_id)


@dataclass(frozen=True, slots=True)
class Role:
    id: int
    unit_id: int
    person_id: int
    role: RoleName
    granted_by: int | None
    granted_at: str
    revoked_at: str | None
    revoked_by: int | None
    display_name: str = ""
    platform: str = ""
    platform_user_id: str = ""
    unit_name: str = ""


@dataclass(frozen=True, slots=True)
class Invite:
    token: str
    purpose: InvitePurpose
    unit_id: int
    role: RoleName | None
    created_by: int | None
    created_at: str
    expires_at: str | None
    max_uses: int
    uses: int
    revoked_at: str | None


# ---------------------------------------------------------------------------------------------
# Errors


class InviteError(Exception):
    """A token that cannot be used; ``reason`` is one of unknown, used, expired, revoked,
    wrong_purpose."""

    def __init__(self, reason: str, invite: Invite | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invite = invite


class OrgError(Exception):
    """An organisation change that is not allowed (``reason`` for the message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# The repository


class Org(Repo):
    _UNIT = "id, parent_id, name, kind, review_level, level_name, group_platform, group_chat_id"

    # -- units ---------------------------------------------------------------------------------
    async def create_unit(
        self,
        name: str,
        kind: str,
        parent_id: int | None = None,
        *,
        review_level: int | Literal["default"] | None = "default",
        level_name: str | None = None,
    ) -> Unit:
        """A new unit; its review level defaults from its kind (see ``UNIT_KINDS``)."""
        tx = in_transaction(self)
        if kind not in UNIT_KINDS:
            raise OrgError("bad_kind")
        default_level, default_name = UNIT_KINDS[kind]
        level = default_level if review_level == "default" else review_level
        lname = default_name if level_name is None else level_name
        if parent_id is not None and await self.unit(parent_id) is None:
            raise OrgError("no_parent")
        unit_id = await tx.insert(
            "INSERT INTO units (parent_id, name, kind, review_level, level_name, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (parent_id, name, kind, level, lname if level is not None else "", tx.now),
        )
        return Unit(unit_id, parent_id, name, kind, level, lname if level else "", None, None)

    async def unit(self, unit_id: int) -> Unit | None:
        row = await self.s.fetchone(f"SELECT {self._UNIT} FROM units WHERE id = ?", (unit_id,))
        return Unit(*row) if row else None

    async def units(self) -> list[Unit]:
        rows = await self.s.fetchall(f"SELECT {self._UNIT} FROM units ORDER BY id")
        return [Unit(*r) for r in rows]

    async def children(self, unit_id: int) -> list[Unit]:
        rows = await self.s.fetchall(
            f"SELECT {self._UNIT} FROM units WHERE parent_id = ? ORDER BY id", (unit_id,)
        )
        return [Unit(*r) for r in rows]

    async def subtree(self, unit_id: int) -> list[Unit]:
        """The unit and every unit below it (depth-first by id)."""
        rows = await self.s.fetchall(
            "WITH RECURSIVE t(id) AS (SELECT CAST(? AS BIGINT) UNION ALL"
            " SELECT u.id FROM units u JOIN t ON u.parent_id = t.id)"
            f" SELECT {self._UNIT} FROM units WHERE id IN (SELECT id FROM t) ORDER BY id",
            (unit_id,),
        )
        return [Unit(*r) for r in rows]

    async def ancestors(self, unit_id: int) -> list[Unit]:
        """The unit itself first, then its parent, up to the root."""
        rows = await self.s.fetchall(
            "WITH RECURSIVE t(id, depth) AS (SELECT CAST(? AS BIGINT), 0 UNION ALL"
            " SELECT u.parent_id, t.depth + 1 FROM units u JOIN t ON u.id = t.id"
            " WHERE u.parent_id IS NOT NULL AND t.depth < 64)"
            f" SELECT {', '.join('u.' + c.strip() for c in self._UNIT.split(','))}"
            " FROM t JOIN units u ON u.id = t.id ORDER BY t.depth",
            (unit_id,),
        )
        return [Unit(*r) for r in rows]

    async def review_chain(self, unit_id: int) -> list[Unit]:
        """The units that review a dossier of ``unit_id``, first level first (the rule:
        :func:`admission.organisation.review_chain`)."""
        return review_chain(await self.ancestors(unit_id))

    async def set_review_level(self, unit_id: int, level: int | None, level_name: str) -> None:
        await in_transaction(self).execute(
            "UPDATE units SET review_level = ?, level_name = ? WHERE id = ?",
            (level, level_name if level is not None else "", unit_id),
        )

    # -- group chats ---------------------------------------------------------------------------
    async def unit_by_group(self, platform: str, chat_id: str) -> Unit | None:
        row = await self.s.fetchone(
            f"SELECT {self._UNIT} FROM units WHERE group_platform = ? AND group_chat_id = ?",
            (platform, chat_id),
        )
        return Unit(*row) if row else None

    async def bind_group(self, unit_id: int, platform: str, chat_id: str) -> Unit | None:
        """Bind the group to the unit; returns the unit the group was bound to before, if
        another one (a group serves one unit). The unit's previous group is released."""
        tx = in_transaction(self)
        previous = await self.unit_by_group(platform, chat_id)
        if previous is not None and previous.id != unit_id:
            await tx.execute(
                "UPDATE units SET group_platform = NULL, group_chat_id = NULL WHERE id = ?",
                (previous.id,),
            )
        await tx.execute(
            "UPDATE units SET group_platform = ?, group_chat_id = ? WHERE id = ?",
            (platform, chat_id, unit_id),
        )
        return previous if previous is not None and previous.id != unit_id else None

    async def unbind_group(self, platform: str, chat_id: str) -> Unit | None:
        unit = await self.unit_by_group(platform, chat_id)
        if unit is not None:
            await in_transaction(self).execute(
                "UPDATE units SET group_platform = NULL, group_chat_id = NULL WHERE id = ?",
                (unit.id,),
            )
        return unit

    # -- roles ---------------------------------------------------------------------------------
    _ROLE = (
        "r.id, r.unit_id, r.person_id, r.role, r.granted_by, r.granted_at, r.revoked_at,"
        " r.revoked_by, p.display_name, p.platform, p.platform_user_id, u.name"
    )
    _ROLE_FROM = (
        " FROM roles r JOIN people p ON p.id = r.person_id JOIN units u ON u.id = r.unit_id"
    )

    async def grant(
        self, unit_id: int, person_id: int, role: RoleName, granted_by: int | None
    ) -> tuple[Role, bool]:
        """Give ``role`` in ``unit_id``; (the role, True if new). Granting twice is harmless."""
        tx = in_transaction(self)
        if role not in ROLES:
            raise OrgError("bad_role")
        existing = await self.s.fetchone(
            f"SELECT {self._ROLE}{self._ROLE_FROM} WHERE r.unit_id = ? AND r.person_id = ?"
            " AND r.role = ? AND r.revoked_at IS NULL",
            (unit_id, person_id, role),
        )
        if existing:
            return Role(*existing), False
        role_id = await tx.insert(
            "INSERT INTO roles (unit_id, person_id, role, granted_by, granted_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (unit_id, person_id, role, granted_by, tx.now),
        )
        found = await self.role(role_id)
        assert found is not None
        return found, True

    async def role(self, role_id: int) -> Role | None:
        row = await self.s.fetchone(
            f"SELECT {self._ROLE}{self._ROLE_FROM} WHERE r.id = ?", (role_id,)
        )
        return Role(*row) if row else None

    async def revoke(self, role_id: int, revoked_by: int | None) -> Role | None:
        """Revoke an active role; None when there is no such active role."""
        tx = in_transaction(self)
        changed = await tx.execute(
            "UPDATE roles SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL",
            (tx.now, revoked_by, role_id),
        )
        return await self.role(role_id) if changed else None

    async def roles_of(self, person_id: int) -> list[Role]:
        rows = await self.s.fetchall(
            f"SELECT {self._ROLE}{self._ROLE_FROM} WHERE r.person_id = ? AND r.revoked_at IS NULL"
            " ORDER BY r.unit_id, r.role",
            (person_id,),
        )
        return [Role(*r) for r in rows]

    async def roles_in(self, unit_ids: list[int], role: RoleName | None = None) -> list[Role]:
        if not unit_ids:
            return []
        marks = ",".join("?" * len(unit_ids))
        params: list[Any] = list(unit_ids)
        extra = ""
        if role is not None:
            extra = " AND r.role = ?"
            params.append(role)
        rows = await self.s.fetchall(
            f"SELECT {self._ROLE}{self._ROLE_FROM} WHERE r.unit_id IN ({marks})"
            f" AND r.revoked_at IS NULL{extra} ORDER BY r.unit_id, r.role, r.id",
            params,
        )
        return [Role(*r) for r in rows]

    async def candidate_unit(self, person_id: int) -> int | None:
        """The chi bộ a person is a candidate of (the most recent grant)."""
        return await self.s.fetchval(
            "SELECT unit_id FROM roles WHERE person_id = ? AND role = 'candidate'"
            " AND revoked_at IS NULL ORDER BY id DESC LIMIT 1",
            (person_id,),
        )

    async def secretary_units(self, person_id: int) -> list[Unit]:
        """Units a person manages: where they are secretary, and every unit below those."""
        seen: dict[int, Unit] = {}
        for role in await self.roles_of(person_id):
            if role.role == "secretary":
                for unit in await self.subtree(role.unit_id):
                    seen.setdefault(unit.id, unit)
        return [seen[k] for k in sorted(seen)]

    # -- invites ---------------------------------------------------------------------------------
    _INVITE = (
        "token, purpose, unit_id, role, created_by, created_at, expires_at, max_uses, uses,"
        " revoked_at"
    )

    async def create_invite(
        self,
        purpose: InvitePurpose,
        unit_id: int,
        *,
        role: RoleName | None = None,
        created_by: int | None = None,
        ttl: timedelta | None = None,
        max_uses: int = 1,
    ) -> Invite:
        """A new token; single-use by default, expiring after ``ttl`` when given."""
        tx = in_transaction(self)
        if purpose == "role" and role not in ROLES:
            raise OrgError("bad_role")
        if max_uses < 1:
            raise OrgError("bad_uses")
        expires = None
        if ttl is not None:
            now = datetime.fromisoformat(tx.now)
            expires = utc_iso(now + ttl)
        for _ in range(5):
            token = new_code()
            try:
                async with tx.savepoint():
                    await tx.execute(
                        f"INSERT INTO invites ({self._INVITE})"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)",
                        (token, purpose, unit_id, role, created_by, tx.now, expires, max_uses),
                    )
            except Exception as exc:
                if not integrity_error(exc):
                    raise
                continue  # a collision in 31^10 codes: draw again
            return Invite(
                token, purpose, unit_id, role, created_by, tx.now, expires, max_uses, 0, None
            )
        raise RuntimeError("could not draw a fresh invite code")

    async def invite(self, token: str) -> Invite | None:
        row = await self.s.fetchone(
            f"SELECT {self._INVITE} FROM invites WHERE token = ?", (normalise_code(token),)
        )
        return Invite(*row) if row else None

    async def redeem(self, token: str, *purposes: InvitePurpose) -> Invite:
        """Use the token once; raises :class:`InviteError` (unknown, used, expired, revoked,
        wrong_purpose). One conditional UPDATE, so a token cannot be used twice."""
        tx = in_transaction(self)
        code = normalise_code(token)
        found = await self.invite(code)
        if found is None:
            raise InviteError("unknown")
        if purposes and found.purpose not in purposes:
            raise InviteError("wrong_purpose", found)
        changed = await tx.execute(
            "UPDATE invites SET uses = uses + 1 WHERE token = ? AND uses < max_uses"
            " AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
            (code, tx.now),
        )
        if changed != 1:
            if found.revoked_at is not None:
                raise InviteError("revoked", found)
            if found.expires_at is not None and found.expires_at <= tx.now:
                raise InviteError("expired", found)
            raise InviteError("used", found)
        used = await self.invite(code)
        assert used is not None
        return used

    async def revoke_invite(self, token: str) -> bool:
        tx = in_transaction(self)
        changed = await tx.execute(
            "UPDATE invites SET revoked_at = ? WHERE token = ? AND revoked_at IS NULL",
            (tx.now, normalise_code(token)),
        )
        return changed == 1

    # -- private chats ----------------------------------------------------------------------------
    async def note_private_chat(self, platform: str, user_id: str, chat_id: str) -> None:
        """Remember that this person talks to the bot privately (the bot may write first)."""
        tx = in_transaction(self)
        await tx.execute(
            "INSERT INTO private_chats (platform, user_id, chat_id, started_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (platform, user_id, chat_id, tx.now),
        )

    async def private_chat_user(self, platform: str, chat_id: str) -> str | None:
        """Who the private chat ``chat_id`` is with, if it was ever noted (None otherwise)."""
        found = await self.s.fetchval(
            "SELECT user_id FROM private_chats WHERE platform = ? AND chat_id = ?",
            (platform, chat_id),
        )
        return str(found) if found is not None else None

    async def reach(self, platform: str, user_id: str) -> tuple[str, str] | None:
        """Where to write privately to the person of this identity: (platform, chat id), or
        None if they never opened a private chat. A person linked on several channels
        (storage/identities.py) is written to on the one they last used — the latest update
        the inbox holds from that identity or the latest move of its private conversation —
        so a candidate who moved from Telegram to Zalo gets the decision where they now are;
        a person with one channel costs one indexed query more than :meth:`private_chat`."""
        rows = await self.s.fetchall(
            "SELECT l.platform, l.platform_user_id FROM person_links l"
            " JOIN people p ON p.id = l.person_id"
            " WHERE p.platform = ? AND p.platform_user_id = ?",
            (platform, user_id),
        )
        own = await self.private_chat(platform, user_id)
        if not rows:
            return (platform, own) if own is not None else None
        best: tuple[str, tuple[str, str]] | None = None
        for p, u in [(platform, user_id), *((str(r[0]), str(r[1])) for r in rows)]:
            chat = own if (p, u) == (platform, user_id) else await self.private_chat(p, u)
            if chat is None:
                continue
            used = await self.s.fetchval(
                "SELECT max(t) FROM (SELECT max(received_at) AS t FROM inbox"
                " WHERE platform = ? AND person = ? UNION ALL SELECT max(updated_at)"
                " FROM conversations WHERE platform = ? AND user_id = ? AND chat_id = ?)",
                (p, u, p, u, chat),
            )
            if best is None or str(used or "") > best[0]:
                best = (str(used or ""), (p, chat))
        return best[1] if best is not None else None

    async def private_chat(self, platform: str, user_id: str) -> str | None:
        """The private chat id with this person, or None if they never opened one."""
        found = await self.s.fetchval(
            "SELECT chat_id FROM private_chats WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        if found is not None:
            return str(found)
        # A person who ever talked to the bot privately has a conversation row there.
        found = await self.s.fetchval(
            "SELECT chat_id FROM conversations WHERE platform = ? AND user_id = ?"
            " AND chat_id = user_id",
            (platform, user_id),
        )
        return str(found) if found is not None else None
