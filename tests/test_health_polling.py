"""/healthz and /readyz without a webhook server (bot/health.py ``HealthServer``): Telegram
in long polling, and Zalo alone, on ``KND_HEALTH_PORT``; none when it is 0 (the default)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from bot.channels import run_channels
from bot.settings import Settings
from tests.fake_bot_api import FakeBotAPI
from tests.fake_zalo_api import FakeZaloAPI
from tests.ops_world import Deployment, settings_for


async def _get(port: int, path: str) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}{path}") as answer,
    ):
        return answer.status, await answer.json()


async def test_a_polling_bot_answers_health_and_readiness(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    async with FakeBotAPI() as api:
        settings = settings_for(api, db_path=tmp_path / "knd.sqlite3", health_port=unused_tcp_port)
        dep = Deployment(api, settings)
        bot = await dep.start()
        try:
            assert await _get(unused_tcp_port, "/healthz") == (200, {"status": "alive"})
            assert await _get(unused_tcp_port, "/readyz") == (200, {"status": "ready"})
            await dep.candidate.start()  # the bot serves people meanwhile
            assert "Tôi đồng ý" in " ".join(dep.candidate.buttons())
            async with bot.router.db.transaction() as tx:
                await tx.execute("DELETE FROM schema_migrations WHERE version = '043_leases.sql'")
            assert await _get(unused_tcp_port, "/readyz") == (
                503,
                {"status": "migrations missing", "missing": ["043_leases.sql"]},
            )
            assert (await _get(unused_tcp_port, "/healthz"))[0] == 200
        finally:
            await dep.stop()
        with pytest.raises(aiohttp.ClientConnectionError):  # stopped: the port is closed
            await _get(unused_tcp_port, "/healthz")


async def test_no_health_port_unless_configured(tmp_path: Path) -> None:
    async with FakeBotAPI() as api:
        dep = Deployment(api, settings_for(api, db_path=tmp_path / "knd.sqlite3"))
        bot = await dep.start()
        try:
            assert Settings(_env_file=None).health_port == 0  # type: ignore[call-arg]
            assert bot.health_server is None
        finally:
            await dep.stop()


async def test_zalo_alone_answers_health_and_readiness(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    async with FakeZaloAPI() as zalo:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            zalo_token=zalo.token,
            zalo_api_base_url=zalo.base_url,
            db_path=tmp_path / "knd.sqlite3",
            polling_timeout=2,
            health_port=unused_tcp_port,
        )
        stop = asyncio.Event()
        running = asyncio.create_task(run_channels(settings, stop=stop))
        try:
            await zalo.wait_for(lambda: zalo.count("getUpdates") > 0, 20, "Zalo never polled")
            assert await _get(unused_tcp_port, "/readyz") == (200, {"status": "ready"})
            assert await _get(unused_tcp_port, "/healthz") == (200, {"status": "alive"})
        finally:
            stop.set()
            await asyncio.wait_for(running, 30)
        with pytest.raises(aiohttp.ClientConnectionError):
            await _get(unused_tcp_port, "/readyz")
