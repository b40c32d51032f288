"""The reviews' repository: comments anchored to items, decisions level by level, and the
dossiers waiting at a unit.

Why in this shape
-----------------
* The rules — which status a decision leads to, whose turn it is, why a decision is refused —
  are :mod:`admission.lifecycle`'s. This repository reads what they need, asks them, and
  writes the outcome in the caller's transaction: the checks and the write cannot be
  separated, so two reviewers tapping "Duyệt" at once cannot both win (the write lock
  serialises them, and the unique index ``review_one_decision`` is the backstop if two
  processes ever share the file).
* A decision names the revision it was taken on. A decision on an older revision than the
  dossier's current one is refused: the reviewer acted on a card that no longer shows the
  dossier.

The organisation (units, roles, invites) is :mod:`storage.org`'s; ``Org`` and ``Unit`` are
re-exported here for the modules that import them from this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from admission import lifecycle
from admission.lifecycle import (
    COMMENT_MOVES,
    CommentMove,
    CommentStatus,
    DecisionRefused,
    DossierState,
    Move,
)
from storage.core import DossierRecord
from storage.db import Repo
from storage.org import Org, Unit, in_transaction
from storage.session import integrity_error

__all__ = [
    "Comment",
    "Decision",
    "DecisionKind",
    "DecisionRefused",
    "Org",
    "Outcome",
    "ReviewItem",
    "Reviews",
    "Unit",
]

DecisionKind = Literal["approve", "return", "reopen"]


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
class ReviewItem:
    """A dossier waiting at a unit, as listed to its reviewers (no content)."""

    dossier_id: int
    revision: int
    status: str
    review_level: int | None
    full_name: str
    submitted_at: str | None


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
        """A reviewer's new comment: a draft until the unit's return sends it."""
        tx = in_transaction(self)
        comment_id = await tx.insert(
            "INSERT INTO comments (dossier_id, revision, unit_id, item_number, anchor, author_id,"
            " text, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (dossier_id, revision, unit_id, item_number, anchor, author_id, text,
             lifecycle.NEW_COMMENT, tx.now),
        )  # fmt: skip
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

    async def drafts(self, dossier_id: int) -> list[Comment]:
        """The unit's comments not sent yet."""
        return await self.comments(dossier_id, (lifecycle.NEW_COMMENT,))

    async def delete_draft(self, comment_id: int, author_id: int) -> bool:
        """A reviewer withdraws their own comment before it is sent."""
        source, _ = COMMENT_MOVES[CommentMove.WITHDRAW]
        changed = await in_transaction(self).execute(
            "DELETE FROM comments WHERE id = ? AND author_id = ? AND status = ?",
            (comment_id, author_id, source),
        )
        return changed == 1

    async def resolve(self, comment_id: int, person_id: int) -> Comment | None:
        """Mark a sent comment resolved; None when it is not an open sent comment."""
        tx = in_transaction(self)
        source, target = COMMENT_MOVES[CommentMove.RESOLVE]
        changed = await tx.execute(
            "UPDATE comments SET status = ?, resolved_at = ?, resolved_by = ?"
            " WHERE id = ? AND status = ?",
            (target, tx.now, person_id, comment_id, source),
        )
        return await self.comment(comment_id) if changed else None

    async def unresolve(self, comment_id: int) -> Comment | None:
        """Put a resolved comment back to open (a reviewer changed their mind)."""
        source, target = COMMENT_MOVES[CommentMove.UNRESOLVE]
        changed = await in_transaction(self).execute(
            "UPDATE comments SET status = ?, resolved_at = NULL, resolved_by = NULL"
            " WHERE id = ? AND status = ?",
            (target, comment_id, source),
        )
        return await self.comment(comment_id) if changed else None

    async def _send_drafts(self, dossier_id: int, revision: int) -> list[Comment]:
        tx = in_transaction(self)
        source, target = COMMENT_MOVES[CommentMove.SEND]
        drafts = await self.drafts(dossier_id)
        if drafts:
            await tx.execute(
                "UPDATE comments SET status = ?, sent_at = ?, revision = ?"
                " WHERE dossier_id = ? AND status = ?",
                (target, tx.now, revision, dossier_id, source),
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

    async def reviewed_revision(self, dossier_id: int) -> int | None:
        """The revision the dossier's reviewers last decided on (returned, approved or
        reopened): what they may read of it while it is back with its candidate."""
        last = await self._last_decision(dossier_id)
        return last.revision if last is not None else None

    async def deciding_unit(self, dossier_id: int) -> int | None:
        """The unit whose approval made the dossier final (its last approval)."""
        return await self.s.fetchval(
            "SELECT unit_id FROM review_decisions WHERE dossier_id = ? AND decision = 'approve'"
            " ORDER BY id DESC LIMIT 1",
            (dossier_id,),
        )

    async def admission_decided(self, dossier_id: int) -> bool:
        """Whether the admission decision (admitted or not) is recorded, read from the
        derived progress row (the rule: :func:`lifecycle.admission_decided`)."""
        phase = await self.s.fetchval(
            "SELECT phase FROM dossier_progress WHERE dossier_id = ?", (dossier_id,)
        )
        return lifecycle.admission_decided(phase)

    async def _last_decision(self, dossier_id: int) -> Decision | None:
        row = await self.s.fetchone(
            f"SELECT {self._DECISION} FROM review_decisions WHERE dossier_id = ?"
            " ORDER BY id DESC LIMIT 1",
            (dossier_id,),
        )
        return Decision(*row) if row else None

    async def _insert_decision(
        self, record: DossierRecord, unit: Unit, decision: DecisionKind, person_id: int
    ) -> Decision:
        tx = in_transaction(self)
        level = unit.review_level or 0
        submission = record.submitted_at or ""
        try:
            async with tx.savepoint():
                decision_id = await tx.insert(
                    "INSERT INTO review_decisions (dossier_id, revision, unit_id, level,"
                    " decision, person_id, created_at, submission)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (record.id, record.revision, unit.id, level, decision, person_id, tx.now,
                     submission),
                )  # fmt: skip
        except Exception as exc:
            if not integrity_error(exc):
                raise
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
        """The dossier waiting for ``unit_id``'s decision on ``revision``, the review chain and
        the unit's place in it; or :class:`DecisionRefused`."""
        record = await self.s.dossiers.get(dossier_id)
        chain = []
        if record is not None and record.unit_id is not None:
            chain = await self.s.repo(Org).review_chain(record.unit_id)
        last = await self._last_decision(dossier_id)
        position = lifecycle.deciding_position(_state(record), chain, unit_id, revision, last)
        assert record is not None
        return record, chain, position

    async def start_review(self, record: DossierRecord) -> Unit | None:
        """Put a just-submitted dossier at the level that reviews it now
        (:func:`lifecycle.starting_unit`); returns that unit, or None when the dossier's unit
        has no review chain (nobody to send it to)."""
        tx = in_transaction(self)
        if record.unit_id is None:
            return None
        chain = await self.s.repo(Org).review_chain(record.unit_id)
        if not chain:
            return None
        unit = lifecycle.starting_unit(chain, await self._last_decision(record.id))
        assert unit is not None
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
        tx = in_transaction(self)
        record, chain, position = await self._current(dossier_id, revision, unit_id)
        unit = chain[position]
        move = lifecycle.approval(position, chain, len(await self.drafts(dossier_id)))
        decision = await self._insert_decision(record, unit, "approve", person_id)
        if move is Move.FORWARD:
            nxt = chain[position + 1]
            await tx.execute(
                "UPDATE dossiers SET review_level = ?, updated_at = ? WHERE id = ?",
                (nxt.review_level, tx.now, record.id),
            )
            await self.s.progress.refresh(record.id)
            after = await self.s.dossiers.get(record.id)
            assert after is not None
            return Outcome("forwarded", decision, after, unit, next_unit=nxt)
        status = lifecycle.target(move, record.status)
        after = await self.s.dossiers.set_status(record, status, review_level=unit.review_level)
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
        lifecycle.check_return(len(await self.drafts(dossier_id)))
        decision = await self._insert_decision(record, unit, "return", person_id)
        sent = await self._send_drafts(dossier_id, record.revision)
        status = lifecycle.target(Move.RETURN, record.status)
        after = await self.s.dossiers.set_status(record, status, review_level=unit.review_level)
        return Outcome("returned", decision, after, unit, sent=sent)

    async def reopen(self, dossier_id: int, unit_id: int, person_id: int) -> Outcome:
        """Unlock an approved dossier so the candidate can change it; it comes back to
        ``unit_id``'s level when resubmitted. Refused once the admission decision is recorded.
        The caller checks the person's right."""
        record = await self.s.dossiers.get(dossier_id)
        unit = await self.s.repo(Org).unit(unit_id)
        decided = await self.admission_decided(dossier_id)
        lifecycle.check_reopen(_state(record), unit.review_level if unit else None, decided=decided)
        assert record is not None and unit is not None
        decision = await self._insert_decision(record, unit, "reopen", person_id)
        await self.s.dossiers.set_meta(record, locked=0)
        status = lifecycle.target(Move.REOPEN, record.status)
        await self.s.dossiers.set_status(record, status, review_level=unit.review_level)
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
            f" coalesce({self.s.dialect.json_text('d.content', '$.answers.ho_ten')}, ''),"
            " d.submitted_at"
            " FROM dossiers d WHERE d.status = 'submitted' AND d.review_level = ?"
            " AND d.unit_id IN (WITH RECURSIVE t(id) AS (SELECT CAST(? AS BIGINT) UNION ALL"
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


def _state(record: DossierRecord | None) -> DossierState | None:
    if record is None:
        return None
    return DossierState(
        record.status, record.unit_id, record.review_level, record.revision, record.locked
    )
