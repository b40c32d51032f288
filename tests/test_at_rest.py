"""Issue 11, at rest: the database, its WAL and shared-memory files and the folders the bot
creates are readable by the bot's user only whatever the umask; deleted content is
overwritten (secure_delete); with a key the file is encrypted (SQLCipher)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings
from storage.db import Database

KEY = "2b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfe"
SECRET = "NGUYỄN THỊ BÍ MẬT — Hàng Bạc 42"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


async def write_secret(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.people.get_or_create("tg", "42", SECRET, consent=True)


async def test_the_database_files_and_folder_are_private_whatever_the_umask(
    tmp_path: Path, umask_022: None
) -> None:
    path = tmp_path / "data" / "knd.sqlite3"
    db = await Database.open(path)
    try:
        await write_secret(db)
        assert mode(path.parent) == 0o700
        for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert companion.exists(), companion
            assert mode(companion) == 0o600, companion
    finally:
        await db.close()


async def test_files_left_readable_by_an_older_version_are_tightened(
    tmp_path: Path, umask_022: None
) -> None:
    path = tmp_path / "old.sqlite3"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    db = await Database.open(path)
    await db.close()
    assert mode(path) == 0o600


def test_the_settings_create_the_database_folder_private(
    tmp_path: Path, umask_022: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KND_DB_PATH", str(tmp_path / "deep" / "data" / "knd.sqlite3"))
    Settings(_env_file=None).database_file()  # type: ignore[call-arg]
    assert mode(tmp_path / "deep" / "data") == 0o700


async def test_deleted_content_is_overwritten_on_every_connection(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "s.sqlite3")
    try:
        async with db.transaction() as tx:
            assert await tx.fetchval("PRAGMA secure_delete") == 1
        async with db.read() as r:
            assert await r.fetchval("PRAGMA secure_delete") == 1
    finally:
        await db.close()


async def test_a_checkpoint_empties_the_wal_file(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    db = await Database.open(path)
    try:
        await write_secret(db)
        assert Path(f"{path}-wal").stat().st_size > 0
        assert db.checkpoint()
        assert Path(f"{path}-wal").stat().st_size == 0
    finally:
        await db.close()


def test_the_key_setting_takes_64_hex_digits_and_is_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KND_DB_KEY", KEY)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_key == KEY
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())
    monkeypatch.setenv("KND_DB_KEY", " ")
    assert Settings(_env_file=None).database_key is None  # type: ignore[call-arg]
    for wrong in ("secret", KEY[:-1], KEY + "0", "g" * 64):
        monkeypatch.setenv("KND_DB_KEY", wrong)
        with pytest.raises(ValidationError):
            Settings(_env_file=None)  # type: ignore[call-arg]


async def test_a_key_that_is_not_raw_hex_is_refused_before_any_sql(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="64 hexadecimal"):
        await Database.open(tmp_path / "k.sqlite3", key="x'; DROP TABLE people; --")


async def test_an_encrypted_database_holds_no_plaintext(tmp_path: Path) -> None:
    pytest.importorskip("sqlcipher3")
    path = tmp_path / "enc.sqlite3"
    db = await Database.open(path, key=KEY)
    try:
        await write_secret(db)
        async with db.read() as r:  # the reader connection is keyed too
            assert await r.fetchval("SELECT display_name FROM people") == SECRET
        assert db.checkpoint()
    finally:
        await db.close()
    raw = path.read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    for needle in (SECRET, "BÍ MẬT", "people", "display_name", "CREATE TABLE"):
        assert needle.encode() not in raw, needle
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT * FROM people").fetchall()
    with pytest.raises(sqlite3.DatabaseError):
        await Database.open(path, key="0" * 64)
    db = await Database.open(path, key=KEY)
    try:
        async with db.read() as r:
            assert await r.fetchval("SELECT display_name FROM people") == SECRET
        async with db.transaction() as tx:  # constraints raise the same way as without a key
            person = await tx.people.get_or_create("tg", "42", "again")
            assert person.display_name == SECRET
    finally:
        await db.close()
