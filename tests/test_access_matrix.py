"""The access matrix (issue 11): for each status of a dossier and each role a person may have,
may they read its content, may they act on it — asked of the real gate
(:func:`handlers.access.rights`) over a real database.

Khối (no review level) ─ Đảng bộ A (level 2) ─ Chi bộ 1 (level 1, the dossiers' unit),
Chi bộ 2 (a sibling).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from handlers.access import rights
from handlers.stages import record_step
from storage.core import Change, DossierRecord
from storage.db import Database
from storage.org import Org
from storage.reviews import Reviews

ROLES = ("candidate", "reviewer_here", "reviewer_elsewhere", "secretary_here",
         "secretary_above", "outsider", "revoked_reviewer")  # fmt: skip
STATUSES = ("draft", "submitted", "returned", "approved", "admitted", "withdrawn")

# (may view, may act) per status, in the order of ROLES.
Y, N = True, False
MATRIX: dict[str, tuple[tuple[bool, bool], ...]] = {
    #            cand    rev here  rev other sec here  sec above outsider revoked
    "draft":     ((Y, N), (N, N), (N, N), (N, N), (N, N), (N, N), (N, N)),
    "submitted": ((Y, N), (Y, Y), (N, N), (N, N), (N, N), (N, N), (N, N)),
    "returned":  ((Y, N), (Y, N), (N, N), (N, N), (N, N), (N, N), (N, N)),
    "approved":  ((Y, N), (Y, Y), (N, N), (Y, N), (Y, N), (N, N), (N, N)),
    "admitted":  ((Y, N), (Y, N), (N, N), (Y, N), (Y, N), (N, N), (N, N)),
    "withdrawn": ((Y, N), (N, N), (N, N), (N, N), (N, N), (N, N), (N, N)),
}  # fmt: skip


async def _world(db: Database) -> tuple[dict[str, int], dict[str, DossierRecord]]:
    async with db.transaction() as tx:
        org = tx.repo(Org)
        top = await org.create_unit("Đảng bộ Khối", "cap_tren")
        du = await org.create_unit("Đảng bộ A", "dang_bo_co_so", top.id)
        cb1 = await org.create_unit("Chi bộ 1", "chi_bo", du.id)
        cb2 = await org.create_unit("Chi bộ 2", "chi_bo", du.id)
        grants = {
            "candidate": None,
            "reviewer_here": (cb1.id, "reviewer"),
            "reviewer_elsewhere": (cb2.id, "reviewer"),
            "secretary_here": (cb1.id, "secretary"),
            "secretary_above": (du.id, "secretary"),
            "outsider": None,
            "revoked_reviewer": (cb1.id, "reviewer"),
            "reviewer_du": (du.id, "reviewer"),
        }
        people: dict[str, int] = {}
        for name, grant in grants.items():
            person = await tx.people.get_or_create("telegram", name, name, consent=True)
            people[name] = person.id
            if grant:
                role, _ = await org.grant(grant[0], person.id, grant[1], None)  # type: ignore[arg-type]
                if name == "revoked_reviewer":
                    await org.revoke(role.id, None)
        reviews = tx.repo(Reviews)
        records: dict[str, DossierRecord] = {}
        for status in STATUSES[:-1]:
            record = await tx.dossiers.create(people["candidate"], unit_id=cb1.id)
            if status != "draft":
                record = await tx.dossiers.set_status(record, "submitted")
                await reviews.start_review(record)
            if status == "returned":
                await reviews.add_comment(record.id, 0, cb1.id, 9, people["reviewer_here"], "x")
                await reviews.return_(record.id, 0, cb1.id, people["reviewer_here"])
                fresh = await tx.dossiers.get(record.id)
                assert fresh is not None  # the candidate goes on editing: a later revision
                change = Change("answers.ton_giao", "Phật giáo")
                await tx.dossiers.apply(fresh, [change], people["candidate"])
            if status in ("approved", "admitted"):
                await reviews.approve(record.id, 0, cb1.id, people["reviewer_here"])
                await reviews.approve(record.id, 0, du.id, people["reviewer_du"])
            if status == "admitted":
                approved = await tx.dossiers.get(record.id)
                assert approved is not None and approved.approved_at is not None
                day = datetime.fromisoformat(approved.approved_at).date()
                for step in ("ban_viet_tay", "chi_bo", "dang_uy", "quyet_dinh"):
                    await record_step(tx, record.id, step, day, today=day)
            found = await tx.dossiers.get(record.id)
            assert found is not None
            records[status] = found
    # "withdrawn" is written by the candidate side's lifecycle exit; the gate reads the
    # status from the record it is given, the decisions and progress from the database
    records["withdrawn"] = replace(records["returned"], status="withdrawn")  # type: ignore[arg-type]
    return people, records


@pytest.fixture
async def world(db: Database) -> tuple[dict[str, int], dict[str, DossierRecord]]:
    return await _world(db)


async def test_the_statuses_are_what_they_say(
    db: Database, world: tuple[dict[str, int], dict[str, DossierRecord]]
) -> None:
    _, records = world
    assert {s: r.status for s, r in records.items()} == {
        "draft": "draft",
        "submitted": "submitted",
        "returned": "returned",
        "approved": "approved",
        "admitted": "approved",
        "withdrawn": "withdrawn",
    }
    async with db.read() as r:
        assert await r.repo(Reviews).admission_decided(records["admitted"].id)
        assert not await r.repo(Reviews).admission_decided(records["approved"].id)


@pytest.mark.parametrize("status", STATUSES)
async def test_access_matrix(
    db: Database, world: tuple[dict[str, int], dict[str, DossierRecord]], status: str
) -> None:
    people, records = world
    record = records[status]
    async with db.read() as r:
        got = []
        for role in ROLES:
            allowed = await rights(r, people[role], record)
            got.append((allowed.may_view, allowed.may_act))
        assert not (await rights(r, None, record)).may_view
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, MATRIX[status], strict=True))


async def test_reviewers_of_a_returned_dossier_read_the_revision_they_returned(
    db: Database, world: tuple[dict[str, int], dict[str, DossierRecord]]
) -> None:
    people, records = world
    returned = records["returned"]
    async with db.read() as r:
        reviewer = await rights(r, people["reviewer_here"], returned)
        candidate = await rights(r, people["candidate"], returned)
    assert returned.revision > 0  # the candidate edited after the return
    assert reviewer.access.revision == 0 and candidate.access.revision is None
