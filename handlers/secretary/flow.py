"""The secretaries' flow: its routes, and the tables that send each command and button to the
part that answers it (see the package docstring for who may do what)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from admission.clock import ZONE, local_date
from admission.workdays import DEFAULT_CALENDAR, WorkCalendar
from handlers.events import Event, Reply
from handlers.routing import ActionCodec, Routes
from handlers.secretary.actions import (
    ACTIONS,
    ASK_DATE,
    CARD,
    CARD_DETAILS,
    CONFIRM_NOT_ADMITTED,
    EXPORT,
    PICK_PERSON,
    PREFIX,
    RECORD,
    SUMMARY,
    SUMMARY_DETAILS,
    UNDO,
)
from handlers.secretary.common import Request, Settings, ids_out_of_range, refused
from handlers.secretary.export import ExportCommand
from handlers.secretary.scope import audience_of, dossier_refusal, within
from handlers.secretary.steps import StepCommands
from handlers.secretary.summary_command import SummaryCommand
from handlers.secretary.targets import target_command
from handlers.secretary.unit_settings import digest_hour_command, names_command
from handlers.summary import FlagChecker, default_checker
from handlers.web.links import LinkSigner
from storage.db import Tx

COMMANDS = ("tinhhinh", "chitieu", "xuat", "buoc", "huybuoc", "giobaocao", "hienten")

CommandHandler = Callable[[Tx, Request], Awaitable[list[Reply]]]
ButtonHandler = Callable[[Tx, Request, Any], Awaitable[list[Reply]]]


class SecretaryFlow:
    """Commands and buttons of secretaries and reviewers."""

    routes = Routes(
        flow="secretary", prefix=PREFIX, commands=dict.fromkeys(COMMANDS, "any"), actions=ACTIONS
    )

    def __init__(
        self,
        *,
        calendar: WorkCalendar = DEFAULT_CALENDAR,
        zone: ZoneInfo = ZONE,
        chart: bool = True,
        checker: FlagChecker = default_checker,
        flag_refresh_limit: int = 30,
        links: LinkSigner | None = None,
    ) -> None:
        self.settings = Settings(
            calendar=calendar, zone=zone, chart=chart, checker=checker,
            flag_refresh_limit=flag_refresh_limit, links=links,
        )  # fmt: skip
        self.summary = SummaryCommand(self.settings)
        self.export = ExportCommand(self.settings)
        steps = StepCommands(self.settings)
        self._commands: dict[str, CommandHandler] = {
            "tinhhinh": self.summary.command,
            "chitieu": target_command,
            "xuat": self.export.command,
            "buoc": steps.command,
            "huybuoc": steps.undo_command,
            "giobaocao": digest_hour_command,
            "hienten": names_command,
        }
        assert set(self._commands) == set(COMMANDS)
        # buttons about a unit: allowed within the request's scope
        self._unit_buttons: dict[ActionCodec[Any], ButtonHandler] = {
            SUMMARY: self.summary.button,
            EXPORT: self.export.button,
            SUMMARY_DETAILS: self.summary.details_button,
        }
        # buttons about a dossier: allowed when the person may see the dossier here
        self._dossier_buttons: dict[ActionCodec[Any], ButtonHandler] = {
            CARD: steps.card_button,
            CARD_DETAILS: steps.details_button,
            UNDO: steps.undo_button,
            PICK_PERSON: steps.person_button,
            ASK_DATE: steps.date_button,
            RECORD: steps.record_button,
            CONFIRM_NOT_ADMITTED: steps.not_admitted_button,
        }
        assert {*self._unit_buttons, *self._dossier_buttons} == set(ACTIONS)

    async def handle(self, tx: Tx, event: Event) -> list[Reply]:
        person = await tx.people.find(event.user.platform, event.user.id)
        today = local_date(tx.now, self.settings.zone)
        request = Request(event, person, today, await audience_of(tx, event))
        if event.kind == "button":
            return await self._button(tx, request)
        handler = self._commands.get(event.command)
        return await handler(tx, request) if handler is not None else []

    async def _button(self, tx: Tx, request: Request) -> list[Reply]:
        event, person = request.event, request.person
        for codec, handler in self._unit_buttons.items():
            decoded = codec.decode(event.action)
            if decoded is not None and person is not None:
                if ids_out_of_range(decoded.payload):
                    return refused(toast=True)  # forged: no button carries such a number
                if not await within(tx, event, person, decoded.payload.unit):
                    return refused()
                return await handler(tx, request, decoded.payload)
        for codec, handler in self._dossier_buttons.items():
            decoded = codec.decode(event.action)
            if decoded is not None and person is not None:
                if ids_out_of_range(decoded.payload):
                    return refused(toast=True)
                refusal = await dossier_refusal(tx, event, person, decoded.payload.dossier)
                return refusal or await handler(tx, request, decoded.payload)
        return refused(toast=True)  # no account, or a button no codec reads
