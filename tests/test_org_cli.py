"""``python -m bot bootstrap``: the top unit and its first secretary."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

from bot import cli
from handlers.events import Chat, Event, User
from handlers.org import OrgFlow
from storage.db import Database
from storage.org import Org

ROOT = Path(__file__).resolve().parent.parent


def test_bootstrap_by_telegram_id(tmp_path: Path, capsys) -> None:
    db_path = tmp_path / "org.sqlite3"
    code = cli.main(
        ["bootstrap", "--unit", "Đảng bộ Khối Doanh nghiệp", "--telegram-id", "4242", "--db",
         str(db_path)]
    )  # fmt: skip
    assert code == 0
    assert "bí thư cho Telegram user 4242" in capsys.readouterr().out
    asyncio.run(_check_secretary(db_path))


async def _check_secretary(db_path: Path) -> None:
    db = await Database.open(db_path)
    try:
        async with db.read() as r:
            person = await r.people.find("telegram", "4242")
            assert person is not None and person.consent_at is None
            roles = await r.repo(Org).roles_of(person.id)
            assert [(x.role, x.unit_name) for x in roles] == [
                ("secretary", "Đảng bộ Khối Doanh nghiệp")
            ]
    finally:
        await db.close()


async def test_bootstrap_code_in_a_subprocess_then_redeemed_once(tmp_path: Path) -> None:
    db_path = tmp_path / "org.sqlite3"
    run = subprocess.run(
        [sys.executable, "-m", "bot", "bootstrap", "--unit", "Đảng bộ Khối", "--db", str(db_path)],
        cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    found = re.search(r"/start ([A-Z0-9]{10})", run.stdout)
    assert found, run.stdout
    db = await Database.open(db_path)
    flow = OrgFlow()
    try:
        for uid, expected in (("77", "bí thư của Đảng bộ Khối"), ("78", "đã được dùng")):
            user = User("telegram", uid, "Bí thư")
            event = Event(user, Chat("telegram", uid), "command", text=found.group(1),
                          command="start")  # fmt: skip
            async with db.transaction() as tx:
                result = await flow.redeem_start(tx, event, found.group(1))
            assert result is not None and expected in result.replies[0].text
    finally:
        await db.close()


def test_bootstrap_needs_a_unit_name(tmp_path: Path, capsys) -> None:
    try:
        cli.main(["bootstrap", "--db", str(tmp_path / "x.sqlite3")])
    except SystemExit as exit_:
        assert exit_.code == 2
    assert "--unit" in capsys.readouterr().err
    # issue 12: an empty name is refused with a non-zero exit (was: printed, exit 0)
    assert cli.main(["bootstrap", "--unit", "   ", "--db", str(tmp_path / "x.sqlite3")]) == 2
    assert "Hãy ghi tên đơn vị" in capsys.readouterr().err
