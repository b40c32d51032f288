"""The secretaries' flow: /tinhhinh, /chitieu, /xuat, /giobaocao, recording steps with
/buoc and buttons, and the scheduler of daily digests and candidates' reminders.

Who may do what (roles are read through :mod:`storage.reviews` / :mod:`handlers.access`):

* /tinhhinh, /xuat, /buoc, /huybuoc — secretaries and reviewers of the unit or of a unit
  above it. In a group chat the unit is the one the group is bound to; in a private chat it is
  the highest unit the person holds such a role in (buttons when there are several, or
  ``#số`` to name one).
* /chitieu, /giobaocao — secretaries of the unit or above (:func:`handlers.access.may_manage`).
* Everyone else (candidates, outsiders) gets a refusal that reveals nothing.

The spreadsheet names candidates, so /xuat typed in a group is answered in the person's
private chat.

Scheduling: :class:`Notifier` decides what is due at a given moment
(:meth:`Notifier.due_notifications`) and records each digest day, each overdue item per unit,
and each reminder in ``notifications_sent`` in the same transaction, so a restart or a second
process never sends anything twice (at most once: a crash between the commit and the send
loses that message rather than repeating it). :func:`run_periodic` is the small loop an
adapter starts; it sends what is due and keeps the flag cache warm.

Button actions (≤ 64 bytes): ``sec:th:<unit>`` summary, ``sec:xl:<unit>`` spreadsheet,
``sec:cd:<dossier>`` a dossier's card, ``sec:wp:<dossier>:<g|v>`` choose the person verified,
``sec:as:<dossier>:<step>[:<person>]`` ask the date, ``sec:rc:<dossier>:<step>:<yyyymmdd>
[:<person>[:a|d]]`` record (``a`` abroad, ``d`` at home, neither: as the dossier says),
``sec:un:<dossier>`` undo the last step.

In a group chat everything stays within the group's unit and the units below it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from admission.clock import ZONE, Clock, local_date
from forms import texts
from forms.parsers import format_date
from forms.vn import fold
from handlers import access
from handlers.charts import summary_chart
from handlers.events import Button, Chat, Document, Event, Photo, Reply
from handlers.routing import Routes
from handlers.stages import (
    STEP_ALIASES,
    StepRefused,
    abroad_reason,
    abroad_reasons,
    adult_from,
    fold_events,
    next_person_code,
    next_steps,
    parse_day,
    parse_step_command,
    person_label,
    record_step,
    step_label,
    undo_last_step,
    verified_relatives,
)
from handlers.summary import (
    CEREMONY_WD,
    CERTIFICATE_MONTHS,
    DECISION_WD,
    DEFAULT_CALENDAR,
    DOSSIER_MONTHS,
    PROBATION_MONTHS,
    PROBATION_REVIEW_WD,
    VERIFICATION_ABROAD_WD,
    VERIFICATION_WD,
    FlagChecker,
    Summary,
    cutoffs,
    default_checker,
    fmt_date,
    fmt_int,
    load_level_names,
    load_summary,
    overdue_line,
    refresh_flag_cache,
    render_summary,
    subtree_of,
)
from handlers.workdays import WorkCalendar, add_months, from_day_number
from handlers.xlsx import dossiers_workbook
from storage.core import Person
from storage.db import Database, Session, Tx, utc_iso
from storage.reviews import Org, Unit
from storage.stages import (
    CLOCKS,
    PHASES,
    UPCOMING,
    WIDE_SCOPE,
    OverdueItem,
    Stages,
    UnitRow,
    VerificationRow,
)

log = logging.getLogger(__name__)

PREFIX = "sec:"
COMMANDS = ("tinhhinh", "chitieu", "xuat", "buoc", "huybuoc", "giobaocao")
OVERSEERS = ("secretary", "reviewer")
QUIET_FROM, QUIET_UNTIL = 21, 7  # nothing is sent from 21:00 to 07:00 local time
DEFAULT_DIGEST_HOUR = 8
DIGEST_OFF = -1
MAX_LIST = 10  # /buoc without a number: dossiers listed (one button each, for a phone)
NEAR_DAYS = 30  # a deadline this close is shown on the dossier's button
NAME_CHARS = 22  # a longer name is cut on a button
# The short alias typed for each step, shown in hints ("/buoc 12 chibo …").
_ALIAS_OF = {
    "ban_viet_tay": "viettay",
    "tham_tra_gui": "guitt",
    "tham_tra_ve": "vett",
    "chi_bo": "chibo",
    "dang_uy": "danguy",
    "quyet_dinh": "quyetdinh",
    "ket_nap": "ketnap",
    "chinh_thuc": "chinhthuc",
}
_PERSON_ALIAS = {
    "ban_than": "banthan",
    "cha": "cha",
    "me": "me",
    "vo_chong": "vochong",
    "cha_vc": "chavo",
    "me_vc": "mevo",
}
assert set(_ALIAS_OF.values()) <= set(STEP_ALIASES)


def t(key: str, **kw: Any) -> str:
    return texts.message(f"secretary.{key}", **kw)


# ---------------------------------------------------------------------------------------------
# Who oversees what


async def overseen_units(tx: Tx, person_id: int, roles: Sequence[str] = OVERSEERS) -> list[Unit]:
    """The highest units where the person is secretary or reviewer (each with its subtree)."""
    org = tx.repo(Org)
    mine = {r.unit_id for r in await org.roles_of(person_id) if r.role in roles}
    tops = []
    for unit_id in sorted(mine):
        ancestors = await org.ancestors(unit_id)
        if not any(u.id in mine for u in ancestors[1:]):
            tops.append(ancestors[0])
    return tops


async def oversees(
    tx: Tx, person_id: int | None, unit_id: int, roles: Sequence[str] = OVERSEERS
) -> bool:
    """Whether the person holds one of ``roles`` in ``unit_id`` or a unit above it."""
    if person_id is None:
        return False
    org = tx.repo(Org)
    mine = {r.unit_id for r in await org.roles_of(person_id) if r.role in roles}
    if not mine:
        return False
    return any(u.id in mine for u in await org.ancestors(unit_id))


async def _below(tx: Tx, unit_id: int, top_id: int) -> bool:
    """Whether ``unit_id`` is ``top_id`` or a unit under it."""
    return any(u.id == top_id for u in await tx.repo(Org).ancestors(unit_id))


# ---------------------------------------------------------------------------------------------
# The flow


class SecretaryFlow:
    """Commands and buttons of secretaries and reviewers (see the module docstring)."""

    name = "secretary"
    routes = Routes(flow="secretary", prefix="sec", commands={name: "any" for name in COMMANDS})

    def __init__(
        self,
        *,
        calendar: WorkCalendar = DEFAULT_CALENDAR,
        zone: ZoneInfo = ZONE,
        chart: bool = True,
        checker: FlagChecker = default_checker,
        flag_refresh_limit: int = 30,
    ) -> None:
        self.calendar = calendar
        self.zone = zone
        self.chart = chart
        self.checker = checker
        self.flag_refresh_limit = flag_refresh_limit

    def claims(self, event: Event) -> bool:
        if event.kind == "command":
            return event.command in COMMANDS
        return event.kind == "button" and event.action.startswith(PREFIX)

    async def handle(self, tx: Tx, event: Event) -> list[Reply] | None:
        if not self.claims(event):
            return None
        person = await tx.people.find(event.user.platform, event.user.id)
        today = local_date(tx.now, self.zone)
        if event.kind == "button":
            return await self._button(tx, event, person, today)
        handler = getattr(self, f"_cmd_{event.command}")
        return await handler(tx, event, person, today)

    # -- choosing the unit ---------------------------------------------------------------------
    async def _unit_for(
        self,
        tx: Tx,
        event: Event,
        person: Person | None,
        args: str,
        *,
        roles: Sequence[str],
        action: str,
    ) -> tuple[int | None, str, list[Reply]]:
        """(unit id, the rest of the arguments, replies when no single unit applies)."""
        refused = [
            Reply(text=t("access.refused" if roles == OVERSEERS else "access.secretary_only"))
        ]
        if person is None:
            return None, args, refused
        match = re.match(r"\s*#\s*(\d+)\s*", args)
        wanted = int(match.group(1)) if match else None
        if match:
            args = args[match.end() :]
        if event.chat.kind == "group":
            # a group sees its own unit and the units below it, never a unit beside it
            unit = await tx.repo(Org).unit_by_group(event.chat.platform, event.chat.id)
            if unit is None:
                return None, args, [Reply(text=t("access.group_not_bound"))]
            if not await oversees(tx, person.id, unit.id, roles):
                return None, args, refused
            if wanted is not None and not await _below(tx, wanted, unit.id):
                return None, args, [Reply(text=t("access.outside_group", unit=unit.name))]
            return wanted or unit.id, args, []
        tops = await overseen_units(tx, person.id, roles)
        if wanted is not None:
            if not await oversees(tx, person.id, wanted, roles):
                if not tops:
                    return None, args, refused
                # someone in charge of other units: say which ones they can see
                names = ", ".join(u.name for u in tops)
                return None, args, [Reply(text=t("access.outside_units", units=names))]
            return wanted, args, []
        if not tops:
            return None, args, refused
        if len(tops) == 1:
            return tops[0].id, args, []
        buttons = [[Button(u.name[:60] or f"#{u.id}", f"{PREFIX}{action}:{u.id}")] for u in tops]
        return None, args, [Reply(text=t("access.choose_unit"), buttons=buttons)]

    # -- /tinhhinh -------------------------------------------------------------------------------
    async def _cmd_tinhhinh(
        self, tx: Tx, event: Event, person: Person | None, today: date
    ) -> list[Reply]:
        return await self._overseen_unit_action(tx, event, person, "th", today)

    async def _overseen_unit_action(
        self, tx: Tx, event: Event, person: Person | None, action: str, today: date
    ) -> list[Reply]:
        """/tinhhinh (``th``) or /xuat (``xl``) of the unit the request names or implies."""
        unit_id, _, replies = await self._unit_for(
            tx, event, person, event.text, roles=OVERSEERS, action=action
        )
        if unit_id is None:
            return replies
        return await self._unit_action(tx, event, action, unit_id, today)

    async def _unit_action(
        self, tx: Tx, event: Event, action: str, unit_id: int, today: date
    ) -> list[Reply]:
        if action == "th":
            return await self.summary_replies(tx, unit_id, today)
        return await self._export(tx, event, unit_id, today)

    async def summary(self, tx: Tx, unit_id: int, today: date) -> Summary | None:
        """The summary of a unit (flag cache topped up first, within a small budget)."""
        await refresh_flags_in(tx, today, limit=self.flag_refresh_limit, checker=self.checker)
        # The aggregate queries run on the read connection (its own thread): the event loop
        # keeps serving while they run. Flags refreshed just now show from the next summary.
        async with tx.db.read(datetime.fromisoformat(tx.now)) as r:
            return await load_summary(r, unit_id, today, calendar=self.calendar)

    async def summary_replies(self, tx: Tx, unit_id: int, today: date) -> list[Reply]:
        summary = await self.summary(tx, unit_id, today)
        if summary is None:
            return [Reply(text=t("access.refused"))]
        buttons = [[Button(t("buttons.export"), f"{PREFIX}xl:{unit_id}")]]
        replies = [Reply(text=render_summary(summary), buttons=buttons)]
        if self.chart:
            png = await asyncio.to_thread(summary_chart, summary)
            caption = t("summary.chart_caption", unit=summary.unit_name, today=fmt_date(today))
            replies.append(Reply(photo=Photo(png, caption[:1000])))
        return replies

    # -- /xuat -----------------------------------------------------------------------------------
    async def _cmd_xuat(
        self, tx: Tx, event: Event, person: Person | None, today: date
    ) -> list[Reply]:
        return await self._overseen_unit_action(tx, event, person, "xl", today)

    async def _export(self, tx: Tx, event: Event, unit_id: int, today: date) -> list[Reply]:
        async with tx.db.read(datetime.fromisoformat(tx.now)) as r:
            document = await self.workbook(r, unit_id, today)
        if event.chat.kind != "group":
            return [Reply(document=document)]
        private = await tx.repo(Org).private_chat(event.user.platform, event.user.id)
        if private is None:
            return [Reply(text=t("access.open_private"))]
        chat = Chat(event.user.platform, private, "private")
        return [Reply(document=document, chat=chat), Reply(text=t("access.sent_privately"))]

    async def workbook(self, s: Session, unit_id: int, today: date) -> Document:
        """The /xuat spreadsheet of a unit and everything below it."""
        stages = s.repo(Stages)
        units = await stages.unit_rows()
        ids = subtree_of(units, unit_id)
        scope = None if len(ids) == len(units) else ids
        rows = await stages.export_rows(scope)
        items = await stages.overdue_items(scope, cutoffs(today, self.calendar), None)
        # per dossier, each clock once; a late verification names the people still awaited
        clocks: dict[int, dict[str, list[str]]] = {}
        for item in items:
            people = clocks.setdefault(item.dossier_id, {}).setdefault(item.clock, [])
            if item.person:
                people.append(
                    t("xlsx.person", person=person_label(item.person), abroad=item.abroad)
                )
        # a deadline still ahead goes to its own column, not under "Quá hạn"
        columns: dict[str, dict[int, list[str]]] = {"overdue": {}, "upcoming": {}}
        for dossier_id, by_clock in clocks.items():
            for c, p in by_clock.items():
                kind = "upcoming" if c in UPCOMING else "overdue"
                columns[kind].setdefault(dossier_id, []).append(
                    t("xlsx.overdue", clock=t(f"clocks.{c}"), people=", ".join(p))
                )
        names = {u.id: u.name for u in units}
        unit_name = names.get(unit_id, "")
        title = t("summary.xlsx_caption", unit=unit_name, today=fmt_date(today), count=len(rows))
        levels = await load_level_names(s)
        data = await asyncio.to_thread(
            dossiers_workbook, rows, names, title=title, today=today,
            overdue=columns["overdue"], upcoming=columns["upcoming"], level_names=levels,
        )  # fmt: skip
        return Document(f"ho-so-{unit_id}-{today:%Y%m%d}.xlsx", data, title[:1000])

    # -- /chitieu --------------------------------------------------------------------------------
    async def _cmd_chitieu(
        self, tx: Tx, event: Event, person: Person | None, today: date
    ) -> list[Reply]:
        return await self._as_secretary(tx, event, person, today, self._set_target)

    async def _cmd_giobaocao(
        self, tx: Tx, event: Event, person: Person | None, today: date
    ) -> list[Reply]:
        return await self._as_secretary(tx, event, person, today, self._set_digest_hour)

    async def _as_secretary(
        self,
        tx: Tx,
        event: Event,
        person: Person | None,
        today: date,
        then: Callable[[Tx, Person, int, str, str, date], Awaitable[list[Reply]]],
    ) -> list[Reply]:
        """/chitieu and /giobaocao: ``then(tx, person, unit id, unit name, the rest of the
        arguments, today)`` when the person is a secretary of the unit or above."""
        unit_id, args, replies = await self._unit_for(
            tx, event, person, event.text, roles=("secretary",), action="th"
        )
        if unit_id is None:
            return replies
        assert person is not None
        unit = await tx.repo(Org).unit(unit_id)
        if unit is None or not await access.may_manage(tx, person.id, unit_id):
            return [Reply(text=t("access.secretary_only"))]
        return await then(tx, person, unit_id, unit.name, args, today)

    async def _set_target(
        self, tx: Tx, person: Person, unit_id: int, unit_name: str, args: str, today: date
    ) -> list[Reply]:
        stages = tx.repo(Stages)
        words = fold(args).split()
        if not words:
            return [Reply(text=await self._target_text(tx, unit_id, unit_name, today))]
        compact = "".join(words)
        if compact.startswith("nhiemky"):
            # "nhiệm kỳ 2025-2030 750", also "2025 – 2030: 750 người"
            numbers = re.findall(r"\d+", args.replace(".", ""))
            if len(numbers) != 3 or not all(len(n) == 4 for n in numbers[:2]):
                return [Reply(text=t("target.bad_term"))]
            start, end, target = (int(n) for n in numbers)
            if not (2000 <= start <= end <= start + 10):
                return [Reply(text=t("target.bad_term"))]
            if not 1 <= target <= 100_000:
                return [Reply(text=t("target.bad_number"))]
            await stages.set_term_target(unit_id, start, end, target, person.id)
            await tx.audit.append(
                "target_term",
                person_id=person.id,
                unit_id=unit_id,
                detail={"start": start, "end": end, "target": target},
            )
            return [
                Reply(
                    text=t(
                        "target.term_saved",
                        unit=unit_name,
                        start=start,
                        end=end,
                        target=fmt_int(target),
                    )
                )
            ]
        number = words[0]  # "150", or "1.500" with the Vietnamese thousands separator
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number):
            number = number.replace(".", "")
        if not number.isdigit() or not 1 <= int(number) <= 100_000:
            return [Reply(text=t("target.bad_number") + "\n\n" + t("target.usage"))]
        target = int(number)
        deadline = _parse_deadline(" ".join(words[1:]), today)
        if deadline is None:
            return [Reply(text=t("target.bad_deadline"))]
        if deadline < today:
            return [Reply(text=t("target.past_deadline", deadline=format_date(deadline)))]
        await stages.set_target(unit_id, deadline.year, target, deadline.isoformat(), person.id)
        await tx.audit.append(
            "target",
            person_id=person.id,
            unit_id=unit_id,
            detail={"year": deadline.year, "target": target, "deadline": deadline.isoformat()},
        )
        return [
            Reply(
                text=t(
                    "target.saved",
                    unit=unit_name,
                    year=deadline.year,
                    target=fmt_int(target),
                    deadline=format_date(deadline),
                )
            )
        ]

    async def _target_text(self, tx: Tx, unit_id: int, unit_name: str, today: date) -> str:
        stages = tx.repo(Stages)
        year = today.year
        found = (await stages.targets([unit_id], year)).get(unit_id)
        term = await stages.term_target(unit_id, year)
        current = t(
            "target.current",
            unit=unit_name,
            year=year,
            year_target=fmt_int(found.target) if found else "",
            deadline=format_date(date.fromisoformat(found.deadline_iso)) if found else "",
            term=f"{term.start_year}–{term.end_year}" if term else "",
            term_target=fmt_int(term.target) if term else "",
        )
        return current + "\n\n" + t("target.usage")

    # -- /giobaocao ------------------------------------------------------------------------------
    async def _set_digest_hour(
        self, tx: Tx, person: Person, unit_id: int, unit_name: str, args: str, today: date
    ) -> list[Reply]:
        word = re.sub(r"\s+", "", fold(args))
        stages = tx.repo(Stages)
        if word in ("tat", "khong", "off"):
            await stages.set_digest_hour(unit_id, DIGEST_OFF)
            return [Reply(text=t("digest_hour.off", unit=unit_name))]
        # whole hours only: "8", "8h", "8 giờ", "8:00", "8h00" ("7:30" is not an hour)
        match = re.fullmatch(r"(\d{1,2})(?:h|gio|:00|h00|gio00)?(?:sang|chieu)?", word)
        if match is None:
            return [Reply(text=t("digest_hour.usage"))]
        hour = int(match.group(1))
        if word.endswith("chieu") and hour < 12:
            hour += 12  # "5 giờ chiều"
        if not QUIET_UNTIL <= hour < QUIET_FROM:
            return [Reply(text=t("digest_hour.night"))]
        await stages.set_digest_hour(unit_id, hour)
        await tx.audit.append(
            "digest_hour", person_id=person.id, unit_id=unit_id, detail={"hour": hour}
        )
        text = t("digest_hour.saved", unit=unit_name, hour=hour)
        unit = await tx.repo(Org).unit(unit_id)
        if unit is not None and not unit.has_group:  # the digest goes to the unit's group
            text += "\n" + t("digest_hour.no_group", unit=unit_name)
        return [Reply(text=text)]

    # -- /buoc, /huybuoc -------------------------------------------------------------------------
    async def _cmd_buoc(
        self, tx: Tx, event: Event, person: Person | None, today: date
    ) -> list[Reply]:
        if person is None or not await self._scope(tx, event, person):
            return [Reply(text=t("access.refused"))]
        if not event.text.strip():
            return await self._pipeline_list(tx, person, event, today)
        try:
            parsed = parse_step_command(event.text, today)
        except StepRefused as exc:
            return [Reply(text=exc.message)]
        allowed = await self._dossier_allowed(tx, event, person, parsed.dossier_id)
        if allowed is not None:
            return allowed
        if not parsed.step:
            return [await self._card(tx, parsed.dossier_id, today)]
        if parsed.day is None:
            return [
                Reply(
                    text=t(
                        "step.need_date",
                        number=parsed.dossier_id,
                        alias=_ALIAS_OF[parsed.step],
                        example=format_date(today),
                    )
                )
            ]
        return await self._record(
            tx, person, parsed.dossier_id, parsed.step, parsed.day, today,
            person_code=parsed.person, abroad=parsed.abroad,
        )  # fmt: skip

    async def _cmd_huybuoc(
        self, tx: Tx, event: Event, person: Person | None, today: date
    ) -> list[Reply]:
        if person is None or not await self._scope(tx, event, person):
            return [Reply(text=t("access.refused"))]
        # only the dossier number: "/huybuoc 12", "/huybuoc #12", "/huybuoc hồ sơ 12"
        match = re.fullmatch(r"\s*(?:#|hs|ho\s*so)?\s*(\d+)\s*", fold(event.text))
        if match is None:
            return [Reply(text=t("step.undo_usage"))]
        return await self._undo(tx, event, person, int(match.group(1)), today)

    async def _scope(self, tx: Tx, event: Event, person: Person) -> list[int]:
        """The top units this request may see: in a group, the group's unit (when the person
        oversees it); in private, the person's highest units."""
        if event.chat.kind == "group":
            unit = await tx.repo(Org).unit_by_group(event.chat.platform, event.chat.id)
            if unit is None or not await oversees(tx, person.id, unit.id):
                return []
            return [unit.id]
        return [u.id for u in await overseen_units(tx, person.id)]

    async def _within(self, tx: Tx, event: Event, person: Person, unit_id: int) -> bool:
        """Whether ``unit_id`` lies in this request's scope (see :meth:`_scope`)."""
        ancestors = {u.id for u in await tx.repo(Org).ancestors(unit_id)}
        return any(top in ancestors for top in await self._scope(tx, event, person))

    async def _dossier_allowed(
        self, tx: Tx, event: Event, person: Person, dossier_id: int
    ) -> list[Reply] | None:
        """None when the person may see and record steps of the dossier here; else the
        refusal (in a group, only dossiers of the group's unit and below)."""
        progress = await tx.repo(Stages).progress(dossier_id)
        if (
            progress is None
            or progress.status == "deleted"
            or progress.unit_id is None
            or not await self._within(tx, event, person, progress.unit_id)
        ):
            return [Reply(text=t("step.no_dossier", number=dossier_id))]
        return None

    async def _record(
        self,
        tx: Tx,
        person: Person,
        dossier_id: int,
        step: str,
        day: date,
        today: date,
        *,
        person_code: str = "",
        abroad: bool | None = None,
    ) -> list[Reply]:
        try:
            done = await record_step(
                tx, dossier_id, step, day, today=today, person=person_code, abroad=abroad,
                recorded_by=person.id,
            )  # fmt: skip
        except StepRefused as exc:
            return [Reply(text=exc.message)]
        progress = await tx.repo(Stages).progress(dossier_id)
        name = (progress.full_name if progress else "") or t("dossier_number", number=dossier_id)
        text = t(
            "step.recorded",
            name=name,
            step=step_label(step),
            person=person_label(done.person) if done.person else "",
            abroad=done.abroad,
            day=format_date(day),
        )
        return [await self._card(tx, dossier_id, today, note=text)]

    async def _undo(
        self, tx: Tx, event: Event, person: Person, dossier_id: int, today: date
    ) -> list[Reply]:
        allowed = await self._dossier_allowed(tx, event, person, dossier_id)
        if allowed is not None:
            return allowed
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
        return [await self._card(tx, dossier_id, today, note=text)]

    async def _pipeline_list(
        self, tx: Tx, person: Person, event: Event, today: date
    ) -> list[Reply]:
        """The dossiers after approval that need the secretary first: overdue clocks (the
        latest first), then the nearest deadlines, then the rest; at most :data:`MAX_LIST`
        buttons and how many more there are."""
        stages = tx.repo(Stages)
        units = await stages.unit_rows()
        ids: list[int] = []
        for top in await self._scope(tx, event, person):
            ids += subtree_of(units, top)
        phases = [p for p in PHASES[PHASES.index("approved") :] if p != "official"]
        total = await stages.count_in(ids, phases)
        if not total:
            return [Reply(text=t("step.list_empty") + "\n\n" + t("step.usage"))]
        wide = total > WIDE_SCOPE
        due: dict[int, date] = {}
        for clock, dossier_id, start in await stages.open_deadlines(
            ids, phases, MAX_LIST, wide=wide
        ):
            day = self._deadline(clock, from_day_number(start), today)
            if dossier_id not in due or day < due[dossier_id]:
                due[dossier_id] = day
        first = sorted(due, key=lambda i: (due[i], i))[:MAX_LIST]
        rows = [r for i in first if (r := await stages.progress(i)) is not None]
        if len(rows) < MAX_LIST:  # the rest: dossiers without a running clock
            for r in await stages.progress_in(ids, phases, limit=MAX_LIST + len(rows)):
                if len(rows) < MAX_LIST and r.dossier_id not in first:
                    rows.append(r)
        buttons = []
        for r in rows:
            deadline = due.get(r.dossier_id)
            if deadline is not None and deadline < today:
                tag = t("step.list_overdue")
            elif deadline is not None and (deadline - today).days <= NEAR_DAYS:
                tag = t("step.list_due", day=fmt_date(deadline, year=False))
            else:
                tag = t(f"phases_short.{r.phase}")
            name = r.full_name or t("no_name")
            if len(name) > NAME_CHARS:
                name = name[: NAME_CHARS - 1] + "…"
            buttons.append(
                [Button(f"{r.dossier_id} · {name} · {tag}", f"{PREFIX}cd:{r.dossier_id}")]
            )
        text = t("step.list_title", near=NEAR_DAYS)
        if total > len(rows):
            text += "\n" + t("step.list_more", more=fmt_int(total - len(rows)))
        return [Reply(text=text + "\n" + t("step.list_hint"), buttons=buttons)]

    def _deadline(self, clock: str, start: date, today: date) -> date:
        """The day a running clock of :meth:`Stages.open_deadlines` falls due."""
        cal = self.calendar
        if clock == "verification":
            return cal.add_workdays(start, VERIFICATION_WD)
        if clock == "verification_abroad":
            return cal.add_workdays(start, VERIFICATION_ABROAD_WD)
        if clock == "decision":
            return cal.add_workdays(start, DECISION_WD)
        if clock == "ceremony":
            return cal.add_workdays(start, CEREMONY_WD)
        if clock == "certificate":  # the chi bộ votes while the certificate is valid
            return add_months(start, CERTIFICATE_MONTHS)
        if clock == "dossier_age":
            return add_months(start, DOSSIER_MONTHS)
        # probation: its end; once over, the chi bộ's 30 working days to consider it
        end = add_months(start, PROBATION_MONTHS)
        return end if end >= today else cal.add_workdays(end, PROBATION_REVIEW_WD)

    async def _card(self, tx: Tx, dossier_id: int, today: date, *, note: str = "") -> Reply:
        """A dossier's steps so far, with buttons for what may come next (after ``note``:
        what was just recorded or undone)."""
        stages = tx.repo(Stages)
        progress = await stages.progress(dossier_id)
        assert progress is not None
        events = await stages.events(dossier_id)
        state = fold_events(events)
        unit = await tx.repo(Org).unit(progress.unit_id) if progress.unit_id else None
        steps = [
            {"label": step_label(e.stage), "day": format_date(from_day_number(e.day))}
            for e in events
            if not e.stage.startswith("tham_tra")
        ]
        verifications = [self._verification_line(v, today) for v in state.verifications]
        nxt = next_steps(state) if progress.status == "approved" else []
        adult = ""
        if progress.status == "approved" and state.chi_bo_d is None:
            # under 18 on the day of the vote is not allowed: say from when the chi bộ may vote
            record = await tx.dossiers.get(dossier_id)
            day = adult_from(record.dossier if record else None)
            if day is not None and day > today:
                adult = format_date(day)
        probation_end = ""
        if state.ceremony_d is not None:
            probation_end = format_date(add_months(from_day_number(state.ceremony_d), 12))
        text = texts.render(
            "secretary/card.j2",
            number=dossier_id,
            name=progress.full_name or t("no_name"),
            unit=unit.name if unit else "",
            phase=t(f"phases.{progress.phase}"),
            approved=format_date(from_day_number(progress.approved_d))
            if progress.approved_d
            else "",
            steps=steps,
            verifications=verifications,
            probation_end=probation_end,
            adult=adult,
            next=", ".join(step_label(s) for s in nxt),
        )
        if note:
            text = note + "\n\n" + text
        buttons: list[list[Button]] = []
        for step in nxt:
            if step == "tham_tra_gui":
                action = f"{PREFIX}wp:{dossier_id}:g"
            elif step == "tham_tra_ve":
                action = f"{PREFIX}wp:{dossier_id}:v"
            else:
                action = f"{PREFIX}as:{dossier_id}:{step}"
            buttons.append([Button(step_label(step), action)])
        if events:
            buttons.append([Button(t("buttons.undo"), f"{PREFIX}un:{dossier_id}")])
        return Reply(text=text, buttons=buttons)

    def _verification_line(self, v: VerificationRow, today: date) -> dict[str, Any]:
        """One verification on the card: dates, the reply's deadline and why it is 30 or 90
        working days (the dossier's reason, or the choice of whoever recorded it)."""
        sent = from_day_number(v.sent_d)
        limit = VERIFICATION_ABROAD_WD if v.abroad else VERIFICATION_WD
        due = self.calendar.add_workdays(sent, limit)
        if v.abroad:
            why = (
                t("abroad.from_dossier", reason=v.reason) if v.reason else t("abroad.chosen_abroad")
            )
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

    # -- buttons -------------------------------------------------------------------------------
    async def _button(
        self, tx: Tx, event: Event, person: Person | None, today: date
    ) -> list[Reply]:
        parts = event.action[len(PREFIX) :].split(":")
        verb, args = parts[0], parts[1:]
        if person is None or not args or not args[0].isdigit():
            return [Reply(text=t("access.refused"), toast=t("access.refused")[:190])]
        number = int(args[0])
        if verb in ("th", "xl"):
            if not await self._within(tx, event, person, number):
                return [Reply(text=t("access.refused"))]
            return await self._unit_action(tx, event, verb, number, today)
        allowed = await self._dossier_allowed(tx, event, person, number)
        if allowed is not None:
            return allowed
        if verb == "cd":
            return [await self._card(tx, number, today)]
        if verb == "un":
            return await self._undo(tx, event, person, number, today)
        if verb == "wp" and len(args) == 2:
            return [await self._ask_person(tx, number, args[1], today)]
        if verb == "as" and len(args) >= 2 and args[1] in _ALIAS_OF:
            return [
                await self._ask_date(tx, number, args[1], args[2] if len(args) > 2 else "", today)
            ]
        if verb == "rc" and len(args) >= 3 and args[1] in _ALIAS_OF:
            try:
                day = datetime.strptime(args[2], "%Y%m%d").date()
            except ValueError:
                return [Reply(text=t("step.usage"))]
            person_code = args[3] if len(args) > 3 else ""
            # no flag: as the dossier says; "a": abroad, "d": at home (the secretary's choice)
            abroad = {"a": True, "d": False}.get(args[4]) if len(args) > 4 else None
            return await self._record(
                tx, person, number, args[1], day, today, person_code=person_code, abroad=abroad
            )
        return [Reply(text=t("step.usage"))]

    async def _ask_person(self, tx: Tx, dossier_id: int, which: str, today: date) -> Reply:
        stages = tx.repo(Stages)
        progress = await stages.progress(dossier_id)
        state = fold_events(await stages.events(dossier_id))
        labels: dict[str, str] = {}
        if which == "v":
            step = "tham_tra_ve"
            people = [v.person for v in state.verifications if v.returned_d is None]
        else:
            # the children and the people who raised the candidate as declared in item
            # (21), each by name, and who lives abroad
            step = "tham_tra_gui"
            record = await tx.dossiers.get(dossier_id)
            dossier = record.dossier if record else None
            declared = verified_relatives(dossier)
            reasons = abroad_reasons(dossier, today)
            children = [p for p in declared if p.startswith("con")] or [
                next_person_code(state, "con")
            ]
            raisers = [p for p in declared if p.startswith("nuoi_duong")]
            pending = {v.person for v in state.verifications if v.returned_d is None}
            people = [
                p
                for p in ("ban_than", "cha", "me", *raisers, "vo_chong", "cha_vc", "me_vc",
                          *children)
                if p not in pending
            ]  # fmt: skip
            for p in people:
                numbered = p.startswith(("con", "nuoi_duong")) and p in declared
                name = declared[p][1].get("ho_ten", "") if numbered else ""
                labels[p] = t("step.person_button", person=person_label(p), name=name,
                              abroad=p in reasons)  # fmt: skip
        buttons = [
            [Button(labels.get(p) or person_label(p), f"{PREFIX}as:{dossier_id}:{step}:{p}")]
            for p in people
        ]
        name = (progress.full_name if progress else "") or t("no_name")
        return Reply(text=t("step.ask_person", name=name, step=step_label(step)), buttons=buttons)

    async def _ask_date(
        self, tx: Tx, dossier_id: int, step: str, person_code: str, today: date
    ) -> Reply:
        progress = await tx.repo(Stages).progress(dossier_id)
        yesterday = today - timedelta(days=1)
        tail = f":{person_code}" if person_code else ""
        base = f"{PREFIX}rc:{dossier_id}:{step}"
        buttons = [
            [
                Button(t("buttons.today", day=fmt_date(today, year=False)),
                       f"{base}:{today:%Y%m%d}{tail}"),
                Button(t("buttons.yesterday", day=fmt_date(yesterday, year=False)),
                       f"{base}:{yesterday:%Y%m%d}{tail}"),
            ]
        ]  # fmt: skip
        note = ""
        if step == "tham_tra_gui":
            # the plain buttons follow the dossier; the second row chooses otherwise
            record = await tx.dossiers.get(dossier_id)
            reason = abroad_reason(record.dossier if record else None, person_code, today)
            note = t("abroad.ask_abroad", reason=reason) if reason else t("abroad.ask_home")
            flag, kind = ("d", "home") if reason else ("a", "abroad")
            buttons.append(
                [
                    Button(t(f"buttons.today_{kind}"), f"{base}:{today:%Y%m%d}{tail}:{flag}"),
                    Button(
                        t(f"buttons.yesterday_{kind}"), f"{base}:{yesterday:%Y%m%d}{tail}:{flag}"
                    ),
                ]
            )
        # "con2" and "nuoi_duong1" are typed "con2" and "nuoiduong1"
        person_alias = _PERSON_ALIAS.get(person_code, person_code.replace("_", ""))
        text = t(
            "step.ask_date",
            name=(progress.full_name if progress else "") or t("no_name"),
            step=step_label(step),
            person=person_label(person_code) if person_code else "",
            number=dossier_id,
            alias=_ALIAS_OF[step],
            person_alias=person_alias,
        )
        if note:
            text += "\n\n" + note
        return Reply(text=text, buttons=buttons)


