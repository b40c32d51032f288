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


async def _chi_bo_with_reviewer(router: Router, net: Net) -> tuple[User, Chat, User, Chat]:
    """A chi bộ cơ sở bound to its group, its secretary and one reviewer."""
    sec, sec_chat = person("sec", "Bí thư")
    rev, _ = person("rev", "Người duyệt")
    group = Chat(PLATFORM, "nhom-chi-bo", "group", "Chi bộ")
    async with router.db.transaction() as tx:
        boot = await bootstrap(tx, "Chi bộ cơ sở Trường A", platform=PLATFORM, kind="chi_bo_co_so")
    await net.event(sec, sec_chat, kind="command", command="start", text=boot.code)
    await net.event(sec, sec_chat, kind="command", command="moi", text="duyet")
    await net.event(rev, Chat(PLATFORM, rev.id, "private"), kind="command", command="start",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    await net.event(sec, sec_chat, kind="command", command="ketnoi")
    await net.event(sec, group, kind="command", command="ketnoi",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    return sec, sec_chat, rev, group


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("còn bao nhiêu hồ sơ quá hạn?", "Tình hình phát triển đảng viên"),
        ("dạ hồ sơ nào quá hạn ạ", "Tình hình phát triển đảng viên"),
        ("chi tieu 150 31/10", "Đã đặt chỉ tiêu"),
        ("chỉ tiêu năm nay bao nhiêu?", "Chỉ tiêu hiện tại"),
        ("bước 99 chibo 01/03", "Không tìm thấy hồ sơ số 99"),
        ("buoc tiep theo", "Chưa có hồ sơ nào đã duyệt lý lịch"),
    ],
)
async def test_a_secretary_asks_in_words(router: Router, typed: str, answer: str) -> None:
    """A secretary's «còn bao nhiêu hồ sơ quá hạn?» or «bước 12 chibo 15/03» (the command's
    name without «/», as /trogiup says may be typed) got «Xin chào đồng chí»: a short
    question naming a topic is the command that answers it, and a command that records what
    can be undone takes its words after the name, as after the «/»."""
    net = Net(router)
    _, sec_chat, _, _ = await _chi_bo_with_reviewer(router, net)
    sec = User(PLATFORM, "sec", "Bí thư")
    text = "\n".join(r.text for r in await net.event(sec, sec_chat, kind="text", text=typed))
    assert answer in text and "Xin chào đồng chí" not in text, text
    if "năm nay bao nhiêu" in typed:  # a question sets nothing
        assert "Đã đặt" not in text


@pytest.mark.parametrize("typed", ["mời đồng chí Hùng dự họp", "đơn vị mới thành lập"])
async def test_a_secretarys_words_never_create_from_a_sentence(router: Router, typed: str) -> None:
    """Only commands that record what can be undone take their words: an invite or a unit is
    never made from a sentence that happens to begin with the command's name."""
    net = Net(router)
    _, sec_chat, _, _ = await _chi_bo_with_reviewer(router, net)
    sec = User(PLATFORM, "sec", "Bí thư")
    text = "\n".join(r.text for r in await net.event(sec, sec_chat, kind="text", text=typed))
    assert "Xin chào đồng chí" in text, text
    async with router.db.read() as r:
        assert await r.fetchval("SELECT count(*) FROM units") == 1


async def test_a_comment_names_its_dossier_by_a_bare_number(router: Router) -> None:
    """Two dossiers wait in the group; «/nhanxet 12 ngày sinh …» (the number without «#»,
    the item by name) got «Nhóm đang có nhiều hồ sơ chờ duyệt…»: a bare number first is the
    dossier when one waiting has it and an item follows."""
    net = Net(router)
    sec, _, rev, group = await _chi_bo_with_reviewer(router, net)
    ids = []
    for i, sample in enumerate("ab"):
        cand, _ = person(f"cand{i}", f"Người khai {i}")
        ids.append((await invited_candidate_submits(net, sec, cand, load_sample(sample))).id)
    second = ids[1]
    for typed, item in ((f"{second} ngày sinh ghi đủ ngày", 3), (f"{second} 15 ghi rõ tháng", 15)):
        text = "\n".join(
            r.text
            for r in await net.event(rev, group, kind="command", command="nhanxet", text=typed)
        )
        assert f"cho mục ({item}) (hồ sơ #{second})" in text, text
    async with router.db.read() as r:
        rows = await r.fetchall("SELECT dossier_id, item_number, text FROM comments ORDER BY id")
    assert [tuple(row) for row in rows] == [
        (second, 3, "ngày sinh ghi đủ ngày"),
        (second, 15, "ghi rõ tháng"),
    ]


async def test_a_secretary_typing_a_review_command_in_the_group(router: Router) -> None:
    """The secretary's /hoso in the unit's group got «Chỉ người duyệt … mới thao tác được
    trên thẻ này» (there is no card); in private she was told what she types instead. The
    group now tells her the same (her unit's name only, nothing of a dossier)."""
    net = Net(router)
    sec, _, _, group = await _chi_bo_with_reviewer(router, net)
    text = "\n".join(r.text for r in await net.event(sec, group, kind="command", command="hoso"))
    assert "không phải người duyệt" in text and "/tinhhinh" in text, text
    assert "thẻ này" not in text


async def test_a_command_with_its_number_typed_on(router: Router) -> None:
    """«/xem12» (the number typed without its space: Telegram marks it one command) was
    silence in the group; it is «/xem 12», and the dossier still goes only privately."""
    net = Net(router)
    sec, _, rev, group = await _chi_bo_with_reviewer(router, net)
    cand, _ = person("cand", "Người khai")
    record = await invited_candidate_submits(net, sec, cand, load_sample("a"))
    replies = await net.event(rev, group, kind="command", command=f"xem{record.id}")
    said = "\n".join(r.text for r in replies if r.chat is None)
    assert f"Đã gửi hồ sơ #{record.id} vào tin nhắn riêng" in said, said
    private = [r for r in replies if r.chat is not None]
    assert private and all(r.chat.kind == "private" and r.protect for r in private)
    assert load_sample("a").value("ho_ten") not in said
