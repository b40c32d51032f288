"""What a verified link may open now: asked of the access gate at every open, recorded as a
view in the caller's transaction.

A link names a person and an object; the signature only says we issued it. Whether the
person may still open it — their role not withdrawn, the dossier not erased nor moved to a
status that closes it to them — is :mod:`handlers.access`'s to say, at open time, so a link
handed out before a withdrawal or an erasure opens nothing after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from admission import lifecycle
from handlers import access
from handlers.access import AccessDenied
from handlers.web.links import Grant
from storage.core import DossierRecord
from storage.db import Tx

__all__ = ["AccessDenied", "Opened", "open_grant", "open_unit"]

#: The standing each kind of dossier link needs (``summary`` is a unit's: :func:`open_unit`).
_STANDING = {"dossier": "candidate", "form": "candidate", "review": "reviewer"}


@dataclass(frozen=True, slots=True)
class Opened:
    """A dossier a link opened: at the revision the person may read, for the unit they read
    it for (a reviewer's nearest reviewing unit)."""

    record: DossierRecord
    unit_id: int | None


async def open_grant(tx: Tx, grant: Grant, *, what: str) -> Opened:
    """The dossier ``grant`` names, for its person, with the view recorded as ``what``; or
    :class:`AccessDenied` (nothing recorded). A ``form`` link opens only a dossier its
    candidate may still edit."""
    needed = _STANDING.get(grant.obj.kind)
    record = await tx.dossiers.get(grant.obj.id)
    if needed is None or record is None:
        raise AccessDenied()
    standing = await access.access(tx, grant.person_id, record)
    if standing.standing != needed:
        raise AccessDenied()
    if grant.obj.kind == "form" and not lifecycle.editable_by_candidate(record.status):
        raise AccessDenied()
    shown = await access.open_for_view(
        tx, grant.person_id, record.id, what=what, known=(record, standing)
    )
    unit = standing.reviewer_units[0] if standing.reviewer_units else record.unit_id
    return Opened(shown, unit)


async def open_unit(tx: Tx, grant: Grant) -> int:
    """The unit a ``summary`` link names, for a secretary of it or of a unit above it; or
    :class:`AccessDenied`. The dossiers shown are recorded by the page that shows them."""
    if grant.obj.kind != "summary" or not await access.may_manage(
        tx, grant.person_id, grant.obj.id
    ):
        raise AccessDenied()
    return grant.obj.id
