"""The dossier's review lifecycle as a state machine: its statuses, the moves between them, who
makes each move and at which level, and why a reviewer's decision is refused.

::

    draft ──submit──► submitted ──return──► returned ──submit──► submitted …
      ▲                 │  │ approve (not the last level): forward, still submitted
      └──unroute────────┘  └ approve (the last level) ──► approved, locked ──reopen──► returned

    any of these ──withdraw (the candidate, confirmed)──► withdrawn
    draft, returned, withdrawn ──erase (the candidate, /xoa: a dossier under review or
                                 decided is withdrawn first)──► deleted
    draft, returned, withdrawn, approved ──expire (retention, the system)──► deleted

A candidate edits their dossier only while it is ``draft`` or ``returned``. A submitted
dossier waits at one level of its review chain (:func:`admission.organisation.review_chain`):
the first level, or, when it was sent back before, the level that sent it back. Only the unit
at that level decides, and only on the revision its card shows. Reopening an approved dossier
is an explicit act of a reviewing unit; the dossier then comes back to that unit's level. Once
the admission decision is recorded (admitted or not), it is no longer reopened.

A candidate may withdraw at any status (issue 11); a withdrawn dossier is read by nobody but
its candidate and is erased after the retention period (:mod:`admission.retention`), like a
dossier the unit did not admit and a draft abandoned long enough.

Comments follow their own small cycle: a reviewer's ``draft`` is ``sent`` with the unit's
return, then ``resolved`` (or opened again) by a reviewer.

Storage (``storage/reviews.py``) persists what these rules decide; it never decides itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol, TypeVar

from admission.organisation import Leveled

DossierStatus = Literal["draft", "submitted", "returned", "approved", "withdrawn", "deleted"]

#: What the candidate may still change (answer, edit, erase).
EDITABLE: frozenset[DossierStatus] = frozenset({"draft", "returned"})
#: Where a reviewer's decision leads: a decision repeated on such a dossier was already taken.
DECIDED: frozenset[DossierStatus] = frozenset({"approved", "returned"})
#: A dossier on its way (not withdrawn, not erased): what the candidate may withdraw.
LIVE: frozenset[DossierStatus] = frozenset({"draft", "submitted", "returned", "approved"})

Actor = Literal["candidate", "reviewer", "system"]
#: The level a move is made at: the one the dossier waits at, any level of its chain, none.
AtLevel = Literal["waiting", "any", "none"]


class Move(StrEnum):
    SUBMIT = "submit"  # the candidate sends the dossier for review
    UNROUTE = "unroute"  # nobody reviews the dossier's unit: back to the candidate
    FORWARD = "forward"  # a level approves and the next level reviews
    APPROVE = "approve"  # the last level approves: the dossier is final and locked
    RETURN = "return"  # a level sends the dossier back with its comments
    REOPEN = "reopen"  # a reviewing unit unlocks an approved dossier
    ERASE = "erase"  # the candidate deletes the content
    WITHDRAW = "withdraw"  # the candidate withdraws the application, at any status
    EXPIRE = "expire"  # the retention period is over: the system erases it


@dataclass(frozen=True, slots=True)
class Transition:
    sources: frozenset[DossierStatus]
    target: DossierStatus
    by: Actor
    at: AtLevel = "none"
    lock: bool | None = None  # True: locked after the move, False: unlocked, None: unchanged


TRANSITIONS: dict[Move, Transition] = {
    Move.SUBMIT: Transition(EDITABLE, "submitted", "candidate"),
    Move.UNROUTE: Transition(frozenset({"submitted"}), "draft", "system"),
    Move.FORWARD: Transition(frozenset({"submitted"}), "submitted", "reviewer", "waiting"),
    Move.APPROVE: Transition(frozenset({"submitted"}), "approved", "reviewer", "waiting", True),
    Move.RETURN: Transition(frozenset({"submitted"}), "returned", "reviewer", "waiting"),
    Move.REOPEN: Transition(frozenset({"approved"}), "returned", "reviewer", "any", False),
    Move.ERASE: Transition(EDITABLE | {"withdrawn"}, "deleted", "candidate"),
    Move.WITHDRAW: Transition(LIVE, "withdrawn", "candidate", lock=True),
    Move.EXPIRE: Transition(
        frozenset({"draft", "returned", "withdrawn", "approved"}), "deleted", "system"
    ),
}


class IllegalMove(ValueError):
    """A move from a status the lifecycle does not allow it from."""


def target(move: Move, status: str) -> DossierStatus:
    """The status ``move`` leads to from ``status``, or :class:`IllegalMove`."""
    transition = TRANSITIONS[move]
    if status not in transition.sources:
        raise IllegalMove(f"{move} from {status}")
    return transition.target


def editable_by_candidate(status: str) -> bool:
    return status in EDITABLE


def under_review(status: str) -> bool:
    """Whether the dossier waits for a reviewer's decision."""
    return status in TRANSITIONS[Move.RETURN].sources


def waits_at(status: str, dossier_level: int | None, unit_level: int | None) -> bool:
    """Whether the dossier waits for the decision of a unit reviewing at ``unit_level``."""
    return under_review(status) and unit_level == dossier_level


# ---------------------------------------------------------------------------------------------
# Decisions and why they are refused

RefusalReason = Literal[
    "not_found",
    "not_under_review",
    "not_your_turn",
    "outdated",
    "already_decided",
    "no_comments",
    "drafts_pending",
    "not_locked",
    "admission_decided",
]


class PastDecision(Protocol):
    """A decision taken earlier (a stored row), as the rules read it."""

    @property
    def unit_id(self) -> int: ...

    @property
    def revision(self) -> int: ...

    @property
    def level(self) -> int: ...

    @property
    def decision(self) -> str: ...


