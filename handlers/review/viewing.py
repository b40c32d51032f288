"""Reading a dossier: "Xem" sends the draft .docx and a text summary (flags, explanations,
comments, changes) to the reviewer's PRIVATE chat (the group only learns that it was sent);
"Bản chính thức" sends the approved .docx privately to a secretary of the deciding unit;
/hoso lists the dossiers waiting for the actor's units with a button each that posts the card
again where it was tapped (a card far up a busy group, or one never posted because nobody
could receive it). Everything shown goes through the access gate and is recorded as a view,
and is sent protected from forwarding where the platform allows."""

from __future__ import annotations

from typing import Any

from admission import lifecycle
from forms.texts import message, render
from handlers import access
from handlers.events import Button, Chat, Document, Reply, WebRef
from handlers.org.common import shown_time
from handlers.review import actions
from handlers.review.acting import acting_unit, authorise_here, reviewing_units
from handlers.review.actions import CardRef, DossierRef
from handlers.review.cards import card_reply, changes_since_last_look, comment_view
from handlers.review.context import ReviewContext, ReviewSetup, t
from handlers.review.facts import item_label, item_ref, summarize
from handlers.web.links import Obj
from storage.core import DossierRecord
from storage.org import Org, Unit, storable
from storage.reviews import Reviews

MAX_CARD_BUTTONS = 24  # /hoso: one "show the card" button per waiting dossier


async def _private_chat_of_actor(ctx: ReviewContext) -> str | None:
    event = ctx.event
    if event.chat.kind == "private":
        return event.chat.id
    return await ctx.tx.repo(Org).private_chat(event.user.platform, event.user.id)


async def view(ctx: ReviewContext, card: CardRef) -> None:
    """ "Xem": the draft .docx and a summary, privately; the group learns nothing more."""
    tx, event = ctx.tx, ctx.event
    if ctx.person is None or not storable(card.dossier):
        ctx.toast(t("refuse.no_right"))
        return
    record = await tx.dossiers.get(card.dossier)
    # reviewers only: the view lists the reviewers' unsent comments, and the candidate reads
    # their own dossier in their own conversation
    if record is None or (await access.access(tx, ctx.person.id, record)).standing != ("reviewer"):
        ctx.toast(t("refuse.no_right"))
        return
    unit = await acting_unit(ctx, record)
    if ctx.in_group and unit is None:
        ctx.toast(t("refuse.no_right"))
        return
    private_id = await _private_chat_of_actor(ctx)
    if private_id is None:
        bot = f"@{ctx.setup.bot_username}" if ctx.setup.bot_username else "bot"
        ctx.toast(t("refuse.open_private_toast"))
        ctx.say(t("refuse.open_private_first", name=event.user.name or t("comrade"), bot=bot))
        return
    record = await access.open_for_view(
        tx, ctx.person.id, card.dossier, what="draft_docx", unit_id=unit.id if unit else None
    )
    chat = Chat(event.user.platform, private_id, "private")
    await _send_view(ctx, record, unit, card.revision, chat)
    if ctx.in_group:  # a tap's toast; a typed «xem» hears it in the group, or hears nothing
        if ctx.event.kind == "button":
            ctx.replies.insert(0, Reply(toast=t("toast.sent_private")))
        else:
            ctx.say(t("typed_sent_private", dossier=record.id, who=ctx.who or t("comrade")))


async def send_final(ctx: ReviewContext, ref: DossierRef) -> None:
    """ "Bản chính thức": the approved .docx, privately, to a secretary of the deciding unit
    (the card's button and the note they got at the approval carry it)."""
    if ctx.person is None or not storable(ref.dossier):
        ctx.toast(t("refuse.no_right"))
        return
    try:
        record, unit_id = await access.final_for(ctx.tx, ctx.person.id, ref.dossier, recorded=False)
    except access.AccessDenied:
        ctx.toast(t("refuse.final_secretaries"))
        return
    private_id = await _private_chat_of_actor(ctx)
    if private_id is None:
        bot = f"@{ctx.setup.bot_username}" if ctx.setup.bot_username else "bot"
        ctx.toast(t("refuse.open_private_toast"))
        ctx.say(t("refuse.open_private_first", name=ctx.who or t("comrade"), bot=bot))
        return
    await access.record_view(ctx.tx, ctx.person.id, record, what="final_docx", unit_id=unit_id)
    chat = Chat(ctx.event.user.platform, private_id, "private")
    ctx.replies.append(Reply(toast=t("toast.final_sent")))
    ctx.replies.append(Reply(chat=chat, document=final_document(ctx.setup, record), protect=True))


