"""/tinhhinh and the ``sec:th`` button: the summary of a unit and everything below it, as text
with a chart and a button for the spreadsheet."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from handlers.charts import summary_chart
from handlers.events import Button, Photo, Reply
from handlers.secretary.actions import EXPORT, SUMMARY, UnitRef
from handlers.secretary.common import OVERSEERS, Request, Settings, t
from handlers.secretary.scope import choose_unit
from handlers.summary import Summary, fmt_date, load_summary, refresh_flags_in, render_summary
from storage.db import Tx


class SummaryCommand:
    """The summary of the unit the request names or implies."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def command(self, tx: Tx, request: Request) -> list[Reply]:
        choice = await choose_unit(tx, request, roles=OVERSEERS, choose=SUMMARY)
        if choice.unit_id is None:
            return choice.replies
        return await self.replies(tx, choice.unit_id, request.today)

    async def button(self, tx: Tx, request: Request, payload: UnitRef) -> list[Reply]:
        return await self.replies(tx, payload.unit, request.today)

    async def summary(self, tx: Tx, unit_id: int, today: date) -> Summary | None:
        """The summary of a unit (flag cache topped up first, within a small budget)."""
        s = self.settings
        await refresh_flags_in(tx, today, limit=s.flag_refresh_limit, checker=s.checker)
        # The aggregate queries run on the read connection (its own thread): the event loop
        # keeps serving while they run. Flags refreshed just now show from the next summary.
        async with tx.db.read(datetime.fromisoformat(tx.now)) as r:
            return await load_summary(r, unit_id, today, calendar=s.calendar)

    async def replies(self, tx: Tx, unit_id: int, today: date) -> list[Reply]:
        summary = await self.summary(tx, unit_id, today)
        if summary is None:
            return [Reply(text=t("access.refused"))]
        buttons = [[Button(t("buttons.export"), EXPORT.encode(UnitRef(unit_id)))]]
        replies = [Reply(text=render_summary(summary), buttons=buttons)]
        if self.settings.chart:
            png = await asyncio.to_thread(summary_chart, summary)
            caption = t("summary.chart_caption", unit=summary.unit_name, today=fmt_date(today))
            replies.append(Reply(photo=Photo(png, caption[:1000])))
        return replies
