"""storage/db.py and storage/core.py: migrations, the unit of work, the core repositories."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from forms.dossier import Dossier
from storage.chat_options import ChatOptions
from storage.core import (
    SNAPSHOT_EVERY,
    Change,
    ConcurrentChange,
    DossierRecord,
    apply_changes,
)
from storage.db import MIGRATIONS, Database, migration_files
from storage.identities import Identities
from storage.inbox import Inbox
from storage.org import Org


@pytest.mark.sqlite_only
async def test_migrations_are_applied_once_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    db = await Database.open(path)
    async with db.read() as r:
        applied = [row[0] for row in await r.fetchall("SELECT version FROM schema_migrations")]
        mode = await r.fetchval("PRAGMA journal_mode")
    assert applied == [f.name for f in migration_files(MIGRATIONS)] == sorted(applied)
    assert mode == "wal"
    await db.close()
    db = await Database.open(path)
    try:
        assert await db.migrate() == []
    finally:
        await db.close()


@pytest.mark.sqlite_only
async def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_ok.sql").write_text("CREATE TABLE a (x INTEGER);")
    (folder / "002_bad.sql").write_text(
        "CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);"
    )
    db = await Database.open(tmp_path / "f.sqlite3", migrate=False)
    try:
        with pytest.raises(Exception, match="nowhere"):
            await db.migrate(folder)
        async with db.read() as r:
            tables = {row[0] for row in await r.fetchall("SELECT name FROM sqlite_master")}
            versions = [row[0] for row in await r.fetchall("SELECT version FROM schema_migrations")]
        assert "a" in tables and "b" not in tables
        assert versions == ["001_ok.sql"]
    finally:
        await db.close()


async def test_transaction_commits_everything_or_nothing(db: Database) -> None:
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "1", "An", consent=True)
        record = await tx.dossiers.create(person.id)
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            assert await tx.repo(Inbox).claim("tg", "u1")
            await tx.dossiers.apply(record, [Change("answers.ho_ten", "NGUYỄN VĂN AN")], person.id)
            raise RuntimeError("boom")
    async with db.read() as r:
        assert not await r.repo(Inbox).seen("tg", "u1")
        again = await r.dossiers.get(record.id)
    assert again is not None and again.revision == 0 and again.dossier.answers == {}


async def test_processed_update_marker_is_written_once(db: Database) -> None:
    async with db.transaction() as tx:
        assert await tx.repo(Inbox).claim("tg", "42")
        assert not await tx.repo(Inbox).claim("tg", "42")
        assert await tx.repo(Inbox).claim("zalo", "42")


async def test_dossier_changes_are_revisions_with_paths_and_diff(db: Database) -> None:
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "1", "An", consent=True)
        record = await tx.dossiers.create(person.id)
        record = await tx.dossiers.apply(
            record,
            [
                Change("answers.ho_ten", "NGUYỄN VĂN AN"),
                Change("tables.cong_tac.0", {"tu": "09/2019", "den": "nay"}),
                Change("relatives.0", {"quan_he": "cha", "ho_ten": "NGUYỄN VĂN BA"}),
                Change("explanations.X14:abroad:3", "Em đi làm có hợp đồng."),
            ],
            person.id,
        )
        assert record.revision == 4
        mid = record.revision
        record = await tx.dossiers.apply(record, [Change("answers.ho_ten", "NGUYỄN VĂN AN")], 1)
        assert record.revision == mid  # unchanged value: no empty revision
        record = await tx.dossiers.apply(
            record,
            [
                Change("answers.ho_ten", "NGUYỄN VĂN ANH"),
                Change("relatives.0", {"quan_he": "me", "ho_ten": "LÊ THỊ C"}, op="insert"),
                Change("tables.cong_tac.0", None, op="delete"),
            ],
            person.id,
        )
    assert record.dossier.relatives[0]["quan_he"] == "me"
    assert record.dossier.explanations == {"X14:abroad:3": "Em đi làm có hợp đồng."}
    async with db.read() as r:
        since = await r.dossiers.revisions(record.id, since=mid)
        diff = await r.dossiers.diff(record.id, 0)
        stored = await r.dossiers.get(record.id)
    assert [rev.path for rev in since] == ["answers.ho_ten", "relatives.0", "tables.cong_tac.0"]
    assert diff["answers.ho_ten"] == (None, "NGUYỄN VĂN ANH")
    assert "tables.cong_tac.0" not in diff  # added then removed
    assert stored is not None and stored.dossier == record.dossier
    assert "cong_tac" not in stored.dossier.tables


async def _applied_one_by_one(db: Database, steps: list[list[Change]]) -> DossierRecord:
    """A new dossier given ``steps`` one transaction each, read back without the cache after
    each (the stored snapshot and the revisions after it) and compared, byte for byte, with
    the record the repository returned."""
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "1", "An", consent=True)
        record = await tx.dossiers.create(person.id)
    for changes in steps:
        async with db.transaction() as tx:
            record = await tx.dossiers.apply(record, changes, person.id)
        db.cache.clear()
        async with db.read() as r:
            stored = await r.dossiers.get(record.id)
        assert stored is not None and stored.revision == record.revision
        assert stored.dossier.model_dump_json() == record.dossier.model_dump_json()
    return record


async def test_every_kind_of_change_reads_back_as_the_dossier(db: Database) -> None:
    """An answer stores its revisions; the dossier read without the cache — the snapshot
    with the later revisions applied — is the dossier the repository returned, after every
    kind of change: odd text, flag keys with dots or quotes, rows inserted and deleted, a
    table emptied, a meta change."""
    steps = [
        [Change("answers.ho_ten", 'NGUYỄN "AN" \\ 🙂'), Change("answers.que_quan", "a\nb\tc")],
        [Change("tables.cong_tac.0", {"tu": "09/2019", "den": "nay"})],
        [Change("tables.cong_tac.1", {"tu": "01/2018", "den": "08/2019"})],
        [Change("tables.cong_tac.0", {"tu": "02/2018"}, op="insert")],
        [Change("relatives.0", {"quan_he": "cha", "ho_ten": "B"})],
        [Change("relatives.0", {"quan_he": "me", "ho_ten": "C"}, op="insert")],
        [Change("relatives.1", None, op="delete")],
        [Change("explanations.X14:abroad.3", "Đi làm."), Change('explanations.q"k', "x")],
        [Change("answers.que_quan", None), Change("answers.ho_ten", "NGUYỄN VĂN AN")],
        [Change("tables.cong_tac.0", None, op="delete")] * 3,
        [Change("meta.dossier_opened", "2026-01-05"), Change("answers.dan_toc", "Kinh")],
        [Change("explanations.X14:abroad.3", None)],
    ]
    record = await _applied_one_by_one(db, steps)
    assert record.dossier.tables == {}
    assert record.dossier.relatives == [{"quan_he": "me", "ho_ten": "C"}]
    assert record.dossier.explanations == {'q"k': "x"}
    assert record.dossier.answers == {"ho_ten": "NGUYỄN VĂN AN", "dan_toc": "Kinh"}
    db.cache.clear()
    async with db.read() as r:
        fresh = await r.dossiers.get(record.id)
    assert fresh is not None and fresh.dossier == record.dossier


async def test_rows_answered_again_inserted_and_deleted_read_back(db: Database) -> None:
    """Rows of a table or of the relatives replaced, appended, inserted and deleted in the
    same answer read back, without the cache, as the dossier (the revisions replayed in
    their order: an insertion shifts the rows a later change addresses)."""
    steps = [
        [Change("relatives.0", {"quan_he": "cha", "ho_ten": "A"})],
        [Change("relatives.1", {"quan_he": "me", "ho_ten": "B"})],
        [Change("tables.cong_tac.0", {"tu": "01/2018"}), Change("tables.cong_tac.1", {"tu": "2"})],
        [Change("relatives.1", {"quan_he": "me", "ho_ten": "B C", "nam_sinh": "1970"})],
        [Change("tables.cong_tac.0", {"tu": "03/2018"}), Change("relatives.0", {"ho_ten": "D"})],
        [Change("relatives.1", {"ho_ten": "E"}), Change("relatives.0", {"x": "F"}, op="insert")],
        [Change("tables.cong_tac.1", {"tu": "04/2019"}), Change("tables.cong_tac.2", {"tu": "5"})],
        [Change("relatives.2", {"quan_he": "me", "ho_ten": "G"}), Change("relatives.0", None)],
    ]
    record = await _applied_one_by_one(db, steps)
    assert [r.get("ho_ten") for r in record.dossier.relatives] == ["D", "G"]
    assert record.dossier.tables["cong_tac"] == [{"tu": "03/2018"}, {"tu": "04/2019"}, {"tu": "5"}]


async def _snapshot(db: Database, dossier_id: int) -> tuple[int, int, Dossier]:
    """The dossier row's revision, the revision its stored snapshot is at, and the snapshot."""
    async with db.read() as r:
        row = await r.fetchone(
            "SELECT revision, content_revision, content FROM dossiers WHERE id = ?",
            (dossier_id,),
        )
    assert row is not None
    return row[0], row[1], Dossier.model_validate_json(row[2])


