"""Consent first: before it only the screen "consent asked" is stored (no person, dossier or
answer); the consent opens the dossier (filed in the chi bộ of an invite kept from /start).

The consent names the purpose, the data (the sensitive categories by name), who receives it,
the messenger and where its servers are, how long it is kept, the candidate's rights and the
controller (:class:`.core.Notice`, from settings). A short screen comes first, «Xem đầy đủ»
shows the whole text. The version accepted is stored with the time (``people``) and in the
audit row; when the text's version changes (``consent.version`` in ``templates/chat.toml``),
the next message of a person who accepted an older one meets the new text before anything
else, and the conversation resumes where it was once they accept (:func:`renewal`). The
candidate's rights (/dulieu, /rut, /xoa and their confirmations) never wait for it.

The text names the channel the messages go through (Telegram: servers abroad; Zalo: VNG, files
by private link), so the consent recorded says which channels' wording was accepted
(:func:`recorded`): a person linked on two channels (/lienket) who moves to one whose sentence
they never read is asked again in that channel's wording, the conversation kept, and from then
on both are recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from forms.classify import Verdict
from forms.dossier import Dossier
from forms.texts import render
from handlers.candidate.actions import CONSENT, NOTICE, Answer, decode_action
from handlers.candidate.core import Conversation, Screen, Turn
from handlers.candidate.dialogs import Unset, open_first_question
from handlers.candidate.intent import read, typed_button
from handlers.candidate.summaries import overview_text
from handlers.candidate.texts import short, t, typed_yes_no
from handlers.events import Button

#: Commands that work while a renewed consent is pending: the candidate's rights.
RIGHTS = frozenset({"xoa", "rut", "dulieu"})


def version() -> str:
    """The version of the consent's text shown now."""
    return t("consent.version")


def wording(platform: str) -> str:
    """Which channel sentence of chat/consent.j2 a platform's people read."""
    return "zalo" if platform == "zalo" else "telegram"


def accepted(stored: str | None) -> tuple[str, frozenset[str]]:
    """The version and the channels' wordings a recorded consent accepted ("2" is version 2
    read on Telegram, as recorded before Zalo existed; "2@telegram,zalo" both)."""
    text, _, channels = (stored or "").partition("@")
    return text, frozenset(channels.split(",")) if channels else frozenset({"telegram"})


def recorded(channels: frozenset[str]) -> str:
    """What ``people.consent_version`` keeps for the text shown now read in ``channels``."""
    if channels == {"telegram"}:
        return version()
    return f"{version()}@{','.join(sorted(channels))}"


@dataclass(frozen=True, slots=True)
class Consent(Screen):
    """ "consent": the consent asked, with "Tôi đồng ý" / "Không đồng ý" / "Xem đầy đủ"."""

    kind = "consent"

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> Consent:
        return cls()

    def present(self, turn: Turn, tag: str, extra_options: Sequence[str]) -> None:
        open_first_question(turn)

    async def reply(self, turn: Turn) -> None:
        """An event before consent while it is asked: "đồng ý" / "không" (tapped or typed),
        "Xem đầy đủ"; anything else greets again."""
        codec, decoded = decode_action(_consent_action(turn, typed=True))
        if codec is NOTICE:
            ask_consent(turn, full=True)
        elif codec is not CONSENT or decoded is None:
            not_yet(turn)
        elif decoded.payload.yes:
            await give_consent(turn)
        else:
            turn.say(t("consent.refused"))
            ask_consent(turn, repeat=True)


def not_yet(turn: Turn) -> None:
    """A text typed at the consent that does not answer it: an answer typed ahead ("Trần
    Minh Khoa") is told it was not stored and why, with the short question; a question
    ("dữ liệu lưu ở đâu?") gets the whole notice; a greeting, a sticker, the welcome again
    (the long screen is sent again only when it may help)."""
    event = turn.event
    reading = read(event.text, None) if event.kind == "text" else None
    if reading is None or reading.reason == "greeting":
        greet(turn)
    elif reading.verdict is Verdict.QUESTION:
        ask_consent(turn, full=True)
    else:
        turn.say(t("consent.first", typed=short(event.text, 60)))
        ask_consent(turn, repeat=True)


def _consent_action(turn: Turn, *, typed: bool) -> str:
    """The consent action the event means: a tapped button, or (``typed``) a typed label,
    number, "đồng ý", "dong y", "có", "không đồng ý"…; "" when none."""
    event = turn.event
    if event.kind == "button":
        return event.action
    if event.kind != "text" or not typed:
        return ""
    yes = typed_yes_no(event.text)
    by_yes_no = "" if yes is None else CONSENT.encode(Answer("yes" if yes else "no"))
    return typed_button(event.text, turn.conversation.buttons) or by_yes_no


