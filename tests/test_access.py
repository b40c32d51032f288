"""handlers/access.py: who sees a dossier's content, who acts, who reads its history."""

from __future__ import annotations

import pytest

from handlers.access import (
    AccessDenied,
    access,
    may_act,
    may_manage,
    may_read_history,
    open_for_view,
)
from storage.db import Database
from storage.history import History
from storage.org import Org


@pytest.fixture
async def world(db: Database) -> dict[str, int]:
    """Khối ─ Đảng bộ A ─ Chi bộ 1 (a submitted dossier here), Chi bộ 2; people with one role
    each."""
    async with db.transaction() as tx:
        org = tx.repo(Org)
        top = await org.create_unit("Đảng bộ Khối", "cap_tren")
        du = await org.create_unit("Đảng bộ A", "dang_bo_co_so", top.id)
        cb1 = await org.create_unit("Chi bộ 1", "chi_bo", du.id)
        cb2 = await org.create_unit("Chi bộ 2", "chi_bo", du.id)
        ids = {"top": top.id, "du": du.id, "cb1": cb1.id, "cb2": cb2.id}
        people = {
            "cand": None,
            "rev_cb1": (cb1.id, "reviewer"),
            "rev_cb2": (cb2.id, "reviewer"),
            "rev_du": (du.id, "reviewer"),
            "rev_top": (top.id, "reviewer"),
            "sec_du": (du.id, "secretary"),
            "sec_cb2": (cb2.id, "secretary"),
            "other_cand": (cb1.id, "candidate"),
            "outsider": None,
        }
        for name, grant in people.items():
            person = await tx.people.get_or_create("telegram", name, name, consent=True)
            ids[name] = person.id
            if grant:
                role, _ = await org.grant(grant[0], person.id, grant[1], None)  # type: ignore[arg-type]
                ids[f"role_{name}"] = role.id
        record = await tx.dossiers.create(ids["cand"], unit_id=cb1.id)
        # submitted: reviewers never read a draft (the matrix in test_access_matrix.py)
        await tx.dossiers.set_status(record, "submitted", review_level=1)
        ids["dossier"] = record.id
    return ids


async def test_content_reaches_candidate_and_reviewers_above_only(
    db: Database, world: dict[str, int]
) -> None:
    async with db.read() as r:
        record = await r.dossiers.get(world["dossier"])
        assert record is not None
        standing = {
            name: (await access(r, world[name], record)).standing
            for name in (
                "cand", "rev_cb1", "rev_cb2", "rev_du", "rev_top", "sec_du", "sec_cb2",
                "other_cand", "outsider",
            )
        }  # fmt: skip
        assert standing == {
            "cand": "candidate",
            "rev_cb1": "reviewer",
            "rev_cb2": "none",  # a sibling chi bộ
            "rev_du": "reviewer",
            "rev_top": "reviewer",
            "sec_du": "none",  # secretaries manage; they do not read content
            "sec_cb2": "none",
            "other_cand": "none",  # another candidate of the same chi bộ
            "outsider": "none",
        }
        assert (await access(r, None, record)).standing == "none"


async def test_history_is_open_to_secretaries_of_the_unit_tree(
    db: Database, world: dict[str, int]
) -> None:
    async with db.read() as r:
        record = await r.dossiers.get(world["dossier"])
        assert record is not None
        assert await may_read_history(r, world["sec_du"], record)
        assert await may_read_history(r, world["rev_cb1"], record)
        assert not await may_read_history(r, world["sec_cb2"], record)
        assert not await may_read_history(r, world["outsider"], record)
        assert not await may_read_history(r, world["cand"], record)  # names reviewers, drafts
        assert await may_manage(r, world["sec_du"], world["cb2"])
        assert not await may_manage(r, world["sec_cb2"], world["cb1"])
        assert not await may_manage(r, world["rev_du"], world["cb1"])


async def test_only_the_units_reviewers_act(db: Database, world: dict[str, int]) -> None:
    async with db.read() as r:
        org = r.repo(Org)
        cb1 = await org.unit(world["cb1"])
        assert cb1 is not None
        assert await may_act(r, world["rev_cb1"], cb1)
        # a đảng ủy reviewer sitting in the chi bộ group does not act for the chi bộ
        assert not await may_act(r, world["rev_du"], cb1)
        assert not await may_act(r, world["sec_du"], cb1)
        assert not await may_act(r, world["outsider"], cb1)
        assert not await may_act(r, None, cb1)


async def test_every_view_is_recorded_and_refusals_leave_no_trace(
    db: Database, world: dict[str, int]
) -> None:
    async with db.transaction() as tx:
        record = await open_for_view(tx, world["rev_du"], world["dossier"], what="draft_docx")
        assert record.id == world["dossier"]
        await open_for_view(tx, world["cand"], world["dossier"])
        with pytest.raises(AccessDenied):
            await open_for_view(tx, world["outsider"], world["dossier"])
        with pytest.raises(AccessDenied):
            await open_for_view(tx, world["rev_cb1"], 9999)
    async with db.read() as r:
        history = await r.repo(History).of_dossier(world["dossier"])
    assert [(h.action, h.person_name, h.unit_id, h.detail["what"]) for h in history] == [
        ("view", "rev_du", world["du"], "draft_docx"),
        ("view", "cand", world["cb1"], "dossier"),
    ]


async def test_revoking_the_role_closes_the_dossier(db: Database, world: dict[str, int]) -> None:
    async with db.transaction() as tx:
        await tx.repo(Org).revoke(world["role_rev_cb1"], world["sec_du"])
    async with db.transaction() as tx:
        with pytest.raises(AccessDenied):
            await open_for_view(tx, world["rev_cb1"], world["dossier"])


async def test_deleted_dossier_is_seen_by_nobody(db: Database, world: dict[str, int]) -> None:
    async with db.transaction() as tx:
        record = await tx.dossiers.get(world["dossier"])
        assert record is not None
        await tx.dossiers.erase(record)
    async with db.read() as r:
        record = await r.dossiers.get(world["dossier"])
        assert record is not None
        assert (await access(r, world["cand"], record)).standing == "none"
        assert (await access(r, world["rev_cb1"], record)).standing == "none"
