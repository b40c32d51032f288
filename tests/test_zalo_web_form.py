"""Sample A on Zalo, part by chat and part by the web form: at the first long part (work
history) the chat offers the web form; the candidate types /web, fills the tables of that part
in the web companion (HTTP, with its session cookie and CSRF token), comes back, types
«Tiếp tục», and finishes by chat. The dossier ends equal to sample A, with far fewer Zalo
messages for that part."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.app import open_router, web_server
from bot.delivery import RetryPolicy
from bot.pacing import Pacing
from bot.zalo.service import ZaloService
from forms.definition import load_form
from forms.dossier import Dossier
from forms.model import FieldDef, Kind
from handlers.candidate.structure import Structure
from tests.fake_zalo_api import FakeZaloAPI
from tests.samples import load_sample
from tests.telegram_player import SamplePlayer, read_state
from tests.test_telegram_e2e import assert_same_content
from tests.zalo_harness import ZaloStack, zalo_settings

WORK_HISTORY = 5  # "Phần 5/10 – Lịch sử bản thân và công tác"


@pytest.fixture
async def stack(tmp_path: Path, unused_tcp_port: int) -> AsyncIterator[ZaloStack]:
    base = f"http://127.0.0.1:{unused_tcp_port}"
    async with FakeZaloAPI() as api:
        settings = zalo_settings(
            api, tmp_path / "knd.sqlite3", web_base_url=base, web_key_file=tmp_path / "web.key"
        )
        s = ZaloStack(api, settings)
        router, s.close = await open_router(settings)
        web = web_server(settings, router)
        assert web is not None
        await web.start("127.0.0.1", unused_tcp_port)
        s.bot = ZaloService(
            settings,
            router,
            pacing=Pacing.unlimited(),
            retry=RetryPolicy(first_delay=0.01, max_delay=0.05),
            replay_pause=0.01,
            flush_interval=0.05,
        )
        await s.bot.start()
        try:
            yield s
        finally:
            await s.stop_bot()
            await web.stop()


def cell(column: FieldDef, row: dict[str, str]) -> str:
    """What a person types in a cell, from the sample's row (a period as "from - to")."""
    if column.kind is Kind.PERIOD:
        return f"{row.get('tu', '')} - {row.get('den', '')}"
    return row.get(column.storage_keys()[0], "")


async def fill_part_on_the_web(http: aiohttp.ClientSession, link: str, sample: Dossier) -> int:
    """Open the link, then add every row of the part's tables, one row per save as the page
    offers one blank row; returns how many rows were saved."""
    base = link.split("/w/", 1)[0]
    async with http.get(link) as r:
        assert r.status == 200, await r.text()
        cookie = {"Cookie": f"knd_s={r.cookies['knd_s'].value}"}
    structure = Structure(load_form())
    url = f"{base}/w/phan/{WORK_HISTORY - 1}"
    saved = 0
    for item in structure.section_items(WORK_HISTORY - 1):
        if item.table is None:
            continue
        for i, row in enumerate(sample.rows(item.table.id)):
            async with http.get(url, headers=cookie) as r:
                page = await r.text()
                assert r.status == 200, page
            csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            data = {"csrf": csrf}
            for column in item.table.columns:
                data[f"t.{item.table.id}.{i}.{column.id}"] = cell(column, row)
            async with http.post(url, data=data, headers=cookie, allow_redirects=False) as r:
                assert r.status == 303, await r.text()
            saved += 1
    return saved


async def test_sample_a_part_by_chat_part_by_the_web_form(stack: ZaloStack) -> None:
    api, sample = stack.api, load_sample("a")
    khoa = api.new_user("Trần Minh Khoa")
    player = SamplePlayer(sample)
    while not any("Gõ /web" in t and f"Phần {WORK_HISTORY}/10" in t for t in api.texts(khoa.id)):
        await stack.play(khoa, player, moves=1)
    chat_moves_before = len([m for m in api.written if m.chat_id == khoa.id])
    link = (await stack.say(khoa, "/web"))[-1]
    url = re.search(r"(http://127\.0\.0\.1:\d+/w/\S+)", link).group(1)  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as http:
        saved = await fill_part_on_the_web(http, url, sample)
    assert saved >= 3
    await stack.say(khoa, "Tiếp tục")  # the label of «▶️ Tiếp tục»
    await stack.play(khoa, player)
    _, got = read_state(stack.db_path, "zalo", khoa.id)
    assert got is not None
    assert_same_content(got, sample)
    typed = len([m for m in api.written if m.chat_id == khoa.id])
    # sample A by chat alone takes 209 moves (tests/test_zalo_e2e.py, with the relatives'
    # nationality, ethnicity and religion of the 2025 booklet); each row saved on the web
    # spares at least one
    assert chat_moves_before < typed < 209 - saved
