"""Recording the steps after approval: reading what a secretary types, then asking the rules
(:mod:`admission.stages`, :mod:`admission.abroad`) and writing through ``storage.stages``.

:func:`record_step` checks one step and writes the event, the derived progress and an audit
row in the caller's transaction; :func:`undo_last_step` removes the latest entry (typing
mistakes). :func:`parse_step_command` reads ``/buoc 12 chibo 15/06/2026`` the way people
write it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from admission.abroad import AbroadChoice, abroad_reason, choose_abroad
from admission.stages import (
    NOT_ADMITTED,
    DerivedStages,
    StepRefused,
    adult_from,
    check_step,
    fold_events,
    person_label,
    resolve_person,
    step_label,
)
from admission.workdays import from_day_number
from forms.parsers import ParseError, format_date, parse_date
from forms.vn import fold
from handlers.dossier_refs import DOSSIER_WORDS
from storage.db import Tx
from storage.stages import ProgressRow, StageEventRow, StageRecords

__all__ = [  # person_label and step_label: also read here by handlers.org
    "MAX_ID",
    "NOT_ADMITTED",
    "STEP_ALIASES",
    "TYPED_STEP",
    "Recorded",
    "StepInput",
    "check_not_admitted",
    "parse_day",
    "parse_person",
    "parse_step_command",
    "person_label",
    "record_step",
    "shown_number",
    "step_label",
    "typed_person",
    "undo_last_step",
]

#: The short code of each step, as /buoc's refusals teach it (each beside the step's name).
STEP_CODES: tuple[tuple[str, str], ...] = (
    ("viettay", "ban_viet_tay"),
    ("guitt", "tham_tra_gui"),
    ("vett", "tham_tra_ve"),
    ("chibo", "chi_bo"),
    ("danguy", "dang_uy"),
    ("quyetdinh", "quyet_dinh"),
    ("ketnap", "ket_nap"),
    ("chinhthuc", "chinh_thuc"),
    ("khongketnap", NOT_ADMITTED),
)

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
    "khongketnap": NOT_ADMITTED,
    "khongduockn": NOT_ADMITTED,
    "khongduocketnap": NOT_ADMITTED,
    # the steps' names shortened as people say them (the whole names are added below)
    "nopviettay": "ban_viet_tay",
    "nopbanviettay": "ban_viet_tay",
    "chibobieuquyet": "chi_bo",
    "danguybieuquyet": "dang_uy",
    "congnhanchinhthuc": "chinh_thuc",
    "chuyenchinhthuc": "chinh_thuc",
}

# Words that name more than one step ("xác minh" is sent or its result received; "biểu
# quyết" the chi bộ's or the đảng ủy's): asked about, each step listed (StepRefused
# "which_step"), not refused as unknown.
AMBIGUOUS_STEPS: dict[str, tuple[str, ...]] = {
    "xacminh": ("tham_tra_gui", "tham_tra_ve"),
    "thamtra": ("tham_tra_gui", "tham_tra_ve"),
    "xacminhlylich": ("tham_tra_gui", "tham_tra_ve"),
    "thamtralylich": ("tham_tra_gui", "tham_tra_ve"),
    "tt": ("tham_tra_gui", "tham_tra_ve"),
    "bieuquyet": ("chi_bo", "dang_uy"),
    "nghiquyet": ("chi_bo", "dang_uy"),
}
# ... and the same words where they say which ("gửi xác minh", "kết quả xác minh")
STEP_ALIASES.update(
    {
        "guixacminh": "tham_tra_gui",
        "xacminhgui": "tham_tra_gui",
        "guithamtralylich": "tham_tra_gui",
        "xacminhve": "tham_tra_ve",
        "nhanxacminh": "tham_tra_ve",
        "ketquaxacminh": "tham_tra_ve",
        "nhanketquaxacminh": "tham_tra_ve",
    }
)

# The short alias shown for each step in hints ("/buoc 12 chibo …").
TYPED_STEP: dict[str, str] = {
    "ban_viet_tay": "viettay",
    "tham_tra_gui": "guitt",
    "tham_tra_ve": "vett",
    "chi_bo": "chibo",
    "dang_uy": "danguy",
    "quyet_dinh": "quyetdinh",
    "ket_nap": "ketnap",
    "chinh_thuc": "chinhthuc",
    NOT_ADMITTED: "khongketnap",
}
assert set(TYPED_STEP.values()) <= set(STEP_ALIASES)
# ... and each step's whole name as the card shows it, without its form's number:
# "quyết định kết nạp", "nộp bản lý lịch viết tay", "công nhận đảng viên chính thức"
_LONGEST_ALIAS = 7  # words
# The alias shown for each person verified; "con2" and "nuoi_duong1" are typed "con2" and
# "nuoiduong1" (:func:`typed_person`).
_TYPED_PERSON = {
    "ban_than": "banthan",
    "cha": "cha",
    "me": "me",
    "vo_chong": "vochong",
    "cha_vc": "chavo",
    "me_vc": "mevo",
}


def typed_person(person: str) -> str:
    """How to type a person verified in /buoc."""
    return _TYPED_PERSON.get(person, person.replace("_", ""))


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
_FILLER_WORDS = frozenset({"ngay", "vao", "hop", "da", "co"})
_RELATIVE_DAYS = {"homnay": 0, "nay": 0, "homqua": 1, "homkia": 2}
# The largest number a dossier or a unit can carry (SQLite's INTEGER): a larger one typed or
# in a forged button is refused before it reaches the database, which would raise. And the
# largest "con N" / "người nuôi dưỡng N".
MAX_ID = 2**63 - 1
MAX_NUMBERED = 99


def shown_number(digits: str) -> str:
    """A typed number as a refusal quotes it (a very long one shortened)."""
    return digits if len(digits) <= 24 else digits[:23] + "…"


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


for _step in TYPED_STEP:  # each step's whole name (see _LONGEST_ALIAS)
    STEP_ALIASES.setdefault(_compact(re.sub(r"\(.*?\)", "", step_label(_step))), _step)


def parse_person(text: str) -> str:
    """ "mẹ vợ" → "me_vc", "con 2" → "con2", "người nuôi dưỡng 2" → "nuoi_duong2",
    "" → ""; unknown → StepRefused."""
    compact = _compact(text)
    if not compact:
        return ""
    match = re.fullmatch(r"(con|nguoinuoiduong|nuoiduong|nguoinuoi)(?:thu)?(\d+)", compact)
    if match and int(match.group(2)) > MAX_NUMBERED:
        raise StepRefused("unknown_person")
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


def _unknown_step() -> StepRefused:
    """The steps' codes alone (viettay, guitt, vett…) told a newcomer nothing: each is
    listed with the step's name as the card shows it."""
    return StepRefused("unknown_step", steps=[(c, step_label(s)) for c, s in STEP_CODES])


