"""The candidate's conversation: consent, then Mẫu 2-KNĐ question by question.

The flow walks :func:`forms.definition.load_form` generically (:mod:`handlers.walk`): optional
items are asked through their gate question, fields honour their ``when`` conditions, tables
and relatives are loops (a row column by column, its summary and flags, then "Thêm dòng" /
"Xong"), relatives are asked only for the relations that the gate answers make apply, each
with its group's fields. Nothing in this module names an item of the form.

Durability: every answer is a :class:`storage.core.Change` applied as a new dossier revision,
and the cursor (which question is open) is saved in ``conversations`` — both in the router's
transaction, before the replies leave. A restarted process resumes at the same question.

Before consent nothing is stored but the conversation cursor "consent asked" (no person,
no dossier, no answer). /xoa erases the dossier content and its history and withdraws the
consent; an audit row without content remains.

Every button is also answerable by typing its number or its label
(:func:`handlers.intent.typed_button`). Buttons bound to one question carry the question's
sequence number (``~12``) so a tap on an old message cannot answer the current question.

Hooks for the other flows: ``on_submitted(tx, record) -> list[Reply]`` is called in the
transaction that submits the dossier (the review flow routes it); ``on_start(tx, event,
payload) -> list[Reply] | None`` sees a /start payload first (invites; None = not an invite,
the payload is then kept in the conversation state as ``payload``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from admission.clock import ZONE, local_date
from forms import checks as fchecks
from forms import parsers
from forms.checks import Flag
from forms.definition import load_form
from forms.dossier import Dossier, Row
from forms.model import FieldDef, FormDef, ItemDef, Kind
from forms.texts import message, render
from forms.vn import match_key
from handlers.answers import AnswerError, Parsed, parse_answer
from handlers.events import Button, Document, Event, Reply
from handlers.intent import not_an_answer, typed_button
from handlers.routing import ActionCodec, Routes
from handlers.walk import NO, YES, Cursor, Memory, Walk, answered, walk_for
from storage.core import Change, DossierRecord, Person, encode_state
from storage.db import Tx

log = logging.getLogger(__name__)

PREFIX = "c:"
STATE_VERSION = 1
_HISTORY = 40
_BRACKET_OLD = "(trước đây là"  # how forms.addresses writes the old name after the new one
_FLAGS_SHOWN = 6
EDITABLE = ("draft", "returned")

_GLUED_COMMAND = re.compile(r"([a-z]+)(\d+)")
_COMMAND_NAMES = ("start", "tiendo", "sua", "xem", "nop", "huy", "xoa", "trogiup")


def t(key: str, **kw: Any) -> str:
    """A text of ``templates/chat.toml`` (texts without parameters are rendered once)."""
    if kw:
        return message(f"chat.{key}", **kw)
    return _static(key)


@cache
def _static(key: str) -> str:
    return message(f"chat.{key}")


#: The command menu (name, description) for setMyCommands, in Vietnamese.
COMMANDS: list[tuple[str, str]] = [(name, t(f"commands.{name}")) for name in _COMMAND_NAMES]


def jump_action(item_number: int) -> str:
    """The button action that opens item ``item_number`` in the candidate's conversation."""
    return f"{PREFIX}go:{item_number}"


SubmittedHook = Callable[[Tx, DossierRecord], Awaitable[list[Reply]]]
StartHook = Callable[[Tx, Event, str], Awaitable[list[Reply] | None]]
#: (tx, person id, /start payload kept in the state) -> the chi bộ of a new dossier, or None
UnitHook = Callable[[Tx, int, str], Awaitable[int | None]]
Renderer = Callable[[Dossier, list[Flag]], bytes]


def _default_renderer(dossier: Dossier, flags: list[Flag]) -> bytes:
    from forms.document import render_dossier

    return render_dossier(dossier, draft=True, flags=flags)


class CandidateFlow:
    """Owns private chats' conversations (the routing table's default owner)."""

    name = "candidate"
    routes = Routes(
        flow="candidate",
        prefix="c",
        commands={name: "private" for name in _COMMAND_NAMES if name != "start"},
        heavy_commands=frozenset({"xem"}),
        actions=(ActionCodec("c", "view", heavy=True, sequenced=True),),
        private_default=True,
    )

    def __init__(
        self,
        *,
        form: FormDef | None = None,
        on_submitted: SubmittedHook | None = None,
        on_start: StartHook | None = None,
        unit_for: UnitHook | None = None,
        renderer: Renderer | None = None,
        zone: ZoneInfo = ZONE,
    ) -> None:
        self.form = form or load_form()
        self.walk: Walk = walk_for(self.form)
        self.on_submitted = on_submitted
        self.on_start = on_start
        self.unit_for = unit_for
        self.renderer = renderer or _default_renderer
        self.zone = zone

    async def handle(self, tx: Tx, event: Event) -> list[Reply] | None:
        if event.chat.kind != "private" or event.kind in ("bot_added", "bot_removed"):
            return None
        if event.kind == "button" and not event.action.startswith(PREFIX):
            return None
        turn = await Turn.load(self, tx, event)
        await turn.run()
        turn.flush_notes()
        await turn.save()
        return turn.replies


# ---------------------------------------------------------------------------------------------
# One event


