"""Dialects: the few pieces of SQL that differ between SQLite and PostgreSQL.

Repositories write one SQL text for both databases: ``?`` placeholders (``:name`` with a dict),
``INSERT … ON CONFLICT …`` (never ``INSERT OR IGNORE``), integers for booleans, ISO-8601 text
for timestamps and JSON kept as text. What cannot be written alike (reading a JSON field, a
date as a day number) comes from ``session.dialect``; the PostgreSQL connection translates the
placeholders in one place (:func:`to_pyformat`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: A transaction never waits on the network (storage/db.py), so one idle this long belongs to
#: a stalled worker (paused, swapped out): PostgreSQL ends its session, and with it the row
#: locks that would keep every other worker from taking its people and chats over.
IDLE_IN_TRANSACTION_MS = 4_000

#: Every connection of a bot (or worker) names itself so (``pg_stat_activity``): a restore
#: refuses to replace the rows under a running bot, as the SQLite file's open mark does.
APPLICATION_NAME = "knd-bot"

_QUOTED = re.compile(r"""('(?:[^']|'')*'|"(?:[^"]|"")*")""")
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_HINT = re.compile(r"\s+INDEXED BY \w+", re.IGNORECASE)


@dataclass(frozen=True)
class Dialect:
    """What differs; ``name`` is ``sqlite`` or ``postgres`` (the migrations' folder)."""

    name: str

    @property
    def postgres(self) -> bool:
        return self.name == "postgres"

    @property
    def is_not(self) -> str:
        """``a IS NOT b`` true when they differ, NULL being a value (SQLite's ``IS NOT``)."""
        return "IS DISTINCT FROM" if self.postgres else "IS NOT"

    @property
    def begin(self) -> str:
        """Start a write transaction (SQLite takes the write lock at once)."""
        return "BEGIN" if self.postgres else "BEGIN IMMEDIATE"

    def json_text(self, column: str, path: str) -> str:
        """The text (or number) at ``path`` (``$.a.b``) of a JSON text column, NULL if absent."""
        if self.postgres:
            keys = ",".join(path.removeprefix("$.").split("."))
            return f"({column}::jsonb #>> '{{{keys}}}')"
        return f"json_extract({column}, '{path}')"

    def json_int(self, column: str, path: str) -> str:
        """An integer (or boolean, as 0/1) at ``path`` of a JSON text column, NULL if absent."""
        if self.postgres:
            text = self.json_text(column, path)
            return f"(CASE {text} WHEN 'true' THEN 1 WHEN 'false' THEN 0 ELSE {text}::bigint END)"
        return self.json_text(column, path)

    def epoch_day(self, column: str) -> str:
        """An ISO date text column as days since 1970-01-01."""
        if self.postgres:
            return f"({column}::date - DATE '1970-01-01')"
        return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


SQLITE = Dialect("sqlite")
POSTGRES = Dialect("postgres")


def is_postgres_url(target: object) -> bool:
    """True for ``postgresql://…`` / ``postgres://…`` (anything else is an SQLite file)."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


@functools.lru_cache(maxsize=4096)
def to_pyformat(sql: str, named: bool = False) -> str:
    """SQLite's ``?`` (or ``:name``) placeholders as psycopg's ``%s`` (``%(name)s``); a
    literal ``%`` doubled, SQLite's index hints (``INDEXED BY``) dropped: PostgreSQL's planner
    chooses alone. Quoted text keeps its ``?`` and ``:``."""
    parts = _QUOTED.split(sql)
    for i, part in enumerate(parts):
        part = part.replace("%", "%%")
        if i % 2 == 0:
            part = _HINT.sub("", part).replace("?", "%s")
            if named:
                part = _NAMED.sub(r"%(\1)s", part)
        parts[i] = part
    return "".join(parts)
