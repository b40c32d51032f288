"""The pieces every screen uses: the conversation as stored, one event's context, the base
:class:`Screen` and the navigation it asks for.

A *screen* is one kind of conversation step (a field question, a table's rows menu, a
confirmation…): a small frozen value naming what is on screen (which item, row, relative)
with the behaviour of that kind — ``render`` (the text and buttons), ``on_text`` (a typed
reply), ``on_action`` (a tapped or typed button, dispatched through the ``@on(codec)`` table
the class declares), ``still_valid`` (does it still apply after the dossier changed?) and
``next`` (what comes after it). Screens move the conversation through :class:`Navigation`
(:mod:`.navigation` implements it: the walk over the form and the back/forward history).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Protocol, TypeVar

from admission.lifecycle import EDITABLE
from forms.checks import Flag
from forms.classify import Reading
from forms.dossier import Dossier
from forms.model import FieldDef, FormDef, ItemDef
from forms.texts import render
from handlers.candidate.actions import KEEP, NO, OPTION, SKIP, YES, Option, decode_action
from handlers.candidate.intent import not_a_button, read
from handlers.candidate.structure import Memory, Structure
from handlers.candidate.texts import COMMANDS, t, typed_yes_no
from handlers.events import Button, Event, Reply
from handlers.routing import ActionCodec
from handlers.web.links import LinkSigner
from storage.core import Change, DossierRecord, Person
from storage.db import Tx

log = logging.getLogger("handlers.candidate")

#: Dossier states in which the candidate can still change answers (also read by the edits
#: flow): a draft, or a dossier returned by the reviewers.
HISTORY = 40  # questions kept on the back and forward stacks

SubmittedHook = Callable[[Tx, DossierRecord], Awaitable[list[Reply]]]
#: (tx, the dossier just withdrawn) -> what the reviewers and secretaries are sent
WithdrawnHook = Callable[[Tx, DossierRecord], Awaitable[list[Reply]]]
StartHook = Callable[[Tx, Event, str], Awaitable[list[Reply] | None]]
#: (tx, person id, /start payload kept in the state) -> the chi bộ of a new dossier, or None
UnitHook = Callable[[Tx, int, str], Awaitable[int | None]]
#: (tx, event) -> what a reviewer or secretary with no dossier gets for a candidate's command
#: (/trogiup, /xem 12): their roles and commands; [] for anyone else
StaffHelpHook = Callable[[Tx, Event], Awaitable[list[Reply]]]
Renderer = Callable[[Dossier, list[Flag]], bytes]
#: (dossier, its open flags) -> nothing: its draft starts rendering before it is asked for
DraftAhead = Callable[[Dossier, list[Flag]], None]


@dataclass(frozen=True)
class Notice:
    """What the consent and the privacy texts name from the deployment's settings (the
    defaults are those of ``bot/settings.py``; the retention job erases by the same values)."""

    controller: str = ""  # who is responsible for the data and how to reach them
    retention_days: int = 365  # a withdrawn or not-admitted dossier is kept this long
    abandoned_days: int = 180  # a draft left this long is warned once…
    abandoned_warning_days: int = 30  # …and erased this long after the warning


@dataclass(frozen=True)
class Wiring:
    """What the flow was built with: the form and the other flows' hooks."""

    form: FormDef
    structure: Structure
    renderer: Renderer
    on_submitted: SubmittedHook | None = None
    on_start: StartHook | None = None
    unit_for: UnitHook | None = None
    on_withdrawn: WithdrawnHook | None = None
    staff_help: StaffHelpHook | None = None
    notice: Notice = Notice()
    links: LinkSigner | None = None  # the web companion's signed links (None: no web)
    draft_ahead: DraftAhead | None = None  # the end screen's draft, rendered ahead (a pool)


# ---------------------------------------------------------------------------------------------
# Screens


