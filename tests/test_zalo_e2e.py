"""End to end on Zalo: candidates and reviewers through OUR Zalo client against the fake Zalo
Bot API server, with the real router, flows, inbox, outbox and SQLite database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fake_zalo_api import FakeZaloAPI
from tests.samples import load_sample
from tests.telegram_player import SamplePlayer, read_state
from tests.test_telegram_e2e import assert_same_content
from tests.zalo_harness import ZaloStack, zalo_settings


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[ZaloStack]:
    async with FakeZaloAPI() as api:
        s = ZaloStack(api, zalo_settings(api, tmp_path / "knd.sqlite3"))
        await s.start_bot()
        try:
            yield s
        finally:
            await s.stop_bot()


async def test_candidate_completes_sample_a_on_zalo_by_typed_numbers(stack: ZaloStack) -> None:
    sample = load_sample("a")
    khoa = stack.api.new_user("Trần Minh Khoa")
    moves = await stack.play(khoa, SamplePlayer(sample))
    assert moves > 100
    _, got = read_state(stack.db_path, "zalo", khoa.id)
    assert got is not None
    assert_same_content(got, sample)
    sent = stack.api.messages(khoa.id)
    assert all(1 <= len(m.text) <= 2000 for m in sent)
    numbered = [m.text for m in sent if re.search(r"^1\. ", m.text, re.MULTILINE)]
    assert numbered and all("hoặc chữ trên nút" in t for t in numbered)
    # every update came twice (getUpdates replays what was read): processed once
    assert stack.bot is not None and stack.bot.intake.stats.duplicates >= moves
