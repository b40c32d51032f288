"""A unit's decisions on a dossier: return (with every draft comment, to the candidate),
approve (forwarded to the next level, or final: locked, the final .docx privately to the
candidate, and on request to the deciding unit's secretaries — never into a group), reopen
(unlock an approved dossier; an explicit, recorded act, refused after the admission
decision).

The rules — whose turn it is, which revision, why a decision is refused — are
:mod:`admission.lifecycle`'s; :class:`storage.reviews.Reviews` applies them and writes the
outcome. This module tells people."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from admission.lifecycle import DecisionRefused
from forms.texts import render
from handlers import access
from handlers.events import Button, Chat, Reply
from handlers.org.common import secretaries_reply, shown_time
from handlers.review import actions
from handlers.review.acting import authorise
from handlers.review.actions import CardRef, DossierRef
from handlers.review.cards import (
    card_chat,
    card_title,
    close_cards,
    post_card,
    unreachable,
    withdrawal,
)
from handlers.review.context import ReviewContext, t
from handlers.review.facts import item_label, item_ref
from handlers.review.viewing import final_document
from storage.bot_messages import BotMessages
from storage.core import DossierRecord
from storage.db import Tx
from storage.org import Org, Unit
from storage.reviews import Comment, Decision, Outcome, Reviews

#: Refusals told as they are named (``refuse.<reason>``), without details.
_PLAIN_REFUSALS = (
    "no_comments",
    "not_locked",
    "not_found",
    "not_under_review",
    "admission_decided",
)


async def return_card(ctx: ReviewContext, card: CardRef) -> None:
    """ "Trả lại"."""
    await _decide(ctx, "return", card)


async def approve_card(ctx: ReviewContext, card: CardRef) -> None:
    """ "Duyệt"."""
    await _decide(ctx, "approve", card)


async def _decide(ctx: ReviewContext, kind: str, card: CardRef) -> None:
    found = await authorise(ctx, card.dossier)
    if found is None:
        return
    record, unit = found
    assert ctx.person is not None
    reviews = ctx.tx.repo(Reviews)
    decide = reviews.approve if kind == "approve" else reviews.return_
    try:
        outcome = await decide(card.dossier, card.revision, unit.id, ctx.person.id)
    except DecisionRefused as refused:
        text = await refusal(ctx.tx, refused, unit, card.revision, record)
        ctx.toast(text)
        if ctx.event.kind == "button":
            ctx.say(text)
        return
    detail: dict[str, Any] = {"level": outcome.decision.level}
    if kind == "return":
        detail["comments"] = [c.id for c in outcome.sent]
    await ctx.audit(kind, record, unit, detail)
    await _AFTER[outcome.kind](ctx, outcome)


async def refusal(
    tx: Tx, refused: DecisionRefused, unit: Unit, card_revision: int, record: DossierRecord
) -> str:
    """Why the decision was refused, for people."""
    reason = refused.reason
    if reason == "already_decided" and isinstance(refused.existing, Decision):
        person = await tx.people.get(refused.existing.person_id)
        return t(
            "refuse.already_decided",
            who=person.display_name if person else "",
            decision=t(f"decision.{refused.existing.decision}"),
            at=shown_time(refused.existing.created_at),
        )
    if reason == "outdated":
        return t("refuse.outdated", card_revision=card_revision, revision=record.revision)
    if reason == "not_your_turn":
        return t("refuse.not_your_turn", unit=unit.name)
    if reason == "drafts_pending":
        drafts = await tx.repo(Reviews).drafts(record.id)
        return t(
            "refuse.drafts_pending", count=len(drafts), ids=", ".join(f"#{c.id}" for c in drafts)
        )
    if reason in _PLAIN_REFUSALS:
        return t(f"refuse.{reason}")
    return t("refuse.no_right")


# ---------------------------------------------------------------------------------------------
# Telling people


async def _candidate_chat(tx: Tx, record: DossierRecord) -> Chat | None:
    person = await tx.people.get(record.person_id)
    if person is None:
        return None
    found = await tx.repo(Org).reach(person.platform, person.platform_user_id)
    platform, chat_id = found or (person.platform, person.platform_user_id)
    return Chat(platform, chat_id, "private")


async def _to_candidate(ctx: ReviewContext, record: DossierRecord, *replies: Reply) -> bool:
    """``replies`` to the candidate's private chat; False when the candidate is gone."""
    chat = await _candidate_chat(ctx.tx, record)
    if chat is None:
        return False
    for reply in replies:
        reply.chat, reply.about = chat, record.id
        ctx.replies.append(reply)
    return True


