"""Issue 11, erasure that is true: a candidate who filled in sample A through the router, had
a draft written to disk, was commented on and returned, then erased their dossier leaves
nothing of it in the database file, its WAL or the documents folder."""

from __future__ import annotations

import asyncio
import functools
import importlib
import io
import pkgutil
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from admission.clock import FixedClock
from bot.app import build_flows
from bot.console import ConsoleAdapter
from bot.delivery import Delivery, TryAgain
from bot.demo import Player
from bot.periodic import forget_erased
from forms import memo
from forms.memo import typed_text_cached
from forms.parsers import is_unknown
from handlers.events import Chat, Event, Reply, User
from handlers.org import bootstrap
from handlers.router import Router
from storage.db import Database
from storage.files import DocumentFolder
from storage.inbox import Inbox, Incoming
from tests.samples import load_sample
from tests.test_delivery import ScriptedTransport, make_delivery
from tests.test_review_router import PLATFORM, Net, code, person
from tests.virtual_clock import VirtualClock

NAME = "TRẦN MINH KHOA"  # sample A
COMMENT = "Ghi rõ số nhà 18 ngõ 42 phố Hoa Sữa theo sổ hộ khẩu."
TYPED = "Ông ngoại tôi quê ở xóm Bến Lở"  # typed by the candidate, stored raw in the inbox
DISTINCTIVE = (
    NAME,
    "Trần Minh Khoa",  # the platform's display name
    "TRAN_MINH_KHOA",  # the draft's file name
    "12/07/2001",  # date of birth
    "phố Hoa Sữa",  # residence
    "TRẦN VĂN LỘC",  # grandfather
    "NGUYỄN THỊ MẬN",  # grandmother
    "Công nghệ Sao Mai",  # employer
    "NGUYỄN VĂN TOÀN",  # introducer
    "IELTS 6.5",
    COMMENT,
)


def forms_of(needle: str) -> list[bytes]:
    """How a text may sit in a file: UTF-8, JSON with non-ASCII escaped, or XML with
    character references (a spreadsheet's cells: ``TR&#7846;N``)."""
    escaped = needle.encode("ascii", "backslashreplace").replace(b"\\x", b"\\u00")
    xml = needle.encode("ascii", "xmlcharrefreplace")
    return [needle.encode(), escaped, needle.encode("unicode_escape"), xml]


