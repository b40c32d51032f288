"""A whole review on Zalo, through our Zalo client and the fake Zalo server: the committee
sets up by typed commands, groups are bound by mentioning the bot, a dossier's card is a short
text with its number, reviewers act by mentioning the bot with typed commands (xem, nhận xét,
trả lại, duyệt) through both levels — the same decisions, checks and audit as on Telegram,
content only privately — and an outsider's mention gets nothing. The secretary's summary
arrives as text (the chart as a link or, without the web companion, said plainly)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from admission.clock import FixedClock
from bot.app import open_router
from bot.delivery import RetryPolicy
from bot.pacing import Pacing
from bot.web.keys import link_signer
from bot.zalo.service import ZaloService
from handlers.org import bootstrap
from handlers.web.grants import open_grant, open_unit
from handlers.web.links import Grant, Obj
from tests.fake_zalo_api import FakeZaloAPI, ZaloUser
from tests.group_privacy import leaked
from tests.review_harness import fill_from_sample
from tests.samples import load_sample
from tests.zalo_harness import ZaloStack, zalo_settings

NOW = "2026-03-02T02:00:00+00:00"


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[ZaloStack]:
    async with FakeZaloAPI() as api:
        web = {"web_base_url": "https://knd.example.vn", "web_key_file": tmp_path / "web.key"}
        s = ZaloStack(api, zalo_settings(api, tmp_path / "knd.sqlite3", **web))
        router, s.close = await open_router(
            s.settings, clock=FixedClock(datetime.fromisoformat(NOW))
        )
        s.bot = ZaloService(
            s.settings,
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


def code_in(text: str) -> str:
    match = re.search(r"(?:start=|/start |/ketnoi )([A-Z0-9]{10})", text)
    assert match, text
    return match.group(1)


async def person_id(stack: ZaloStack, user: ZaloUser) -> int:
    assert stack.bot is not None
    async with stack.bot.router.db.read() as s:
        person = await s.people.find("zalo", user.id)
    assert person is not None
    return person.id


async def opened_by(stack: ZaloStack, text: str, dossier: int) -> Grant:
    """The grant of the link in ``text``, checked as the web companion checks it at open."""
    match = re.search(r"https://knd\.example\.vn/w/(\S+)", text)
    assert match, text
    grant = link_signer(stack.settings).verify(match.group(1))
    assert isinstance(grant, Grant), grant
    assert stack.bot is not None
    async with stack.bot.router.db.transaction() as tx:
        opened = await open_grant(tx, grant, what="test_open")
    assert opened.record.id == dossier
    return grant


def last(stack: ZaloStack, chat: str) -> str:
    texts = stack.api.texts(chat)
    return texts[-1] if texts else ""


async def test_a_whole_review_by_mentions_in_zalo_groups(stack: ZaloStack) -> None:
    api = stack.api
    assert stack.bot is not None
    say = stack.say
    sec, r1, r2, r3 = (
        api.new_user(n) for n in ("Lê Văn Sáu", "Trần Thị Duyệt", "Phạm Văn Hai", "Đỗ Đảng Ủy")
    )
    cand, out = api.new_user("Trần Minh Khoa"), api.new_user("Người Ngoài")
    cb, du = api.new_group("Chi bộ Phòng Kỹ thuật"), api.new_group("Đảng ủy Công ty A")

    # -- the committee: bootstrap, units, reviewers' invites, groups bound by a mention -----
    async with stack.bot.router.db.transaction() as tx:
        boot = await bootstrap(tx, "Đảng bộ Khối Doanh nghiệp", platform="zalo")
    assert boot.code is not None
    await say(sec, f"/start {boot.code}")
    assert "bí thư của Đảng bộ Khối Doanh nghiệp" in last(stack, sec.id)
    await say(sec, "/donvi Đảng bộ Công ty A")
    du_id = re.search(r"#(\d+)", last(stack, sec.id)).group(1)  # type: ignore[union-attr]
    await say(sec, f"/donvi #{du_id} Chi bộ Phòng Kỹ thuật")
    cb_id = re.search(r"#(\d+)", last(stack, sec.id)).group(1)  # type: ignore[union-attr]
    for who, unit in ((r1, cb_id), (r2, cb_id), (r3, du_id)):
        await say(sec, f"/moi duyet #{unit}")
        await say(who, f"/start {code_in(last(stack, sec.id))}")
        assert "người duyệt" in last(stack, who.id)
    for group, unit in ((cb, cb_id), (du, du_id)):
        await say(sec, f"/ketnoi #{unit}")
        await say(sec, api.mention(f"/ketnoi {code_in(last(stack, sec.id))}"), group)
        assert "đã được kết nối" in "\n".join(api.texts(group.id))

    # -- the candidate: invite, consent by typing «1», the dossier, /nop ---------------------
    await say(sec, f"/moi ungvien #{cb_id}")
    await say(cand, f"/start {code_in(last(stack, sec.id))}")
    await say(cand, "1")  # «1. Tôi đồng ý»
    sample = load_sample("a")
    record = await fill_from_sample(stack.bot.router.db, "zalo", cand.id, sample)
    n = record.id
    await say(cand, "/nop")
    assert "đã được gửi tới Chi bộ Phòng Kỹ thuật" in "\n".join(api.texts(cand.id)[-3:])
    card = last(stack, cb.id)
    assert f"#{n}" in card and "TRẦN MINH KHOA" in card and len(card) < 1000
    assert sample.value("ngay_sinh") not in card
    assert f"«duyệt {n}»" in card and f"«xem {n}»" in card  # the card says what to type

    # -- an outsider's mention gets nothing, anywhere ----------------------------------------
    before = len(api.sent)
    for typed in (f"duyệt {n}", f"xem {n}", f"trả lại {n}", f"nhận xét {n} mục 15: lạ"):
        await say(out, api.mention(typed), cb)
    assert len(api.sent) == before
    # a message without a mention never reaches the bot
    assert api.user_sends(r1, f"duyệt {n}", cb) is None

    # -- xem: the content privately, the group learns nothing more ---------------------------
    seen = len(api.texts(r1.id))
    await say(r1, "/start")  # a private chat with the bot (Zalo: the reviewer wrote first)
    group_before = len(api.texts(cb.id))
    await say(r1, api.mention(f"xem {n}"), cb)
    private = "\n".join(api.texts(r1.id)[seen:])
    assert sample.value("ngay_sinh") in private
    grant = await opened_by(stack, private, n)  # the draft .docx: a reviewer's link
    assert grant.obj == Obj("review", n) and grant.person_id == await person_id(stack, r1)
    assert all(sample.value("ngay_sinh") not in t for t in api.texts(cb.id)[group_before:])

    # -- comments and return ------------------------------------------------------------------
    await say(r2, api.mention(f"nhận xét {n} mục 15: Ghi rõ chức vụ từng giai đoạn."), cb)
    assert "Đã ghi nhận xét" in "\n".join(api.texts(cb.id)[-2:])
    await say(r2, api.mention(f"trả lại {n}"), cb)
    assert any("1 nhận xét mới" in t for t in api.texts(cand.id)[-4:])

    # -- the candidate fixes item 3 and submits again -----------------------------------------
    await say(cand, "/sua 3")
    await say(cand, "13/07/2001" if sample.value("ngay_sinh") != "13/07/2001" else "14/07/2001")
    await say(cand, "/nop")
    if "Nộp luôn" in last(stack, cand.id):
        await say(cand, "Nộp luôn")  # the option's label typed
    assert "đã được gửi tới" in "\n".join(api.texts(cand.id)[-3:])

    # -- first level approves; the second level gets its card and approves last ---------------
    await say(r3, api.mention(f"duyệt {n}"), cb)  # the đảng ủy's reviewer does not act here
    assert "Chỉ người duyệt của Chi bộ" in last(stack, cb.id)
    await say(r1, api.mention(f"duyệt {n}"), cb)
    du_card = last(stack, du.id)
    assert f"#{n}" in du_card and "cấp duyệt 2/2" in du_card
    await say(r3, api.mention(f"duyệt {n}"), du)
    assert any("Đã duyệt lần cuối" in t for t in api.texts(du.id))

    with sqlite3.connect(stack.db_path) as conn:
        decisions = conn.execute(
            "SELECT decision, level FROM review_decisions WHERE dossier_id = ? ORDER BY id", (n,)
        ).fetchall()
        status = conn.execute("SELECT status FROM dossiers WHERE id = ?", (n,)).fetchone()[0]
        audit = {
            r[0] for r in conn.execute("SELECT action FROM audit_log WHERE dossier_id = ?", (n,))
        }
    assert decisions == [("return", 1), ("approve", 1), ("approve", 2)]
    assert status == "approved"
    assert {"submit", "comment", "return", "approve"} <= audit
    # the final document: Zalo carries no file; a private signed link to the web companion,
    # bound to the candidate and the dossier, that the access gate opens for them
    final = next(t for t in reversed(api.texts(cand.id)) if "2KND-ho-so" in t)
    grant = await opened_by(stack, final, n)
    assert grant.obj == Obj("dossier", n)
    assert grant.person_id == await person_id(stack, cand)

    # -- the groups saw numbers, the name, statuses and counts: no field value ---------------
    shown = api.texts(cb.id) + api.texts(du.id)
    assert leaked(shown, sample) == []
    assert all(len(t) <= 2000 for t in shown)

    # -- the secretary's summary, privately ----------------------------------------------------
    await say(sec, "/tinhhinh")
    summary = "\n".join(api.texts(sec.id)[-4:])
    assert "Tình hình phát triển đảng viên — Đảng bộ Khối Doanh nghiệp" in summary
    chart = next(t for t in reversed(api.texts(sec.id)) if "Xem biểu đồ" in t)  # a link
    token = re.search(r"https://knd\.example\.vn/w/(\S+)", chart).group(1)  # type: ignore[union-attr]
    grant = link_signer(stack.settings).verify(token)
    assert isinstance(grant, Grant) and grant.obj.kind == "summary"
    assert grant.person_id == await person_id(stack, sec)
    async with stack.bot.router.db.transaction() as tx:
        assert await open_unit(tx, grant) == grant.obj.id
    assert not [m for m in api.sent if m.method == "sendPhoto"]  # a page, not an image