async def test_a_draft_writes_its_answers_and_a_snapshot_every_few_revisions(
    db: Database, tmp_path: Path
) -> None:
    """A draft's answer stores its revision, not the whole dossier: the stored snapshot stays
    at the last multiple of SNAPSHOT_EVERY. After SNAPSHOT_EVERY + 3 answers a new process
    (another Database on the same file: a restart) reads the dossier the writer held, byte
    for byte."""
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "1", "An", consent=True)
        record = await tx.dossiers.create(person.id)
    names = [f"NGUYỄN VĂN {chr(65 + i)}" for i in range(SNAPSHOT_EVERY + 3)]
    for i, name in enumerate(names):
        async with db.transaction() as tx:
            changes = [Change("answers.ho_ten", name), Change(f"answers.f{i}", str(i))]
            if i % 5 == 2:
                changes.append(Change(f"relatives.{i % 2}", {"ho_ten": name}, op="insert"))
            record = await tx.dossiers.apply(record, changes, person.id)
    revision, at, snapshot = await _snapshot(db, record.id)
    assert revision == record.revision and record.revision > SNAPSHOT_EVERY + 3
    assert revision - SNAPSHOT_EVERY < at < revision  # behind, by less than K
    assert snapshot.answers["ho_ten"] != names[-1]
    await db.close()
    again = await Database.open(tmp_path / "test.sqlite3")
    try:
        async with again.read() as r:
            stored = await r.dossiers.get(record.id)
        assert stored is not None and stored.revision == record.revision
        assert stored.dossier.model_dump_json() == record.dossier.model_dump_json()
        assert stored.dossier.answers["ho_ten"] == names[-1]
    finally:
        await again.close()


