"""The command line never prints a traceback (issue 12): a database path that is a folder
or not a database, bad settings, a webhook without its secret, no network — each is one
Vietnamese line on stderr and a non-zero exit; ``bootstrap`` refuses an empty name and a
second top unit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from tests.samples import ROOT


def _bot(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KND_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # no .env of the project is read
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def _one_clear_line(run: subprocess.CompletedProcess[str], *words: str) -> None:
    assert run.returncode != 0
    assert "Traceback" not in run.stderr + run.stdout
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("Lỗi: ")
    for word in words:
        assert word in lines[0]


def test_a_database_path_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "notes.sqlite3").write_text("not a database", encoding="utf-8")
    run = _bot(["run", "--db", "notes.sqlite3"], tmp_path)
    _one_clear_line(run, "notes.sqlite3", "không phải cơ sở dữ liệu")
    assert (tmp_path / "notes.sqlite3").read_text(encoding="utf-8") == "not a database"


def test_a_database_path_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    _one_clear_line(_bot(["run", "--db", "data"], tmp_path), "thư mục")


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"KND_TIMEZONE": "Mars/Olympus"}, ("KND_TIMEZONE", "múi giờ")),
        ({"KND_WEBHOOK_PORT": "abc"}, ("KND_WEBHOOK_PORT",)),
        ({"KND_POLLING_TIMEOUT": "999"}, ("KND_POLLING_TIMEOUT",)),
        (
            {"KND_BOT_TOKEN": "123:abc", "KND_WEBHOOK_URL": "https://bot.example/"},
            ("KND_WEBHOOK_SECRET",),
        ),
    ],
)
def test_bad_settings(tmp_path: Path, env: dict[str, str], words: tuple[str, ...]) -> None:
    run = _bot(["run", "--db", "x.sqlite3"], tmp_path, **env)
    _one_clear_line(run, *words)
    assert run.returncode == 2


def test_no_network(tmp_path: Path) -> None:
    run = _bot(
        ["run", "--db", "x.sqlite3"],
        tmp_path,
        KND_BOT_TOKEN="123:abc",
        KND_API_BASE_URL="http://127.0.0.1:9/bot",
    )
    _one_clear_line(run, "Không kết nối được")
    assert run.returncode == 1


def test_a_postgresql_server_that_is_not_there(tmp_path: Path) -> None:
    """KND_DB_URL naming a server that refuses: one line, the URL's password never shown."""
    run = _bot(["run"], tmp_path, KND_DB_URL="postgresql://knd:s3cret-pw@127.0.0.1:9/knd")
    _one_clear_line(run, "PostgreSQL", "KND_DB_URL")
    assert "s3cret-pw" not in run.stderr + run.stdout
    assert run.returncode == 1


def test_bootstrap_refuses_an_empty_name_and_a_second_top_unit(tmp_path: Path, capsys) -> None:
    db = str(tmp_path / "x.sqlite3")
    assert cli.main(["bootstrap", "--unit", "\u200b ", "--db", db]) == 2
    assert "Hãy ghi tên đơn vị" in capsys.readouterr().err
    assert cli.main(["bootstrap", "--unit", "Đảng bộ Khối", "--db", db]) == 0
    assert "Đảng bộ Khối" in capsys.readouterr().out
    assert cli.main(["bootstrap", "--unit", "Đảng bộ Khác", "--db", db]) == 2
    err = capsys.readouterr().err
    assert "Đã có đơn vị cấp trên cùng «Đảng bộ Khối»" in err


def test_an_unexpected_failure_is_one_line_too(monkeypatch, capsys) -> None:
    def boom(args):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret dossier content")

    monkeypatch.setitem(cli.VERBS, "schema", cli.Verb("schema", "cli.help.schema", boom))
    assert cli.main(["schema"]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError" in err and "secret dossier content" not in err


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"KND_DB_KEY": "abc123"}, ("KND_DB_KEY", "64 chữ số")),
        ({"KND_WEBHOOK_URL": "bot.example/hook"}, ("KND_WEBHOOK_URL", "https://")),
        ({"KND_RETENTION_DAYS": "abc"}, ("KND_RETENTION_DAYS", "số ngày")),
        ({"KND_ABANDONED_DAYS": "0"}, ("KND_ABANDONED_DAYS", "số ngày")),
        ({"KND_INBOX_DAYS": "-1"}, ("KND_INBOX_DAYS", "số ngày")),
    ],
)
def test_bad_settings_say_what_is_expected(
    tmp_path: Path, monkeypatch, capsys, env: dict[str, str], words: tuple[str, ...]
) -> None:
    """In process (fast): each bad value gets one line naming the setting and what it takes."""
    monkeypatch.chdir(tmp_path)  # no .env of the project is read
    for name in [k for k in os.environ if k.startswith("KND_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["run", "--db", str(tmp_path / "x.sqlite3")]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Lỗi: ")
    for word in words:
        assert word in lines[0]


def test_a_wrong_secret_is_named_but_never_printed(tmp_path: Path, monkeypatch, capsys) -> None:
    """A database key with one digit missing is still most of the key."""
    monkeypatch.chdir(tmp_path)
    key = "ab" * 31 + "c"
    monkeypatch.setenv("KND_DB_KEY", key)
    assert cli.main(["run", "--db", str(tmp_path / "x.sqlite3")]) == 2
    err = capsys.readouterr().err
    assert "KND_DB_KEY" in err and key not in err and key[:20] not in err
