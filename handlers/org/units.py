"""/quanly, /donvi and /capduyet: what a secretary manages, new units, review levels."""

from __future__ import annotations

import re

from admission.organisation import kind_from_name
from forms.texts import render
from forms.vn import fold
from handlers import access
from handlers.events import Reply
from handlers.org.common import OrgContext, choose_unit, leading_unit, t, unit_row
from storage.org import Org, storable
from storage.reviews import Reviews


async def help_command(ctx: OrgContext) -> list[Reply]:
    """/quanly: what a secretary can do, and their units."""
    units = await ctx.managed()
    return [Reply(text=render("review/manage_help.j2", units=[unit_row(u) for u in units]))]


async def units_command(ctx: OrgContext) -> list[Reply]:
    """/donvi: the units one manages; ``/donvi [#cha] Tên`` creates a sub-unit."""
    units = await ctx.managed()
    if not units:
        return [Reply(text=t("no_units"))]
    text = ctx.event.text.strip()
    if not text:
        lines = [
            t("units_header"),
            *(t("unit_line", **unit_row(u)) for u in units),
            "",
            t("units_footer"),
        ]
        return [Reply(text="\n".join(lines))]
    parent_id, name = leading_unit(text)
    parent = choose_unit(units, parent_id)
    if isinstance(parent, Reply):
        return [parent]
    name = " ".join(name.split())
    if not name:
        return [Reply(text=t("name_missing"))]
    assert ctx.person is not None
    kind = kind_from_name(name, parent.kind)
    unit = await ctx.tx.repo(Org).create_unit(name[:200], kind, parent.id)
    await ctx.tx.audit.append(
        "unit_create",
        person_id=ctx.person.id,
        unit_id=unit.id,
        detail={"name": unit.name, "parent": parent.id, "kind": unit.kind},
    )
    text = t(
        "created",
        id=unit.id,
        name=unit.name,
        parent=parent.name,
        level=unit.review_level,
        level_name=unit.level_name,
    )
    return [Reply(text=text)]


def _level(level_text: str, name: str) -> tuple[int | None, str] | None:
    """The level and its name typed after ``/capduyet #unit``; None when it is no level."""
    if level_text in ("khong", "0", "-"):
        return None, ""
    if level_text.isdigit() and 0 < int(level_text) <= 9:
        level = int(level_text)
        return level, " ".join(name.split())[:100] or t("level_default_name", level=level)
    return None


async def level_command(ctx: OrgContext) -> list[Reply]:
    """/capduyet #đơn_vị số_cấp Tên cấp | /capduyet #đơn_vị khong."""
    tx, person = ctx.tx, ctx.person
    match = re.match(r"^\s*#?(\d+)\s+(\S+)\s*(.*)$", ctx.event.text, re.DOTALL)
    if not match:
        return [Reply(text=t("level_usage"))]
    unit_id, level_text = int(match.group(1)), fold(match.group(2))
    if (
        person is None
        or not storable(unit_id)
        or not await access.may_manage(tx, person.id, unit_id)
    ):
        return [Reply(text=t("unit_not_managed", id=unit_id))]
    org = tx.repo(Org)
    typed = _level(level_text, match.group(3))
    if typed is None:
        return [Reply(text=t("level_usage"))]
    level, name = typed
    unit = await org.unit(unit_id)
    waiting = await tx.repo(Reviews).under_review(unit) if unit else []
    if unit is not None and waiting and level != unit.review_level:
        # they would wait at a level no unit has any more: invisible, refused to everyone
        ids = ", ".join(f"#{w.dossier_id}" for w in waiting[:10])
        return [Reply(text=t("level_busy", name=unit.name, count=len(waiting), ids=ids))]
    await org.set_review_level(unit_id, level, name)
    unit = await org.unit(unit_id)
    assert unit is not None
    await tx.audit.append(
        "review_level_set",
        person_id=person.id,
        unit_id=unit_id,
        detail={"level": level, "name": name},
    )
    text = t("level_set", id=unit.id, name=unit.name, level=level, level_name=unit.level_name)
    return [Reply(text=text)]
