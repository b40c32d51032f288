"""The test clusters left by killed test processes are removed, and only those; a test's
database given to the next test is as a new one."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg
import pytest

from tests import pg_cluster


def _cluster(root: Path, name: str, age_s: float, pid: int | None) -> Path:
    home = root / f"knd-pg-{name}"
    (home / "data").mkdir(parents=True)
    if pid is not None:
        (home / "data" / "postmaster.pid").write_text(f"{pid}\n{home}/data\n")
    stamp = time.time() - age_s
    os.utime(home, (stamp, stamp))
    return home


def test_only_old_clusters_without_a_live_server_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pg_cluster.tempfile, "gettempdir", lambda: str(tmp_path))
    hour = pg_cluster.ABANDONED_AFTER_S
    dead = _cluster(tmp_path, "dead", hour + 60, pid=2**22 + 12345)  # beyond any pid_max
    no_pid = _cluster(tmp_path, "nopid", hour + 60, pid=None)
    young = _cluster(tmp_path, "young", 5, pid=None)  # another process still making it
    running = _cluster(tmp_path, "running", hour + 60, pid=os.getpid())
    other = tmp_path / "something-else"
    other.mkdir()
    pg_cluster._remove_abandoned()
    assert not dead.exists() and not no_pid.exists()
    assert young.exists() and running.exists() and other.exists()


def test_a_database_given_again_is_as_new_and_one_with_its_schema_changed_is_dropped(
    pg_server: pg_cluster.Server,
) -> None:
    """tests/pg_cluster.py's pool: a clone done with is emptied and given again (its rows
    gone, its identities from 1 again, its migrations' record kept); one whose schema or
    migrations' record a test changed, or that grew by megabytes, is dropped, not given
    again."""

    def one_row(url: str, sql: str) -> tuple[object, ...]:
        with psycopg.connect(url, autocommit=True) as conn:
            found = conn.execute(sql.encode()).fetchone()
            assert found is not None
            return tuple(found)

    url = pg_server.fresh()
    migrations = one_row(url, "SELECT count(*) FROM schema_migrations")
    add = "INSERT INTO audit_log (at, action) VALUES ('2026-12-07', 'x') RETURNING id"
    assert one_row(url, add) == (1,) and one_row(url, add) == (2,)
    one_row(url, "INSERT INTO leases VALUES ('scheduler', 'w', '2099') RETURNING name")
    with psycopg.connect(url, autocommit=True) as other:  # a session left open by the test
        other.execute(b"SELECT 1")
        pg_server.drop(url)
    again = pg_server.fresh()
    assert again == url
    assert one_row(again, "SELECT count(*) FROM leases") == (0,)
    assert one_row(again, "SELECT count(*) FROM audit_log") == (0,)
    assert one_row(again, add) == (1,)
    assert one_row(again, "SELECT count(*) FROM schema_migrations") == migrations

    grown = (  # megabytes written (and deleted: the pool does not empty it for the next test)
        "INSERT INTO audit_log (at, action) SELECT md5(g::text), md5(g::text)"
        " FROM generate_series(1, 60000) g; DELETE FROM audit_log"
    )
    for change in ("CREATE TABLE extra (a int)", "DELETE FROM schema_migrations", grown):
        with psycopg.connect(again, autocommit=True) as conn:
            conn.execute(change.encode())
        pg_server.drop(again)
        given = pg_server.fresh()
        assert given != again
        with psycopg.connect(pg_server.url, autocommit=True) as admin:
            name = again.partition("?")[0].rsplit("/", 1)[1]
            gone = admin.execute(b"SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            assert gone.fetchone() is None
        assert one_row(given, "SELECT count(*) FROM schema_migrations") == migrations
        assert one_row(given, "SELECT to_regclass('extra') IS NULL") == (True,)
        again = given
    pg_server.drop(again)
