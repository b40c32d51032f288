"""The secretaries' side end to end: python-telegram-bot's real client, the production router
(every flow), the fake Bot API. The summary's text, chart and spreadsheet travel as real
sendMessage/sendPhoto/sendDocument calls; candidates and outsiders are refused; the daily
digest reaches the unit's group through the adapter."""

from __future__ import annotations

import asyncio
import io
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from admission.clock import FixedClock
from bot.app import open_router
from bot.pacing import Pacing
from bot.settings import Settings
from bot.telegram import PLATFORM
from bot.telegram_service import TelegramService
from handlers.events import Reply
from handlers.router import Router
from handlers.secretary import start_scheduler
from storage.reviews import Org
from tests.fake_bot_api import FakeBotAPI
from tests.secretary_world import TODAY, World, at, build_world
from tests.tg_client import TelegramUser


@dataclass
class Scene:
    api: FakeBotAPI
    router: Router
    bot: TelegramService
    world: World
    secretary: TelegramUser
    candidate: TelegramUser
    outsider: TelegramUser
    group: TelegramUser  # the secretary typing in the root unit's group


@pytest.fixture
async def scene(tmp_path: Path) -> AsyncIterator[Scene]:
    world = await build_world(tmp_path)
    await world.db.close()
    async with FakeBotAPI() as api:
        settings = Settings(
            _env_file=None,
            bot_token=api.token,
            api_base_url=api.base_url,
            api_file_url=api.base_file_url,
            db_path=world.db.path,
            polling_timeout=10,
        )
        router, close = await open_router(settings, clock=FixedClock(at(TODAY, 10)))
        bot = TelegramService(settings, router, pacing=Pacing.unlimited())
        api.idle_probe = bot.idle
        await bot.start()

        def person(name: str) -> TelegramUser:
            return TelegramUser(api, first_name=name, quiet=0.0, timeout=15.0)

        sec, cand, out = person("Bí Thư"), person("Ứng Viên"), person("Người Ngoài")
        chat = api.new_group("Đảng ủy Khối")
        api.set_member_status(chat, sec.user, "member")
        in_group = TelegramUser(api, sec.user, chat, quiet=0.0, timeout=15.0)
        async with router.db.transaction(at(TODAY, 9)) as tx:
            org = tx.repo(Org)
            ids = {}
            for who in (sec, cand, out):
                uid = str(who.user.id)
                p = await tx.people.get_or_create(PLATFORM, uid, who.user.first_name, consent=True)
                ids[who] = p.id
                await org.note_private_chat(PLATFORM, uid, uid)
            await org.grant(world.root.id, ids[sec], "secretary", None)
            await org.grant(world.a1.id, ids[cand], "candidate", None)
            await org.bind_group(world.root.id, PLATFORM, str(chat.id))
        try:
            yield Scene(api, router, bot, world, sec, cand, out, in_group)
        finally:
            await bot.stop()
            await close()


async def test_summary_chart_and_spreadsheet_over_telegram(scene: Scene) -> None:
    await scene.secretary.command("tinhhinh")
    text = "\n".join(scene.secretary.texts())
    assert "Tình hình phát triển đảng viên — Đảng bộ Khối Doanh nghiệp" in text
    assert (
        "Kế hoạch 2026: 150 người, hạn 31/10 — đã kết nạp 2 (1,3 %), còn 38 ngày, đến hết 31/10"
        in text
    )
    photos = scene.secretary.photos()
    assert len(photos) == 1
    assert struct.unpack(">II", photos[0].content[16:24]) == (1200, 600)
    await scene.secretary.click("Xuất bảng Excel")
    documents = scene.secretary.documents()
    assert documents and documents[-1].filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(documents[-1].content))["Hồ sơ"]
    assert sheet.max_row == 1 + 16


@pytest.mark.parametrize("who", ["candidate", "outsider"])
async def test_candidates_and_outsiders_are_refused(scene: Scene, who: str) -> None:
    person: TelegramUser = getattr(scene, who)
    await person.command("tinhhinh")
    assert "chỉ dành cho bí thư" in person.last_text()
    assert not person.photos()
    await person.command("xuat")
    assert not person.documents()


async def test_recording_a_step_and_the_group_summary(scene: Scene) -> None:
    d6 = scene.world.dossiers["D6"]
    await scene.secretary.command("buoc", str(d6), "viettay", "18/09/2026")
    assert "Đã ghi: ĐỖ THỊ SÁU — Nộp bản lý lịch viết tay ngày 18/09/2026" in (
        scene.secretary.last_text()
    )
    await scene.secretary.command("buoc", str(d6), "guitt", "cha", "30/09/2026")
    assert "còn ở phía trước" in scene.secretary.last_text()
    await scene.group.command("tinhhinh")
    assert "• Đã nộp bản viết tay, chưa gửi thẩm tra: 2" in "\n".join(scene.group.texts())


async def test_the_running_bot_sends_the_digest_itself(scene: Scene) -> None:
    """run_telegram starts the scheduler inside TelegramService; digests reach the group."""
    scene.bot.start_scheduler(0.05)
    await scene.api.wait_for(
        lambda: any("Việc mới quá hạn" in (m.text or "") for m in scene.group.transcript()),
        15.0,
        lambda: "no digest in the group",
    )
    await scene.bot.stop()  # stops the scheduler too; the fixture's stop is then a no-op
    digests = [m for m in scene.group.transcript() if "Việc mới quá hạn" in (m.text or "")]
    assert len(digests) == 1


async def test_group_menu_lists_reviewer_commands(scene: Scene) -> None:
    names = [c["command"] for c in scene.api.my_commands(scope={"type": "all_group_chats"})]
    assert {"nhanxet", "tinhhinh", "ketnoi"} <= set(names)


async def test_daily_digest_reaches_the_group(scene: Scene) -> None:
    sent = asyncio.Event()

    async def send(reply: Reply) -> None:
        assert reply.chat is not None
        await scene.bot.delivery.enqueue([reply], reply.chat)
        sent.set()

    task, stop = start_scheduler(scene.router, send, interval=0.05)
    try:
        await asyncio.wait_for(sent.wait(), 15)
        await scene.api.wait_for(
            lambda: any("Việc mới quá hạn" in (m.text or "") for m in scene.group.transcript()),
            15.0,
            lambda: "no digest in the group",
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
    digest = next(m for m in scene.group.transcript() if "Việc mới quá hạn" in (m.text or ""))
    # issue 11: the group reads dossier numbers; the names go privately, on request
    text = digest.text or ""
    assert "ĐINH VĂN TÁM" not in text and "KIỀU VĂN MƯỜI SÁU" not in text
    d8, d16 = scene.world.dossiers["D8"], scene.world.dossiers["D16"]
    assert f"Hồ sơ số {d8} (" in text and f"Hồ sơ số {d16} (" in text
    await scene.secretary.start()  # the platform delivers only to a private chat once opened
    await scene.group.click("Xem chi tiết", message=digest, expect_reply=False)

    def details() -> str:
        return next(
            (m.text or "" for m in scene.secretary.transcript() if "📊" in (m.text or "")), ""
        )

    await scene.api.wait_for(lambda: details(), 15.0, lambda: "no details in private")
    assert "ĐINH VĂN TÁM" in details() and "KIỀU VĂN MƯỜI SÁU" in details()
    callback = scene.group.last_callback
    assert callback is not None and "tin nhắn riêng" in (callback.answer_text or "")
    assert not any("ĐINH VĂN TÁM" in (m.text or "") for m in scene.group.transcript())
