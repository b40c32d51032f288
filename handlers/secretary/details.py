"""Details go privately, and each showing is recorded (issue 11).

:func:`privately` sends what a "Xem chi tiết" button asks for to the tapper's private chat,
never to the group it was tapped in. :func:`record_views` writes one ``view`` row of
``audit_log`` per dossier whose details were shown — the same rows the review flow writes,
so a dossier's history and the candidate's "who saw my data" list both show it.

Every screen with details goes through the access gate (:mod:`handlers.access`), as the
reviewers' «Xem» does: :func:`gated` narrows a request's audience to no details when the gate
would not let the person read the dossier now (a draft, a dossier under review or back with
its candidate for a secretary, a withdrawn one for anybody but its candidate), and
:func:`record_views` records each view through the gate. The steps after approval are the
secretaries' and reviewers': to send a verification they read who the relatives are and where
they live, and the gate lets them once the dossier is approved.
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


async def may_read(tx: Tx, person_id: int | None, dossier_ids: Iterable[int]) -> set[int]:
    """Which of ``dossier_ids`` the gate lets ``person_id`` read now."""
    allowed = set()
    for dossier_id in set(dossier_ids):
        record = await tx.dossiers.get(dossier_id)
        if record is not None and (await access.access(tx, person_id, record)).may_view:
            allowed.add(dossier_id)
    return allowed


async def gated(tx: Tx, request: Request, dossier_id: int) -> Request:
    """``request`` with details only if the gate lets its person read the dossier now."""
    if not request.audience.details:
        return request
    person_id = request.person.id if request.person is not None else None
    if dossier_id in await may_read(tx, person_id, [dossier_id]):
        return request
    return replace(request, audience=replace(request.audience, details=False))


async def record_views(tx: Tx, person_id: int, dossier_ids: Iterable[int], *, what: str) -> None:
    """One view row per dossier whose details ``person_id`` was shown (``what``: which
    screen: ``stage_card``, ``stage_person``, ``stage_date``, ``summary``), through the gate
    (:class:`handlers.access.AccessDenied` if it refuses one: the caller showed details it
    should not have, and the transaction rolls back)."""
    for dossier_id in sorted(set(dossier_ids)):
        await access.open_for_view(tx, person_id, dossier_id, what=what)
