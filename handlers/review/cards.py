"""The review card: one message per dossier and unit, in the unit's group (or in each of its
reviewers' private chats when it has none), edited in place as comments come and go, closed
with the decision. A card in a chat that may no longer follow the review (a revoked reviewer's
private chat, a group bound to another unit) is withdrawn instead of edited.

A card carries the dossier's number, the candidate's name, the unit, the status, counts of
flags and comments and who acted — never content (issue 11): flags' texts, explanations,
comments and changes reach a reviewer privately, on request («Xem»), recorded as a view."""

from __future__ import annotations

import logging
from typing import Any

from admission import lifecycle
from forms.texts import render
from handlers import access
from handlers.events import Button, Chat, Reply
from handlers.org.common import shown_time
from handlers.review import actions
from handlers.review.actions import CardRef, CommentRef, DossierRef
from handlers.review.changes import Changes, changes_since
from handlers.review.context import ReviewSetup, t
from handlers.review.facts import completeness, item_ref
from storage.bot_messages import BotMessage, BotMessages
from storage.core import DossierRecord
from storage.db import Tx
from storage.org import Org, Unit
from storage.reviews import Reviews

log = logging.getLogger(__name__)

#: ``remember`` keys of the messages the flow finds again: a card
#: ``rvcard:<dossier>:<rev>:<unit>[:<message it replaces>]``, an item prompt
#: ``rvitem:<dossier>:<item>`` (see :meth:`ReviewFlow.message_sent`).
CARD_KEY = "rvcard"
ITEM_KEY = "rvitem"
#: A card lists at most this many comments of each kind by number; the rest are counted.
CARD_LISTED = 12


def unreachable(record: DossierRecord, unit: Unit) -> str:
    """What the secretaries are told when a card could reach nobody."""
    return t("card.unreachable", dossier=record.id, unit=unit.name, unit_id=unit.id)


def card_chat(platform: str, chat_id: str, unit: Unit) -> Chat:
    """The chat a remembered card sits in: the unit's group, or a reviewer's private chat."""
    if unit.group_platform == platform and unit.group_chat_id == chat_id:
        return Chat(platform, chat_id, "group", unit.name)
    return Chat(platform, chat_id, "private")


# ---------------------------------------------------------------------------------------------
# The card's text: numbers, names, counts; never content (issue 11)


def card_title(record: DossierRecord) -> str:
    """The card's first line (number and name): kept when the card is closed, so a busy group
    still sees which dossier a decision was about."""
    return render("review/card_title.j2", dossier=record.id, name=_name(record))


def _name(record: DossierRecord) -> str:
    return str(record.dossier.value("ho_ten") or t("no_name"))


async def _card_facts(
    setup: ReviewSetup, tx: Tx, record: DossierRecord, unit: Unit
) -> dict[str, Any]:
    """Number, name, place in the chain, status, completeness and counts: no content (no
    flag's text, explanation, comment or change — «Xem» sends those privately)."""
    org = tx.repo(Org)
    chain = await org.review_chain(record.unit_id) if record.unit_id else [unit]
    position = next((i for i, u in enumerate(chain) if u.id == unit.id), 0)
    home = await org.unit(record.unit_id) if record.unit_id else None
    flags = setup.checks(record.dossier, today=setup.today_at(tx))
    warnings = [f for f in flags if f.severity != "error"]
    done, total = completeness(record.dossier, setup.form)
    return dict(
        title=card_title(record),
        home=home.name if home else "",
        unit=unit,
        level=position + 1,
        levels=len(chain),
        revision=record.revision,
        submitted=shown_time(record.submitted_at),
        done=done,
        total=total,
        errors=len(flags) - len(warnings),
        warnings=len(warnings),
        unexplained=sum(1 for f in warnings if not f.explanation),
        changes=await changes_since_last_look(setup, tx, record, unit),
    )


