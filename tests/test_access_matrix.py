"""The access matrix (issue 11): for each status of a dossier and each role a person may have,
may they read its content, may they act on it — asked of the real gate
(:func:`handlers.access.rights`) over a real database.

Khối (no review level) ─ Đảng bộ A (level 2) ─ Chi bộ 1 (level 1, the dossiers' unit),
Chi bộ 2 (a sibling).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from admission import lifecycle
from admission.clock import FixedClock, local_date
from bot.app import build_flows
from handlers.access import rights
from handlers.events import Chat, Event, Reply, User
from handlers.review.actions import FINAL_DOCX, VIEW, CardRef
from handlers.review.actions import DossierRef as ReviewRef
from handlers.router import Router
from handlers.secretary.actions import ASK_DATE, CARD_DETAILS, PICK_PERSON, AskDate, PickPerson
from handlers.secretary.actions import DossierRef as StepRef
from handlers.stages import record_step
from storage.core import Change, DossierRecord
from storage.db import Database
from storage.org import Org
from storage.reviews import Reviews
from tests.group_privacy import document_text
from tests.samples import load_sample

FATHER_ABROAD = "Quận Shinjuku, Tokyo, Nhật Bản"

ROLES = ("candidate", "reviewer_here", "reviewer_du", "reviewer_elsewhere", "secretary_here",
         "secretary_above", "outsider", "revoked_reviewer")  # fmt: skip
STATUSES = ("draft", "submitted", "returned", "approved", "admitted", "withdrawn")

# (may view, may act) per status, in the order of ROLES.
Y, N = True, False
# The đảng ủy's reviewer reads what was submitted to the chi bộ below (it comes up to them) but
# acts only when it waits at their level, or to reopen it before the admission decision.
MATRIX: dict[str, tuple[tuple[bool, bool], ...]] = {
    #            cand    rev here rev đảng ủy rev other sec here sec above outsider revoked
    "draft":     ((Y, N), (N, N), (N, N), (N, N), (N, N), (N, N), (N, N), (N, N)),
    "submitted": ((Y, N), (Y, Y), (Y, N), (N, N), (N, N), (N, N), (N, N), (N, N)),
    "returned":  ((Y, N), (Y, N), (Y, N), (N, N), (N, N), (N, N), (N, N), (N, N)),
    "approved":  ((Y, N), (Y, Y), (Y, Y), (N, N), (Y, N), (Y, N), (N, N), (N, N)),
    "admitted":  ((Y, N), (Y, N), (Y, N), (N, N), (Y, N), (Y, N), (N, N), (N, N)),
    "withdrawn": ((Y, N), (N, N), (N, N), (N, N), (N, N), (N, N), (N, N), (N, N)),
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
        for status in STATUSES:
            record = await tx.dossiers.create(people["candidate"], unit_id=cb1.id)
            await tx.dossiers.apply(record, sample_changes(), people["candidate"])
            fresh = await tx.dossiers.get(record.id)
            assert fresh is not None
            record = fresh
            if status != "draft":
                record = await tx.dossiers.set_status(record, "submitted")
                await reviews.start_review(record)
            if status == "returned":
                await reviews.add_comment(
                    record.id, record.revision, cb1.id, 9, people["reviewer_here"], "x"
                )
                await reviews.return_(record.id, record.revision, cb1.id, people["reviewer_here"])
                fresh = await tx.dossiers.get(record.id)
                assert fresh is not None  # the candidate goes on editing: a later revision
                change = Change("answers.ton_giao", "Phật giáo")
                await tx.dossiers.apply(fresh, [change], people["candidate"])
            if status in ("approved", "admitted"):
                await reviews.approve(record.id, record.revision, cb1.id, people["reviewer_here"])
                await reviews.approve(record.id, record.revision, du.id, people["reviewer_du"])
            if status == "admitted":
                approved = await tx.dossiers.get(record.id)
                assert approved is not None and approved.approved_at is not None
                day = local_date(approved.approved_at)  # the users' day, not UTC's
                for step in ("ban_viet_tay", "chi_bo", "dang_uy", "quyet_dinh"):
                    await record_step(tx, record.id, step, day, today=day)
            if status == "withdrawn":  # the candidate's exit (/rut), after the review began
                record = await tx.dossiers.set_status(
                    record, lifecycle.target(lifecycle.Move.WITHDRAW, record.status)
                )
            found = await tx.dossiers.get(record.id)
            assert found is not None
            records[status] = found
    return people, records


def sample_changes() -> list[Change]:
    """Sample A, its father living in Japan: what a secretary's verification screens read."""
    sample = load_sample("a")
    changes = [Change(f"answers.{k}", v) for k, v in sample.answers.items()]
    for i, row in enumerate(sample.relatives):
        if row["quan_he"] == "cha":
            row = {**row, "cu_tru": FATHER_ABROAD, "o_nuoc_ngoai": "có"}
        changes.append(Change(f"relatives.{i}", row))
    return changes


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
    # the candidate edited once after the return: reviewers read the revision they returned
    assert reviewer.access.revision == returned.revision - 1
    assert candidate.access.revision is None


