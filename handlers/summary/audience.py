"""Who reads a secretaries' message, and so what it may say (issue 11).

A group chat holds whoever its members are, so what is posted there carries no dossier
content: counts, dossier numbers, units, steps and their dates — and candidates' names only
where the unit's secretary allowed it (``/hienten``, off by default). The *details* — relatives'
names, foreign addresses and nationality (the reason a verification runs abroad), the birth
date of a candidate under 18 and the day they turn 18 — go only privately, to a secretary or
reviewer who oversees the dossier, and each such message is recorded as a view.
"""

from __future__ import annotations

from dataclasses import dataclass

from forms import texts
from storage.stages import OverdueItem


@dataclass(frozen=True, slots=True)
class Audience:
    """``names``: candidates' names may be shown; ``details``: relatives' details and the
    birth dates of candidates under 18 may be shown (a private chat with an overseer)."""

    names: bool = True
    details: bool = True

    def name(self, full_name: str, dossier_id: int, *, unnamed: str = "") -> str:
        """The candidate's name, or "Hồ sơ số N" where names may not be shown (``unnamed``:
        what a dossier without a name reads as, by default its number too)."""
        if not self.names:
            return texts.message("secretary.dossier_number", number=dossier_id)
        return full_name or unnamed or texts.message("secretary.dossier_number", number=dossier_id)

    def reason(self, reason: str) -> str:
        """Why the dossier says a person verified is abroad: the relative's name, residence
        and nationality in private; in a group only that the dossier says so ("" stays "")."""
        if self.details or not reason:
            return reason
        return texts.message("secretary.abroad.reason_hidden")


PRIVATE = Audience()


def group_audience(names_allowed: bool) -> Audience:
    """A group chat: names only where the unit allowed them, never details."""
    return Audience(names=names_allowed, details=False)


def has_details(item: OverdueItem) -> bool:
    """Whether a summary line of ``item`` carries details in private (so showing it records a
    view): a verification's abroad reason, an under-18 candidate's birth date."""
    return item.clock == "under_18" or bool(item.abroad_reason)