def _which_step(
    number: int, steps: tuple[str, ...], rest: list[str], day: date | None, today: date
) -> StepRefused:
    """A word that names several steps: each, with the command that records it (the person
    and the date as typed, else today; a verification's person asked for when not typed)."""
    try:
        person = typed_person(parse_person(" ".join(rest))) if rest else ""
    except StepRefused:
        person = ""
    shown = format_date(day or today)

    def command(step: str, who: str) -> str:
        words = ("/buoc", str(number), TYPED_STEP[step], who if _VERIFY in step else "", shown)
        return " ".join(w for w in words if w)

    choices = [(step_label(s), command(s, person)) for s in steps]
    verifies = any(_VERIFY in s for s in steps) and not person
    return StepRefused(
        "which_step", choices=choices, person=command(steps[0], "cha") if verifies else ""
    )


_VERIFY = "tham_tra"


def parse_step_command(text: str, today: date) -> StepInput:
    """``/buoc 12 chibo 15/03/2026``, ``/buoc 12 gui tham tra cha 02/01/2026 nuoc ngoai``.

    The dossier number comes first; then the step, the person verified (for verification
    steps), the date (or "hôm nay"), and "nước ngoài" for a verification abroad.
    """
    # the dossier number: "12", "#12", "hs12", "hồ sơ 12", "hồ sơ số 12", "12, …" (not "12/03")
    head = re.match(rf"\s*{DOSSIER_WORDS}?(\d+)(?=[\s,:;]|$)", fold(text))
    if head is None:
        raise StepRefused("usage")
    number = head.group(1)
    if int(number) > MAX_ID:
        raise StepRefused("too_large", number=shown_number(number))
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
    for cut in range(min(_LONGEST_ALIAS, len(folded_words)), 0, -1):
        alias = "".join(folded_words[:cut])
        if alias in AMBIGUOUS_STEPS:
            raise _which_step(int(number), AMBIGUOUS_STEPS[alias], folded_words[cut:], day, today)
        if alias in STEP_ALIASES:
            step = STEP_ALIASES[alias]
            # the form's number after the name says the same: "quyết định kết nạp 9-KNĐ"
            person_words = [w for w in folded_words[cut:] if STEP_ALIASES.get(w) != step]
            break
    if not step:
        if folded_words:
            raise _unknown_step()
        return StepInput(int(number), "", day)
    person = parse_person(" ".join(person_words)) if step.startswith("tham_tra") else ""
    if person_words and not step.startswith("tham_tra"):
        raise _unknown_step()
    return StepInput(int(number), step, day, person, abroad)


