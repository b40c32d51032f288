"""Organisation and review repositories: units, roles, invites, group binding, comments,
review decisions, the bot's remembered messages and the audit queries.

Why here and in this shape
--------------------------
* Every state change of a review (approve, return, reopen) is ONE method that checks the
  dossier's state and writes the decision, the dossier's new status and the comments in the
  caller's transaction. The checks and the write cannot be separated, so two reviewers tapping
  "Duyệt" at once cannot both win: the write lock serialises them, and the unique index
  ``review_one_decision`` is the backstop if two processes ever share the file.
* A decision names the revision it was taken on. A decision on an older revision than the
  dossier's current one is refused: the reviewer acted on a card that no longer shows the
  dossier.
* The review chain of a dossier is data: the units from its chi bộ up to the root that carry a
  ``review_level``, ordered by that level. Default levels come from the unit's kind (chi bộ 1,
  đảng ủy cơ sở 2); a secretary may change them per unit.
* Invite tokens are redeemed by one conditional UPDATE (uses < max_uses, not revoked, not
  expired), so a token used twice at the same moment is granted once.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from storage.core import DossierRecord
from storage.db import Repo, Tx, utc_iso

RoleName = Literal["secretary", "reviewer", "candidate"]
ROLES: tuple[RoleName, ...] = ("secretary", "reviewer", "candidate")
InvitePurpose = Literal["role", "bind_group", "bootstrap"]
CommentStatus = Literal["draft", "sent", "resolved"]
DecisionKind = Literal["approve", "return", "reopen"]

# Unit kinds and their default place in the review chain (level, level name).
UNIT_KINDS: dict[str, tuple[int | None, str]] = {
    "cap_tren": (None, ""),  # Đảng bộ Khối, đảng bộ tỉnh/xã…: the root created by bootstrap
    "dang_bo_co_so": (2, "Đảng ủy cơ sở"),
    "dang_bo_bo_phan": (None, ""),
    "chi_bo_co_so": (1, "Chi bộ"),
    "chi_bo": (1, "Chi bộ"),
}

# Codes people type or tap: no 0/O, 1/I/L, so a code read aloud or copied by hand survives.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def new_code(length: int = CODE_LENGTH) -> str:
    """A random code valid as a Telegram deep-link payload and easy to type."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    """What a person typed, as a stored code (case and separators ignored)."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _tx(repo: Repo) -> Tx:
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


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    dossier_id: int
    revision: int
    unit_id: int
    item_number: int
    anchor: str
    author_id: int
    text: str
    status: CommentStatus
    created_at: str
    sent_at: str | None
    resolved_at: str | None
    resolved_by: int | None
    author_name: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    id: int
    dossier_id: int
    revision: int
    unit_id: int
    level: int
    decision: DecisionKind
    person_id: int
    created_at: str
    submission: str = ""


@dataclass(frozen=True, slots=True)
class BotMessage:
    platform: str
    chat_id: str
    message_id: str
    purpose: str
    dossier_id: int | None
    revision: int | None
    detail: dict[str, Any]
    created_at: str


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: str
    action: str
    person_id: int | None
    person_name: str
    revision: int | None
    unit_id: int | None
    unit_name: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """A dossier waiting at a unit, as listed to its reviewers (no content)."""

    dossier_id: int
    revision: int
    status: str
    review_level: int | None
    full_name: str
    submitted_at: str | None


# ---------------------------------------------------------------------------------------------
# Errors


