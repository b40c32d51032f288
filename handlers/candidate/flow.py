"""The candidate flow: one event in, the screen on display answers it, the state is saved.

Durability: every answer is a :class:`storage.core.Change` applied as a new dossier revision,
and the conversation (:mod:`.state`) is saved in ``conversations`` — both in the router's
transaction, before the replies leave. A restarted process resumes at the same question.

Every button is also answerable by typing its number or its label
(:func:`handlers.candidate.intent.typed_button`); the buttons under the last flag list by
their label.

Hooks for the other flows: ``on_submitted(tx, record) -> list[Reply]`` is called in the
transaction that submits the dossier (the review flow routes it); ``on_start(tx, event,
payload) -> list[Reply] | None`` sees a /start payload first (invites; None = not an invite,
the payload is then kept in the conversation, see :func:`.state.invite_payload`);
``unit_for(tx, person id, payload)`` files a new dossier in its chi bộ; ``on_withdrawn(tx,
record) -> list[Reply]`` is called in the transaction that withdraws a dossier (the review
flow closes its cards and tells the secretaries); ``staff_help(tx, event)`` answers a
candidate's command (/trogiup, /xem 12) from a reviewer or secretary with no dossier: their
commands. ``notice``: what the consent names from the deployment's settings (the
controller, the retention periods).
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from admission.clock import ZONE, local_date
from forms.checks import Flag
from forms.definition import load_form
from forms.dossier import Dossier
from forms.framing import option_number
from forms.model import FormDef
from forms.texts import message
from handlers.candidate.actions import ACTIONS, decode_action
from handlers.candidate.commands import (
    ACTION_TABLE,
    COMMAND_TABLE,
    resume,
    staff_answered,
    stale,
)
from handlers.candidate.consent import Consent, ask_consent, greet, new_dossier, renewal
from handlers.candidate.core import (
    DraftAhead,
    Notice,
    Renderer,
    StaffHelpHook,
    StartHook,
    SubmittedHook,
    Turn,
    UnitHook,
    Wiring,
    WithdrawnHook,
    asks,
)
from handlers.candidate.dialogs import Idle
from handlers.candidate.intent import typed_button
from handlers.candidate.navigation import Navigator
from handlers.candidate.state import decode, encode
from handlers.candidate.structure import structure_for
from handlers.candidate.texts import COMMAND_NAMES, COMMANDS, t
from handlers.events import Event, Reply
from handlers.routing import Routes
from handlers.web.links import LinkSigner
from storage.core import ConversationRecord, DossierRecord, encode_state
from storage.db import Tx
from storage.outbox import Outbox

_GLUED_COMMAND = re.compile(r"([a-z]+)(\d+)")


def _default_renderer(dossier: Dossier, flags: list[Flag]) -> bytes:
    from forms.document import render_dossier

    return render_dossier(dossier, draft=True, flags=flags)


class CandidateFlow:
    """Owns private chats' conversations (the routing table's default owner)."""

    name = "candidate"
    routes = Routes(
        flow="candidate",
        prefix="c",
        commands={name: "private" for name in COMMAND_NAMES if name != "start"},
        heavy_commands=frozenset({"xem", "dulieu"}),
        actions=ACTIONS,
        private_default=True,
    )

    def __init__(
        self,
        *,
        form: FormDef | None = None,
        on_submitted: SubmittedHook | None = None,
        on_start: StartHook | None = None,
        unit_for: UnitHook | None = None,
        on_withdrawn: WithdrawnHook | None = None,
        staff_help: StaffHelpHook | None = None,
        renderer: Renderer | None = None,
        draft_ahead: DraftAhead | None = None,
        zone: ZoneInfo = ZONE,
        notice: Notice | None = None,
        links: LinkSigner | None = None,
    ) -> None:
        self.form = form or load_form()
        self.wiring = Wiring(
            form=self.form,
            structure=structure_for(self.form),
            renderer=renderer or _default_renderer,
            on_submitted=on_submitted,
            on_start=on_start,
            unit_for=unit_for,
            on_withdrawn=on_withdrawn,
            staff_help=staff_help,
            notice=notice or Notice(),
            links=links,
            draft_ahead=draft_ahead,
        )
        self.zone = zone

    async def handle(self, tx: Tx, event: Event) -> list[Reply]:
        """The routing table hands this flow private conversations and its own buttons only."""
        conv = await tx.conversations.get(event.chat.platform, event.chat.id, event.user.id)
        turn = await self.load(tx, event, conv)
        await run(turn)
        turn.flush_notes()
        if turn.record is not None:
            turn.conversation.seen = turn.record.revision
        await self.save(turn, conv)
        if turn.record is not None:  # what a candidate's turn says shows or names their dossier
            for reply in turn.replies:
                reply.about = reply.about or turn.record.id
        turn.end()
        return turn.replies

    async def load(self, tx: Tx, event: Event, conv: ConversationRecord | None) -> Turn:
        user = event.user
        record: DossierRecord | None = None
        if conv and conv.dossier_id:  # the usual event: both in one read
            found = await tx.dossiers.get_with_person(conv.dossier_id, user.platform, user.id)
            person, record = found
        else:
            person = await tx.people.find(user.platform, user.id)
        if person is None or not person.consent_at:
            record = None
        else:
            if record is not None and record.status == "deleted":
                record = None
            if record is None:
                record = await tx.dossiers.current_for(person.id)
        conversation = decode(conv.state if conv else {})
        today = local_date(tx.now, self.zone)
        turn = Turn(self.wiring, tx, event, conversation, person, record, today)
        turn.nav = Navigator(turn)
        return turn

    async def save(self, turn: Turn, conv: ConversationRecord | None) -> None:
        """Store the conversation (not when nothing changed)."""
        state = encode(turn.conversation)
        encoded = encode_state(state)
        person_id = turn.person.id if turn.person and turn.person.consent_at else None
        dossier_id = turn.record.id if turn.record else None
        if (
            conv
            and encoded == conv.encoded
            and (conv.person_id, conv.dossier_id)
            == (
                person_id,
                dossier_id,
            )
        ):
            return
        event = turn.event
        await turn.tx.conversations.save(
            event.chat.platform,
            event.chat.id,
            event.user.id,
            state,
            person_id=person_id,
            dossier_id=dossier_id,
            encoded=encoded,
        )


async def run(turn: Turn) -> None:
    """What the event means, from commands down to a typed answer."""
    event = turn.event
    if await renewal(turn):
        return
    if event.kind == "command":
        await dispatch_command(turn, event.command, event.text.strip())
    elif not turn.consented:
        if isinstance(turn.screen, Consent):
            await turn.screen.reply(turn)
        else:
            greet(turn)
    elif turn.record is None:
        await new_dossier(turn)
    elif event.kind == "button":
        await dispatch_action(turn, event.action)
    elif event.kind == "other":
        turn.say(t("not_answer.noise"))
        turn.nav.reask()
    else:
        await answer(turn, event.text)


async def answer(turn: Turn, text: str) -> None:
    """Typed text: a button's number or label, else an answer to the screen — provided the
    person saw the question on display (:func:`question_seen`); else it is sent again."""
    conv = turn.conversation
    if not await question_seen(turn):
        turn.nav.reask()
        return
    if changed_elsewhere(turn):
        turn.say(message("web.chat.changed"))
        await resume(turn, None)
        return
    action = typed_button(text, conv.buttons)
    if action is None and option_number(text) is None:
        # The buttons under the last flag list, by label (their numbers are the console's).
        action = typed_button(text, conv.flag_buttons)
    if action is not None:
        await dispatch_action(turn, action)
    elif not turn.editable and not turn.screen.any_status:
        turn.refuse()
    else:
        await turn.screen.on_text(turn, text)


def changed_elsewhere(turn: Turn) -> bool:
    """The dossier moved since this chat last spoke (the web form, another channel): the
    question on display may be answered or no longer apply, so a text typed now is not
    filed under it; the chat resumes at the first open question instead. A pause
    («Tiếp tục» does that already) and a conversation from before this was kept are left."""
    conv, record = turn.conversation, turn.record
    if record is None or conv.seen is None or record.revision == conv.seen:
        return False
    return turn.editable and not isinstance(turn.screen, Idle)


async def question_seen(turn: Turn) -> bool:
    """False when the question on display was queued for the person and has not reached
    them (still waiting for a retry, or given up): a text typed now answers the question
    they still see, the one before, and must not be filed under this one (issue 10: a
    retyped "Kinh" filed as the religion). Without a record of it (the console, a pruned
    outbox) the text is taken as the answer."""
    chat = turn.event.chat
    last = await turn.tx.repo(Outbox).last_prompt(chat.platform, chat.id)
    if last is None or not asks(last.prompt, turn.conversation.asked):
        return True
    return last.delivered


async def dispatch_action(turn: Turn, data: str) -> None:
    """A button: one of an older message is refused; those that work on every screen come
    first, then the screen's own."""
    codec, decoded = decode_action(data)
    if codec is None or decoded is None:  # no action of ours, or a malformed one
        await turn.screen.on_action(turn, None, None)
        return
    if decoded.seq is not None and decoded.seq != turn.conversation.asked:
        stale(turn)
        return
    handler = ACTION_TABLE.get(codec.tag)
    if handler is not None:
        await handler(turn, decoded.payload)
    else:
        await turn.screen.on_action(turn, codec, decoded.payload)


async def dispatch_command(turn: Turn, name: str, arg: str) -> None:
    glued = _GLUED_COMMAND.fullmatch(name)
    if glued and glued[1] in COMMAND_NAMES and not arg:
        name, arg = glued[1], glued[2]  # "/sua15"
    command = COMMAND_TABLE.get(name)
    if command is not None and command.anytime:
        await command.run(turn, arg)
        return
    if not turn.consented or turn.record is None:
        if await staff_answered(turn):
            return
        turn.say(t("consent.needed"))
        if not turn.consented:
            ask_consent(turn, repeat=isinstance(turn.screen, Consent))
        else:
            await new_dossier(turn)
        return
    if command is None:
        turn.say(t("unknown_command", commands=[c for c, _ in COMMANDS]))
        turn.nav.reask()
        return
    await command.run(turn, arg)
