"""The dossier's life after the 2-KNĐ is approved: recording each step with its date.

Steps (HD 06 / QĐ 294, domain notes §3.2): handwritten copy handed in → verification sent
and answered, per person verified (30 working days, 90 abroad) → chi bộ resolution (6-KNĐ) →
đảng ủy resolution (8-KNĐ) → admission decision (9-KNĐ) → ceremony (probation starts, 12
months) → official membership (16-KNĐ).

The rules that refuse a step are pure functions over the folded events, so every refusal can
be tested without a database: a date in the future, a step before its predecessor, a date
earlier than the previous step, a reply to a verification never sent, a chi bộ vote while
replies are missing, official membership before the 12 months of probation are over.
:func:`record_step` applies them and writes the event and the derived progress in the
caller's transaction; :func:`undo_last_step` removes the latest entry (typing mistakes).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from forms import texts
from forms.definition import load_form
from forms.dossier import Dossier
from forms.parsers import ParseError, format_date, parse_date
from forms.vn import fold
from handlers.workdays import add_months, day_number, from_day_number
from storage.db import Tx
from storage.stages import STEPS, DerivedStages, StageEventRow, Stages, VerificationRow

# What a secretary may type for each step (folded, spaces removed).
STEP_ALIASES: dict[str, str] = {
    "viettay": "ban_viet_tay",
    "banviettay": "ban_viet_tay",
    "vt": "ban_viet_tay",
    "guithamtra": "tham_tra_gui",
    "guitt": "tham_tra_gui",
    "thamtragui": "tham_tra_gui",
    "thamtrave": "tham_tra_ve",
    "vett": "tham_tra_ve",
    "ketquathamtra": "tham_tra_ve",
    "nhanthamtra": "tham_tra_ve",
    "chibo": "chi_bo",
    "6knd": "chi_bo",
    "danguy": "dang_uy",
    "8knd": "dang_uy",
    "quyetdinh": "quyet_dinh",
    "qd": "quyet_dinh",
    "9knd": "quyet_dinh",
    "ketnap": "ket_nap",
    "lekenap": "ket_nap",
    "leketnap": "ket_nap",
    "chinhthuc": "chinh_thuc",
    "16knd": "chinh_thuc",
}

# People verified (HD 06 3.4a): the candidate, parents (or the person who raised the candidate,
# declared instead of them), spouse, parents-in-law, adult children.
PERSONS: tuple[str, ...] = (
    "ban_than", "cha", "me", "nuoi_duong", "vo_chong", "cha_vc", "me_vc", "con"
)  # fmt: skip
# People of whom item (21) may declare several: one code each, numbered in the declared
# order ("con1", "con2"…; "nuoi_duong1"…), by the item (21) relation they come from.
NUMBERED: dict[str, str] = {"con": "con", "nguoi_nuoi_duong": "nuoi_duong"}
_NUMBERED_RE = re.compile(r"(con|nuoi_duong)(\d+)")
_PERSON_ALIASES: dict[str, str] = {
    "banthan": "ban_than",
    "ungvien": "ban_than",
    "cha": "cha",
    "bo": "cha",
    "chade": "cha",
    "me": "me",
    "mede": "me",
    "vo": "vo_chong",
    "chong": "vo_chong",
    "vochong": "vo_chong",
    "chavo": "cha_vc",
    "bovo": "cha_vc",
    "chachong": "cha_vc",
    "bochong": "cha_vc",
    "chavochong": "cha_vc",
    "mevo": "me_vc",
    "mechong": "me_vc",
    "mevochong": "me_vc",
    "con": "con",
    "nguoinuoiduong": "nuoi_duong",
    "nuoiduong": "nuoi_duong",
    "nguoinuoi": "nuoi_duong",
    # the South's words for father and mother
    "ba": "cha",
    "ma": "me",
    "bavo": "cha_vc",
    "bachong": "cha_vc",
    "mavo": "me_vc",
    "machong": "me_vc",
}
_ABROAD_WORDS = ("nuocngoai", "onuocngoai", "nn")
_DOMESTIC_WORDS = ("trongnuoc", "otrongnuoc")
# A date inside a typed step (on folded text): 15/06/2026 (or with . or -), 15/06 (this
# year), 2026-06-15, "ngày 15 tháng 6 năm 2026" or "ngày 15 tháng 6".
_DATE_RE = re.compile(
    r"(?<!\d)(?:\d{4}\s*-\s*\d{1,2}\s*-\s*\d{1,2}"
    r"|\d{1,2}\s*[/.\-]\s*\d{1,2}(?:\s*[/.\-]\s*\d{1,4})?"
    r"|ngay\s*\d{1,2}\s*thang\s*\d{1,2}(?:\s*nam\s*\d{1,4})?)(?!\d)"
)
# Words people put around a date that say nothing more ("chi bộ họp vào ngày 15/06").
_FILLER_WORDS = frozenset({"ngay", "vao", "hop"})
_RELATIVE_DAYS = {"homnay": 0, "nay": 0, "homqua": 1, "homkia": 2}
PROBATION_MONTHS = 12

log = logging.getLogger(__name__)


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
    match = _NUMBERED_RE.fullmatch(person)
    if match:
        return texts.message(f"secretary.persons.{match.group(1)}_n", n=int(match.group(2)))
    key = f"secretary.persons.{person}"
    return texts.message(key) if texts.has_message(key) else person


# ---------------------------------------------------------------------------------------------
# Abroad or not: what the dossier says about the person verified


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


def abroad_reasons(dossier: Dossier | None, today: date) -> dict[str, str]:
    """Why the dossier says each person verified is abroad, by person code (absent: not).

    :func:`forms.checks.relatives_abroad` decides (as the reviewers' rule X14 does): a
    relative whose residence names a foreign country, or who is declared "đang ở nước
    ngoài", or of foreign nationality.
    Their verification goes through the Vietnamese representation abroad: 90 working days.
    """
    people = verified_relatives(dossier)
    if dossier is None or not people:
        return {}
    from forms.checks import relatives_abroad

    try:
        abroad_rows = {index for index, _ in relatives_abroad(dossier)}
    except Exception:  # a checks bug must not stop a secretary recording a step
        log.exception("checks failed while reading relatives abroad")
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


def abroad_reason(dossier: Dossier | None, person: str, today: date) -> str:
    """Why the dossier says ``person`` is abroad ("" when it does not); see
    :func:`abroad_reasons`."""
    return abroad_reasons(dossier, today).get(person, "")


# ---------------------------------------------------------------------------------------------
# Folding and rules (pure)


def fold_events(events: list[StageEventRow]) -> DerivedStages:
    """The state the events describe: each step's day, and each verification's dates."""
    days: dict[str, int] = {}
    verifications: list[VerificationRow] = []
    for event in events:
        if event.stage == "tham_tra_gui":
            verifications.append(
                VerificationRow(
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
    )


_PREVIOUS: dict[str, str] = {
    "tham_tra_gui": "ban_viet_tay",
    "chi_bo": "ban_viet_tay",
    "dang_uy": "chi_bo",
    "quyet_dinh": "dang_uy",
    "ket_nap": "quyet_dinh",
    "chinh_thuc": "ket_nap",
}
_COLUMN: dict[str, str] = {
    "ban_viet_tay": "handwritten_d",
    "chi_bo": "chi_bo_d",
    "dang_uy": "dang_uy_d",
    "quyet_dinh": "decision_d",
    "ket_nap": "ceremony_d",
    "chinh_thuc": "official_d",
}


def _d(day: int) -> str:
    return format_date(from_day_number(day))


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


# The age condition (domain notes §3.1, rule X1): 18 years complete, counted in months, on
# the day the chi bộ considers the case.
ADULT_MONTHS = 18 * 12


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
    if step not in STEPS:
        raise StepRefused("unknown_step")
    if day > today:
        raise StepRefused("future", day=format_date(day), today=format_date(today))
    if status != "approved" or approved_d is None:
        raise StepRefused("not_approved")
    n = day_number(day)
    if n < approved_d:
        raise StepRefused("before_approval", day=format_date(day), approved=_d(approved_d))
    label = step_label(step)
    if step in _COLUMN and getattr(state, _COLUMN[step]) is not None:
        raise StepRefused("already", step=label, day=_d(getattr(state, _COLUMN[step])))
    previous = _PREVIOUS.get(step)
    if previous is not None:
        prev_day = getattr(state, _COLUMN[previous])
        if prev_day is None:
            raise StepRefused("missing_previous", step=label, previous=step_label(previous))
        if n < prev_day:
            raise StepRefused(
                "before_previous",
                step=label,
                day=format_date(day),
                previous=step_label(previous),
                previous_day=_d(prev_day),
            )
    pending = [v for v in state.verifications if v.returned_d is None]
    if step == "tham_tra_gui":
        if not person:
            raise StepRefused("need_person")
        if state.chi_bo_d is not None:
            raise StepRefused("verification_after_vote", day=_d(state.chi_bo_d))
        if any(v.person == person for v in pending):
            sent = next(v.sent_d for v in pending if v.person == person)
            raise StepRefused("already_sent", person=person_label(person), day=_d(sent))
    elif step == "tham_tra_ve":
        if not person:
            raise StepRefused("need_person")
        match = next((v for v in pending if v.person == person), None)
        if match is None:
            raise StepRefused("not_sent", person=person_label(person))
        if n < match.sent_d:
            raise StepRefused(
                "reply_before_sent",
                person=person_label(person),
                day=format_date(day),
                sent=_d(match.sent_d),
            )
    elif step == "chi_bo":
        if pending:
            raise StepRefused(
                "verifications_pending", persons=", ".join(person_label(v.person) for v in pending)
            )
        done = state.verif_done_d
        if done is not None and n < done:
            raise StepRefused("vote_before_replies", day=format_date(day), last=_d(done))
        if adult is not None and day < adult:
            raise StepRefused("too_young", day=format_date(day), adult=format_date(adult))
    elif step == "chinh_thuc":
        assert state.ceremony_d is not None
        end = add_months(from_day_number(state.ceremony_d), PROBATION_MONTHS)
        if day < end:
            raise StepRefused("probation_not_over", end=format_date(end), day=format_date(day))


# ---------------------------------------------------------------------------------------------
# Reading what a secretary typed


@dataclass(frozen=True, slots=True)
class StepInput:
    dossier_id: int
    step: str
    day: date | None
    person: str = ""
    abroad: bool | None = None  # None: as the dossier says; True/False: typed by the secretary


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


def parse_person(text: str) -> str:
    """ "mẹ vợ" → "me_vc", "con 2" → "con2", "người nuôi dưỡng 2" → "nuoi_duong2",
    "" → ""; unknown → StepRefused."""
    compact = _compact(text)
    if not compact:
        return ""
    match = re.fullmatch(r"(con|nguoinuoiduong|nuoiduong|nguoinuoi)(?:thu)?(\d+)", compact)
    if match:
        return f"{_PERSON_ALIASES[match.group(1)]}{int(match.group(2))}"
    found = _PERSON_ALIASES.get(compact)
    if found is None:
        raise StepRefused("unknown_person")
    return found


def parse_day(text: str, today: date) -> date:
    """A date the way people type it ("15/06" is this year), or "hôm nay" / "hôm qua" /
    "hôm kia"."""
    compact = _compact(text)
    if compact in _RELATIVE_DAYS:
        return today - timedelta(days=_RELATIVE_DAYS[compact])
    numbers = re.findall(r"\d+", text)
    if len(numbers) == 2 and all(len(n) <= 2 for n in numbers):
        text = f"{numbers[0]}/{numbers[1]}/{today.year}"
    try:
        return parse_date(text)
    except ParseError as exc:
        raise StepRefused("bad_date", reason=exc.message) from None


def parse_step_command(text: str, today: date) -> StepInput:
    """``/buoc 12 chibo 15/03/2026``, ``/buoc 12 gui tham tra cha 02/01/2026 nuoc ngoai``.

    The dossier number comes first; then the step, the person verified (for verification
    steps), the date (or "hôm nay"), and "nước ngoài" for a verification abroad.
    """
    # the dossier number: "12", "#12", "hs12", "hồ sơ 12", "hồ sơ số 12"
    head = re.match(r"\s*(?:#|hs|ho\s*so)?\s*(?:so\s*)?(\d+)(?=\s|$)", fold(text))
    if head is None:
        raise StepRefused("usage")
    number = head.group(1)
    rest = fold(text)[head.end() :]
    day: date | None = None
    found = _DATE_RE.search(rest)
    if found:
        day = parse_day(found.group(0), today)
        rest = rest[: found.start()] + " " + rest[found.end() :]
    folded_words = [_compact(w) for w in rest.split()]
    folded_words = [w for w in folded_words if w and w not in _FILLER_WORDS]
    if day is None:
        for i in range(len(folded_words) - 1):
            if folded_words[i] + folded_words[i + 1] in _RELATIVE_DAYS:
                day = parse_day(folded_words[i] + folded_words[i + 1], today)
                del folded_words[i : i + 2]
                break
    abroad: bool | None = None
    for i in range(len(folded_words)):
        for size in (1, 2, 3):
            joined = "".join(folded_words[i : i + size])
            if i + size <= len(folded_words) and joined in _ABROAD_WORDS + _DOMESTIC_WORDS:
                abroad = joined in _ABROAD_WORDS
                del folded_words[i : i + size]
                break
        if abroad is not None:
            break
    step = ""
    person_words: list[str] = []
    for cut in range(min(4, len(folded_words)), 0, -1):
        alias = "".join(folded_words[:cut])
        if alias in STEP_ALIASES:
            step = STEP_ALIASES[alias]
            person_words = folded_words[cut:]
            break
    if not step:
        if folded_words:
            raise StepRefused("unknown_step")
        return StepInput(int(number), "", day)
    person = parse_person(" ".join(person_words)) if step.startswith("tham_tra") else ""
    if person_words and not step.startswith("tham_tra"):
        raise StepRefused("unknown_step")
    return StepInput(int(number), step, day, person, abroad)


# ---------------------------------------------------------------------------------------------
# Recording


@dataclass(frozen=True, slots=True)
class Recorded:
    step: str
    day: date
    person: str
    state: DerivedStages
    abroad: bool = False
    abroad_reason: str = ""
    abroad_override: bool = False


async def record_step(
    tx: Tx,
    dossier_id: int,
    step: str,
    day: date,
    *,
    today: date,
    person: str = "",
    abroad: bool | None = None,
    recorded_by: int | None = None,
) -> Recorded:
    """Check and record one step in ``tx`` (event, derived progress, audit row).

    A verification is abroad (90 working days) when the dossier says the person verified
    lives abroad (:func:`abroad_reason`), unless ``abroad`` says otherwise: the secretary's
    choice wins and is recorded as an override, with the dossier's reason kept beside it.
    """
    stages = tx.repo(Stages)
    progress = await stages.progress(dossier_id)
    if progress is None or progress.status == "deleted":
        raise StepRefused("no_dossier", number=dossier_id)
    state = fold_events(await stages.events(dossier_id))
    if step == "tham_tra_gui":
        person = next_person_code(state, person)
    elif step == "tham_tra_ve" and not person:
        pending = [v for v in state.verifications if v.returned_d is None]
        if len(pending) == 1:
            person = pending[0].person
    elif step == "tham_tra_ve" and person in NUMBERED.values():
        # "con" (or "nuoi_duong") with a single one of them waiting: that one
        pending = [v for v in state.verifications if v.returned_d is None]
        same = [
            v.person
            for v in pending
            if (m := _NUMBERED_RE.fullmatch(v.person)) and m.group(1) == person
        ]
        if len(same) == 1:
            person = same[0]
    adult = None
    if step == "chi_bo":  # the candidate must be 18 on the day the chi bộ considers the case
        record = await tx.dossiers.get(dossier_id)
        adult = adult_from(record.dossier if record else None)
    check_step(
        state,
        status=progress.status,
        approved_d=progress.approved_d,
        step=step,
        day=day,
        today=today,
        person=person,
        adult=adult,
    )
    reason, chosen, override = "", False, False
    if step == "tham_tra_gui":
        record = await tx.dossiers.get(dossier_id)
        reason = abroad_reason(record.dossier if record else None, person, today)
        chosen = bool(reason) if abroad is None else abroad
        override = abroad is not None and abroad != bool(reason)
    await stages.add_event(
        dossier_id,
        step,
        day.isoformat(),
        person=person if step.startswith("tham_tra") else "",
        abroad=chosen,
        abroad_reason=reason,
        abroad_override=override,
        recorded_by=recorded_by,
    )
    new_state = fold_events(await stages.events(dossier_id))
    await stages.write_progress(dossier_id, new_state)
    detail: dict[str, Any] = {"stage": step, "on": day.isoformat()}
    if person:
        detail["person"] = person
    if step == "tham_tra_gui":
        detail["abroad"] = chosen
        if override:
            detail["abroad_override"] = True
    await tx.audit.append(
        "stage",
        person_id=recorded_by,
        dossier_id=dossier_id,
        unit_id=progress.unit_id,
        detail=detail,
    )
    return Recorded(step, day, person, new_state, chosen, reason, override)


async def undo_last_step(tx: Tx, dossier_id: int, *, by: int | None) -> StageEventRow | None:
    """Remove the most recently recorded step of the dossier (a typing mistake)."""
    stages = tx.repo(Stages)
    events = await stages.events(dossier_id)
    if not events:
        return None
    last = events[-1]
    await stages.delete_event(last.id)
    await stages.write_progress(dossier_id, fold_events(events[:-1]))
    progress = await stages.progress(dossier_id)
    await tx.audit.append(
        "stage_undo",
        person_id=by,
        dossier_id=dossier_id,
        unit_id=progress.unit_id if progress else None,
        detail={"stage": last.stage, "on": from_day_number(last.day).isoformat()},
    )
    return last


def next_steps(state: DerivedStages) -> list[str]:
    """The steps that may come next, for the buttons of a dossier's card."""
    if state.official_d is not None:
        return []
    if state.ceremony_d is not None:
        return ["chinh_thuc"]
    if state.decision_d is not None:
        return ["ket_nap"]
    if state.dang_uy_d is not None:
        return ["quyet_dinh"]
    if state.chi_bo_d is not None:
        return ["dang_uy"]
    if state.handwritten_d is None:
        return ["ban_viet_tay"]
    pending = [v for v in state.verifications if v.returned_d is None]
    out = ["tham_tra_gui"]
    if pending:
        out.append("tham_tra_ve")
    else:
        out.append("chi_bo")
    return out
