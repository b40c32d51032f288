"""Who may see or act on a dossier: the decisions, as pure functions over roles and units.

The rule (issue 4): the full content of a dossier reaches only its candidate and the
reviewers of its unit and of the units above it. Secretaries manage units and people; they may
read a dossier's *history* (who did what, when, on which revision) in the units they manage,
never its content, unless they also hold a reviewer role there. Reviewers read the history too;
the candidate does not. Acting on a dossier for a unit (comment, return, approve, reopen) takes
that unit's reviewer role, whoever else sits in its group.

The functions read a person's active role grants and a unit's ancestors (itself first, then up
to the root); ``handlers/access.py`` fetches those and records every view it serves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from admission.lifecycle import DossierStatus
from admission.organisation import RoleName

Standing = Literal["candidate", "reviewer", "none"]
#: The roles that make someone staff: they talk to the bot about others' dossiers.
STAFF_ROLES: frozenset[RoleName] = frozenset({"secretary", "reviewer"})


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
    """A person's standing towards one dossier."""

    standing: Standing
    reviewer_units: tuple[int, ...] = ()  # units above the dossier where they review

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
) -> Access:
    """What ``person_id`` may do with the dossier's content; ``ancestors`` are those of the
    dossier's unit."""
    if person_id is None or dossier.status == "deleted":
        return NO_ACCESS
    if dossier.person_id == person_id:
        return Access("candidate")
    if dossier.unit_id is None:
        return NO_ACCESS
    units = reviewer_units_over(grants, ancestors)
    return Access("reviewer", units) if units else NO_ACCESS


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
    else their nearest reviewing unit; the dossier's own unit for its candidate."""
    if access.standing == "reviewer":
        return requested if requested in access.reviewer_units else access.reviewer_units[0]
    return dossier_unit


def reviews_anywhere(grants: Iterable[Grant]) -> bool:
    """Reviewers may learn that a dossier number does not exist; anyone else is told only
    that they have no right (it would tell them which numbers exist)."""
    return any(g.role == "reviewer" for g in grants)


def belongs_in_group(grants: Iterable[Grant], ancestors: Sequence[int] | None) -> bool:
    """Whether the bot answers a person's commands and taps in a group: a secretary or
    reviewer of the group's unit or of a unit above it (``ancestors``: the unit and those
    above it); in a group bound to no unit (``None``: being bound), a secretary or reviewer
    anywhere. Anyone else is an outsider there, and the bot posts nothing in the group for
    them (issue 10: 41 refusals from one outsider's commands and taps)."""
    staff = {g.unit_id for g in grants if g.role in STAFF_ROLES}
    if ancestors is None:
        return bool(staff)
    return any(u in staff for u in ancestors)


def is_staff(grants: Iterable[Grant]) -> bool:
    """A secretary or reviewer somewhere: their private chat is about others' dossiers."""
    return any(g.role in STAFF_ROLES for g in grants)