class InviteError(Exception):
    """A token that cannot be used; ``reason`` is one of unknown, used, expired, revoked,
    wrong_purpose."""

    def __init__(self, reason: str, invite: Invite | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.invite = invite


class DecisionRefused(Exception):
    """A review action the dossier's state does not allow.

    ``reason``: not_found, not_under_review, not_your_turn, outdated, already_decided,
    no_comments, drafts_pending (approving with unsent comments), not_locked.
    """

    def __init__(self, reason: str, *, existing: Decision | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.existing = existing


class OrgError(Exception):
    """An organisation change that is not allowed (``reason`` for the message)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# Organisation: units, roles, invites, groups


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
        tx = _tx(self)
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
            "WITH RECURSIVE t(id) AS (SELECT ? UNION ALL"
            " SELECT u.id FROM units u JOIN t ON u.parent_id = t.id)"
            f" SELECT {self._UNIT} FROM units WHERE id IN (SELECT id FROM t) ORDER BY id",
            (unit_id,),
        )
        return [Unit(*r) for r in rows]

    async def ancestors(self, unit_id: int) -> list[Unit]:
        """The unit itself first, then its parent, up to the root."""
        rows = await self.s.fetchall(
            "WITH RECURSIVE t(id, depth) AS (SELECT ?, 0 UNION ALL"
            " SELECT u.parent_id, t.depth + 1 FROM units u JOIN t ON u.id = t.id"
            " WHERE u.parent_id IS NOT NULL AND t.depth < 64)"
            f" SELECT {', '.join('u.' + c.strip() for c in self._UNIT.split(','))}"
            " FROM t JOIN units u ON u.id = t.id ORDER BY t.depth",
            (unit_id,),
        )
        return [Unit(*r) for r in rows]

    async def review_chain(self, unit_id: int) -> list[Unit]:
        """The units that review a dossier of ``unit_id``, first level first.

        The dossier's unit and its ancestors that carry a review level; when two carry the same
        level, the nearer one reviews.
        """
        chain: dict[int, Unit] = {}
        for unit in await self.ancestors(unit_id):
            if unit.review_level is not None and unit.review_level not in chain:
                chain[unit.review_level] = unit
        return [chain[level] for level in sorted(chain)]

    async def set_review_level(self, unit_id: int, level: int | None, level_name: str) -> None:
        await _tx(self).execute(
            "UPDATE units SET review_level = ?, level_name = ? WHERE id = ?",
            (level, level_name if level is not None else "", unit_id),
        )

    async def rename_unit(self, unit_id: int, name: str) -> None:
        await _tx(self).execute("UPDATE units SET name = ? WHERE id = ?", (name, unit_id))

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
        tx = _tx(self)
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
            await _tx(self).execute(
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
        tx = _tx(self)
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
        tx = _tx(self)
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

    async def has_role(self, person_id: int, unit_id: int, role: RoleName) -> bool:
        found = await self.s.fetchval(
            "SELECT 1 FROM roles WHERE person_id = ? AND unit_id = ? AND role = ?"
            " AND revoked_at IS NULL",
            (person_id, unit_id, role),
        )
        return found is not None

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
        tx = _tx(self)
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
                await tx.execute(
                    f"INSERT INTO invites ({self._INVITE})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)",
                    (token, purpose, unit_id, role, created_by, tx.now, expires, max_uses),
                )
            except sqlite3.IntegrityError:
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
        tx = _tx(self)
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
        tx = _tx(self)
        changed = await tx.execute(
            "UPDATE invites SET revoked_at = ? WHERE token = ? AND revoked_at IS NULL",
            (tx.now, normalise_code(token)),
        )
        return changed == 1

    async def open_invites(self, unit_ids: list[int]) -> list[Invite]:
        """Invites of these units still usable now."""
        if not unit_ids:
            return []
        marks = ",".join("?" * len(unit_ids))
        rows = await self.s.fetchall(
            f"SELECT {self._INVITE} FROM invites WHERE unit_id IN ({marks})"
            " AND revoked_at IS NULL AND uses < max_uses"
            " AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at",
            (*unit_ids, self.s.now),
        )
        return [Invite(*r) for r in rows]

    # -- private chats ----------------------------------------------------------------------------
    async def note_private_chat(self, platform: str, user_id: str, chat_id: str) -> None:
        """Remember that this person talks to the bot privately (the bot may write first)."""
        tx = _tx(self)
        await tx.execute(
            "INSERT OR IGNORE INTO private_chats (platform, user_id, chat_id, started_at)"
            " VALUES (?, ?, ?, ?)",
            (platform, user_id, chat_id, tx.now),
        )

    async def private_chat_user(self, platform: str, chat_id: str) -> str | None:
        """Who the private chat ``chat_id`` is with, if it was ever noted (None otherwise)."""
        found = await self.s.fetchval(
            "SELECT user_id FROM private_chats WHERE platform = ? AND chat_id = ?",
            (platform, chat_id),
        )
        return str(found) if found is not None else None

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


# ---------------------------------------------------------------------------------------------
# Review: comments, decisions, remembered messages, history


@dataclass(slots=True)
class Outcome:
    """What a review action did, for the flow to announce."""

    kind: Literal["forwarded", "approved", "returned", "reopened"]
    decision: Decision
    record: DossierRecord
    unit: Unit
    next_unit: Unit | None = None
    sent: list[Comment] = field(default_factory=list)


class Reviews(Repo):
    _COMMENT = (
        "c.id, c.dossier_id, c.revision, c.unit_id, c.item_number, c.anchor, c.author_id, c.text,"
        " c.status, c.created_at, c.sent_at, c.resolved_at, c.resolved_by,"
        " coalesce(p.display_name, '')"
    )
    _COMMENT_FROM = " FROM comments c LEFT JOIN people p ON p.id = c.author_id"
    _DECISION = (
        "id, dossier_id, revision, unit_id, level, decision, person_id, created_at, submission"
    )

    # -- comments --------------------------------------------------------------------------------
    async def add_comment(
        self,
        dossier_id: int,
        revision: int,
        unit_id: int,
        item_number: int,
        author_id: int,
        text: str,
        anchor: str = "",
    ) -> Comment:
        tx = _tx(self)
        comment_id = await tx.insert(
            "INSERT INTO comments (dossier_id, revision, unit_id, item_number, anchor, author_id,"
            " text, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'draft', ?)",
            (dossier_id, revision, unit_id, item_number, anchor, author_id, text, tx.now),
        )
        found = await self.comment(comment_id)
        assert found is not None
        return found

    async def comment(self, comment_id: int) -> Comment | None:
        row = await self.s.fetchone(
            f"SELECT {self._COMMENT}{self._COMMENT_FROM} WHERE c.id = ?", (comment_id,)
        )
        return Comment(*row) if row else None

    async def comments(
        self, dossier_id: int, statuses: tuple[CommentStatus, ...] = ("draft", "sent", "resolved")
    ) -> list[Comment]:
        """Comments on the dossier, by item then age."""
        marks = ",".join("?" * len(statuses))
        rows = await self.s.fetchall(
            f"SELECT {self._COMMENT}{self._COMMENT_FROM} WHERE c.dossier_id = ?"
            f" AND c.status IN ({marks}) ORDER BY c.item_number, c.id",
            (dossier_id, *statuses),
        )
        return [Comment(*r) for r in rows]

    async def delete_draft(self, comment_id: int, author_id: int) -> bool:
        """A reviewer withdraws their own comment before it is sent."""
        changed = await _tx(self).execute(
            "DELETE FROM comments WHERE id = ? AND author_id = ? AND status = 'draft'",
            (comment_id, author_id),
        )
        return changed == 1

    async def resolve(self, comment_id: int, person_id: int) -> Comment | None:
        """Mark a sent comment resolved; None when it is not an open sent comment."""
        tx = _tx(self)
        changed = await tx.execute(
            "UPDATE comments SET status = 'resolved', resolved_at = ?, resolved_by = ?"
            " WHERE id = ? AND status = 'sent'",
            (tx.now, person_id, comment_id),
        )
        return await self.comment(comment_id) if changed else None

    async def unresolve(self, comment_id: int) -> Comment | None:
        """Put a resolved comment back to open (a reviewer changed their mind)."""
        changed = await _tx(self).execute(
            "UPDATE comments SET status = 'sent', resolved_at = NULL, resolved_by = NULL"
            " WHERE id = ? AND status = 'resolved'",
            (comment_id,),
        )
        return await self.comment(comment_id) if changed else None

    async def _send_drafts(self, dossier_id: int, revision: int) -> list[Comment]:
        tx = _tx(self)
        drafts = await self.comments(dossier_id, ("draft",))
        if drafts:
            await tx.execute(
                "UPDATE comments SET status = 'sent', sent_at = ?, revision = ?"
                " WHERE dossier_id = ? AND status = 'draft'",
                (tx.now, revision, dossier_id),
            )
        return [await self.comment(c.id) for c in drafts]  # type: ignore[misc]

    # -- decisions -------------------------------------------------------------------------------
    async def decisions(self, dossier_id: int) -> list[Decision]:
        rows = await self.s.fetchall(
            f"SELECT {self._DECISION} FROM review_decisions WHERE dossier_id = ? ORDER BY id",
            (dossier_id,),
        )
        return [Decision(*r) for r in rows]

    async def last_look(self, dossier_id: int, unit_id: int) -> int | None:
        """The revision this unit last decided on (what its reviewers last looked at)."""
        return await self.s.fetchval(
            "SELECT revision FROM review_decisions WHERE dossier_id = ? AND unit_id = ?"
            " AND decision IN ('approve', 'return') ORDER BY id DESC LIMIT 1",
            (dossier_id, unit_id),
        )

    async def resume_level(self, dossier_id: int) -> int | None:
        """The level a resubmitted dossier goes back to: the level of the last return or
        reopening, if the dossier was ever sent back; None for a first submission."""
        row = await self.s.fetchone(
            "SELECT level, decision FROM review_decisions WHERE dossier_id = ?"
            " ORDER BY id DESC LIMIT 1",
            (dossier_id,),
        )
        if row is None or row[1] == "approve":
            return None
        return int(row[0])

    async def _insert_decision(
        self, record: DossierRecord, unit: Unit, decision: DecisionKind, person_id: int
    ) -> Decision:
        tx = _tx(self)
        level = unit.review_level or 0
        submission = record.submitted_at or ""
        try:
            decision_id = await tx.insert(
                "INSERT INTO review_decisions (dossier_id, revision, unit_id, level, decision,"
                " person_id, created_at, submission) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (record.id, record.revision, unit.id, level, decision, person_id, tx.now,
                 submission),
            )  # fmt: skip
        except sqlite3.IntegrityError:
            row = await self.s.fetchone(
                f"SELECT {self._DECISION} FROM review_decisions WHERE dossier_id = ?"
                " AND revision = ? AND level = ? AND submission = ?"
                " AND decision IN ('approve', 'return')",
                (record.id, record.revision, level, submission),
            )
            raise DecisionRefused(
                "already_decided", existing=Decision(*row) if row else None
            ) from None
        return Decision(
            decision_id, record.id, record.revision, unit.id, level, decision, person_id, tx.now,
            submission,
        )  # fmt: skip

    async def _current(
        self, dossier_id: int, revision: int, unit_id: int
    ) -> tuple[DossierRecord, list[Unit], int]:
        """The dossier under review at ``unit_id``, or :class:`DecisionRefused`."""
        record = await self.s.dossiers.get(dossier_id)
        if record is None or record.status == "deleted":
            raise DecisionRefused("not_found")
        if record.status != "submitted" or record.unit_id is None:
            if record.status in ("approved", "returned"):
                last = await self._last_decision(dossier_id)
                if last is not None and last.revision == revision:
                    raise DecisionRefused("already_decided", existing=last)
            raise DecisionRefused("not_under_review")
        chain = await self.s.repo(Org).review_chain(record.unit_id)
        position = next(
            (i for i, u in enumerate(chain) if u.review_level == record.review_level), None
        )
        if position is None or chain[position].id != unit_id:
            last = await self._last_decision(dossier_id)
            if last is not None and last.unit_id == unit_id and last.revision == revision:
                raise DecisionRefused("already_decided", existing=last)
            raise DecisionRefused("not_your_turn")
        if revision != record.revision:
            raise DecisionRefused("outdated")
        return record, chain, position

    async def _last_decision(self, dossier_id: int) -> Decision | None:
        row = await self.s.fetchone(
            f"SELECT {self._DECISION} FROM review_decisions WHERE dossier_id = ?"
            " ORDER BY id DESC LIMIT 1",
            (dossier_id,),
        )
        return Decision(*row) if row else None

    async def start_review(self, record: DossierRecord) -> Unit | None:
        """Put a just-submitted dossier at the level that reviews it now; returns that unit,
        or None when the dossier's unit has no review chain (nobody to send it to).

        A first submission starts at the first level; a resubmission goes back to the level
        that returned or reopened it.
        """
        tx = _tx(self)
        if record.unit_id is None:
            return None
        chain = await self.s.repo(Org).review_chain(record.unit_id)
        if not chain:
            return None
        resume = await self.resume_level(record.id)
        unit = next((u for u in chain if u.review_level == resume), chain[0])
        await tx.execute(
            "UPDATE dossiers SET review_level = ? WHERE id = ?", (unit.review_level, record.id)
        )
        await self.s.progress.refresh(record.id)
        return unit

    async def approve(
        self, dossier_id: int, revision: int, unit_id: int, person_id: int
    ) -> Outcome:
        """The unit approves ``revision``: forwarded to the next level, or approved and locked
        when this was the last level."""
        tx = _tx(self)
        record, chain, position = await self._current(dossier_id, revision, unit_id)
        unit = chain[position]
        if await self.comments(dossier_id, ("draft",)):
            # unsent comments would ride up to the next level and go out in its name
            raise DecisionRefused("drafts_pending")
        decision = await self._insert_decision(record, unit, "approve", person_id)
        if position + 1 < len(chain):
            nxt = chain[position + 1]
            await tx.execute(
                "UPDATE dossiers SET review_level = ?, updated_at = ? WHERE id = ?",
                (nxt.review_level, tx.now, record.id),
            )
            await self.s.progress.refresh(record.id)
            after = await self.s.dossiers.get(record.id)
            assert after is not None
            return Outcome("forwarded", decision, after, unit, next_unit=nxt)
        after = await self.s.dossiers.set_status(record, "approved", review_level=unit.review_level)
        await self.s.dossiers.set_meta(after, locked=1)
        final = await self.s.dossiers.get(record.id)
        assert final is not None
        return Outcome("approved", decision, final, unit)

    async def return_(
        self, dossier_id: int, revision: int, unit_id: int, person_id: int
    ) -> Outcome:
        """The unit returns ``revision`` to the candidate with every draft comment."""
        record, chain, position = await self._current(dossier_id, revision, unit_id)
        unit = chain[position]
        if not await self.comments(dossier_id, ("draft",)):
            raise DecisionRefused("no_comments")
        decision = await self._insert_decision(record, unit, "return", person_id)
        sent = await self._send_drafts(dossier_id, record.revision)
        after = await self.s.dossiers.set_status(record, "returned", review_level=unit.review_level)
        return Outcome("returned", decision, after, unit, sent=sent)

    async def reopen(self, dossier_id: int, unit_id: int, person_id: int) -> Outcome:
        """Unlock an approved dossier so the candidate can change it; it comes back to
        ``unit_id``'s level when resubmitted. The caller checks the person's right."""
        record = await self.s.dossiers.get(dossier_id)
        if record is None or record.status == "deleted":
            raise DecisionRefused("not_found")
        if not record.locked or record.status != "approved":
            raise DecisionRefused("not_locked")
        unit = await self.s.repo(Org).unit(unit_id)
        if unit is None or unit.review_level is None:
            raise DecisionRefused("not_your_turn")
        decision = await self._insert_decision(record, unit, "reopen", person_id)
        await self.s.dossiers.set_meta(record, locked=0)
        await self.s.dossiers.set_status(record, "returned", review_level=unit.review_level)
        after = await self.s.dossiers.get(record.id)
        assert after is not None
        return Outcome("reopened", decision, after, unit)

    # -- dossiers at a unit ------------------------------------------------------------------------
    async def under_review(self, unit: Unit) -> list[ReviewItem]:
        """Dossiers waiting for this unit's decision."""
        if unit.review_level is None:
            return []
        rows = await self.s.fetchall(
            "SELECT d.id, d.revision, d.status, d.review_level,"
            " coalesce(json_extract(d.content, '$.answers.ho_ten'), ''), d.submitted_at"
            " FROM dossiers d WHERE d.status = 'submitted' AND d.review_level = ?"
            " AND d.unit_id IN (WITH RECURSIVE t(id) AS (SELECT ? UNION ALL"
            "   SELECT u.id FROM units u JOIN t ON u.parent_id = t.id) SELECT id FROM t)"
            " ORDER BY d.submitted_at, d.id",
            (unit.review_level, unit.id),
        )
        items = [ReviewItem(*r) for r in rows]
        org = self.s.repo(Org)
        # A nearer unit of the same level reviews instead of this one (see review_chain).
        kept = []
        for item in items:
            record_unit = await self.s.fetchval(
                "SELECT unit_id FROM dossiers WHERE id = ?", (item.dossier_id,)
            )
            chain = await org.review_chain(record_unit)
            if any(u.id == unit.id for u in chain):
                kept.append(item)
        return kept

    async def dossier_unit(self, dossier_id: int) -> int | None:
        return await self.s.fetchval("SELECT unit_id FROM dossiers WHERE id = ?", (dossier_id,))

    # -- remembered bot messages -------------------------------------------------------------------
    async def remember(
        self,
        platform: str,
        chat_id: str,
        message_id: str,
        purpose: str,
        dossier_id: int | None,
        revision: int | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        tx = _tx(self)
        await tx.execute(
            "INSERT OR REPLACE INTO bot_messages (platform, chat_id, message_id, purpose,"
            " dossier_id, revision, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (platform, chat_id, message_id, purpose, dossier_id, revision,
             _dumps(detail or {}), tx.now),
        )  # fmt: skip

    async def message(self, platform: str, chat_id: str, message_id: str) -> BotMessage | None:
        row = await self.s.fetchone(
            "SELECT platform, chat_id, message_id, purpose, dossier_id, revision, detail,"
            " created_at FROM bot_messages WHERE platform = ? AND chat_id = ? AND message_id = ?",
            (platform, chat_id, message_id),
        )
        if row is None:
            return None
        return BotMessage(*row[:6], json.loads(row[6]), row[7])

    async def messages_for(
        self, dossier_id: int, purpose: str, chat_id: str | None = None
    ) -> list[BotMessage]:
        sql = (
            "SELECT platform, chat_id, message_id, purpose, dossier_id, revision, detail,"
            " created_at FROM bot_messages WHERE dossier_id = ? AND purpose = ?"
        )
        params: list[Any] = [dossier_id, purpose]
        if chat_id is not None:
            sql += " AND chat_id = ?"
            params.append(chat_id)
        rows = await self.s.fetchall(sql + " ORDER BY created_at, message_id", params)
        return [BotMessage(*r[:6], json.loads(r[6]), r[7]) for r in rows]

    # -- audit ----------------------------------------------------------------------------
    async def history(self, dossier_id: int) -> list[HistoryEntry]:
        """Everything recorded about a dossier, oldest first, with names (never content)."""
        rows = await self.s.fetchall(
            "SELECT a.at, a.action, a.person_id, coalesce(p.display_name, ''), a.revision,"
            " a.unit_id, coalesce(u.name, ''), a.detail FROM audit_log a"
            " LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id"
            " WHERE a.dossier_id = ? ORDER BY a.id",
            (dossier_id,),
        )
        return [HistoryEntry(*r[:7], json.loads(r[7])) for r in rows]

    async def unit_history(self, unit_ids: list[int], limit: int = 50) -> list[HistoryEntry]:
        """Organisation events (role changes, bindings) of these units, newest first."""
        if not unit_ids:
            return []
        marks = ",".join("?" * len(unit_ids))
        rows = await self.s.fetchall(
            "SELECT a.at, a.action, a.person_id, coalesce(p.display_name, ''), a.revision,"
            " a.unit_id, coalesce(u.name, ''), a.detail FROM audit_log a"
            " LEFT JOIN people p ON p.id = a.person_id LEFT JOIN units u ON u.id = a.unit_id"
            f" WHERE a.unit_id IN ({marks}) AND a.dossier_id IS NULL ORDER BY a.id DESC LIMIT ?",
            (*unit_ids, limit),
        )
        return [HistoryEntry(*r[:7], json.loads(r[7])) for r in rows]


def expired(invite: Invite, now: datetime | None = None) -> bool:
    """Whether the invite's expiry has passed (for listings)."""
    if invite.expires_at is None:
        return False
    return invite.expires_at <= utc_iso(now or datetime.now(UTC))