def final_document(setup: ReviewSetup, record: DossierRecord) -> Document:
    """The approved dossier as the official .docx (no draft mark)."""
    return Document(
        f"2KND-ho-so-{record.id}-ban-{record.revision}.docx",
        setup.renderer(record.dossier, draft=False, flags=[]),
        caption=t("caption.final", dossier=record.id),
        web=WebRef("dossier", record.id),
    )


async def _send_view(
    ctx: ReviewContext, record: DossierRecord, unit: Unit | None, card_revision: int, chat: Chat
) -> None:
    """The summary and the draft .docx to ``chat``."""
    setup, tx = ctx.setup, ctx.tx
    flags = setup.checks(record.dossier, today=setup.today_at(tx))
    changes = await changes_since_last_look(setup, tx, record, unit) if unit else None
    text = render(
        "review/view.j2",
        dossier=record.id,
        name=record.dossier.value("ho_ten") or t("no_name"),
        revision=record.revision,
        card_revision=card_revision,
        status=record.status,
        items=summarize(record.dossier, setup.form),
        flags=[
            {
                "ref": item_ref(f.item),
                "error": f.severity == "error",
                "message": f.message,
                "explanation": f.explanation or "",
            }
            for f in flags
        ],
        changes=changes,
        labels={n: item_label(setup.form, n) for n in (changes.items if changes else {})},
        comments=await comment_view(setup, tx, record),
    )
    buttons = []
    if unit is not None and lifecycle.waits_at(
        record.status, record.review_level, unit.review_level
    ):
        buttons = [[Button(t("button.comment"), actions.PICK_ITEM.encode(DossierRef(record.id)))]]
    document = Document(
        filename=f"2KND-ho-so-{record.id}-ban-{record.revision}-nhap.docx",
        data=setup.renderer(record.dossier, draft=True, flags=flags),
        caption=t("caption.draft", dossier=record.id, revision=record.revision),
        web=WebRef("dossier", record.id),
    )
    links = setup.links
    if links is not None and ctx.person is not None:  # the same view on the web, privately
        url = links.issue(ctx.person.id, Obj("review", record.id))
        minutes = round(links.ttl.total_seconds() / 60)
        text += "\n\n" + message("web.chat.staff_link", url=url, minutes=minutes)
    ctx.replies.append(Reply(text=text, chat=chat, protect=True, about=record.id))
    ctx.replies.append(Reply(chat=chat, buttons=buttons, document=document, protect=True))


async def group_help(ctx: ReviewContext) -> None:
    """/trogiup (or /help) typed in a group: what a reviewer types there. An outsider's gets
    nothing in the group (the router's rule)."""
    if await reviewing_units(ctx, "refuse.not_registered") is not None:
        ctx.say(render("review/group_help.j2"))


async def list_waiting(ctx: ReviewContext) -> None:
    """/hoso: dossiers waiting for the actor's units (names only)."""
    allowed = await reviewing_units(ctx, "refuse.not_registered")
    if allowed is None:
        return
    rows: list[dict[str, Any]] = []
    for unit in allowed:
        for item in await ctx.tx.repo(Reviews).under_review(unit):
            rows.append(
                {
                    "unit": unit.name,
                    "id": item.dossier_id,
                    "name": item.full_name,
                    "revision": item.revision,
                    "since": shown_time(item.submitted_at),
                }
            )
    ids = [r["id"] for r in rows][:MAX_CARD_BUTTONS]
    buttons = [
        [Button(t("button.card", id=d), actions.SHOW_CARD.encode(DossierRef(d))) for d in row]
        for row in (ids[i : i + 4] for i in range(0, len(ids), 4))
    ]
    ctx.say(
        render("review/waiting.j2", rows=rows, units=[u.name for u in allowed]),
        buttons=buttons,
    )


async def show_card(ctx: ReviewContext, ref: DossierRef) -> None:
    """A fresh card here (from /hoso): the group's card scrolled far away, or none was ever
    posted (the unit had no group and no reachable reviewer at submission)."""
    found = await authorise_here(ctx, ref.dossier)
    if found is None:
        return
    record, unit = found
    ctx.replies.append(Reply(toast=""))
    ctx.replies.append(await card_reply(ctx.setup, ctx.tx, record, unit, ctx.event.chat))