def _parse_deadline(text: str, today: date) -> date | None:
    """ "31/10" (this year), "31/10/2027", "ngày 31 tháng 10", "người, hạn 31/10" (folded)."""
    words = [w for w in re.split(r"[\s,;:]+", text) if w and w not in _DEADLINE_FILLERS]
    if not words:
        return None
    try:
        return parse_day(" ".join(words), today)
    except StepRefused:
        return None


# Words around the deadline of "/chitieu 150 người, hạn ngày 31/10" (folded).
_DEADLINE_FILLERS = frozenset({"nguoi", "dang", "vien", "dangvien", "han", "truoc", "den", "vao"})


# ---------------------------------------------------------------------------------------------
# The flag cache inside a unit of work


async def refresh_flags_in(
    tx: Tx, today: date, *, limit: int, checker: FlagChecker = default_checker
) -> int:
    """Bring up to ``limit`` stale flag lists up to date inside ``tx``."""
    stages = tx.repo(Stages)
    done = 0
    for dossier_id, revision in await stages.stale_flag_dossiers(limit):
        record = await tx.dossiers.get(dossier_id)
        if record is None:
            continue
        try:
            flags = checker(record.dossier, today)
        except Exception:
            log.exception("checks failed on dossier %s", dossier_id)
            flags = []
        await stages.store_flags(dossier_id, revision, flags)
        done += 1
    return done


