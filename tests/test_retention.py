"""Issue 11, retention: withdrawn, not-admitted and abandoned dossiers are erased after the
configured periods — abandoned drafts only after a warning that replaces the weekly reminder
for good; the audit keeps that the erasure happened and why."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from admission import lifecycle
from admission.lifecycle import Move
from admission.retention import Due, RetentionPolicy, abandoned
from admission.stages import OPEN_PHASES
from bot.settings import Settings
from handlers.events import Reply
from handlers.secretary import Notifier
from handlers.stages import record_step
from storage.core import Change
from storage.db import MIGRATIONS, Database, migration_files
from storage.reviews import Org
from storage.stages import StageRecords
from tests.old_schema import CONTENT_REVISION, WITHOUT_CONTENT_REVISION, whole_content_per_answer
from tests.secretary_world import TODAY, World, at, build_world

POLICY = RetentionPolicy(closed_days=30, abandoned_days=40, warning_days=10)
D1_IDLE_SINCE = date(2026, 9, 1)  # D1, a draft of cand-D1, untouched since then


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    w = await build_world(tmp_path)
    async with w.db.transaction(at(TODAY)) as tx:
        await tx.repo(Org).note_private_chat("tg", "cand-D1", "cand-D1")
    try:
        yield w
    finally:
        await w.db.close()


def texts_to(replies: list[Reply], chat_id: str) -> list[str]:
    return [r.text for r in replies if r.chat is not None and r.chat.id == chat_id]


async def status(world: World, label: str) -> str:
    async with world.db.read() as r:
        record = await r.dossiers.get(world.dossiers[label])
    assert record is not None
    return record.status


async def erasures(world: World) -> list[tuple[int, str]]:
    async with world.db.read() as r:
        rows = await r.fetchall(
            "SELECT dossier_id, detail FROM audit_log WHERE action = 'dossier_erased' ORDER BY id"
        )
    return [(row[0], row[1]) for row in rows]


# -- the rules -----------------------------------------------------------------------------------


def test_the_lifecycle_lets_the_candidate_withdraw_at_any_status() -> None:
    for status in ("draft", "submitted", "returned", "approved"):
        assert lifecycle.target(Move.WITHDRAW, status) == "withdrawn"
        assert lifecycle.TRANSITIONS[Move.WITHDRAW].by == "candidate"
    for status in ("withdrawn", "deleted"):
        with pytest.raises(lifecycle.IllegalMove):
            lifecycle.target(Move.WITHDRAW, status)
    for status in ("draft", "returned", "withdrawn", "approved"):
        assert lifecycle.target(Move.EXPIRE, status) == "deleted"
    with pytest.raises(lifecycle.IllegalMove):
        lifecycle.target(Move.EXPIRE, "submitted")  # under review: never erased by time


def test_an_abandoned_draft_is_warned_first_and_erased_only_if_nothing_happens() -> None:
    p = RetentionPolicy(closed_days=30, abandoned_days=40, warning_days=10)
    assert abandoned(p, 100, 61, None) is Due.KEEP  # 39 days idle
    assert abandoned(p, 100, 60, None) is Due.WARN  # 40 days
    assert abandoned(p, 105, 60, 100) is Due.KEEP  # warned, waiting
    assert abandoned(p, 110, 60, 100) is Due.ERASE
    assert abandoned(p, 110, 101, 100) is Due.KEEP  # came back after the warning
    assert abandoned(p, 150, 101, 100) is Due.WARN  # idle again: a new warning first
    with pytest.raises(ValueError):
        RetentionPolicy(closed_days=0)


def test_the_periods_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    default = Settings(_env_file=None).retention  # type: ignore[call-arg]
    assert default == RetentionPolicy(closed_days=365, abandoned_days=180, warning_days=30)
    monkeypatch.setenv("KND_RETENTION_DAYS", "30")
    monkeypatch.setenv("KND_ABANDONED_DAYS", "40")
    monkeypatch.setenv("KND_ABANDONED_WARNING_DAYS", "10")
    assert Settings(_env_file=None).retention == POLICY  # type: ignore[call-arg]


# -- the daily job -------------------------------------------------------------------------------


async def test_an_abandoned_draft_gets_one_warning_instead_of_reminders_then_goes(
    world: World,
) -> None:
    notifier = Notifier(world.db, retention=POLICY)
    got: dict[date, list[str]] = {}
    for n in range(0, 40):
        day = TODAY + timedelta(days=n)
        got[day] = texts_to(await notifier.due_notifications(at(day, 9)), "cand-D1")
    warned = D1_IDLE_SINCE + timedelta(days=POLICY.abandoned_days)
    erased = warned + timedelta(days=POLICY.warning_days)
    before = [d for d, texts in got.items() if d < warned and texts]
    assert before == [TODAY, TODAY + timedelta(days=7), TODAY + timedelta(days=14)]
    assert all("đang khai dở" in got[d][0] for d in before)  # the weekly reminder until then
    [warning] = got[warned]
    assert "bị xóa hẳn" in warning and "01/09/2026" in warning
    assert "anh/chị" in warning and "bạn" not in warning  # addressed as the chat does
    assert erased.strftime("%d/%m/%Y") in warning
    assert all(not texts for d, texts in got.items() if d > warned)  # never a reminder again
    assert await status(world, "D1") == "deleted"
    dossier = world.dossiers["D1"]
    assert [detail for d, detail in await erasures(world) if d == dossier] == [
        '{"by":"retention","reason":"abandoned"}'
    ]
    # it went on the day due, not before
    async with world.db.read() as r:
        at_day = await r.fetchval(
            "SELECT at FROM audit_log WHERE action = 'dossier_erased' AND dossier_id = ?",
            (dossier,),
        )
    assert at_day.startswith(erased.isoformat())  # 09:00 local is 02:00 UTC, the same day


async def test_a_candidate_who_comes_back_after_the_warning_keeps_the_draft(world: World) -> None:
    notifier = Notifier(world.db, retention=POLICY)
    warned = D1_IDLE_SINCE + timedelta(days=POLICY.abandoned_days)
    assert texts_to(await notifier.due_notifications(at(warned, 9)), "cand-D1")
    async with world.db.transaction(at(warned + timedelta(days=3))) as tx:
        record = await tx.dossiers.get(world.dossiers["D1"])
        assert record is not None
        await tx.dossiers.apply(record, [Change("answers.ten_khac", "không")], None)
    for n in range(1, POLICY.warning_days + 5):
        await notifier.due_notifications(at(warned + timedelta(days=n), 9))
    assert await status(world, "D1") == "draft"
    assert world.dossiers["D1"] not in [d for d, _ in await erasures(world)]


async def test_withdrawn_and_not_admitted_dossiers_go_after_the_retention_period(
    world: World,
) -> None:
    d7, d8 = world.dossiers["D7"], world.dossiers["D8"]
    async with world.db.transaction(at(TODAY)) as tx:
        record = await tx.dossiers.get(d7)  # approved, handwritten copy recorded
        assert record is not None
        await tx.dossiers.set_status(record, lifecycle.target(Move.WITHDRAW, record.status))
        await record_step(tx, d8, "khong_ket_nap", TODAY, today=TODAY, recorded_by=world.secretary)
    async with world.db.read() as r:
        records = r.repo(StageRecords)
        progress = await records.progress(d7)
        assert progress is not None and progress.phase == "withdrawn"
        assert d7 not in [p.dossier_id for p in await records.progress_in(None, OPEN_PHASES)]
    policy = RetentionPolicy(closed_days=30, abandoned_days=400)  # no draft abandoned here
    notifier = Notifier(world.db, retention=policy)
    for n in range(0, POLICY.closed_days):
        await notifier.due_notifications(at(TODAY + timedelta(days=n), 9))
    assert await erasures(world) == []
    await notifier.due_notifications(at(TODAY + timedelta(days=POLICY.closed_days), 9))
    reasons = {dossier: detail for dossier, detail in await erasures(world)}
    assert reasons == {
        d7: '{"by":"retention","reason":"withdrawn"}',
        d8: '{"by":"retention","reason":"not_admitted"}',
    }
    for label in ("D7", "D8"):
        assert await status(world, label) == "deleted"
    assert await status(world, "D6") == "approved"  # on its way: kept
    async with world.db.read() as r:
        assert not await r.fetchval(
            "SELECT count(*) FROM stage_events WHERE dossier_id IN (?, ?)", (d7, d8)
        )
        content = await r.fetchval("SELECT content FROM dossiers WHERE id = ?", (d7,))
    assert "ho_ten" not in content


async def test_without_a_policy_nothing_is_erased(world: World) -> None:
    notifier = Notifier(world.db)
    for n in (0, 50, 100, 400):
        await notifier.due_notifications(at(TODAY + timedelta(days=n), 9))
    assert await erasures(world) == []


async def test_an_upgraded_database_keeps_its_dossiers_and_accepts_withdrawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 014 rebuilds ``dossiers`` for the new status: rows, ids and every reference
    to them survive, with the foreign keys on."""
    old = tmp_path / "before-014"
    old.mkdir()
    for script in migration_files(MIGRATIONS):
        if script.name < "014":
            (old / script.name).write_text(script.read_text(encoding="utf-8"))
    (old / "013z_content_revision.sql").write_text(CONTENT_REVISION)
    whole_content_per_answer(monkeypatch)
    db = await Database.open(tmp_path / "u.sqlite3", migrate=False)
    try:
        await db.migrate(old)
        async with db.transaction() as tx:
            # the person row as the schema of then had it (today's repository writes columns
            # added later, such as the consent version of 030)
            await tx.execute(
                "INSERT INTO people (platform, platform_user_id, display_name, consent_at,"
                " created_at) VALUES ('tg', '1', 'An', '2025-01-01', '2025-01-01')"
            )
            person_id = await tx.fetchval("SELECT id FROM people")
            record = await tx.dossiers.create(person_id)
            record = await tx.dossiers.apply(record, [Change("answers.ho_ten", "AN")], person_id)
            await tx.audit.append("view", person_id=person_id, dossier_id=record.id)
            with pytest.raises(sqlite3.IntegrityError):
                await tx.execute("UPDATE dossiers SET status = 'withdrawn'")
        async with db.transaction() as tx:
            await tx.execute(WITHOUT_CONTENT_REVISION)
        assert "014_withdrawn_status.sql" in await db.migrate()
        async with db.transaction() as tx:
            assert await tx.fetchall("PRAGMA foreign_key_check") == []
            again = await tx.dossiers.get(record.id)
            assert again is not None and again.dossier.value("ho_ten") == "AN"
            assert len(await tx.dossiers.revisions(record.id)) == 1
            await tx.dossiers.set_status(again, "withdrawn")
        async with db.read() as r:
            assert await r.fetchval("SELECT phase FROM dossier_progress") == "withdrawn"
    finally:
        await db.close()


