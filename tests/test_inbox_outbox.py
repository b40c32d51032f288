"""The inbox and outbox repositories (storage/inbox.py, storage/outbox.py) and the router's
use of them: dedupe through the inbox, replies stored with the answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from handlers.events import Button, Chat, Document, Event, Photo, Reply, User
from handlers.replies import from_pending, to_message
from handlers.router import Router
from handlers.routing import Routes
from storage.db import Database, Tx
from storage.inbox import Inbox, Incoming
from storage.outbox import Message, Outbox, PromptState

CHAT = Chat("tg", "42")
GROUP = Chat("tg", "-100", "group")


def incoming(key: str, person: str = "7") -> Incoming:
    return Incoming("tg", key, person, b'{"update_id": %s}' % key.encode())


async def test_inbox_stores_once_and_hands_back_only_new_updates(db: Database) -> None:
    async with db.transaction() as tx:
        first = await tx.repo(Inbox).receive([incoming("1"), incoming("2")])
    async with db.transaction() as tx:
        again = await tx.repo(Inbox).receive([incoming("2"), incoming("3")])
    assert [r.key for r in first] == ["1", "2"]
    assert [r.key for r in again] == ["3"]  # "2" was stored before: a redelivery
    assert first[0].raw == b'{"update_id": 1}'
    async with db.transaction() as tx:
        pending = await tx.repo(Inbox).unprocessed()
    assert [r.key for r in pending] == ["1", "2", "3"]


async def test_a_large_batch_is_stored_in_order_and_a_key_twice_in_it_once(db: Database) -> None:
    """One statement per hundred rows: ids follow the batch, a repeated key is stored once."""
    batch = [incoming(str(n), person=str(n % 7)) for n in range(250)]
    batch.insert(120, incoming("5", person="5"))  # Telegram sent it again within the batch
    async with db.transaction() as tx:
        stored = await tx.repo(Inbox).receive([incoming("3"), *batch])
    assert [r.key for r in stored] == ["3", *(str(n) for n in range(250) if n != 3)]
    assert [r.id for r in stored] == sorted(r.id for r in stored)
    assert {r.key: r.person for r in stored}["249"] == str(249 % 7)
    async with db.transaction() as tx:
        pending = await tx.repo(Inbox).unprocessed()
    assert [(r.id, r.key, r.raw) for r in pending] == [(r.id, r.key, r.raw) for r in stored]


async def test_processing_marks_once_and_forgets_the_body(db: Database) -> None:
    async with db.transaction() as tx:
        (row,) = await tx.repo(Inbox).receive([incoming("1")])
    async with db.transaction() as tx:
        assert await tx.repo(Inbox).mark_processed(row.id)
        assert not await tx.repo(Inbox).mark_processed(row.id)
    async with db.transaction() as tx:
        assert await tx.repo(Inbox).unprocessed() == []
        raw = await tx.fetchval("SELECT raw FROM inbox WHERE id = ?", (row.id,))
    assert raw == b""


async def test_claimed_keys_are_born_processed_and_pruned_later(db: Database) -> None:
    old = datetime.now(UTC) - timedelta(days=10)
    async with db.transaction(old) as tx:
        assert await tx.repo(Inbox).claim("tg", "edited:1:2")
        assert not await tx.repo(Inbox).claim("tg", "edited:1:2")
        await tx.repo(Inbox).receive([incoming("9")])  # never processed: kept
    async with db.transaction() as tx:
        assert await tx.repo(Inbox).seen("tg", "edited:1:2")
        assert await tx.repo(Inbox).claim("zalo", "edited:1:2")
        before = (datetime.now(UTC) - timedelta(days=7)).isoformat()
        assert await tx.repo(Inbox).prune(before) == 1
        assert not await tx.repo(Inbox).seen("tg", "edited:1:2")
        assert [r.key for r in await tx.repo(Inbox).unprocessed()] == ["9"]


async def migrated_before(tmp_path: Path, version: str) -> Database:
    """An SQLite database as it was before migration ``version`` (an upgrade's start)."""
    from storage.db import migration_files

    older = tmp_path / "older"
    older.mkdir()
    for script in migration_files():
        if script.name < version:
            (older / script.name).write_text(script.read_text(encoding="utf-8"))
    database = await Database.open(tmp_path / "old.sqlite3", migrate=False)
    await database.migrate(older)
    return database


@pytest.mark.sqlite_only
async def test_markers_of_processed_updates_carry_over_to_the_inbox(tmp_path) -> None:
    """An upgraded database still recognises the updates it processed before the inbox, and
    the old table is gone (021): the inbox is the one dedupe record."""
    database = await migrated_before(tmp_path, "020")
    async with database.transaction() as tx:
        await tx.execute(
            "INSERT INTO processed_updates VALUES ('telegram', '555', '2026-01-01T00:00:00')"
        )
    await database.migrate()
    async with database.transaction() as tx:
        assert await tx.repo(Inbox).seen("telegram", "555")
        assert await tx.repo(Inbox).receive([Incoming("telegram", "555", "1", b"{}")]) == []
        tables = await tx.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
    assert "processed_updates" not in {t[0] for t in tables}
    await database.close()


@pytest.mark.sqlite_only
async def test_the_inbox_without_its_time_index_046_keeps_its_rows_and_prunes_alike(
    tmp_path,
) -> None:
    """046 drops `inbox_received` (a page more to commit with every stored update, read by
    the prune alone): the rows stored before it are kept, and the prune, which now finds its
    limit by id, still forgets exactly the processed updates received before it."""
    database = await migrated_before(tmp_path, "046")
    old = datetime.now(UTC) - timedelta(days=10)
    async with database.transaction(old) as tx:
        assert await tx.repo(Inbox).claim("tg", "old")
        await tx.repo(Inbox).receive([incoming("9")])  # never processed: kept
    async with database.transaction(old + timedelta(days=5)) as tx:
        assert await tx.repo(Inbox).claim("tg", "recent")
    assert (await database.migrate())[0] == "046_inbox_received.sql"
    try:
        async with database.transaction() as tx:
            inbox = tx.repo(Inbox)
            indexes = await tx.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'inbox'"
            )
            assert "inbox_received" not in {row[0] for row in indexes}
            assert await inbox.seen("tg", "old") and await inbox.seen("tg", "recent")
            assert await inbox.claim("tg", "new")
            assert await inbox.prune((old + timedelta(days=3)).isoformat()) == 1
            assert not await inbox.seen("tg", "old")
            assert await inbox.seen("tg", "recent") and await inbox.seen("tg", "new")
            assert [r.key for r in await inbox.unprocessed()] == ["9"]
            assert await inbox.prune(datetime.now(UTC).isoformat()) == 2  # all received
            assert [r.key for r in await inbox.unprocessed()] == ["9"]
    finally:
        await database.close()


