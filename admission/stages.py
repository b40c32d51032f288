"""The dossier's life after the 2-KNĐ is approved, as rules over the recorded steps.

Steps (HD 06 / QĐ 294, domain notes §3.2): handwritten copy handed in → verification sent
and answered, per person verified → chi bộ resolution (6-KNĐ) → đảng ủy resolution (8-KNĐ)
→ admission decision (9-KNĐ) → ceremony (probation starts, 12 months) → official membership
(16-KNĐ). The deadlines of those steps are in :mod:`admission.deadlines`; whether a person
verified lives abroad in :mod:`admission.abroad`.

Everything here is a pure function of the folded steps (:func:`fold_events`), so each
refusal can be tested without a database: a date in the future, a step before its
predecessor or earlier than it, a reply to a verification never sent, a chi bộ vote while
replies are missing or before the candidate is 18, official membership before the 12 months
of probation are over. ``storage.stages`` persists the folded state; ``handlers`` ask these
rules before writing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol

from admission.workdays import add_months, day_number, from_day_number
from forms import texts
from forms.dossier import Dossier
from forms.parsers import ParseError, format_date, parse_date

# Steps recorded after the 2-KNĐ is approved, in the order of the procedure.
STEPS: tuple[str, ...] = (
    "ban_viet_tay",  # handwritten copy of the biography handed in
    "tham_tra_gui",  # verification request sent (per person verified)
    "tham_tra_ve",  # verification reply received (per person verified)
    "chi_bo",  # chi bộ resolution proposing admission (6-KNĐ)
    "dang_uy",  # đảng ủy resolution (8-KNĐ)
    "quyet_dinh",  # admission decision (9-KNĐ)
    "ket_nap",  # admission ceremony: probation starts
    "chinh_thuc",  # recognised as official member (16-KNĐ)
)
# The unit's decision not to admit (issue 11): recorded like a step, with its day, by whom
# (``recorded_by``) and when; the dossier then leaves the pipeline (phase "not_admitted").
NOT_ADMITTED = "khong_ket_nap"
RECORDABLE: tuple[str, ...] = (*STEPS, NOT_ADMITTED)

# Phases of a dossier (``dossier_progress.phase``), in pipeline order (the funnel).
PHASES: tuple[str, ...] = (
    "draft",
    "submitted",
    "returned",
    "approved",
    "handwritten",
    "verifying",
    "verified",
    "chi_bo",
    "dang_uy",
    "decided",
    "probation",
    "official",
    "not_admitted",  # left the pipeline: the unit decided not to admit
    "withdrawn",  # left the pipeline: the candidate withdrew (whatever steps it had)
)
# The phases that end the pipeline: nothing is recorded or reminded after them.
CLOSED_PHASES: tuple[str, ...] = ("official", "not_admitted", "withdrawn")
# The phases in which steps are recorded and still to come (/buoc lists these).
OPEN_PHASES: tuple[str, ...] = tuple(
    p for p in PHASES[PHASES.index("approved") :] if p not in CLOSED_PHASES
)

# People verified (HD 06 3.4a): the candidate, parents (or the person who raised the candidate,
# declared instead of them), spouse, parents-in-law, adult children.
PERSONS: tuple[str, ...] = (
    "ban_than", "cha", "me", "nuoi_duong", "vo_chong", "cha_vc", "me_vc", "con"
)  # fmt: skip
# People of whom item (21) may declare several: one code each, numbered in the declared
# order ("con1", "con2"…; "nuoi_duong1"…), by the item (21) relation they come from.
NUMBERED: dict[str, str] = {"con": "con", "nguoi_nuoi_duong": "nuoi_duong"}
NUMBERED_RE = re.compile(r"(con|nuoi_duong)(\d+)")

PROBATION_MONTHS = 12
# The age condition (domain notes §3.1, rule X1): 18 years complete, counted in months, on
# the day the chi bộ considers the case.
ADULT_MONTHS = 18 * 12


class StepRefused(Exception):
    """A step that cannot be recorded; ``message`` is the Vietnamese reason."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        self.message = texts.message(f"secretary.step.{key}", **params)
        super().__init__(self.message)


