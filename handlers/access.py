"""The access gate: fetches what the rules need, asks them, and records every view.

The decisions themselves — who may see a dossier's content (and which revision of it), act
for a unit, manage a unit or read a dossier's history — are pure functions in
:mod:`admission.access`. Handlers never show a dossier's content to someone else directly:
they call :func:`open_for_view` (which loads the dossier at the revision the person may read)
or, holding the record already, :func:`record_view`; both check the rule and append a ``view``
row to ``audit_log`` in the same transaction, so a view that was served is a view that was
recorded. :func:`rights` answers "may view / may act" for one person and one dossier, as the
access matrix test reads it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from admission import access as rules
from admission.access import Access
from storage.core import DossierRecord
from storage.db import Session, Tx
from storage.org import Org, Role, Unit
from storage.reviews import Reviews

__all__ = [
    "Access",
    "AccessDenied",
    "Rights",
    "access",
    "final_for",
    "grants_of",
    "may_act",
    "may_manage",
    "may_read_history",
    "open_for_view",
    "record_delivery",
    "record_view",
    "reviewer_units_over",
    "rights",
]


class AccessDenied(Exception):
    """The person may not see or do this; the message they get says nothing about the
    dossier (not even whether it exists)."""


@dataclass(frozen=True, slots=True)
class Rights:
    """What one person may do with one dossier now: read it (which revision), and act on it
    for which units."""

    access: Access
    acting_units: tuple[int, ...]

    @property
    def may_view(self) -> bool:
        return self.access.may_view

    @property
    def may_act(self) -> bool:
        return bool(self.acting_units)


async def grants_of(s: Session, person_id: int | None) -> list[Role]:
    """The person's active roles (none for someone unknown)."""
    return await s.repo(Org).roles_of(person_id) if person_id is not None else []


async def _ancestor_ids(s: Session, unit_id: int | None) -> list[int]:
    return [u.id for u in await s.repo(Org).ancestors(unit_id)] if unit_id is not None else []


async def access(s: Session, person_id: int | None, record: DossierRecord) -> Access:
    """What ``person_id`` may do with ``record``'s content (and which revision they read)."""
    grants = await grants_of(s, person_id)
    if person_id is None or (not grants and record.person_id != person_id):
        return rules.NO_ACCESS  # nobody in any role: no need to read the organisation
    reviewed = None
    if record.status == "returned":
        reviewed = await s.repo(Reviews).reviewed_revision(record.id)
    return rules.dossier_access(
        person_id,
        record,
        grants,
        await _ancestor_ids(s, record.unit_id),
        reviewed_revision=reviewed,
    )


async def rights(s: Session, person_id: int | None, record: DossierRecord) -> Rights:
    """May ``person_id`` read ``record`` now, and act on it for which units (see
    :func:`admission.access.acting_units`)."""
    standing = await access(s, person_id, record)
    if standing.standing != "reviewer" or record.unit_id is None:
        return Rights(standing, ())
    chain = await s.repo(Org).review_chain(record.unit_id)
    waiting = next((u.id for u in chain if u.review_level == record.review_level), None)
    units = rules.acting_units(
        standing,
        record.status,
        [u.id for u in chain],
        waiting,
        decided=await s.repo(Reviews).admission_decided(record.id),
        locked=record.locked,
    )
    return Rights(standing, units)


async def reviewer_units_over(s: Session, person_id: int, unit_id: int) -> list[Unit]:
    """The units at or above ``unit_id`` where ``person_id`` holds the reviewer role."""
    ancestors = await s.repo(Org).ancestors(unit_id)
    mine = set(rules.reviewer_units_over(await grants_of(s, person_id), [u.id for u in ancestors]))
    return [u for u in ancestors if u.id in mine]


async def may_act(s: Session, person_id: int | None, unit: Unit) -> bool:
    """Whether the person holds the role to act (comment, return, approve, reopen) for
    ``unit``; whether the dossier lets that unit act now is the lifecycle's to say."""
    return rules.may_act(await grants_of(s, person_id), unit.id)


