"""One person on two channels after /lienket, through the production router and flows: the
consent is asked again in the wording of a channel whose sentence the person never read, and
the bot's notices (a reviewer's decision, the final document) reach the person on the channel
they last used."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from admission.clock import FixedClock
from bot.app import build_flows
from handlers.events import Chat, Reply, User
from handlers.org import bootstrap
from handlers.router import Router
from storage.db import Database
from tests.review_harness import fill_from_sample
from tests.samples import load_sample
from tests.test_review_router import Net, code, person

START = datetime.fromisoformat("2026-03-02T02:00:00+00:00")


@pytest.fixture
async def world(tmp_path: Path) -> Any:
    db = await Database.open(tmp_path / "linked.sqlite3")
    clock = FixedClock(START)
    try:
        yield Router(db, clock, build_flows()), clock
    finally:
        await db.close()


def on(platform: str, uid: str, name: str) -> tuple[User, Chat]:
    return User(platform, uid, name), Chat(platform, uid, "private")


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def say(net: Net, who: tuple[User, Chat], text: str, clock: FixedClock) -> list[Reply]:
    """``text`` typed by ``who`` a minute after the last move (so "last used" is ordered)."""
    clock.at += timedelta(minutes=1)
    user, chat = who
    if text.startswith("/"):
        command, _, rest = text[1:].partition(" ")
        return await net.event(user, chat, kind="command", command=command, text=rest)
    return await net.event(user, chat, kind="text", text=text)


async def link(net: Net, first: tuple[User, Chat], other: tuple[User, Chat], clock: Any) -> None:
    issued = texts(await say(net, first, "/lienket", clock))
    found = re.search(r"/lienket ([A-Z0-9]{8})", issued)
    assert found, issued
    assert "Đã liên kết" in texts(await say(net, other, f"/lienket {found.group(1)}", clock))


async def submit(net: Net, who: tuple[User, Chat], clock: FixedClock) -> None:
    """/nop, confirmed if the bot asks."""
    replies = await say(net, who, "/nop", clock)
    yes = [b for r in replies for row in r.buttons for b in row if "Nộp luôn" in b.label]
    if yes:
        clock.at += timedelta(minutes=1)
        await net.event(*who, kind="button", action=yes[0].action)


async def consent_row(router: Router) -> str:
    async with router.db.read() as r:
        return str(await r.fetchval("SELECT consent_version FROM people"))


async def test_the_consent_is_asked_again_in_the_wording_of_each_new_channel(world: Any) -> None:
    router, clock = world
    net = Net(router)
    zalo = on("zalo", "z-khoa", "Trần Minh Khoa")
    tg = on("telegram", "t-khoa", "Trần Minh Khoa")
    first = texts(await say(net, zalo, "/start", clock))
    assert "Tin nhắn đi qua Zalo (công ty VNG)" in first and "nước ngoài" not in first
    await say(net, zalo, "đồng ý", clock)
    await say(net, zalo, "TRẦN MINH KHOA", clock)
    assert await consent_row(router) == "2@zalo"
    await link(net, zalo, tg, clock)

    # on Telegram the sentence differs (servers abroad): asked first, nothing filed meanwhile
    asked = texts(await say(net, tg, "12/07/2001", clock))
    assert "đang nhắn với trợ lý qua Telegram" in asked
    assert "máy chủ đặt ở nước ngoài" in asked and "công ty VNG" not in asked
    async with router.db.read() as r:
        person = await r.people.find("telegram", "t-khoa")
        assert person is not None
        record = await r.dossiers.current_for(person.id)
    assert record is not None and record.dossier.value("ngay_sinh") in (None, "")
    refused = texts(await say(net, tg, "không đồng ý", clock))
    assert "không xử lý thêm" in refused and await consent_row(router) == "2@zalo"
    assert "Cảm ơn anh/chị đã đồng ý" in texts(await say(net, tg, "đồng ý", clock))
    assert await consent_row(router) == "2@telegram,zalo"

    # both wordings accepted: back and forth, nothing is asked again
    assert "đồng ý" not in texts(await say(net, zalo, "/tiendo", clock)).lower()[:60]
    assert "đang nhắn với trợ lý qua" not in texts(await say(net, tg, "/tiendo", clock))
    async with router.db.read() as r:
        given = await r.fetchall(
            "SELECT detail FROM audit_log WHERE action = 'consent_given' ORDER BY id"
        )
    assert [g[0] for g in given] == [
        '{"version":"2@zalo"}',
        '{"version":"2@telegram,zalo","renewed":true}',
    ]


async def test_a_consent_kept_before_zalo_counts_as_the_telegram_wording(world: Any) -> None:
    """Consents recorded as "2" (every one before Zalo) were read in Telegram's wording:
    Telegram asks nothing, Zalo asks once."""
    router, clock = world
    net = Net(router)
    tg = on("telegram", "t-an", "Nguyễn Văn An")
    zalo = on("zalo", "z-an", "Nguyễn Văn An")
    await say(net, tg, "/start", clock)
    await say(net, tg, "đồng ý", clock)
    assert await consent_row(router) == "2"
    assert "đang nhắn với trợ lý qua" not in texts(await say(net, tg, "NGUYỄN VĂN AN", clock))
    await link(net, tg, zalo, clock)
    assert "đang nhắn với trợ lý qua Zalo" in texts(await say(net, zalo, "/tiendo", clock))


async def test_a_decision_reaches_the_candidate_on_the_channel_last_used(world: Any) -> None:
    router, clock = world
    net = Net(router)
    sec, sec_chat = person("sec", "Bí thư")
    group = Chat("console", "nhom-chi-bo", "group", "Chi bộ")
    async with router.db.transaction() as tx:
        boot = await bootstrap(tx, "Chi bộ Trường A", platform="console", kind="chi_bo_co_so")
    await net.event(sec, sec_chat, kind="command", command="start", text=boot.code)
    await net.event(sec, sec_chat, kind="command", command="ketnoi")
    await net.event(sec, group, kind="command", command="ketnoi",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    rev, rev_chat = person("rev", "Người duyệt")
    await net.event(sec, sec_chat, kind="command", command="moi", text="duyet")
    await net.event(rev, rev_chat, kind="command", command="start",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    await net.event(sec, sec_chat, kind="command", command="moi", text="ungvien")
    invite = code(net.last(sec_chat)[1].text)

    tg = on("telegram", "t-binh", "Lê Thị Bình")
    zalo = on("zalo", "z-binh", "Lê Thị Bình")
    await say(net, tg, f"/start {invite}", clock)
    await say(net, tg, "đồng ý", clock)
    await fill_from_sample(router.db, "telegram", "t-binh", load_sample("b"))
    await link(net, tg, zalo, clock)
    await say(net, zalo, "/tiendo", clock)
    await say(net, zalo, "đồng ý", clock)  # Zalo's wording
    await submit(net, zalo, clock)
    card_id, card = net.last(group)
    assert "Hồ sơ #" in card.text

    # the candidate wrote last on Zalo: the return reaches Zalo, not the first channel
    number = re.search(r"Hồ sơ #(\d+)", card.text)
    assert number
    await net.event(rev, group, kind="command", command="nhanxet",
                    text=f"#{number.group(1)} mục 15: Ghi rõ năm vào Đoàn.")  # fmt: skip
    card_id, card = net.last(group)
    back = next(b for row in card.buttons for b in row if "Trả lại" in b.label)
    clock.at += timedelta(minutes=1)
    replies = await net.event(rev, group, kind="button", action=back.action, message_ref=card_id)
    to_candidate = [
        r for r in replies if r.chat and r.chat.kind == "private" and r.chat != rev_chat
    ]
    assert to_candidate, [(r.chat, r.text[:80], r.toast, r.buttons) for r in replies]
    assert {r.chat for r in to_candidate} == {zalo[1]}

    # they answer on Telegram next: the final document follows them there
    await submit(net, tg, clock)
    card_id, card = net.last(group)
    approve = next(b for row in card.buttons for b in row if "Duyệt" in b.label)
    clock.at += timedelta(minutes=1)
    replies = await net.event(rev, group, kind="button", action=approve.action, message_ref=card_id)
    final = [r for r in replies if r.document is not None and r.chat != rev_chat]
    assert final and {r.chat for r in final} == {tg[1]}