# ---------------------------------------------------------------------------------------------
# Recording


@dataclass(frozen=True, slots=True)
class Recorded:
    step: str
    day: date
    person: str
    abroad: bool = False


async def _progress_and_state(
    records: StageRecords, dossier_id: int
) -> tuple[ProgressRow, DerivedStages]:
    progress = await records.progress(dossier_id)
    if progress is None or progress.status == "deleted":
        raise StepRefused("no_dossier", number=dossier_id)
    return progress, fold_events(await records.events(dossier_id))


async def check_not_admitted(tx: Tx, dossier_id: int, day: date, *, today: date) -> None:
    """Raise :class:`StepRefused` when "không kết nạp" on ``day`` could not be recorded —
    asked before its confirmation, so nobody confirms what would then be refused."""
    progress, state = await _progress_and_state(tx.repo(StageRecords), dossier_id)
    check_step(
        state, status=progress.status, approved_d=progress.approved_d, step=NOT_ADMITTED,
        day=day, today=today,
    )  # fmt: skip


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
    lives abroad (:func:`admission.abroad.abroad_reason`), unless ``abroad`` says otherwise:
    the secretary's choice wins and is recorded as an override, with the dossier's reason
    kept beside it.
    """
    records = tx.repo(StageRecords)
    progress, state = await _progress_and_state(records, dossier_id)
    person = resolve_person(state, step, person)
    record = await tx.dossiers.get(dossier_id) if step in ("chi_bo", "tham_tra_gui") else None
    dossier = record.dossier if record else None
    check_step(
        state,
        status=progress.status,
        approved_d=progress.approved_d,
        step=step,
        day=day,
        today=today,
        person=person,
        # the candidate must be 18 on the day the chi bộ considers the case
        adult=adult_from(dossier) if step == "chi_bo" else None,
    )
    sending = step == "tham_tra_gui"  # only a request runs on one clock or the other
    where = choose_abroad(
        abroad_reason(dossier, person) if sending else "", abroad if sending else None
    )
    await records.add_event(
        dossier_id,
        step,
        day.isoformat(),
        person=person if step.startswith("tham_tra") else "",
        abroad=where.abroad,
        abroad_reason=where.reason,
        abroad_override=where.override,
        recorded_by=recorded_by,
    )
    await records.write_progress(dossier_id, fold_events(await records.events(dossier_id)))
    await tx.audit.append(
        "stage", person_id=recorded_by, dossier_id=dossier_id, unit_id=progress.unit_id,
        detail=_audit_detail(step, day, person, where),
    )  # fmt: skip
    return Recorded(step, day, person, where.abroad)


def _audit_detail(step: str, day: date, person: str, where: AbroadChoice) -> dict[str, Any]:
    """The audit row of a step; a request says where it runs and whether that was chosen."""
    detail: dict[str, Any] = {"stage": step, "on": day.isoformat()}
    if person:
        detail["person"] = person
    if step == "tham_tra_gui":
        detail["abroad"] = where.abroad
        if where.override:
            detail["abroad_override"] = True
    return detail


async def undo_last_step(tx: Tx, dossier_id: int, *, by: int | None) -> StageEventRow | None:
    """Remove the most recently recorded step of the dossier (a typing mistake)."""
    records = tx.repo(StageRecords)
    events = await records.events(dossier_id)
    if not events:
        return None
    last = events[-1]
    await records.delete_event(last.id)
    await records.write_progress(dossier_id, fold_events(events[:-1]))
    progress = await records.progress(dossier_id)
    await tx.audit.append(
        "stage_undo",
        person_id=by,
        dossier_id=dossier_id,
        unit_id=progress.unit_id if progress else None,
        detail={"stage": last.stage, "on": from_day_number(last.day).isoformat()},
    )
    return last
