"""The review flow: its routes, the tables that send each event to its handler, and the hooks
the candidate flow and the adapter call (a dossier submitted, a message sent)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from admission import lifecycle
from admission.clock import ZONE, local_date
from admission.lifecycle import Move
from forms.definition import load_form
from forms.dossier import Dossier
from forms.model import FormDef
from handlers.candidate import jump_action as candidate_jump_action
from handlers.events import Event, EventKind, Reply
from handlers.org.common import grant_role, secretaries_reply, shown_time
from handlers.org.invites import invited_unit
from handlers.review import actions, comments, decisions, typed, viewing
from handlers.review.cards import close_cards, post_card, remember_sent, unreachable
from handlers.review.context import Checks, JumpAction, Renderer, ReviewContext, t
from handlers.routing import ActionCodec, Routes
from handlers.web.links import LinkSigner
from storage.bot_messages import BotMessages
from storage.core import DossierRecord
from storage.db import Tx
from storage.org import Org
from storage.reviews import Reviews

Handler = Callable[[ReviewContext], Awaitable[None]]
ButtonHandler = Callable[[ReviewContext, Any], Awaitable[None]]

#: What reviewers type, in a group or in private.
COMMANDS: dict[str, Handler] = {
    "nhanxet": comments.comment_command,
    "molai": decisions.reopen_command,
    "hoso": viewing.list_waiting,
    # the card's buttons typed as words (Zalo has no buttons: handlers/review/typed.py)
    "xem": typed.view_command,
    "duyet": typed.approve_command,
    "tralai": typed.return_command,
    "trogiup": viewing.group_help,
}
#: Typed commands where another flow owns the same word in private chats (the candidate's
#: /xem, /trogiup): the review answers them in groups only.
GROUP_ONLY = frozenset({"xem", "trogiup"})
BUTTONS: dict[ActionCodec[Any], ButtonHandler] = {
    actions.VIEW: viewing.view,
    actions.PICK_ITEM: comments.pick_item,
    actions.COMMENT_ITEM: comments.prompt_item,
    actions.RETURN: decisions.return_card,
    actions.APPROVE: decisions.approve_card,
    actions.RESOLVE: comments.resolve,
    actions.KEEP_OPEN: comments.keep_open,
    actions.DELETE_DRAFT: comments.delete_draft,
    actions.REOPEN: decisions.reopen_button,
    actions.SHOW_CARD: viewing.show_card,
    actions.FINAL_DOCX: viewing.send_final,
}
#: Remembered messages whose replies are comments.
COMMENTED = ("item", "card")


async def _command(ctx: ReviewContext) -> None:
    await COMMANDS[ctx.event.command](ctx)


async def _button(ctx: ReviewContext) -> None:
    for codec, handler in BUTTONS.items():
        decoded = codec.decode(ctx.event.action)
        if decoded is not None:
            await handler(ctx, decoded.payload)
            return
    ctx.toast(t("refuse.no_right"))


async def _reply(ctx: ReviewContext) -> None:
    event = ctx.event
    remembered = await ctx.tx.repo(BotMessages).message(
        event.chat.platform, event.chat.id, event.reply_to_ref
    )
    if remembered is None or remembered.purpose not in COMMENTED:
        return
    word = typed.card_words(ctx.event.text) if remembered.purpose == "card" else None
    dossier_id = remembered.dossier_id
    # "duyệt" replying to a card: its button, for a reviewer; anything else, a comment
    if word is not None and dossier_id is not None and await typed.on_card(ctx, word, dossier_id):
        return
    await comments.comment_reply(ctx, remembered)


KINDS: dict[EventKind, Handler] = {"command": _command, "button": _button, "text": _reply}


def _default_checks(dossier: Dossier, *, today: date | None = None) -> list[Any]:
    from forms.checks import run_checks

    return list(run_checks(dossier, today=today, reader="reviewer"))


def _default_render(dossier: Dossier, *, draft: bool, flags: Sequence[Any] | None = None) -> bytes:
    from forms.document import render_dossier

    return render_dossier(dossier, draft=draft, flags=flags)


class ReviewFlow:
    """Review actions in groups and in reviewers' private chats (see the package docstring)."""

    name = "review"
    routes = Routes(
        flow="review",
        prefix="rv",
        commands={c: "group" if c in GROUP_ONLY else "any" for c in COMMANDS},
        actions=tuple(BUTTONS),
        heavy_commands=frozenset({"xem", "duyet"}),
        replies=True,
    )

    def __init__(
        self,
        *,
        bot_username: str = "",
        today: Callable[[], date] | None = None,
        checks: Checks | None = None,
        renderer: Renderer | None = None,
        jump_action: JumpAction | None = None,
        form: FormDef | None = None,
        links: LinkSigner | None = None,
    ) -> None:
        self.bot_username = bot_username
        self.links = links  # the web companion's signed links (None: no web)
        self.today = today  # None: the users' date at the router's clock (tx.now)
        self.checks: Checks = checks or _default_checks
        self.renderer: Renderer = renderer or _default_render
        self.jump_action: JumpAction = jump_action or candidate_jump_action
        self.form = form or load_form()

    def today_at(self, tx: Tx) -> date:
        return self.today() if self.today is not None else local_date(tx.now, ZONE)

    async def owns_reply(self, tx: Tx, event: Event) -> bool:
        """A text replying to a card or an item prompt is a comment."""
        remembered = await tx.repo(BotMessages).message(
            event.chat.platform, event.chat.id, event.reply_to_ref
        )
        return remembered is not None and remembered.purpose in COMMENTED

    async def handle(self, tx: Tx, event: Event) -> list[Reply]:
        ctx = ReviewContext(
            self, tx, event, await tx.people.find(event.user.platform, event.user.id)
        )
        if ctx.person is not None and event.chat.kind == "private":
            await tx.repo(Org).note_private_chat(event.user.platform, event.user.id, event.chat.id)
        handler = KINDS.get(event.kind)
        if handler is not None:
            await handler(ctx)
        return ctx.replies

    async def message_sent(
        self, tx: Tx, ref_key: str, platform: str, chat_id: str, message_id: str
    ) -> bool:
        """Remember the id of a card or item prompt the adapter just sent (to edit or to
        recognise replies later). False when ``ref_key`` is not ours."""
        return await remember_sent(tx, ref_key, platform, chat_id, message_id)

    # -- submission hook ---------------------------------------------------------------------------
    async def on_submitted(self, tx: Tx, record: DossierRecord) -> list[Reply]:
        """Called by the candidate flow in the transaction that submitted the dossier: route it
        to the reviewing unit and post the card. Returns the replies to send (the card to the
        group, a note for the candidate)."""
        if record.unit_id is None:
            record = await _attach_unit(tx, record)
        unit = await tx.repo(Reviews).start_review(record)
        fresh = await tx.dossiers.get(record.id)
        assert fresh is not None
        if unit is None:
            # nobody reviews it: a 'submitted' dossier could be neither reviewed nor edited
            await tx.dossiers.set_status(fresh, lifecycle.target(Move.UNROUTE, fresh.status))
            home = await tx.repo(Org).unit(record.unit_id) if record.unit_id else None
            if home is None:
                return [Reply(text=t("candidate.no_unit"))]
            note = t("card.no_level", dossier=record.id, unit=home.name, unit_id=home.id)
            return [
                Reply(text=t("candidate.no_level", unit=home.name)),
                *await secretaries_reply(tx, home, note),
            ]
        await tx.audit.append(
            "submit",
            person_id=record.person_id,
            dossier_id=record.id,
            revision=fresh.revision,
            unit_id=unit.id,
        )
        replies = await post_card(self, tx, fresh, unit)
        if not replies:
            replies = await secretaries_reply(tx, unit, unreachable(record, unit))
        replies.insert(0, Reply(text=t("candidate.submitted", unit=unit.name)))
        return replies

    # -- withdrawal hook --------------------------------------------------------------------------
    async def on_withdrawn(self, tx: Tx, record: DossierRecord) -> list[Reply]:
        """Called by the candidate flow in the transaction that withdrew the dossier: its open
        cards at every level say so (no buttons, no name) and, when the dossier had been
        submitted, the secretaries of its unit are told privately."""
        if record.unit_id is None:
            return []
        org = tx.repo(Org)
        at = shown_time(tx.now)
        closed = t("card.closed_withdrawn", dossier=record.id, at=at)
        replies: list[Reply] = []
        for unit in await org.ancestors(record.unit_id):
            replies += await close_cards(tx, record, unit, closed)
        home = await org.unit(record.unit_id)
        if home is not None and record.submitted_at:
            note = t("card.withdrawn_note", dossier=record.id, unit=home.name, at=at)
            replies += await secretaries_reply(tx, home, note)
        return replies


async def _attach_unit(tx: Tx, record: DossierRecord) -> DossierRecord:
    """Give a dossier without a unit the chi bộ its candidate was invited to: the candidate
    role, else the candidate invite code kept in the conversation (a person who used an invite
    before consenting), which then also becomes the candidate role."""
    unit_id = await tx.repo(Org).candidate_unit(record.person_id)
    if unit_id is None:
        unit_id = await invited_unit(tx, await tx.conversations.for_dossier(record.id))
        if unit_id is None:
            return record
        await grant_role(tx, unit_id, record.person_id, "candidate", by=None, via="invite")
    await tx.dossiers.set_meta(record, unit_id=unit_id)
    fresh = await tx.dossiers.get(record.id)
    assert fresh is not None
    return fresh
