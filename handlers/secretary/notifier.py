"""Digests and reminders: what is due at a moment, and the loop that sends it.

:class:`Notifier` decides what is due (:meth:`Notifier.due_notifications`): every unit with a
bound group gets, once a day at or after its hour, only the overdue items it was never told
about (the reminders of a deadline ahead under their own heading «Sắp đến hạn»), and
candidates whose draft has been idle 14 days get a gentle private reminder at most every 7
days — until the draft counts as abandoned (:mod:`admission.retention`): then one warning
that it will be erased replaces the reminders for good (``retention.py``, run once a day with
the erasures whose period is over). A digest goes to a group: no details, names only where
the unit allowed them, and a "Xem chi tiết" button that sends the unit's full summary
privately. Nothing is produced between 21:00 and 07:00. Each digest day, each overdue item
per unit, each reminder and each day's retention run is claimed in ``notifications_sent`` in
the same transaction, so a restart or a second process never sends anything twice. With
``outbox=True`` (the production adapter) the messages are queued in the reply outbox in that
same transaction: claimed and queued commit together, and the sender (bot/delivery.py)
delivers what was committed, retrying, so a crash neither repeats nor loses one. Without it
the caller's ``send`` delivers each message after the commit (at most once).
:func:`start_scheduler` runs it every minute with the router's clock and keeps the flag cache
warm.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from admission.clock import ZONE, Clock, local_date, local_time
from admission.deadlines import CLOCKS, UPCOMING, cutoffs
from admission.retention import RetentionPolicy
from admission.workdays import DEFAULT_CALENDAR, WorkCalendar, day_number, from_day_number
from forms import texts
from forms.parsers import format_date
from handlers.events import Button, Chat, Reply
from handlers.failures import failure_place
from handlers.replies import to_messages
from handlers.secretary.actions import SUMMARY_DETAILS, UnitRef
from handlers.secretary.common import DEFAULT_DIGEST_HOUR, DIGEST_OFF, QUIET_FROM, QUIET_UNTIL, t
from handlers.secretary.retention import RetentionJob
from handlers.summary import (
    Audience,
    fmt_date,
    group_audience,
    overdue_line,
    refresh_flag_cache,
    subtree_of,
)
from storage.db import Database, Tx, utc_iso
from storage.outbox import Outbox
from storage.reviews import Org
from storage.stages import Notifications, OverdueItem, SummaryQueries, UnitRow, UnitRows

log = logging.getLogger(__name__)


def is_quiet(local: datetime) -> bool:
    """Night time: nothing is sent from 21:00 to 07:00."""
    return local.hour >= QUIET_FROM or local.hour < QUIET_UNTIL


class Notifier:
    """What is due at a moment: each unit's daily digest, candidates' weekly reminders."""

    def __init__(
        self,
        db: Database,
        *,
        calendar: WorkCalendar = DEFAULT_CALENDAR,
        zone: ZoneInfo = ZONE,
        default_hour: int = DEFAULT_DIGEST_HOUR,
        max_lines: int = 30,
        reminder_every: timedelta = timedelta(days=7),
        retention: RetentionPolicy | None = None,
    ) -> None:
        self.db = db
        self.calendar = calendar
        self.zone = zone
        self.default_hour = default_hour
        self.max_lines = max_lines
        self.reminder_every = reminder_every
        self.retention = RetentionJob(retention) if retention is not None else None

    async def due_notifications(self, now: datetime, *, outbox: bool = False) -> list[Reply]:
        """The messages to send now, each with its ``chat``; recorded as sent already, and with
        ``outbox`` queued in the outbox in the same transaction."""
        local = local_time(now, self.zone)
        if is_quiet(local):
            return []
        today = local.date()
        replies: list[Reply] = []
        async with self.db.transaction(now) as tx:
            replies += await self._digests(tx, local, today)
            replies += await self._reminders(tx, now, today)
            if self.retention and await tx.repo(Notifications).claim("retention", str(today)):
                replies += await self.retention.run(tx, now)
            if outbox:
                queued = [m for r in replies if r.chat for m in to_messages([r], r.chat)]
                await tx.repo(Outbox).add(queued)
        return replies

    async def _digests(self, tx: Tx, local: datetime, today: date) -> list[Reply]:
        sent = tx.repo(Notifications)
        units = await tx.repo(UnitRows).unit_rows()
        due: list[UnitRow] = []
        for unit in units:
            if not unit.group_chat_id or not unit.group_platform:
                continue
            hour = self.default_hour if unit.digest_hour is None else unit.digest_hour
            if hour == DIGEST_OFF or local.hour < hour:
                continue
            if await sent.claim("digest", f"{unit.id}:{today.isoformat()}"):
                due.append(unit)
        if not due:
            return []
        cut = cutoffs(today, self.calendar)
        items = await tx.repo(SummaryQueries).overdue_items(None, cut, None)
        names = {u.id: u.name for u in units}
        replies = []
        for unit in due:
            below = set(subtree_of(units, unit.id))
            mine = [i for i in items if i.unit_id in below]
            fresh_keys = set(await sent.claim_many("overdue", [f"{unit.id}:{i.key}" for i in mine]))
            fresh = [i for i in mine if f"{unit.id}:{i.key}" in fresh_keys]
            if not fresh:
                continue
            audience = group_audience(unit.names_in_group)
            text = self.digest_text(unit.name, today, fresh, names, audience)
            chat = Chat(unit.group_platform or "", unit.group_chat_id or "", "group")
            details = Button(t("details.button"), SUMMARY_DETAILS.encode(UnitRef(unit.id)))
            replies.append(Reply(text=text, chat=chat, buttons=[[details]]))
        return replies

    def digest_text(
        self,
        unit_name: str,
        today: date,
        items: list[OverdueItem],
        names: dict[int, str],
        audience: Audience,
    ) -> str:
        """The digest of the items the unit was not told about: those past a deadline under
        "Việc mới quá hạn", the reminders of a deadline ahead under "Sắp đến hạn" — as a
        group may read it (``audience``)."""
        groups: dict[str, list[dict[str, Any]]] = {"overdue": [], "upcoming": []}
        shown = 0
        for clock in CLOCKS:
            lines = []
            for item in items:
                if item.clock == clock and shown < self.max_lines:
                    lines.append(overdue_line(item, names, audience))
                    shown += 1
            if lines:
                kind = "upcoming" if clock in UPCOMING else "overdue"
                groups[kind].append({"title": t(f"clocks.{clock}"), "lines": lines})
        return texts.render(
            "secretary/digest.j2",
            unit=unit_name,
            today=fmt_date(today),
            overdue=groups["overdue"],
            upcoming=groups["upcoming"],
            more=len(items) - shown if len(items) > shown else 0,
            note=t("details.group_note", names=audience.names),
        )

    async def _reminders(self, tx: Tx, now: datetime, today: date) -> list[Reply]:
        sent = tx.repo(Notifications)
        org = tx.repo(Org)
        idle_cut = cutoffs(today, self.calendar).idle
        not_after = utc_iso(now - self.reminder_every)
        abandoned = self.retention.policy.idle_before(day_number(today)) if self.retention else None
        replies = []
        for cand in await sent.idle_candidates(idle_cut):
            if abandoned is not None and cand.updated_d < abandoned:
                continue  # abandoned: the retention's warning replaces the reminders
            found = await org.reach(cand.platform, cand.platform_user_id)
            if found is None:
                continue
            if not await sent.claim_if_older("idle", str(cand.dossier_id), not_after):
                continue
            text = t("remind.idle", since=format_date(from_day_number(cand.updated_d)))
            replies.append(Reply(text=text, chat=Chat(*found, "private")))
        return replies


async def run_periodic(
    notifier: Notifier,
    send: Callable[[Reply], Awaitable[Any]],
    *,
    clock: Clock,
    interval: float = 60.0,
    stop: asyncio.Event | None = None,
    flag_batch: int = 200,
    outbox: bool = False,
) -> None:
    """Every ``interval`` seconds: send what is due, then warm the flag cache a little.

    A failing send is logged and skipped (the message was claimed; it is not retried here, so
    a broken chat cannot make the bot repeat itself to everyone else). With ``outbox`` the
    messages were queued with their claims, and ``send`` only hears of each after the commit
    (the adapter wakes its sender).
    """
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await periodic_round(notifier, send, clock=clock, flag_batch=flag_batch, outbox=outbox)
        except Exception as exc:
            log.error("periodic secretary task failed: %s", failure_place(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


async def periodic_round(
    notifier: Notifier,
    send: Callable[[Reply], Awaitable[Any]],
    *,
    clock: Clock,
    flag_batch: int = 200,
    outbox: bool = False,
) -> None:
    """One round of :func:`run_periodic` (several workers run it on the leader only)."""
    now = clock.now()
    for reply in await notifier.due_notifications(now, outbox=outbox):
        try:
            await send(reply)
        except Exception as exc:  # the chat may have removed the bot
            log.warning("scheduled message not delivered: %s", type(exc).__name__)
    today = local_date(now, notifier.zone)
    await refresh_flag_cache(notifier.db, today, limit=flag_batch)


class RouterLike(Protocol):
    db: Database
    clock: Clock
    zone: ZoneInfo


def start_scheduler(
    router: RouterLike,
    send: Callable[[Reply], Awaitable[Any]],
    *,
    interval: float = 60.0,
    outbox: bool = False,
    retention: RetentionPolicy | None = None,
) -> tuple[asyncio.Task[None], asyncio.Event]:
    """What an adapter calls once it runs: digests, reminders and (with a ``retention``
    policy) the daily retention job on the router's database, clock and time zone, as a task;
    set the returned event to stop it. ``send`` delivers one reply to ``reply.chat`` — or,
    with ``outbox``, is told of one queued in the outbox with its claim."""
    notifier = Notifier(router.db, zone=router.zone, retention=retention)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_periodic(
            notifier, send, clock=router.clock, interval=interval, stop=stop, outbox=outbox
        ),
        name="secretary-periodic",
    )
    return task, stop
