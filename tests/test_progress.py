"""storage/progress.py: the progress rows written from Python hold what the SQL triggers of
migrations 005–009 wrote, for the same history, and an upgraded database keeps its rows.
What came after the triggers — «không kết nạp» (migration 012) and an erasure that reaches the
secretaries' tables (013) — is asserted on the Python rows alone."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from forms.dossier import Dossier
from handlers.stages import record_step
from storage.core import Change
from storage.db import MIGRATIONS, Database, migration_files
from storage.erasure import Erasure
from storage.progress import ERASED, Progress, booklet_day, content_columns, iso_day, local_day
from storage.reviews import Reviews
from storage.stages import FlagCache
from tests.old_schema import CONTENT_REVISION, WITHOUT_CONTENT_REVISION, whole_content_per_answer
from tests.secretary_world import World, at, build_world, d, submit

FIRST_WITHOUT_TRIGGERS = "010_progress_from_python.sql"
#: The columns of dossier_progress as migration 009 left them (012 adds not_admitted_d).
PROGRESS_009 = (
    "dossier_id, unit_id, status, review_level, revision, full_name, opened_d, updated_d,"
    " first_submitted_d, submitted_d, approved_d, cert_d, returns, handwritten_d, verif_sent,"
    " verif_pending, verif_done_d, chi_bo_d, dang_uy_d, decision_d, ceremony_d, official_d,"
    " flags_revision, birth_d, phase"
)
#: The column the stage writer has written since 012; the triggers' world gets it as a plain
#: column so that the same stage writer runs there (no step of this history sets it).
NOT_ADMITTED_COLUMN = "ALTER TABLE dossier_progress ADD COLUMN not_admitted_d INTEGER;\n"
#: Later columns the current repositories read (people.consent_version, 030): the "old"
#: databases get them too, or today's code could not write their history at all.
READ_BY_TODAYS_CODE = ("030_consent_version.sql", "041_person_links.sql")
DERIVED = {
    "dossier_progress": f"SELECT {PROGRESS_009} FROM dossier_progress ORDER BY dossier_id",
    "verifications": "SELECT * FROM verifications ORDER BY id",
    "dossier_flags": "SELECT * FROM dossier_flags ORDER BY dossier_id, rule",
}


# -- the values ---------------------------------------------------------------------------------


def test_local_day_is_the_date_in_viet_nam() -> None:
    # 16:59 UTC is 23:59 in Hà Nội, 17:00 UTC the next day there
    assert local_day("2026-09-05T16:59:59.999+00:00") == iso_day("2026-09-05")
    assert local_day("2026-09-05T17:00:00.000+00:00") == iso_day("2026-09-06")
    assert local_day("2026-09-05T17:00:00") == iso_day("2026-09-06")  # stored text is UTC
    assert local_day(None) is None
    assert iso_day("1970-01-02") == 1 and iso_day(date(1969, 12, 31)) == -1


def test_dates_in_answers_count_only_when_they_are_real_days() -> None:
    assert booklet_day("15/08/2023") == iso_day("2023-08-15")
    for text in ("31/02/2023", "15/8/2023", "15/08/23", " 15/08/2023", "15/08/2023\n", "", None):
        assert booklet_day(text) is None, text
    assert iso_day("20260901") is None and iso_day("2026-02-30") is None


def test_the_opened_day_is_the_organisations_date_else_the_creation_day() -> None:
    stamp = "2026-03-01T18:00:00.000+00:00"  # 02/03 in Hà Nội
    assert content_columns({}, None, stamp) == {
        "full_name": "",
        "opened_d": iso_day("2026-03-02"),
        "cert_d": None,
        "birth_d": None,
    }
    answers = {"ho_ten": "AN", "ngay_sinh": "01/02/2000", "ngay_chung_nhan_ntvd": "x"}
    assert content_columns(answers, "2026-01-05", stamp) == {
        "full_name": "AN",
        "opened_d": iso_day("2026-01-05"),
        "cert_d": None,
        "birth_d": iso_day("2000-02-01"),
    }


# -- the same rows as the triggers ----------------------------------------------------------------


@pytest.fixture
def with_triggers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """While active: databases get the migrations before 010 only (the triggers stay) and
    the Python writer and the erasure beyond the dossier do nothing, so the rows are the
    triggers' alone."""
    old = tmp_path / "migrations-with-triggers"
    old.mkdir()
    for script in migration_files(MIGRATIONS):
        if script.name < FIRST_WITHOUT_TRIGGERS or script.name in READ_BY_TODAYS_CODE:
            (old / script.name).write_text(script.read_text(encoding="utf-8"))
    (old / "009z_not_admitted_column.sql").write_text(NOT_ADMITTED_COLUMN)
    (old / "009z_content_revision.sql").write_text(CONTENT_REVISION)
    whole_content_per_answer(monkeypatch)
    migrate = Database.migrate

    async def old_migrations(self: Database, directory: Any = old) -> list[str]:
        return await migrate(self, old)

    async def nothing(*_: Any, **__: Any) -> None:
        return None

    monkeypatch.setattr(Database, "migrate", old_migrations)
    monkeypatch.setattr(Progress, "answered", nothing)
    monkeypatch.setattr(Progress, "refresh", nothing)
    monkeypatch.setattr(Erasure, "dossier", nothing)  # no true erasure then (nor its tables)
    yield
    monkeypatch.undo()