async def _closed(
    ctx: ReviewContext,
    outcome: Outcome,
    key: str,
    buttons: list[list[Button]] | None = None,
    **kw: Any,
) -> None:
    """The toast for a decision, and the unit's open cards closed with ``card.<key>``."""
    ctx.toast(t("toast.approved" if outcome.kind != "returned" else "toast.returned"))
    closing = t(
        f"card.{key}",
        unit=outcome.unit.name,
        revision=outcome.decision.revision,
        who=ctx.who,
        at=shown_time(outcome.decision.created_at),
        **kw,
    )
    text = f"{card_title(outcome.record)}\n{closing}"
    ctx.replies.extend(await close_cards(ctx.tx, outcome.record, outcome.unit, text, buttons))


def _item_for_candidate(
    ctx: ReviewContext, number: int, comments: list[tuple[Comment, bool]]
) -> Reply:
    """One item's comments (``(comment, from an earlier return)``) in one message with the
    one button that opens the item: three comments on (15) are one thing to fix, not three
    messages with three identical buttons."""
    ref = item_ref(number)
    text = render(
        "review/comments_on_item.j2",
        ref=ref,
        label=item_label(ctx.setup.form, number),
        comments=[{"text": c.text, "earlier": earlier} for c, earlier in comments],
    )
    jump = ctx.setup.jump_action(number)
    return Reply(text=text, buttons=[[Button(t("button.jump", ref=ref), jump)]])


def _by_item(ctx: ReviewContext, sent: list[Comment], still_open: list[Comment]) -> list[Reply]:
    """The comments to the candidate, item by item in the form's order."""
    items: dict[int, list[tuple[Comment, bool]]] = {}
    for comment, earlier in [*((c, False) for c in sent), *((c, True) for c in still_open)]:
        items.setdefault(comment.item_number, []).append((comment, earlier))
    return [_item_for_candidate(ctx, n, items[n]) for n in sorted(items)]


async def _after_return(ctx: ReviewContext, outcome: Outcome) -> None:
    tx, record, unit, sent = ctx.tx, outcome.record, outcome.unit, outcome.sent
    await _closed(ctx, outcome, "closed_returned", count=len(sent))
    sent_ids = {c.id for c in sent}
    still_open = [
        c for c in await tx.repo(Reviews).comments(record.id, ("sent",)) if c.id not in sent_ids
    ]
    header = render(
        "review/returned.j2", unit=unit.name, count=len(sent), still_open=len(still_open)
    )
    comments = [*sent, *still_open]
    texts = _by_item(ctx, sent, still_open)
    if not await _to_candidate(ctx, record, Reply(text=header), *texts):
        return
    await access.record_delivery(
        tx,
        record.person_id,
        record,
        what="comments",
        unit_id=unit.id,
        comments=[c.id for c in comments],
    )


async def _after_forward(ctx: ReviewContext, outcome: Outcome) -> None:
    tx, record, unit, nxt = ctx.tx, outcome.record, outcome.unit, outcome.next_unit
    assert nxt is not None
    await _closed(ctx, outcome, "closed_forwarded", next=nxt.name)
    posted = await post_card(ctx.setup, tx, record, nxt)
    ctx.replies.extend(posted)
    if not nxt.has_group:
        key = "card.next_not_bound" if posted else "card.nobody_to_review"
        ctx.say(t(key, unit=nxt.name, dossier=record.id))
    text = t("candidate.forwarded", unit=unit.name, next=nxt.name)
    await _to_candidate(ctx, record, Reply(text=text))
    if not posted:  # last: the candidate's news first, the routing trouble after it
        ctx.replies.extend(await secretaries_reply(tx, nxt, unreachable(record, nxt)))


