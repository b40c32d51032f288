"""Details go privately, and each showing is recorded (issue 11).

:func:`privately` sends what a "Xem chi tiết" button asks for to the tapper's private chat,
never to the group it was tapped in. :func:`record_views` writes one ``view`` row of
``audit_log`` per dossier whose details were shown — the same rows the review flow writes,
so a dossier's history and the candidate's "who saw my data" list both show it.

The access gate (:func:`handlers.access.open_for_view`) records the view of a reviewer of the
dossier's unit or above. The gate does not know secretaries — on the reviewers' side they never
read content — but the steps after approval are theirs: to send a verification they read who
the relatives are and where they live. The caller has already checked that the person oversees
the dossier here (:func:`handlers.secretary.scope.dossier_refusal`); when the gate turns down a
secretary, the same row is written with ``"as": "secretary"``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace

from handlers import access
from handlers.events import Chat, Reply
from handlers.secretary.common import Request, t
from handlers.summary import PRIVATE
from storage.db import Tx
from storage.reviews import Org


async def privately(
    tx: Tx, request: Request, build: Callable[[Request], Awaitable[list[Reply]]]
) -> list[Reply]:
    """What ``build`` makes for a private reader, sent to the person's private chat (as it is,
    when asked in private); in a group only a notice to the tapper says where it went — or that
    a private chat with the bot must be opened first (the platform refuses a bot's first
    private message), and then nothing is built, so no view is recorded."""
    event = request.event
    private = replace(request, audience=PRIVATE)
    if event.chat.kind != "group":
        return await build(private)
    chat_id = await tx.repo(Org).private_chat(event.user.platform, event.user.id)
    if chat_id is None:
        return [Reply(toast=t("details.open_private"))]
    chat = Chat(event.user.platform, chat_id, "private")
    replies = await build(private)
    return [*(replace(r, chat=chat) for r in replies), Reply(toast=t("details.sent_privately"))]


async def record_views(tx: Tx, person_id: int, dossier_ids: Iterable[int], *, what: str) -> None:
    """One view row per dossier whose details ``person_id`` was shown (``what``: which
    screen: ``stage_card``, ``stage_person``, ``stage_date``, ``summary``)."""
    for dossier_id in sorted(set(dossier_ids)):
        try:
            await access.open_for_view(tx, person_id, dossier_id, what=what)
        except access.AccessDenied:
            record = await tx.dossiers.get(dossier_id)
            if record is None:
                continue
            manages = await access.may_manage(tx, person_id, record.unit_id or 0)
            await tx.audit.append(
                "view",
                person_id=person_id,
                dossier_id=dossier_id,
                revision=record.revision,
                unit_id=record.unit_id,
                detail={"what": what, "as": "secretary" if manages else "overseer"},
            )