async def derived_rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    async with db.read() as s:
        return {name: [tuple(row) for row in await s.fetchall(q)] for name, q in DERIVED.items()}


def with_erasure(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """The triggers' rows with what an erasure adds since 013: an erased dossier's name and
    step columns blanked (its verifications and flags went with the triggers already)."""
    names = [c.strip() for c in PROGRESS_009.split(",")]
    blank = {names.index(c): v for c, v in ERASED.items() if c in names}
    status = names.index("status")
    progress = [
        tuple(blank.get(i, v) for i, v in enumerate(row)) if row[status] == "deleted" else row
        for row in rows["dossier_progress"]
    ]
    return rows | {"dossier_progress": progress}


async def triggers(db: Database) -> list[str]:
    async with db.read() as r:
        rows = await r.fetchall(
            "SELECT trigger_name FROM information_schema.triggers"
            if r.dialect.postgres
            else "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        )
    return [row[0] for row in rows]


async def more_history(w: World) -> None:
    """What the secretaries' world does not do: flags cached, a dossier moved to another unit
    with its verifications and flags, a reopening with new answers and a resubmission, the
    organisation's opening date, a dossier erased with its derived rows."""
    d6, d8, d9 = w.dossiers["D6"], w.dossiers["D8"], w.dossiers["D9"]
    async with w.db.transaction(at(d("16/09/2026"))) as tx:
        stages = tx.repo(FlagCache)
        for dossier_id in (d6, d8, d9):
            record = await tx.dossiers.get(dossier_id)
            assert record is not None
            await stages.store_flags(dossier_id, record.revision, [("X1", "error"), ("F5", "")])
    async with w.db.transaction(at(d("17/09/2026"))) as tx:
        record = await tx.dossiers.get(d8)
        assert record is not None
        await tx.dossiers.set_meta(record, unit_id=w.a2.id)
    async with w.db.transaction(at(d("18/09/2026"), 23)) as tx:  # 23:00 local
        await tx.repo(Reviews).reopen(d6, w.alpha.id, w.secretary)
        record = await tx.dossiers.get(d6)
        assert record is not None
        await tx.dossiers.apply(
            record,
            [
                Change("answers.ngay_sinh", "29/02/2004"),
                Change("answers.ngay_chung_nhan_ntvd", "01/03/2024"),
                Change("meta.dossier_opened", "2026-05-20"),
            ],
            None,
        )
    await submit(w, d6, d("21/09/2026"))
    async with w.db.transaction(at(d("22/09/2026"))) as tx:
        record = await tx.dossiers.get(d9)
        assert record is not None
        await tx.dossiers.erase(record)
        person = await tx.people.get_or_create("tg", "late", "Muộn", consent=True)
        await tx.dossiers.create(person.id, Dossier(answers={"ho_ten": "MUỘN"}), unit_id=w.a1.id)


async def history(path: Path) -> World:
    w = await build_world(path)
    await more_history(w)
    return w


@pytest.mark.sqlite_only
async def test_python_writes_the_rows_the_triggers_wrote(
    tmp_path: Path, with_triggers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    by_triggers = await history(tmp_path / "a")
    try:
        assert len(await triggers(by_triggers.db)) == 11
        by_009 = await derived_rows(by_triggers.db)
        expected = with_erasure(by_009)
    finally:
        await by_triggers.db.close()
    monkeypatch.undo()
    by_python = await history(tmp_path / "b")
    try:
        assert await triggers(by_python.db) == []
        got = await derived_rows(by_python.db)
    finally:
        await by_python.db.close()
    assert len(expected["dossier_progress"]) == 18
    assert expected["verifications"] and expected["dossier_flags"]
    erased = [row for row in by_009["dossier_progress"] if row[2] == "deleted"]
    assert len(erased) == 2  # one in the world, D9 in more_history
    assert any(row[13] is not None for row in erased)  # the triggers kept its step dates
    for name in DERIVED:
        assert got[name] == expected[name], name


@pytest.mark.sqlite_only
async def test_an_upgraded_database_keeps_its_rows_and_goes_on_alike(
    tmp_path: Path, with_triggers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = await build_world(tmp_path)
    path = Path(old.db.path)
    before = await derived_rows(old.db)
    await old.db.close()
    copy = tmp_path / "copy.sqlite3"
    shutil.copyfile(path, copy)
    with closing(sqlite3.connect(copy)) as conn:
        conn.execute(WITHOUT_CONTENT_REVISION)
    old.db = await Database.open(path)  # still the triggers, the writer off
    try:
        await more_history(old)
        expected = with_erasure(await derived_rows(old.db))
    finally:
        await old.db.close()
    monkeypatch.undo()
    old.db = await Database.open(copy)  # the upgrade: migration 010
    try:
        assert await triggers(old.db) == []
        assert await derived_rows(old.db) == before
        await more_history(old)
        assert await derived_rows(old.db) == expected
    finally:
        await old.db.close()


# -- after the triggers: Python alone --------------------------------------------------------


async def progress_row(db: Database, dossier_id: int) -> dict[str, Any]:
    async with db.read() as r:
        row = await r.fetchone("SELECT * FROM dossier_progress WHERE dossier_id = ?", (dossier_id,))
    assert row is not None
    return dict(row)


async def test_not_admitted_and_erasure_are_written_from_python(tmp_path: Path) -> None:
    w = await history(tmp_path)
    d8 = w.dossiers["D8"]  # verifying: two replies awaited, one received
    try:
        assert await triggers(w.db) == []
        async with w.db.read() as r:
            awaited = await r.fetchval(
                "SELECT count(*) FROM verifications WHERE dossier_id = ? AND returned_d IS NULL",
                (d8,),
            )
        assert awaited > 0
        async with w.db.transaction(at(d("23/09/2026"))) as tx:
            await record_step(
                tx,
                d8,
                "khong_ket_nap",
                d("23/09/2026"),
                today=d("23/09/2026"),
                recorded_by=w.secretary,
            )
        row = await progress_row(w.db, d8)
        assert (row["phase"], row["not_admitted_d"]) == ("not_admitted", iso_day("2026-09-23"))
        async with w.db.read() as r:
            assert not await r.fetchval(
                "SELECT count(*) FROM verifications WHERE dossier_id = ? AND returned_d IS NULL",
                (d8,),
            )
        async with w.db.transaction(at(d("24/09/2026"))) as tx:
            record = await tx.dossiers.get(d8)
            assert record is not None
            await tx.dossiers.erase(record)
        row = await progress_row(w.db, d8)
        assert row["phase"] == "deleted"
        assert {c: row[c] for c in ERASED} == ERASED
        async with w.db.read() as r:
            for table in ("stage_events", "verifications", "dossier_flags"):
                assert not await r.fetchval(
                    f"SELECT count(*) FROM {table} WHERE dossier_id = ?", (d8,)
                ), table
            # the audit keeps that the steps happened
            assert await r.fetchval(
                "SELECT count(*) FROM audit_log WHERE dossier_id = ? AND action = 'stage'", (d8,)
            )
    finally:
        await w.db.close()


@pytest.mark.sqlite_only  # counts statements with sqlite3's trace callback
async def test_an_answer_writes_only_what_it_changed_and_the_row_stays_true(
    tmp_path: Path,
) -> None:
    """Answers over several local days: each is one UPDATE of the progress row, no read of
    it; the row written that way equals the one rebuilt from the stored dossier."""
    db = await Database.open(tmp_path / "p.sqlite3")
    statements: list[str] = []
    days = ["01/09/2026", "01/09/2026", "03/09/2026", "03/09/2026", "04/09/2026"]
    answers = [
        [Change("answers.ho_ten", "LÊ AN")],
        [Change("answers.ngay_sinh", "02/02/2002")],
        [Change("answers.dan_toc", "Kinh")],
        [Change("answers.ngay_chung_nhan_ntvd", "01/03/2024"), Change("answers.ho_ten", "LÊ")],
        [Change("meta.dossier_opened", "2026-05-20"), Change("answers.ngay_sinh", "x")],
    ]
    try:
        async with db.transaction(at(d("31/08/2026"))) as tx:
            person = await tx.people.get_or_create("tg", "1", consent=True)
            record = await tx.dossiers.create(person.id)
        for day, changes in zip(days, answers, strict=True):
            async with db.transaction(at(d(day))) as tx:
                raw = tx.conn.raw  # type: ignore[union-attr]
                raw.set_trace_callback(statements.append)
                record = await tx.dossiers.apply(record, changes, person.id)
                raw.set_trace_callback(None)
            async with db.read() as r:
                written = await r.fetchone(f"SELECT {PROGRESS_009} FROM dossier_progress")
            async with db.transaction(at(d(day))) as tx:
                await tx.progress.refresh(record.id, record.dossier)
            async with db.read() as r:
                rebuilt = await r.fetchone(f"SELECT {PROGRESS_009} FROM dossier_progress")
            assert written is not None and tuple(written) == tuple(rebuilt or ())
        progress = [s for s in statements if "dossier_progress" in s]
        assert len(progress) == len(answers)
        assert all(s.startswith("UPDATE dossier_progress SET revision = ") for s in progress)
        assert "updated_d" not in progress[1] and "updated_d" in progress[2]
        assert "birth_d" in progress[4] and "opened_d" in progress[4]
    finally:
        await db.close()


@pytest.mark.sqlite_only  # counts statements with sqlite3's trace callback
async def test_a_drafts_plain_answer_leaves_the_row_and_the_flag_cache_still_sees_every_change(
    tmp_path: Path,
) -> None:
    """Issue 17: a draft's answer that changes none of the row's columns writes nothing there
    (its revision is read by the flag cache alone, and only past the draft); the submission
    brings the revision in, and a returned dossier's answers keep it exact, so its cached
    flags go stale with each of them."""
    db = await Database.open(tmp_path / "p.sqlite3")
    statements: list[str] = []

    async def answer(day: str, change: Change) -> None:
        nonlocal record
        async with db.transaction(at(d(day))) as tx:
            raw = tx.conn.raw  # type: ignore[union-attr]
            raw.set_trace_callback(statements.append)
            record = await tx.dossiers.apply(record, [change], person.id)
            raw.set_trace_callback(None)

    async def progress_revision() -> int:
        async with db.read() as r:
            return int(await r.fetchval("SELECT revision FROM dossier_progress"))

    try:
        async with db.transaction(at(d("01/09/2026"))) as tx:
            person = await tx.people.get_or_create("tg", "1", consent=True)
            record = await tx.dossiers.create(person.id)
        await answer("01/09/2026", Change("answers.dan_toc", "Kinh"))
        await answer("01/09/2026", Change("answers.ton_giao", "không"))
        assert not [s for s in statements if "dossier_progress" in s]
        assert record.revision == 2 and await progress_revision() == 0
        await answer("01/09/2026", Change("answers.ho_ten", "LÊ AN"))  # a column: written
        assert await progress_revision() == 3
        async with db.transaction(at(d("02/09/2026"))) as tx:
            record = await tx.dossiers.set_status(record, "submitted")
        assert await progress_revision() == record.revision
        async with db.transaction(at(d("02/09/2026"))) as tx:
            await tx.repo(FlagCache).store_flags(record.id, record.revision, [("X1", "error")])
            assert await tx.repo(FlagCache).stale_flag_dossiers(10) == []
            record = await tx.dossiers.set_status(record, "returned")
        statements.clear()
        await answer("02/09/2026", Change("answers.ton_giao", "Phật giáo"))
        assert [s for s in statements if "dossier_progress" in s] == [
            f"UPDATE dossier_progress SET revision = {record.revision} WHERE dossier_id = 1"
        ]
        async with db.read() as r:
            assert await r.repo(FlagCache).stale_flag_dossiers(10) == [(1, record.revision)]
    finally:
        await db.close()