def notice(turn: Turn) -> dict[str, Any]:
    """What the consent's texts name from the deployment, and the channel the messages go
    through (the one the person writes on: Telegram or Zalo)."""
    settings = turn.wiring.notice
    return {
        "channel": wording(turn.event.chat.platform),
        "controller": settings.controller or t("consent.controller_unset"),
        "days": settings.retention_days,
        "abandoned": settings.abandoned_days,
        "warning": settings.abandoned_warning_days,
    }


def consent_text(turn: Turn, *, full: bool) -> str:
    return render("chat/consent_full.j2" if full else "chat/consent.j2", **notice(turn))


def _buttons(*, full: bool) -> list[list[Button]]:
    rows = [
        [Button(t("consent.yes"), CONSENT.encode(Answer("yes")))],
        [Button(t("consent.no"), CONSENT.encode(Answer("no")))],
    ]
    if not full:
        rows.append([Button(t("consent.full"), NOTICE.encode())])
    return rows


def greet(turn: Turn) -> None:
    ask_consent(turn, greeting=True)


def ask_consent(
    turn: Turn, *, repeat: bool = False, greeting: bool = False, full: bool = False
) -> None:
    buttons = _buttons(full=full)
    text = t("consent.short") if repeat else consent_text(turn, full=full)
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
    given = recorded(frozenset({wording(user.platform)}))
    turn.person = await turn.tx.people.get_or_create(
        user.platform, user.id, user.name, consent=True, version=given
    )
    await turn.tx.audit.append("consent_given", person_id=turn.person.id, detail={"version": given})
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


# ---------------------------------------------------------------------------------------------
# A changed text: asked again, the conversation kept


def outdated(turn: Turn) -> bool:
    """Whether the person consented to an older text than the one shown now, or read it in
    another channel's wording than the one they write on now."""
    if turn.person is None or not turn.person.consent_at:
        return False
    text, channels = accepted(turn.person.consent_version)
    return text != version() or wording(turn.event.chat.platform) not in channels


def _renew_intro(turn: Turn) -> str:
    assert turn.person is not None
    if accepted(turn.person.consent_version)[0] == version():  # the channel changed
        return t("consent.channel_intro", channel=t(f"consent.channel.{wording_of(turn)}"))
    return t("consent.renew_intro")


def wording_of(turn: Turn) -> str:
    return wording(turn.event.chat.platform)


async def renewal(turn: Turn) -> bool:
    """Before anything else, a person who accepted an older text is asked again; True when
    the event was the renewal's. The conversation stays as it was: only the buttons on display
    are the consent's until the answer, then the question on screen is asked again."""
    if not outdated(turn):
        return False
    event = turn.event
    if event.kind == "command" and event.command in RIGHTS:
        return False
    if event.kind != "command" and turn.screen.any_status:
        return False  # the confirmation of one of those rights
    shown = any(action.startswith(CONSENT.tag) for _, action in turn.conversation.buttons)
    codec, decoded = decode_action(_consent_action(turn, typed=shown))
    if codec is NOTICE:
        ask_again(turn, full=True)
    elif codec is CONSENT and decoded is not None and decoded.payload.yes:
        await renew(turn)
    elif codec is CONSENT and decoded is not None:
        ask_again(turn, intro=t("consent.renew_refused"))
    else:
        ask_again(turn, intro=_renew_intro(turn))
    return True


def ask_again(turn: Turn, *, intro: str = "", full: bool = False) -> None:
    buttons = _buttons(full=full)
    conv = turn.conversation
    conv.buttons = [[b.label, b.action] for row in buttons for b in row]
    conv.options = []
    text = consent_text(turn, full=full)
    turn.say(f"{intro}\n\n{text}" if intro else text, buttons)


async def renew(turn: Turn) -> None:
    assert turn.person is not None
    tx = turn.tx
    text, channels = accepted(turn.person.consent_version)
    kept = channels if text == version() else frozenset()
    given = recorded(kept | {wording_of(turn)})
    await tx.people.set_consent(turn.person.id, version=given)
    turn.person = replace(turn.person, consent_at=tx.now, consent_version=given)
    await tx.audit.append(
        "consent_given", person_id=turn.person.id, detail={"version": given, "renewed": True}
    )
    turn.note(t("consent.renewed"))
    turn.nav.reask()
