"""Navigation over the form: what is asked next (the walk), and the back/forward history.

The walk finds the first open question from the form data alone: optional items are asked
through their gate; fields honour ``when``; a table is a loop (each row column by column,
then its menu until "Xong"); relatives are asked by relation, only the relations whose
``when`` holds, each with its group's fields. Progress is counted in questions.

History: leaving a question pushes it on the back stack (at most 40). "Quay lại" pops it
and pushes the question left on the forward stack; after the next answer the questions
stepped back over are asked again in order (like a browser), except that questions an answer
newly opens come first. Confirmations and explanations are answered or left, never gone back
to. Both stacks hold screens' addresses (:mod:`.state`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from forms.model import FieldDef, ItemDef, TableDef
from handlers.candidate.consent import ask_consent
from handlers.candidate.continuation import offer_continuation
from handlers.candidate.core import HISTORY, Screen, Turn
from handlers.candidate.dialogs import Done, Unset
from handlers.candidate.flags import section_flags, show_flags
from handlers.candidate.gates import Gate
from handlers.candidate.questions import FieldQuestion
from handlers.candidate.relatives import RelationLoop, RelativeQuestion, RelativesMenu
from handlers.candidate.state import screen_at
from handlers.candidate.structure import NO, relation_key, table_key
from handlers.candidate.tables import ColumnQuestion, RowsMenu
from handlers.candidate.texts import t


def _column(fields: list[FieldDef], key: str) -> str:
    """The field a flag's key names (a period's "tu"/"den" is its column); the row's first
    field when none does."""
    for f in fields:
        if key == f.id or key in f.storage_keys():
            return f.id
    return fields[0].id if fields else key


class Navigator:
    """The walk and the history of one turn's conversation (see the module docstring)."""

    def __init__(self, turn: Turn) -> None:
        self.turn = turn
        self.structure = turn.structure

    # -- the walk ------------------------------------------------------------------------------
    def open_in_item(self, item: ItemDef) -> Screen | None:
        """The first question of ``item`` still to answer, or None when it is complete."""
        turn, structure = self.turn, self.structure
        d, memory = turn.d, turn.conversation.memory
        gate = structure.gate(item, d, memory)
        if gate is None:
            return Gate(item.number)
        if gate == NO:
            return None
        missing = structure.first_unanswered(item, d)
        if missing is not None:
            return FieldQuestion(item.number, missing.id)
        if item.table is not None:
            return self.open_in_table(item, item.table)
        if item.relatives is not None:
            return self.open_in_relatives(item)
        return None

    def open_in_table(self, item: ItemDef, table: TableDef) -> Screen | None:
        turn = self.turn
        rows = turn.d.rows(table.id)
        for r, row in enumerate(rows):
            missing = self.structure.first_missing(item, row)
            if missing is not None:
                return ColumnQuestion(item=item.number, row=r, field_id=missing.id)
        if not rows and (table.min_rows > 0 or (item.optional and item.ask)):
            return ColumnQuestion(item=item.number, row=0, field_id=table.columns[0].id)
        if table_key(table.id) not in turn.conversation.closed:
            return RowsMenu(item.number)
        return None

    def open_in_relatives(self, item: ItemDef) -> Screen | None:
        turn, structure = self.turn, self.structure
        d = turn.d
        by_code = structure.relatives_by_code(d)
        for rel in structure.relations_of(item, d):
            indices = by_code.get(rel.code, [])
            for r in indices:
                missing = structure.first_missing(item, d.relatives[r], rel.code)
                if missing is not None:
                    return RelativeQuestion(
                        item=item.number, relation=rel.code, row=r, field_id=missing.id
                    )
            if not indices:
                first = structure.row_fields(item, {}, rel.code)[0]
                return RelativeQuestion(
                    item=item.number, relation=rel.code, row=None, field_id=first.id
                )
            if rel.multiple and relation_key(rel.code) not in turn.conversation.closed:
                return RelationLoop(item.number, rel.code)
        return None

    def first_open(self, start: int | None = None) -> Screen:
        """The first question to answer from item ``start`` on, wrapping around; the summary
        at the end."""
        order = self.structure.items
        if start is not None and self.structure.has_item(start):
            i = self.structure.position(start)
            order = order[i:] + order[:i]
        for item in order:
            screen = self.open_in_item(item)
            if screen is not None:
                return screen
        return Done()

    def item_slots(self, item: ItemDef) -> list[Screen]:
        """Every question of ``item`` in order, answered or not (revisiting an item)."""
        n = item.number
        slots: list[Screen] = []
        if item.optional and item.ask:
            slots.append(Gate(n))
        slots += [FieldQuestion(n, f.id) for f in self.structure.fields_of(item, self.turn.d)]
        if item.table is not None:
            slots.append(RowsMenu(n))
        if item.relatives is not None:
            slots.append(RelativesMenu(n))
        return slots

    def flagged(self, item: int, row: int, field: str) -> Screen | None:
        """The question a flag points at (``row`` -1: none; ``field`` "": the row's first),
        or None when it no longer applies (the item's first question is asked instead)."""
        structure, d = self.structure, self.turn.d
        if not structure.has_item(item) or not (field or row >= 0):
            return None
        it = structure.item(item)
        screen: Screen
        if row >= 0 and it.table is not None and row < len(d.rows(it.table.id)):
            found = _column(structure.row_fields(it, d.rows(it.table.id)[row]), field)
            screen = ColumnQuestion(item=item, row=row, field_id=found, revisit=not field)
        elif row >= 0 and it.relatives is not None and row < len(d.relatives):
            code = d.relatives[row].get("quan_he", "")
            found = _column(structure.row_fields(it, d.relatives[row], code), field)
            screen = RelativeQuestion(item, found, relation=code, row=row, revisit=not field)
        elif field:
            screen = FieldQuestion(item, field)
        else:
            return None
        return screen if screen.still_valid(self.turn) else None

    def item_units(self, item: ItemDef) -> tuple[int, int]:
        """(answered, total) questions of ``item`` for progress displays."""
        turn, structure = self.turn, self.structure
        d, closed = turn.d, turn.conversation.closed
        gate = structure.gate(item, d, turn.conversation.memory)
        if gate is None:
            return 0, 1
        if gate == NO:
            return 1, 1
        done, total = structure.answered_count(item, d)
        if item.table is not None:
            total += 1
            done += self.open_in_table(item, item.table) is None
        if item.relatives is not None:
            by_code = structure.relatives_by_code(d)
            for rel in structure.relations_of(item, d):
                total += 1
                indices = by_code.get(rel.code, [])
                complete = bool(indices) and all(
                    structure.first_missing(item, d.relatives[r], rel.code) is None for r in indices
                )
                if rel.multiple:
                    complete = complete and relation_key(rel.code) in closed
                done += complete
        if item.optional and item.ask:
            total, done = total + 1, done + 1
        return done, total

    def section_progress(self, index: int) -> tuple[int, int]:
        done = total = 0
        for item in self.structure.section_items(index):
            a, b = self.item_units(item)
            done, total = done + a, total + b
        return done, total

    def finished_items(self, among: Collection[int] | None = None) -> list[int]:
        """The items the conversation has finished (every question answered, loops closed);
        ``among``: of these only (a part's checks need a few, not the whole form walked)."""
        items = self.structure.items
        if among is not None:
            items = [it for it in items if it.number in among]
        return [it.number for it in items if self.open_in_item(it) is None]

    def next_in_item(self, screen: Screen) -> Screen:
        """After a question of an item: while the item is revisited (/sua), its next question
        whether answered or not, then the first open question after it; else the first open
        question from the item on."""
        conv, structure = self.turn.conversation, self.structure
        assert screen.item is not None
        item = structure.item(screen.item)
        if conv.revisiting != item.number:
            return self.first_open(item.number)
        slots = self.item_slots(item)
        keys = [s.slot for s in slots]
        here = screen.slot
        if here in keys and keys.index(here) + 1 < len(slots):
            closed_gate = isinstance(screen, Gate) and conv.gates.get(str(item.number)) == NO
            if not closed_gate:
                return slots[keys.index(here) + 1]
        conv.revisiting = None
        later = structure.items[structure.position(item.number) + 1 :]
        return self.first_open(later[0].number if later else None)

    # -- moving --------------------------------------------------------------------------------
    def ask(self, screen: Screen, extra_options: Sequence[str] = ()) -> None:
        screen.show(self.turn, extra_options)

    def goto(self, screen: Screen, *, push: bool = True) -> None:
        conv = self.turn.conversation
        old = conv.screen
        if push and old.remembered and old.slot != screen.slot:
            conv.back = [*conv.back, old.address][-HISTORY:]
        conv.screen = screen
        self.ask(screen)

    def back(self, *, quiet: bool = False) -> None:
        turn = self.turn
        conv = turn.conversation
        here = conv.screen
        history = list(conv.back)
        while history:
            previous = screen_at(history.pop())
            if previous.still_valid(turn):
                conv.back = history
                if not quiet and here.question:
                    conv.forward = [*conv.forward, here.address][-HISTORY:]
                conv.screen = previous
                self.ask(previous)
                return
        conv.back = []
        if not quiet:
            turn.say(t("back.start"))
        self.ask(here if here.still_valid(turn) else self.first_open())

    def advance(self, screen: Screen) -> None:
        """Ask the question after ``screen`` (after an answer, a skip, "Giữ nguyên", "Xong"):
        the questions stepped back over first (see the module docstring)."""
        turn = self.turn
        conv = turn.conversation
        if screen.walks_in_order(turn):
            # A revisit walks every question in order, so none stepped back over (birthplace,
            # hometown after a changed "Đã mất") is skipped for the first gap.
            conv.forward = []
        forward = list(conv.forward)
        gap = screen.gap_after(turn) if forward else None
        if gap is not None and not screen_at(forward[-1]).precedes(turn, gap):
            # The answer opened new questions (alive → deceased: year, cause, place): they
            # come before the questions stepped back over, which stay on the stack.
            self.goto(gap)
            return
        while forward:
            candidate = screen_at(forward.pop())
            conv.forward = forward
            if candidate.still_valid(turn) and candidate.slot != screen.slot:
                self.goto(candidate)
                return
        conv.forward = []
        nxt = screen.next(turn)
        self.part_end(screen, nxt)
        self.goto(nxt)

    def part_end(self, screen: Screen, nxt: Screen) -> None:
        """Leaving a part of the form: its flags not shown yet, or that it is done."""
        structure, turn = self.structure, self.turn
        before = structure.section_index(screen.item) if screen.item is not None else None
        after = structure.section_index(nxt.item) if nxt.item is not None else None
        if before is None or before == after:
            return
        flags = section_flags(turn, before)
        fresh = [f for f in flags if f.key not in turn.shown_keys]  # not just shown
        title = structure.sections[before].title
        if fresh:
            show_flags(turn, fresh, title=t("flags.part_title", title=title))
        elif not flags:
            turn.note(t("part_done", title=title))

    def continue_long_answer(self, text: str) -> bool:
        """Whether ``text``, no answer here, was offered as the rest of the long answer given
        just before (:mod:`.continuation`)."""
        return offer_continuation(self.turn, text)

    def reask(self) -> None:
        turn = self.turn
        if not turn.consented:
            ask_consent(turn, repeat=True)
            return
        screen = turn.conversation.screen
        if isinstance(screen, Unset) or not screen.still_valid(turn):
            screen = self.first_open()
            turn.conversation.screen = screen
        self.ask(screen)