async def test_leaving_the_draft_catches_the_snapshot_up_for_sql_readers(db: Database) -> None:
    """At the submission the stored content is the whole dossier (the reviewers' list reads
    the name from it in SQL), and past the draft every answer writes it."""
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "1", "An", consent=True)
        record = await tx.dossiers.create(person.id)
        record = await tx.dossiers.apply(record, [Change("answers.ho_ten", "LÊ THỊ HOA")], None)
    assert (await _snapshot(db, record.id))[1] == 0  # behind: the name is a revision only
    async with db.transaction() as tx:
        record = await tx.dossiers.set_status(record, "submitted")
        name = await tx.fetchval(
            f"SELECT {tx.dialect.json_text('content', '$.answers.ho_ten')} FROM dossiers"
            " WHERE id = ?",
            (record.id,),
        )
        full_name = await tx.fetchval(
            "SELECT full_name FROM dossier_progress WHERE dossier_id = ?", (record.id,)
        )
    assert name == full_name == "LÊ THỊ HOA"
    async with db.transaction() as tx:
        record = await tx.dossiers.set_status(record, "returned")
        record = await tx.dossiers.apply(record, [Change("answers.dan_toc", "Kinh")], None)
    revision, at, snapshot = await _snapshot(db, record.id)
    assert at == revision and snapshot == record.dossier


async def test_two_processes_share_a_dossier_through_its_revisions(
    db: Database, tmp_path: Path
) -> None:
    """Two workers (two Database objects, each with its own cache) answer the same draft in
    turn: each reads the other's answers (its cached copy is stale: the snapshot and the
    later revisions), and a record that another worker moved on is refused."""
    other = await Database.open(tmp_path / "test.sqlite3")
    try:
        async with db.transaction() as tx:
            person = await tx.people.get_or_create("tg", "1", "An", consent=True)
            record = await tx.dossiers.create(person.id)
        for i in range(SNAPSHOT_EVERY + 2):
            worker = (db, other)[i % 2]
            async with worker.transaction() as tx:
                current = await tx.dossiers.get(record.id)
                assert current is not None and current.dossier == record.dossier
                record = await tx.dossiers.apply(current, [Change(f"answers.f{i}", "x")], None)
        async with db.transaction() as tx:
            stale = await tx.dossiers.get(record.id)
        async with other.transaction() as tx:
            await tx.dossiers.apply(record, [Change("answers.ho_ten", "A")], None)
        async with db.transaction() as tx:
            assert stale is not None
            with pytest.raises(ConcurrentChange):
                await tx.dossiers.apply(stale, [Change("answers.ho_ten", "B")], None)
    finally:
        await other.close()