@dataclass
class Turn:
    """One event of one candidate: loads the state, acts, saves (inside the router's tx)."""

    flow: CandidateFlow
    tx: Tx
    event: Event
    state: dict[str, Any]
    person: Person | None
    record: DossierRecord | None
    today: date
    replies: list[Reply] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    _saved_state: str = ""
    _saved_ids: tuple[int | None, int | None] = (None, None)
    shown_keys: set[str] = field(default_factory=set)  # flags shown in this turn's replies

    # -- loading and saving --------------------------------------------------------------------
    @classmethod
    async def load(cls, flow: CandidateFlow, tx: Tx, event: Event) -> Turn:
        conv = await tx.conversations.get(event.chat.platform, event.chat.id, event.user.id)
        state: dict[str, Any] = dict(conv.state) if conv else {}
        person = await tx.people.find(event.user.platform, event.user.id)
        record = None
        if person is not None and person.consent_at:
            if conv and conv.dossier_id:
                record = await tx.dossiers.get(conv.dossier_id)
                if record is not None and record.status == "deleted":
                    record = None
            if record is None:
                record = await tx.dossiers.current_for(person.id)
        turn = cls(flow, tx, event, state, person, record, local_date(tx.now, flow.zone))
        turn._saved_state = conv.encoded if conv else ""
        turn._saved_ids = (conv.person_id, conv.dossier_id) if conv else (None, None)
        return turn

    async def save(self) -> None:
        encoded = encode_state(self.state)
        person_id = self.person.id if self.person and self.person.consent_at else None
        dossier_id = self.record.id if self.record else None
        if encoded == self._saved_state and (person_id, dossier_id) == self._saved_ids:
            return
        await self.tx.conversations.save(
            self.event.chat.platform,
            self.event.chat.id,
            self.event.user.id,
            self.state,
            person_id=person_id,
            dossier_id=dossier_id,
            encoded=encoded,
        )

    # -- shortcuts -----------------------------------------------------------------------------
    @property
    def walk(self) -> Walk:
        return self.flow.walk

    @property
    def form(self) -> FormDef:
        return self.flow.form

    @property
    def d(self) -> Dossier:
        assert self.record is not None
        return self.record.dossier

    @property
    def cur(self) -> Cursor:
        return self.state.get("cur") or {"k": "none"}

    @property
    def mem(self) -> Memory:
        return Memory(dict(self.state.get("gates", {})), frozenset(self.state.get("closed", [])))

    def say(self, text: str, buttons: list[list[Button]] | None = None, **kw: Any) -> None:
        self.flush_notes()
        self.replies.append(Reply(text=text, buttons=buttons or [], **kw))

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

    @property
    def consented(self) -> bool:
        return self.person is not None and bool(self.person.consent_at)

    @property
    def editable(self) -> bool:
        return self.record is not None and self.record.status in EDITABLE

    # -- dispatch ------------------------------------------------------------------------------
    async def run(self) -> None:
        ev = self.event
        if ev.kind == "command":
            await self.command(ev.command, ev.text.strip())
            return
        if not self.consented:
            await self.before_consent()
            return
        if self.record is None:
            await self.new_dossier()
            return
        if ev.kind == "button":
            await self.action(ev.action)
            return
        if ev.kind == "other":
            self.say(t("not_answer.noise"))
            self.reask()
            return
        text = ev.text
        action = typed_button(text, [(b[0], b[1]) for b in self.state.get("btn", [])])
        if action is None and not text.strip().isdigit():
            # The buttons under the last flag list, by label (their numbers are the console's).
            action = typed_button(text, [(b[0], b[1]) for b in self.state.get("fbtn", [])])
        if action is not None:
            await self.action(action, typed=True)
            return
        await self.answer(text)

    # -- consent -------------------------------------------------------------------------------
    async def before_consent(self) -> None:
        ev = self.event
        if self.cur.get("k") == "consent":
            action = ev.action if ev.kind == "button" else ""
            if ev.kind == "text":
                action = typed_button(
                    ev.text, [(b[0], b[1]) for b in self.state.get("btn", [])]
                ) or _typed_consent(ev.text)
            if action == f"{PREFIX}consent:yes":
                await self.give_consent()
                return
            if action == f"{PREFIX}consent:no":
                self.say(t("consent.refused"))
                self.ask_consent(repeat=True)
                return
        self.greet()

    def greet(self) -> None:
        self.ask_consent(greeting=True)

    def ask_consent(self, *, repeat: bool = False, greeting: bool = False) -> None:
        buttons = [
            [Button(t("consent.yes"), f"{PREFIX}consent:yes")],
            [Button(t("consent.no"), f"{PREFIX}consent:no")],
        ]
        text = t("consent.short") if repeat else render("chat/consent.j2")
        if greeting:
            text = f"{t('welcome')}\n\n{text}"
        self.state = {"v": STATE_VERSION, "cur": {"k": "consent"}, **_keep(self.state, "payload")}
        self.state["btn"] = [[b.label, b.action] for row in buttons for b in row]
        self.say(text, buttons)

    async def give_consent(self) -> None:
        ev = self.event
        self.person = await self.tx.people.get_or_create(
            ev.user.platform, ev.user.id, ev.user.name, consent=True
        )
        await self.tx.audit.append("consent_given", person_id=self.person.id)
        self.say(t("consent.thanks"))
        await self.new_dossier()

    async def new_dossier(self) -> None:
        assert self.person is not None
        self.record = await self.tx.dossiers.current_for(self.person.id)
        if self.record is None:
            unit_id = None
            if self.flow.unit_for is not None:
                payload = str(self.state.get("payload", ""))
                unit_id = await self.flow.unit_for(self.tx, self.person.id, payload)
            self.record = await self.tx.dossiers.create(self.person.id, Dossier(), unit_id=unit_id)
            await self.tx.audit.append(
                "dossier_opened", person_id=self.person.id, dossier_id=self.record.id
            )
        self.state = {
            "v": STATE_VERSION,
            "gates": {},
            "closed": [],
            "hist": [],
            "q": 0,
            **_keep(self.state, "payload"),
        }
        self.say(self.overview_text(intro=True))
        self.goto(self.walk.first_open(self.d, self.mem), push=False)

    # -- commands ------------------------------------------------------------------------------
    async def command(self, name: str, arg: str) -> None:
        glued = _GLUED_COMMAND.fullmatch(name)
        if glued and glued[1] in _COMMAND_NAMES and not arg:
            name, arg = glued[1], glued[2]  # "/sua15"
        if name == "start":
            await self.cmd_start(arg)
            return
        if name == "trogiup":
            self.say(render("chat/help.j2", commands=COMMANDS))
            if self.consented and self.record is not None:
                self.reask()
            elif self.cur.get("k") == "consent":
                self.ask_consent(repeat=True)
            return
        if not self.consented or self.record is None:
            self.say(t("consent.needed"))
            if not self.consented:
                self.ask_consent(repeat=self.cur.get("k") == "consent")
            else:
                await self.new_dossier()
            return
        handler = {
            "tiendo": self.cmd_progress,
            "sua": self.cmd_edit,
            "xem": self.cmd_view,
            "nop": self.cmd_submit,
            "huy": self.cmd_cancel,
            "xoa": self.cmd_delete,
        }.get(name)
        if handler is None:
            self.say(t("unknown_command", commands=[c for c, _ in COMMANDS]))
            self.reask()
            return
        await handler(arg)

    async def cmd_start(self, payload: str) -> None:
        if payload and self.flow.on_start is not None:
            handled = await self.flow.on_start(self.tx, self.event, payload)
            if handled is not None:
                self.replies.extend(handled)
                return
        if payload:
            self.state["payload"] = payload[:64]
        if not self.consented:
            self.greet()
            return
        if self.record is None:
            await self.new_dossier()
            return
        self.say(t("welcome_back"))
        self.say(self.overview_text())
        self.reask()

    async def cmd_progress(self, _: str, *, offset: int = 0) -> None:
        """The overview and the open flags, a page at a time ("Xem thêm" shows the next)."""
        flags = self.progress_flags()
        if not 0 < offset < len(flags):
            offset = 0
        if offset == 0:
            self.say(self.overview_text())
        if flags:
            title = (
                t("flags.open_title", count=len(flags))
                if offset == 0
                else t("flags.more_title", start=offset + 1, count=len(flags))
            )
            self.show_flags(flags, title=title, offset=offset, pageable=True)
        self.reask()

    async def cmd_edit(self, arg: str) -> None:
        digits = "".join(ch for ch in arg if ch.isdigit())
        if not digits:
            self.say(t("edit.which", items=self.item_list()))
            self.reask()
            return
        await self.jump(int(digits))

    async def cmd_view(self, _: str) -> None:
        flags = self.open_flags(scope="all")
        try:
            data = self.flow.renderer(self.d, flags)
        except Exception as exc:  # the draft is a convenience; never break the chat
            log.exception("draft rendering failed: %s", type(exc).__name__)
            self.say(t("view.failed"))
            self.reask()
            return
        name = _filename(self.d)
        self.replies.append(
            Reply(document=Document(name, data, caption=t("view.caption", count=len(flags))))
        )
        self.reask()

    async def cmd_submit(self, _: str) -> None:
        if not self.editable:
            self.say(t(f"status.{self.record.status}") if self.record else t("consent.needed"))
            return
        flags = self.open_flags(scope="all")
        errors = [f for f in flags if f.is_error]
        if errors:
            self.show_flags(errors, title=t("submit.refused", count=len(errors)))
            self.reask()
            return
        if await self.no_chi_bo():
            return
        open_warnings = [f for f in flags if not f.explanation]
        if open_warnings:
            self.show_flags(open_warnings, title=t("submit.warnings", count=len(open_warnings)))
            self.goto({"k": "confirm", "what": "submit"})
            return
        await self.submit()

    async def no_chi_bo(self) -> bool:
        """Whether the dossier cannot be submitted because no chi bộ would receive it (then
        says so): with the organisation flows installed (``unit_for``), a dossier without a
        unit and a person without a candidate invite or role would be locked as "submitted"
        with nobody to review it, and the candidate could no longer edit or delete it."""
        assert self.record is not None and self.person is not None
        if self.flow.unit_for is None or self.record.unit_id is not None:
            return False
        payload = str(self.state.get("payload", ""))
        if await self.flow.unit_for(self.tx, self.person.id, payload) is not None:
            return False
        self.say(t("submit.no_chi_bo"))
        if self.cur.get("k") == "confirm":
            self.back(quiet=True)
        else:
            self.reask()
        return True

    async def submit(self) -> None:
        assert self.record is not None and self.person is not None
        if await self.no_chi_bo():
            return
        self.record = await self.tx.dossiers.set_status(self.record, "submitted")
        await self.tx.audit.append(
            "dossier_submitted",
            person_id=self.person.id,
            dossier_id=self.record.id,
            revision=self.record.revision,
        )
        self.state["cur"] = {"k": "done"}
        self.state["btn"] = []
        extra: list[Reply] = []
        if self.flow.on_submitted is not None:
            extra = await self.flow.on_submitted(self.tx, self.record)
        if extra:
            self.replies.extend(extra)
        else:
            self.say(t("submit.done"))

    async def cmd_cancel(self, _: str) -> None:
        self.state.pop("review", None)
        self.state["cur"] = {"k": "idle"}
        self.render_idle(t("cancel.done"))

    async def cmd_delete(self, _: str) -> None:
        assert self.record is not None
        if self.record.status not in EDITABLE:
            self.say(t("delete.not_allowed"))
            return
        self.goto({"k": "confirm", "what": "delete"})

    async def erase(self) -> None:
        assert self.record is not None and self.person is not None
        dossier_id, revision = self.record.id, self.record.revision
        await self.tx.dossiers.erase(self.record)
        await self.tx.people.set_consent(self.person.id, given=False)
        await self.tx.people.set_display_name(self.person.id, "")
        await self.tx.audit.append(
            "dossier_erased", person_id=self.person.id, dossier_id=dossier_id, revision=revision
        )
        self.record = None
        self.person = None
        self.state = {"v": STATE_VERSION, "cur": {"k": "erased"}}
        self.say(t("delete.done"))

    # -- buttons -------------------------------------------------------------------------------
    async def action(self, action: str, *, typed: bool = False) -> None:
        body = action[len(PREFIX) :] if action.startswith(PREFIX) else action
        body, _, seq = body.partition("~")
        if seq and seq != str(self.state.get("q", 0)):
            self.toast(t("stale.toast"))
            self.say(t("stale.text"))
            self.reask()
            return
        verb, _, arg = body.partition(":")
        if verb == "go":
            await self.jump(int(arg) if arg.isdigit() else 0)
            return
        if verb == "consent":
            self.toast(t("consent.already"))
            self.reask()
            return
        if verb == "cont":
            self.state.pop("review", None)
            self.state.pop("fwd", None)
            self.goto(self.walk.first_open(self.d, self.mem))
            return
        if verb == "help":
            self.explain()
            return
        if verb == "back":
            self.back()
            return
        if verb == "xpl":
            batch, _, index = arg.partition(".")
            if batch != str(self.state.get("fq", 0)) or not index.isdigit():
                self.toast(t("stale.toast"))
                self.say(t("stale.text"))
                self.reask()
                return
            self.start_explanation(int(index))
            return
        if verb == "more":
            await self.cmd_progress("", offset=int(arg) if arg.isdigit() else 0)
            return
        if verb in ("view", "submit", "progress"):
            await {"view": self.cmd_view, "submit": self.cmd_submit, "progress": self.cmd_progress}[
                verb
            ]("")
            return
        cur = self.cur
        kind = cur.get("k")
        if kind == "confirm":
            await self.confirm(cur["what"], verb == "yes")
            return
        if not self.editable:
            self.say(t(f"status.{self.record.status}") if self.record else t("consent.needed"))
            return
        if verb == "opt":
            opts = self.state.get("opts", [])
            index = int(arg) if arg.isdigit() else -1
            if not 0 <= index < len(opts):
                self.reask()
                return
            await self.answer(opts[index], from_button=True)
            return
        if verb == "from" and kind in ("col", "rel", "f"):
            cur = dict(cur)
            cur["tu"] = arg
            self.state["cur"] = cur
            self.ask(cur)
            return
        if verb == "skip":
            await self.skip()
            return
        if verb == "keep":
            self.advance(cur)
            return
        if verb == "sug":
            await self.settle_suggestion(arg == "yes")
            return
        if kind in ("rows", "rels", "relmenu"):
            await self.loop_action(verb, arg)
            return
        if kind == "gate" and verb in ("yes", "no"):
            await self.answer_gate(verb == "yes")
            return
        self.reask()

    # -- answering -----------------------------------------------------------------------------
    async def answer(self, text: str, *, from_button: bool = False) -> None:
        cur = self.cur
        kind = cur.get("k")
        if not self.editable:
            self.say(t(f"status.{self.record.status}") if self.record else t("consent.needed"))
            return
        if kind == "xpl":
            await self.save_explanation(text)
            return
        if kind == "confirm" and not from_button:
            try:
                yes = parsers.parse_yes_no(text)
            except parsers.ParseError:
                pass
            else:
                await self.confirm(cur["what"], yes)
                return
        if kind == "gate":
            why = None if from_button else not_an_answer(text, Kind.YES_NO)
            if why:
                self.not_answer(why)
                return
            try:
                yes = parsers.parse_yes_no(text)
            except parsers.ParseError as exc:
                self.say(exc.message)
                self.reask()
                return
            await self.answer_gate(yes)
            return
        if kind in ("rows", "rels", "relmenu") and not from_button:
            verb = _loop_reply(text, adding=kind != "relmenu")
            if verb:  # "Còn ai nữa không?" → "không" / "có"
                await self.loop_action(verb, "")
                return
        fdef = self.walk.cursor_field(cur) if kind in ("f", "col", "rel") else None
        if fdef is None:
            why = None if from_button else not_an_answer(text, None)
            self.say(t(f"not_answer.{why}") if why else t("choose_button"))
            self.reask()
            return
        if cur.get("sug"):
            # A new text while a suggestion is pending: treat it as a new answer.
            cur = {k: v for k, v in cur.items() if k not in ("sug",)}
            self.state["cur"] = cur
        why = None if from_button else not_an_answer(text, fdef.kind)
        if why:
            self.not_answer(why)
            return
        try:
            parsed = parse_answer(
                fdef, text, form=self.form, today=self.today, period_start=cur.get("tu")
            )
        except AnswerError as exc:
            self.say(t("parse_failed", error=exc.message))
            self.ask(cur, extra_options=exc.options)
            return
        await self.store(cur, fdef, parsed)

    def not_answer(self, why: str) -> None:
        self.say(t(f"not_answer.{why}"))
        self.reask()

    async def store(
        self, cur: Cursor, fdef: FieldDef, parsed: Parsed, *, confirmed: bool = False
    ) -> None:
        """Write the answer as a revision, show the field's flags, move on. An answer that
        would delete relatives (not married: the spouse's side) asks first."""
        if cur["k"] == "f" and not confirmed and self.doomed_relatives(cur, parsed.values):
            self.goto(
                {"k": "confirm", "what": "drop", "i": cur["i"], "at": cur, "values": parsed.values}
            )
            return
        cur = await self.write_values(cur, parsed.values)
        shown = t("stored", value=_short(parsed.text)) if parsed.text else t("stored_empty")
        if parsed.suggestion:
            # The flags wait for the choice (settle_suggestion): they are about what is kept.
            cur = {**cur, "sug": parsed.suggestion}
            cur.pop("tu", None)
            self.state["cur"] = cur
            self.note(shown)
            self.ask(cur)
            return
        flags = self.unseen(self.field_flags(cur, fdef))
        if flags:
            self.show_flags(flags, title=shown)
        else:
            self.note(shown)
        self.advance(cur)

    async def write_values(self, cur: Cursor, values: dict[str, str]) -> Cursor:
        """Apply ``values`` at ``cur`` as a dossier change; returns the cursor with the row's
        real index (a new relative gets one here)."""
        assert self.record is not None
        item = self.walk.item(cur["i"])
        changes: list[Change] = []
        kind = cur["k"]
        if kind == "f":
            for key, value in values.items():
                changes.append(Change(f"answers.{key}", value))
            answers = {**self.d.answers, **values}
            for f in item.fields:  # answers whose condition no longer holds
                if f.id in answers and not f.applies(answers):
                    changes.append(Change(f"answers.{f.id}", None))
                    answers.pop(f.id)
            if item.relatives is not None:
                changes += self.drop_inapplicable_relatives(item, answers)
        elif kind == "col":
            assert item.table is not None
            rows = self.d.rows(item.table.id)
            r = min(int(cur["r"]), len(rows))
            row = self.clean_row(item, {**(rows[r] if r < len(rows) else {}), **values})
            changes.append(Change(f"tables.{item.table.id}.{r}", row))
            cur = {**cur, "r": r}
        elif kind == "rel":
            code = cur["c"]
            r = cur.get("r")
            if r is None or r >= len(self.d.relatives):
                r = self.relative_position(item, code)
                row = self.clean_row(item, {"quan_he": code, **values}, code)
                changes.append(Change(f"relatives.{r}", row, op="insert"))
            else:
                row = self.clean_row(item, {**self.d.relatives[r], **values}, code)
                changes.append(Change(f"relatives.{r}", row))
            cur = {**cur, "r": r}
        self.record = await self.tx.dossiers.apply(self.record, changes, self.person_id)
        self.state["cur"] = cur
        return cur

    @property
    def person_id(self) -> int | None:
        return self.person.id if self.person else None

    def clean_row(self, item: ItemDef, row: Row, code: str | None = None) -> Row:
        """Drop the row's values whose ``when`` no longer holds (deceased → alive…)."""
        keep = {"quan_he"}
        if item.table is not None:
            cols = item.table.columns
        else:
            assert item.relatives is not None and code is not None
            cols = item.relatives.fields_for(self.walk.relation(item, code).group)
        for f in cols:
            if f.applies(row):
                keep.update(f.storage_keys())
        return {k: v for k, v in row.items() if k in keep}

    def doomed_relatives(self, cur: Cursor, values: dict[str, str]) -> list[Row]:
        """The relatives that answering ``values`` at the field ``cur`` would delete."""
        item = self.walk.item(cur["i"])
        if item.relatives is None:
            return []
        answers = {**self.d.answers, **values}
        for f in item.fields:  # as write_values: answers whose condition no longer holds
            if f.id in answers and not f.applies(answers):
                answers.pop(f.id)
        applies = {r.code for r in item.relatives.relations if r.applies(answers)}
        return [r for r in self.d.relatives if r.get("quan_he") not in applies]

    def drop_inapplicable_relatives(self, item: ItemDef, answers: dict[str, str]) -> list[Change]:
        assert item.relatives is not None
        applies = {r.code for r in item.relatives.relations if r.applies(answers)}
        doomed = [i for i, r in enumerate(self.d.relatives) if r.get("quan_he") not in applies]
        for code in {self.d.relatives[i].get("quan_he") for i in doomed}:
            self.discard_closed(f"r:{code}")
        return [Change(f"relatives.{i}", None, op="delete") for i in reversed(doomed)]

    def relative_position(self, item: ItemDef, code: str) -> int:
        """Where a new relative goes so the list keeps the form's relation order."""
        assert item.relatives is not None
        order = {r.code: i for i, r in enumerate(item.relatives.relations)}
        mine = order[code]
        pos = 0
        for i, row in enumerate(self.d.relatives):
            if order.get(row.get("quan_he", ""), len(order)) <= mine:
                pos = i + 1
        return pos

    async def answer_gate(self, yes: bool, *, confirmed: bool = False) -> None:
        cur = self.cur
        item = self.walk.item(cur["i"])
        if not yes and not confirmed and self.walk.has_data(item, self.d):
            self.goto({"k": "confirm", "what": "clear", "i": item.number})
            return
        gates = dict(self.state.get("gates", {}))
        gates[str(item.number)] = YES if yes else NO
        self.state["gates"] = gates
        if not yes and self.walk.has_data(item, self.d):
            changes = [
                Change(f"answers.{f.id}", None) for f in item.fields if f.id in self.d.answers
            ]
            if item.table is not None:
                rows = self.d.rows(item.table.id)
                changes += [
                    Change(f"tables.{item.table.id}.{i}", None, op="delete")
                    for i in reversed(range(len(rows)))
                ]
            self.record = await self.tx.dossiers.apply(self.record, changes, self.person_id)  # type: ignore[arg-type]
        if not yes and item.table is not None:
            self.discard_closed(f"t:{item.table.id}")
        self.note(t("stored", value=YES if yes else NO))
        self.advance(cur)

    async def skip(self) -> None:
        cur = self.cur
        fdef = self.walk.cursor_field(cur)
        if fdef is None or fdef.required:
            self.say(t("skip.required"))
            self.reask()
            return
        values = {k: "" for k in fdef.storage_keys()}
        await self.store(cur, fdef, Parsed(values))

    async def settle_suggestion(self, accept: bool) -> None:
        cur = dict(self.cur)
        suggestion = cur.pop("sug", None)
        fdef = self.walk.cursor_field(cur)
        if suggestion is None or fdef is None:
            self.reask()
            return
        self.state["cur"] = cur
        if accept:
            await self.write_values(cur, {fdef.id: suggestion})
            self.note(t("stored", value=_short(suggestion)))
        else:
            self.note(t("suggestion.kept"))
        flags = self.unseen(self.field_flags(cur, fdef))
        if flags:
            self.show_flags(flags)
        self.advance(cur)

    # -- explanations of warnings -------------------------------------------------------------
    def start_explanation(self, index: int) -> None:
        keys = self.state.get("fk", [])
        if not 0 <= index < len(keys):
            self.reask()
            return
        self.goto({"k": "xpl", "key": keys[index]})

    async def save_explanation(self, text: str) -> None:
        assert self.record is not None
        key = self.cur["key"]
        value = parsers.clean_text(text, multiline=True)
        why = not_an_answer(text, Kind.LONG_TEXT) if value else None
        if why in ("greeting", "thanks"):
            self.not_answer(why)
            return
        if not value or why == "noise":
            self.say(t("explain_warning.empty"))
            self.reask()
            return
        change = Change(f"explanations.{key}", value[:1000])
        self.record = await self.tx.dossiers.apply(self.record, [change], self.person_id)
        self.note(t("explain_warning.saved"))
        self.back(quiet=True)

    # -- loops (tables and relatives) ---------------------------------------------------------
    async def loop_action(self, verb: str, arg: str) -> None:
        cur = self.cur
        item = self.walk.item(cur["i"])
        kind = cur["k"]
        if kind == "rows":
            assert item.table is not None
            rows = self.d.rows(item.table.id)
            tid = item.table.id
            if verb == "add":
                self.discard_closed(f"t:{tid}")
                self.goto(
                    {"k": "col", "i": item.number, "r": len(rows), "f": item.table.columns[0].id}
                )
            elif verb == "done":
                if len(rows) < item.table.min_rows:
                    self.say(t("loop.need_rows", count=item.table.min_rows))
                    self.reask()
                    return
                self.add_closed(f"t:{tid}")
                flags = self.item_flags(item)
                if flags:
                    self.show_flags(flags)
                self.advance(cur)
            elif verb in ("editpick", "delpick"):
                self.goto(
                    {"k": "pick", "i": item.number, "what": verb[:-4], "back": cur}, push=False
                )
            elif verb in ("edit", "del") and arg.isdigit():
                await self.row_action(item, verb, int(arg), cur)
            else:
                self.reask()
            return
        if kind == "rels":
            code = cur["c"]
            if verb == "add":
                self.discard_closed(f"r:{code}")
                first = self.walk.row_fields(item, {}, code)[0]
                self.goto({"k": "rel", "i": item.number, "c": code, "r": None, "f": first.id})
            elif verb == "done":
                self.add_closed(f"r:{code}")
                self.advance(cur)
            elif verb in ("editpick", "delpick"):
                self.goto(
                    {"k": "pick", "i": item.number, "c": code, "what": verb[:-4], "back": cur},
                    push=False,
                )
            elif verb in ("edit", "del") and arg.isdigit():
                await self.row_action(item, verb, int(arg), cur)
            else:
                self.reask()
            return
        # relmenu: every relative of the item
        if verb == "addrel":
            self.discard_closed(f"r:{arg}")
            first = self.walk.row_fields(item, {}, arg)[0]
            self.goto({"k": "rel", "i": item.number, "c": arg, "r": None, "f": first.id})
        elif verb == "done":
            self.advance(cur)
        elif verb in ("editpick", "delpick"):
            self.goto({"k": "pick", "i": item.number, "what": verb[:-4], "back": cur}, push=False)
        elif verb in ("edit", "del") and arg.isdigit():
            await self.row_action(item, verb, int(arg), cur)
        else:
            self.reask()

    async def row_action(self, item: ItemDef, verb: str, r: int, back: Cursor) -> None:
        assert self.record is not None
        if item.table is not None:
            rows = self.d.rows(item.table.id)
            if not 0 <= r < len(rows):
                self.reask()
                return
            if verb == "del":
                change = Change(f"tables.{item.table.id}.{r}", None, op="delete")
                self.record = await self.tx.dossiers.apply(self.record, [change], self.person_id)
                self.note(t("loop.deleted", n=r + 1))
                self.goto(back, push=False)
                return
            first = self.walk.row_fields(item, rows[r])[0]
            self.goto({"k": "col", "i": item.number, "r": r, "f": first.id, "edit": 1})
            return
        if not 0 <= r < len(self.d.relatives):
            self.reask()
            return
        row = self.d.relatives[r]
        code = row.get("quan_he", "")
        if verb == "del":
            change = Change(f"relatives.{r}", None, op="delete")
            self.record = await self.tx.dossiers.apply(self.record, [change], self.person_id)
            self.note(t("loop.deleted_person", name=row.get("ho_ten", "")))
            self.goto(back, push=False)
            return
        first = self.walk.row_fields(item, row, code)[0]
        self.goto({"k": "rel", "i": item.number, "c": code, "r": r, "f": first.id, "edit": 1})

    def add_closed(self, key: str) -> None:
        closed = list(self.state.get("closed", []))
        if key not in closed:
            closed.append(key)
        self.state["closed"] = closed

    def discard_closed(self, key: str) -> None:
        self.state["closed"] = [k for k in self.state.get("closed", []) if k != key]

    async def confirm(self, what: str, yes: bool) -> None:
        if what == "submit":
            if yes:
                await self.submit()
            else:
                self.say(t("submit.later"))
                self.back(quiet=True)
            return
        if what == "delete":
            if yes:
                await self.erase()
            else:
                self.say(t("delete.kept"))
                self.back(quiet=True)
            return
        if what == "drop":  # an answer that deletes relatives
            at, values = self.cur.get("at"), self.cur.get("values")
            fdef = self.walk.cursor_field(at) if isinstance(at, dict) and self.valid(at) else None
            if yes and fdef is not None and isinstance(values, dict):
                self.state["cur"] = at
                await self.store(at, fdef, Parsed(values), confirmed=True)
            else:
                self.note(t("confirm.clear_kept"))
                self.back(quiet=True)
            return
        if what == "clear":  # "Không" to an optional item that has data
            number = self.cur.get("i")
            if yes and self.walk.has_item(number or -1):
                self.state["cur"] = {"k": "gate", "i": number}
                await self.answer_gate(False, confirmed=True)
            else:
                self.note(t("confirm.clear_kept"))
                self.back(quiet=True)
            return

    def confirm_params(self, cur: Cursor) -> dict[str, Any]:
        if cur.get("what") not in ("clear", "drop") or not self.walk.has_item(cur.get("i", -1)):
            return {}
        item = self.walk.item(cur["i"])
        if cur["what"] == "drop":
            at, values = cur.get("at"), cur.get("values")
            doomed = (
                self.doomed_relatives(at, values)
                if isinstance(at, dict) and isinstance(values, dict)
                else []
            )
            incomplete = f" ({t('loop.incomplete')})"
            names = [self.relative_summary(item, row).removesuffix(incomplete) for row in doomed]
            return {"ref": item.ref or item.label, "count": len(doomed), "names": names}
        rows = len(self.d.rows(item.table.id)) if item.table is not None else 0
        return {"ref": item.ref or item.label, "rows": rows}

    # -- moving --------------------------------------------------------------------------------
    async def jump(self, number: int) -> None:
        if not self.walk.has_item(number):
            self.say(t("edit.no_item", n=number, items=self.item_list()))
            self.reask()
            return
        if not self.editable:
            self.say(t(f"status.{self.record.status}") if self.record else t("consent.needed"))
            return
        item = self.walk.item(number)
        self.state["review"] = number
        self.state.pop("fwd", None)
        slots = self.walk.item_slots(item, self.d)
        self.goto(slots[0])

    def advance(self, cur: Cursor) -> None:
        """Ask the question after ``cur`` (after an answer, a skip, "Giữ nguyên", "Xong").

        After "Quay lại" the questions stepped back over are asked again in order (forward
        stack, like a browser), so going back two questions to fix one returns through the
        other; then the walk continues with the first unanswered question.
        """
        fwd = list(self.state.get("fwd", []))
        gap = self.gap_after(cur) if fwd else None
        if gap is not None and not self.comes_before(fwd[-1], gap):
            # The answer opened new questions (alive → deceased: year, cause, place): they
            # come before the questions stepped back over, which stay on the stack.
            self.goto(gap)
            return
        while fwd:
            candidate = fwd.pop()
            self.state["fwd"] = fwd
            if self.valid(candidate) and _slot_key(candidate) != _slot_key(cur):
                self.goto(candidate)
                return
        self.state.pop("fwd", None)
        nxt = self.next_after(cur)
        before = self.walk.section_index(cur["i"]) if "i" in cur else None
        after = self.walk.section_index(nxt["i"]) if "i" in nxt else None
        if before is not None and before != after:
            flags = self.section_flags(before)
            fresh = [f for f in flags if f.key not in self.shown_keys]  # not just shown
            if fresh:
                self.show_flags(
                    fresh, title=t("flags.part_title", title=self.walk.sections[before].title)
                )
            elif not flags:
                self.note(t("part_done", title=self.walk.sections[before].title))
        self.goto(nxt)

    def gap_after(self, cur: Cursor) -> Cursor | None:
        """The first unanswered question after ``cur`` among its item's fields or its row."""
        kind = cur.get("k")
        if kind not in ("f", "col", "rel") or not self.walk.has_item(cur.get("i", -1)):
            return None
        walk, d = self.walk, self.d
        item = walk.item(cur["i"])
        if kind == "f":
            fields = walk.fields_of(item, d)
            ids = [f.id for f in fields]
            if cur["f"] not in ids:
                return None
            for f in fields[ids.index(cur["f"]) + 1 :]:
                if not answered(f, d.answers):
                    return {"k": "f", "i": item.number, "f": f.id}
            return None
        row, code = self.row_at(cur)
        if row is None:
            return None
        nxt = walk.next_in_row(item, row, cur["f"], code, all_=False)
        return _clean_cursor({**cur, "f": nxt.id}) if nxt is not None else None

    def row_at(self, cur: Cursor) -> tuple[Row | None, str | None]:
        """The stored row a "col"/"rel" cursor points at (None for a new one) and its code."""
        r = cur.get("r")
        if cur.get("k") == "col":
            item = self.walk.item(cur["i"])
            assert item.table is not None
            rows = self.d.rows(item.table.id)
            return (rows[r] if r is not None and r < len(rows) else None), None
        rels = self.d.relatives
        return (rels[r] if r is not None and r < len(rels) else None), cur.get("c")

    def comes_before(self, a: Cursor, b: Cursor) -> bool:
        """Whether question ``a`` precedes ``b`` in the same item's fields or the same row."""
        keys = ("k", "i", "r", "c")
        if any(a.get(k) != b.get(k) for k in keys) or a.get("k") not in ("f", "col", "rel"):
            return False
        item = self.walk.item(a["i"])
        if a["k"] == "f":
            ids = [f.id for f in item.fields]
        else:
            row, code = self.row_at(a)
            ids = [f.id for f in self.walk.row_fields(item, row or {}, code)]
        if a.get("f") not in ids or b.get("f") not in ids:
            return False
        return ids.index(a["f"]) < ids.index(b["f"])

    def next_after(self, cur: Cursor) -> Cursor:
        walk, d = self.walk, self.d
        kind = cur.get("k")
        if kind not in ("f", "col", "rel", "gate", "rows", "rels", "relmenu"):
            return walk.first_open(d, self.mem)
        item = walk.item(cur["i"])
        n = item.number
        editing = bool(cur.get("edit"))
        if kind == "col":
            assert item.table is not None
            rows = d.rows(item.table.id)
            r = cur["r"]
            if r < len(rows):
                nxt = walk.next_in_row(item, rows[r], cur["f"], all_=editing)
                if nxt is not None:
                    return _clean_cursor({**cur, "f": nxt.id})
            return {"k": "rows", "i": n}
        if kind == "rel":
            code = cur["c"]
            r = cur.get("r")
            if r is not None and r < len(d.relatives):
                nxt = walk.next_in_row(item, d.relatives[r], cur["f"], code, all_=editing)
                if nxt is not None:
                    return _clean_cursor({**cur, "f": nxt.id})
            if r is not None and r < len(d.relatives):  # the block is complete: summarise it
                self.note(t("person_done", summary=self.relative_summary(item, d.relatives[r])))
            if walk.relation(item, code).multiple and not editing:
                return {"k": "rels", "i": n, "c": code}
            if editing:
                return (
                    {"k": "relmenu", "i": n}
                    if self.state.get("review") == n
                    else walk.first_open(d, self.mem, n)
                )
        if self.state.get("review") == n and kind in ("f", "gate", "rows", "relmenu"):
            slots = walk.item_slots(item, d)
            keys = [_slot_key(s) for s in slots]
            here = _slot_key(cur)
            if here in keys and keys.index(here) + 1 < len(slots):
                nxt = slots[keys.index(here) + 1]
                if kind == "gate" and self.mem.gates.get(str(n)) == NO:
                    nxt = None
                if nxt is not None:
                    return nxt
            self.state.pop("review", None)
            later = walk.items[walk.items.index(item) + 1 :] if item in walk.items else []
            return walk.first_open(d, self.mem, later[0].number if later else None)
        return walk.first_open(d, self.mem, n)

    def goto(self, cur: Cursor, *, push: bool = True) -> None:
        old = self.state.get("cur")
        # Dialogs (confirmations, an explanation) are answered or left, never gone back to.
        transient = ("none", "consent", "idle", "erased", "confirm", "xpl", None)
        if push and old and old.get("k") not in transient and _slot_key(old) != _slot_key(cur):
            hist = list(self.state.get("hist", []))
            hist.append(_clean_cursor(old))
            self.state["hist"] = hist[-_HISTORY:]
        self.state["cur"] = cur
        self.ask(cur)

    def back(self, *, quiet: bool = False) -> None:
        hist = list(self.state.get("hist", []))
        here = self.cur
        while hist:
            prev = hist.pop()
            if self.valid(prev):
                self.state["hist"] = hist
                if not quiet and here.get("k") not in ("confirm", "xpl", "done", "idle", None):
                    fwd = list(self.state.get("fwd", []))
                    fwd.append(_clean_cursor(here))
                    self.state["fwd"] = fwd[-_HISTORY:]
                self.state["cur"] = prev
                self.ask(prev)
                return
        self.state["hist"] = []
        if not quiet:
            self.say(t("back.start"))
        self.ask(self.cur if self.valid(self.cur) else self.walk.first_open(self.d, self.mem))

    def valid(self, cur: Cursor) -> bool:
        """Whether ``cur`` still names a question that applies (history entries may not,
        after an answer changed what is asked)."""
        kind = cur.get("k")
        if kind in ("done", "idle", "confirm", "xpl"):
            return True
        if "i" not in cur or not self.walk.has_item(cur["i"]):
            return False
        walk, d = self.walk, self.d
        item = walk.item(cur["i"])
        if kind == "gate":
            return item.optional and bool(item.ask)
        if kind == "f":
            return cur.get("f") in {f.id for f in walk.fields_of(item, d)}
        if kind in ("rows", "pick") and item.table is not None:
            return True
        if kind == "col":
            if item.table is None or cur["r"] > len(d.rows(item.table.id)):
                return False
            rows = d.rows(item.table.id)
            row = rows[cur["r"]] if cur["r"] < len(rows) else {}
            return cur["f"] in {f.id for f in walk.row_fields(item, row)}
        if item.relatives is None:
            return False
        if kind in ("relmenu", "pick"):
            return True
        code = cur.get("c", "")
        if code not in {r.code for r in walk.relations_of(item, d)}:
            return False
        if kind == "rels":
            return True
        if kind == "rel":
            r = cur.get("r")
            if r is None:
                return cur["f"] in {f.id for f in walk.row_fields(item, {}, code)}
            if r >= len(d.relatives) or d.relatives[r].get("quan_he") != code:
                return False
            return cur["f"] in {f.id for f in walk.row_fields(item, d.relatives[r], code)}
        return False

    def reask(self) -> None:
        cur = self.cur
        if not self.consented:
            self.ask_consent(repeat=True)
            return
        if not self.valid(cur) or cur.get("k") == "none":
            cur = self.walk.first_open(self.d, self.mem)
            self.state["cur"] = cur
        self.ask(cur)

    # -- asking --------------------------------------------------------------------------------
    def ask(self, cur: Cursor, *, extra_options: list[str] | None = None) -> None:
        """Render the question at ``cur`` and remember its buttons (typed numbers/labels)."""
        q = int(self.state.get("q", 0)) + 1
        self.state["q"] = q
        tag = f"~{q}"
        kind = cur.get("k")
        opts: list[str] = []
        rows: list[list[Button]] = []
        text = ""

        def option(label: str, value: str | None = None) -> Button:
            opts.append(label if value is None else value)
            return Button(_label(label), f"{PREFIX}opt:{len(opts) - 1}{tag}")

        nav = [
            Button(t("button.back"), f"{PREFIX}back{tag}"),
            Button(t("button.explain"), f"{PREFIX}help{tag}"),
        ]
        if kind == "done":
            text = self.done_text()
            rows = [
                [Button(t("button.view"), f"{PREFIX}view{tag}")],
                [Button(t("button.submit"), f"{PREFIX}submit{tag}")]
                if self.editable
                else [Button(t("button.progress"), f"{PREFIX}progress{tag}")],
            ]
        elif kind == "idle":
            self.render_idle(t("idle"))
            return
        elif kind == "erased":
            self.say(t("delete.restart"))
            return
        elif kind == "confirm":
            text = t(f"confirm.{cur['what']}", **self.confirm_params(cur))
            rows = [
                [Button(t(f"confirm.{cur['what']}_yes"), f"{PREFIX}yes{tag}")],
                [Button(t(f"confirm.{cur['what']}_no"), f"{PREFIX}no{tag}")],
            ]
        elif kind == "xpl":
            text = t("explain_warning.ask", message=self.flag_message(cur["key"]))
            rows = [[Button(t("button.back"), f"{PREFIX}back{tag}")]]
        elif kind == "gate":
            item = self.walk.item(cur["i"])
            gate = self.walk.gate(item, self.d, self.mem)
            text = render(
                "chat/question.j2",
                header=self.header(item),
                ref=item.ref,
                label=item.label,
                subject="",
                prompt=item.ask,
                rule=_first_sentence(item.help),
                example="",
                current=gate or "",
            )
            rows = [
                [
                    Button(t("button.yes"), f"{PREFIX}yes{tag}"),
                    Button(t("button.no"), f"{PREFIX}no{tag}"),
                ],
                nav,
            ]
        elif kind in ("f", "col", "rel"):
            text, rows = self.field_question(cur, option, tag, nav, extra_options or [])
        elif kind == "rows":
            text, rows = self.rows_menu(cur, tag)
        elif kind == "rels":
            text, rows = self.rels_menu(cur, tag)
        elif kind == "relmenu":
            text, rows = self.relatives_menu(cur, tag)
        elif kind == "pick":
            text, rows = self.pick_menu(cur, tag)
        else:
            cur = self.walk.first_open(self.d, self.mem)
            self.state["cur"] = cur
            self.ask(cur)
            return
        self.state["opts"] = opts
        self.state["btn"] = [[b.label, b.action] for row in rows for b in row]
        if self.pending:
            text = "\n".join([*self.pending, "", text])
            self.pending.clear()
        self.say(text, rows)

    def field_question(
        self,
        cur: Cursor,
        option: Callable[..., Button],
        tag: str,
        nav: list[Button],
        extra: list[str],
    ) -> tuple[str, list[list[Button]]]:
        walk, d = self.walk, self.d
        item = walk.item(cur["i"])
        fdef = walk.field(item, cur["f"])
        kind = cur["k"]
        values: dict[str, str] = d.answers
        subject = ""
        if kind == "col":
            assert item.table is not None
            rows = d.rows(item.table.id)
            r = cur["r"]
            values = rows[r] if r < len(rows) else {}
            subject = t("row_subject", label=item.table.row_label, n=r + 1)
        elif kind == "rel":
            r = cur.get("r")
            values = d.relatives[r] if r is not None and r < len(d.relatives) else {}
            rel = walk.relation(item, cur["c"])
            subject = rel.label
            if rel.multiple:
                count = len(walk.relatives_of(d, rel.code))
                n = (
                    (walk.relatives_of(d, rel.code).index(r) + 1)
                    if r in walk.relatives_of(d, rel.code)
                    else count + 1
                )
                subject = t("person_subject", label=rel.label, n=n)
            if values.get("ho_ten") and fdef.id != "ho_ten":
                subject += f" – {values['ho_ten']}"
        current = ""
        if any(k in values for k in fdef.storage_keys()):
            current = _display(fdef, values) or t("empty_value")
        prompt = fdef.prompt or fdef.label
        sug = cur.get("sug")
        buttons: list[list[Button]] = []
        if sug:
            key = "suggestion.ask" if _BRACKET_OLD in sug else "suggestion.ask_current"
            text = t(key, typed=current, suggestion=sug)
            buttons = [
                [Button(t("suggestion.accept"), f"{PREFIX}sug:yes{tag}")],
                [Button(t("suggestion.keep"), f"{PREFIX}sug:no{tag}")],
            ]
            return text, buttons
        if fdef.kind is Kind.PERIOD and cur.get("tu"):
            if self.may_end_now(item):
                prompt = t("period.end_prompt", start=cur["tu"])
                buttons.append([option(t("period.now"), "nay")])
            else:
                prompt = t("period.end_prompt_past", start=cur["tu"])
        elif fdef.kind is Kind.PERIOD:
            starts = self.proposed_starts(item, cur)
            if starts:
                buttons.append(
                    [Button(t("period.from", month=m), f"{PREFIX}from:{m}{tag}") for m in starts]
                )
        elif fdef.kind is Kind.PLEDGE:
            prompt = f"{prompt}\n«{self.form.pledge}»"
            buttons.append([option(t("pledge.yes"), self.form.pledge)])
        suggestions = list(fdef.suggestions)
        if kind == "f" and fdef.kind is Kind.NAME:
            suggestions += self.own_name(fdef)
        if kind == "rel":
            suggestions = _suited(suggestions, walk.relation(item, cur["c"]).label)
        choices = list(dict.fromkeys([*extra, *fdef.choices, *suggestions]))
        if fdef.kind is Kind.YES_NO and not choices:
            choices = [YES, NO]
        line: list[Button] = []
        for choice in choices:
            line.append(option(choice))
            if len(line) == 2 or len(choice) > 18:
                buttons.append(line)
                line = []
        if line:
            buttons.append(line)
        tail: list[Button] = []
        if current and answered(fdef, values):
            tail.append(Button(t("button.keep"), f"{PREFIX}keep{tag}"))
        if not fdef.required:
            tail.append(Button(t("button.skip"), f"{PREFIX}skip{tag}"))
        if tail:
            buttons.append(tail)
        buttons.append(nav)
        text = render(
            "chat/question.j2",
            header=self.header(item),
            ref=item.ref,
            label=item.label if fdef.label == item.label else f"{item.label} – {fdef.label}",
            subject=subject,
            prompt=prompt,
            rule=_first_sentence(fdef.help),
            example=fdef.example,
            current=current,
        )
        return text, buttons

    def own_name(self, fdef: FieldDef) -> list[str]:
        """For a name field of the candidate after the first one (the name under the
        signature), the name already given: it must be written the same, and an unaccented
        keyboard cannot type its diacritics."""
        for item in self.walk.items:
            for f in item.fields:
                if f.kind is Kind.NAME:
                    name = str(self.d.answers.get(f.id, "")).strip()
                    return [name] if f.id != fdef.id and name else []
        return []

    def may_end_now(self, item: ItemDef) -> bool:
        """Whether a period of ``item`` may end "nay": not in a timeline that another
        continuous table carries on (it ends where the next one begins)."""
        if item.table is None or not item.table.continuous:
            return True
        timelines = [it for it in self.walk.items if it.table and it.table.continuous]
        return item is timelines[-1]

    def proposed_starts(self, item: ItemDef, cur: Cursor) -> list[str]:
        """Start months to offer for a period: after the previous row's end, or after the end
        of the previous continuous table for a first row."""
        table = item.table
        if table is None or not table.continuous:
            return []
        rows = self.d.rows(table.id)
        r = cur.get("r", 0)
        previous: str | None = None
        same_table = r > 0 and r - 1 < len(rows)
        if same_table:
            previous = rows[r - 1].get("den")
        else:
            before = [it for it in self.walk.items if it.table and it.table.continuous]
            idx = before.index(item) if item in before else 0
            if idx > 0:
                prev_rows = self.d.rows(before[idx - 1].table.id)  # type: ignore[union-attr]
                previous = prev_rows[-1].get("den") if prev_rows else None
        if not previous or previous == "nay":
            return []
        try:
            month = parsers.parse_month(previous)
        except parsers.ParseError:
            return []
        following = parsers.format_month(month.next())
        return [following] if same_table else [parsers.format_month(month), following]

    def rows_menu(self, cur: Cursor, tag: str) -> tuple[str, list[list[Button]]]:
        item = self.walk.item(cur["i"])
        assert item.table is not None
        rows = self.d.rows(item.table.id)
        lines = [self.row_summary(item, row, None) for row in rows]
        incomplete = [i + 1 for i, row in enumerate(rows) if not self.walk.row_complete(item, row)]
        text = render(
            "chat/rows.j2",
            header=self.header(item),
            ref=item.ref,
            label=item.label,
            help=_first_sentence(item.help),
            rows=lines,
            row_label=item.table.row_label,
            incomplete=incomplete,
        )
        buttons = [[Button(t("loop.add", label=item.table.row_label), f"{PREFIX}add{tag}")]]
        if rows:
            buttons.append(
                [
                    Button(t("loop.edit"), f"{PREFIX}editpick{tag}"),
                    Button(t("loop.delete"), f"{PREFIX}delpick{tag}"),
                ]
            )
        buttons.append([Button(t("loop.done") if rows else t("loop.none"), f"{PREFIX}done{tag}")])
        buttons.append(
            [
                Button(t("button.back"), f"{PREFIX}back{tag}"),
                Button(t("button.explain"), f"{PREFIX}help{tag}"),
            ]
        )
        return text, buttons

    def rels_menu(self, cur: Cursor, tag: str) -> tuple[str, list[list[Button]]]:
        item = self.walk.item(cur["i"])
        rel = self.walk.relation(item, cur["c"])
        indices = self.walk.relatives_of(self.d, rel.code)
        lines = [self.relative_summary(item, self.d.relatives[i]) for i in indices]
        text = render(
            "chat/relatives.j2",
            header=self.header(item),
            title=f"{item.ref} {item.label} – {rel.label}".strip(),
            rows=lines,
            kind="one",
        )
        buttons = [[Button(t("loop.add_person", label=rel.label.lower()), f"{PREFIX}add{tag}")]]
        if indices:
            buttons.append(
                [
                    Button(t("loop.edit"), f"{PREFIX}editpick{tag}"),
                    Button(t("loop.delete"), f"{PREFIX}delpick{tag}"),
                ]
            )
        buttons.append([Button(t("loop.done"), f"{PREFIX}done{tag}")])
        buttons.append([Button(t("button.back"), f"{PREFIX}back{tag}")])
        return text, buttons

    def relatives_menu(self, cur: Cursor, tag: str) -> tuple[str, list[list[Button]]]:
        item = self.walk.item(cur["i"])
        lines = [self.relative_summary(item, row) for row in self.d.relatives]
        text = render(
            "chat/relatives.j2",
            header=self.header(item),
            title=f"{item.ref} {item.label}".strip(),
            rows=lines,
            kind="all",
        )
        buttons: list[list[Button]] = []
        if lines:
            buttons.append(
                [
                    Button(t("loop.edit"), f"{PREFIX}editpick{tag}"),
                    Button(t("loop.delete"), f"{PREFIX}delpick{tag}"),
                ]
            )
        for rel in self.walk.relations_of(item, self.d):
            if rel.multiple or not self.walk.relatives_of(self.d, rel.code):
                buttons.append(
                    [
                        Button(
                            t("loop.add_person", label=rel.label.lower()),
                            f"{PREFIX}addrel:{rel.code}{tag}",
                        )
                    ]
                )
        buttons.append([Button(t("loop.done"), f"{PREFIX}done{tag}")])
        buttons.append([Button(t("button.back"), f"{PREFIX}back{tag}")])
        return text, buttons

    def pick_menu(self, cur: Cursor, tag: str) -> tuple[str, list[list[Button]]]:
        item = self.walk.item(cur["i"])
        verb = "edit" if cur["what"] == "edit" else "del"
        if item.table is not None:
            entries = [
                (i, self.row_summary(item, row, None))
                for i, row in enumerate(self.d.rows(item.table.id))
            ]
        else:
            indices = (
                self.walk.relatives_of(self.d, cur["c"])
                if cur.get("c")
                else range(len(self.d.relatives))
            )
            entries = [(i, self.relative_summary(item, self.d.relatives[i])) for i in indices]
        buttons = [
            [Button(_label(f"{n}. {summary}"), f"{PREFIX}{verb}:{i}{tag}")]
            for n, (i, summary) in enumerate(entries, start=1)
        ]
        buttons.append([Button(t("button.back"), f"{PREFIX}back{tag}")])
        self.state["cur"] = cur["back"]  # the pick is a view of the menu, not a step
        return t(f"loop.pick_{cur['what']}"), buttons

    def render_idle(self, text: str) -> None:
        q = int(self.state.get("q", 0)) + 1
        self.state["q"] = q
        buttons = [[Button(t("button.continue"), f"{PREFIX}cont~{q}")]]
        self.state["btn"] = [[b.label, b.action] for row in buttons for b in row]
        self.state["opts"] = []
        self.say(text, buttons)

    def explain(self) -> None:
        cur = self.cur
        if "i" not in cur:
            self.say(render("chat/help.j2", commands=COMMANDS))
            self.reask()
            return
        item = self.walk.item(cur["i"])
        fdef = self.walk.cursor_field(cur)
        self.say(
            render(
                "chat/explain.j2",
                ref=item.ref,
                label=item.label,
                item_help=item.help,
                field_label=fdef.label if fdef else "",
                field_help=fdef.help if fdef else "",
                example=fdef.example if fdef else "",
            )
        )
        self.reask()

    # -- texts ---------------------------------------------------------------------------------
    def header(self, item: ItemDef) -> str:
        index = self.walk.section_index(item.number)
        done, total = self.walk.section_progress(index, self.d, self.mem)
        return t(
            "part_header",
            n=index + 1,
            of=len(self.walk.sections),
            title=self.walk.sections[index].title,
            done=done,
            total=total,
        )

    def overview_text(self, *, intro: bool = False) -> str:
        parts = []
        for i, section in self.walk.iter_sections():
            done, total = self.walk.section_progress(i, self.d, self.mem)
            parts.append({"n": i + 1, "title": section.title, "done": done, "total": total})
        return render("chat/overview.j2", parts=parts, intro=intro)

    def done_text(self) -> str:
        flags = self.open_flags(scope="all")
        errors = sum(f.is_error for f in flags)
        warnings = sum(not f.is_error and not f.explanation for f in flags)
        status = self.record.status if self.record else "draft"
        return render("chat/done.j2", errors=errors, warnings=warnings, status=status)

    def item_list(self) -> str:
        return ", ".join(str(it.number) for it in self.walk.items)

    def row_summary(self, item: ItemDef, row: Row, code: str | None) -> str:
        parts = []
        for f in self.walk.row_fields(item, row, code):
            value = _display(f, row)
            if value:
                parts.append(value)
        return _short(" · ".join(parts), 160) or t("loop.empty_row")

    def relative_summary(self, item: ItemDef, row: Row) -> str:
        code = row.get("quan_he", "")
        try:
            label = self.walk.relation(item, code).label
        except KeyError:
            label = code
        bits = [row.get("xung_ho") or label, row.get("ho_ten", "?")]
        if row.get("nam_sinh"):
            bits.append(t("born", year=row["nam_sinh"]))
        if row.get("da_mat") == YES:
            bits.append(t("deceased", year=row.get("nam_mat", "")))
        complete = self.walk.row_complete(item, row, code)
        return ", ".join(b for b in bits if b) + ("" if complete else f" ({t('loop.incomplete')})")

    # -- flags ---------------------------------------------------------------------------------
    def open_flags(self, *, scope: str = "all") -> list[Flag]:
        try:
            return fchecks.run_checks(self.d, today=self.today, scope=scope)  # type: ignore[arg-type]
        except Exception as exc:  # a broken rule must not break the conversation
            log.exception("checks failed: %s", type(exc).__name__)
            return []

    def finished_items(self) -> list[int]:
        """The items the conversation has finished (every question answered, loops closed)."""
        return [
            it.number for it in self.walk.items if self.walk.item_complete(it, self.d, self.mem)
        ]

    def progress_flags(self) -> list[Flag]:
        """/tiendo: the flags of what is finished; an item being filled in (relatives not
        asked yet, a table still open) waits until it is done."""
        try:
            return fchecks.run_checks(self.d, today=self.today, finished=self.finished_items())
        except Exception as exc:
            log.exception("checks failed: %s", type(exc).__name__)
            return []

    def field_flags(self, cur: Cursor, fdef: FieldDef) -> list[Flag]:
        item = self.walk.item(cur["i"])
        target = item.table.id if (cur["k"] == "col" and item.table) else fdef.id
        try:
            flags = fchecks.check_field(self.d, target, today=self.today)
        except Exception as exc:
            log.exception("field checks failed: %s", type(exc).__name__)
            return []
        if cur["k"] not in ("col", "rel"):
            # This answer's problems and its item's own; the item's loops wait for "Xong".
            return [
                f
                for f in flags
                if f.field == fdef.id
                or (f.item == item.number and f.table is None and f.field is None)
            ]
        # In a row: while it is being entered only the answer's own format problems; once it
        # is complete, the row's problems. Table-wide ones wait for "Xong" / the part's end.
        r = cur.get("r")
        if cur["k"] == "col":
            assert item.table is not None
            rows = self.d.rows(item.table.id)
            row = rows[r] if r is not None and r < len(rows) else {}
            code = None
        else:
            row = self.d.relatives[r] if r is not None and r < len(self.d.relatives) else {}
            code = cur["c"]
        mine = [f for f in flags if f.item == item.number and f.row == r and f.field]
        if self.walk.row_complete(item, row, code):
            return mine
        return [f for f in mine if f.field in fdef.storage_keys() or f.field == fdef.id]

    def unseen(self, flags: list[Flag]) -> list[Flag]:
        """Flags not yet shown after an answer (summaries show them all again)."""
        seen = list(self.state.get("seen", []))
        fresh = [f for f in flags if f.key not in seen]
        self.state["seen"] = (seen + [f.key for f in fresh])[-60:]
        return fresh

    def item_flags(self, item: ItemDef) -> list[Flag]:
        try:
            flags = fchecks.check_items(
                self.d, [item.number], today=self.today, finished=self.finished_items()
            )
        except Exception as exc:
            log.exception("item checks failed: %s", type(exc).__name__)
            return []
        return [f for f in flags if f.item == item.number]

    def section_flags(self, index: int) -> list[Flag]:
        numbers = [it.number for it in self.walk.section_items(index)]
        try:
            flags = fchecks.check_items(
                self.d, numbers, today=self.today, finished=self.finished_items()
            )
        except Exception as exc:
            log.exception("part checks failed: %s", type(exc).__name__)
            return []
        return [f for f in flags if f.item in numbers and not f.explanation]

    def flag_message(self, key: str) -> str:
        for f in self.open_flags(scope="all"):
            if f.key == key:
                return f.message
        return ""

    def show_flags(
        self, flags: list[Flag], *, title: str = "", offset: int = 0, pageable: bool = False
    ) -> None:
        """``flags[offset:]``, a page of them; ``pageable``: a "Xem thêm" button shows the next
        page of /tiendo (elsewhere the text points to /tiendo)."""
        shown = flags[offset : offset + _FLAGS_SHOWN]
        more = len(flags) - offset - len(shown)
        self.shown_keys.update(f.key for f in shown)
        keys: list[str] = []
        buttons: list[list[Button]] = []
        jumps: list[int] = []
        for f in shown:
            if f.item not in jumps and self.walk.has_item(f.item):
                jumps.append(f.item)
            if not f.is_error and not f.explanation:
                keys.append(f.key)
        fq = int(self.state.get("fq", 0)) + 1
        row: list[Button] = []
        for n in jumps[:4]:
            it = self.walk.item(n)
            row.append(Button(t("flags.jump", ref=it.ref or _short(it.label, 24)), jump_action(n)))
        if row:
            buttons.append(row)
        for i, _ in enumerate(keys[:3]):
            buttons.append([Button(t("flags.explain", n=i + 1), f"{PREFIX}xpl:{fq}.{i}")])
        if pageable and more > 0:
            next_page = offset + len(shown)
            buttons.append([Button(t("flags.more", count=more), f"{PREFIX}more:{next_page}")])
        self.state["fk"] = keys
        self.state["fq"] = fq
        self.state["fbtn"] = [[b.label, b.action] for line in buttons for b in line]
        text = render(
            "chat/flags.j2",
            title=title,
            flags=[
                {
                    "error": f.is_error,
                    "message": f.message,
                    "ref": self.walk.item(f.item).ref if self.walk.has_item(f.item) else "",
                    "explanation": f.explanation or "",
                    "explain_n": keys.index(f.key) + 1 if f.key in keys[:3] else 0,
                }
                for f in shown
            ],
            more=more,
            more_button=pageable,
        )
        self.say(text, buttons)


