"""End to end on Zalo: candidates and reviewers through OUR Zalo client against the fake Zalo
Bot API server, with the real router, flows, inbox, outbox and SQLite database."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.web.keys import link_signer
from handlers.web.links import Grant
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


async def test_the_long_parts_are_offered_on_the_web_form_with_one_link(tmp_path: Path) -> None:
    web = {"web_base_url": "https://knd.example.vn", "web_key_file": tmp_path / "web.key"}
    async with FakeZaloAPI() as api:
        stack = ZaloStack(api, zalo_settings(api, tmp_path / "knd.sqlite3", **web))
        await stack.start_bot()
        try:
            khoa = api.new_user("Trần Minh Khoa")
            player = SamplePlayer(load_sample("a"))
            while not any("Phần 6/10" in t for t in api.texts(khoa.id)):
                await stack.play(khoa, player, moves=10)
            offers = [t for t in api.texts(khoa.id) if "Gõ /web" in t]
            assert len(offers) == 2  # part 5 and part 6, once each
            assert "Lịch sử bản thân và công tác" in offers[0]
            link = (await stack.say(khoa, "/web"))[-1]
            token = re.search(r"https://knd\.example\.vn/w/(\S+)", link).group(1)  # type: ignore[union-attr]
            grant = link_signer(stack.settings).verify(token)
            assert isinstance(grant, Grant) and grant.obj.kind == "form"
        finally:
            await stack.stop_bot()


async def test_the_consent_on_zalo_names_zalo_as_the_channel(stack: ZaloStack) -> None:
    an = stack.api.new_user("An")
    consent = "\n".join(await stack.say(an, "/start"))
    assert "đi qua Zalo" in consent and "Telegram" not in consent
    full = "\n".join(await stack.say(an, "3"))  # «3. 📄 Xem đầy đủ»
    assert "đi qua Zalo (công ty VNG)" in full and "qua Telegram" not in full
