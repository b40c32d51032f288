"""Screens outside the form's questions: the summary at the end (:class:`Done`), a paused
conversation (:class:`Idle`), an erased dossier (:class:`Erased`), the explanation of a
warning (:class:`Explain`) and no screen yet (:class:`Unset`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from forms import parsers
from forms.classify import Reading
from forms.model import Kind
from handlers.candidate.actions import BACK, CONTINUE, PROGRESS, SUBMIT, VIEW
from handlers.candidate.core import Screen, Shown, Turn
from handlers.candidate.flags import flag_message, open_flags
from handlers.candidate.intent import read, social
from handlers.candidate.summaries import done_text
from handlers.candidate.texts import short, t
from handlers.events import Button
from storage.core import Change

_EXPLANATION_LIMIT = 1000

#: What the end screen says to a text that is none of its buttons, by the chatter it is
#: (handlers.candidate.intent.social): a greeting or thanks its word; anything else — «ok»,
#: «xong rồi», «được rồi», «rồi sao nữa?» — means "done, what next?" there, where no
#: question is left to answer (mid-form the same words end a menu's loop or are no answer).
_AT_END = {"greeting": "greeting", "thanks": "thanks"}


def open_first_question(turn: Turn) -> None:
    """Ask the first open question (from a screen that is not one)."""
    screen = turn.nav.first_open()
    turn.conversation.screen = screen
    turn.nav.ask(screen)


@dataclass(frozen=True, slots=True)
class Unset(Screen):
    """No screen yet (a conversation that has not started)."""

    kind = "unset"

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> Unset:
        return cls()

    def present(self, turn: Turn, tag: str, extra_options: Sequence[str]) -> None:
        open_first_question(turn)


@dataclass(frozen=True, slots=True)
class Done(Screen):
    """ "done": every question answered; the summary, with "Xem bản nháp" and "Nộp"."""

    kind = "done"
    remembered = True

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> Done:
        return cls()

    def still_valid(self, turn: Turn) -> bool:
        return True

    def render(self, turn: Turn, extra_options: Sequence[str]) -> Shown:
        seq = turn.conversation.asked
        ahead = turn.wiring.draft_ahead
        if ahead is not None:  # «Xem bản nháp» is the likely next tap: its draft starts now
            ahead(turn.d, open_flags(turn))
        last = (
            Button(t("button.submit"), SUBMIT.encode(seq=seq))
            if turn.editable
            else Button(t("button.progress"), PROGRESS.encode(seq=seq))
        )
        return Shown(done_text(turn), [[Button(t("button.view"), VIEW.encode(seq=seq))], [last]])

    def not_a_button(self, turn: Turn, reading: Reading, text: str) -> str:
        """Not «hãy chọn một nút»: what comes next (the screen follows with its buttons)."""
        key = _AT_END.get(social(reading) or "", "next")
        if key != "next":
            return t(f"at_end.{key}")
        status = turn.record.status if turn.record else "draft"
        errors = any(f.is_error for f in open_flags(turn))
        return t(
            "at_end.next",
            status=status,
            errors=errors,
            view=t("button.view"),
            submit=t("button.submit"),
        )


def render_idle(turn: Turn, text: str) -> None:
    """Pause: ``text`` with "Tiếp tục" (the conversation waits for it)."""
    conv = turn.conversation
    conv.asked += 1
    buttons = [[Button(t("button.continue"), CONTINUE.encode(seq=conv.asked))]]
    conv.buttons = [[b.label, b.action.removesuffix(f"~{conv.asked}")] for b in buttons[0]]
    conv.options = []
    turn.say(text, buttons)


@dataclass(frozen=True, slots=True)
class Idle(Screen):
    """ "idle": paused by /huy; typed text is no answer until "Tiếp tục"."""

    kind = "idle"

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> Idle:
        return cls()

    def still_valid(self, turn: Turn) -> bool:
        return True

    def present(self, turn: Turn, tag: str, extra_options: Sequence[str]) -> None:
        render_idle(turn, t("idle"))


@dataclass(frozen=True, slots=True)
class Erased(Screen):
    """ "erased": the dossier was erased with /xoa; the next message starts again."""

    kind = "erased"

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> Erased:
        return cls()

    def present(self, turn: Turn, tag: str, extra_options: Sequence[str]) -> None:
        turn.say(t("delete.restart"))


@dataclass(frozen=True, slots=True)
class Explain(Screen):
    """ "explain": asks why a warning does not apply; the text is stored in
    ``dossier.explanations[flag]``, then the conversation goes back where it was."""

    flag: str

    kind = "explain"

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> Explain:
        return cls(str(extras.get("flag", "")))

    @property
    def slot(self) -> tuple[Any, ...]:
        return (self.kind, self.flag)

    def extras(self) -> dict[str, Any]:
        return {"flag": self.flag}

    def still_valid(self, turn: Turn) -> bool:
        return True

    def render(self, turn: Turn, extra_options: Sequence[str]) -> Shown:
        text = t("explain_warning.ask", message=flag_message(turn, self.flag))
        return Shown(text, [[Button(t("button.back"), BACK.encode(seq=turn.conversation.asked))]])

    async def on_text(self, turn: Turn, text: str, *, from_button: bool = False) -> None:
        value = parsers.clean_text(text, multiline=True)
        reading = read(value, Kind.LONG_TEXT) if value else None
        if reading is None or reading.reason == "noise":
            turn.say(t("explain_warning.empty"))
            turn.nav.reask()
            return
        if not reading.is_answer:  # "ok", "ko biet", "la sao?": no explanation
            why = social(reading)
            turn.say(
                t(f"not_answer.{why}")
                if why in ("greeting", "thanks")
                else t("not_answer.explanation_empty", typed=short(value, 60))
            )
            turn.nav.reask()
            return
        await turn.apply([Change(f"explanations.{self.flag}", value[:_EXPLANATION_LIMIT])])
        turn.note(t("explain_warning.saved"))
        turn.nav.back(quiet=True)
