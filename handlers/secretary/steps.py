"""Recording the steps after approval: /buoc and /huybuoc, and the buttons of a dossier's
card (``sec:cd``, ``sec:wp``, ``sec:as``, ``sec:rc``, ``sec:un``).

Secretaries and reviewers of the dossier's unit or any unit above record each step with its
date, by ``/buoc 12 chibo 15/06/2026`` or by buttons on the card (``/buoc 12``); ``/huybuoc 12``
undoes the latest step. The rules are :mod:`admission.stages`; recording is
:func:`handlers.stages.record_step`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from admission.stages import StepRefused, person_label, step_label
from admission.workdays import from_day_number
from forms.parsers import format_date
from forms.vn import fold
from handlers.events import Reply
from handlers.secretary.actions import AskDate, DossierRef, PickPerson, RecordStep
from handlers.secretary.card import ask_date, ask_person, card
from handlers.secretary.common import Request, Settings, refused, t, too_large
from handlers.secretary.pipeline import pipeline_list
from handlers.secretary.scope import dossier_refusal, request_scope
from handlers.stages import MAX_ID, TYPED_STEP, parse_step_command, record_step, undo_last_step
from storage.core import Person
from storage.db import Tx
from storage.stages import StageRecords

# The place flag of a ``sec:rc`` button: abroad, at home; absent: as the dossier says.
_PLACES: dict[str, bool] = {"a": True, "d": False}


@dataclass(frozen=True, slots=True)
class _Step:
    """One step to record: of which dossier, which step, on which day, about whom."""

    dossier_id: int
    step: str
    day: date
    person: str = ""
    abroad: bool | None = None


class StepCommands:
    """/buoc, /huybuoc and the card's buttons (the button handlers run once the flow has
    checked that the person may see the dossier here)."""

    def __init__(self, settings: Settings) -> None:
        self.calendar = settings.calendar

    # -- commands -------------------------------------------------------------------------------
    async def command(self, tx: Tx, request: Request) -> list[Reply]:
        """/buoc: the list, a dossier's card, or a step recorded."""
        person, event, today = request.person, request.event, request.today
        tops = await request_scope(tx, event, person) if person is not None else []
        if person is None or not tops:
            return refused()
        if not event.text.strip():
            return await pipeline_list(tx, tops, today, self.calendar)
        try:
            parsed = parse_step_command(event.text, today)
        except StepRefused as exc:
            return [Reply(text=exc.message)]
        refusal = await dossier_refusal(tx, event, person, parsed.dossier_id)
        if refusal is not None:
            return refusal
        if not parsed.step:
            return [await card(tx, parsed.dossier_id, today, self.calendar)]
        if parsed.day is None:
            need = t(
                "step.need_date",
                number=parsed.dossier_id,
                alias=TYPED_STEP[parsed.step],
                example=format_date(today),
            )
            return [Reply(text=need)]
        step = _Step(parsed.dossier_id, parsed.step, parsed.day, parsed.person, parsed.abroad)
        return await self._record(tx, person, step, today)

    async def undo_command(self, tx: Tx, request: Request) -> list[Reply]:
        """/huybuoc: only the dossier number ("/huybuoc 12", "#12", "hồ sơ 12"), so a stray
        digit cannot name another dossier."""
        person, event = request.person, request.event
        if person is None or not await request_scope(tx, event, person):
            return refused()
        match = re.fullmatch(r"\s*(?:#|hs|ho\s*so)?\s*(\d+)\s*", fold(event.text))
        if match is None:
            return [Reply(text=t("step.undo_usage"))]
        if int(match.group(1)) > MAX_ID:
            return too_large(match.group(1))
        dossier_id = int(match.group(1))
        refusal = await dossier_refusal(tx, event, person, dossier_id)
        if refusal is not None:
            return refusal
        return await self._undo(tx, person, dossier_id, request.today)

    # -- buttons --------------------------------------------------------------------------------
    async def card_button(self, tx: Tx, request: Request, payload: DossierRef) -> list[Reply]:
        return [await card(tx, payload.dossier, request.today, self.calendar)]

    async def undo_button(self, tx: Tx, request: Request, payload: DossierRef) -> list[Reply]:
        assert request.person is not None
        return await self._undo(tx, request.person, payload.dossier, request.today)

    async def person_button(self, tx: Tx, request: Request, payload: PickPerson) -> list[Reply]:
        return [await ask_person(tx, payload.dossier, payload.which)]

    async def date_button(self, tx: Tx, request: Request, payload: AskDate) -> list[Reply]:
        if payload.step not in TYPED_STEP:
            return [Reply(text=t("step.usage"))]
        return [await ask_date(tx, payload.dossier, payload.step, payload.person, request.today)]

    async def record_button(self, tx: Tx, request: Request, payload: RecordStep) -> list[Reply]:
        assert request.person is not None
        if payload.step not in TYPED_STEP:
            return [Reply(text=t("step.usage"))]
        try:
            day = datetime.strptime(payload.day, "%Y%m%d").date()
        except ValueError:
            return [Reply(text=t("step.usage"))]
        abroad = _PLACES.get(payload.place)
        step = _Step(payload.dossier, payload.step, day, payload.person, abroad)
        return await self._record(tx, request.person, step, request.today)

    # -- recording --------------------------------------------------------------------------------
    async def _record(self, tx: Tx, person: Person, step: _Step, today: date) -> list[Reply]:
        try:
            done = await record_step(
                tx, step.dossier_id, step.step, step.day, today=today, person=step.person,
                abroad=step.abroad, recorded_by=person.id,
            )  # fmt: skip
        except StepRefused as exc:
            return [Reply(text=exc.message)]
        progress = await tx.repo(StageRecords).progress(step.dossier_id)
        number = step.dossier_id
        name = (progress.full_name if progress else "") or t("dossier_number", number=number)
        text = t(
            "step.recorded",
            name=name,
            step=step_label(step.step),
            person=person_label(done.person) if done.person else "",
            abroad=done.abroad,
            day=format_date(step.day),
        )
        return [await card(tx, number, today, self.calendar, note=text)]

    async def _undo(self, tx: Tx, person: Person, dossier_id: int, today: date) -> list[Reply]:
        removed = await undo_last_step(tx, dossier_id, by=person.id)
        if removed is None:
            return [Reply(text=t("step.nothing_to_undo", number=dossier_id))]
        text = t(
            "step.undone",
            number=dossier_id,
            step=step_label(removed.stage),
            person=person_label(removed.person) if removed.person else "",
            day=format_date(from_day_number(removed.day)),
        )
        return [await card(tx, dossier_id, today, self.calendar, note=text)]