async def test_what_retention_erases_leaves_nothing_in_the_files(
    world: World, tmp_path: Path
) -> None:
    """A withdrawn, a not-admitted and an abandoned (warned) dossier go after their periods:
    afterwards the database file, its WAL and the documents folder (the candidate's drafts, a
    reviewer's copy, the exports) hold none of their names."""
    from storage.files import DocumentFolder
    from tests.test_erasure import file_texts, forms_of

    gone = {"D1": "LÊ VĂN MỘT", "D7": "NGÔ VĂN BẢY", "D8": "ĐINH VĂN TÁM"}
    kept = "ĐỖ THỊ SÁU"  # D6, approved and on its way
    documents = tmp_path / "documents"
    files = world.db.files = DocumentFolder(documents)
    d7, d8 = world.dossiers["D7"], world.dossiers["D8"]
    for label, name in gone.items():
        files.save("tg", f"cand-{label}", f"ly-lich-nhap-{label}.docx", name.encode())
    files.save("tg", "rev-a1", f"2KND-ho-so-{d8}-ban-3-nhap.docx", gone["D8"].encode())
    files.save("tg", "sec", "ho-so-1-20260923.xlsx", " ".join([*gone.values(), kept]).encode())
    async with world.db.transaction(at(TODAY)) as tx:
        record = await tx.dossiers.get(d7)
        assert record is not None
        await tx.dossiers.set_status(record, lifecycle.target(Move.WITHDRAW, record.status))
        await record_step(tx, d8, "khong_ket_nap", TODAY, today=TODAY, recorded_by=world.secretary)

    def where(name: str) -> list[str]:
        db_path = Path(world.db.path)
        places = {"db": db_path.read_bytes(), "wal": Path(f"{db_path}-wal").read_bytes()}
        places.update(file_texts(documents))
        return [w for w, data in places.items() if any(f in data for f in forms_of(name))]

    assert world.db.checkpoint()
    assert all(where(name) for name in gone.values())  # all there first
    notifier = Notifier(world.db, retention=POLICY)
    for n in range(0, POLICY.closed_days + 1):
        await notifier.due_notifications(at(TODAY + timedelta(days=n), 9))
    assert {d for d, _ in await erasures(world)} == {world.dossiers[x] for x in gone}
    assert {name: where(name) for name in gone.values()} == {name: [] for name in gone.values()}
    assert where(kept) == ["db"]  # the approved dossier stays (the export went with the rest)
