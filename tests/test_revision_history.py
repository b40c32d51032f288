"""A dossier as it was at any earlier revision, rebuilt from the append-only revisions; and
reviewers' "changes since the last look" computed from it, rows matched by content."""

from __future__ import annotations

import random

import pytest

from forms.definition import load_form
from forms.dossier import Dossier
from handlers.review import changes_since
from storage.core import Change
from storage.db import Database
from tests.samples import load_sample


def _random_change(rng: random.Random, dossier: Dossier) -> Change:
    """One edit a candidate could make: an answer, a table row or a relative set, inserted,
    appended or deleted anywhere."""
    what = rng.choice(["answer", "table", "relative", "explanation"])
    if what == "answer":
        field = rng.choice(["ho_ten", "ten_khac", "que_quan", "noi_o"])
        return Change(f"answers.{field}", rng.choice([None, f"giá trị {rng.randint(1, 99)}"]))
    if what == "explanation":
        return Change("explanations.X7:1", rng.choice([None, "vì học sớm"]))
    if what == "table":
        rows, prefix = dossier.rows("cong_tac"), "tables.cong_tac"
    else:
        rows, prefix = dossier.relatives, "relatives"
    row = {"ten": f"dòng {rng.randint(1, 999)}", "tu": f"0{rng.randint(1, 9)}/2010"}
    if rows and rng.random() < 0.35:
        return Change(f"{prefix}.{rng.randrange(len(rows))}", op="delete")
    if rows and rng.random() < 0.5:
        return Change(f"{prefix}.{rng.randrange(len(rows))}", {**rows[0], **row})
    return Change(f"{prefix}.{rng.randint(0, len(rows))}", row, op="insert")


@pytest.mark.parametrize("seed", range(6))
async def test_every_earlier_revision_is_rebuilt_exactly(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("test", str(seed), "A", consent=True)
        record = await tx.dossiers.create(person.id, load_sample("a"))
        seen = {record.revision: record.dossier.to_dict()}
        for _ in range(40):
            changes = [_random_change(rng, record.dossier) for _ in range(rng.randint(1, 3))]
            try:
                record = await tx.dossiers.apply(record, changes, person.id)
            except IndexError:  # two deletes in one batch may outrun a short list
                continue
            seen[record.revision] = record.dossier.to_dict()
        for revision, content in seen.items():
            assert (await tx.dossiers.snapshot_at(record, revision)).to_dict() == content


async def test_a_deleted_row_shows_as_removed_and_the_next_one_as_edited(db: Database) -> None:
    """The candidate deletes the first job of (15) and corrects the one that moved up: the
    reviewer sees one row removed and one column changed, not every row rewritten."""
    form = load_form()
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("test", "1", "A", consent=True)
        record = await tx.dossiers.create(person.id, load_sample("a"))
        looked = record.revision
        rows = record.dossier.rows("cong_tac")
        assert len(rows) >= 3
        second = rows[1]
        edited = {**second, "viec": second.get("viec", "") + " (sửa)"}
        record = await tx.dossiers.apply(
            record,
            [Change("tables.cong_tac.0", op="delete"), Change("tables.cong_tac.0", edited)],
            person.id,
        )
        changes = await changes_since(tx, record, looked, form)
    lines = [line for lines in changes.items.values() for line in lines]
    assert len(lines) == 2, lines
    removed, changed = sorted(lines, key=lambda line: "xóa" not in line[0])
    assert "xóa" in removed[0] and removed[2] == "(trống)"
    assert changed[1] == second.get("viec") and changed[2] == edited["viec"]


async def test_unchanged_after_edits_that_cancel_out(db: Database) -> None:
    form = load_form()
    async with db.transaction() as tx:
        person = await tx.people.get_or_create("test", "1", "A", consent=True)
        record = await tx.dossiers.create(person.id, load_sample("a"))
        looked = record.revision
        row = record.dossier.rows("cong_tac")[0]
        record = await tx.dossiers.apply(
            record,
            [Change("tables.cong_tac.0", op="delete"), Change("tables.cong_tac.0", row, "insert")],
            person.id,
        )
        changes = await changes_since(tx, record, looked, form)
    assert not changes.any