@dataclass(slots=True)
class Shown:
    """A rendered screen: its text, its buttons, and the values of its option buttons."""

    text: str
    rows: list[list[Button]]
    options: list[str] = field(default_factory=list)


Handler = Callable[[Any, "Turn", Any], Awaitable[None]]
_H = TypeVar("_H", bound=Callable[..., Awaitable[None]])


def on(*codecs: ActionCodec[Any]) -> Callable[[_H], _H]:
    """Declare a screen method as the handler of ``codecs``' buttons (``(self, turn,
    payload)``); the class's table is built when the class is defined."""

    def mark(fn: _H) -> _H:
        setattr(fn, "_codecs", codecs)  # noqa: B010 - an attribute mypy does not know
        return fn

    return mark


class Screen:
    """One kind of conversation step (see the module docstring)."""

    __slots__ = ()
    kind: ClassVar[str] = ""
    #: One of the form's questions (menus included): asked again after "Quay lại" went back
    #: over it (the forward history).
    question: ClassVar[bool] = False
    #: Pushed on the back history when left (the questions and the "done" summary).
    remembered: ClassVar[bool] = False
    #: Reads typed replies whatever the dossier's status (the confirmations of the
    #: candidate's rights: withdraw, erase), and before a renewed consent.
    any_status: ClassVar[bool] = False
    #: Tag of a button -> its handler, from the class's ``@on`` declarations.
    handlers: ClassVar[dict[str, Handler]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[str, Handler] = {}
        for klass in reversed(cls.__mro__):  # a subclass's handler overrides its base's
            for value in vars(klass).values():
                for codec in getattr(value, "_codecs", ()):
                    table[codec.tag] = value
        cls.handlers = table

    # -- identity ------------------------------------------------------------------------------
    @property
    def address(self) -> str:
        """The screen as stored: ``<kind> <parts…>`` ("column 15 2 viec")."""
        return self.kind

    @property
    def slot(self) -> tuple[Any, ...]:
        """What question this is, without the passing details (a chosen start month…)."""
        return (self.kind,)

    def extras(self) -> dict[str, Any]:
        """What the screen carries besides its address, stored with it."""
        return {}

    @property
    def item(self) -> int | None:
        return None

    def field_def(self, turn: Turn) -> FieldDef | None:
        """The field asked, for the screens that ask one."""
        return None

    def explanation(self, turn: Turn) -> str:
        """The writing rules of the question on this screen in full (its item's and its
        field's help, the example): the "❓ Giải thích" button, and the reply to a question
        typed instead of an answer. Outside the form's questions: the commands."""
        if self.item is None:
            return render("chat/help.j2", commands=COMMANDS)
        item = turn.structure.item(self.item)
        fdef = self.field_def(turn)
        return render(
            "chat/explain.j2",
            ref=item.ref,
            label=item.label,
            item_help=item.help,
            field_label=fdef.label if fdef else "",
            field_help=fdef.help if fdef else "",
            example=fdef.example if fdef else "",
        )

    # -- behaviour -----------------------------------------------------------------------------
    def show(self, turn: Turn, extra_options: Sequence[str] = ()) -> None:
        """Send the screen (a new question number for its buttons) — unless the turn holds
        it: the person typed its answer ahead (see :meth:`Turn.hold_next`)."""
        turn.conversation.asked += 1
        if turn.holding:
            turn.holding, turn.held = False, self
            return
        self.present(turn, f"~{turn.conversation.asked}", extra_options)

    def send_held(self, turn: Turn) -> None:
        """Send the screen :meth:`Turn.hold_next` held, as :meth:`show` would have (the
        typed text was not its answer after all)."""
        self.present(turn, f"~{turn.conversation.asked}", ())

    def present(self, turn: Turn, tag: str, extra_options: Sequence[str]) -> None:
        shown = self.render(turn, extra_options)
        conv = turn.conversation
        conv.options = shown.options
        conv.buttons = [[b.label, b.action.removesuffix(tag)] for row in shown.rows for b in row]
        text = shown.text
        if turn.pending:
            text = "\n".join([*turn.pending, "", text])
            turn.pending.clear()
        turn.say(text, shown.rows, prompt=prompt_of(conv.asked, self))

    def render(self, turn: Turn, extra_options: Sequence[str]) -> Shown:
        raise NotImplementedError(type(self).__name__)

    async def on_text(self, turn: Turn, text: str, *, from_button: bool = False) -> None:
        """A typed reply that is no button: here, not an answer ("?" gets the help, as at a
        question)."""
        if not from_button and turn.nav.continue_long_answer(text):
            return  # the rest of a long answer sent as a bubble of its own (continuation.py)
        said = None if from_button else self.not_a_button(turn, read(text, None), text)
        turn.say(said or t("choose_button"))
        turn.nav.reask()

    def not_a_button(self, turn: Turn, reading: Reading, text: str) -> str | None:
        """What a typed text that is none of this screen's buttons is told: a question
        ("?", "help", "là sao?") the help of the item asked, chatter its short reply; None:
        the screen's own "choose a button"."""
        return not_a_button(reading, text, "" if self.item is None else self.explanation(turn))

    async def on_action(self, turn: Turn, codec: ActionCodec[Any] | None, payload: Any) -> None:
        """A button of this screen (``codec`` None: an action no codec reads); they change
        the dossier, so it must still be editable."""
        if not turn.editable:
            turn.refuse()
            return
        handler = self.handlers.get(codec.tag) if codec is not None else None
        if handler is None:
            turn.nav.reask()
            return
        await handler(self, turn, payload)

    def still_valid(self, turn: Turn) -> bool:
        """Whether the screen still applies (history entries may not, after an answer)."""
        return False

    def next(self, turn: Turn) -> Screen:
        """The screen after this one."""
        return turn.nav.first_open()

    def walks_in_order(self, turn: Turn) -> bool:
        """Whether the question is part of a revisit (/sua, "Sửa" on a row) that asks every
        question in order: what comes next is :meth:`next`, not the history."""
        return False

    def gap_after(self, turn: Turn) -> Screen | None:
        """The first unanswered question after this one in its item or row."""
        return None

    def precedes(self, turn: Turn, other: Screen) -> bool:
        """Whether this question comes before ``other`` in the same item's fields or row."""
        return False

    # -- buttons every screen reads ------------------------------------------------------------
    @on(OPTION)
    async def option(self, turn: Turn, payload: Option) -> None:
        options = turn.conversation.options
        if not 0 <= payload.index < len(options):
            turn.nav.reask()
            return
        await self.on_text(turn, options[payload.index], from_button=True)

    @on(SKIP)
    async def skip(self, turn: Turn, payload: None) -> None:
        turn.say(t("skip.required"))
        turn.nav.reask()

    @on(KEEP)
    async def keep(self, turn: Turn, payload: None) -> None:
        turn.nav.advance(self)


class Confirm(Screen):
    """A yes/no question before something that cannot be undone (also typed "có", "khong")."""

    __slots__ = ()
    kind = "confirm"
    what: ClassVar[str] = ""

    @property
    def address(self) -> str:
        return f"confirm {self.what}"

    @property
    def slot(self) -> tuple[Any, ...]:
        return (self.kind, self.item, self.what)

    def still_valid(self, turn: Turn) -> bool:
        return True

    def params(self, turn: Turn) -> dict[str, Any]:
        """The confirmation text's parameters."""
        return {}

    def render(self, turn: Turn, extra_options: Sequence[str]) -> Shown:
        key = f"confirm.{self.what}"
        rows = [
            [Button(t(f"{key}_yes"), YES.encode(seq=turn.conversation.asked))],
            [Button(t(f"{key}_no"), NO.encode(seq=turn.conversation.asked))],
        ]
        return Shown(t(key, **self.params(turn)), rows)

    async def on_action(self, turn: Turn, codec: ActionCodec[Any] | None, payload: Any) -> None:
        await self.decide(turn, codec is YES)  # any other button of the screen: no

    async def on_text(self, turn: Turn, text: str, *, from_button: bool = False) -> None:
        key = f"confirm.{self.what}"
        labels = {"yes": (t(f"{key}_yes"),), "no": (t(f"{key}_no"),)}
        yes = None if from_button else typed_yes_no(text, **labels)
        if yes is None:
            await super().on_text(turn, text, from_button=from_button)
            return
        await self.decide(turn, yes)

    async def decide(self, turn: Turn, yes: bool) -> None:
        raise NotImplementedError(type(self).__name__)


def prompt_of(asked: int, screen: Screen) -> str:
    """What a question's reply records as its prompt (storage.outbox): its number, then the
    screen ("17 field 3 dan_toc"). The number alone names the question on display."""
    return f"{asked} {screen.address}"


def asks(prompt: str, asked: int) -> bool:
    """Whether ``prompt`` is the question number ``asked``."""
    return prompt.partition(" ")[0] == str(asked)


# ---------------------------------------------------------------------------------------------
# The conversation as stored, and one event


@dataclass(slots=True)
class Conversation:
    """What the candidate flow remembers between events (stored by :mod:`.state`).

    Its lists and dicts may be shared with the stored record they were read from: they are
    replaced, never changed in place.
    """

    screen: Screen
    gates: dict[str, str] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)
    back: list[str] = field(default_factory=list)  # addresses of the questions before
    forward: list[str] = field(default_factory=list)  # stepped back over: asked again after
    asked: int = 0  # screens sent so far; their buttons carry the number ("~17")
    buttons: list[list[str]] = field(default_factory=list)  # on screen: [label, action]
    options: list[str] = field(default_factory=list)  # values of the "c:opt:<n>" buttons
    flag_lists: int = 0  # flag lists sent so far; "c:xpl:<list>.<n>" carries the number
    flag_buttons: list[list[str]] = field(default_factory=list)  # under the last flag list
    explainable: list[str] = field(default_factory=list)  # its warnings' keys, by button
    shown_flags: list[str] = field(default_factory=list)  # shown after an answer already
    revisiting: int | None = None  # the item opened with /sua, asked question by question
    payload: str = ""  # the /start payload (an invite code) until a dossier is opened
    seen: int | None = None  # the dossier's revision when this chat last spoke (None: unknown)

    @property
    def memory(self) -> Memory:
        return Memory(self.gates, frozenset(self.closed))

    def sent_buttons(self) -> list[tuple[str, str]]:
        """The buttons of the screen on display as they were sent: a question's buttons carry
        its number ("c:skip~12"), implied in :attr:`buttons`."""
        sent = []
        for text, action in self.buttons:
            codec, _ = decode_action(action)
            sequenced = codec is not None and codec.sequenced
            sent.append((text, f"{action}~{self.asked}" if sequenced else action))
        return sent

    def close_loop(self, key: str) -> None:
        if key not in self.closed:
            self.closed = [*self.closed, key]

    def reopen_loop(self, key: str) -> None:
        self.closed = [k for k in self.closed if k != key]


