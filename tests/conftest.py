"""Fixtures shared by the test modules.

The modules in :data:`BOTH_DATABASES` run every test twice, on SQLite and on PostgreSQL: for
the ``postgres`` run every database the test opens by file path (through the ``db`` fixture
or a harness's ``Database.open(tmp_path / …)``) is a fresh PostgreSQL database instead, the
same path giving the same database again (a restart). See ``tests/pg_cluster.py``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import event_loop
from storage.db import Database
from storage.dialect import is_postgres_url

#: The storage, conversation, review and Telegram end-to-end tests (issue 16's list).
BOTH_DATABASES = {
    "test_storage",
    "test_inbox_outbox",
    "test_progress",
    "test_conversation",
    "test_review_storage",
    "test_review_flow",
    "test_telegram_e2e",
    "test_worker_claims",
    "test_workers",
}


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Any]:
    """Every async test on the loop the bot runs on (bot/event_loop.py: uvloop), except the
    modules on tests/virtual_clock.py, which reads the standard loop's ready queue."""
    on_virtual_clock = getattr(getattr(item, "module", None), "VirtualClock", None) is not None
    kind: event_loop.EventLoopKind = "asyncio" if on_virtual_clock else "uvloop"
    return {kind: event_loop.loop_factory(kind)}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rpartition(".")[2]
    if metafunc.definition.get_closest_marker("sqlite_only"):
        return
    if module in BOTH_DATABASES and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["sqlite", "postgres"], indirect=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """A PostgreSQL server for this test process: ``KND_TEST_POSTGRES``, else a local
    cluster; skipped when there is neither (a failure when ``KND_REQUIRE_POSTGRES`` is set,
    as in CI)."""
    from tests import pg_cluster

    configured = os.environ.get("KND_TEST_POSTGRES")
    if configured:
        server = pg_cluster.Server(configured).prepare()
        yield server
        server.close()
        return
    if pg_cluster.binaries() is None:
        reason = "no PostgreSQL binaries (initdb) and no KND_TEST_POSTGRES server"
        if os.environ.get("KND_REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    with pg_cluster.local_cluster() as url:
        yield pg_cluster.Server(url).prepare()


@pytest.fixture(autouse=True)
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``sqlite`` (every module), or ``postgres`` (the second run of BOTH_DATABASES)."""
    name = getattr(request, "param", "sqlite")
    if name != "postgres":
        yield name
        return
    server = request.getfixturevalue("pg_server")
    from tests.pg_cluster import STAND_INS

    databases = STAND_INS
    init = Database.__init__

    def on_postgres(self: Database, path: str | Path, **options: Any) -> None:
        target = str(path)
        if not is_postgres_url(target):
            if target not in databases:
                databases[target] = server.fresh()
            target = databases[target]
            options.pop("key", None)
        init(self, target, **options)

    monkeypatch.setattr(Database, "__init__", on_postgres)
    yield name
    monkeypatch.undo()
    for url in databases.values():
        server.drop(url)
    databases.clear()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh database file with every migration applied, closed after the test."""
    database = await Database.open(tmp_path / "test.sqlite3")
    try:
        yield database
    finally:
        await database.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests marked ``long`` start first, one at the head of each pytest-xdist worker's
    first batch, longest first: a test of a minute or more that the collection's order left
    to the end would run alone on one core while the other waits for it."""
    longs = sorted(
        (i for i in items if i.get_closest_marker("long")),
        key=lambda i: -float(i.get_closest_marker("long").args[0]),  # type: ignore[union-attr]
    )
    if not longs:
        return
    rest = [i for i in items if not i.get_closest_marker("long")]
    workers = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1))
    # xdist's load scheduler sends each worker a first batch of consecutive tests, this size
    batch = max((len(items) // workers) // 4, 2) if len(items) >= 2 * workers else 1
    ordered: list[pytest.Item] = []
    for worker in range(workers):
        own = longs[worker::workers]
        ordered += own + rest[: max(batch - len(own), 0)]
        rest = rest[max(batch - len(own), 0) :]
    items[:] = ordered + rest
