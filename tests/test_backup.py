"""``python -m bot backup PATH`` / ``restore PATH`` on either database (storage/backup.py).

The story runs through the real bot (fake Telegram, production services): a dossier filled,
commented, returned, resubmitted and approved. It is backed up, the database is changed (or
a new empty one is taken), the backup restored, and the bot — started again on the restored
database — gives the candidate the same dossier, revisions and comments (/dulieu).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handlers.org import bootstrap
from storage import backup as backup_module
from storage.backup import open_sqlite, table_counts
from storage.db import Database
from tests.fake_bot_api import FakeBotAPI
from tests.ops_world import Deployment, cli, exported, reviewed_dossier, settings_for

KEY = "0f" * 32
PASSWORD = "mat-khau-bi-mat-42"


def with_password(url: str) -> str:
    """The test server's URL with a password (its trust authentication ignores it; the
    output must never show it). A server of the developer's own (KND_TEST_POSTGRES with
    another user) keeps its URL."""
    return url.replace("postgresql://knd@", f"postgresql://knd:{PASSWORD}@")


@pytest.fixture(autouse=True)
def _clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in ("KND_DB_URL", "KND_DB_KEY", "KND_DB_PATH"):
        monkeypatch.delenv(name, raising=False)


class Databases:
    """New databases of one kind: SQLite files in tmp_path, or PostgreSQL databases (each
    migrated and empty, as the bot leaves a new one; the URL carries a password, which the
    test server's trust authentication ignores and the output must never show)."""

    def __init__(self, kind: str, tmp_path: Path, server: Any) -> None:
        self.kind, self.tmp_path, self.server = kind, tmp_path, server
        self.made: list[str] = []

    def new(self, name: str) -> dict[str, Any]:
        if self.kind == "sqlite":
            return {"db_path": self.tmp_path / f"{name}.sqlite3"}
        url = self.server.fresh()
        self.made.append(url)
        return {"db_url": with_password(url)}

    @staticmethod
    def target(database: dict[str, Any]) -> str:
        return str(database.get("db_url") or database["db_path"])

    @staticmethod
    def use(monkeypatch: pytest.MonkeyPatch, database: dict[str, Any]) -> None:
        """The CLI's environment for ``database``."""
        if "db_url" in database:
            monkeypatch.setenv("KND_DB_URL", database["db_url"])
        else:
            monkeypatch.delenv("KND_DB_URL", raising=False)
            monkeypatch.setenv("KND_DB_PATH", str(database["db_path"]))


@pytest.fixture(params=["sqlite", "postgres"])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Databases]:
    server = request.getfixturevalue("pg_server") if request.param == "postgres" else None
    made = Databases(request.param, tmp_path, server)
    yield made
    for url in made.made:
        server.drop(url)


