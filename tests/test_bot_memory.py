"""The bot's own process loads only what it runs (issue 17: memory under 200 MB with the
rendering pool at N = 500, where the bot itself was ≈ 150 MB of PSS).

A bot on an SQLite file imports neither PostgreSQL's driver (psycopg and its pool, ≈ 7 MB of
resident memory with their libraries) nor SQLCipher's (≈ 5 MB) unless a key is configured,
and none of the rendering libraries (python-docx, lxml, openpyxl, matplotlib): those load in
the rendering workers only (bot/app.py ``render_pool``). Checked in a fresh interpreter that
opens the router as ``python -m bot`` does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, sys
from bot.app import open_router
from bot.settings import Settings

async def main():
    settings = Settings(_env_file=None, bot_token="1:x", db_path=sys.argv[1])
    router, close = await open_router(settings)
    await close()
    loaded = sorted({m.split(".")[0] for m in sys.modules})
    print(" ".join(loaded))

asyncio.run(main())
"""

NOT_IN_THE_BOT = {"psycopg", "psycopg_pool", "sqlcipher3", "docx", "lxml", "openpyxl", "matplotlib"}


def test_a_bot_on_sqlite_loads_no_postgres_sqlcipher_or_rendering_library(
    tmp_path: Path,
) -> None:
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "bot.sqlite3")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(done.stdout.split())
    assert {"aiosqlite", "forms", "handlers"} <= loaded
    assert loaded & NOT_IN_THE_BOT == set()