# ---------------------------------------------------------------------------------------------
# Helpers


def _suited(suggestions: list[str], relation: str) -> list[str]:
    """The suggestions that start with a word of the relation's label ("Anh, chị, em ruột":
    "Anh trai", "Em gái", not "Con trai"); all of them when none does."""
    words = set(match_key(relation).split())
    suited = [s for s in suggestions if match_key(s).partition(" ")[0] in words]
    return suited or suggestions


_LOOP_DONE = frozenset(
    match_key(w)
    for w in ("hết", "hết rồi", "xong rồi", "đủ rồi", "không còn", "không còn ai", "không còn nữa")
)


def _loop_reply(text: str, *, adding: bool) -> str:
    """The loop action a typed reply to a loop menu means: "không" / "hết rồi" → done, "có"
    → add (when the menu adds one kind of row); "" when it means neither."""
    if match_key(text) in _LOOP_DONE:
        return "done"
    try:
        yes = parsers.parse_yes_no(text)
    except parsers.ParseError:
        return ""
    if yes:
        return "add" if adding else ""
    return "done"


def _typed_consent(text: str) -> str:
    """The consent action a typed reply means ("đồng ý", "dong y", "có", "không đồng ý"…)."""
    try:
        yes = parsers.parse_yes_no(text)
    except parsers.ParseError:
        return ""
    return f"{PREFIX}consent:{'yes' if yes else 'no'}"


