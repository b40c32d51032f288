"""Questions that ask one field: the base :class:`Question` (rendering, parsing the typed
answer, storing it, the address suggestion, "Bỏ qua", "Giữ nguyên", a proposed start month)
and :class:`FieldQuestion`, a scalar field of an item, with the confirmation it may need
first (:class:`ConfirmDrop`). Table columns are in :mod:`.tables`, relatives' facts in
:mod:`.relatives`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from forms import parsers
from forms.checks import Flag
from forms.classify import Verdict, other_subject
from forms.dossier import Row
from forms.model import FieldDef, ItemDef, Kind
from forms.texts import render_filled
from handlers.candidate.actions import (
    BACK,
    HELP,
    KEEP,
    OPTION,
    SKIP,
    START_MONTH,
    SUGGESTION,
    Answer,
    Month,
    Option,
)
from handlers.candidate.ahead import split_ahead
from handlers.candidate.answers import AnswerError, Parsed, parse_answer
from handlers.candidate.core import Screen, Shown, Turn, on
from handlers.candidate.erasing import (
    ConfirmDrop,
    Lost,
    doomed_relatives,
    drop_inapplicable_relatives,
    lost_answers,
)
from handlers.candidate.flags import field_flags, show_flags, unseen
from handlers.candidate.intent import another_answer, keepable, not_stored, read
from handlers.candidate.periods import may_end_now, proposed_starts, start_button
from handlers.candidate.shortcuts import Copy, address_above, offer_copy
from handlers.candidate.structure import NO, YES, answered
from handlers.candidate.summaries import header
from handlers.candidate.texts import (
    BRACKET_OLD,
    display,
    first_sentence,
    joined,
    label,
    short,
    t,
    typed_yes_no,
)
from handlers.events import Button
from storage.core import Change


class Options:
    """The option buttons of one question: their values are remembered by number."""

    def __init__(self, seq: int) -> None:
        self.seq = seq
        self.values: list[str] = []

    def button(self, text: str, value: str | None = None) -> Button:
        self.values.append(text if value is None else value)
        return Button(label(text), OPTION.encode(Option(len(self.values) - 1), seq=self.seq))


#: Offers whose "no" has its own label (a copy declined, a message not joined).
_OWN_KEEP = frozenset({"copy", "append"})
#: The suggestion's own words for each side, besides its button labels.
SUGGESTION_WORDS = {
    "yes": (t("suggestion.accept"), "dùng đề xuất", "dùng cách này", "lấy đề xuất", "sửa"),
    "no": (t("suggestion.keep"), "giữ nguyên", "giữ", "giữ như cũ", "không dùng", "để nguyên"),
}


def nav_buttons(seq: int) -> list[Button]:
    """ "Quay lại" and "Giải thích", under every question."""
    return [
        Button(t("button.back"), BACK.encode(seq=seq)),
        Button(t("button.explain"), HELP.encode(seq=seq)),
    ]


@dataclass(frozen=True, slots=True)
class Question(Screen):
    """A question of one field (see the module docstring)."""

    item: int = field()  # field(): not the base class's property as a default
    field_id: str
    start: str | None = field(default=None, kw_only=True)  # the chosen start of a period
    suggestion: str | None = field(default=None, kw_only=True)  # a better writing offered
    others: tuple[str, ...] = field(default=(), kw_only=True)  # more real names, as options
    reason: str = field(default="", kw_only=True)  # "", "closest", "diacritics", "copy", "append"
    source: str = field(default="", kw_only=True)  # where a copied answer comes from

    question = True
    remembered = True

    def extras(self) -> dict[str, Any]:
        found = {
            "start": self.start,
            "suggestion": self.suggestion,
            "others": list(self.others) or None,
            "reason": self.reason or None,
            "source": self.source or None,
        }
        return {k: v for k, v in found.items() if v is not None}

    def settled(self, **changes: Any) -> Question:
        """The question without a pending offer (and with ``changes``)."""
        cleared: dict[str, Any] = {"suggestion": None, "others": (), "reason": "", "source": ""}
        return dataclasses.replace(self, **{**cleared, **changes})

    def item_def(self, turn: Turn) -> ItemDef:
        return turn.structure.item(self.item)

    def field_def(self, turn: Turn) -> FieldDef:
        return turn.structure.field(self.item_def(turn), self.field_id)

    def block(self, turn: Turn) -> Sequence[FieldDef]:
        """The fields asked alongside this one: the item's (a row's, in a table)."""
        return self.item_def(turn).fields

    # -- per kind ------------------------------------------------------------------------------
    def values(self, turn: Turn) -> Row:
        """The stored values the question's field belongs to."""
        raise NotImplementedError

    def subject(self, turn: Turn, fdef: FieldDef, values: Row) -> str:
        """Whose field it is ("Dòng 2", "Anh, chị, em ruột (thứ 2) – NGUYỄN VĂN AN")."""
        return ""

    def choices(self, turn: Turn, fdef: FieldDef) -> list[str]:
        return list(fdef.suggestions)

    async def write(self, turn: Turn, values: Mapping[str, str]) -> Question:
        """Store ``values`` as a dossier change; the question with its row's real index."""
        raise NotImplementedError

    def own_flags(self, turn: Turn, fdef: FieldDef) -> list[Flag]:
        """The flags to show right after this answer."""
        raise NotImplementedError

    def lost(self, turn: Turn, values: Mapping[str, str]) -> list[Lost]:
        """The stored answers that storing ``values`` would erase ("Năm mất: 2015")."""
        raise NotImplementedError

    def confirm_first(self, turn: Turn, values: Mapping[str, str]) -> Screen | None:
        """A confirmation to ask before storing ``values`` (it would erase answers), or
        None."""
        if not self.lost(turn, values):
            return None
        return ConfirmDrop(self.item, self, dict(values))

    # -- rendering -----------------------------------------------------------------------------
    def render(self, turn: Turn, extra_options: Sequence[str]) -> Shown:
        item, fdef = self.item_def(turn), self.field_def(turn)
        values = self.values(turn)
        current = ""
        if any(k in values for k in fdef.storage_keys()):
            current = display(fdef, values) or t("empty_value")
        seq = turn.conversation.asked
        options = Options(seq)
        if self.suggestion:
            return self.offer(turn, current, options)
        prompt, rows = self.kind_buttons(turn, item, fdef, options)
        rows += self.choice_rows(turn, fdef, options, extra_options)
        tail: list[Button] = []
        if current and answered(fdef, values) and keepable(fdef, values):
            tail.append(Button(t("button.keep"), KEEP.encode(seq=seq)))
        if not fdef.required:
            tail.append(Button(t("button.skip"), SKIP.encode(seq=seq)))
        if tail:
            rows.append(tail)
        rows.append(nav_buttons(seq))
        text = render_filled(
            "chat/question.j2",
            {
                "header": header(turn, item),
                "subject": self.subject(turn, fdef, values),
                "current": current,
            },
            ref=item.ref,
            label=item.label if fdef.label == item.label else f"{item.label} – {fdef.label}",
            prompt=prompt,
            rule=first_sentence(fdef.help),
            example=fdef.example,
        )
        return Shown(text, rows, options.values)

    def offer(self, turn: Turn, typed: str, options: Options) -> Shown:
        """A better writing of what was just stored: the new name of a place, the closest
        real names of a place not found (each a button), the text with its diacritics."""
        suggestion, seq = self.suggestion or "", options.seq
        text_key = (
            f"suggestion.ask_{self.reason}"
            if self.reason
            else ("suggestion.ask" if BRACKET_OLD in suggestion else "suggestion.ask_current")
        )
        accept = {"closest": label(suggestion), "copy": t("suggestion.accept_copy")}
        accept["append"] = t("suggestion.accept_append")
        keep = t(
            f"suggestion.keep_{self.reason}" if self.reason in _OWN_KEEP else "suggestion.keep"
        )
        yes = SUGGESTION.encode(Answer("yes"), seq=seq)
        rows = [[Button(accept.get(self.reason) or t("suggestion.accept"), yes)]]
        rows += [[options.button(other)] for other in self.others]
        rows.append([Button(keep, SUGGESTION.encode(Answer("no"), seq=seq))])
        text = t(
            text_key,
            typed=typed,
            suggestion=suggestion,
            others=list(self.others),
            source=self.source,
            asked=self.field_def(turn).label,
        )
        return Shown(text, rows, options.values)

    def kind_buttons(
        self, turn: Turn, item: ItemDef, fdef: FieldDef, options: Options
    ) -> tuple[str, list[list[Button]]]:
        """The prompt and the buttons particular to the field's kind: a period's proposed
        start months or "nay", the pledge."""
        prompt = fdef.prompt or fdef.label
        if fdef.kind is Kind.PERIOD and self.start:
            if may_end_now(turn, item):
                return t("period.end_prompt", start=self.start), [
                    [options.button(t("period.now"), "nay")]
                ]
            return t("period.end_prompt_past", start=self.start), []
        if fdef.kind is Kind.PERIOD:
            starts = proposed_starts(turn, item, self.row_number())
            return prompt, ([[start_button(m, options.seq) for m in starts]] if starts else [])
        if fdef.kind is Kind.PLEDGE:
            pledge = turn.wiring.form.pledge
            return f"{prompt}\n«{pledge}»", [[options.button(t("pledge.yes"), pledge)]]
        return prompt, []

    def choice_rows(
        self, turn: Turn, fdef: FieldDef, options: Options, extra: Sequence[str]
    ) -> list[list[Button]]:
        """The field's choices and likely answers, two to a row (long ones alone)."""
        choices = list(dict.fromkeys([*extra, *fdef.choices, *self.choices(turn, fdef)]))
        if fdef.kind is Kind.YES_NO and not choices:
            choices = [YES, NO]
        rows: list[list[Button]] = []
        line: list[Button] = []
        for choice in choices:
            line.append(options.button(choice))
            if len(line) == 2 or len(choice) > 18:
                rows.append(line)
                line = []
        if line:
            rows.append(line)
        if fdef.unknown_allowed:
            rows.append([options.button(t("button.unknown"), parsers.UNKNOWN)])
        return rows

    def row_number(self) -> int:
        """The row asked (0 outside tables): periods propose the previous row's end."""
        return 0

    # -- answering -----------------------------------------------------------------------------
    async def on_text(self, turn: Turn, text: str, *, from_button: bool = False) -> None:
        fdef = self.field_def(turn)
        screen: Question = self
        if self.suggestion:
            # "co", "dung" (dùng), "ok", "thoi", "giu nguyen": the reply to the suggestion
            said = None if from_button else typed_yes_no(text, **SUGGESTION_WORDS)
            if said and self.reason == "closest":
                # a bare "có" picks no name the candidate never typed: one is tapped
                turn.say(t("suggestion.pick"))
                turn.nav.reask()
                return
            if said is not None:
                await self.settle(turn, Answer("yes" if said else "no"))
                return
            if not from_button and self.not_an_answer(turn, fdef, text):
                return
            if not from_button and self.holds_other(turn, fdef, text):
                return
            # The answer typed again (with diacritics, corrected): the new answer.
            screen = self.settled()
            turn.conversation.screen = screen
        if not from_button and offer_copy(turn, screen, fdef, text):
            return
        if not from_button:
            reading = read(text, fdef)
            if reading.verdict is Verdict.I_DONT_KNOW and fdef.unknown_allowed:
                text = parsers.UNKNOWN  # the guidance's words, never an invented fact
            elif reading.is_answer and reading.reason == "no":
                text = NO  # "ko co j", "k ap dung": the booklet's "không", however typed
            elif reading.yes_no and fdef.kind is Kind.YES_NO:
                text = YES  # "có con rồi", "đã kết hôn": the question's words repeated
            elif not reading.is_answer:  # or the rest of the long answer given before it
                if not turn.nav.continue_long_answer(text):
                    turn.say(not_stored(reading, text, fdef, screen.explanation(turn)))
                    turn.nav.reask()
                return
            elif screen.one_question_off(turn, fdef, text):
                return
        try:
            parsed = parse_answer(
                fdef, text, form=turn.wiring.form, today=turn.today, period_start=screen.start
            )
        except AnswerError as exc:
            if not from_button and (
                await screen.answer_with_next(turn, fdef, text)
                or turn.nav.continue_long_answer(text)
            ):
                return
            turn.say(t("parse_failed", error=exc.message))
            turn.nav.ask(screen, exc.options)
            return
        if fdef.unknown_allowed and parsed.text == parsers.UNKNOWN:
            turn.note(t("not_answer.unknown_stored", n=self.item))
        if screen.too_short(turn, fdef, parsed):
            return
        await screen.store(turn, fdef, parsed)

    def too_short(self, turn: Turn, fdef: FieldDef, parsed: Parsed) -> bool:
        """One month typed alone ("3/2019") where the item records only stays of
        ``fdef.min_months`` or more (18): not a one-month stay — the month is the start, the
        end asked, said why."""
        tu, den = parsed.values.get("tu"), parsed.values.get("den")
        if fdef.min_months < 2 or self.start or not tu or tu != den:
            return False
        turn.note(t("period.short_stay", months=fdef.min_months, start=tu))
        turn.nav.goto(self.settled(start=tu), push=False)
        return True

    async def answer_with_next(self, turn: Turn, fdef: FieldDef, text: str) -> bool:
        """Whether ``text``, no answer to this question, holds it and the next question's
        answer and was taken so (a table's row typed in one line: loops.py)."""
        return False

    def one_question_off(self, turn: Turn, fdef: FieldDef, text: str) -> bool:
        """A text naming another question's subject and not this one's ("tiếng Anh B1" at
        «Tin học»: the answer to «Ngoại ngữ» typed one question late): not stored, told why."""
        other = other_subject(text, fdef, self.block(turn))
        if other is None:
            return False
        asked, none = fdef.label, "không" in fdef.suggestions  # none: its «không» button
        said = t("not_answer.other_subject", typed=short(text, 60), other=other.label, asked=asked)
        turn.say(f"{said} {t('not_answer.this_subject', asked=asked, none=none)}")
        turn.nav.reask()
        return True

    def not_an_answer(self, turn: Turn, fdef: FieldDef, text: str) -> bool:
        """A text that answers nothing ("?", "help", an emoji, "cảm ơn") while a better
        writing is offered: told why, with the help, and the offer is shown again — it is not
        dropped for the bare question."""
        reading = read(text, fdef)
        if reading.is_answer or reading.verdict is Verdict.I_DONT_KNOW:
            return False
        turn.say(not_stored(reading, text, fdef, self.explanation(turn)))
        turn.nav.reask()
        return True

    def holds_other(self, turn: Turn, fdef: FieldDef, text: str) -> bool:
        """A text unlike the answer just stored, while its better writing is offered, is
        most likely the answer to the next question ("tai nha" after "gia yeu" at «Lý do
        mất»): it is not stored over this one; the offer is shown again."""
        if self.reason == "append":  # a third part of the same long answer: joined too
            screen = self.settled(suggestion=joined(self.suggestion or "", text), reason="append")
            turn.conversation.screen = screen
            turn.nav.ask(screen)
            return True
        stored = str(self.values(turn).get(fdef.id, "") or "")
        if self.reason == "copy" or not another_answer(text, fdef, stored, self.suggestion):
            return False
        turn.say(t("suggestion.pending", typed=short(text, 60), asked=fdef.label))
        turn.nav.reask()
        return True

    def copy_above(self, turn: Turn, fdef: FieldDef) -> Copy | None:
        """The address "như trên" names."""
        raise NotImplementedError

    async def store(
        self, turn: Turn, fdef: FieldDef, parsed: Parsed, *, confirmed: bool = False
    ) -> None:
        """Write the answer as a revision, show the field's flags, move on. An answer that
        would delete data asks first (:meth:`confirm_first`)."""
        confirm = None if confirmed else self.confirm_first(turn, parsed.values)
        if confirm is not None:
            turn.nav.goto(confirm)
            return
        screen = await self.write(turn, parsed.values)
        shown = parsed.said(self.item)
        if parsed.suggestion:
            # The flags wait for the choice (settle): they are about what is kept.
            screen = dataclasses.replace(
                screen,
                suggestion=parsed.suggestion,
                others=parsed.others,
                reason=parsed.reason,
                start=None,
            )
            turn.conversation.screen = screen
            turn.note(shown)
            turn.nav.ask(screen)
            return
        flags = unseen(turn, screen.own_flags(turn, fdef))
        if flags:
            show_flags(turn, flags, title=shown)
        else:
            turn.note(shown)
        turn.nav.advance(screen)

    @on(SUGGESTION)
    async def settle(self, turn: Turn, payload: Answer) -> None:
        """The suggestion taken (read as an answer, so a closest real name may in turn be
        offered its new name) or declined."""
        suggestion, fdef = self.suggestion, self.field_def(turn)
        if suggestion is None:
            turn.nav.reask()
            return
        screen = self.settled()
        turn.conversation.screen = screen
        if payload.yes:
            await screen.on_text(turn, suggestion, from_button=True)
            return
        if self.reason == "copy":  # nothing was stored: the question again
            turn.note(t("shortcut.declined"))
            turn.nav.ask(screen)
            return
        turn.note(t("suggestion.kept"))
        flags = unseen(turn, screen.own_flags(turn, fdef))
        if flags:
            show_flags(turn, flags)
        turn.nav.advance(screen)

    @on(SKIP)
    async def skip(self, turn: Turn, payload: None) -> None:
        fdef = self.field_def(turn)
        if fdef.required:
            turn.say(t("skip.required"))
            turn.nav.reask()
            return
        await self.store(turn, fdef, Parsed({k: "" for k in fdef.storage_keys()}))

    @on(START_MONTH)
    async def choose_start(self, turn: Turn, payload: Month) -> None:
        screen = dataclasses.replace(self, start=payload.value)
        turn.conversation.screen = screen
        turn.nav.ask(screen)