D = TypeVar("D", bound=PastDecision)
U = TypeVar("U", bound=Leveled)


class DecisionRefused(Exception):
    """A review action the dossier's state does not allow.

    ``reason``: not_found, not_under_review, not_your_turn, outdated, already_decided (then
    ``existing`` is that decision), no_comments, drafts_pending (approving with unsent
    comments), not_locked, admission_decided (reopening after the admission decision).
    """

    def __init__(self, reason: RefusalReason, *, existing: object | None = None) -> None:
        super().__init__(reason)
        self.reason: RefusalReason = reason
        self.existing = existing


@dataclass(frozen=True, slots=True)
class DossierState:
    """What the lifecycle reads of a dossier."""

    status: str
    unit_id: int | None
    review_level: int | None
    revision: int
    locked: bool


def deciding_position(
    dossier: DossierState | None,
    chain: Sequence[U],
    unit_id: int,
    revision: int,
    last: D | None,
) -> int:
    """The place in ``chain`` of ``unit_id`` when it may decide on ``revision`` of the dossier
    now; else :class:`DecisionRefused`. ``last`` is the dossier's latest decision: a tap
    repeated after that decision is told who took it."""
    if dossier is None or dossier.status == "deleted":
        raise DecisionRefused("not_found")
    if not under_review(dossier.status) or dossier.unit_id is None:
        if dossier.status in DECIDED and last is not None and last.revision == revision:
            raise DecisionRefused("already_decided", existing=last)
        raise DecisionRefused("not_under_review")
    position = next(
        (i for i, u in enumerate(chain) if u.review_level == dossier.review_level), None
    )
    if position is None or chain[position].id != unit_id:
        if last is not None and last.unit_id == unit_id and last.revision == revision:
            raise DecisionRefused("already_decided", existing=last)
        raise DecisionRefused("not_your_turn")
    if revision != dossier.revision:
        raise DecisionRefused("outdated")
    return position


def approval(position: int, chain: Sequence[Leveled], drafts: int) -> Move:
    """What the approval of the level at ``position`` does: forward the dossier to the next
    level, or approve it for good at the last. Refused while comments are unsent: they would
    ride up to the next level and go out in its name."""
    if drafts:
        raise DecisionRefused("drafts_pending")
    return Move.FORWARD if position + 1 < len(chain) else Move.APPROVE


def check_return(drafts: int) -> None:
    """A return carries the unit's comments: none written, nothing to return with."""
    if not drafts:
        raise DecisionRefused("no_comments")


#: Phases (``dossier_progress.phase``) from the admission decision on — admitted (9-KNĐ) and
#: what follows, or "không kết nạp": the 2-KNĐ is part of a decided file and stays as approved.
DECIDED_PHASES: frozenset[str] = frozenset({"decided", "probation", "official", "not_admitted"})


def admission_decided(phase: str | None) -> bool:
    """Whether the admission decision (either way) is recorded for a dossier in ``phase``."""
    return phase in DECIDED_PHASES


def check_reopen(
    dossier: DossierState | None, unit_level: int | None, *, decided: bool = False
) -> None:
    """Whether a unit reviewing at ``unit_level`` (None: no such unit, or it reviews at no
    level) may reopen the dossier; ``decided``: the admission decision is recorded (then
    nobody may). The person's right to act for that unit is checked by the caller."""
    if dossier is None or dossier.status == "deleted":
        raise DecisionRefused("not_found")
    if not dossier.locked or dossier.status not in TRANSITIONS[Move.REOPEN].sources:
        raise DecisionRefused("not_locked")
    if decided:
        raise DecisionRefused("admission_decided")
    if unit_level is None:
        raise DecisionRefused("not_your_turn")


def reopenable(status: str, locked: bool, decided: bool) -> bool:
    """Whether a reviewing unit could reopen a dossier in this state (see :func:`check_reopen`)."""
    return locked and status in TRANSITIONS[Move.REOPEN].sources and not decided


def resume_level(last: PastDecision | None) -> int | None:
    """The level a resubmitted dossier goes back to: the level of the last return or
    reopening, if the dossier was ever sent back; None for a first submission."""
    if last is None or last.decision == Move.APPROVE.value:
        return None
    return last.level


def starting_unit(chain: Sequence[U], last: PastDecision | None) -> U | None:
    """The unit that reviews a just-submitted dossier: the first level, or the level that
    sent it back (see :func:`resume_level`); None when no unit reviews it."""
    if not chain:
        return None
    resume = resume_level(last)
    return next((u for u in chain if u.review_level == resume), chain[0])


# ---------------------------------------------------------------------------------------------
# Comments

CommentStatus = Literal["draft", "sent", "resolved"]
#: A new comment is a draft: the candidate sees it only with the unit's return.
NEW_COMMENT: CommentStatus = "draft"


class CommentMove(StrEnum):
    SEND = "send"  # with the unit's return
    RESOLVE = "resolve"
    UNRESOLVE = "unresolve"  # a reviewer changed their mind
    WITHDRAW = "withdraw"  # the author deletes their draft


#: Comment moves: (from, to); to None: the comment is gone.
COMMENT_MOVES: dict[CommentMove, tuple[CommentStatus, CommentStatus | None]] = {
    CommentMove.SEND: ("draft", "sent"),
    CommentMove.RESOLVE: ("sent", "resolved"),
    CommentMove.UNRESOLVE: ("resolved", "sent"),
    CommentMove.WITHDRAW: ("draft", None),
}


def comment_open(status: str) -> bool:
    """A sent comment not resolved yet: the candidate is to address it."""
    return status == COMMENT_MOVES[CommentMove.RESOLVE][0]