async def test_a_reviewed_dossier_comes_back_from_its_backup(
    databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = databases.new("live")
    saved = tmp_path / "sao-luu" / "knd.backup"
    async with FakeBotAPI() as api:
        dep = Deployment(api, settings_for(api, **live))
        await dep.start()
        try:
            dossier_id = await reviewed_dossier(dep)
            before = await exported(dep.candidate)
            assert before["ho_so"]["trang_thai"] == "approved" and before["nhan_xet_gui_anh_chi"]
            await dep.stop()

            databases.use(monkeypatch, live)
            made = await cli(["backup", str(saved)])
            assert made.code == 0, made.err
            assert "1 hồ sơ, 3 người, 1 nhận xét" in made.out
            assert saved.stat().st_mode & 0o777 == 0o600
            assert "dạng rõ" in made.out  # not encrypted: the output says how to keep it
            assert PASSWORD not in made.out + made.err

            # a new, empty database: restored without --force
            wiped = databases.new("wiped")
            databases.use(monkeypatch, wiped)
            restored = await cli(["restore", str(saved)])
            assert restored.code == 0, restored.err
            assert "1 hồ sơ, 3 người, 1 nhận xét" in restored.out
            dep.move(**wiped)
            await dep.start()
            assert await exported(dep.candidate) == before
            await dep.secretary.command("lichsu", f"#{dossier_id}")
            assert "duyệt · Trần Thị Duyệt" in dep.secretary.last_text()
            await dep.stop()

            # the first database changed after the backup: refused, then --force
            dep.move(**live)
            await dep.start()
            await dep.secretary.command("donvi", "Chi bộ Phòng Kinh doanh")
            assert "Chi bộ Phòng Kinh doanh" in dep.secretary.last_text()
            await dep.stop()
            units = table_counts(databases.target(live))["units"]
            databases.use(monkeypatch, live)
            refused = await cli(["restore", str(saved)])
            assert (
                refused.code == 2 and "--force" in refused.err and "đang có dữ liệu" in refused.err
            )
            assert table_counts(databases.target(live))["units"] == units  # untouched
            forced = await cli(["restore", str(saved), "--force"])
            assert forced.code == 0, forced.err
            assert table_counts(databases.target(live))["units"] == units - 1
            await dep.start()
            assert await exported(dep.candidate) == before
            await dep.secretary.command("donvi", "Chi bộ Phòng Kinh doanh")  # ids continue
            assert "Chi bộ Phòng Kinh doanh" in dep.secretary.last_text()
        finally:
            await dep.stop()


async def test_no_restore_under_a_running_bot(
    databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restore while the bot runs on the database is refused, whatever --force says: the
    bot's caches and sessions would disagree with the rows put under it. Once it stops, the
    same command goes through."""
    live = databases.new("live")
    saved = tmp_path / "knd.backup"
    async with FakeBotAPI() as api:
        dep = Deployment(api, settings_for(api, **live))
        await dep.start()
        try:
            async with dep.db.transaction() as tx:
                boot = await bootstrap(tx, "Đảng bộ Khối Doanh nghiệp", bot_username="knd_bot")
            await dep.secretary.start(boot.code)
            databases.use(monkeypatch, live)
            assert (await cli(["backup", str(saved)])).code == 0  # online: allowed
            await dep.secretary.command("donvi", "Chi bộ Phòng Kinh doanh")
            units = table_counts(databases.target(live))["units"]
            for force in ([], ["--force"]):
                refused = await cli(["restore", str(saved), *force])
                assert refused.code == 2 and "Bot đang chạy" in refused.err, refused.err
                assert refused.err.count("\n") == 1 and PASSWORD not in refused.err
            assert table_counts(databases.target(live))["units"] == units  # untouched
            await dep.secretary.command("donvi", "Chi bộ Phòng Kinh doanh 2")  # still serving
            assert "Chi bộ Phòng Kinh doanh 2" in dep.secretary.last_text()
        finally:
            await dep.stop()
        restored = await cli(["restore", str(saved), "--force"])
        assert restored.code == 0, restored.err
        assert table_counts(databases.target(live))["units"] == units - 1


async def _writer(path: Path, key: str | None, stop: asyncio.Event, batch: int) -> int:
    """Commit transactions of ``batch`` audit rows each until told to stop."""
    db = await Database.open(path, key=key)
    done = 0
    try:
        while not stop.is_set():
            async with db.transaction() as tx:
                for i in range(batch):
                    detail = {"n": done, "i": i, "pad": "x" * 200}
                    await tx.audit.append("backup_test", detail=detail)
            done += 1
            await asyncio.sleep(0)
    finally:
        await db.close()
    return done


@pytest.mark.parametrize("key", [None, KEY], ids=["plain", "encrypted"])
async def test_a_backup_taken_while_the_bot_writes_is_one_consistent_moment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    path = tmp_path / "knd.sqlite3"
    db = await Database.open(path, key=key)
    async with db.transaction() as tx:  # a few MB, so the copy overlaps the writes
        for n in range(1000):
            await tx.audit.append("filler", detail={"pad": "y" * 1000, "n": n})
    await db.close()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "KND_DB_PATH": str(path)}
    if key:
        env["KND_DB_KEY"] = key
    stop = asyncio.Event()
    writing = asyncio.create_task(_writer(path, key, stop, batch=7))
    saved = tmp_path / "backup.sqlite3"
    try:
        await asyncio.sleep(0.05)  # the writer is writing
        command = [sys.executable, "-m", "bot", "backup", str(saved)]
        done = await asyncio.to_thread(
            subprocess.run, command, capture_output=True, text=True, env=env
        )
    finally:
        stop.set()
        transactions = await writing
    assert done.returncode == 0, done.stderr
    assert transactions > 0
    conn = open_sqlite(saved, key)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'backup_test'")
        copied = rows.fetchone()[0]
    finally:
        conn.close()
    assert copied % 7 == 0  # whole transactions only
    assert 0 < copied < transactions * 7  # taken while writing: some, not all of them
    if key is None:
        assert "dạng rõ" in done.stdout
    else:
        assert saved.read_bytes()[:16] != b"SQLite format 3\x00"  # encrypted like the database
        with pytest.raises(sqlite3.DatabaseError):
            sqlite3.connect(saved).execute("SELECT count(*) FROM sqlite_master").fetchone()
        assert key.encode() not in saved.read_bytes()
        assert "KND_DB_KEY" in done.stdout and "KHÔNG nằm trong" in done.stdout


async def test_an_encrypted_backup_needs_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "knd.sqlite3"
    db = await Database.open(path, key=KEY)
    async with db.transaction() as tx:
        await tx.people.get_or_create("telegram", "1", "Trần Minh Khoa", consent=True)
    await db.close()
    monkeypatch.setenv("KND_DB_PATH", str(path))
    monkeypatch.setenv("KND_DB_KEY", KEY)
    assert (await cli(["backup", "b.sqlite3"])).code == 0
    monkeypatch.setenv("KND_DB_PATH", str(tmp_path / "other.sqlite3"))
    monkeypatch.setenv("KND_DB_KEY", "1e" * 32)
    wrong = await cli(["restore", "b.sqlite3"])
    assert wrong.code == 2
    assert wrong.err.count("\n") == 1 and "khóa khác KND_DB_KEY" in wrong.err
    monkeypatch.setenv("KND_DB_KEY", KEY)
    right = await cli(["restore", "b.sqlite3"])
    assert right.code == 0 and "1 người" in right.out
    assert table_counts(tmp_path / "other.sqlite3", KEY)["people"] == 1


async def test_what_restore_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "knd.sqlite3"
    db = await Database.open(path)
    await db.close()
    monkeypatch.setenv("KND_DB_PATH", str(path))
    assert (await cli(["backup", "b.sqlite3"])).code == 0
    # a backup of a newer bot: a migration this code does not know
    conn = sqlite3.connect(tmp_path / "b.sqlite3")
    conn.execute("INSERT INTO schema_migrations VALUES ('999_future.sql', '2027-01-01')")
    conn.commit()
    conn.close()
    monkeypatch.setenv("KND_DB_PATH", str(tmp_path / "new.sqlite3"))
    newer = await cli(["restore", "b.sqlite3"])
    assert newer.code == 2 and "999_future.sql" in newer.err and "cập nhật bot" in newer.err
    (tmp_path / "notes.txt").write_text("không phải sao lưu")
    junk = await cli(["restore", "notes.txt"])
    assert junk.code == 2 and "không phải bản sao lưu" in junk.err
    missing = await cli(["restore", "nowhere.sqlite3"])
    assert missing.code == 2 and "Không tìm thấy tệp sao lưu" in missing.err
    (tmp_path / "x.dump").write_bytes(b"PGDMP\x01\x0e\x00" + b"\x00" * 64)
    wrong_kind = await cli(["restore", "x.dump"])
    assert wrong_kind.code == 2 and "KND_DB_URL" in wrong_kind.err
    monkeypatch.setenv("KND_DB_PATH", str(path))
    same = await cli(["backup", str(path)])
    assert same.code == 2 and "chính là tệp cơ sở dữ liệu" in same.err


async def test_postgres_tools_missing_or_server_away_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_server: Any
) -> None:
    url = pg_server.fresh()
    try:
        if with_password(url) == url:
            pytest.skip("KND_TEST_POSTGRES names its own user: no password to add")
        secret_url = with_password(url)
        monkeypatch.setenv("KND_DB_URL", secret_url)
        seen: list[tuple[list[str], dict[str, str]]] = []
        real_run = subprocess.run

        def watched(command: list[str], **kw: Any) -> Any:
            seen.append((command, kw.get("env") or {}))
            return real_run(command, **kw)

        monkeypatch.setattr(backup_module.subprocess, "run", watched)
        made = await cli(["backup", "p.dump"])
        assert made.code == 0, made.err
        assert (tmp_path / "p.dump").read_bytes().startswith(b"PGDMP")
        # the password travels in the environment, never on the command line (ps shows it)
        assert seen and all(PASSWORD not in " ".join(c) for c, _ in seen)
        assert all(env.get("PGPASSWORD") == PASSWORD for _, env in seen)

        away = secret_url.split("?")[0] + f"?host={tmp_path}"  # no server listens there
        monkeypatch.setenv("KND_DB_URL", away)
        for verb in (["backup", "r.dump"], ["restore", "p.dump"]):
            gone = await cli(verb)
            assert gone.code == 1 and gone.err.count("\n") == 1, gone.err
            assert "Không kết nối được với cơ sở dữ liệu PostgreSQL" in gone.err
            assert PASSWORD not in gone.err
        assert not (tmp_path / "r.dump").exists()
        monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump anywhere
        monkeypatch.setattr(backup_module, "PG_FOLDERS", str(tmp_path / "none" / "*"))
        monkeypatch.setenv("KND_DB_URL", secret_url)
        missing = await cli(["backup", "q.dump"])
        assert missing.code == 2 and missing.err.count("\n") == 1
        assert "pg_dump" in missing.err and "postgresql-client" in missing.err

    finally:
        pg_server.drop(url)
