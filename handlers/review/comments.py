"""Comments anchored to items: picked by button ("Nhận xét" → an item → a prompt to reply
to), typed in reply to a card ("15 nội dung") or as ``/nhanxet [#hồ sơ] <mục> <nội dung>``.
They stay drafts until the unit's return sends them all at once; a sent comment is resolved
or kept open from the card, a draft deleted by its author."""

from __future__ import annotations

import re

from admission import lifecycle
from handlers import access
from handlers.candidate.structure import structure_for
from handlers.dossier_refs import DOSSIER_WORDS
from handlers.events import Button, Reply
from handlers.review import actions
from handlers.review.acting import acting_unit, authorise, authorise_here, reviewing_units
from handlers.review.actions import CommentRef, DossierRef, ItemRef
from handlers.review.cards import ITEM_KEY, refresh_cards
from handlers.review.context import ReviewContext, t
from handlers.review.facts import commentable_items, item_label, item_ref
from storage.bot_messages import BotMessage, BotMessages
from storage.core import DossierRecord
from storage.org import Unit, storable
from storage.reviews import Comment, Reviews

MAX_COMMENT = 1500

#: A comment, and the dossier and unit the actor acts for on it.
CommentAt = tuple[Comment, tuple[DossierRecord, Unit]]


#: How an item is written before a comment: "mục 15", "mục15", "m15", "(15)".
_ITEM_WORD = r"(?:mục|muc|m(?=\d))"
#: The dossier named before the item: "#12 15 …", "hồ sơ số 12 mục 15 …", and a bare number
#: followed by an item written as one: "12 mục 15: …", "12: mục 15 …", "12 (15) …", "12 m15 …"
#: (the 12 is no item then).
_DOSSIER_FIRST = re.compile(
    rf"^(?:{DOSSIER_WORDS}(\d+)\s*[:,.]?\s*|(\d+)\s*[:,.]?\s+(?={_ITEM_WORD}\s*\(?\d|\(\d))(.*)$",
    re.IGNORECASE | re.DOTALL,
)


def leading_item(text: str) -> tuple[int | None, str]:
    """'15 nội dung' / '(15) nội dung' / 'mục 15: nội dung' → (15, 'nội dung'). The number must
    stand alone: '2019 …' or '10/2019 …' is no item number (None)."""
    match = re.match(
        rf"^\s*{_ITEM_WORD}?\s*(?:\((\d{{1,2}})\)\s*[:.\-–]?|(\d{{1,2}})(?:\s*[:.\-–]|\s|$))\s*(.*)$",
        text,
        re.IGNORECASE | re.DOTALL,
    )
    if not match:
        return None, text
    return int(match.group(1) or match.group(2)), match.group(3).strip()


def _item_and_comment(ctx: ReviewContext, text: str) -> tuple[int | None, str]:
    """The item a comment is on and its text: by the item's number ("15 …", "mục 15: …"), or
    named in words ("ngày sinh ghi sai", "bố: ghi rõ năm mất"), the name kept in the text (it
    tells the candidate what the comment is about)."""
    number, rest = leading_item(text)
    if number is None and (named := structure_for(ctx.setup.form).item_at_start(text)):
        return named.number, text.strip()
    return number, rest


# ---------------------------------------------------------------------------------------------
# Writing a comment


async def pick_item(ctx: ReviewContext, ref: DossierRef) -> None:
    """ "Nhận xét": a button per item."""
    found = await authorise_here(ctx, ref.dossier)
    if found is None:
        return
    record, _ = found
    numbers = commentable_items(ctx.setup.form)
    rows = [
        [
            Button(t("button.item", ref=str(n)), actions.COMMENT_ITEM.encode(ItemRef(record.id, n)))
            for n in numbers[i : i + 6]
        ]
        for i in range(0, len(numbers), 6)
    ]
    ctx.replies.append(Reply(toast=""))
    ctx.say(t("comment.pick_item", dossier=record.id), buttons=rows)


