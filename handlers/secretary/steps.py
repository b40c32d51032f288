"""Recording the steps after approval: /buoc and /huybuoc, and the buttons of a dossier's
card (``sec:cd``, ``sec:wp``, ``sec:as``, ``sec:rc``, ``sec:un``).

Secretaries and reviewers of the dossier's unit or any unit above record each step with its
date, by ``/buoc 12 chibo 15/06/2026`` or by buttons on the card (``/buoc 12``); ``/huybuoc 12``
undoes the latest step. The rules are :mod:`admission.stages`; recording is
:func:`handlers.stages.record_step`.

The screens are built for the request's audience (:mod:`.card`), narrowed by the access gate
(:func:`.details.gated`: details only of a dossier the person may read now — approved, for a
secretary); a screen that showed a dossier's details records a view through the gate; in a
group the card's "Xem chi tiết" (``sec:cp``) sends them privately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from admission.stages import StepRefused, person_label, step_label
from admission.workdays import from_day_number
from forms.parsers import format_date
from forms.vn import fold
from handlers.dossier_refs import DOSSIER_WORDS
from handlers.events import Reply
from handlers.secretary.actions import AskDate, DecisionDay, DossierRef, PickPerson, RecordStep
from handlers.secretary.card import Screen, ask_date, ask_person, card, confirm_not_admitted
from handlers.secretary.common import Request, Settings, refused, t, too_large
from handlers.secretary.details import gated, privately, record_views
from handlers.secretary.pipeline import pipeline_list
from handlers.secretary.scope import dossier_refusal, request_scope
from handlers.stages import (
    MAX_ID,
    NOT_ADMITTED,
    TYPED_STEP,
    check_not_admitted,
    parse_step_command,
    record_step,
    undo_last_step,
)
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
            return await pipeline_list(tx, tops, today, self.calendar, request.audience)
        try:
            parsed = parse_step_command(event.text, today)
        except StepRefused as exc:
            return [Reply(text=exc.message)]
        refusal = await dossier_refusal(tx, event, person, parsed.dossier_id)
        if refusal is not None:
            return refusal
        if not parsed.step:  # a date without its step is asked about, not dropped silently
            return await self._card(tx, request, parsed.dossier_id, asked_day=parsed.day)
        if parsed.day is None:
            need = t(
                "step.need_date",
                number=parsed.dossier_id,
                alias=TYPED_STEP[parsed.step],
                example=format_date(today),
            )
            return [Reply(text=need)]
        if parsed.step == NOT_ADMITTED:
            return await self._confirm_not_admitted(tx, request, parsed.dossier_id, parsed.day)
        step = _Step(parsed.dossier_id, parsed.step, parsed.day, parsed.person, parsed.abroad)
        return await self._record(tx, request, step)

    async def undo_command(self, tx: Tx, request: Request) -> list[Reply]:
        """/huybuoc: only the dossier number ("/huybuoc 12", "#12", "hồ sơ 12"), so a stray
        digit cannot name another dossier."""
        person, event = request.person, request.event
        if person is None or not await request_scope(tx, event, person):
            return refused()
        match = re.fullmatch(rf"\s*{DOSSIER_WORDS}?(\d+)\s*", fold(event.text))
        if match is None:
            return [Reply(text=t("step.undo_usage"))]
        if int(match.group(1)) > MAX_ID:
            return too_large(match.group(1))
        dossier_id = int(match.group(1))
        refusal = await dossier_refusal(tx, event, person, dossier_id)
        if refusal is not None:
            return refusal
        return await self._undo(tx, request, dossier_id)

    # -- buttons --------------------------------------------------------------------------------
    async def card_button(self, tx: Tx, request: Request, payload: DossierRef) -> list[Reply]:
        return await self._card(tx, request, payload.dossier)

    async def details_button(self, tx: Tx, request: Request, payload: DossierRef) -> list[Reply]:
        """ "Xem chi tiết" under a card in a group: the full card, privately."""
        return await privately(
            tx, request, lambda private: self._card(tx, private, payload.dossier)
        )

    async def undo_button(self, tx: Tx, request: Request, payload: DossierRef) -> list[Reply]:
        return await self._undo(tx, request, payload.dossier)

    async def person_button(self, tx: Tx, request: Request, payload: PickPerson) -> list[Reply]:
        request = await gated(tx, request, payload.dossier)
        screen = await ask_person(tx, payload.dossier, payload.which, request.audience)
        return await _shown(tx, request, payload.dossier, screen, "stage_person")

    async def date_button(self, tx: Tx, request: Request, payload: AskDate) -> list[Reply]:
        if payload.step not in TYPED_STEP:
            return [Reply(text=t("step.usage"))]
        request = await gated(tx, request, payload.dossier)
        screen = await ask_date(
            tx, payload.dossier, payload.step, payload.person, request.today, request.audience
        )
        return await _shown(tx, request, payload.dossier, screen, "stage_date")

    async def record_button(self, tx: Tx, request: Request, payload: RecordStep) -> list[Reply]:
        assert request.person is not None
        if payload.step not in TYPED_STEP:
            return [Reply(text=t("step.usage"))]
        try:
            day = datetime.strptime(payload.day, "%Y%m%d").date()
        except ValueError:
            return [Reply(text=t("step.usage"))]
        if payload.step == NOT_ADMITTED:  # a date chosen: confirm before recording
            return await self._confirm_not_admitted(tx, request, payload.dossier, day)
        abroad = _PLACES.get(payload.place)
        step = _Step(payload.dossier, payload.step, day, payload.person, abroad)
        return await self._record(tx, request, step)

    async def not_admitted_button(
        self, tx: Tx, request: Request, payload: DecisionDay
    ) -> list[Reply]:
        """ "Không kết nạp" confirmed: recorded (a step with who and when, an audit row)."""
        try:
            day = datetime.strptime(payload.day, "%Y%m%d").date()
        except ValueError:
            return [Reply(text=t("step.usage"))]
        return await self._record(tx, request, _Step(payload.dossier, NOT_ADMITTED, day))

    async def _confirm_not_admitted(
        self, tx: Tx, request: Request, dossier_id: int, day: date
    ) -> list[Reply]:
        try:
            await check_not_admitted(tx, dossier_id, day, today=request.today)
        except StepRefused as exc:
            return [Reply(text=exc.message)]
        progress = await tx.repo(StageRecords).progress(dossier_id)
        assert progress is not None  # check_not_admitted found it
        return [confirm_not_admitted(progress, day, request.audience)]

    # -- screens and recording --------------------------------------------------------------------
    async def _card(
        self,
        tx: Tx,
        request: Request,
        dossier_id: int,
        *,
        note: str = "",
        asked_day: date | None = None,
    ) -> list[Reply]:
        request = await gated(tx, request, dossier_id)
        screen = await card(
            tx, dossier_id, request.today, self.calendar, request.audience, note=note,
            day_without_step=asked_day,
        )  # fmt: skip
        return await _shown(tx, request, dossier_id, screen, "stage_card")

    async def _record(self, tx: Tx, request: Request, step: _Step) -> list[Reply]:
        person, today = request.person, request.today
        assert person is not None
        try:
            done = await record_step(
                tx, step.dossier_id, step.step, step.day, today=today, person=step.person,
                abroad=step.abroad, recorded_by=person.id,
            )  # fmt: skip
        except StepRefused as exc:
            gate = await gated(tx, request, step.dossier_id)
            return [Reply(text=_refusal_text(exc, gate, step.dossier_id))]
        progress = await tx.repo(StageRecords).progress(step.dossier_id)
        number = step.dossier_id
        full_name = progress.full_name if progress else ""
        name = request.audience.name(full_name, number)
        text = t(
            "step.recorded",
            name=name,
            step=step_label(step.step),
            person=person_label(done.person) if done.person else "",
            abroad=done.abroad,
            day=format_date(step.day),
        )
        return await self._card(tx, request, number, note=text)

    async def _undo(self, tx: Tx, request: Request, dossier_id: int) -> list[Reply]:
        assert request.person is not None
        removed = await undo_last_step(tx, dossier_id, by=request.person.id)
        if removed is None:
            return [Reply(text=t("step.nothing_to_undo", number=dossier_id))]
        text = t(
            "step.undone",
            number=dossier_id,
            step=step_label(removed.stage),
            person=person_label(removed.person) if removed.person else "",
            day=format_date(from_day_number(removed.day)),
        )
        return await self._card(tx, request, dossier_id, note=text)


async def _shown(
    tx: Tx, request: Request, dossier_id: int, screen: Screen, what: str
) -> list[Reply]:
    """The screen's reply, with a view recorded when it showed the dossier's details (and
    then protected from forwarding, as the reviewers' «Xem» is)."""
    if screen.details and request.person is not None:
        await record_views(tx, request.person.id, [dossier_id], what=what)
        return [replace(screen.reply, protect=True, about=dossier_id)]
    return [screen.reply]


def _refusal_text(exc: StepRefused, request: Request, dossier_id: int) -> str:
    """Why a step was refused; in a group without the day an under-18 candidate turns 18
    (it gives away the birth date): that goes privately."""
    if exc.key == "too_young" and not request.audience.details:
        return t("step.too_young_hidden", day=exc.params.get("day", ""), number=dossier_id)
    return exc.message
