"""The review through the production Router and flows on a non-Telegram platform: the
group/private split is platform-neutral (console, Zalo: chat ids are arbitrary strings)."""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from admission.clock import FixedClock
from bot.app import build_flows
from forms.dossier import Dossier
from handlers.events import Chat, Event, Reply, User
from handlers.org import bootstrap
from handlers.router import Router
from storage.db import Database
from tests.review_harness import fill_from_sample
from tests.samples import load_sample

PLATFORM = "console"
_keys = itertools.count(1)


class Net:
    """Plays the adapter: numbers the messages, reports remembered ones to the router."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.inbox: dict[str, list[tuple[str, Reply]]] = {}
        self._ids = itertools.count(1)

    async def event(self, user: User, chat: Chat, **kw: str) -> list[Reply]:
        key = kw.pop("key", str(next(_keys)))
        replies = await self.router.handle(Event(user, chat, update_key=key, **kw))  # type: ignore[arg-type]
        for reply in replies:
            if not (reply.text or reply.document):
                continue
            target = reply.chat or chat
            message_id = reply.edit_ref or f"m{next(self._ids)}"
            box = self.inbox.setdefault(target.id, [])
            box[:] = [(i, r) for i, r in box if i != message_id]
            box.append((message_id, reply))
            if reply.remember:
                await self.router.message_sent(reply.remember, PLATFORM, target.id, message_id)
        return replies

    def last(self, chat: Chat) -> tuple[str, Reply]:
        return self.inbox[chat.id][-1]


def person(uid: str, name: str) -> tuple[User, Chat]:
    return User(PLATFORM, uid, name), Chat(PLATFORM, uid, "private")


async def invited_candidate_submits(net: Net, sec: User, cand: User, sample: Dossier) -> Any:
    """The secretary invites ``cand`` (in their private chats), who opens the link, consents,
    has ``sample`` filled in and sends /nop. Returns the dossier record."""
    record = await invited_candidate_fills(net, sec, cand, sample)
    await candidate_submits(net, cand)
    return record


async def candidate_submits(net: Net, cand: User) -> list[Reply]:
    """/nop, confirmed if the bot asks."""
    cand_chat = Chat(PLATFORM, cand.id, "private")
    replies = await net.event(cand, cand_chat, kind="command", command="nop")
    if any("Nộp luôn" in b.label for r in replies for row in r.buttons for b in row):
        yes = next(b for r in replies for row in r.buttons for b in row if "Nộp luôn" in b.label)
        replies = await net.event(cand, cand_chat, kind="button", action=yes.action)
    return replies


async def invited_candidate_fills(net: Net, sec: User, cand: User, sample: Dossier) -> Any:
    """As :func:`invited_candidate_submits`, without the /nop."""
    sec_chat, cand_chat = (Chat(PLATFORM, u.id, "private") for u in (sec, cand))
    await net.event(sec, sec_chat, kind="command", command="moi", text="ungvien")
    await net.event(cand, cand_chat, kind="command", command="start",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    consent = next(b for row in net.last(cand_chat)[1].buttons for b in row if "đồng ý" in b.label)
    await net.event(cand, cand_chat, kind="button", action=consent.action)
    return await fill_from_sample(net.router.db, PLATFORM, cand.id, sample)


@pytest.fixture
async def router(tmp_path: Path):
    db = await Database.open(tmp_path / "router.sqlite3")
    clock = FixedClock(datetime.fromisoformat("2026-03-02T02:00:00+00:00"))
    try:
        yield Router(db, clock, build_flows())
    finally:
        await db.close()


def code(text: str) -> str:
    found = re.search(r"(?:/start |/ketnoi )([A-Z0-9]{10})", text)
    assert found, text
    return found.group(1)


async def test_review_through_the_router_on_the_console_platform(router: Router) -> None:
    net = Net(router)
    sec, sec_chat = person("sec", "Bí thư")
    rev, rev_chat = person("rev", "Người duyệt")
    cand, cand_chat = person("cand", "Nguyễn Văn An")
    group = Chat(PLATFORM, "nhom-chi-bo", "group", "Chi bộ")
    async with router.db.transaction() as tx:
        boot = await bootstrap(tx, "Chi bộ cơ sở Trường A", platform=PLATFORM, kind="chi_bo_co_so")
    assert boot.code
    await net.event(sec, sec_chat, kind="command", command="start", text=boot.code)
    assert "bí thư" in net.last(sec_chat)[1].text
    await net.event(sec, sec_chat, kind="command", command="moi", text="duyet")
    await net.event(rev, rev_chat, kind="command", command="start",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    await net.event(sec, sec_chat, kind="command", command="ketnoi")
    await net.event(sec, group, kind="command", command="ketnoi",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    assert "đã được kết nối" in net.last(group)[1].text

    # a candidate invited before consenting: the invite code waits in the conversation
    sample = load_sample("b")
    record = await invited_candidate_submits(net, sec, cand, sample)
    card_id, card = net.last(group)
    assert "Hồ sơ #" in card.text and sample.value("ho_ten") in card.text
    approve = next(b for row in card.buttons for b in row if "Duyệt" in b.label)

    # the same tap delivered twice (a platform redelivery): handled once
    first = await net.event(rev, group, kind="button", action=approve.action, message_ref=card_id,
                            key="tap-1")  # fmt: skip
    again = await net.event(rev, group, kind="button", action=approve.action, message_ref=card_id,
                            key="tap-1")  # fmt: skip
    assert first and again == []
    assert any("Đã duyệt lần cuối" in r.text for _, r in net.inbox[group.id])
    final = net.last(cand_chat)[1]
    assert final.document is not None and "nhap" not in final.document.filename
    async with router.db.read() as r:
        record = await r.dossiers.get(record.id)
        assert record is not None and record.locked and record.unit_id is not None
        decisions = await r.fetchval("SELECT count(*) FROM review_decisions")
    assert decisions == 1


async def test_staff_typing_in_private_get_their_commands_not_the_consent(router: Router) -> None:
    """A reviewer who writes to the bot privately is not asked to consent to a biography."""
    net = Net(router)
    sec, sec_chat = person("sec", "Bí thư")
    rev, rev_chat = person("rev", "Người duyệt")
    stranger, stranger_chat = person("x", "Người lạ")
    async with router.db.transaction() as tx:
        boot = await bootstrap(tx, "Chi bộ cơ sở Trường A", platform=PLATFORM, kind="chi_bo_co_so")
    await net.event(sec, sec_chat, kind="command", command="start", text=boot.code)
    await net.event(sec, sec_chat, kind="command", command="moi", text="duyet")
    await net.event(rev, rev_chat, kind="command", command="start",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip

    for who, chat in ((rev, rev_chat), (sec, sec_chat)):
        replies = await net.event(who, chat, kind="text", text="xin chào, hồ sơ đâu?")
        text = "\n".join(r.text for r in replies)
        assert "Đồng chí đang là" in text, text
        assert not any("đồng ý" in b.label for r in replies for row in r.buttons for b in row)

    # someone with no role still meets the candidate's greeting and consent
    replies = await net.event(stranger, stranger_chat, kind="text", text="xin chào")
    assert any("đồng ý" in b.label.lower() for r in replies for row in r.buttons for b in row)


async def test_a_submission_nobody_reviews_goes_back_to_the_candidate(router: Router) -> None:
    """The chi bộ (the only unit) has no review level any more when the candidate sends /nop:
    the dossier must not stay 'submitted' with no reviewer and no way to edit it, and the
    candidate must not be told they belong to no chi bộ. The secretary is told."""
    net = Net(router)
    sec, sec_chat = person("sec", "Bí thư")
    cand, cand_chat = person("cand", "Nguyễn Văn An")
    async with router.db.transaction() as tx:
        boot = await bootstrap(tx, "Chi bộ cơ sở Trường A", platform=PLATFORM, kind="chi_bo_co_so")
    assert boot.code
    await net.event(sec, sec_chat, kind="command", command="start", text=boot.code)
    record = await invited_candidate_fills(net, sec, cand, load_sample("b"))
    await net.event(sec, sec_chat, kind="command", command="capduyet", text="#1 không")
    assert "không duyệt lý lịch" in net.last(sec_chat)[1].text  # no dossier waits yet
    await candidate_submits(net, cand)
    told = "\n".join(r.text for _, r in net.inbox[cand_chat.id][-2:])
    assert "chưa gắn với chi bộ nào" not in told and "Chi bộ cơ sở Trường A" in told
    async with router.db.read() as r:
        after = await r.dossiers.get(record.id)
    assert after is not None and after.status == "draft"
    replies = await net.event(cand, cand_chat, kind="command", command="sua", text="3")
    assert not any("không sửa được" in r.text for r in replies)
    assert (
        f"#{record.id}" in net.last(sec_chat)[1].text and "/capduyet" in net.last(sec_chat)[1].text
    )


async def test_a_secretary_who_reviews_nowhere_is_pointed_at_her_commands(router: Router) -> None:
    """/hoso (or «hồ sơ» typed) from a secretary who is no reviewer said «Bạn chưa được ghi
    nhận là người duyệt. Hãy nhờ bí thư gửi đường dẫn mời» — to the bí thư herself, a dead
    end. She is told what she types instead: /tinhhinh and /buoc."""
    net = Net(router)
    sec, sec_chat = person("sec", "Bí thư")
    async with router.db.transaction() as tx:
        boot = await bootstrap(tx, "Chi bộ cơ sở Trường A", platform=PLATFORM, kind="chi_bo_co_so")
    await net.event(sec, sec_chat, kind="command", command="start", text=boot.code)
    for kw in ({"kind": "command", "command": "hoso"}, {"kind": "text", "text": "Hồ sơ?"}):
        text = "\n".join(r.text for r in await net.event(sec, sec_chat, **kw))
        assert "bí thư của Chi bộ cơ sở Trường A" in text and "người duyệt" in text, text
        assert "/tinhhinh" in text and "/buoc" in text and "nhờ bí thư" not in text
