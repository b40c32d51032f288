"""The access gate: fetches what the rules need, asks them, and records every view.

The decisions themselves — who may see a dossier's content, act for a unit, manage a unit or
read a dossier's history — are pure functions in :mod:`admission.access`. Handlers never load
a dossier's content for someone else directly: they call :func:`open_for_view`, which checks
the rule and appends a ``view`` row to ``audit_log`` in the same transaction, so a view that
was served is a view that was recorded.
"""

from __future__ import annotations

from typing import Any

from admission import access as rules
from admission.access import Access
from storage.core import DossierRecord
from storage.db import Session, Tx
from storage.org import Org, Role, Unit

__all__ = [
    "Access",
    "AccessDenied",
    "access",
    "grants_of",
    "may_act",
    "may_manage",
    "may_read_history",
    "open_for_view",
    "record_delivery",
    "reviewer_units_over",
]


class AccessDenied(Exception):
    """The person may not see or do this; the message they get says nothing about the
    dossier (not even whether it exists)."""


async def grants_of(s: Session, person_id: int | None) -> list[Role]:
    """The person's active roles (none for someone unknown)."""
    return await s.repo(Org).roles_of(person_id) if person_id is not None else []


async def _ancestor_ids(s: Session, unit_id: int | None) -> list[int]:
    return [u.id for u in await s.repo(Org).ancestors(unit_id)] if unit_id is not None else []


async def access(s: Session, person_id: int | None, record: DossierRecord) -> Access:
    """What ``person_id`` may do with ``record``'s content."""
    return rules.dossier_access(
        person_id, record, await grants_of(s, person_id), await _ancestor_ids(s, record.unit_id)
    )


async def reviewer_units_over(s: Session, person_id: int, unit_id: int) -> list[Unit]:
    """The units at or above ``unit_id`` where ``person_id`` holds the reviewer role."""
    ancestors = await s.repo(Org).ancestors(unit_id)
    mine = set(rules.reviewer_units_over(await grants_of(s, person_id), [u.id for u in ancestors]))
    return [u for u in ancestors if u.id in mine]


async def may_act(s: Session, person_id: int | None, unit: Unit) -> bool:
    """Whether the person may act (comment, return, approve, reopen) for ``unit``."""
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
    acting_unit = rules.viewing_unit(standing, unit_id, record.unit_id)
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