async def card_text(
    setup: ReviewSetup, tx: Tx, record: DossierRecord, unit: Unit
) -> tuple[str, int]:
    """The card's text (numbers, name, status, counts, who wrote which comment number) and
    the number of open comments (for the buttons). It stays one short message, edited in
    place: comments beyond :data:`CARD_LISTED` of a kind are only counted."""
    comments = await comment_view(setup, tx, record)
    sent = [c for c in comments if lifecycle.comment_open(c["status"])]
    drafts = [c for c in comments if c["status"] == lifecycle.NEW_COMMENT]
    text = render(
        "review/card.j2",
        **await _card_facts(setup, tx, record, unit),
        sent=sent,
        drafts=drafts,
        addressed=sum(1 for c in sent if c["addressed"]),
        listed=CARD_LISTED,
        hidden=max(0, len(sent) - CARD_LISTED) + max(0, len(drafts) - CARD_LISTED),
    )
    return text, len(sent)


async def changes_since_last_look(
    setup: ReviewSetup, tx: Tx, record: DossierRecord, unit: Unit
) -> Changes | None:
    """What changed since the unit last decided on the dossier (None: first look; empty when
    it comes back unchanged)."""
    last = await tx.repo(Reviews).last_look(record.id, unit.id)
    if last is None or last > record.revision:
        return None
    return await changes_since(tx, record, last, setup.form)


async def comment_view(setup: ReviewSetup, tx: Tx, record: DossierRecord) -> list[dict[str, Any]]:
    """Drafts and open sent comments; a sent one is 'addressed' when its item changed since it
    was sent."""
    out: list[dict[str, Any]] = []
    changed: dict[int, set[int]] = {}  # items changed since a revision
    for c in await tx.repo(Reviews).comments(record.id, ("draft", "sent")):
        addressed = False
        if lifecycle.comment_open(c.status) and c.revision < record.revision:
            if c.revision not in changed:
                since = await changes_since(tx, record, c.revision, setup.form)
                changed[c.revision] = set(since.items)
            addressed = c.item_number in changed[c.revision]
        out.append(
            {
                "id": c.id,
                "ref": item_ref(c.item_number),
                "status": c.status,
                "author": c.author_name,
                "text": c.text,
                "addressed": addressed,
            }
        )
    return out