async def test_an_erasure_leaves_neither_snapshot_nor_revisions(db: Database) -> None:
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "1", "An", consent=True)
        record = await tx.dossiers.create(person.id)
        for i in range(SNAPSHOT_EVERY + 3):
            record = await tx.dossiers.apply(record, [Change("answers.ho_ten", f"HOA {i}")], None)
        await tx.dossiers.erase(record)
    revision, at, snapshot = await _snapshot(db, record.id)
    assert at == revision and snapshot == Dossier(form_version=record.form_version)
    async with db.read() as r:
        assert await r.fetchval("SELECT count(*) FROM answer_revisions") == 0
    db.cache.clear()
    async with db.read() as r:
        stored = await r.dossiers.get(record.id)
    assert stored is not None and stored.dossier == snapshot


async def test_applying_on_a_stale_record_is_refused(db: Database) -> None:
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "1", consent=True)
        old = await tx.dossiers.create(person.id)
        await tx.dossiers.apply(old, [Change("answers.ho_ten", "A B")], None)
        with pytest.raises(ConcurrentChange):
            await tx.dossiers.apply(old, [Change("answers.ho_ten", "C D")], None)


def test_bad_paths_are_rejected() -> None:
    with pytest.raises(ValueError):
        apply_changes(Dossier(), [Change("nowhere.x", "1")])
    with pytest.raises(IndexError):
        apply_changes(Dossier(), [Change("tables.cong_tac.3", {"tu": "01/2020"})])


async def test_the_cache_never_shows_rolled_back_content(db: Database) -> None:
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "1", consent=True)
        record = await tx.dossiers.create(person.id)
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            record2 = await tx.dossiers.apply(record, [Change("answers.ho_ten", "X Y")], None)
            assert record2.dossier.answers == {"ho_ten": "X Y"}
            raise RuntimeError
    async with db.transaction() as tx:
        fresh = await tx.dossiers.get(record.id)
    assert fresh is not None and fresh.dossier.answers == {}


async def test_another_worker_never_reads_erased_content_from_its_cache(
    db: Database, tmp_path: Path
) -> None:
    """Two workers on one database: the one that read the dossier before another erased it
    must not serve the erased answers from its in-process cache (issue 11 with issue 16)."""
    other = await Database.open(tmp_path / "test.sqlite3")
    try:
        async with db.transaction() as tx:
            person = await tx.people.get_or_create("tg", "1", consent=True)
            record = await tx.dossiers.create(person.id)
            record = await tx.dossiers.apply(record, [Change("answers.ho_ten", "X Y")], None)
        async with other.transaction() as tx:
            seen = await tx.dossiers.get(record.id)
        assert seen is not None and seen.dossier.answers == {"ho_ten": "X Y"}
        async with db.transaction() as tx:
            await tx.dossiers.erase(record)
        async with other.transaction() as tx:
            again = await tx.dossiers.get(record.id)
        assert again is not None and again.dossier.answers == {}
    finally:
        await other.close()


async def test_reader_sees_only_committed_state(db: Database) -> None:
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "1", consent=True)
    started, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as tx:
            await tx.people.set_display_name(person.id, "Đang ghi")
            started.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await started.wait()
    async with db.read() as r:
        during = await r.people.get(person.id)
    release.set()
    await task
    async with db.read() as r:
        after = await r.people.get(person.id)
    assert during is not None and during.display_name == ""
    assert after is not None and after.display_name == "Đang ghi"


async def test_erase_removes_content_and_history(db: Database) -> None:
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "1", consent=True)
        record = await tx.dossiers.create(person.id)
        record = await tx.dossiers.apply(record, [Change("answers.ho_ten", "A B")], person.id)
        await tx.dossiers.erase(record)
        await tx.audit.append("dossier_erased", person_id=person.id, dossier_id=record.id)
    async with db.read() as r:
        gone = await r.dossiers.get(record.id)
        history = await r.dossiers.revisions(record.id)
        audit = await r.audit.for_dossier(record.id)
        current = await r.dossiers.current_for(person.id)
    assert gone is not None and gone.status == "deleted" and gone.dossier.answers == {}
    assert history == [] and current is None
    assert [a["action"] for a in audit] == ["dossier_erased"]