class Navigation(Protocol):
    """How screens move the conversation (implemented by :mod:`.navigation`)."""

    def goto(self, screen: Screen, *, push: bool = True) -> None: ...
    def ask(self, screen: Screen, extra_options: Sequence[str] = ()) -> None: ...
    def reask(self) -> None: ...
    def continue_long_answer(self, text: str) -> bool: ...
    def back(self, *, quiet: bool = False) -> None: ...
    def advance(self, screen: Screen) -> None: ...
    def first_open(self, start: int | None = None) -> Screen: ...
    def next_in_item(self, screen: Screen) -> Screen: ...
    def item_slots(self, item: ItemDef) -> list[Screen]: ...
    def flagged(self, item: int, row: int, field: str) -> Screen | None: ...
    def section_progress(self, index: int) -> tuple[int, int]: ...
    def finished_items(self, among: Collection[int] | None = None) -> list[int]: ...


class Turn:
    """One event of one candidate: what the screens read and change (inside the router's
    transaction); the replies and the short notes ("Đã ghi: …") they produce."""

    nav: Navigation

    def __init__(
        self,
        wiring: Wiring,
        tx: Tx,
        event: Event,
        conversation: Conversation,
        person: Person | None,
        record: DossierRecord | None,
        today: date,
    ) -> None:
        self.wiring = wiring
        self.structure = wiring.structure
        self.tx = tx
        self.event = event
        self.conversation = conversation
        self.person = person
        self.record = record
        self.today = today
        self.replies: list[Reply] = []
        self.pending: list[str] = []
        self.shown_keys: set[str] = set()  # flags shown in this turn's replies
        self.holding = False  # the next screen shown is held, not sent (hold_next)
        self.held: Screen | None = None

    @property
    def d(self) -> Dossier:
        assert self.record is not None
        return self.record.dossier

    def end(self) -> None:
        """The turn is over: let go of its navigator, which points back at it, so that the
        turn and all it holds (screens, replies, the dossier's snapshot) are freed at once,
        not left to the garbage collector (see ``storage.session.SqlSession.close``)."""
        del self.nav

    @property
    def screen(self) -> Screen:
        return self.conversation.screen

    @property
    def consented(self) -> bool:
        return self.person is not None and bool(self.person.consent_at)

    @property
    def editable(self) -> bool:
        return self.record is not None and self.record.status in EDITABLE

    @property
    def person_id(self) -> int | None:
        return self.person.id if self.person else None

    def say(self, text: str, buttons: list[list[Button]] | None = None, prompt: str = "") -> None:
        self.flush_notes()
        self.replies.append(Reply(text=text, buttons=buttons or [], prompt=prompt))

    async def hold_next(self, step: Awaitable[None]) -> Screen | None:
        """Run ``step`` (storing one answer) without sending the screen it moves to, and
        return that screen (None: none was shown): the person already typed its answer in
        the same message (a row's period with its work, tables.py), which the caller passes
        to it. The "Đã ghi" notes wait for whatever is sent next."""
        self.holding, self.held = True, None
        try:
            await step
        finally:
            self.holding = False
        held, self.held = self.held, None
        return held

    async def typed_ahead(self, step: Awaitable[None], rest: str, wanted: Screen) -> None:
        """Run ``step`` (the first answer of a message that holds two) and pass ``rest`` to
        the screen it moves to when that screen is ``wanted`` (its slot); any other screen
        (the first answer refused, or leading elsewhere) is sent as it would have been."""
        held = await self.hold_next(step)
        if held is not None and held.slot == wanted.slot:
            await held.on_text(self, rest)
        elif held is not None:
            held.send_held(self)

    def note(self, text: str) -> None:
        """A short line ("Đã ghi: …") sent at the top of the next question, not alone:
        one message per answer on the candidate's phone."""
        self.pending.append(text)

    def flush_notes(self) -> None:
        if self.pending:
            self.replies.append(Reply(text="\n".join(self.pending)))
            self.pending.clear()

    def toast(self, text: str) -> None:
        if self.event.kind == "button":
            self.replies.append(Reply(toast=text))

    def refuse(self) -> None:
        """The dossier cannot be changed now: say why (under review, approved…)."""
        self.say(t(f"status.{self.record.status}") if self.record else t("consent.needed"))

    async def apply(self, changes: list[Change]) -> None:
        """Store ``changes`` as the dossier's next revision."""
        assert self.record is not None
        self.record = await self.tx.dossiers.apply(self.record, changes, self.person_id)
