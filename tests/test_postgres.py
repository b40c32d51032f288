"""PostgreSQL's own side of storage/: its migrations folder, the URL setting, the placeholders.

The repositories' behaviour on PostgreSQL is tested by the modules in conftest's
BOTH_DATABASES; these are the pieces that have no SQLite twin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from storage.db import PG_MIGRATIONS, Database, migration_files
from storage.dialect import to_pyformat


async def test_postgres_migrations_are_applied_once_and_recorded(pg_server: Any) -> None:
    url = pg_server.fresh()
    try:
        db = await Database.open(url)
        async with db.read() as r:
            applied = [row[0] for row in await r.fetchall("SELECT version FROM schema_migrations")]
            phase = await r.fetchval(
                "SELECT generation_expression FROM information_schema.columns"
                " WHERE table_name = 'dossier_progress' AND column_name = 'phase'"
            )
        assert applied == [f.name for f in migration_files(PG_MIGRATIONS)]
        assert "not_admitted" in phase  # the derived phase column exists on both databases
        assert await db.migrate() == []
        await db.close()
    finally:
        pg_server.drop(url)


async def test_a_failing_postgres_migration_leaves_nothing_behind(
    pg_server: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_ok.sql").write_text("CREATE TABLE a (x BIGINT);")
    (folder / "002_bad.sql").write_text(
        "CREATE TABLE b (x BIGINT);\nINSERT INTO nowhere VALUES (1);"
    )
    url = pg_server.fresh()
    db = await Database.open(url, migrate=False)
    try:
        with pytest.raises(Exception, match="nowhere"):
            await db.migrate(folder)
        async with db.read() as r:
            tables = {row[0] for row in await r.fetchall("SELECT tablename FROM pg_tables")}
            versions = await r.fetchall(
                "SELECT version FROM schema_migrations WHERE version LIKE '00%'"
            )
        assert "a" in tables and "b" not in tables
        assert [v[0] for v in versions] == ["001_ok.sql"]
    finally:
        await db.close()
        pg_server.drop(url)


def test_the_url_setting_chooses_postgres_and_the_file_stays_the_default(tmp_path: Path) -> None:
    sqlite = Settings(db_path=tmp_path / "k.sqlite3")
    assert sqlite.database_target() == tmp_path / "k.sqlite3"
    chosen = Settings(db_path=tmp_path / "k.sqlite3", db_url="postgresql://knd:pw@db/knd")
    assert chosen.database_target() == "postgresql://knd:pw@db/knd"
    assert "pw" not in repr(chosen)


def test_placeholders_are_translated_outside_quoted_text_only() -> None:
    sql = "SELECT a FROM t INDEXED BY t_a WHERE b = ? AND c LIKE '%?%' AND d = :d"
    assert to_pyformat(sql) == "SELECT a FROM t WHERE b = %s AND c LIKE '%%?%%' AND d = :d"
    assert to_pyformat("SELECT x::text WHERE y = :y", named=True) == (
        "SELECT x::text WHERE y = %(y)s"
    )