async def may_manage(s: Session, person_id: int | None, unit_id: int) -> bool:
    """Whether the person is secretary of ``unit_id`` or of a unit above it."""
    grants = await grants_of(s, person_id)
    return bool(grants) and rules.may_manage(grants, await _ancestor_ids(s, unit_id))


async def may_read_history(s: Session, person_id: int | None, record: DossierRecord) -> bool:
    """Whether the person may read ``record``'s history (see :func:`rules.may_read_history`)."""
    if person_id is None:
        return False
    manages = record.unit_id is not None and await may_manage(s, person_id, record.unit_id)
    return rules.may_read_history(manages, await access(s, person_id, record))


async def record_view(
    tx: Tx,
    person_id: int | None,
    record: DossierRecord,
    *,
    what: str,
    unit_id: int | None = None,
    standing: Access | None = None,
) -> Access:
    """Record that ``person_id`` is shown ``what`` of ``record`` (a screen that holds its
    content: ``stage_card``, ``stage_person``…), after asking the rule; or
    :class:`AccessDenied` (nothing recorded, nothing to show). ``unit_id``: the unit they
    act for, when known. Returns their standing (its ``revision``: the one they may read)."""
    standing = standing or await access(tx, person_id, record)
    if not standing.may_view:
        raise AccessDenied()
    await tx.audit.append(
        "view",
        person_id=person_id,
        dossier_id=record.id,
        revision=standing.revision if standing.revision is not None else record.revision,
        unit_id=rules.viewing_unit(standing, unit_id, record.unit_id),
        detail={"what": what, "as": standing.standing},
    )
    return standing


async def open_for_view(
    tx: Tx,
    person_id: int | None,
    dossier_id: int,
    *,
    what: str = "dossier",
    unit_id: int | None = None,
    known: tuple[DossierRecord, Access] | None = None,
) -> DossierRecord:
    """The dossier for ``person_id`` to read — at the revision they may read (a reviewer of a
    returned dossier: the one they decided on) — with the view recorded; or
    :class:`AccessDenied`.

    ``what`` names what was shown (``dossier``, ``draft_docx``, ``final_docx``…);
    ``unit_id`` the unit the person acted for, when known; ``known``: the record and the
    standing the caller has just read in this transaction (not read twice).
    """
    record, standing = known if known is not None else (await tx.dossiers.get(dossier_id), None)
    if record is None or record.id != dossier_id:
        raise AccessDenied()
    standing = await record_view(
        tx, person_id, record, what=what, unit_id=unit_id, standing=standing
    )
    if standing.revision is None or standing.revision == record.revision:
        return record
    shown = await tx.dossiers.snapshot_at(record, standing.revision)
    return dataclasses.replace(record, revision=standing.revision, dossier=shown)


async def final_for(
    tx: Tx, person_id: int | None, dossier_id: int, *, recorded: bool = True
) -> tuple[DossierRecord, int]:
    """The approved dossier and the unit that approved it, for a secretary of that unit who
    asks for the final .docx, with the view recorded (``recorded=False``: only asked, for a
    caller that records it with :func:`record_view` once it knows it can send it); or
    :class:`AccessDenied`."""
    record = await tx.dossiers.get(dossier_id)
    unit_id = await tx.repo(Reviews).deciding_unit(dossier_id) if record else None
    if record is None or unit_id is None or person_id is None:
        raise AccessDenied()
    manages = await may_manage(tx, person_id, unit_id)
    if not rules.may_receive_final(record.status, manages):
        raise AccessDenied()
    if recorded:
        await record_view(tx, person_id, record, what="final_docx", unit_id=unit_id)
    return record, unit_id


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
    final .docx sent to the candidate)."""
    await tx.audit.append(
        "deliver",
        person_id=person_id,
        dossier_id=record.id,
        revision=record.revision,
        unit_id=unit_id,
        detail={"what": what, **detail},
    )
