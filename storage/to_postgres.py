"""Copying an SQLite deployment into PostgreSQL (``python -m bot copy-to-postgres``).

Why this shape
--------------
* **The target is the bot's own schema**: an empty PostgreSQL database the bot migrated (the
  copy opens it through :class:`storage.db.Database` first, which applies the migrations),
  at the same schema version as the SQLite file (the last migration each recorded), with the
  same tables and columns. Anything else is refused before a row is written; so is a target
  with any row.
* **Foreign-key order from the file itself** (``PRAGMA foreign_key_list``), not a hand-kept
  list: a table comes after the tables it refers to; a table referring to itself (units and
  their parent) gets its rows parent first.
* **One snapshot, one transaction**: the SQLite side is read inside one read transaction (a
  running bot's later commits are not half copied), the PostgreSQL side written in one
  transaction, in batches (``executemany``), and committed only after every table's count
  matched the source's. A failure leaves the target as empty as it was.
* **Identity columns** continue after the copied ids (``setval`` past each table's largest),
  so the bot's next row on PostgreSQL gets a new id.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage import pg
from storage.backup import (
    BackupProblem,
    Counts,
    applied_versions,
    count_rows,
    open_sqlite,
    sqlite_tables,
)
from storage.db import Database

BATCH = 500
_PG_COLUMNS = (
    "SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND is_generated = 'NEVER'"
)


@dataclass(frozen=True)
class Table:
    """A table to copy: its columns (the source's order), which are bytes on PostgreSQL, and
    the column pairs by which it refers to itself."""

    name: str
    columns: tuple[str, ...]
    binary: frozenset[str]
    self_refs: tuple[tuple[str, str], ...]  # (column, referenced column)

    def insert(self) -> str:
        names = ", ".join(f'"{c}"' for c in self.columns)
        marks = ", ".join("?" for _ in self.columns)
        return f'INSERT INTO "{self.name}" ({names}) VALUES ({marks})'

    def select(self, rowid: bool) -> str:
        names = ", ".join(f'"{c}"' for c in self.columns)
        return f'SELECT {names} FROM "{self.name}"' + (" ORDER BY rowid" if rowid else "")


def foreign_key_order(conn: sqlite3.Connection) -> list[str]:
    """The data tables, each after every table it refers to (by PRAGMA foreign_key_list)."""
    tables = sqlite_tables(conn)
    parents = {
        t: {str(r[2]) for r in conn.execute(f'PRAGMA foreign_key_list("{t}")')} & set(tables)
        for t in tables
    }
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(tables):
        ready = sorted(t for t in tables if t not in placed and parents[t] - {t} <= placed)
        if not ready:
            raise BackupProblem("fk_cycle", tables=", ".join(sorted(set(tables) - placed)))
        order += ready
        placed.update(ready)
    return order


def _has_rowid(conn: sqlite3.Connection, table: str) -> bool:
    try:
        conn.execute(f'SELECT rowid FROM "{table}" LIMIT 0')
    except Exception:  # no such column: a WITHOUT ROWID table (sqlite3's or SQLCipher's error)
        return False
    return True


def parent_first(
    rows: list[Any], columns: Sequence[str], refs: Sequence[tuple[str, str]]
) -> list[Any]:
    """Rows of a table referring to itself, each after the row it refers to."""
    index = {c: i for i, c in enumerate(columns)}
    placed: set[tuple[str, Any]] = set()
    out: list[Any] = []
    waiting = list(rows)
    while waiting:
        later = []
        for row in waiting:
            if all(row[index[c]] is None or (to, row[index[c]]) in placed for c, to in refs):
                out.append(row)
                placed.update((to, row[index[to]]) for _, to in refs)
            else:
                later.append(row)
        if len(later) == len(waiting):  # a reference to a missing row: let the server say so
            out += later
            break
        waiting = later
    return out


async def _pg_schema(conn: pg.PgConnection) -> dict[str, dict[str, tuple[str, bool]]]:
    """Per table, per stored column (not generated ones, which PRAGMA table_info does not
    list either): (data type, identity?)."""
    schema: dict[str, dict[str, tuple[str, bool]]] = {}
    for row in await conn.execute_fetchall(_PG_COLUMNS):
        schema.setdefault(row[0], {})[row[1]] = (str(row[2]), row[3] == "YES")
    return schema


def _version(versions: set[str]) -> str:
    return max(versions) if versions else "—"


async def _plan(src: sqlite3.Connection, conn: pg.PgConnection) -> list[Table]:
    """The tables to copy, or :class:`BackupProblem` when the target does not fit."""
    source_version = _version(applied_versions(src))
    rows = await conn.execute_fetchall("SELECT version FROM schema_migrations")
    target_version = _version({str(r[0]) for r in rows})
    if source_version != target_version:
        raise BackupProblem("schema_versions", source=source_version, target=target_version)
    schema = await _pg_schema(conn)
    schema.pop("schema_migrations", None)
    order = foreign_key_order(src)
    if set(order) != set(schema):
        differ = sorted(set(order) ^ set(schema))
        raise BackupProblem("schema_differs", tables=", ".join(differ))
    plan = []
    for name in order:
        columns = tuple(str(r[1]) for r in src.execute(f'PRAGMA table_info("{name}")'))
        if set(columns) != set(schema[name]):
            raise BackupProblem("schema_differs", tables=name)
        refs = tuple(
            (str(r[3]), str(r[4]))
            for r in src.execute(f'PRAGMA foreign_key_list("{name}")')
            if r[2] == name
        )
        binary = frozenset(c for c, (kind, _) in schema[name].items() if kind == "bytea")
        plan.append(Table(name, columns, binary, refs))
    counts = [(t.name, await _count(conn, t.name)) for t in plan]
    if any(n for _, n in counts):
        total = sum(n for _, n in counts)
        raise BackupProblem("target_not_empty", total=total)
    return plan


async def _count(conn: pg.PgConnection, table: str) -> int:
    rows = await conn.execute_fetchall(f'SELECT count(*) FROM "{table}"')
    return int(rows[0][0])


def _as_target(table: Table) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """A row as PostgreSQL takes it: text SQLite kept in a blob column becomes bytes."""
    binary = [i for i, c in enumerate(table.columns) if c in table.binary]
    if not binary:
        return tuple

    def convert(row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for i in binary:
            if isinstance(values[i], str):
                values[i] = values[i].encode()
        return tuple(values)

    return convert


async def _copy_table(src: sqlite3.Connection, conn: pg.PgConnection, table: Table) -> None:
    convert = _as_target(table)
    cursor = src.execute(table.select(_has_rowid(src, table.name)))
    if table.self_refs:
        rows = parent_first(cursor.fetchall(), table.columns, table.self_refs)
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            await conn.executemany(table.insert(), [convert(r) for r in batch])
        return
    while batch := cursor.fetchmany(BATCH):
        await conn.executemany(table.insert(), [convert(r) for r in batch])


async def _continue_identities(conn: pg.PgConnection) -> None:
    """Each identity column's next value past the largest copied id."""
    for table, columns in (await _pg_schema(conn)).items():
        for column, (_, identity) in columns.items():
            if identity:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                    f'COALESCE(MAX("{column}"), 0) + 1, false) FROM "{table}"'
                )


async def copy_to_postgres(source: Path, url: str, *, key: str | None = None) -> Counts:
    """Copy the SQLite file ``source`` into the empty PostgreSQL database ``url`` (migrated
    here first); the rows per table, checked equal on both sides."""
    if not source.is_file():
        raise BackupProblem("no_database", path=str(source))
    db = await Database.open(url)  # the bot's schema, at this code's version
    await db.close()
    src = open_sqlite(source, key)
    conn = await pg.connect(url)
    try:
        src.execute("BEGIN")  # one read snapshot of the whole file
        plan = await _plan(src, conn)
        await conn.execute("BEGIN")
        try:
            for table in plan:
                await _copy_table(src, conn, table)
            await _continue_identities(conn)
            want = count_rows(src, [t.name for t in plan])
            for table in plan:
                got = await _count(conn, table.name)
                if got != want[table.name]:
                    raise BackupProblem(
                        "count_mismatch", table=table.name, want=want[table.name], got=got
                    )
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        return want
    finally:
        if src.in_transaction:
            src.execute("ROLLBACK")
        src.close()
        await conn.close()
