"""The screens of recording steps: a dossier's card (its steps so far, with buttons for what
may come next), choosing the person verified, and asking the date of a step.

Each screen is built for an :class:`~handlers.summary.Audience`: in a group it carries no
details (the relatives behind a verification abroad, the day an under-18 candidate turns 18)
and names only where the unit allowed them; the card then has a button that sends its details
privately. A :class:`Screen` says whether it showed details, so the handler records the view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from admission.abroad import abroad_reason, abroad_reasons, verified_relatives
from admission.deadlines import verification_due
from admission.stages import (
    NOT_ADMITTED,
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
    CARD,
    CARD_DETAILS,
    CONFIRM_NOT_ADMITTED,
    PICK_PERSON,
    RECORD,
    UNDO,
    AskDate,
    DecisionDay,
    DossierRef,
    PickPerson,
    RecordStep,
)
from handlers.secretary.common import t
from handlers.stages import TYPED_STEP, typed_person
from handlers.summary import PRIVATE, Audience, fmt_date
from storage.db import Tx
from storage.reviews import Org
from storage.stages import ProgressRow, StageEventRow, StageRecords


@dataclass(frozen=True, slots=True)
class Screen:
    """A step screen, and whether it showed the dossier's details (then a view is recorded)."""

    reply: Reply
    details: bool = False


def shown_name(audience: Audience, full_name: str, dossier_id: int) -> str:
    """The candidate as a screen names them: the name (or "(chưa ghi họ tên)") where names
    may be shown, else the dossier's number."""
    return audience.name(full_name, dossier_id, unnamed=t("no_name"))


async def card(
    tx: Tx,
    dossier_id: int,
    today: date,
    calendar: WorkCalendar,
    audience: Audience,
    *,
    note: str = "",
    day_without_step: date | None = None,
) -> Screen:
    """A dossier's steps so far, with buttons for what may come next (after ``note``: what
    was just recorded or undone; or, for ``day_without_step``, which step that date is for)."""
    records = tx.repo(StageRecords)
    progress = await records.progress(dossier_id)
    assert progress is not None
    events = await records.events(dossier_id)
    state = fold_events(events)
    nxt = next_steps(state) if progress.status == "approved" else []
    if day_without_step is not None:  # "/buoc 12 20/10": the next step is the example
        day, alias = format_date(day_without_step), TYPED_STEP[nxt[0]] if nxt else ""
        note = t("step.day_without_step", day=day, number=dossier_id, alias=alias)
    adult = await _adult_day(tx, progress, state, today)
    text = await _card_text(
        tx, _CardFacts(progress, events, state, nxt, adult), today, calendar, audience
    )
    if note:
        text = note + "\n\n" + text
    buttons: list[list[Button]] = [
        [Button(step_label(s), _next_action(dossier_id, s))] for s in nxt
    ]
    if progress.status == "approved" and state.decision_d is None and nxt:
        # the unit may decide not to admit until the admission decision (confirmed first)
        exit_action = ASK_DATE.encode(AskDate(dossier_id, NOT_ADMITTED))
        buttons.append([Button(t("buttons.not_admitted"), exit_action)])
    if events:
        buttons.append([Button(t("buttons.undo"), UNDO.encode(DossierRef(dossier_id)))])
    has_details = bool(adult) or any(v.reason for v in state.verifications)
    if has_details and not audience.details:
        action = CARD_DETAILS.encode(DossierRef(dossier_id))
        buttons.append([Button(t("details.button"), action)])
    return Screen(Reply(text=text, buttons=buttons), has_details and audience.details)


async def _adult_day(tx: Tx, progress: ProgressRow, state: DerivedStages, today: date) -> str:
    """The day an approved candidate turns 18, while that is still ahead of the chi bộ vote
    (under 18 on the day of the vote is not allowed); "" otherwise."""
    if progress.status != "approved" or state.chi_bo_d is not None:
        return ""
    record = await tx.dossiers.get(progress.dossier_id)
    day = adult_from(record.dossier if record else None)
    return format_date(day) if day is not None and day > today else ""


def _next_action(dossier_id: int, step: str) -> str:
    """A verification first asks whom it is about; any other step asks its date."""
    if step == "tham_tra_gui":
        return PICK_PERSON.encode(PickPerson(dossier_id, "g"))
    if step == "tham_tra_ve":
        return PICK_PERSON.encode(PickPerson(dossier_id, "v"))
    return ASK_DATE.encode(AskDate(dossier_id, step))


@dataclass(frozen=True, slots=True)
class _CardFacts:
    """What a card shows about one dossier."""

    progress: ProgressRow
    events: list[StageEventRow]
    state: DerivedStages
    nxt: list[str]
    adult: str  # the day the candidate turns 18, while the chi bộ must still wait for it


async def _card_text(
    tx: Tx, facts: _CardFacts, today: date, calendar: WorkCalendar, audience: Audience
) -> str:
    progress, events, state = facts.progress, facts.events, facts.state
    unit = await tx.repo(Org).unit(progress.unit_id) if progress.unit_id else None
    approved_d = progress.approved_d
    return texts.render(
        "secretary/card.j2",
        number=progress.dossier_id,
        name=(progress.full_name or t("no_name")) if audience.names else "",
        unit=unit.name if unit else "",
        phase=t(f"phases.{progress.phase}"),
        approved=format_date(from_day_number(approved_d)) if approved_d else "",
        steps=[
            {"label": step_label(e.stage), "day": format_date(from_day_number(e.day))}
            for e in events
            if not e.stage.startswith("tham_tra")
        ],
        verifications=[
            verification_line(v, today, calendar, audience) for v in state.verifications
        ],
        probation_end=(
            format_date(probation_end(state.ceremony_d)) if state.ceremony_d is not None else ""
        ),
        adult=facts.adult if audience.details else "",
        next=", ".join(step_label(s) for s in facts.nxt),
    )