async def test_conversations_are_upserted_per_platform_chat_user(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.conversations.save("tg", "c1", "u1", {"cur": {"k": "consent"}})
        await tx.conversations.save("tg", "c1", "u1", {"cur": {"k": "f", "f": "ho_ten"}})
        await tx.conversations.save("tg", "g9", "u1", {"cur": {"k": "review"}})
    async with db.read() as r:
        first = await r.conversations.get("tg", "c1", "u1")
        other = await r.conversations.get("tg", "g9", "u1")
        none = await r.conversations.get("zalo", "c1", "u1")
    assert first is not None and first.state == {"cur": {"k": "f", "f": "ho_ten"}}
    assert other is not None and other.state["cur"]["k"] == "review"
    assert none is None


@pytest.mark.sqlite_only  # counts statements with sqlite3's trace callback
async def test_a_conversation_read_then_saved_is_updated_in_place(db: Database) -> None:
    """Read then saved in one transaction (an answer): one UPDATE of the state; a new
    dossier, or a row deleted meanwhile by other SQL, still ends in the right row."""
    statements: list[str] = []
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "u1", consent=True)
        record = await tx.dossiers.create(person.id)
        await tx.conversations.save("tg", "c1", "u1", {"n": 0}, person_id=person.id)
    async with db.transaction() as tx:
        assert await tx.conversations.get("tg", "c1", "u1") is not None
        tx.conn.raw.set_trace_callback(statements.append)  # type: ignore[union-attr]
        await tx.conversations.save("tg", "c1", "u1", {"n": 1}, person_id=person.id)
        tx.conn.raw.set_trace_callback(None)  # type: ignore[union-attr]
    assert len(statements) == 1 and statements[0].startswith("UPDATE conversations SET state")
    async with db.transaction() as tx:
        await tx.conversations.get("tg", "c1", "u1")
        await tx.conversations.save(
            "tg", "c1", "u1", {"n": 2}, person_id=person.id, dossier_id=record.id
        )
    async with db.transaction() as tx:
        await tx.conversations.get("tg", "c1", "u1")
        await tx.execute("DELETE FROM conversations")
        await tx.conversations.save(
            "tg", "c1", "u1", {"n": 3}, person_id=person.id, dossier_id=record.id
        )
    async with db.read() as r:
        found = await r.conversations.get("tg", "c1", "u1")
    assert found is not None and found.state == {"n": 3}
    assert (found.person_id, found.dossier_id) == (person.id, record.id)


async def test_a_conversation_is_read_with_its_person_and_dossier_until_a_write(
    db: Database,
) -> None:
    """Issue 17: a candidate's answer reads the conversation, then its person and dossier:
    one statement in a transaction reads all three, and what it read ahead is used as long
    as nothing was written since — a write in between, and the person and dossier are read
    again, as they are now."""
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("tg", "u1", "An", consent=True)
        record = await tx.dossiers.create(person.id, Dossier(answers={"ho_ten": "AN"}))
        await tx.conversations.save(
            "tg", "u1", "u1", {"n": 0}, person_id=person.id, dossier_id=record.id
        )
    for write_between in (False, True):
        statements: list[str] = []
        async with db.transaction() as tx:
            if not tx.dialect.postgres:
                tx.conn.raw.set_trace_callback(statements.append)  # type: ignore[union-attr]
            conv = await tx.conversations.get("tg", "u1", "u1")
            assert conv is not None and conv.dossier_id == record.id
            if write_between:
                await tx.people.set_display_name(person.id, "Bình")
            found, dossier = await tx.dossiers.get_with_person(record.id, "tg", "u1")
            if not tx.dialect.postgres:
                tx.conn.raw.set_trace_callback(None)  # type: ignore[union-attr]
        assert found is not None and dossier is not None
        assert found.display_name == ("Bình" if write_between else "An")
        assert (dossier.id, dossier.revision) == (record.id, 0)
        assert dossier.dossier.answers == {"ho_ten": "AN"}
        if statements:
            reads = [s for s in statements if s.startswith("SELECT")]
            assert len(reads) == (2 if write_between else 1), reads
    async with db.transaction() as tx:  # another dossier asked for: read for itself
        await tx.conversations.get("tg", "u1", "u1")
        other = await tx.dossiers.create(person.id)
        assert (await tx.dossiers.get_with_person(other.id, "tg", "u1"))[1] == other


async def test_writes_outside_a_transaction_are_refused(db: Database) -> None:
    async with db.read() as r:
        with pytest.raises(TypeError):
            await r.people.get_or_create("tg", "1")


