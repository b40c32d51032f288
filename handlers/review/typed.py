"""Review decisions typed as words, for platforms without buttons (Zalo: a reviewer mentions
the bot in the group, ``@bot duyệt 12``; bot/zalo/events.py reads it as ``/duyet 12``).

``/xem 12``, ``/duyet 12``, ``/tralai 12`` are the card's «Xem», «Duyệt» and «Trả lại» for
dossier 12 at the revision under review: the same handlers, so the same checks, decisions,
audit and private delivery of content. Without a number, the one dossier waiting for the
group's unit is meant (as ``/nhanxet``)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from handlers.dossier_refs import DOSSIER_WORDS
from handlers.review import comments, decisions, viewing
from handlers.review.actions import CardRef
from handlers.review.context import ReviewContext, t
from storage.org import storable

_NUMBER = re.compile(rf"^\s*{DOSSIER_WORDS}?(\d+)\s*[:,.]?\s*(.*?)\s*$", re.I | re.S)
#: What may follow the number and mean nothing more ("duyệt hồ sơ 12 ạ")
_POLITE = re.compile(r"^(?:ạ|nhé|nha|nhá|ạ nhé)?[\s.!]*$", re.IGNORECASE)


async def _card(ctx: ReviewContext) -> CardRef | None:
    """The card the typed command means, or None after saying why not. Words after the
    number ("trả lại 12 vì thiếu mục 15") are no part of a decision: they would be lost, so
    nothing is decided and the reviewer is told to write them as a comment first."""
    text = ctx.event.text.strip()
    if text:
        match = _NUMBER.match(text)
        if match is None or not storable(int(match.group(1))):
            ctx.say(t("refuse.typed_usage", command=ctx.event.command))
            return None
        if not _POLITE.match(match.group(2)):
            # not quoted back: in a group, what a reviewer writes of a dossier is content
            number = int(match.group(1))
            ctx.say(t("refuse.typed_extra", command=ctx.event.command, number=number))
            return None
        dossier_id: int | None = int(match.group(1))
    else:
        dossier_id = await comments.only_dossier(ctx)
        if dossier_id is None:
            return None
    assert dossier_id is not None
    record = await ctx.tx.dossiers.get(dossier_id)
    return CardRef(dossier_id, record.revision if record is not None else 0)


def _typed(
    handler: Callable[[ReviewContext, CardRef], Awaitable[None]],
) -> Callable[[ReviewContext], Awaitable[None]]:
    async def run(ctx: ReviewContext) -> None:
        card = await _card(ctx)
        if card is not None:
            await handler(ctx, card)

    return run


view_command = _typed(viewing.view)
approve_command = _typed(decisions.approve_card)
return_command = _typed(decisions.return_card)
