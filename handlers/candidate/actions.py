"""The candidate's buttons: one typed :class:`ActionCodec` per kind, all under prefix ``c``.

Wire formats (kept: messages already sent carry them): ``c:go:15``, ``c:consent:yes``,
``c:notice`` (the consent's full text),
``c:xpl:2.3`` (the 3rd+1 warning of the 2nd flag list), ``c:opt:3~17`` (option 3 of the
question sent 17th). Buttons bound to a question are ``sequenced``: they carry the question
counter, so a tap on an old message cannot answer the current question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.routing import ActionCodec, Decoded

PREFIX = "c:"
_P = "c"


@dataclass(frozen=True, slots=True)
class ItemNumber:
    """An item to open; a flag's fix button also names the flagged row (of a table or of the
    relatives, -1: none) and field ("c:go:21:4:noi_mat"), opened directly."""

    number: int
    row: int = -1
    field: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    """A yes/no carried by the button ("yes" / "no")."""

    value: str

    @property
    def yes(self) -> bool:
        return self.value == "yes"


@dataclass(frozen=True, slots=True)
class FlagRef:
    """``<list>.<index>``: the index-th explainable warning of the flag list sent as ``list``."""

    ref: str

    @classmethod
    def of(cls, flag_list: int, index: int) -> FlagRef:
        return cls(f"{flag_list}.{index}")

    @property
    def flag_list(self) -> int | None:
        head = self.ref.partition(".")[0]
        return int(head) if head.isdigit() else None

    @property
    def index(self) -> int | None:
        tail = self.ref.partition(".")[2]
        return int(tail) if tail.isdigit() else None


@dataclass(frozen=True, slots=True)
class Offset:
    start: int


@dataclass(frozen=True, slots=True)
class Option:
    index: int


@dataclass(frozen=True, slots=True)
class Month:
    """A proposed start month ("07/2024") of a period."""

    value: str


@dataclass(frozen=True, slots=True)
class RowIndex:
    index: int


@dataclass(frozen=True, slots=True)
class RelationCode:
    code: str


# -- everywhere ---------------------------------------------------------------------------------
GO = ActionCodec(_P, "go", ItemNumber)  # open an item (flag lists, reviewers' cards)
CONSENT = ActionCodec(_P, "consent", Answer)
NOTICE: ActionCodec[None] = ActionCodec(_P, "notice")  # the consent's full text
CONTINUE: ActionCodec[None] = ActionCodec(_P, "cont", sequenced=True)
HELP: ActionCodec[None] = ActionCodec(_P, "help", sequenced=True)
BACK: ActionCodec[None] = ActionCodec(_P, "back", sequenced=True)
EXPLAIN_FLAG = ActionCodec(_P, "xpl", FlagRef)
MORE_FLAGS = ActionCodec(_P, "more", Offset)
VIEW: ActionCodec[None] = ActionCodec(_P, "view", sequenced=True, heavy=True)
SUBMIT: ActionCodec[None] = ActionCodec(_P, "submit", sequenced=True)
PROGRESS: ActionCodec[None] = ActionCodec(_P, "progress", sequenced=True)
# -- on one screen ------------------------------------------------------------------------------
YES: ActionCodec[None] = ActionCodec(_P, "yes", sequenced=True)
NO: ActionCodec[None] = ActionCodec(_P, "no", sequenced=True)
OPTION = ActionCodec(_P, "opt", Option, sequenced=True)
START_MONTH = ActionCodec(_P, "from", Month, sequenced=True)
SKIP: ActionCodec[None] = ActionCodec(_P, "skip", sequenced=True)
KEEP: ActionCodec[None] = ActionCodec(_P, "keep", sequenced=True)
SUGGESTION = ActionCodec(_P, "sug", Answer, sequenced=True)
ADD: ActionCodec[None] = ActionCodec(_P, "add", sequenced=True)
DONE: ActionCodec[None] = ActionCodec(_P, "done", sequenced=True)
EDIT_PICK: ActionCodec[None] = ActionCodec(_P, "editpick", sequenced=True)
DELETE_PICK: ActionCodec[None] = ActionCodec(_P, "delpick", sequenced=True)
EDIT_ROW = ActionCodec(_P, "edit", RowIndex, sequenced=True)
DELETE_ROW = ActionCodec(_P, "del", RowIndex, sequenced=True)
ADD_RELATIVE = ActionCodec(_P, "addrel", RelationCode, sequenced=True)

ACTIONS: tuple[ActionCodec[Any], ...] = (
    GO, CONSENT, NOTICE, CONTINUE, HELP, BACK, EXPLAIN_FLAG, MORE_FLAGS, VIEW, SUBMIT, PROGRESS,
    YES, NO, OPTION, START_MONTH, SKIP, KEEP, SUGGESTION, ADD, DONE, EDIT_PICK, DELETE_PICK,
    EDIT_ROW, DELETE_ROW, ADD_RELATIVE,
)  # fmt: skip
_BY_VERB = {codec.verb: codec for codec in ACTIONS}


def decode_action(data: str) -> tuple[ActionCodec[Any] | None, Decoded[Any] | None]:
    """The codec of ``data`` and its decoded payload; (None, None) for no action of ours,
    (codec, None) for a known action whose payload is malformed."""
    prefix, _, rest = data.partition("~")[0].partition(":")
    codec = _BY_VERB.get(rest.partition(":")[0]) if prefix == _P else None
    if codec is None:
        return None, None
    return codec, codec.decode(data)


def jump_action(item_number: int, row: int | None = None, field: str | None = None) -> str:
    """The button action that opens item ``item_number`` in the candidate's conversation (at
    ``row`` and ``field`` when given: a flag's place)."""
    return GO.encode(ItemNumber(item_number, -1 if row is None else row, field or ""))