# ---------------------------------------------------------------------------------------------
# A scalar field of an item


@dataclass(frozen=True, slots=True)
class FieldQuestion(Question):
    """ "field 1 ho_ten": a scalar field of an item."""

    kind = "field"

    @property
    def address(self) -> str:
        return f"field {self.item} {self.field_id}"

    @property
    def slot(self) -> tuple[Any, ...]:
        return (self.kind, self.item, self.field_id)

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> FieldQuestion:
        return cls(int(parts[0]), parts[1], **passing(extras))

    def values(self, turn: Turn) -> Row:
        return turn.d.answers

    async def on_text(self, turn: Turn, text: str, *, from_button: bool = False) -> None:
        fdef = self.field_def(turn)
        ahead = None if from_button else split_ahead(self.item_def(turn), fdef, text)
        if ahead is None:  # the base's named: a slotted dataclass has no super()
            await Question.on_text(self, turn, text, from_button=from_button)
        else:  # "Hà Nội, ngày 7/12/2026", "26/3/2012, Chi đoàn …": the next answer typed ahead
            then = FieldQuestion(self.item, ahead.then)
            await turn.typed_ahead(Question.on_text(self, turn, ahead.first), ahead.rest, then)

    def choices(self, turn: Turn, fdef: FieldDef) -> list[str]:
        suggestions = list(fdef.suggestions)
        if fdef.kind is Kind.NAME:
            suggestions += own_name(turn, fdef)
        return suggestions

    def still_valid(self, turn: Turn) -> bool:
        structure = turn.structure
        if not structure.has_item(self.item):
            return False
        fields = structure.fields_of(structure.item(self.item), turn.d)
        return self.field_id in {f.id for f in fields}

    def next(self, turn: Turn) -> Screen:
        return turn.nav.next_in_item(self)

    def walks_in_order(self, turn: Turn) -> bool:
        return turn.conversation.revisiting == self.item

    def copy_above(self, turn: Turn, fdef: FieldDef) -> Copy | None:
        return address_above(turn, self.item_def(turn), self.field_id)

    def gap_after(self, turn: Turn) -> Screen | None:
        structure, d = turn.structure, turn.d
        if not structure.has_item(self.item):
            return None
        fields = structure.fields_of(structure.item(self.item), d)
        ids = [f.id for f in fields]
        if self.field_id not in ids:
            return None
        for f in fields[ids.index(self.field_id) + 1 :]:
            if not answered(f, d.answers):
                return FieldQuestion(self.item, f.id)
        return None

    def precedes(self, turn: Turn, other: Screen) -> bool:
        if not isinstance(other, FieldQuestion) or other.item != self.item:
            return False
        ids = [f.id for f in turn.structure.item(self.item).fields]
        if self.field_id not in ids or other.field_id not in ids:
            return False
        return ids.index(self.field_id) < ids.index(other.field_id)

    async def write(self, turn: Turn, values: Mapping[str, str]) -> Question:
        item = self.item_def(turn)
        changes = [Change(f"answers.{key}", value) for key, value in values.items()]
        answers = {**turn.d.answers, **values}
        for f in item.fields:  # answers whose condition no longer holds
            if f.id in answers and not f.applies(answers):
                changes.append(Change(f"answers.{f.id}", None))
                answers.pop(f.id)
        if item.relatives is not None:
            changes += drop_inapplicable_relatives(turn, item, answers)
        await turn.apply(changes)
        turn.conversation.screen = self
        return self

    def own_flags(self, turn: Turn, fdef: FieldDef) -> list[Flag]:
        # This answer's problems and its item's own; the item's loops wait for "Xong". What
        # the answer breaks in an item already finished (a fixed (1) no longer matching the
        # name under the signature) is said at once, not only in /tiendo.
        flags = field_flags(turn, fdef.id)
        mine = [
            f
            for f in flags
            if f.field == fdef.id or (f.item == self.item and f.table is None and f.field is None)
        ]
        elsewhere = [f for f in flags if f.item != self.item]
        if elsewhere:
            finished = set(turn.nav.finished_items(among={f.item for f in elsewhere}))
            mine += [f for f in elsewhere if f.item in finished]
        return mine

    def lost(self, turn: Turn, values: Mapping[str, str]) -> list[Lost]:
        return lost_answers(turn, self.item_def(turn), values)

    def confirm_first(self, turn: Turn, values: Mapping[str, str]) -> Screen | None:
        if not doomed_relatives(turn, self.item_def(turn), values) and not self.lost(turn, values):
            return None
        return ConfirmDrop(self.item, self, dict(values))


def passing(extras: Mapping[str, Any]) -> dict[str, Any]:
    """A question's passing details (chosen start month, pending suggestion) as stored."""
    found = {k: extras[k] for k in ("start", "suggestion", "reason", "source") if extras.get(k)}
    others = extras.get("others")
    if isinstance(others, list) and others:
        found["others"] = tuple(str(o) for o in others)
    return found


def own_name(turn: Turn, fdef: FieldDef) -> list[str]:
    """For a name field of the candidate after the first one (the name under the
    signature), the name already given: it must be written the same, and an unaccented
    keyboard cannot type its diacritics."""
    for item in turn.structure.items:
        for f in item.fields:
            if f.kind is Kind.NAME:
                name = str(turn.d.answers.get(f.id, "")).strip()
                return [name] if f.id != fdef.id and name else []
    return []
