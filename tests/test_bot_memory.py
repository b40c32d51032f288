"""The bot's own process loads only what it runs (issue 17: memory under 200 MB with the
rendering pool at N = 500, where the bot itself was ≈ 150 MB of PSS).

A bot on an SQLite file imports neither PostgreSQL's driver (psycopg and its pool, ≈ 7 MB of
resident memory with their libraries) nor SQLCipher's (≈ 5 MB) unless a key is configured,
and none of the rendering libraries (python-docx, lxml, openpyxl, matplotlib): those load in
the rendering workers only (bot/app.py ``render_pool``). Checked in a fresh interpreter that
opens the router as ``python -m bot`` does; likewise a rendering worker holds neither the rule
engine nor the bot's side of the renderer; and the caches keyed on typed text stay small when
the text is long.
"""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from pathlib import Path

from forms import vn
from forms.checks import values
from forms.memo import forget_typed_text

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

#: A rendering worker as the bot starts it, after a draft with a flag: the modules it holds.
WORKER_PROBE = """
from bot.app import render_pool
from forms.dossier import Dossier
from forms.flags import Flag
from handlers.render_jobs import DossierJob, render_deferred

if __name__ == "__main__":
    pool = render_pool(1)
    flag = Flag("probe", "warning", 1, "Kiểm tra", "probe")
    job = bytes(DossierJob(Dossier(), True, (flag,)).encode())
    assert pool.submit(render_deferred, job).result()[:2] == b"PK"
    print(" ".join(pool.submit(eval, "sorted(__import__('sys').modules)").result()))
    pool.shutdown()
"""

NOT_IN_THE_BOT = {"psycopg", "psycopg_pool", "sqlcipher3", "docx", "lxml", "openpyxl", "matplotlib"}


def loaded_modules(probe: str, *args: str) -> set[str]:
    """The modules a fresh interpreter running ``probe`` printed as loaded."""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return set(done.stdout.split())


def test_a_bot_on_sqlite_loads_no_postgres_sqlcipher_or_rendering_library(
    tmp_path: Path,
) -> None:
    loaded = loaded_modules(PROBE, str(tmp_path / "bot.sqlite3"))
    assert {"aiosqlite", "forms", "handlers"} <= loaded
    assert loaded & NOT_IN_THE_BOT == set()


def test_a_rendering_worker_loads_neither_the_rule_engine_nor_the_bots_side(
    tmp_path: Path,
) -> None:
    """A worker imports the module of each function it is sent: the draft's lives in
    handlers/render_jobs.py, which needs no event loop, no rule (a flag is
    :mod:`forms.flags`), no storage (issue 17: ≈ 3.5 MB less PSS per worker)."""
    loaded = loaded_modules(WORKER_PROBE)
    assert {"docx", "forms.document", "handlers.render_jobs"} <= loaded
    unused = {"asyncio", "forms.checks", "forms.classify", "handlers.rendering", "storage"}
    assert loaded & unused == set()


#: Words of a long free-text answer (a work history), shuffled into distinct answers below.
_HISTORY = (
    "Tốt nghiệp đại học Bách khoa ngành kỹ thuật phần mềm làm việc tại công ty trách nhiệm"
    " hữu hạn Minh Anh từ tháng ba năm hai nghìn mười tám đến nay vị trí trưởng nhóm"
)


def test_long_answers_seen_once_leave_little_in_the_typed_text_caches() -> None:
    """The caches keyed on typed text are bounded in entries; a long free-text answer is
    kilobytes in some of them (its folded text, its words, its word pairs), so their bounds
    are what keeps the bot's heap in check (issue 17: at N = 500 they were ≈ 25 MB). 2 500
    distinct long answers, each compared and searched once as the checks do, leave under
    8 MB in them (with the bounds of 4 096 and 8 192 entries they left ≈ 18 MB)."""
    history = _HISTORY.split()
    forget_typed_text()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(2500):
            answer = " ".join(history[(i + 7 * k) % len(history)] for k in range(30))
            answer += f" số {i}"
            values.similarity(answer, "kỹ sư phần mềm")
            values.mentions(answer, "dai hoc")
            vn.fold(answer)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        forget_typed_text()
    assert held < 8_000_000