def step_label(step: str) -> str:
    return texts.message(f"secretary.steps.{step}")


def person_label(person: str) -> str:
    """ "cha" → "cha"; "con2" → "con (thứ 2)"; "nuoi_duong1" → "người nuôi dưỡng (thứ 1)"."""
    match = NUMBERED_RE.fullmatch(person)
    if match:
        return texts.message(f"secretary.persons.{match.group(1)}_n", n=int(match.group(2)))
    key = f"secretary.persons.{person}"
    return texts.message(key) if texts.has_message(key) else person


# ---------------------------------------------------------------------------------------------
# The folded state


class RecordedStep(Protocol):
    """One recorded step as the rules read it (``storage.stages.StageEventRow`` is one)."""

    @property
    def stage(self) -> str: ...
    @property
    def day(self) -> int: ...  # day number
    @property
    def person(self) -> str: ...  # person verified (tham_tra_*), else ''
    @property
    def abroad(self) -> bool: ...
    @property
    def abroad_reason(self) -> str: ...
    @property
    def abroad_override(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Verification:
    """One person verified: when the request went out and when the reply came back."""

    person: str
    abroad: bool
    sent_d: int
    returned_d: int | None
    reason: str = ""  # the dossier's reason for "abroad" (see admission.abroad)
    override: bool = False  # the secretary chose otherwise than the dossier says


@dataclass(frozen=True, slots=True)
class DerivedStages:
    """Each step's day (day numbers) and each verification, folded from the recorded steps."""

    handwritten_d: int | None
    chi_bo_d: int | None
    dang_uy_d: int | None
    decision_d: int | None
    ceremony_d: int | None
    official_d: int | None
    verifications: tuple[Verification, ...]
    not_admitted_d: int | None = None  # the unit decided not to admit (see NOT_ADMITTED)

    @property
    def verif_done_d(self) -> int | None:
        if not self.verifications or any(v.returned_d is None for v in self.verifications):
            return None
        return max(v.returned_d for v in self.verifications if v.returned_d is not None)

    @property
    def pending(self) -> list[Verification]:
        """The verifications still waiting for their reply."""
        return [v for v in self.verifications if v.returned_d is None]

    def day_of(self, step: str) -> int | None:
        """The day of a step of the main line (not of a verification)."""
        return getattr(self, _COLUMN[step]) if step in _COLUMN else None


# Each step of the main line → its field of DerivedStages.
_COLUMN: dict[str, str] = {
    "ban_viet_tay": "handwritten_d",
    "chi_bo": "chi_bo_d",
    "dang_uy": "dang_uy_d",
    "quyet_dinh": "decision_d",
    "ket_nap": "ceremony_d",
    "chinh_thuc": "official_d",
    NOT_ADMITTED: "not_admitted_d",
}
# Which step must come before which.
_PREVIOUS: dict[str, str] = {
    "tham_tra_gui": "ban_viet_tay",
    "chi_bo": "ban_viet_tay",
    "dang_uy": "chi_bo",
    "quyet_dinh": "dang_uy",
    "ket_nap": "quyet_dinh",
    "chinh_thuc": "ket_nap",
}


def fold_events(events: Iterable[RecordedStep]) -> DerivedStages:
    """The state the recorded steps describe: each step's day, each verification's dates."""
    days: dict[str, int] = {}
    verifications: list[Verification] = []
    for event in events:
        if event.stage == "tham_tra_gui":
            verifications.append(
                Verification(
                    event.person,
                    event.abroad,
                    event.day,
                    None,
                    event.abroad_reason,
                    event.abroad_override,
                )
            )
        elif event.stage == "tham_tra_ve":
            for i, v in enumerate(verifications):
                if v.person == event.person and v.returned_d is None:
                    verifications[i] = replace(v, returned_d=event.day)
                    break
        else:
            days.setdefault(event.stage, event.day)
    return DerivedStages(
        handwritten_d=days.get("ban_viet_tay"),
        chi_bo_d=days.get("chi_bo"),
        dang_uy_d=days.get("dang_uy"),
        decision_d=days.get("quyet_dinh"),
        ceremony_d=days.get("ket_nap"),
        official_d=days.get("chinh_thuc"),
        verifications=tuple(verifications),
        not_admitted_d=days.get(NOT_ADMITTED),
    )


# The main line from its end: the latest step recorded → the one that may follow it.
_FOLLOWS: tuple[tuple[str, list[str]], ...] = (
    ("chinh_thuc", []),
    ("ket_nap", ["chinh_thuc"]),
    ("quyet_dinh", ["ket_nap"]),
    ("dang_uy", ["quyet_dinh"]),
    ("chi_bo", ["dang_uy"]),
)


def next_steps(state: DerivedStages) -> list[str]:
    """The steps that may come next (the buttons of a dossier's card); none once the unit
    decided not to admit."""
    if state.not_admitted_d is not None:
        return []
    for step, following in _FOLLOWS:
        if state.day_of(step) is not None:
            return list(following)
    if state.handwritten_d is None:
        return ["ban_viet_tay"]
    return ["tham_tra_gui", "tham_tra_ve" if state.pending else "chi_bo"]


# ---------------------------------------------------------------------------------------------
# The people verified


def next_person_code(state: DerivedStages, person: str) -> str:
    """ "con" becomes "con1", "con2"… (one code per child), "nuoi_duong" "nuoi_duong1"…;
    others stay as they are."""
    if person not in NUMBERED.values():
        return person
    used = {v.person for v in state.verifications}
    n = 1
    while f"{person}{n}" in used:
        n += 1
    return f"{person}{n}"


def resolve_person(state: DerivedStages, step: str, person: str) -> str:
    """The person a verification step is about: a new request numbers "con" / "nuoi_duong";
    a reply without a person, or with "con" while a single child is awaited, is that one."""
    if step == "tham_tra_gui":
        return next_person_code(state, person)
    if step != "tham_tra_ve":
        return person
    if not person and len(state.pending) == 1:
        return state.pending[0].person
    if person in NUMBERED.values():
        same = [
            v.person
            for v in state.pending
            if (m := NUMBERED_RE.fullmatch(v.person)) and m.group(1) == person
        ]
        if len(same) == 1:
            return same[0]
    return person


# ---------------------------------------------------------------------------------------------
# The age condition


def adult_from(dossier: Dossier | None) -> date | None:
    """The day the candidate completes 18 years counted in months (the dossier's date of
    birth, item (3)), as rule X1 counts it; None when the date of birth is unreadable."""
    if dossier is None:
        return None
    try:
        birth = parse_date(dossier.answers.get("ngay_sinh", ""))
    except ParseError:
        return None
    return add_months(birth, ADULT_MONTHS)


def probation_end(ceremony_d: int) -> date:
    """The day the 12 months of probation that started at the ceremony are over."""
    return add_months(from_day_number(ceremony_d), PROBATION_MONTHS)


# ---------------------------------------------------------------------------------------------
# The order rules


@dataclass(frozen=True, slots=True)
class _Proposed:
    """A step someone wants to record, with what the rules need to judge it."""

    state: DerivedStages
    step: str
    day: date
    person: str
    adult: date | None

    @property
    def n(self) -> int:
        return day_number(self.day)


def _d(day: int) -> str:
    return format_date(from_day_number(day))


def check_step(
    state: DerivedStages,
    *,
    status: str,
    approved_d: int | None,
    step: str,
    day: date,
    today: date,
    person: str = "",
    adult: date | None = None,
) -> None:
    """Raise :class:`StepRefused` when ``step`` on ``day`` breaks the procedure's order
    (``adult``: the day the candidate completes 18 years, see :func:`adult_from`)."""
    if step not in RECORDABLE:
        raise StepRefused("unknown_step")
    if day > today:
        raise StepRefused("future", day=format_date(day), today=format_date(today))
    if status != "approved" or approved_d is None:
        raise StepRefused("not_approved")
    if state.not_admitted_d is not None:
        raise StepRefused("after_not_admitted", day=_d(state.not_admitted_d))
    proposed = _Proposed(state, step, day, person, adult)
    if proposed.n < approved_d:
        raise StepRefused("before_approval", day=format_date(day), approved=_d(approved_d))
    if step == NOT_ADMITTED:
        _check_not_admitted(proposed)
        return
    _check_order(proposed)
    rule = _STEP_RULES.get(step)
    if rule is not None:
        rule(proposed)


def _check_order(p: _Proposed) -> None:
    """Once only, after its predecessor, not dated before it."""
    label = step_label(p.step)
    recorded = p.state.day_of(p.step)
    if recorded is not None:
        raise StepRefused("already", step=label, day=_d(recorded))
    previous = _PREVIOUS.get(p.step)
    if previous is None:
        return
    prev_day = p.state.day_of(previous)
    if prev_day is None:
        raise StepRefused("missing_previous", step=label, previous=step_label(previous))
    if p.n < prev_day:
        raise StepRefused(
            "before_previous",
            step=label,
            day=format_date(p.day),
            previous=step_label(previous),
            previous_day=_d(prev_day),
        )


def _check_request(p: _Proposed) -> None:
    """A verification request: of someone, before the vote, not twice while awaited."""
    if not p.person:
        raise StepRefused("need_person")
    if p.state.chi_bo_d is not None:
        raise StepRefused("verification_after_vote", day=_d(p.state.chi_bo_d))
    awaited = next((v for v in p.state.pending if v.person == p.person), None)
    if awaited is not None:
        raise StepRefused("already_sent", person=person_label(p.person), day=_d(awaited.sent_d))


def _check_reply(p: _Proposed) -> None:
    """A verification reply: to a request sent, not dated before it."""
    if not p.person:
        raise StepRefused("need_person")
    match = next((v for v in p.state.pending if v.person == p.person), None)
    if match is None:
        raise StepRefused("not_sent", person=person_label(p.person))
    if p.n < match.sent_d:
        raise StepRefused(
            "reply_before_sent",
            person=person_label(p.person),
            day=format_date(p.day),
            sent=_d(match.sent_d),
        )


def _check_vote(p: _Proposed) -> None:
    """The chi bộ votes once every reply is in, and on a candidate of 18 years."""
    if p.state.pending:
        persons = ", ".join(person_label(v.person) for v in p.state.pending)
        raise StepRefused("verifications_pending", persons=persons)
    done = p.state.verif_done_d
    if done is not None and p.n < done:
        raise StepRefused("vote_before_replies", day=format_date(p.day), last=_d(done))
    if p.adult is not None and p.day < p.adult:
        raise StepRefused("too_young", day=format_date(p.day), adult=format_date(p.adult))


def _check_official(p: _Proposed) -> None:
    """Official membership once the 12 months of probation are over."""
    assert p.state.ceremony_d is not None
    end = probation_end(p.state.ceremony_d)
    if p.day < end:
        raise StepRefused("probation_not_over", end=format_date(end), day=format_date(p.day))


def last_step_day(state: DerivedStages) -> tuple[str, int] | None:
    """The latest recorded step and its day (a verification counts by its dates)."""
    days = [(step, state.day_of(step)) for step in _COLUMN if step != NOT_ADMITTED]
    days += [("tham_tra_gui", v.sent_d) for v in state.verifications]
    days += [("tham_tra_ve", v.returned_d) for v in state.verifications]
    known = [(step, day) for step, day in days if day is not None]
    return max(known, key=lambda pair: pair[1]) if known else None


def _check_not_admitted(p: _Proposed) -> None:
    """Not admitted: before the admission decision (9-KNĐ; after it, the candidate is
    admitted), not dated before the latest step recorded."""
    if p.state.decision_d is not None:
        raise StepRefused("decided_already", day=_d(p.state.decision_d))
    last = last_step_day(p.state)
    if last is not None and p.n < last[1]:
        raise StepRefused(
            "before_previous",
            step=step_label(NOT_ADMITTED),
            day=format_date(p.day),
            previous=step_label(last[0]),
            previous_day=_d(last[1]),
        )


_STEP_RULES: dict[str, Callable[[_Proposed], None]] = {
    "tham_tra_gui": _check_request,
    "tham_tra_ve": _check_reply,
    "chi_bo": _check_vote,
    "chinh_thuc": _check_official,
}