async def prompt_item(ctx: ReviewContext, ref: ItemRef) -> None:
    """An item picked: the prompt whose replies are comments on it."""
    found = await authorise_here(ctx, ref.dossier)
    if found is None:
        return
    record, _ = found
    form = ctx.setup.form
    if ref.item not in commentable_items(form):
        ctx.toast(t("refuse.bad_item", text=str(ref.item)))
        return
    text = t(
        "comment.prompt",
        dossier=record.id,
        ref=item_ref(ref.item),
        label=item_label(form, ref.item),
    )
    ctx.say(text, remember=f"{ITEM_KEY}:{record.id}:{ref.item}")


def _comment_refused(ctx: ReviewContext, number: int, text: str) -> str:
    """Why the comment cannot be stored ('' when it can)."""
    if number not in commentable_items(ctx.setup.form):
        return t("refuse.bad_item", text=str(number))
    if not text:
        return t("refuse.empty_comment")
    if len(text) > MAX_COMMENT:
        return t("refuse.comment_too_long", limit=MAX_COMMENT)
    return ""


async def add_comment(ctx: ReviewContext, dossier_id: int, number: int, text: str) -> None:
    found = await authorise_here(ctx, dossier_id)
    if found is None:
        return
    record, unit = found
    text = text.strip()
    refused = _comment_refused(ctx, number, text)
    if refused:
        ctx.say(refused)
        return
    assert ctx.person is not None
    reviews = ctx.tx.repo(Reviews)
    comment = await reviews.add_comment(
        record.id, record.revision, unit.id, number, ctx.person.id, text
    )
    await ctx.audit("comment", record, unit, {"comment": comment.id, "item": number})
    drafts = len(await reviews.drafts(record.id))
    saved = t(
        "comment.saved",
        id=comment.id,
        author=ctx.event.user.name or comment.author_name,
        ref=item_ref(number),
        dossier=record.id,
        drafts=drafts,
    )
    delete = actions.DELETE_DRAFT.encode(CommentRef(comment.id))
    ctx.say(saved, buttons=[[Button(t("button.delete_draft", id=comment.id), delete)]])
    ctx.replies.extend(await refresh_cards(ctx.setup, ctx.tx, record, unit))


async def comment_reply(ctx: ReviewContext, remembered: BotMessage) -> None:
    """A text replying to an item prompt (a comment on that item) or to a card ("15 …")."""
    dossier_id = remembered.dossier_id
    if dossier_id is None:
        return
    text = ctx.event.text
    if remembered.purpose == "item":
        await add_comment(ctx, dossier_id, int(remembered.detail.get("item", 0)), text)
        return
    number, rest = leading_item(text)
    if number is None:
        # a reply to a card may be chatter: a reviewer's is read with the item named at its
        # start ("quê quán: ghi theo địa danh mới"), as /nhanxet reads it; others' ignored
        record = await ctx.tx.dossiers.get(dossier_id)
        unit = await acting_unit(ctx, record) if record else None
        if not (unit and ctx.person and await access.may_act(ctx.tx, ctx.person.id, unit)):
            return
        number, rest = _item_and_comment(ctx, text)
        if number is None:
            ctx.say(t("refuse.comment_usage"))
            return
    await add_comment(ctx, dossier_id, number, rest)


async def comment_command(ctx: ReviewContext) -> None:
    """/nhanxet [#hồ sơ] <mục> <nội dung>; the item by its number or named in words (the
    comment keeps the name: it tells the candidate what it is about)."""
    text = ctx.event.text.strip()
    dossier_id: int | None = None
    match = _DOSSIER_FIRST.match(text)
    if match:
        dossier_id, text = int(match.group(1) or match.group(2)), match.group(3)
    number, rest = _item_and_comment(ctx, text)
    if number is None:
        ctx.say(t("refuse.comment_usage"))
        return
    if dossier_id is None and ctx.event.reply_to_ref:
        remembered = await ctx.tx.repo(BotMessages).message(
            ctx.event.chat.platform, ctx.event.chat.id, ctx.event.reply_to_ref
        )
        if remembered is not None:
            dossier_id = remembered.dossier_id
    if dossier_id is None:
        # «/nhanxet 12 ngày sinh …», «/nhanxet 12 15 …»: a bare number first is the dossier
        # when one waiting has it and an item follows it (else it is the item, as before)
        first, _, after = text.strip().partition(" ")
        item, said = _item_and_comment(ctx, after) if first.isdigit() else (None, "")
        chosen = int(first) if item is not None and storable(int(first)) else None
        dossier_id = await only_dossier(ctx, chosen)
        if dossier_id is None:
            return
        if item is not None and dossier_id == chosen:
            number, rest = item, said
    await add_comment(ctx, dossier_id, number, rest)


