"""One person, two channels: a candidate starts on Telegram and finishes on Zalo after linking
the identities with a one-time code; a reviewer keeps their role. Both channels run on ONE
router and database, each through its real client against its fake server."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import open_router
from bot.delivery import RetryPolicy
from bot.pacing import Pacing
from bot.settings import Settings
from bot.telegram_service import TelegramService
from bot.zalo.service import ZaloService
from handlers.org import bootstrap
from tests.fake_bot_api import FakeBotAPI
from tests.fake_zalo_api import FakeZaloAPI
from tests.samples import load_sample
from tests.telegram_player import SamplePlayer, read_state
from tests.test_telegram_e2e import Stack, assert_same_content, play
from tests.tg_client import TelegramUser
from tests.zalo_harness import ZaloStack


@dataclass
class Both:
    telegram: Stack
    zalo: ZaloStack


@pytest.fixture
async def both(tmp_path: Path) -> AsyncIterator[Both]:
    async with FakeBotAPI() as tg_api, FakeZaloAPI() as zalo_api:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=tg_api.token,
            api_base_url=tg_api.base_url,
            api_file_url=tg_api.base_file_url,
            zalo_token=zalo_api.token,
            zalo_api_base_url=zalo_api.base_url,
            db_path=tmp_path / "knd.sqlite3",
            polling_timeout=5,
        )
        router, close = await open_router(settings)
        telegram = TelegramService(settings, router, pacing=Pacing.unlimited())
        zalo = ZaloService(
            settings,
            router,
            pacing=Pacing.unlimited(),
            retry=RetryPolicy(first_delay=0.01, max_delay=0.05),
            replay_pause=0.01,
            flush_interval=0.05,
        )
        tg_api.idle_probe = telegram.idle
        await telegram.start()
        await zalo.start()
        tg_stack = Stack(tg_api, settings, telegram)
        zalo_stack = ZaloStack(zalo_api, settings, bot=zalo)
        try:
            yield Both(tg_stack, zalo_stack)
        finally:
            await zalo.stop()
            await telegram.stop()
            await close()


def code_in(text: str) -> str:
    match = re.search(r"/lienket ([A-Z0-9]{8})", text)
    assert match, text
    return match.group(1)


async def test_a_candidate_starts_on_telegram_and_finishes_on_zalo(both: Both) -> None:
    sample = load_sample("a")
    tg, zalo = both.telegram, both.zalo
    khoa_tg = TelegramUser(tg.api, first_name="Trần Minh Khoa", quiet=0.0, timeout=10.0)
    await play(tg, khoa_tg, SamplePlayer(sample), moves=40)
    _, half = read_state(tg.db_path, "telegram", str(khoa_tg.chat.id))
    assert half is not None and half.answers

    khoa = zalo.api.new_user("Trần Minh Khoa")
    # a code typed before linking is refused; an unlinked Zalo account has nothing yet
    assert "không đúng" in (await zalo.say(khoa, "/lienket ABCDEFGH"))[-1]
    await khoa_tg.command("lienket")
    code = code_in(khoa_tg.last_text())
    assert "Đã liên kết" in (await zalo.say(khoa, f"/lienket {code}"))[-1]
    assert "không đúng" in (await zalo.say(zalo.api.new_user("Kẻ Lạ"), f"/lienket {code}"))[-1]

    # consent was given to the Telegram wording (servers abroad): on Zalo the text that names
    # Zalo is shown first and accepted again before anything is filed; the dossier is kept
    asked = "\n".join(await zalo.say(khoa, "/tiendo"))
    assert "đang nhắn với trợ lý qua Zalo" in asked
    assert "Tin nhắn đi qua Zalo (công ty VNG)" in asked and "nước ngoài" not in asked
    assert "Cảm ơn anh/chị đã đồng ý" in "\n".join(await zalo.say(khoa, "đồng ý"))

    moves = await zalo.play(khoa, SamplePlayer(sample))
    assert moves > 20  # the rest, on Zalo
    _, got = read_state(zalo.db_path, "zalo", khoa.id)
    assert got is not None
    assert_same_content(got, sample)
    with sqlite3.connect(zalo.db_path) as conn:
        people = conn.execute("SELECT COUNT(*) FROM people").fetchone()[0]
        dossiers = conn.execute("SELECT COUNT(*) FROM dossiers").fetchone()[0]
        audit = [
            r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE 'identity%'")
        ]
        accepted = conn.execute("SELECT consent_version FROM people").fetchone()[0]
    assert (people, dossiers) == (1, 1)  # one person, one dossier, two channels
    assert accepted == "2@telegram,zalo"  # both channels' wordings, each accepted
    assert audit == ["identity_code", "identity_linked"]


async def test_a_reviewer_keeps_their_role_on_the_other_channel(both: Both) -> None:
    tg, zalo = both.telegram, both.zalo
    assert zalo.bot is not None
    async with zalo.bot.router.db.transaction() as tx:
        boot = await bootstrap(tx, "Đảng bộ Khối Doanh nghiệp", bot_username="knd_test_bot")
    sec_tg = TelegramUser(tg.api, first_name="Lê Văn Sáu", quiet=0.0, timeout=10.0)
    await sec_tg.start(boot.code)
    sec = zalo.api.new_user("Lê Văn Sáu")
    assert "chỉ dành cho bí thư" in (await zalo.say(sec, "/tinhhinh"))[-1]
    await sec_tg.command("lienket")
    await zalo.say(sec, f"/lienket {code_in(sec_tg.last_text())}")
    summary = "\n".join(await zalo.say(sec, "/tinhhinh"))
    assert "Tình hình phát triển đảng viên — Đảng bộ Khối Doanh nghiệp" in summary