# ---------------------------------------------------------------------------------------------
# Digests and reminders


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
    ) -> None:
        self.db = db
        self.calendar = calendar
        self.zone = zone
        self.default_hour = default_hour
        self.max_lines = max_lines
        self.reminder_every = reminder_every

    async def due_notifications(self, now: datetime) -> list[Reply]:
        """The messages to send now, each with its ``chat``; recorded as sent already."""
        local = now.astimezone(self.zone)
        if is_quiet(local):
            return []
        today = local.date()
        replies: list[Reply] = []
        async with self.db.transaction(now) as tx:
            replies += await self._digests(tx, local, today)
            replies += await self._reminders(tx, now, today)
        return replies

    async def _digests(self, tx: Tx, local: datetime, today: date) -> list[Reply]:
        stages = tx.repo(Stages)
        units = await stages.unit_rows()
        due: list[UnitRow] = []
        for unit in units:
            if not unit.group_chat_id or not unit.group_platform:
                continue
            hour = self.default_hour if unit.digest_hour is None else unit.digest_hour
            if hour == DIGEST_OFF or local.hour < hour:
                continue
            if await stages.claim("digest", f"{unit.id}:{today.isoformat()}"):
                due.append(unit)
        if not due:
            return []
        items = await stages.overdue_items(None, cutoffs(today, self.calendar), None)
        names = {u.id: u.name for u in units}
        replies = []
        for unit in due:
            below = set(subtree_of(units, unit.id))
            mine = [i for i in items if i.unit_id in below]
            fresh_keys = set(
                await stages.claim_many("overdue", [f"{unit.id}:{i.key}" for i in mine])
            )
            fresh = [i for i in mine if f"{unit.id}:{i.key}" in fresh_keys]
            if not fresh:
                continue
            text = self.digest_text(unit.name, today, fresh, names)
            chat = Chat(unit.group_platform or "", unit.group_chat_id or "", "group")
            replies.append(Reply(text=text, chat=chat))
        return replies

    def digest_text(
        self, unit_name: str, today: date, items: list[OverdueItem], names: dict[int, str]
    ) -> str:
        """The digest of the items the unit was not told about: those past a deadline under
        "Việc mới quá hạn", the reminders of a deadline ahead under "Sắp đến hạn"."""
        groups: dict[str, list[dict[str, Any]]] = {"overdue": [], "upcoming": []}
        shown = 0
        for clock in CLOCKS:
            lines = []
            for item in items:
                if item.clock == clock and shown < self.max_lines:
                    lines.append(overdue_line(item, names))
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
        )

    async def _reminders(self, tx: Tx, now: datetime, today: date) -> list[Reply]:
        stages = tx.repo(Stages)
        org = tx.repo(Org)
        idle_cut = cutoffs(today, self.calendar).idle
        not_after = utc_iso(now - self.reminder_every)
        replies = []
        for cand in await stages.idle_candidates(idle_cut):
            chat_id = await org.private_chat(cand.platform, cand.platform_user_id)
            if chat_id is None:
                continue
            if not await stages.claim_if_older("idle", str(cand.dossier_id), not_after):
                continue
            text = t("remind.idle", since=format_date(from_day_number(cand.updated_d)))
            replies.append(Reply(text=text, chat=Chat(cand.platform, chat_id, "private")))
        return replies