def card_buttons(record: DossierRecord, open_ids: list[int]) -> list[list[Button]]:
    card, dossier = CardRef(record.id, record.revision), DossierRef(record.id)
    rows = [
        [
            Button(t("button.view"), actions.VIEW.encode(card)),
            Button(t("button.comment"), actions.PICK_ITEM.encode(dossier)),
        ],
        [
            Button(t("button.return"), actions.RETURN.encode(card)),
            Button(t("button.approve"), actions.APPROVE.encode(card)),
        ],
    ]
    for cid in open_ids:
        rows.append(
            [
                Button(t("button.resolve", id=cid), actions.RESOLVE.encode(CommentRef(cid))),
                Button(t("button.keep", id=cid), actions.KEEP_OPEN.encode(CommentRef(cid))),
            ]
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Posting, refreshing, closing


async def card_reply(
    setup: ReviewSetup, tx: Tx, record: DossierRecord, unit: Unit, chat: Chat, edit_ref: str = ""
) -> Reply:
    text, _ = await card_text(setup, tx, record, unit)
    open_ids = [c.id for c in await tx.repo(Reviews).comments(record.id, ("sent",))]
    return Reply(
        text=text,
        buttons=card_buttons(record, open_ids),
        chat=chat,
        edit_ref=edit_ref,
        about=record.id,
        # an edit is remembered too: when the card cannot be edited (deleted by an admin, or
        # from before a supergroup upgrade) the adapter posts it anew, and that new message
        # replaces the old one (see message_sent)
        remember=f"{CARD_KEY}:{record.id}:{record.revision}:{unit.id}"
        + (f":{edit_ref}" if edit_ref else ""),
    )


async def post_card(setup: ReviewSetup, tx: Tx, record: DossierRecord, unit: Unit) -> list[Reply]:
    """The card to the unit's group, or privately to each of its reviewers who can be reached
    when the unit has no group."""
    if unit.group_chat_id and unit.group_platform:
        chat = Chat(unit.group_platform, unit.group_chat_id, "group", unit.name)
        return [await card_reply(setup, tx, record, unit, chat)]
    replies: list[Reply] = []
    org = tx.repo(Org)
    for role in await org.roles_in([unit.id], "reviewer"):
        found = await org.reach(role.platform, role.platform_user_id)
        if found is None:
            continue
        chat = Chat(*found, "private")
        replies.append(await card_reply(setup, tx, record, unit, chat))
    if not replies:
        log.info("dossier %s waits at unit %s with no way to reach it", record.id, unit.id)
    return replies


async def refresh_cards(
    setup: ReviewSetup, tx: Tx, record: DossierRecord, unit: Unit
) -> list[Reply]:
    """Edit the unit's open cards of this dossier (new counts, comments)."""
    replies: list[Reply] = []
    for card, chat in await _open_cards(tx, record, unit, replies):
        if card.revision == record.revision:
            replies.append(await card_reply(setup, tx, record, unit, chat, card.message_id))
    return replies


async def close_cards(
    tx: Tx,
    record: DossierRecord,
    unit: Unit,
    text: str,
    buttons: list[list[Button]] | None = None,
) -> list[Reply]:
    """Replace the unit's open cards of this dossier by ``text`` (no more buttons)."""
    replies: list[Reply] = []
    for card, chat in await _open_cards(tx, record, unit, replies):
        await mark_closed(tx, card)
        replies.append(
            Reply(
                text=text,
                chat=chat,
                edit_ref=card.message_id,
                buttons=buttons or [],
                about=record.id,
            )
        )
    return replies


async def _open_cards(
    tx: Tx, record: DossierRecord, unit: Unit, replies: list[Reply]
) -> list[tuple[BotMessage, Chat]]:
    """The unit's open cards of this dossier, with their chats. A card in a chat that may no
    longer follow the review (see :func:`withdrawal`) is withdrawn instead (an edit added to
    ``replies``)."""
    cards = []
    for card in await tx.repo(BotMessages).messages_for(record.id, "card"):
        if card.detail.get("unit") != unit.id or card.detail.get("closed"):
            continue
        chat = card_chat(card.platform, card.chat_id, unit)
        notice = await withdrawal(tx, chat, record, unit)
        if notice:
            await mark_closed(tx, card)
            replies.append(Reply(text=notice, chat=chat, edit_ref=card.message_id, about=record.id))
            continue
        cards.append((card, chat))
    return cards


async def withdrawal(tx: Tx, chat: Chat, record: DossierRecord, unit: Unit) -> str:
    """'' while a card's chat may follow ``unit``'s review: its group, or the private chat of
    one of its reviewers. Else the notice that replaces the card: the reader lost the reviewer
    role, or the chat is a group now serving another unit (or none)."""
    if chat.kind == "group":
        return ""
    user_id = await tx.repo(Org).private_chat_user(chat.platform, chat.id)
    person = await tx.people.find(chat.platform, user_id or chat.id)
    if person is None:
        return t("card.withdrawn_group", dossier=record.id, unit=unit.name)
    if await access.may_act(tx, person.id, unit):
        return ""
    return t("card.withdrawn", dossier=record.id, unit=unit.name)


async def mark_closed(tx: Tx, card: BotMessage) -> None:
    await tx.repo(BotMessages).remember(
        card.platform,
        card.chat_id,
        card.message_id,
        "card",
        card.dossier_id,
        card.revision,
        {**card.detail, "closed": True},
    )


async def remember_sent(tx: Tx, ref_key: str, platform: str, chat_id: str, message_id: str) -> bool:
    """Remember the id of a card or item prompt the adapter just sent (to edit or to recognise
    replies later). False when ``ref_key`` is not ours."""
    parts = ref_key.split(":", 4)  # a card's 5th part, the edited message, may hold ':'
    messages = tx.repo(BotMessages)
    if parts[0] == CARD_KEY and len(parts) in (4, 5):
        dossier_id, revision, unit_id = int(parts[1]), int(parts[2]), int(parts[3])
        replaced = parts[4] if len(parts) == 5 and parts[4] != message_id else ""
        if replaced:  # the edit could not be made: the new message is the card now
            old = await messages.message(platform, chat_id, replaced)
            if old is not None:
                await mark_closed(tx, old)
        await messages.remember(
            platform, chat_id, message_id, "card", dossier_id, revision, {"unit": unit_id}
        )
        return True
    if parts[0] == ITEM_KEY and len(parts) == 3:
        detail = {"item": int(parts[2])}
        await messages.remember(platform, chat_id, message_id, "item", int(parts[1]), None, detail)
        return True
    return False