# -- the same matrix through the flows: every read a person can try, and its view row ---------


def _reads(record: DossierRecord) -> list[tuple[str, str, str]]:
    """(kind, command or action, text) of every private read of content a person may try:
    the reviewers' «Xem», the final .docx, the secretaries' step card, person and date
    screens (forged taps included: a button is only data)."""
    d = record.id
    return [
        ("button", VIEW.encode(CardRef(d, record.revision)), ""),
        ("button", FINAL_DOCX.encode(ReviewRef(d)), ""),
        ("command", "buoc", str(d)),
        ("button", CARD_DETAILS.encode(StepRef(d)), ""),
        ("button", PICK_PERSON.encode(PickPerson(d, "g")), ""),
        ("button", ASK_DATE.encode(AskDate(d, "tham_tra_gui", "cha")), ""),
    ]


def _shows_content(replies: list[Reply]) -> bool:
    """Whether the replies carry the dossier's content: the birth date, a relative's name or
    the father's address abroad, in a text or a document."""
    texts = [r.text for r in replies]
    texts += [document_text(r.document.data) for r in replies if r.document]
    return any(v in text for text in texts for v in ("12/07/2001", "TRẦN VĂN HÙNG", "Shinjuku"))


async def _views(db: Database, person_id: int) -> int:
    async with db.read() as r:
        return int(
            await r.fetchval(
                "SELECT count(*) FROM audit_log WHERE action = 'view' AND person_id = ?",
                (person_id,),
            )
        )


@pytest.mark.parametrize("status", STATUSES)
async def test_every_read_through_the_flows_follows_the_matrix_and_is_recorded(
    db: Database, world: tuple[dict[str, int], dict[str, DossierRecord]], status: str
) -> None:
    """Each staff role and the outsider try every private read of the dossier's content:
    content comes only to those the matrix lets read it, and each read that showed content
    wrote a view row for the reader (no view row for a read refused)."""
    people, records = world
    record = records[status]
    clock = FixedClock(datetime.fromisoformat("2026-03-02T02:00:00+00:00"))
    router = Router(db, clock, build_flows())
    async with db.transaction() as tx:
        for role in ROLES:
            await tx.repo(Org).note_private_chat("telegram", role, role)
    allowed = dict(zip(ROLES, MATRIX[status], strict=True))
    for n, role in enumerate(ROLES[1:]):
        shown_by = []
        for k, (kind, what, text) in enumerate(_reads(record)):
            before = await _views(db, people[role])
            event = Event(
                User("telegram", role, role),
                Chat("telegram", role, "private"),
                kind,  # type: ignore[arg-type]
                text=text,
                command=what if kind == "command" else "",
                action=what if kind == "button" else "",
                update_key=f"{status}:{n}:{k}",
            )
            replies = await router.handle(event)
            shown = _shows_content(replies)
            recorded = await _views(db, people[role]) - before
            assert recorded == (1 if shown else 0), (role, what, recorded, shown)
            shown_by.append(shown)
        assert any(shown_by) == allowed[role][0], (status, role, shown_by)
