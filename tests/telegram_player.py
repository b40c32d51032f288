"""A candidate who fills the form from a sample dossier, answering whatever the bot asks.

The player looks at the question on screen the way a person does: it reads which item and
field the bot is asking about (from the conversation's screen the flow stores, a stand-in for
reading the message), looks the answer up in the sample, and either types it or taps the
button that means it ("Có", "Thêm dòng", "Xong", "Bỏ qua"…). Typing goes through whatever
driver is used: Telegram via the fake Bot API (tests/test_telegram_e2e.py) or the router
directly (recording the benchmark's conversation).

A ``typist`` can mangle what is typed (dots in dates, lower-case names, no diacritics) to
play a messy candidate.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from forms.definition import load_form
from forms.dossier import Dossier
from forms.model import FieldDef, Kind
from handlers.candidate import Conversation, read_conversation
from handlers.candidate.consent import Consent
from handlers.candidate.core import Confirm
from handlers.candidate.dialogs import Done
from handlers.candidate.gates import Gate
from handlers.candidate.questions import FieldQuestion, Question
from handlers.candidate.relatives import RelationLoop, RelativeQuestion, RelativesMenu
from handlers.candidate.structure import Structure
from handlers.candidate.tables import ColumnQuestion, RowsMenu
from storage.core import replayed
from tests import pg_cluster

Typist = Callable[[FieldDef, str], str]


@dataclass(frozen=True)
class Move:
    """``tap`` values are button actions without the "~seq" tail (``c:add``, ``c:yes``)."""

    kind: Literal["text", "tap", "done"]
    value: str = ""


_READERS: dict[Path, sqlite3.Connection] = {}


def _reader(db_path: Path) -> Any:
    """One read-only connection per database (WAL: each query sees the last commit)."""
    conn = _READERS.get(db_path)
    if conn is None:
        conn = pg_cluster.reader(db_path) or sqlite3.connect(
            f"file:{db_path}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
        )
        _READERS[db_path] = conn
    return conn


def read_state(
    db_path: Path, platform: str, chat_id: str
) -> tuple[Conversation | None, Dossier | None]:
    """The conversation and the current dossier of a chat, from the database file."""
    conn = _reader(db_path)
    row = conn.execute(
        "SELECT c.state, d.content, d.id, d.content_revision, d.revision FROM conversations c"
        " LEFT JOIN dossiers d ON d.id = c.dossier_id WHERE c.platform=? AND c.chat_id=?",
        (platform, chat_id),
    ).fetchone()
    if row is None:
        return None, None
    dossier = Dossier.model_validate_json(row[1]) if row[1] is not None else None
    if dossier is not None and row[3] < row[4]:  # a draft's snapshot and its later answers
        later = conn.execute(
            "SELECT path, old_value, new_value FROM answer_revisions"
            " WHERE dossier_id = ? AND revision > ? AND revision <= ? ORDER BY revision",
            (row[2], row[3], row[4]),
        ).fetchall()
        dossier = replayed(dossier, later)
    return read_conversation(json.loads(row[0])), dossier


class SamplePlayer:
    """Decides the next move from the screen on display and the sample being copied."""

    def __init__(
        self,
        sample: Dossier,
        *,
        typist: Typist | None = None,
        accept_suggestions: bool = False,
        finish: Literal["view", "submit"] = "view",
    ) -> None:
        self.sample = sample
        self.form = load_form(sample.form_version)
        self.structure = Structure(self.form)
        self.typist = typist or (lambda _f, text: text)
        self.accept_suggestions = accept_suggestions
        self.finish = finish
        self.finished = False

    def next_move(self, conversation: Conversation | None, dossier: Dossier | None) -> Move:
        screen = conversation.screen if conversation is not None else None
        if isinstance(screen, Consent):
            return Move("tap", "c:consent:yes")
        if dossier is None:
            return Move("text", "/start")
        if isinstance(screen, Done):
            if self.finished:
                return Move("done")
            self.finished = True
            return Move("tap", f"c:{self.finish}")
        if isinstance(screen, Confirm):
            return Move("tap", "c:yes")
        if isinstance(screen, Gate):
            item = self.structure.item(screen.item)
            return Move("tap", "c:yes" if self.structure.has_data(item, self.sample) else "c:no")
        if isinstance(screen, RowsMenu):
            table = self.structure.item(screen.item).table
            assert table is not None
            want = len(self.sample.rows(table.id))
            have = len(dossier.rows(table.id))
            return Move("tap", "c:add" if have < want else "c:done")
        if isinstance(screen, RelationLoop):
            code = screen.relation
            want = sum(1 for r in self.sample.relatives if r.get("quan_he") == code)
            have = sum(1 for r in dossier.relatives if r.get("quan_he") == code)
            return Move("tap", "c:add" if have < want else "c:done")
        if isinstance(screen, RelativesMenu):
            return Move("tap", "c:done")
        if isinstance(screen, Question):
            return self.field_move(screen, dossier)
        raise AssertionError(f"the player does not know what to do at {screen!r}")

    def field_move(self, screen: Question, dossier: Dossier) -> Move:
        fdef = self.structure.field(self.structure.item(screen.item), screen.field_id)
        if screen.suggestion:
            return Move("tap", "c:sug:yes" if self.accept_suggestions else "c:sug:no")
        values = self.sample_values(screen, dossier)
        keys = fdef.storage_keys()
        if fdef.kind is Kind.PERIOD:
            tu, den = values.get("tu", ""), values.get("den", "")
            if screen.start:
                return Move("text", self.typist(fdef, den))
            return Move("text", self.typist(fdef, f"{tu} - {den}"))
        value = values.get(keys[0], "")
        if not value:
            return Move("tap", "c:skip")
        if fdef.kind is Kind.PLEDGE:
            return Move("text", value)
        return Move("text", self.typist(fdef, value))

    def sample_values(self, screen: Question, dossier: Dossier) -> dict[str, str]:
        if isinstance(screen, FieldQuestion):
            return self.sample.answers
        if isinstance(screen, ColumnQuestion):
            table = self.structure.item(screen.item).table
            assert table is not None
            rows = self.sample.rows(table.id)
            return rows[screen.row] if screen.row < len(rows) else {}
        assert isinstance(screen, RelativeQuestion)
        code = screen.relation
        mine = [i for i, r in enumerate(dossier.relatives) if r.get("quan_he") == code]
        r = screen.row
        position = mine.index(r) if r is not None and r in mine else len(mine)
        theirs = [r for r in self.sample.relatives if r.get("quan_he") == code]
        return theirs[position] if position < len(theirs) else {}


def button_for(keyboard: list[list[dict[str, Any]]], action: str) -> dict[str, Any] | None:
    """The button of ``keyboard`` whose callback_data is ``action`` (ignoring "~seq")."""
    for row in keyboard:
        for button in row:
            data = str(button.get("callback_data", ""))
            if data.partition("~")[0] == action:
                return button
    return None