async def run_periodic(
    notifier: Notifier,
    send: Callable[[Reply], Awaitable[Any]],
    *,
    clock: Clock,
    interval: float = 60.0,
    stop: asyncio.Event | None = None,
    flag_batch: int = 200,
) -> None:
    """Every ``interval`` seconds: send what is due, then warm the flag cache a little.

    A failing send is logged and skipped (the message was claimed; it is not retried, so a
    broken chat cannot make the bot repeat itself to everyone else).
    """
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            now = clock.now()
            for reply in await notifier.due_notifications(now):
                try:
                    await send(reply)
                except Exception as exc:  # the chat may have removed the bot
                    log.warning("scheduled message not delivered: %s", type(exc).__name__)
            await refresh_flag_cache(
                notifier.db, now.astimezone(notifier.zone).date(), limit=flag_batch
            )
        except Exception:
            log.exception("periodic secretary task failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


def start_periodic(
    notifier: Notifier,
    send: Callable[[Reply], Awaitable[Any]],
    *,
    clock: Clock,
    interval: float = 60.0,
) -> tuple[asyncio.Task[None], asyncio.Event]:
    """Start :func:`run_periodic` as a task; set the returned event to stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_periodic(notifier, send, clock=clock, interval=interval, stop=stop),
        name="secretary-periodic",
    )
    return task, stop


class RouterLike(Protocol):
    db: Database
    clock: Clock
    zone: ZoneInfo


def start_scheduler(
    router: RouterLike,
    send: Callable[[Reply], Awaitable[Any]],
    *,
    interval: float = 60.0,
) -> tuple[asyncio.Task[None], asyncio.Event]:
    """What an adapter calls once it runs: digests and reminders on the router's database,
    clock and time zone. ``send`` delivers one reply to ``reply.chat``."""
    notifier = Notifier(router.db, zone=router.zone)
    return start_periodic(notifier, send, clock=router.clock, interval=interval)


__all__ = [
    "COMMANDS",
    "Notifier",
    "SecretaryFlow",
    "is_quiet",
    "overseen_units",
    "oversees",
    "run_periodic",
    "start_periodic",
    "start_scheduler",
]