def verification_line(
    v: Verification, today: date, calendar: WorkCalendar, audience: Audience = PRIVATE
) -> dict[str, Any]:
    """One verification on the card: dates, the reply's deadline and why it is 30 or 90
    working days (the dossier's reason — as ``audience`` may read it — or the choice of
    whoever recorded it)."""
    sent = from_day_number(v.sent_d)
    due = verification_due(sent, v.abroad, calendar)
    reason = audience.reason(v.reason)
    if v.abroad:
        why = t("abroad.from_dossier", reason=reason) if reason else t("abroad.chosen_abroad")
    else:
        why = t("abroad.chosen_home", reason=reason) if reason else ""
    return {
        "person": person_label(v.person),
        "abroad": v.abroad,
        "sent": format_date(sent),
        "returned": format_date(from_day_number(v.returned_d)) if v.returned_d else "",
        "due": format_date(due),
        "late": due < today,
        "why": why,
    }


async def ask_person(tx: Tx, dossier_id: int, which: str, audience: Audience) -> Screen:
    """Whom a verification is about: for a reply, the people awaited; for a request, the
    candidate, the family in the procedure's order and the children and the people who
    raised the candidate as declared in item (21), each by name (in private), and who lives
    abroad."""
    records = tx.repo(StageRecords)
    progress = await records.progress(dossier_id)
    state = fold_events(await records.events(dossier_id))
    labels: dict[str, str] = {}
    named = False  # a relative's name on a button
    if which == "v":
        step = "tham_tra_ve"
        people = [v.person for v in state.pending]
    else:
        step = "tham_tra_gui"
        record = await tx.dossiers.get(dossier_id)
        dossier = record.dossier if record else None
        people, labels, named = _people_to_verify(dossier, state, audience)
    buttons = [
        [Button(labels.get(p) or person_label(p), ASK_DATE.encode(AskDate(dossier_id, step, p)))]
        for p in people
    ]
    name = shown_name(audience, progress.full_name if progress else "", dossier_id)
    reply = Reply(text=t("step.ask_person", name=name, step=step_label(step)), buttons=buttons)
    return Screen(reply, named)


def _people_to_verify(
    dossier: Any, state: DerivedStages, audience: Audience
) -> tuple[list[str], dict[str, str], bool]:
    """The people a request may be sent about (none already awaited), with their labels
    (children's and raisers' names only where ``audience`` may read details), and whether a
    name is shown."""
    declared = verified_relatives(dossier)
    reasons = abroad_reasons(dossier)
    children = [p for p in declared if p.startswith("con")] or [next_person_code(state, "con")]
    raisers = [p for p in declared if p.startswith("nuoi_duong")]
    pending = {v.person for v in state.pending}
    order = ("ban_than", "cha", "me", *raisers, "vo_chong", "cha_vc", "me_vc", *children)
    people = [p for p in order if p not in pending]
    labels: dict[str, str] = {}
    named = False
    for p in people:
        numbered = p.startswith(("con", "nuoi_duong")) and p in declared
        name = declared[p][1].get("ho_ten", "") if numbered and audience.details else ""
        named = named or bool(name)
        labels[p] = t("step.person_button", person=person_label(p), name=name, abroad=p in reasons)
    return people, labels, named


def confirm_not_admitted(progress: ProgressRow, day: date, audience: Audience) -> Reply:
    """ "Không kết nạp" asks to be confirmed: what it does, and how to undo a mistake."""
    number = progress.dossier_id
    name = (progress.full_name or t("no_name")) if audience.names else ""
    text = t("step.confirm_not_admitted", name=name, number=number, day=format_date(day))
    confirm = CONFIRM_NOT_ADMITTED.encode(DecisionDay(number, f"{day:%Y%m%d}"))
    keep = CARD.encode(DossierRef(number))
    buttons = [
        [Button(t("buttons.confirm_not_admitted"), confirm)],
        [Button(t("buttons.keep"), keep)],
    ]
    return Reply(text=text, buttons=buttons)


async def ask_date(
    tx: Tx, dossier_id: int, step: str, person: str, today: date, audience: Audience
) -> Screen:
    """The date of a step: today or yesterday; for a verification request, a second row
    chooses otherwise than the dossier says about abroad (why it says so: in private)."""
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
    note = reason = ""
    if step == "tham_tra_gui":
        # the plain buttons follow the dossier; the second row chooses otherwise
        found = await tx.dossiers.get(dossier_id)
        reason = abroad_reason(found.dossier if found else None, person)
        shown = audience.reason(reason)
        note = t("abroad.ask_abroad", reason=shown) if shown else t("abroad.ask_home")
        place, kind = ("d", "home") if reason else ("a", "abroad")
        buttons.append(
            [
                Button(t(f"buttons.today_{kind}"), record(today, place)),
                Button(t(f"buttons.yesterday_{kind}"), record(yesterday, place)),
            ]
        )
    text = t(
        "step.ask_date",
        name=shown_name(audience, progress.full_name if progress else "", dossier_id),
        step=step_label(step),
        person=person_label(person) if person else "",
        number=dossier_id,
        alias=TYPED_STEP[step],
        person_alias=typed_person(person),
    )
    reply = Reply(text=text + "\n\n" + note if note else text, buttons=buttons)
    return Screen(reply, details=bool(reason) and audience.details)
