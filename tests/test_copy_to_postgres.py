"""``python -m bot copy-to-postgres``: an SQLite deployment moved into PostgreSQL
(storage/to_postgres.py), then the bot run on PostgreSQL as if nothing happened.

The SQLite deployment is made through the real bot (fake Telegram): a reviewed and approved
dossier with its comment and revisions, a second candidate halfway through the form, the
inbox and outbox rows and the audit records all that leaves behind.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from storage.backup import open_sqlite, table_counts
from storage.db import Database
from storage.to_postgres import foreign_key_order, parent_first
from tests.fake_bot_api import FakeBotAPI
from tests.ops_world import (
    Deployment,
    cli,
    exported,
    new_candidate,
    reviewed_dossier,
    settings_for,
)
from tests.pg_cluster import with_database

_NAMES = itertools.count()


@pytest.fixture
def empty_postgres(pg_server: Any) -> Iterator[Any]:
    """Makes PostgreSQL databases with nothing in them (not even the bot's tables)."""
    made: list[str] = []

    def make() -> str:
        name = f"knd_copy_{os.getpid()}_{next(_NAMES)}"
        with psycopg.connect(pg_server.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        made.append(with_database(pg_server.url, name))
        return made[-1]

    yield make
    for url in made:
        pg_server.drop(url)


@pytest.fixture(autouse=True)
def _clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("KND_DB_URL", "KND_DB_KEY", "KND_DB_PATH"):
        monkeypatch.delenv(name, raising=False)


def _largest(url: str, table: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()
    return int(row[0]) if row else 0


async def test_an_sqlite_deployment_continues_on_postgres(
    tmp_path: Path, empty_postgres: Any
) -> None:
    path = tmp_path / "knd.sqlite3"
    async with FakeBotAPI() as api:
        dep = Deployment(api, settings_for(api, db_path=path))
        late = dep.person("Nguyễn Văn Bình")
        await dep.start()
        try:
            await reviewed_dossier(dep)
            before = await exported(dep.candidate)
            await new_candidate(dep, late)
            await late.send("NGUYỄN VĂN BÌNH")
            question = late.last_text()
            assert "(2)" in question
            await dep.stop()
            source = table_counts(path)
            assert min(source[t] for t in ("inbox", "outbox", "audit_log", "comments")) > 0

            url = empty_postgres()
            copied = await cli(["copy-to-postgres", "--from", f"sqlite:///{path}", "--to", url])
            assert copied.code == 0, copied.err
            assert "2 hồ sơ" in copied.out and "khớp" in copied.out
            assert f"  audit_log: {source['audit_log']}" in copied.out
            assert table_counts(url) == source  # every table, row for row
            largest = {t: _largest(url, t) for t in ("inbox", "outbox", "audit_log", "units")}

            again = await cli(["copy-to-postgres", "--from", str(path), "--to", url])
            assert again.code == 2 and "đã có dữ liệu" in again.err
            assert table_counts(url) == source

            dep.move(db_url=url)
            await dep.start()
            assert await exported(dep.candidate) == before  # the same dossier, on PostgreSQL
            await late.send("không")  # the conversation goes on where it was
            assert late.last_text() != question and "(3)" in late.last_text()
            await dep.secretary.command("donvi", "Chi bộ Phòng Kinh doanh")
            assert f"#{largest['units'] + 1}" in dep.secretary.last_text()  # ids continue
            for table in ("inbox", "outbox", "audit_log"):
                assert _largest(url, table) > largest[table]
            copy = await Database.open(url)  # the dossier as any worker reads it
            try:
                async with copy.read() as r:
                    dossier_id = await r.fetchval(
                        "SELECT d.id FROM dossiers d JOIN people p ON p.id = d.person_id"
                        " WHERE p.platform_user_id = ?",
                        (str(late.user.id),),
                    )
                    record = await r.dossiers.get(dossier_id)
            finally:
                await copy.close()
            assert record is not None and record.dossier.value("ho_ten") == "NGUYỄN VĂN BÌNH"
        finally:
            await dep.stop()


async def test_a_copy_refuses_another_schema_version(
    tmp_path: Path, empty_postgres: Any, pg_server: Any
) -> None:
    from storage.db import Database

    path = tmp_path / "old.sqlite3"
    db = await Database.open(path)
    async with db.transaction() as tx:
        await tx.people.get_or_create("telegram", "1", "Trần Minh Khoa", consent=True)
    await db.close()
    conn = sqlite3.connect(path)  # a file the bot's last migration never reached
    last = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    conn.execute("DELETE FROM schema_migrations WHERE version = ?", (last,))
    conn.commit()
    conn.close()
    url = empty_postgres()
    refused = await cli(["copy-to-postgres", "--from", str(path), "--to", url])
    assert refused.code == 2 and refused.err.count("\n") == 1
    assert "Phiên bản lược đồ khác nhau" in refused.err and last in refused.err
    assert table_counts(url).total == 0
    nothing = await cli(["copy-to-postgres", "--from", str(tmp_path / "none.sqlite3"), "--to", url])
    assert nothing.code == 2 and "Không có cơ sở dữ liệu" in nothing.err
    not_pg = await cli(["copy-to-postgres", "--from", str(path)])
    assert not_pg.code == 2 and "KND_DB_URL" in not_pg.err


async def test_tables_are_copied_after_the_tables_they_refer_to(tmp_path: Path) -> None:
    from storage.db import Database

    path = tmp_path / "knd.sqlite3"
    await (await Database.open(path)).close()
    conn = open_sqlite(path, None)
    try:
        order = foreign_key_order(conn)
        for table in order:
            for fk in conn.execute(f'PRAGMA foreign_key_list("{table}")'):
                if fk[2] != table:
                    assert order.index(fk[2]) < order.index(table), (fk[2], table)
        assert {"people", "units", "dossiers", "comments", "inbox"} <= set(order)
    finally:
        conn.close()
    # a table referring to itself: every row after its parent, whatever the stored order
    rows = [(3, 2), (2, 1), (1, None), (4, 1)]
    ordered = parent_first(rows, ("id", "parent_id"), [("parent_id", "id")])
    ids = [r[0] for r in ordered]
    assert sorted(ids) == [1, 2, 3, 4]
    assert all(parent is None or ids.index(parent) < ids.index(i) for i, parent in ordered)