async def only_dossier(ctx: ReviewContext, chosen: int | None = None) -> int | None:
    """The one dossier waiting for the actor's unit — or ``chosen`` when it is one of those
    waiting — or None after saying why not."""
    units = await reviewing_units(ctx, "refuse.no_right")
    if units is None:
        return None
    waiting = []
    for unit in units:
        waiting.extend(await ctx.tx.repo(Reviews).under_review(unit))
    if chosen is not None and any(w.dossier_id == chosen for w in waiting):
        return chosen
    if len(waiting) == 1:
        return waiting[0].dossier_id
    if not waiting:
        ctx.say(t("refuse.no_dossier_here", unit=units[0].name))
    else:
        ctx.say(t("refuse.which_dossier", example=waiting[0].dossier_id))
    return None


# ---------------------------------------------------------------------------------------------
# A comment's state: deleted (a draft, by its author), resolved, kept open


async def delete_draft(ctx: ReviewContext, ref: CommentRef) -> None:
    found = await _comment_and_unit(ctx, ref.comment)
    if found is None:
        return
    comment, _ = found
    assert ctx.person is not None
    if comment.author_id != ctx.person.id:
        ctx.toast(t("refuse.not_author", id=comment.id))
        return
    done = await ctx.tx.repo(Reviews).delete_draft(comment.id, ctx.person.id)
    await _comment_changed(ctx, found, done, "comment_deleted", "deleted")


async def resolve(ctx: ReviewContext, ref: CommentRef) -> None:
    found = await _comment_and_unit(ctx, ref.comment)
    if found is None:
        return
    assert ctx.person is not None
    done = await ctx.tx.repo(Reviews).resolve(ref.comment, ctx.person.id) is not None
    await _comment_changed(ctx, found, done, "comment_resolved", "resolved")


async def keep_open(ctx: ReviewContext, ref: CommentRef) -> None:
    found = await _comment_and_unit(ctx, ref.comment)
    if found is None:
        return
    done = lifecycle.comment_open(found[0].status)
    await _comment_changed(ctx, found, done, "comment_kept", "kept")


async def _comment_and_unit(ctx: ReviewContext, comment_id: int) -> CommentAt | None:
    """The comment and the (dossier, unit) the actor acts for on it, or None after saying no."""
    comment = await ctx.tx.repo(Reviews).comment(comment_id) if storable(comment_id) else None
    if comment is None:
        ctx.toast(t("refuse.no_right"))
        return None
    found = await authorise(ctx, comment.dossier_id)
    if found is None:
        return None
    return comment, found


async def _comment_changed(
    ctx: ReviewContext, found: CommentAt, done: bool, action: str, key: str
) -> None:
    """Audit, toast, notice and refreshed cards after a comment's state changed (``done``)."""
    comment, (record, unit) = found
    if not done:
        ctx.toast(t("refuse.comment_closed"))
        return
    await ctx.audit(action, record, unit, {"comment": comment.id})
    ctx.toast(t(f"toast.{key}"))
    if key != "deleted":
        ref = item_ref(comment.item_number)
        ctx.say(t(f"comment.{key}", who=ctx.who, id=comment.id, ref=ref))
    elif ctx.event.message_ref:
        ctx.say(t("comment.deleted", id=comment.id), edit_ref=ctx.event.message_ref)
    ctx.replies.extend(await refresh_cards(ctx.setup, ctx.tx, record, unit))