def _keep(state: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: state[k] for k in keys if k in state}


def _slot_key(cur: Cursor) -> tuple[Any, ...]:
    return (
        cur.get("k"),
        cur.get("i"),
        cur.get("f"),
        cur.get("r"),
        cur.get("c"),
        cur.get("what"),
        cur.get("key"),
    )


def _clean_cursor(cur: Cursor) -> Cursor:
    """A cursor without the transient parts of a question (chosen start month, suggestion)."""
    return {k: v for k, v in cur.items() if k not in ("tu", "sug")}


def _first_sentence(text: str) -> str:
    text = text.strip()
    for stop in (". ", "; "):
        if stop in text:
            return text.split(stop, 1)[0].rstrip(".") + "."
    return text


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _label(text: str) -> str:
    return _short(text, 40)


def _display(fdef: FieldDef, values: dict[str, str]) -> str:
    if fdef.kind is Kind.PERIOD:
        tu, den = values.get("tu", ""), values.get("den", "")
        return f"{tu} - {den}" if tu or den else ""
    return str(values.get(fdef.id, ""))


def _filename(d: Dossier) -> str:
    from forms.vn import fold

    name = fold(d.answers.get("ho_ten", "")).upper().replace(" ", "_")
    safe = "".join(ch for ch in name if ch.isalnum() or ch == "_")
    return f"ly-lich-nhap{'-' + safe if safe else ''}.docx"
