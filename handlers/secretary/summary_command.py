"""/tinhhinh and the ``sec:th`` button: the summary of a unit and everything below it, as text
with a chart and a button for the spreadsheet.

In a group the text has no details and names only where the unit allowed them, with a button
(``sec:ct``) that sends the full summary privately; a summary with details records a view of
each dossier whose details it shows, through the access gate, and leaves out the detailed lines
of dossiers the gate does not let the reader read (:mod:`.details`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from forms.texts import message
from handlers.charts import summary_chart
from handlers.events import Button, Photo, Reply, WebRef
from handlers.secretary.actions import EXPORT, SUMMARY, SUMMARY_DETAILS, UnitRef
from handlers.secretary.common import OVERSEERS, Request, Settings, t
from handlers.secretary.details import may_read, privately, record_views
from handlers.secretary.scope import choose_unit
from handlers.summary import (
    Summary,
    fmt_date,
    has_details,
    load_summary,
    refresh_flags_in,
    render_summary,
)
from handlers.web.links import Obj
from storage.db import Tx


class SummaryCommand:
    """The summary of the unit the request names or implies."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def command(self, tx: Tx, request: Request) -> list[Reply]:
        choice = await choose_unit(tx, request, roles=OVERSEERS, choose=SUMMARY)
        if choice.unit_id is None:
            return choice.replies
        return await self.replies(tx, request, choice.unit_id)

    async def button(self, tx: Tx, request: Request, payload: UnitRef) -> list[Reply]:
        return await self.replies(tx, request, payload.unit)

    async def details_button(self, tx: Tx, request: Request, payload: UnitRef) -> list[Reply]:
        """ "Xem chi tiết" under a group's summary or digest: the full summary, privately."""
        return await privately(tx, request, lambda private: self.replies(tx, private, payload.unit))

    async def summary(self, tx: Tx, unit_id: int, today: date) -> Summary | None:
        """The summary of a unit (flag cache topped up first, within a small budget)."""
        s = self.settings
        await refresh_flags_in(tx, today, limit=s.flag_refresh_limit, checker=s.checker)
        # The aggregate queries run on the read connection (its own thread): the event loop
        # keeps serving while they run. Flags refreshed just now show from the next summary.
        async with tx.db.read(datetime.fromisoformat(tx.now)) as r:
            return await load_summary(r, unit_id, today, calendar=s.calendar)

    async def _readable(self, tx: Tx, request: Request, summary: Summary) -> Summary:
        """The summary without the detailed lines of dossiers the gate does not let the
        person read now (a verification left pending on a dossier withdrawn or reopened)."""
        items = (*summary.overdue_items, *summary.under_age_items)
        person_id = request.person.id if request.person is not None else None
        detailed = {i.dossier_id for i in items if has_details(i)}
        allowed = await may_read(tx, person_id, detailed)
        if allowed == detailed:
            return summary
        keep = [i for i in summary.overdue_items if not has_details(i) or i.dossier_id in allowed]
        young = [i for i in summary.under_age_items if i.dossier_id in allowed]
        return replace(summary, overdue_items=keep, under_age_items=young)

    async def replies(self, tx: Tx, request: Request, unit_id: int) -> list[Reply]:
        today, audience = request.today, request.audience
        summary = await self.summary(tx, unit_id, today)
        if summary is None:
            return [Reply(text=t("access.refused"))]
        if audience.details:
            summary = await self._readable(tx, request, summary)
        text = render_summary(summary, audience)
        buttons = [[Button(t("buttons.export"), EXPORT.encode(UnitRef(unit_id)))]]
        items = (*summary.overdue_items, *summary.under_age_items)
        detailed = [i.dossier_id for i in items if has_details(i)] if audience.details else []
        if not audience.details:
            text += "\n\n" + t("details.group_note", names=audience.names)
            buttons.append([Button(t("details.button"), SUMMARY_DETAILS.encode(UnitRef(unit_id)))])
        elif request.person is not None:
            await record_views(tx, request.person.id, detailed, what="summary")
            links = self.settings.links
            if links is not None:  # the same summary on the web, privately
                url = links.issue(request.person.id, Obj("summary", unit_id))
                minutes = round(links.ttl.total_seconds() / 60)
                text += "\n\n" + message("web.chat.staff_link", url=url, minutes=minutes)
        # the details (relatives abroad, birth dates) are kept from being forwarded
        replies = [Reply(text=text, buttons=buttons, protect=bool(detailed))]
        if self.settings.chart:
            png = await self.settings.renderer.run(summary_chart, summary)
            caption = t("summary.chart_caption", unit=summary.unit_name, today=fmt_date(today))
            replies.append(Reply(photo=Photo(png, caption[:1000], web=WebRef("unit", unit_id))))
        return replies
