"""The unit's own settings, for secretaries of the unit or of a unit above it
(:func:`handlers.secretary.scope.as_secretary`): /giobaocao, the hour of the daily digest in
the unit's group, and /hienten, whether summaries and digests in that group may name
candidates (issue 11: off by default; each change is an audit row)."""

from __future__ import annotations

import re

from forms.framing import polite_words
from forms.vn import fold
from handlers.events import Reply
from handlers.secretary.common import DIGEST_OFF, QUIET_FROM, QUIET_UNTIL, Request, t
from handlers.secretary.scope import Managed, as_secretary
from storage.db import Tx
from storage.reviews import Org
from storage.stages import UnitRows

_ON = frozenset({"bat", "co", "on", "mo", "hien"})
_OFF = frozenset({"tat", "khong", "off", "an"})
# Words after a switch that say nothing more: "tắt đi", "bật lên nhé", "tắt giúp tôi ạ" (the
# polite tails of forms/data/framing.toml, and a few of a request's own)
_AFTER_SWITCH = polite_words()[1] | {"len", "nua", "giup", "gium", "toi"}


def _switch(args: str) -> str:
    """The folded switch word of ``args`` without what follows it ("tắt đi" → "tat")."""
    words = fold(args).split()
    while len(words) > 1 and words[-1] in _AFTER_SWITCH:
        words.pop()
    return "".join(words)


async def digest_hour_command(tx: Tx, request: Request) -> list[Reply]:
    """/giobaocao: the hour of the unit's daily digest, or off."""
    return await as_secretary(tx, request, _set_digest_hour)


async def names_command(tx: Tx, request: Request) -> list[Reply]:
    """/hienten: whether the unit's group may see candidates' names (bật / tắt)."""
    return await as_secretary(tx, request, _set_names)


# -- /giobaocao ----------------------------------------------------------------------------------


async def _set_digest_hour(tx: Tx, m: Managed) -> list[Reply]:
    word = _switch(m.args)
    if word in ("tat", "khong", "off"):
        await tx.repo(UnitRows).set_digest_hour(m.unit_id, DIGEST_OFF)
        return [Reply(text=t("digest_hour.off", unit=m.unit_name))]
    # whole hours only: "8", "8h", "8 giờ", "8:00", "8h00" ("7:30" is not an hour)
    match = re.fullmatch(r"(\d{1,2})(?:h|gio|:00|h00|gio00)?(?:sang|chieu)?", word)
    if match is None:
        return [Reply(text=t("digest_hour.usage"))]
    hour = int(match.group(1))
    if word.endswith("chieu") and hour < 12:
        hour += 12  # "5 giờ chiều"
    if not QUIET_UNTIL <= hour < QUIET_FROM:
        return [Reply(text=t("digest_hour.night"))]
    await tx.repo(UnitRows).set_digest_hour(m.unit_id, hour)
    await tx.audit.append(
        "digest_hour", person_id=m.person.id, unit_id=m.unit_id, detail={"hour": hour}
    )
    text = t("digest_hour.saved", unit=m.unit_name, hour=hour)
    unit = await tx.repo(Org).unit(m.unit_id)
    if unit is not None and not unit.has_group:  # the digest goes to the unit's group
        text += "\n" + t("digest_hour.no_group", unit=m.unit_name)
    return [Reply(text=text)]


# -- /hienten ------------------------------------------------------------------------------------


async def _set_names(tx: Tx, m: Managed) -> list[Reply]:
    word = _switch(m.args)
    units = tx.repo(UnitRows)
    if word not in _ON | _OFF:
        current = t("names.current", unit=m.unit_name, on=await units.names_in_group(m.unit_id))
        return [Reply(text=current + "\n\n" + t("names.usage"))]
    allowed = word in _ON
    await units.set_names_in_group(m.unit_id, allowed)
    await tx.audit.append(
        "names_in_group", person_id=m.person.id, unit_id=m.unit_id, detail={"on": allowed}
    )
    return [Reply(text=t("names.turned_on" if allowed else "names.turned_off", unit=m.unit_name))]
