"""Who may see or act on a dossier: the decisions, as pure functions over roles, units and the
dossier's status.

The rule (issues 4 and 11): a dossier's content reaches only the people entitled to it, in
private, and only as far as its status allows:

* its candidate, at any status (their own data);
* the reviewers of its unit and of the units above it, once it was submitted to them: never a
  draft that was never submitted, and while it is back with the candidate (returned or
  reopened) only the revision they decided on, not the candidate's edits in progress; never
  a withdrawn one;
* after the last level's approval, the secretaries of its unit and the units above it (they
  record the steps that follow: verification, resolutions, decision); the final .docx goes,
  on request, to the secretaries of the deciding unit.

Secretaries otherwise manage units and people and read a dossier's *history* (who did what,
when, on which revision), never its content. The candidate does not read the history. Acting
on a dossier for a unit (comment, return, approve, reopen) takes that unit's reviewer role,
whoever else sits in its group, and only while the lifecycle lets that unit act.

The functions read a person's active role grants and a unit's ancestors (itself first, then up
to the root); ``handlers/access.py`` fetches those and records every view it serves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from admission import lifecycle
from admission.lifecycle import DossierStatus
from admission.organisation import RoleName

Standing = Literal["candidate", "reviewer", "secretary", "none"]
#: The roles that make someone staff: they talk to the bot about others' dossiers.
STAFF_ROLES: frozenset[RoleName] = frozenset({"secretary", "reviewer"})
#: Statuses whose content reviewers read: what was submitted to them (a returned dossier at the
#: revision they decided on). Not a draft, nor a withdrawn or deleted dossier.
REVIEWED: frozenset[str] = frozenset({"submitted", "returned", "approved"})
#: Statuses after the last level's approval: the dossier's secretaries work on it.
AFTER_APPROVAL: frozenset[str] = frozenset({"approved"})


class Grant(Protocol):
    """An active role: ``role`` in unit ``unit_id``."""

    @property
    def unit_id(self) -> int: ...

    @property
    def role(self) -> str: ...


class DossierOwner(Protocol):
    """What access reads of a dossier."""

    @property
    def person_id(self) -> int: ...

    @property
    def unit_id(self) -> int | None: ...

    @property
    def status(self) -> DossierStatus: ...


@dataclass(frozen=True, slots=True)
class Access:
    """A person's standing towards one dossier; ``revision`` is the one they may read (None:
    the current one)."""

    standing: Standing
    reviewer_units: tuple[int, ...] = ()  # units above the dossier where they review
    revision: int | None = None

    @property
    def may_view(self) -> bool:
        return self.standing != "none"


NO_ACCESS = Access("none")


def units_with(grants: Iterable[Grant], role: RoleName) -> set[int]:
    return {g.unit_id for g in grants if g.role == role}


def reviewer_units_over(grants: Iterable[Grant], ancestors: Sequence[int]) -> tuple[int, ...]:
    """The units among ``ancestors`` (a unit and those above it) where the person reviews."""
    mine = units_with(grants, "reviewer")
    return tuple(u for u in ancestors if u in mine)


def dossier_access(
    person_id: int | None,
    dossier: DossierOwner,
    grants: Iterable[Grant],
    ancestors: Sequence[int],
    *,
    reviewed_revision: int | None = None,
) -> Access:
    """What ``person_id`` may do with the dossier's content; ``ancestors`` are those of the
    dossier's unit, ``reviewed_revision`` the revision its reviewers last decided on (what they
    may read of a dossier back with its candidate)."""
    if person_id is None or dossier.status == "deleted":
        return NO_ACCESS
    if dossier.person_id == person_id:
        return Access("candidate")
    if dossier.unit_id is None or dossier.status not in REVIEWED:
        return NO_ACCESS
    grants = list(grants)
    units = reviewer_units_over(grants, ancestors)
    if units:
        if lifecycle.editable_by_candidate(dossier.status):
            if reviewed_revision is None:
                return NO_ACCESS  # never decided on: nothing of it was theirs to read
            return Access("reviewer", units, reviewed_revision)
        return Access("reviewer", units)
    if dossier.status in AFTER_APPROVAL and may_manage(grants, ancestors):
        return Access("secretary")
    return NO_ACCESS


def acting_units(
    access: Access,
    status: str,
    chain: Sequence[int],
    waiting: int | None,
    *,
    decided: bool,
    locked: bool,
) -> tuple[int, ...]:
    """The units the person may act for on the dossier now: the unit it waits at while under
    review, any unit of its review ``chain`` (reviewing units, nearest first) to reopen it
    after the approval and before the admission decision; none otherwise (a candidate never
    acts on their own dossier)."""
    if access.standing != "reviewer":
        return ()
    mine = tuple(u for u in chain if u in access.reviewer_units)
    if lifecycle.under_review(status):
        return tuple(u for u in mine if u == waiting)
    if lifecycle.reopenable(status, locked, decided):
        return mine
    return ()


def may_receive_final(status: str, manages_deciding_unit: bool) -> bool:
    """The final .docx goes, on request, to the secretaries of the unit that approved it last
    (the candidate gets it with the approval)."""
    return status in AFTER_APPROVAL and manages_deciding_unit


def may_act(grants: Iterable[Grant], unit_id: int) -> bool:
    """Whether the person may act (comment, return, approve, reopen) for the unit."""
    return unit_id in units_with(grants, "reviewer")


def may_manage(grants: Iterable[Grant], ancestors: Sequence[int]) -> bool:
    """Secretaries manage their unit and everything below it: whether the person is
    secretary of one of ``ancestors`` (a unit and those above it)."""
    secretary_of = units_with(grants, "secretary")
    return any(u in secretary_of for u in ancestors)


def may_read_history(manages: bool, access: Access) -> bool:
    """A dossier's history (no content) is open to its secretaries and its reviewers; not to
    its candidate: it names who looked at the dossier and who wrote comments never sent."""
    return manages or access.standing == "reviewer"


def viewing_unit(access: Access, requested: int | None, dossier_unit: int | None) -> int | None:
    """The unit a view is recorded for: the reviewer's acting unit when it is one of theirs,
    else their nearest reviewing unit; a secretary's unit when named; else the dossier's
    own unit."""
    if access.standing == "reviewer":
        return requested if requested in access.reviewer_units else access.reviewer_units[0]
    if access.standing == "secretary" and requested is not None:
        return requested
    return dossier_unit


def reviews_anywhere(grants: Iterable[Grant]) -> bool:
    """Reviewers may learn that a dossier number does not exist; anyone else is told only
    that they have no right (it would tell them which numbers exist)."""
    return any(g.role == "reviewer" for g in grants)


def is_staff(grants: Iterable[Grant]) -> bool:
    """A secretary or reviewer somewhere: their private chat is about others' dossiers."""
    return any(g.role in STAFF_ROLES for g in grants)
