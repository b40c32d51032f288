"""/xuat and the ``sec:xl`` button: the spreadsheet of a unit and everything below it, one row
per dossier. It names candidates, so asked for in a group it goes to the person's private
chat."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from admission.deadlines import UPCOMING, cutoffs
from admission.stages import person_label
from handlers.events import Chat, Document, Reply, WebRef
from handlers.secretary.actions import EXPORT, UnitRef
from handlers.secretary.common import OVERSEERS, Request, Settings, t
from handlers.secretary.scope import choose_unit
from handlers.summary import fmt_date, load_level_names, subtree_of
from handlers.xlsx import dossiers_workbook
from storage.db import Session, Tx
from storage.reviews import Org
from storage.stages import OverdueItem, SummaryQueries, UnitRows


class ExportCommand:
    """The spreadsheet of the unit the request names or implies."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def command(self, tx: Tx, request: Request) -> list[Reply]:
        choice = await choose_unit(tx, request, roles=OVERSEERS, choose=EXPORT)
        if choice.unit_id is None:
            return choice.replies
        return await self.send(tx, request, choice.unit_id)

    async def button(self, tx: Tx, request: Request, payload: UnitRef) -> list[Reply]:
        return await self.send(tx, request, payload.unit)

    async def send(self, tx: Tx, request: Request, unit_id: int) -> list[Reply]:
        async with tx.db.read(datetime.fromisoformat(tx.now)) as r:
            document = await self.workbook(r, unit_id, request.today)
        event = request.event
        if event.chat.kind != "group":
            return [Reply(document=document)]
        private = await tx.repo(Org).private_chat(event.user.platform, event.user.id)
        if private is None:
            return [Reply(text=t("access.open_private"))]
        chat = Chat(event.user.platform, private, "private")
        return [Reply(document=document, chat=chat), Reply(text=t("access.sent_privately"))]

    async def workbook(self, s: Session, unit_id: int, today: date) -> Document:
        """The /xuat spreadsheet of a unit and everything below it."""
        queries = s.repo(SummaryQueries)
        units = await s.repo(UnitRows).unit_rows()
        ids = subtree_of(units, unit_id)
        scope = None if len(ids) == len(units) else ids
        rows = await queries.export_rows(scope)
        items = await queries.overdue_items(scope, cutoffs(today, self.settings.calendar), None)
        columns = _clock_columns(items)
        names = {u.id: u.name for u in units}
        title = t(
            "summary.xlsx_caption",
            unit=names.get(unit_id, ""),
            today=fmt_date(today),
            count=len(rows),
        )
        levels = await load_level_names(s)
        data = await self.settings.renderer.run(
            dossiers_workbook, rows, names, title=title, today=today,
            overdue=columns["overdue"], upcoming=columns["upcoming"], level_names=levels,
        )  # fmt: skip
        name = f"ho-so-{unit_id}-{today:%Y%m%d}.xlsx"
        return Document(name, data, title[:1000], web=WebRef("unit", unit_id))


def _clock_columns(items: Iterable[OverdueItem]) -> dict[str, dict[int, list[str]]]:
    """Per dossier, each clock once (a late verification names the people still awaited),
    in the "overdue" column — or "upcoming" for a deadline still ahead."""
    clocks: dict[int, dict[str, list[str]]] = {}
    for item in items:
        people = clocks.setdefault(item.dossier_id, {}).setdefault(item.clock, [])
        if item.person:
            people.append(t("xlsx.person", person=person_label(item.person), abroad=item.abroad))
    columns: dict[str, dict[int, list[str]]] = {"overdue": {}, "upcoming": {}}
    for dossier_id, by_clock in clocks.items():
        for clock, people in by_clock.items():
            kind = "upcoming" if clock in UPCOMING else "overdue"
            columns[kind].setdefault(dossier_id, []).append(
                t("xlsx.overdue", clock=t(f"clocks.{clock}"), people=", ".join(people))
            )
    return columns