@pytest.mark.sqlite_only
async def test_the_outbox_rebuilt_by_045_keeps_its_rows_and_rules(tmp_path) -> None:
    """045 rewrites the outbox's status rule as comparisons: the rows queued before it are
    kept as they were, a status outside the four is still refused, and queueing a reply or
    marking it sent no longer builds a temporary b-tree for the rule (SQLite does for an IN
    list of three values or more: ≈ 30 000 instructions a statement)."""
    database = await migrated_before(tmp_path, "045")
    async with database.transaction() as tx:
        first, second = await tx.repo(Outbox).add(
            [message(CHAT, "Câu 1", prompt="q1"), message(GROUP, "Thẻ", edit_ref="5")]
        )
        await tx.repo(Outbox).sent(first, "77")
    assert (await database.migrate())[0] == "045_outbox_status_check.sql"
    async with database.transaction() as tx:
        outbox = tx.repo(Outbox)
        assert await outbox.status(first) == "sent"
        assert [p.id for p in await outbox.pending_after("tg", "-100", 0)] == [second]
        assert await outbox.last_prompt("tg", "42") == PromptState("q1", "sent")
        plans = [
            await tx.fetchall(f"EXPLAIN {sql}", [None] * sql.count("?"))
            for sql in (
                "INSERT INTO outbox (platform, chat_id, chat_kind, payload, created_at)"
                " VALUES (?, ?, 'private', ?, ?)",
                "UPDATE outbox SET status = 'sent', message_id = ? WHERE id = ?",
            )
        ]
    assert all(step[1] != "OpenEphemeral" for plan in plans for step in plan)
    with pytest.raises(Exception, match="CHECK"):
        async with database.transaction() as tx:
            await tx.execute("UPDATE outbox SET status = 'lost' WHERE id = ?", (second,))
    await database.close()


