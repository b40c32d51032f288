"""The bot's event loop: uvloop by default, asyncio's own when asked or when uvloop is missing."""

from __future__ import annotations

import asyncio
import sys

import pytest
import uvloop

from bot import cli, event_loop


async def _loop_type() -> type:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop())


def test_the_bot_runs_on_uvloop_by_default() -> None:
    assert event_loop.run(_loop_type()) is uvloop.Loop


def test_asyncio_loop_when_asked() -> None:
    kind = event_loop.run(_loop_type(), "asyncio")
    assert kind is not uvloop.Loop
    assert issubclass(kind, asyncio.BaseEventLoop)


def test_asyncio_loop_when_uvloop_cannot_be_imported(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # an import of it raises ImportError
    assert event_loop.run(_loop_type()) is not uvloop.Loop


def test_a_failing_coroutine_raises_and_the_loop_is_closed() -> None:
    seen: list[asyncio.AbstractEventLoop] = []

    async def fail() -> None:
        seen.append(asyncio.get_running_loop())
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        event_loop.run(fail())
    assert seen[0].is_closed()


@pytest.mark.parametrize(("setting", "expected_uvloop"), [(None, True), ("asyncio", False)])
def test_run_uses_the_loop_of_the_setting(
    monkeypatch, tmp_path, setting: str | None, expected_uvloop: bool
) -> None:
    """``knd-bot run`` (here its console) runs on the loop ``KND_EVENT_LOOP`` names."""
    import bot.console

    monkeypatch.delenv("KND_BOT_TOKEN", raising=False)
    monkeypatch.delenv("KND_ZALO_TOKEN", raising=False)
    if setting is None:
        monkeypatch.delenv("KND_EVENT_LOOP", raising=False)
    else:
        monkeypatch.setenv("KND_EVENT_LOOP", setting)
    loops: list[type] = []

    async def console(*args, **kwargs) -> int:
        loops.append(await _loop_type())
        return 0

    monkeypatch.setattr(bot.console, "run_console", console)
    assert cli.main(["run", "--console", "--db", str(tmp_path / "knd.sqlite3")]) == 0
    assert (loops[0] is uvloop.Loop) is expected_uvloop


def test_an_unknown_loop_setting_is_refused(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("KND_EVENT_LOOP", "tokio")
    assert cli.main(["run", "--console", "--db", str(tmp_path / "knd.sqlite3")]) != 0
    error = capsys.readouterr().err
    assert "KND_EVENT_LOOP" in error and "uvloop (mặc định) hoặc asyncio" in error


async def test_the_async_tests_run_on_the_bots_loop() -> None:
    """tests/conftest.py gives pytest-asyncio the bot's loop, so the suite tests what runs."""
    assert type(asyncio.get_running_loop()) is uvloop.Loop
