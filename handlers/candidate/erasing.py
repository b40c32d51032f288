"""No edit erases an answer without showing what will be lost and asking (issue 12).

An answer may erase others: a relative's "Đã mất" changed from "có" to "không" drops the
year, cause and place of death (their ``when`` no longer holds), "chưa kết hôn" drops the
spouse's side of item (21), "Bỏ qua" empties an answered field. :func:`lost_answers` and
:func:`lost_in_row` list what would go; :class:`ConfirmDrop` shows it and stores the answer
only once confirmed ("Không xóa" asks the question again)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from forms.dossier import Row
from forms.model import FieldDef, ItemDef
from handlers.candidate.answers import Parsed
from handlers.candidate.core import Confirm, Screen, Turn
from handlers.candidate.structure import relation_key
from handlers.candidate.summaries import relative_summary
from handlers.candidate.texts import display, short, t
from storage.core import Change

#: What an erased answer looks like in the confirmation: "Năm mất: 2015".
Lost = tuple[str, str]


class Question(Protocol):
    """What a confirmation needs of the question it answers (:mod:`.questions`)."""

    @property
    def address(self) -> str: ...
    def still_valid(self, turn: Turn) -> bool: ...
    def field_def(self, turn: Turn) -> FieldDef: ...
    def lost(self, turn: Turn, values: Mapping[str, str]) -> list[Lost]: ...
    async def store(
        self, turn: Turn, fdef: FieldDef, parsed: Parsed, *, confirmed: bool = False
    ) -> None: ...


def _lost(fields: Iterable[FieldDef], before: Row, after: Row) -> list[Lost]:
    """The fields whose value is in ``before`` and not in ``after``."""
    out = []
    for f in fields:
        old = display(f, before)
        if old and not display(f, after):
            out.append((f.label, short(old, 80)))
    return out


def applying_answers(item: ItemDef, answers: dict[str, str]) -> dict[str, str]:
    """``answers`` without the item's answers whose condition no longer holds."""
    for f in item.fields:
        if f.id in answers and not f.applies(answers):
            answers.pop(f.id)
    return answers


def lost_answers(turn: Turn, item: ItemDef, values: Mapping[str, str]) -> list[Lost]:
    """The item's answers that storing ``values`` would erase."""
    before = turn.d.answers
    return _lost(item.fields, before, applying_answers(item, {**before, **values}))


def lost_in_row(
    turn: Turn, item: ItemDef, row: Row | None, values: Mapping[str, str], code: str | None
) -> list[Lost]:
    """The facts of ``row`` (a table row, a relative) that storing ``values`` would erase."""
    if row is None:
        return []
    structure = turn.structure
    after = structure.clean_row(item, {**row, **values}, code)
    if row.keys() <= after.keys() and all(str(v) for v in values.values()):
        return []  # every fact kept, none emptied (the usual answer): nothing can be lost
    return _lost(structure.columns(item, code), row, after)


def doomed_relatives(turn: Turn, item: ItemDef, values: Mapping[str, str]) -> list[Row]:
    """The relatives that answering ``values`` in ``item`` would delete."""
    if item.relatives is None:
        return []
    answers = applying_answers(item, {**turn.d.answers, **values})
    applies = {r.code for r in item.relatives.relations if r.applies(answers)}
    return [r for r in turn.d.relatives if r.get("quan_he") not in applies]


def drop_inapplicable_relatives(turn: Turn, item: ItemDef, answers: dict[str, str]) -> list[Change]:
    assert item.relatives is not None
    relatives = turn.d.relatives
    applies = {r.code for r in item.relatives.relations if r.applies(answers)}
    doomed = [i for i, r in enumerate(relatives) if r.get("quan_he") not in applies]
    for code in {relatives[i].get("quan_he") for i in doomed}:
        turn.conversation.reopen_loop(relation_key(str(code)))
    return [Change(f"relatives.{i}", None, op="delete") for i in reversed(doomed)]


@dataclass(frozen=True, slots=True)
class ConfirmDrop(Confirm):
    """ "confirm drop 21": an answer that would erase answers or delete relatives is stored
    only once confirmed; the confirmation lists what would go."""

    item: int = field()
    answer: Question | None
    values: dict[str, str]

    what = "drop"

    @property
    def address(self) -> str:
        return f"confirm drop {self.item}"

    def extras(self) -> dict[str, Any]:
        if self.answer is None:
            return {"values": self.values}
        return {"answer": self.answer.address, "values": self.values}

    def params(self, turn: Turn) -> dict[str, Any]:
        structure, answer = turn.structure, self.answer
        if not structure.has_item(self.item) or answer is None or not answer.still_valid(turn):
            return {"count": 0, "names": [], "lost": []}
        item = structure.item(self.item)
        doomed = doomed_relatives(turn, item, self.values)
        incomplete = f" ({t('loop.incomplete')})"
        names = [relative_summary(turn, item, row).removesuffix(incomplete) for row in doomed]
        lost = [f"{label}: {value}" for label, value in answer.lost(turn, self.values)]
        return {"ref": item.ref or item.label, "count": len(doomed), "names": names, "lost": lost}

    async def decide(self, turn: Turn, yes: bool) -> None:
        answer = self.answer
        fdef = answer.field_def(turn) if answer and answer.still_valid(turn) else None
        if yes and answer is not None and fdef is not None:
            assert isinstance(answer, Screen)
            turn.conversation.screen = answer
            await answer.store(turn, fdef, Parsed(self.values), confirmed=True)
            return
        turn.note(t("confirm.clear_kept"))
        turn.nav.back(quiet=True)
