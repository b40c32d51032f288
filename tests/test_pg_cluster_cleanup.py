"""The test clusters left by killed test processes are removed, and only those."""

from __future__ import annotations

import os
import time
from pathlib import Path

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
