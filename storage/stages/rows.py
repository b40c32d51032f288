"""The rows the stage repositories return (dates are day numbers: days since 1970-01-01)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StageEventRow:
    id: int
    dossier_id: int
    stage: str
    day: int  # day number
    person: str  # person verified (tham_tra_*), else ''
    abroad: bool
    recorded_by: int | None
    recorded_at: str
    # tham_tra_gui: why the dossier says the person is abroad ("" if it does not), and
    # whether the secretary chose otherwise than the dossier says (an override).
    abroad_reason: str = ""
    abroad_override: bool = False


@dataclass(frozen=True, slots=True)
class ProgressRow:
    """One dossier as the summary sees it (dates are day numbers)."""

    dossier_id: int
    unit_id: int | None
    status: str
    review_level: int | None
    full_name: str
    phase: str
    opened_d: int | None
    approved_d: int | None
    handwritten_d: int | None
    chi_bo_d: int | None
    dang_uy_d: int | None
    decision_d: int | None
    ceremony_d: int | None
    official_d: int | None
    returns: int


@dataclass(frozen=True, slots=True)
class UnitRow:
    id: int
    parent_id: int | None
    name: str
    group_platform: str | None
    group_chat_id: str | None
    digest_hour: int | None
    names_in_group: bool = False  # may the unit's group see candidates' names (/hienten)


@dataclass(frozen=True, slots=True)
class TargetRow:
    unit_id: int
    year: int
    target: int
    deadline_iso: str


@dataclass(frozen=True, slots=True)
class TermTargetRow:
    unit_id: int
    start_year: int
    end_year: int
    target: int


@dataclass(frozen=True, slots=True)
class OverdueItem:
    clock: str
    dossier_id: int
    unit_id: int | None
    full_name: str
    since_d: int  # the day the clock started
    person: str = ""  # person verified
    abroad: bool = False
    abroad_reason: str = ""  # verification: the dossier's reason for "abroad"
    abroad_override: bool = False  # verification: the secretary chose otherwise

    @property
    def key(self) -> str:
        return f"{self.clock}:{self.dossier_id}:{self.person}"


@dataclass(frozen=True, slots=True)
class IdleCandidate:
    dossier_id: int
    person_id: int
    platform: str
    platform_user_id: str
    updated_d: int