async def _after_final(ctx: ReviewContext, outcome: Outcome) -> None:
    """Locked: the final .docx privately to the candidate (protected from forwarding); the
    card closed with «Mở lại» and «Bản chính thức»; the deciding unit's secretaries told
    privately, with the button that sends them the .docx on request. Nothing of the content
    goes into a group."""
    tx, record, unit = ctx.tx, outcome.record, outcome.unit
    dossier = DossierRef(record.id)
    buttons = [
        [Button(t("button.reopen"), actions.REOPEN.encode(dossier))],
        [Button(t("button.final"), actions.FINAL_DOCX.encode(dossier))],
    ]
    await _closed(ctx, outcome, "closed_approved", buttons)
    text = render("review/final_candidate.j2", unit=unit.name)
    final = Reply(text=text, document=final_document(ctx.setup, record), protect=True)
    if await _to_candidate(ctx, record, final):
        await access.record_delivery(
            tx, record.person_id, record, what="final_docx", unit_id=unit.id
        )
    # the secretaries last: a secretary who blocked the bot must not delay the candidate's news
    note = t(
        "card.final_secretaries",
        dossier=record.id,
        name=record.dossier.value("ho_ten") or t("no_name"),
        unit=unit.name,
    )
    ctx.replies.extend(await secretaries_reply(tx, unit, note, buttons=buttons[1:]))


#: What follows each outcome of a decision.
_AFTER: dict[str, Callable[[ReviewContext, Outcome], Awaitable[None]]] = {
    "returned": _after_return,
    "forwarded": _after_forward,
    "approved": _after_final,
}


# ---------------------------------------------------------------------------------------------
# Reopening


async def reopen_command(ctx: ReviewContext) -> None:
    """/molai #hồ_sơ."""
    match = re.match(r"^\s*(?:#|hs\s*)?(\d+)\s*$", ctx.event.text, re.IGNORECASE)
    if not match:
        ctx.say(t("refuse.reopen_usage"))
        return
    await _reopen(ctx, int(match.group(1)))


async def reopen_button(ctx: ReviewContext, ref: DossierRef) -> None:
    """ "Mở lại" under a final card."""
    await _reopen(ctx, ref.dossier)


async def _reopen(ctx: ReviewContext, dossier_id: int) -> None:
    found = await authorise(ctx, dossier_id)
    if found is None:
        return
    record, unit = found
    assert ctx.person is not None
    try:
        outcome = await ctx.tx.repo(Reviews).reopen(dossier_id, unit.id, ctx.person.id)
    except DecisionRefused as refused:
        ctx.toast(await refusal(ctx.tx, refused, unit, record.revision, record))
        return
    await ctx.audit("reopen", outcome.record, unit)
    if ctx.event.kind == "button":  # a command gets the notice below, once
        ctx.toast(t("toast.reopened"))
    reopened = t("card.closed_reopened", who=ctx.who, at=shown_time(outcome.decision.created_at))
    text = f"{card_title(outcome.record)}\n{reopened}"
    edited = await _edit_final_cards(ctx, record, unit, text)
    if not edited or ctx.event.kind == "command":
        ctx.say(text)
    await _to_candidate(ctx, outcome.record, Reply(text=t("candidate.reopened", unit=unit.name)))


async def _edit_final_cards(
    ctx: ReviewContext, record: DossierRecord, unit: Unit, text: str
) -> bool:
    """The unit's final cards of ``record`` say it was reopened; False when there was none."""
    edited = False
    for card in await ctx.tx.repo(BotMessages).messages_for(record.id, "card"):
        if card.detail.get("unit") != unit.id or card.revision != record.revision:
            continue
        chat = card_chat(card.platform, card.chat_id, unit)
        if await withdrawal(ctx.tx, chat, record, unit):
            continue  # a card withdrawn from a chat that no longer follows this unit
        ctx.replies.append(Reply(text=text, chat=chat, edit_ref=card.message_id, about=record.id))
        edited = True
    return edited