def file_texts(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by path: its bytes, and each member of a .docx/.xlsx."""
    out: dict[str, bytes] = {}
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        out[str(path)] = data
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for member in z.namelist():
                    out[f"{path}!{member}"] = z.read(member)
    return out


def found(
    db_path: Path, documents: Path, needles: tuple[str, ...] = DISTINCTIVE
) -> dict[str, list[str]]:
    """Which needles are where: the database file, its WAL, files and their names."""
    places: dict[str, bytes] = {
        "db": db_path.read_bytes(),
        "wal": Path(f"{db_path}-wal").read_bytes() if Path(f"{db_path}-wal").exists() else b"",
    }
    for name, data in file_texts(documents).items():
        places[name] = data
        places[f"name of {name}"] = name.encode()
    return {
        needle: [w for w, data in places.items() if any(f in data for f in forms_of(needle))]
        for needle in needles
    }


@pytest.fixture
async def router(tmp_path: Path) -> AsyncIterator[Router]:
    db = await Database.open(tmp_path / "knd.sqlite3")
    db.files = DocumentFolder(tmp_path / "documents")
    clock = FixedClock(datetime.fromisoformat("2026-03-02T02:00:00+00:00"))
    try:
        yield Router(db, clock, build_flows())
    finally:
        await db.close()


async def test_an_erased_candidate_leaves_nothing_in_the_files(
    router: Router, tmp_path: Path
) -> None:
    db_path, documents = tmp_path / "knd.sqlite3", tmp_path / "documents"
    net = Net(router)
    sec, sec_chat = person("sec", "Bí thư")
    rev, rev_chat = person("rev", "Người duyệt")
    group = (await _organisation(net, sec, sec_chat, rev, rev_chat)).group

    # the candidate plays sample A through the router, on the console (documents on disk)
    console = ConsoleAdapter(router, io.StringIO(), documents_dir=documents, user_id="cand")
    assert router.db.files is not None
    console.files = router.db.files
    candidate = Player(router, load_sample("a"), user_id="cand", platform=PLATFORM)
    candidate.on_reply = lambda _name, reply: console.show([reply])
    await candidate.play()
    await net.event(sec, sec_chat, kind="command", command="moi", text="ungvien")
    await candidate.send(f"/start {code(net.last(sec_chat)[1].text)}")
    await candidate.send("/xem")  # the draft, written to the documents folder
    submitted = await candidate.send("/nop")
    if any("Nộp luôn" in b.label for r in submitted for row in r.buttons for b in row):
        submitted = await candidate.tap("Nộp luôn")
    await _to_others(net, submitted)  # the card goes to the group
    card_id, card = net.last(group)
    assert "Hồ sơ #" in card.text
    dossier_id = int(card.text.split("Hồ sơ #")[1].split()[0].strip(":,."))

    # the reviewer reads it (a copy of the draft on the reviewer's side), comments, returns
    reviewer_console = ConsoleAdapter(router, io.StringIO(), documents_dir=documents, user_id="rev")
    reviewer_console.files = router.db.files
    await net.event(rev, group, kind="button", action=_button(card, "Xem"), message_ref=card_id)
    reviewer_console.show([r for _, r in net.inbox[rev_chat.id] if r.document])
    # while the network fails, a second «Xem» and the candidate's own replies (a typed text
    # stored raw in the inbox, their draft) wait in the outbox
    clock = VirtualClock()
    transport = ScriptedTransport(clock, platform=PLATFORM, limit=4096)
    for chat in ("rev", "cand"):
        transport.fail(chat, *[TryAgain("network down")] * 1000)
    delivery = make_delivery(router.db, transport, clock)
    tap = Event(rev, group, "button", action=_button(card, "Xem"), message_ref=card_id)
    await router.handle(tap, outbox=True)
    await _typed_through_the_inbox(router, TYPED)
    assert found(db_path, documents, (TYPED,))[TYPED]  # the inbox held it
    await router.handle(_candidate_event("command", command="xem"), outbox=True)
    await _sending(delivery, clock)
    comment = f"#{dossier_id} 5 {COMMENT}"
    await net.event(rev, group, kind="command", command="nhanxet", text=comment)
    card_id, card = next((i, r) for i, r in net.inbox[group.id] if i == card_id)
    await net.event(rev, group, kind="button", action=_button(card, "Trả lại"), message_ref=card_id)
    async with router.db.read() as r:
        assert await r.fetchval("SELECT status FROM dossiers WHERE id = ?", (dossier_id,)) == (
            "returned"
        )
    # the candidate's copy of their data (/dulieu) and the secretary's spreadsheet (/xuat),
    # both written to disk by the console
    console.show([r for r in await candidate.send("/dulieu") if r.document])
    sec_console = ConsoleAdapter(router, io.StringIO(), documents_dir=documents, user_id="sec")
    sec_console.files = router.db.files
    exported = await net.event(sec, sec_chat, kind="command", command="xuat")
    sec_console.show([r for r in exported if r.document])
    assert router.db.checkpoint()
    before = found(db_path, documents)
    assert any("xuat" in w for w in before[NAME])  # the export lists the candidate
    assert any(w.endswith(".json") for w in before["12/07/2001"])  # so does their copy
    assert all(before.values()), {n: w for n, w in before.items() if not w}  # all there first
    assert any("rev" in w for w in before[NAME] if "ho-so" in w)  # the reviewer's copy
    assert await _waiting(router, dossier_id) >= 4  # the «Xem» text and draft, the candidate's

    # /xoa, confirmed
    await candidate.send("/xoa")
    await candidate.tap("Xóa hồ sơ")
    assert "Đã xóa hồ sơ" in "\n".join(r.text for r in candidate.replies[-2:])

    every = (*DISTINCTIVE, TYPED)
    assert found(db_path, documents, every) == {key: [] for key in every}
    assert await _waiting(router, dossier_id) == 0
    transport.errors.clear()  # the network is back: the sender has nothing of it to send
    await _sending(delivery, clock)
    await delivery.idle()
    assert transport.calls == []
    assert router.db.checkpoint()
    assert found(db_path, documents, every) == {key: [] for key in every}
    assert Path(f"{db_path}-wal").stat().st_size == 0  # checkpointed and truncated
    async with router.db.read() as r:
        audit = await r.fetchall(
            "SELECT action, detail FROM audit_log WHERE dossier_id = ?", (dossier_id,)
        )
        person_row = await r.fetchone(
            "SELECT platform, display_name, consent_at FROM people WHERE id ="
            " (SELECT person_id FROM dossiers WHERE id = ?)",
            (dossier_id,),
        )
        left = {
            table: await r.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = ?", (value,))
            for table, column, value in (
                ("comments", "dossier_id", dossier_id),
                ("answer_revisions", "dossier_id", dossier_id),
                ("conversations", "dossier_id", dossier_id),
                ("bot_messages", "dossier_id", dossier_id),
                ("private_chats", "user_id", "cand"),
                ("inbox", "person", "cand"),
            )
        }
    assert ("dossier_erased", "{}") in [tuple(a) for a in audit]  # that it happened, no content
    assert tuple(person_row) == ("erased", "", None)
    assert left == dict.fromkeys(left, 0)
    # the staff are untouched: still in their chats, with their roles
    replies = await net.event(rev, rev_chat, kind="text", text="xin chào")
    assert "Đồng chí đang là" in "\n".join(r.text for r in replies)


def _candidate_event(kind: str, **kw: str) -> Event:
    return Event(
        User(PLATFORM, "cand", "Trần Minh Khoa"), Chat(PLATFORM, "cand", "private"), kind, **kw
    )  # type: ignore[arg-type]


async def _typed_through_the_inbox(router: Router, text: str) -> None:
    """A text the candidate typed, stored raw in the inbox as an adapter does (still in the
    WAL when the caller greps), processed with its replies queued."""
    raw = f'{{"message": {{"from": "cand", "text": "{text}"}}}}'.encode()
    async with router.db.transaction() as tx:
        (stored,) = await tx.repo(Inbox).receive([Incoming(PLATFORM, "u-typed", "cand", raw)])
    event = _candidate_event("text", text=text, update_key="u-typed")
    await router.handle(event, received=stored, outbox=True)


async def _sending(delivery: Delivery, clock: VirtualClock) -> None:
    """The sender works through what is pending for a few virtual minutes."""
    for chat in ("rev", "cand"):
        delivery.wake(chat)
    await clock.run(until=clock.t + 300, done=asyncio.ensure_future(delivery.idle()))


async def _waiting(router: Router, dossier_id: int) -> int:
    async with router.db.read() as r:
        return int(
            await r.fetchval(
                "SELECT count(*) FROM outbox WHERE status = 'pending' AND dossier_id = ?",
                (dossier_id,),
            )
        )


async def _to_others(net: Net, replies: list[Reply]) -> None:
    """Deliver what the candidate's event sent to other chats, as the adapter would."""
    for reply in replies:
        if reply.chat is not None and reply.chat.id != "cand" and (reply.text or reply.document):
            message_id = reply.edit_ref or f"c{len(net.inbox.get(reply.chat.id, []))}"
            net.inbox.setdefault(reply.chat.id, []).append((message_id, reply))
            if reply.remember:
                await net.router.message_sent(reply.remember, PLATFORM, reply.chat.id, message_id)


def _button(reply: Reply, label: str) -> str:
    return next(b.action for row in reply.buttons for b in row if label in b.label)


class _Org:
    def __init__(self, group: object) -> None:
        self.group = group


async def _organisation(net: Net, sec: object, sec_chat: object, rev: object, rev_chat: object):
    """A chi bộ with its secretary, a reviewer and its group (as test_review_router)."""
    from handlers.events import Chat

    group = Chat(PLATFORM, "nhom-chi-bo", "group", "Chi bộ")
    async with net.router.db.transaction() as tx:
        boot = await bootstrap(tx, "Chi bộ cơ sở Trường A", platform=PLATFORM, kind="chi_bo_co_so")
    assert boot.code
    await net.event(sec, sec_chat, kind="command", command="start", text=boot.code)
    await net.event(sec, sec_chat, kind="command", command="moi", text="duyet")
    await net.event(rev, rev_chat, kind="command", command="start",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    await net.event(sec, sec_chat, kind="command", command="ketnoi")
    await net.event(sec, group, kind="command", command="ketnoi",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    return _Org(group)


async def test_a_reviewer_who_was_also_a_candidate_keeps_the_role_and_nothing_else(
    router: Router, tmp_path: Path
) -> None:
    """Staff keep their person row and role after erasing their own dossier, but not their
    draft on disk, nor their candidate replies waiting in the outbox."""
    db_path, documents = tmp_path / "knd.sqlite3", tmp_path / "documents"
    net = Net(router)
    sec, sec_chat = person("sec", "Bí thư")
    rev, rev_chat = person("rev", "Người duyệt")
    await _organisation(net, sec, sec_chat, rev, rev_chat)
    await net.event(sec, sec_chat, kind="command", command="moi", text="ungvien")
    reviewer = Player(router, load_sample("a"), user_id="rev", platform=PLATFORM)
    await reviewer.send(f"/start {code(net.last(sec_chat)[1].text)}")
    await reviewer.play()
    console = ConsoleAdapter(router, io.StringIO(), documents_dir=documents, user_id="rev")
    assert router.db.files is not None
    console.files = router.db.files
    console.show([r for r in await reviewer.send("/xem") if r.document])
    clock = VirtualClock()
    transport = ScriptedTransport(clock, platform=PLATFORM, limit=4096)
    transport.fail("rev", *[TryAgain("network down")] * 1000)
    delivery = make_delivery(router.db, transport, clock)
    xem = Event(rev, rev_chat, "command", command="xem", update_key="queued-xem")
    await router.handle(xem, outbox=True)
    await _sending(delivery, clock)
    assert router.db.checkpoint()
    assert any("console-rev" in w for w in found(db_path, documents)[NAME])

    await reviewer.send("/xoa")
    await reviewer.tap("Xóa hồ sơ")
    assert "Đã xóa hồ sơ" in "\n".join(r.text for r in reviewer.replies[-2:])
    transport.errors.clear()
    await _sending(delivery, clock)
    await delivery.idle()
    assert transport.calls == []
    assert router.db.checkpoint()
    assert found(db_path, documents) == {needle: [] for needle in DISTINCTIVE}
    replies = await net.event(rev, rev_chat, kind="text", text="xin chào")
    assert "người duyệt của Chi bộ cơ sở Trường A" in "\n".join(r.text for r in replies)


async def test_an_erasure_leaves_no_typed_text_in_the_process_memory(router: Router) -> None:
    """The caches keyed by typed text (parsing, classifying, rendering: forms.memo) and the
    dossier cache hold a candidate's answers while they type; once /xoa commits they hold
    nothing (issue 11: erasure means erased, in memory too)."""
    candidate = Player(router, load_sample("a"), user_id="cache-me")
    await candidate.play()
    assert typed_text_cached() > 0
    record = await _current(router, "cache-me")
    assert record in router.db.cache["dossiers"]

    await candidate.send("/xoa")
    await candidate.tap("Xóa hồ sơ")

    assert "Đã xóa hồ sơ" in "\n".join(r.text for r in candidate.replies[-2:])
    assert typed_text_cached() == 0
    assert record not in router.db.cache["dossiers"]


def test_every_cache_of_ours_is_emptied_by_an_erasure_or_keyed_by_constants() -> None:
    """A cache keyed by what a person typed must be declared with ``forms.memo.remembered``
    (an erasure empties it); any other must be listed below as keyed by the code's constants.
    A new cache is one or the other: this test names the one that is neither."""
    modules = []
    for package in OUR_PACKAGES:
        root = importlib.import_module(package)
        for module in pkgutil.walk_packages(root.__path__, f"{package}."):
            if not module.name.endswith("__main__"):
                modules.append(importlib.import_module(module.name))
    # module and class namespaces, not gc.get_objects(): the bot's gc.freeze() hides objects
    spaces = [vars(m) for m in modules]
    spaces += [vars(v) for m in modules for v in vars(m).values() if isinstance(v, type)]
    declared = {id(c) for c in memo._CACHES}
    found = {
        f"{o.__module__}.{o.__qualname__}"
        for space in spaces
        for o in space.values()
        if isinstance(o, functools._lru_cache_wrapper)
        and str(getattr(o, "__module__", "")).split(".")[0] in OUR_PACKAGES
        and id(o) not in declared
    }
    assert found == CONSTANT_CACHES


OUR_PACKAGES = ("admission", "forms", "handlers", "storage", "bot")

#: ``functools.cache``s keyed by constants of the code (templates, the form, word lists,
#: document pieces, SQL), never by what a person typed: they may stay full after an erasure.
CONSTANT_CACHES = frozenset(
    {
        "admission.workdays._vn_holidays",  # by year
        "admission.workdays._vn_weekend_workdays",
        "bot.zalo.render.long_parts",
        "forms.checks.core._answer_plan",  # by a field id of the form and the rules' ids
        "forms.checks.core._items_by_number",
        "forms.checks.core._rule_order",
        "forms.checks.core._triggers",  # by the rules' ids
        "forms.checks.timeline._country_pattern",
        "forms.classify._book",  # the phrase lists, grouped by first word
        "forms.classify._spelled",  # a field's subjects, from the form
        "forms.definition.load_form",
        "forms.diacritics._countries",
        "forms.diacritics._dictionary",
        "forms.diacritics._places",
        "forms.framing._asked",  # by a form's kind, label and field id
        "forms.framing._asked_columns",  # by a table's id and its columns' ids
        "forms.framing._frames",  # forms/data/framing.toml
        "forms.framing._spoken",  # its spoken commands
        "forms.framing._staff",  # the staff commands read with their words, the topics
        "forms.document.cover._photo_box",
        "forms.document.package._template",
        "forms.document.page._fixed",
        "forms.document.page._grid_head",
        "forms.document.page._marks",
        "forms.document.page._run_format",
        "forms.document.shell.shell_of",  # by the booklet's section pages
        "forms.document.word._base_docx",
        "forms.document.word.cell_start",
        "forms.document.word.paragraph_properties",
        "forms.document.word.run_properties",
        "forms.document.word.table_start",
        "forms.dossier._file_model",
        "handlers.web.html._env",
        "handlers.web.html.stylesheet",
        "storage.dialect.to_pyformat",  # by SQL text
        "storage.pg._row_class",  # by column names
        "forms.parsers._ethnic_groups",
        "forms.parsers._ethnic_index",
        "forms.parsers._religions",
        "forms.texts._catalogue",
        "forms.texts._compiled",  # by template key
        "forms.texts._env",
        "handlers.candidate.state._plain_screen",  # by screen address ("field ho_ten")
        "handlers.candidate.texts._static",  # by catalogue key
        "handlers.candidate.texts.suited",  # by a field's suggestions and a relation's label
        "handlers.routing._payload_fields",  # by a button payload's class
        "storage.progress.local_day",  # by timestamp
    }
)


async def test_another_worker_forgets_an_erasure_at_its_next_round(
    router: Router, tmp_path: Path
) -> None:
    """A second worker on the same database read the dossier (its cache holds it) before the
    first one erased it: its periodic round finds the erasure in the audit log and drops the
    dossier and every cache of typed text; a round with nothing new drops nothing."""
    other = await Database.open(tmp_path / "knd.sqlite3")
    try:
        watch = forget_erased(other)
        assert await watch() == 0  # the first round notes where the log stands
        candidate = Player(router, load_sample("a"), user_id="two-workers")
        await candidate.play()
        record = await _current(router, "two-workers")
        async with other.read() as session:
            assert await session.dossiers.get(record) is not None
        assert record in other.cache["dossiers"]
        assert await watch() == 0

        await candidate.send("/xoa")
        await candidate.tap("Xóa hồ sơ")
        assert typed_text_cached() == 0  # this process's own erasure emptied them
        is_unknown(TYPED)  # as the other worker's would hold the erased answers
        assert typed_text_cached() > 0

        assert await watch() == 1
        assert record not in other.cache["dossiers"]
        assert typed_text_cached() == 0
        assert await watch() == 0
    finally:
        await other.close()


async def _current(router: Router, user_id: str) -> int:
    async with router.db.read() as session:
        person = await session.people.find("demo", user_id)
        assert person is not None
        record = await session.dossiers.current_for(person.id)
    assert record is not None
    return record.id
