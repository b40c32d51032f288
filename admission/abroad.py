"""Abroad or not: which clock a verification runs on (30 working days, or 90 abroad).

The dossier decides by default: the person verified (cha, mẹ, vợ/chồng, cha/mẹ vợ/chồng, the
n-th child or the n-th người nuôi dưỡng in the declared order) is matched to their item (21)
block, and :func:`forms.checks.relatives_abroad` — the decision the reviewers' rule X14
reports — says whether that block lives abroad or is of foreign nationality. The secretary
may choose otherwise; the choice wins and is kept as an override beside the dossier's reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from admission.stages import NUMBERED, PERSONS
from forms import texts
from forms.definition import load_form
from forms.dossier import Dossier
from forms.vn import fold

log = logging.getLogger(__name__)


def verified_relatives(dossier: Dossier | None) -> dict[str, tuple[int, dict[str, str]]]:
    """The item (21) block (index, row) of each person who may be verified, by person code:
    "cha", "me", "vo_chong", "cha_vc", "me_vc", and "nuoi_duong1", "nuoi_duong2"… (the
    people who raised the candidate) and "con1", "con2"… in the order they were declared
    (the codes /buoc uses)."""
    out: dict[str, tuple[int, dict[str, str]]] = {}
    counts: dict[str, int] = {}
    for i, row in enumerate(dossier.relatives if dossier is not None else []):
        code = row.get("quan_he", "")
        if code in NUMBERED:
            base = NUMBERED[code]
            counts[base] = counts.get(base, 0) + 1
            out[f"{base}{counts[base]}"] = (i, row)
        elif code in PERSONS and code not in ("ban_than", *NUMBERED.values()):
            out.setdefault(code, (i, row))
    return out


def abroad_reasons(dossier: Dossier | None) -> dict[str, str]:
    """Why the dossier says each person verified is abroad, by person code (absent: not).

    :func:`forms.checks.relatives_abroad` decides (as the reviewers' rule X14 does): a
    relative whose residence names a foreign country, or who is declared "đang ở nước
    ngoài", or of foreign nationality.
    """
    people = verified_relatives(dossier)
    if dossier is None or not people:
        return {}
    from forms.checks import relatives_abroad  # the rules are slow to import: when first asked

    try:
        abroad_rows = {index for index, _ in relatives_abroad(dossier)}
    except Exception as exc:  # a checks bug must not stop a secretary recording a step
        # the type only: the message or a traceback may quote the dossier (issue 11)
        log.error("checks failed while reading relatives abroad: %s", type(exc).__name__)
        return {}
    labels = {r.code: r.label for r in load_form().relatives().relations}
    out: dict[str, str] = {}
    for person, (index, row) in people.items():
        if index not in abroad_rows:
            continue
        who = " ".join(
            p for p in (labels.get(row.get("quan_he", ""), ""), row.get("ho_ten", "")) if p
        )
        nationality = row.get("quoc_tich", "").strip()
        if fold(nationality) in ("viet nam", "vn", "viet"):
            nationality = ""
        out[person] = texts.message(
            "secretary.abroad.reason",
            who=who.strip(),
            residence=row.get("cu_tru", "").strip(),
            nationality=nationality,
        )
    return out


def abroad_reason(dossier: Dossier | None, person: str) -> str:
    """Why the dossier says ``person`` is abroad ("" when it does not)."""
    return abroad_reasons(dossier).get(person, "")


@dataclass(frozen=True, slots=True)
class AbroadChoice:
    """Where a verification runs: ``abroad`` (the 90-day clock), the dossier's ``reason``
    for abroad ("" if it gives none), and whether the secretary chose otherwise."""

    abroad: bool
    reason: str
    override: bool


def choose_abroad(reason: str, typed: bool | None) -> AbroadChoice:
    """The dossier's default (``reason``), unless the secretary ``typed`` a choice."""
    if typed is None:
        return AbroadChoice(bool(reason), reason, False)
    return AbroadChoice(typed, reason, typed != bool(reason))
