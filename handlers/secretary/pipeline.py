"""/buoc without a number: the dossiers after approval, those needing action first.

An overdue clock (the most overdue first), then the nearest deadline (shown on the button when
within :data:`NEAR_DAYS`), then the rest; at most :data:`MAX_LIST` buttons (one per dossier,
for a phone) and how many more there are. ``StageRecords.open_deadlines`` reads each running
clock's earliest starts from its partial index, so the list stays bounded at any scope.
"""

from __future__ import annotations

from datetime import date

from admission.deadlines import deadline
from admission.stages import OPEN_PHASES
from admission.workdays import WorkCalendar, from_day_number
from handlers.events import Button, Reply
from handlers.secretary.actions import CARD, DossierRef
from handlers.secretary.common import t
from handlers.summary import Audience, fmt_date, fmt_int, subtree_of
from storage.db import Tx
from storage.stages import WIDE_SCOPE, ProgressRow, StageRecords, UnitRows

MAX_LIST = 10  # dossiers listed
NEAR_DAYS = 30  # a deadline this close is shown on the dossier's button
NAME_CHARS = 22  # a longer name is cut on a button


async def pipeline_list(
    tx: Tx, tops: list[int], today: date, calendar: WorkCalendar, audience: Audience
) -> list[Reply]:
    """The list for the units ``tops`` and everything below them (names only where
    ``audience`` may read them)."""
    records = tx.repo(StageRecords)
    units = await tx.repo(UnitRows).unit_rows()
    ids: list[int] = []
    for top in tops:
        ids += subtree_of(units, top)
    total = await records.count_in(ids, OPEN_PHASES)
    if not total:
        return [Reply(text=t("step.list_empty") + "\n\n" + t("step.usage"))]
    due: dict[int, date] = {}
    open_clocks = await records.open_deadlines(ids, OPEN_PHASES, MAX_LIST, wide=total > WIDE_SCOPE)
    for clock, dossier_id, start in open_clocks:
        day = deadline(clock, from_day_number(start), today, calendar)
        if dossier_id not in due or day < due[dossier_id]:
            due[dossier_id] = day
    first = sorted(due, key=lambda i: (due[i], i))[:MAX_LIST]
    rows = [r for i in first if (r := await records.progress(i)) is not None]
    if len(rows) < MAX_LIST:  # the rest: dossiers without a running clock
        for r in await records.progress_in(ids, OPEN_PHASES, limit=MAX_LIST + len(rows)):
            if len(rows) < MAX_LIST and r.dossier_id not in first:
                rows.append(r)
    buttons = [[_button(r, due.get(r.dossier_id), today, audience)] for r in rows]
    text = t("step.list_title", near=NEAR_DAYS)
    if total > len(rows):
        text += "\n" + t("step.list_more", more=fmt_int(total - len(rows)))
    return [Reply(text=text + "\n" + t("step.list_hint"), buttons=buttons)]


def _button(row: ProgressRow, due: date | None, today: date, audience: Audience) -> Button:
    """ "12 · NGUYỄN VĂN A · quá hạn" (or its deadline, or its phase); "Hồ sơ số 12 · quá
    hạn" where names may not be shown."""
    if due is not None and due < today:
        tag = t("step.list_overdue")
    elif due is not None and (due - today).days <= NEAR_DAYS:
        tag = t("step.list_due", day=fmt_date(due, year=False))
    else:
        tag = t(f"phases_short.{row.phase}")
    action = CARD.encode(DossierRef(row.dossier_id))
    if not audience.names:
        return Button(f"{t('dossier_number', number=row.dossier_id)} · {tag}", action)
    name = row.full_name or t("no_name")
    if len(name) > NAME_CHARS:
        name = name[: NAME_CHARS - 1] + "…"
    return Button(f"{row.dossier_id} · {name} · {tag}", action)
