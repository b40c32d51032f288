"""The console adapter, driven through a pipe (subprocess) and through StringIO."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from bot.console import run_console

ROOT = Path(__file__).resolve().parent.parent


async def test_run_console_with_string_io(tmp_path: Path) -> None:
    lines = "1\nnguyễn văn an\n1\n15.8.1997\n/xem\n"
    out = io.StringIO()
    code = await run_console(
        tmp_path / "c.sqlite3", io.StringIO(lines), out, documents_dir=tmp_path / "docs"
    )
    text = out.getvalue()
    assert code == 0
    assert "[1] Tôi đồng ý" in text
    assert "Đã ghi: NGUYỄN VĂN AN" in text
    assert "Đã ghi: để trống." in text  # "1" tapped the first button: Bỏ qua
    assert "Đã ghi: 15/08/1997" in text
    saved = list((tmp_path / "docs").rglob("*.docx"))  # in the person's folder (storage/files.py)
    assert len(saved) == 1 and str(saved[0]) in text
    assert "Bạn:" not in text  # no prompts when the input is not a terminal


def test_python_m_bot_without_token_is_a_console_through_a_pipe(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KND_")}
    env.update(
        KND_DB_PATH=str(tmp_path / "pipe.sqlite3"),
        KND_DOCUMENTS_DIR=str(tmp_path / "docs"),
        PYTHONIOENCODING="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="1\ntrần minh khoa\n/tiendo\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "» trần minh khoa" in result.stdout
    assert "Đã ghi: TRẦN MINH KHOA" in result.stdout
    assert "Phần 1 – Bản thân: 1/6 câu" in result.stdout
    # the answers are on disk: a second run resumes at the same question
    again = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        input="",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    assert "(2) Các tên gọi khác" in again.stdout


async def test_demo_plays_sample_a_and_writes_the_draft(tmp_path: Path) -> None:
    import docx

    from bot.demo import run_demo

    out = io.StringIO()
    path = await run_demo(tmp_path / "out", output=out)
    transcript = out.getvalue()
    assert path.exists() and path.suffix == ".docx"
    assert "🙂 TRẦN MINH KHOA" in transcript and "Anh/chị đã khai hết các mục" in transcript
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "TRẦN MINH KHOA" in text