async def test_a_staff_members_erasure_forgets_the_options_drawn_on_each_of_their_channels(
    db: Database,
) -> None:
    """A reviewer who was also a candidate, linked on Telegram and Zalo, erases their
    dossier: they stay staff, but the numbered options drawn in their private chats (labels
    may name their answers) go on both channels; another person's stay."""
    async with db.transaction() as tx:
        unit = await tx.repo(Org).create_unit("Chi bộ A", "chi_bo_co_so", None)
        staff = await tx.people.get_or_create("telegram", "7", consent=True)
        await tx.repo(Org).grant(unit.id, staff.id, "reviewer", None)
        await tx.repo(Org).grant(unit.id, staff.id, "candidate", None)
        await tx.repo(Identities).link("zalo", "z7", staff.id)
        other = await tx.people.get_or_create("zalo", "z8", consent=True)
        options = tx.repo(ChatOptions)
        for platform, chat in (("telegram", "7"), ("zalo", "z7"), ("zalo", "z8")):
            await options.put(platform, chat, [("Trần Minh Khoa", "a"), ("Không", "b")])
        record = await tx.dossiers.create(staff.id)
        record = await tx.dossiers.apply(record, [Change("answers.ho_ten", "A B")], staff.id)
        assert other.id != staff.id
    async with db.transaction() as tx:
        forgotten = await tx.dossiers.erase(record)
    async with db.read() as r:
        left = {p: await r.repo(ChatOptions).all(p) for p in ("telegram", "zalo")}
        roles = {role.role for role in await r.repo(Org).roles_of(staff.id)}
    assert forgotten.person is None  # staff keep their person row
    assert roles == {"reviewer"}
    assert left == {"telegram": {}, "zalo": {"z8": [("Trần Minh Khoa", "a"), ("Không", "b")]}}


@pytest.mark.sqlite_only
async def test_047_keeps_every_dossier_and_starts_its_snapshot_at_its_revision(
    tmp_path: Path,
) -> None:
    """047 rebuilds ``dossiers`` with ``content`` last: rows, ids, revisions and every
    reference survive with the foreign keys on, each stored content becomes the snapshot at
    the dossier's revision, and the dossier reads and takes answers as before."""
    from tests.test_inbox_outbox import migrated_before

    old = await migrated_before(tmp_path, "047")
    try:
        async with old.transaction() as tx:
            await tx.execute(
                "INSERT INTO people (platform, platform_user_id, display_name, consent_at,"
                " created_at) VALUES ('tg', '1', 'An', '2025-01-01', '2025-01-01')"
            )
            content = Dossier(answers={"ho_ten": "AN", "dan_toc": "Kinh"}).model_dump_json()
            await tx.execute(
                "INSERT INTO dossiers (id, person_id, form_version, content, revision, status,"
                " opened_at, updated_at) VALUES (7, 1, 'HD38-2025', ?, 2, 'submitted',"
                " '2025-01-02', '2025-01-03')",
                (content,),
            )
            await tx.execute(
                "INSERT INTO answer_revisions (dossier_id, revision, path, old_value, new_value,"
                " created_at) VALUES (7, 1, 'answers.ho_ten', NULL, '\"AN\"', '2025-01-02'),"
                " (7, 2, 'answers.dan_toc', NULL, '\"Kinh\"', '2025-01-03')"
            )
        assert await old.migrate() == ["047_content_revision.sql"]
        async with old.transaction() as tx:
            assert await tx.fetchall("PRAGMA foreign_key_check") == []
            columns = [row[1] for row in await tx.fetchall("PRAGMA table_info(dossiers)")]
            indexes = {row[1] for row in await tx.fetchall("PRAGMA index_list(dossiers)")}
            row = await tx.fetchone("SELECT revision, content_revision, content FROM dossiers")
            record = await tx.dossiers.get(7)
            assert record is not None
            record = await tx.dossiers.set_status(record, "returned")
            record = await tx.dossiers.apply(record, [Change("answers.ho_ten", "AN B")], 1)
        assert columns[-2:] == ["content_revision", "content"]
        assert indexes == {"dossiers_person", "dossiers_unit_status"}
        assert row is not None and tuple(row) == (2, 2, content)
        assert record.revision == 3 and len(await _revisions(old, 7)) == 3
        old.cache.clear()
        async with old.read() as r:
            again = await r.dossiers.get(7)
        assert again is not None and again.dossier.answers == {"ho_ten": "AN B", "dan_toc": "Kinh"}
    finally:
        await old.close()


async def _revisions(db: Database, dossier_id: int) -> list[int]:
    async with db.read() as r:
        return [rev.revision for rev in await r.dossiers.revisions(dossier_id)]
