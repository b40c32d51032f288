"""The screens of recording steps: a dossier's card (its steps so far, with buttons for what
may come next), choosing the person verified, and asking the date of a step."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from admission.abroad import abroad_reason, abroad_reasons, verified_relatives
from admission.deadlines import verification_due
from admission.stages import (
    DerivedStages,
    Verification,
    adult_from,
    fold_events,
    next_person_code,
    next_steps,
    person_label,
    probation_end,
    step_label,
)
from admission.workdays import WorkCalendar, from_day_number
from forms import texts
from forms.parsers import format_date
from handlers.events import Button, Reply
from handlers.secretary.actions import (
    ASK_DATE,
    PICK_PERSON,
    RECORD,
    UNDO,
    AskDate,
    DossierRef,
    PickPerson,
    RecordStep,
)
from handlers.secretary.common import t
from handlers.stages import TYPED_STEP, typed_person
from handlers.summary import fmt_date
from storage.db import Tx
from storage.reviews import Org
from storage.stages import ProgressRow, StageEventRow, StageRecords


async def card(
    tx: Tx, dossier_id: int, today: date, calendar: WorkCalendar, *, note: str = ""
) -> Reply:
    """A dossier's steps so far, with buttons for what may come next (after ``note``: what
    was just recorded or undone)."""
    records = tx.repo(StageRecords)
    progress = await records.progress(dossier_id)
    assert progress is not None
    events = await records.events(dossier_id)
    state = fold_events(events)
    nxt = next_steps(state) if progress.status == "approved" else []
    text = await _card_text(tx, progress, events, state, nxt, today, calendar)
    if note:
        text = note + "\n\n" + text
    buttons: list[list[Button]] = [
        [Button(step_label(s), _next_action(dossier_id, s))] for s in nxt
    ]
    if events:
        buttons.append([Button(t("buttons.undo"), UNDO.encode(DossierRef(dossier_id)))])
    return Reply(text=text, buttons=buttons)


def _next_action(dossier_id: int, step: str) -> str:
    """A verification first asks whom it is about; any other step asks its date."""
    if step == "tham_tra_gui":
        return PICK_PERSON.encode(PickPerson(dossier_id, "g"))
    if step == "tham_tra_ve":
        return PICK_PERSON.encode(PickPerson(dossier_id, "v"))
    return ASK_DATE.encode(AskDate(dossier_id, step))


async def _card_text(
    tx: Tx,
    progress: ProgressRow,
    events: list[StageEventRow],
    state: DerivedStages,
    nxt: list[str],
    today: date,
    calendar: WorkCalendar,
) -> str:
    unit = await tx.repo(Org).unit(progress.unit_id) if progress.unit_id else None
    adult = ""
    if progress.status == "approved" and state.chi_bo_d is None:
        # under 18 on the day of the vote is not allowed: say from when the chi bộ may vote
        record = await tx.dossiers.get(progress.dossier_id)
        day = adult_from(record.dossier if record else None)
        if day is not None and day > today:
            adult = format_date(day)
    approved_d = progress.approved_d
    return texts.render(
        "secretary/card.j2",
        number=progress.dossier_id,
        name=progress.full_name or t("no_name"),
        unit=unit.name if unit else "",
        phase=t(f"phases.{progress.phase}"),
        approved=format_date(from_day_number(approved_d)) if approved_d else "",
        steps=[
            {"label": step_label(e.stage), "day": format_date(from_day_number(e.day))}
            for e in events
            if not e.stage.startswith("tham_tra")
        ],
        verifications=[verification_line(v, today, calendar) for v in state.verifications],
        probation_end=(
            format_date(probation_end(state.ceremony_d)) if state.ceremony_d is not None else ""
        ),
        adult=adult,
        next=", ".join(step_label(s) for s in nxt),
    )


def verification_line(v: Verification, today: date, calendar: WorkCalendar) -> dict[str, Any]:
    """One verification on the card: dates, the reply's deadline and why it is 30 or 90
    working days (the dossier's reason, or the choice of whoever recorded it)."""
    sent = from_day_number(v.sent_d)
    due = verification_due(sent, v.abroad, calendar)
    if v.abroad:
        why = t("abroad.from_dossier", reason=v.reason) if v.reason else t("abroad.chosen_abroad")
    else:
        why = t("abroad.chosen_home", reason=v.reason) if v.reason else ""
    return {
        "person": person_label(v.person),
        "abroad": v.abroad,
        "sent": format_date(sent),
        "returned": format_date(from_day_number(v.returned_d)) if v.returned_d else "",
        "due": format_date(due),
        "late": due < today,
        "why": why,
    }


async def ask_person(tx: Tx, dossier_id: int, which: str) -> Reply:
    """Whom a verification is about: for a reply, the people awaited; for a request, the
    candidate, the family in the procedure's order and the children and the people who
    raised the candidate as declared in item (21), each by name, and who lives abroad."""
    records = tx.repo(StageRecords)
    progress = await records.progress(dossier_id)
    state = fold_events(await records.events(dossier_id))
    labels: dict[str, str] = {}
    if which == "v":
        step = "tham_tra_ve"
        people = [v.person for v in state.pending]
    else:
        step = "tham_tra_gui"
        record = await tx.dossiers.get(dossier_id)
        people, labels = _people_to_verify(record.dossier if record else None, state)
    buttons = [
        [Button(labels.get(p) or person_label(p), ASK_DATE.encode(AskDate(dossier_id, step, p)))]
        for p in people
    ]
    name = (progress.full_name if progress else "") or t("no_name")
    return Reply(text=t("step.ask_person", name=name, step=step_label(step)), buttons=buttons)


def _people_to_verify(dossier: Any, state: DerivedStages) -> tuple[list[str], dict[str, str]]:
    """The people a request may be sent about (none already awaited), with their labels."""
    declared = verified_relatives(dossier)
    reasons = abroad_reasons(dossier)
    children = [p for p in declared if p.startswith("con")] or [next_person_code(state, "con")]
    raisers = [p for p in declared if p.startswith("nuoi_duong")]
    pending = {v.person for v in state.pending}
    order = ("ban_than", "cha", "me", *raisers, "vo_chong", "cha_vc", "me_vc", *children)
    people = [p for p in order if p not in pending]
    labels: dict[str, str] = {}
    for p in people:
        numbered = p.startswith(("con", "nuoi_duong")) and p in declared
        name = declared[p][1].get("ho_ten", "") if numbered else ""
        labels[p] = t("step.person_button", person=person_label(p), name=name, abroad=p in reasons)
    return people, labels


async def ask_date(tx: Tx, dossier_id: int, step: str, person: str, today: date) -> Reply:
    """The date of a step: today or yesterday; for a verification request, a second row
    chooses otherwise than the dossier says about abroad."""
    progress = await tx.repo(StageRecords).progress(dossier_id)
    yesterday = today - timedelta(days=1)

    def record(day: date, place: str = "") -> str:
        return RECORD.encode(RecordStep(dossier_id, step, f"{day:%Y%m%d}", person, place))

    buttons = [
        [
            Button(t("buttons.today", day=fmt_date(today, year=False)), record(today)),
            Button(t("buttons.yesterday", day=fmt_date(yesterday, year=False)), record(yesterday)),
        ]
    ]
    note = ""
    if step == "tham_tra_gui":
        # the plain buttons follow the dossier; the second row chooses otherwise
        found = await tx.dossiers.get(dossier_id)
        reason = abroad_reason(found.dossier if found else None, person)
        note = t("abroad.ask_abroad", reason=reason) if reason else t("abroad.ask_home")
        place, kind = ("d", "home") if reason else ("a", "abroad")
        buttons.append(
            [
                Button(t(f"buttons.today_{kind}"), record(today, place)),
                Button(t(f"buttons.yesterday_{kind}"), record(yesterday, place)),
            ]
        )
    text = t(
        "step.ask_date",
        name=(progress.full_name if progress else "") or t("no_name"),
        step=step_label(step),
        person=person_label(person) if person else "",
        number=dossier_id,
        alias=TYPED_STEP[step],
        person_alias=typed_person(person),
    )
    return Reply(text=text + "\n\n" + note if note else text, buttons=buttons)