def message(chat: Chat, text: str, **kw: str) -> Message:
    return to_message(Reply(text=text, **kw), chat)  # type: ignore[arg-type]


async def test_outbox_keeps_each_chats_order(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.repo(Outbox).add([message(CHAT, "a"), message(GROUP, "x"), message(CHAT, "b")])
    async with db.transaction() as tx:
        outbox = tx.repo(Outbox)
        assert await outbox.pending_chats() == [("tg", "42", "private"), ("tg", "-100", "group")]
        first = await outbox.next("tg", "42")
        assert first is not None and from_pending(first).text == "a"
        await outbox.sent(first.id, "1001")
        second = await outbox.next("tg", "42")
        assert second is not None and from_pending(second).text == "b"
        assert await outbox.status(first.id) == "sent"
        payload = await tx.fetchval("SELECT payload FROM outbox WHERE id = ?", (first.id,))
    assert payload == b""  # a delivered text is not kept


async def test_an_edit_supersedes_earlier_unsent_edits_of_the_same_message(db: Database) -> None:
    async with db.transaction() as tx:
        ids = await tx.repo(Outbox).add(
            [
                message(GROUP, "card v1", edit_ref="77"),
                message(GROUP, "comment"),
                message(GROUP, "other card", edit_ref="78"),
            ]
        )
    async with db.transaction() as tx:
        (newest,) = await tx.repo(Outbox).add([message(GROUP, "card returned", edit_ref="77")])
    async with db.transaction() as tx:
        outbox = tx.repo(Outbox)
        assert await outbox.status(ids[0]) == "superseded"
        texts = []
        while (row := await outbox.next("tg", "-100")) is not None:
            texts.append(from_pending(row).text)
            await outbox.sent(row.id, "1")
    assert texts == ["comment", "other card", "card returned"]
    assert newest > ids[-1]


async def test_an_edit_begun_is_not_superseded(db: Database) -> None:
    async with db.transaction() as tx:
        (begun,) = await tx.repo(Outbox).add([message(GROUP, "long card", edit_ref="77")])
        await tx.repo(Outbox).progressed(begun, 1)
        await tx.repo(Outbox).add([message(GROUP, "card v2", edit_ref="77")])
        assert await tx.repo(Outbox).status(begun) == "pending"


async def test_replies_round_trip_through_the_outbox(db: Database) -> None:
    reply = Reply(
        text="Bản nháp",
        buttons=[[Button("Có", "c:y"), Button("Không", "c:n")], [Button("Xem", "rv:v:1")]],
        document=Document("nhap.docx", b"PK\x03\x04docx", "Bản nháp của bạn"),
        photo=Photo(b"\x89PNG...", "Biểu đồ"),
        remember="card:1",
        prompt="q:17",
        edit_ref="12",
        toast="ignored",
        protect=True,
    )
    async with db.transaction() as tx:
        await tx.repo(Outbox).add([to_message(reply, GROUP)])
        row = await tx.repo(Outbox).next("tg", "-100")
    assert row is not None
    back = from_pending(row)
    assert back.chat == GROUP
    assert (back.text, back.buttons, back.document, back.photo) == (
        reply.text,
        reply.buttons,
        reply.document,
        reply.photo,
    )
    assert (back.remember, back.prompt, back.edit_ref, back.toast) == ("card:1", "q:17", "12", "")
    assert back.protect  # the platform is asked to keep it from being forwarded
    async with db.transaction() as tx:
        await tx.repo(Outbox).add([to_message(Reply(text="Câu hỏi"), GROUP)])
        await tx.repo(Outbox).sent(row.id, "1")
        plain = await tx.repo(Outbox).next("tg", "-100")
    assert plain is not None and not from_pending(plain).protect


async def test_last_prompt_says_whether_the_question_reached_the_person(db: Database) -> None:
    async with db.transaction() as tx:
        outbox = tx.repo(Outbox)
        assert await outbox.last_prompt("tg", "42") is None
        (asked,) = await outbox.add([message(CHAT, "(3) Dân tộc?", prompt="q:3")])
        await outbox.add([message(CHAT, "Cảnh báo")])
        state = await outbox.last_prompt("tg", "42")
        assert state is not None and (state.prompt, state.delivered) == ("q:3", False)
        await outbox.sent(asked, "5")
        state = await outbox.last_prompt("tg", "42")
        assert state is not None and state.delivered


async def test_the_last_prompt_is_read_with_the_chats_conversation_until_a_write(
    db: Database,
) -> None:
    """Issue 17: a typed answer reads the conversation, then whether the last question
    reached the person; both are read in one statement, which answers as the prompt's own
    SELECT does (none queued, pending, sent; another chat's prompt is not this chat's), and
    a write in between has the prompt read again, as it is now."""
    async with db.transaction() as tx:
        await tx.conversations.save("tg", "42", "7", {"n": 0})

    async def ahead_and_alone() -> tuple[PromptState | None, PromptState | None]:
        statements: list[str] = []
        async with db.transaction() as tx:
            if not tx.dialect.postgres:
                tx.conn.raw.set_trace_callback(statements.append)  # type: ignore[union-attr]
            await tx.conversations.get("tg", "42", "7")
            ahead = await tx.repo(Outbox).last_prompt("tg", "42")
            if not tx.dialect.postgres:
                tx.conn.raw.set_trace_callback(None)  # type: ignore[union-attr]
        async with db.read() as r:
            alone = await r.repo(Outbox).last_prompt("tg", "42")
        if statements:
            assert len([s for s in statements if s.startswith("SELECT")]) == 1, statements
        return ahead, alone

    assert await ahead_and_alone() == (None, None)
    async with db.transaction() as tx:
        (asked,) = await tx.repo(Outbox).add([message(CHAT, "(3) Dân tộc?", prompt="q:3")])
        await tx.repo(Outbox).add([message(CHAT, "Cảnh báo"), message(GROUP, "?", prompt="g")])
    assert await ahead_and_alone() == (PromptState("q:3", "pending"),) * 2
    async with db.transaction() as tx:
        await tx.repo(Outbox).sent(asked, "5")
    assert await ahead_and_alone() == (PromptState("q:3", "sent"),) * 2
    async with db.transaction() as tx:
        await tx.conversations.get("tg", "42", "7")
        await tx.repo(Outbox).add([message(CHAT, "(4) Tôn giáo?", prompt="q:4")])
        assert await tx.repo(Outbox).last_prompt("tg", "42") == PromptState("q:4", "pending")


class Echo:
    """A flow answering every private text, and failing on "boom"."""

    routes = Routes(flow="echo", private_default=True)

    async def handle(self, tx: Tx, event: Event) -> list[Reply]:
        await tx.audit.append("echo", detail={"text": event.text})
        if event.text == "boom":
            raise RuntimeError("boom")
        return [Reply(text=f"echo {event.text}", prompt="q"), Reply(toast="tap")]


def text(key: str, words: str) -> Event:
    user = User("tg", "7")
    return Event(user=user, chat=CHAT, kind="text", text=words, update_key=key)


async def test_router_marks_the_inbox_row_and_stores_replies_in_one_commit(db: Database) -> None:
    router = Router(db, flows=[Echo()])
    async with db.transaction() as tx:
        (row,) = await tx.repo(Inbox).receive([incoming("1")])
    replies = await router.handle(text("1", "hi"), received=row, outbox=True)
    assert [r.text for r in replies] == ["echo hi", ""]
    assert await router.handle(text("1", "hi"), received=row, outbox=True) == []
    async with db.transaction() as tx:
        assert await tx.repo(Inbox).unprocessed() == []
        pending = await tx.repo(Outbox).next("tg", "42")
        count = await tx.fetchval("SELECT COUNT(*) FROM outbox")
        echoes = await tx.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'echo'")
    assert pending is not None and from_pending(pending).text == "echo hi"
    assert count == 1  # the toast is not content
    assert echoes == 1


async def test_router_without_inbox_row_still_dedupes_by_key(db: Database) -> None:
    router = Router(db, flows=[Echo()])
    assert next(r.text for r in await router.handle(text("k", "hi"))) == "echo hi"
    assert await router.handle(text("k", "hi")) == []
    async with db.transaction() as tx:
        assert await tx.fetchval("SELECT COUNT(*) FROM outbox") == 0  # not asked to


async def test_a_failing_flow_stores_the_apology_and_marks_the_row(db: Database) -> None:
    router = Router(db, flows=[Echo()])
    async with db.transaction() as tx:
        (row,) = await tx.repo(Inbox).receive([incoming("1")])
    replies = await router.handle(text("1", "boom"), received=row, outbox=True)
    assert len(replies) == 1
    async with db.transaction() as tx:
        assert await tx.repo(Inbox).unprocessed() == []
        pending = await tx.repo(Outbox).next("tg", "42")
        echoes = await tx.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'echo'")
    assert pending is not None and from_pending(pending).text == replies[0].text
    assert echoes == 0  # rolled back


async def test_the_notifier_claims_and_queues_its_messages_in_one_transaction(
    tmp_path, monkeypatch
) -> None:
    """Digests and reminders are claimed and queued together: a failure before the commit
    leaves neither (the next round sends them), a commit leaves both (the sender delivers
    them, as notices, even after a crash)."""
    from handlers.secretary import Notifier
    from storage.reviews import Org
    from tests.secretary_world import TODAY, at, build_world

    world = await build_world(tmp_path)
    async with world.db.transaction(at(TODAY)) as tx:
        await tx.repo(Org).bind_group(world.root.id, "tg", "-1001")
        await tx.repo(Org).note_private_chat("tg", "cand-D1", "cand-D1")
    add = Outbox.add

    async def failing_add(self: Outbox, messages: object) -> list[int]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Outbox, "add", failing_add)
    with pytest.raises(RuntimeError):
        await Notifier(world.db).due_notifications(at(TODAY, 9), outbox=True)
    monkeypatch.setattr(Outbox, "add", add)
    due = await Notifier(world.db).due_notifications(at(TODAY, 9), outbox=True)
    # nothing was claimed by the failed round: the digest and the reminder are due again
    assert {(d.chat.id, d.chat.kind) for d in due if d.chat} == {
        ("-1001", "group"),
        ("cand-D1", "private"),
    }
    async with world.db.read() as r:
        rows = await r.fetchall("SELECT chat_id, chat_kind, reply, status, payload FROM outbox")
    assert [(row[0], row[1]) for row in rows] == [(d.chat.id, d.chat.kind) for d in due if d.chat]
    assert all(row[2] == 0 and row[3] == "pending" for row in rows)  # notices, to deliver
    assert [orjson.loads(row[4])["text"] for row in rows] == [d.text for d in due]
    assert await Notifier(world.db).due_notifications(at(TODAY, 9), outbox=True) == []
    await world.db.close()
