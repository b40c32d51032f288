"""Who may see or act on a dossier: the one place that decides, and records every view.

The rule (issue 4): the full content of a dossier reaches only its candidate and the
reviewers of its unit and of the units above it. Secretaries manage units and people; they may
read a dossier's *history* (who did what, when, on which revision) in the units they manage,
never its content, unless they also hold a reviewer role there. Reviewers read the history too;
the candidate does not.

Handlers never load a dossier's content for someone else directly: they call
:func:`open_for_view`, which checks the rule and appends a ``view`` row to ``audit_log`` in the
same transaction, so a view that was served is a view that was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from storage.core import DossierRecord
from storage.db import Session, Tx
from storage.reviews import Org, Unit

Standing = Literal["candidate", "reviewer", "none"]


@dataclass(frozen=True, slots=True)
class Access:
    """A person's standing towards one dossier."""

    standing: Standing
    reviewer_units: tuple[int, ...] = ()  # units above the dossier where they review

    @property
    def may_view(self) -> bool:
        return self.standing != "none"


class AccessDenied(Exception):
    """The person may not see or do this; the message they get says nothing about the
    dossier (not even whether it exists)."""


async def access(s: Session, person_id: int | None, record: DossierRecord) -> Access:
    """What ``person_id`` may do with ``record``'s content."""
    if person_id is None or record.status == "deleted":
        return Access("none")
    if record.person_id == person_id:
        return Access("candidate")
    if record.unit_id is None:
        return Access("none")
    units = await reviewer_units_over(s, person_id, record.unit_id)
    if units:
        return Access("reviewer", tuple(u.id for u in units))
    return Access("none")


async def reviewer_units_over(s: Session, person_id: int, unit_id: int) -> list[Unit]:
    """The units at or above ``unit_id`` where ``person_id`` holds the reviewer role."""
    org = s.repo(Org)
    mine = {r.unit_id for r in await org.roles_of(person_id) if r.role == "reviewer"}
    if not mine:
        return []
    return [u for u in await org.ancestors(unit_id) if u.id in mine]


async def may_act(s: Session, person_id: int | None, unit: Unit) -> bool:
    """Whether the person may act (comment, return, approve, reopen) for ``unit``: holding
    its reviewer role is the only thing that counts, whoever else sits in its group."""
    if person_id is None:
        return False
    return await s.repo(Org).has_role(person_id, unit.id, "reviewer")


async def may_manage(s: Session, person_id: int | None, unit_id: int) -> bool:
    """Secretaries manage their unit and everything below it."""
    if person_id is None:
        return False
    org = s.repo(Org)
    secretary_of = {r.unit_id for r in await org.roles_of(person_id) if r.role == "secretary"}
    if not secretary_of:
        return False
    return any(u.id in secretary_of for u in await org.ancestors(unit_id))


async def may_read_history(s: Session, person_id: int | None, record: DossierRecord) -> bool:
    """A dossier's history (no content) is open to its secretaries and its reviewers; not to
    its candidate: it names who looked at the dossier and who wrote comments never sent."""
    if person_id is None:
        return False
    if record.unit_id is not None and await may_manage(s, person_id, record.unit_id):
        return True
    return (await access(s, person_id, record)).standing == "reviewer"


async def open_for_view(
    tx: Tx,
    person_id: int | None,
    dossier_id: int,
    *,
    what: str = "dossier",
    unit_id: int | None = None,
) -> DossierRecord:
    """The dossier for ``person_id`` to read, with the view recorded; or :class:`AccessDenied`.

    ``what`` names what was shown (``dossier``, ``draft_docx``, ``changes``, ``final_docx``…);
    ``unit_id`` the unit the reviewer acted for, when known.
    """
    record = await tx.dossiers.get(dossier_id)
    if record is None:
        raise AccessDenied()
    standing = await access(tx, person_id, record)
    if not standing.may_view:
        raise AccessDenied()
    if standing.standing == "reviewer":
        acting_unit = unit_id if unit_id in standing.reviewer_units else standing.reviewer_units[0]
    else:
        acting_unit = record.unit_id
    await tx.audit.append(
        "view",
        person_id=person_id,
        dossier_id=record.id,
        revision=record.revision,
        unit_id=acting_unit,
        detail={"what": what, "as": standing.standing},
    )
    return record


async def record_delivery(
    tx: Tx,
    person_id: int,
    record: DossierRecord,
    *,
    what: str,
    unit_id: int | None,
    **detail: Any,
) -> None:
    """Record content the bot pushed to someone without their asking (the comments and the
    final .docx sent to the candidate, the final .docx posted in the approving group)."""
    await tx.audit.append(
        "deliver",
        person_id=person_id,
        dossier_id=record.id,
        revision=record.revision,
        unit_id=unit_id,
        detail={"what": what, **detail},
    )
