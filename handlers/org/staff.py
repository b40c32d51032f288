"""Staff in their private chat: a reviewer's or secretary's /start and free text (their roles,
not the candidate's consent prompt), and /lichsu, a dossier's history."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from admission import access as rules
from forms.texts import render
from handlers import access
from handlers.events import Reply
from handlers.org.common import OrgContext, no_right, role_label, shown_time, t
from handlers.stages import person_label, step_label
from storage.history import History, HistoryEntry
from storage.org import storable


async def staff_start(ctx: OrgContext) -> list[Reply]:
    """/start or free text from a reviewer or secretary: their roles."""
    grants = await access.grants_of(ctx.tx, ctx.person.id if ctx.person else None)
    roles = [r for r in grants if r.role in rules.STAFF_ROLES]
    if not roles:
        return []
    lines = [t("staff_role", role=role_label(r.role), unit=r.unit_name) for r in roles]
    return [Reply(text=render("review/staff_welcome.j2", roles=lines))]


async def staff_help(ctx: OrgContext) -> list[Reply]:
    """/trogiup from a reviewer or secretary with no dossier of their own: their roles and
    the commands of each (the candidate's help lists filling in a biography); [] for
    anyone else, who gets the candidate's help."""
    grants = await access.grants_of(ctx.tx, ctx.person.id if ctx.person else None)
    roles = [r for r in grants if r.role in rules.STAFF_ROLES]
    if not roles:
        return []
    lines = [t("staff_role", role=role_label(r.role), unit=r.unit_name) for r in roles]
    held = {r.role for r in roles}
    text = render(
        "review/staff_help.j2",
        roles=lines,
        reviewer="reviewer" in held,
        secretary="secretary" in held,
    )
    return [Reply(text=text)]


def _history_row(entry: HistoryEntry) -> dict[str, Any]:
    row: dict[str, Any] = {
        "at": shown_time(entry.at),
        "action": entry.action,
        "who": entry.person_name,
        "revision": entry.revision,
        "unit": entry.unit_name,
        "detail": entry.detail,
    }
    if entry.action in ("stage", "stage_undo"):  # a secretary's step after approval
        detail = entry.detail
        on = str(detail.get("on", ""))
        row["step"] = step_label(str(detail.get("stage", "")))
        row["verified"] = person_label(detail["person"]) if detail.get("person") else ""
        row["on"] = date.fromisoformat(on).strftime("%d/%m/%Y") if on else ""
    return row


async def history_command(ctx: OrgContext) -> list[Reply]:
    """/lichsu #hồ_sơ: who did what, when, on which revision (never content)."""
    tx, person = ctx.tx, ctx.person
    match = re.match(r"^\s*(?:#|hs\s*)?(\d+)\s*$", ctx.event.text, re.IGNORECASE)
    if not match:
        return [Reply(text=t("history_usage"))]
    dossier_id = int(match.group(1))
    record = await tx.dossiers.get(dossier_id) if storable(dossier_id) else None
    if record is None or not await access.may_read_history(
        tx, person.id if person else None, record
    ):
        return no_right()
    entries = await tx.repo(History).of_dossier(dossier_id)
    if not entries:
        return [Reply(text=t("history_none", id=dossier_id))]
    # the candidate flow and the review flow both record a submission: say it once
    submitted = {e.revision for e in entries if e.action == "submit"}
    rows = [
        _history_row(e)
        for e in entries
        if not (e.action == "dossier_submitted" and e.revision in submitted)
    ]
    return [Reply(text=render("review/history.j2", dossier=dossier_id, rows=rows))]
