"""Consent first: before it only the screen "consent asked" is stored (no person, dossier or
answer); the consent opens the dossier (filed in the chi bộ of an invite kept from /start)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from forms.dossier import Dossier
from forms.texts import render
from handlers.candidate.actions import CONSENT, Answer, decode_action
from handlers.candidate.core import Conversation, Screen, Turn
from handlers.candidate.dialogs import Unset, open_first_question
from handlers.candidate.intent import typed_button
from handlers.candidate.summaries import overview_text
from handlers.candidate.texts import t, typed_yes_no
from handlers.events import Button


@dataclass(frozen=True, slots=True)
class Consent(Screen):
    """ "consent": the consent asked, with "Tôi đồng ý" / "Không đồng ý"."""

    kind = "consent"

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> Consent:
        return cls()

    def present(self, turn: Turn, tag: str, extra_options: Sequence[str]) -> None:
        open_first_question(turn)

    async def reply(self, turn: Turn) -> None:
        """An event before consent while it is asked: "đồng ý" / "không" (tapped or typed),
        anything else greets again."""
        event = turn.event
        action = event.action if event.kind == "button" else ""
        if event.kind == "text":
            action = typed_button(event.text, turn.conversation.buttons) or _typed(event.text)
        codec, decoded = decode_action(action) if action else (None, None)
        if codec is not CONSENT or decoded is None:
            greet(turn)
        elif decoded.payload.yes:
            await give_consent(turn)
        else:
            turn.say(t("consent.refused"))
            ask_consent(turn, repeat=True)


def _typed(text: str) -> str:
    """The consent action a typed reply means ("đồng ý", "dong y", "có", "không đồng ý"…)."""
    yes = typed_yes_no(text)
    return "" if yes is None else CONSENT.encode(Answer("yes" if yes else "no"))


def greet(turn: Turn) -> None:
    ask_consent(turn, greeting=True)


def ask_consent(turn: Turn, *, repeat: bool = False, greeting: bool = False) -> None:
    buttons = [
        [Button(t("consent.yes"), CONSENT.encode(Answer("yes")))],
        [Button(t("consent.no"), CONSENT.encode(Answer("no")))],
    ]
    text = t("consent.short") if repeat else render("chat/consent.j2")
    if greeting:
        text = f"{t('welcome')}\n\n{text}"
    turn.conversation = Conversation(
        Consent(),
        payload=turn.conversation.payload,
        buttons=[[b.label, b.action] for row in buttons for b in row],
    )
    turn.say(text, buttons)


async def give_consent(turn: Turn) -> None:
    user = turn.event.user
    turn.person = await turn.tx.people.get_or_create(
        user.platform, user.id, user.name, consent=True
    )
    await turn.tx.audit.append("consent_given", person_id=turn.person.id)
    turn.say(t("consent.thanks"))
    await new_dossier(turn)


async def new_dossier(turn: Turn) -> None:
    """The person's dossier (a new one, in the chi bộ of their invite), from its start."""
    assert turn.person is not None
    tx, wiring = turn.tx, turn.wiring
    turn.record = await tx.dossiers.current_for(turn.person.id)
    if turn.record is None:
        unit_id = None
        if wiring.unit_for is not None:
            unit_id = await wiring.unit_for(tx, turn.person.id, turn.conversation.payload)
        turn.record = await tx.dossiers.create(turn.person.id, Dossier(), unit_id=unit_id)
        await tx.audit.append("dossier_opened", person_id=turn.person.id, dossier_id=turn.record.id)
    turn.conversation = Conversation(Unset(), payload=turn.conversation.payload)
    turn.say(overview_text(turn, intro=True))
    turn.nav.goto(turn.nav.first_open(), push=False)
