"""storage/reviews.py: units and chains, roles, invites, comments, decisions, history."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from admission.access import may_act
from storage.core import Change
from storage.db import Database
from storage.history import History
from storage.org import InviteError, Org, normalise_code
from storage.reviews import DecisionRefused, Reviews


async def _tree(db: Database) -> dict[str, int]:
    """Khối → Đảng bộ cơ sở → Chi bộ, with one candidate, two chi bộ reviewers, one đảng ủy
    reviewer."""
    async with db.transaction() as tx:
        org = tx.repo(Org)
        top = await org.create_unit("Đảng bộ Khối Doanh nghiệp", "cap_tren")
        du = await org.create_unit("Đảng bộ Công ty A", "dang_bo_co_so", top.id)
        cb = await org.create_unit("Chi bộ Phòng Kỹ thuật", "chi_bo", du.id)
        ids = {"top": top.id, "du": du.id, "cb": cb.id}
        for name in ("cand", "r1", "r2", "r3", "out"):
            person = await tx.people.get_or_create("telegram", name, name, consent=True)
            ids[name] = person.id
        await org.grant(cb.id, ids["cand"], "candidate", None)
        await org.grant(cb.id, ids["r1"], "reviewer", None)
        await org.grant(cb.id, ids["r2"], "reviewer", None)
        await org.grant(du.id, ids["r3"], "reviewer", None)
        record = await tx.dossiers.create(ids["cand"], unit_id=cb.id)
        record = await tx.dossiers.apply(
            record, [Change("answers.ho_ten", "NGUYỄN VĂN AN")], ids["cand"]
        )
        ids["dossier"] = record.id
    return ids


async def _submit(db: Database, dossier_id: int) -> int:
    async with db.transaction() as tx:
        record = await tx.dossiers.get(dossier_id)
        assert record is not None
        record = await tx.dossiers.set_status(record, "submitted")
        unit = await tx.repo(Reviews).start_review(record)
        assert unit is not None
        return unit.id


async def test_review_chain_follows_levels_and_can_be_configured(db: Database) -> None:
    ids = await _tree(db)
    async with db.transaction() as tx:
        org = tx.repo(Org)
        chain = await org.review_chain(ids["cb"])
        assert [u.id for u in chain] == [ids["cb"], ids["du"]]
        assert [u.level_name for u in chain] == ["Chi bộ", "Đảng ủy cơ sở"]
        await org.set_review_level(ids["top"], 3, "Ban Thường vụ Đảng ủy Khối")
        chain = await org.review_chain(ids["cb"])
        assert [u.id for u in chain] == [ids["cb"], ids["du"], ids["top"]]
        await org.set_review_level(ids["du"], None, "")
        assert [u.id for u in await org.review_chain(ids["cb"])] == [ids["cb"], ids["top"]]
        assert [u.id for u in await org.ancestors(ids["cb"])] == [ids["cb"], ids["du"], ids["top"]]
        assert {u.id for u in await org.subtree(ids["du"])} == {ids["du"], ids["cb"]}


async def test_roles_grant_once_and_revoke(db: Database) -> None:
    ids = await _tree(db)
    async with db.transaction() as tx:
        org = tx.repo(Org)
        role, new = await org.grant(ids["cb"], ids["r1"], "reviewer", ids["r3"])
        assert not new
        assert may_act(await org.roles_of(ids["r1"]), ids["cb"])
        revoked = await org.revoke(role.id, ids["r3"])
        assert revoked is not None and revoked.revoked_by == ids["r3"]
        assert not may_act(await org.roles_of(ids["r1"]), ids["cb"])
        assert await org.revoke(role.id, ids["r3"]) is None
        again, new = await org.grant(ids["cb"], ids["r1"], "reviewer", ids["r3"])
        assert new and again.id != role.id


async def test_invite_single_use_and_expiry(db: Database) -> None:
    ids = await _tree(db)
    start = datetime(2025, 10, 1, 8, 0, tzinfo=UTC)
    async with db.transaction(now=start) as tx:
        org = tx.repo(Org)
        once = await org.create_invite("role", ids["cb"], role="reviewer")
        timed = await org.create_invite(
            "role", ids["cb"], role="candidate", ttl=timedelta(days=2), max_uses=5
        )
    async with db.transaction(now=start) as tx:
        used = await tx.repo(Org).redeem(once.token.lower(), "role")
        assert used.uses == 1
    async with db.transaction(now=start) as tx:
        with pytest.raises(InviteError) as err:
            await tx.repo(Org).redeem(once.token, "role")
        assert err.value.reason == "used"
    async with db.transaction(now=start + timedelta(days=1)) as tx:
        await tx.repo(Org).redeem(timed.token)
    async with db.transaction(now=start + timedelta(days=2, seconds=1)) as tx:
        with pytest.raises(InviteError) as err:
            await tx.repo(Org).redeem(timed.token)
        assert err.value.reason == "expired"
        with pytest.raises(InviteError) as err:
            await tx.repo(Org).redeem("NOSUCHCODE")
        assert err.value.reason == "unknown"
        with pytest.raises(InviteError) as err:
            await tx.repo(Org).redeem(timed.token, "bind_group")
        assert err.value.reason == "wrong_purpose"


async def test_invite_used_at_the_same_moment_is_granted_once(db: Database) -> None:
    ids = await _tree(db)
    async with db.transaction() as tx:
        invite = await tx.repo(Org).create_invite("role", ids["cb"], role="reviewer")

    async def use() -> str:
        try:
            async with db.transaction() as tx:
                await tx.repo(Org).redeem(invite.token)
            return "ok"
        except InviteError as exc:
            return exc.reason

    results = await asyncio.gather(*(use() for _ in range(5)))
    assert sorted(results) == ["ok", "used", "used", "used", "used"]


def test_codes_are_typeable() -> None:
    assert normalise_code(" abcd-efgh 23 ") == "ABCDEFGH23"


async def test_whole_review_two_levels(db: Database) -> None:
    ids = await _tree(db)
    assert await _submit(db, ids["dossier"]) == ids["cb"]
    async with db.transaction() as tx:
        reviews = tx.repo(Reviews)
        record = await tx.dossiers.get(ids["dossier"])
        assert record is not None and record.review_level == 1
        rev = record.revision
        # a return needs a comment
        with pytest.raises(DecisionRefused) as err:
            await reviews.return_(record.id, rev, ids["cb"], ids["r1"])
        assert err.value.reason == "no_comments"
        # the đảng ủy cannot act before the chi bộ
        with pytest.raises(DecisionRefused) as err:
            await reviews.approve(record.id, rev, ids["du"], ids["r3"])
        assert err.value.reason == "not_your_turn"
        await reviews.add_comment(record.id, rev, ids["cb"], 1, ids["r1"], "Viết hoa đủ dấu")
        outcome = await reviews.return_(record.id, rev, ids["cb"], ids["r2"])
        assert outcome.kind == "returned"
        assert [c.status for c in outcome.sent] == ["sent"]
        assert outcome.record.status == "returned"
    # the candidate fixes item 1 and resubmits: back to the chi bộ
    async with db.transaction() as tx:
        record = await tx.dossiers.get(ids["dossier"])
        assert record is not None
        record = await tx.dossiers.apply(
            record, [Change("answers.ho_ten", "NGUYỄN VĂN ÂN")], ids["cand"]
        )
        new_rev = record.revision
    assert await _submit(db, ids["dossier"]) == ids["cb"]
    async with db.transaction() as tx:
        reviews = tx.repo(Reviews)
        assert await reviews.last_look(ids["dossier"], ids["cb"]) == rev
        with pytest.raises(DecisionRefused) as err:
            await reviews.approve(ids["dossier"], rev, ids["cb"], ids["r1"])
        assert err.value.reason == "outdated"
        outcome = await reviews.approve(ids["dossier"], new_rev, ids["cb"], ids["r1"])
        assert outcome.kind == "forwarded" and outcome.next_unit is not None
        assert outcome.next_unit.id == ids["du"]
        assert outcome.record.status == "submitted" and outcome.record.review_level == 2
        # a second tap of the chi bộ on the same card is told it was decided
        with pytest.raises(DecisionRefused) as err:
            await reviews.approve(ids["dossier"], new_rev, ids["cb"], ids["r2"])
        assert err.value.reason == "already_decided"
        assert err.value.existing is not None and err.value.existing.person_id == ids["r1"]
        outcome = await reviews.approve(ids["dossier"], new_rev, ids["du"], ids["r3"])
        assert outcome.kind == "approved"
        assert outcome.record.status == "approved" and outcome.record.locked
    # reopening unlocks and brings it back to the reopening level
    async with db.transaction() as tx:
        reviews = tx.repo(Reviews)
        outcome = await reviews.reopen(ids["dossier"], ids["du"], ids["r3"])
        assert outcome.record.status == "returned" and not outcome.record.locked
        with pytest.raises(DecisionRefused) as err:
            await reviews.reopen(ids["dossier"], ids["du"], ids["r3"])
        assert err.value.reason == "not_locked"
    # resubmitted WITHOUT any change: the đảng ủy can decide again on the same revision
    assert await _submit(db, ids["dossier"]) == ids["du"]
    async with db.transaction() as tx:
        outcome = await tx.repo(Reviews).approve(ids["dossier"], new_rev, ids["du"], ids["r3"])
        assert outcome.kind == "approved"
        kinds = [d.decision for d in await tx.repo(Reviews).decisions(ids["dossier"])]
        assert kinds == ["return", "approve", "approve", "reopen", "approve"]


async def test_simultaneous_approvals_one_decision(db: Database) -> None:
    ids = await _tree(db)
    await _submit(db, ids["dossier"])
    async with db.read() as r:
        rev = (await r.dossiers.get(ids["dossier"])).revision  # type: ignore[union-attr]

    async def tap(person: str) -> str:
        try:
            async with db.transaction() as tx:
                await tx.repo(Reviews).approve(ids["dossier"], rev, ids["cb"], ids[person])
            return "won"
        except DecisionRefused as exc:
            return exc.reason

    results = await asyncio.gather(tap("r1"), tap("r2"), tap("r1"))
    assert sorted(results) == ["already_decided", "already_decided", "won"]
    async with db.read() as r:
        decisions = await r.repo(Reviews).decisions(ids["dossier"])
    assert len(decisions) == 1


async def test_unique_index_is_the_backstop(db: Database) -> None:
    """Even bypassing the state checks, the index keeps one decision per revision and level."""
    ids = await _tree(db)
    await _submit(db, ids["dossier"])
    async with db.transaction() as tx:
        record = await tx.dossiers.get(ids["dossier"])
        org = tx.repo(Org)
        unit = await org.unit(ids["cb"])
        reviews = tx.repo(Reviews)
        assert record is not None and unit is not None
        await reviews._insert_decision(record, unit, "approve", ids["r1"])
        with pytest.raises(DecisionRefused) as err:
            await reviews._insert_decision(record, unit, "return", ids["r2"])
        assert err.value.existing is not None and err.value.existing.decision == "approve"
        # reopenings are not limited
        await reviews._insert_decision(record, unit, "reopen", ids["r2"])
        await reviews._insert_decision(record, unit, "reopen", ids["r2"])


async def test_comments_lifecycle(db: Database) -> None:
    ids = await _tree(db)
    await _submit(db, ids["dossier"])
    async with db.transaction() as tx:
        reviews = tx.repo(Reviews)
        record = await tx.dossiers.get(ids["dossier"])
        assert record is not None
        a = await reviews.add_comment(record.id, record.revision, ids["cb"], 15, ids["r1"], "x")
        b = await reviews.add_comment(record.id, record.revision, ids["cb"], 3, ids["r2"], "y")
        assert a.status == "draft" and a.author_name == "r1"
        assert await reviews.resolve(a.id, ids["r1"]) is None  # drafts are not resolved
        assert not await reviews.delete_draft(b.id, ids["r1"])  # not the author
        assert [c.item_number for c in await reviews.comments(record.id)] == [3, 15]
        await reviews.return_(record.id, record.revision, ids["cb"], ids["r1"])
        sent = await reviews.comments(record.id, ("sent",))
        assert {c.id for c in sent} == {a.id, b.id}
        resolved = await reviews.resolve(a.id, ids["r2"])
        assert resolved is not None and resolved.resolved_by == ids["r2"]
        assert (await reviews.unresolve(a.id)).status == "sent"  # type: ignore[union-attr]


async def test_history_has_names_and_no_content(db: Database) -> None:
    ids = await _tree(db)
    async with db.transaction() as tx:
        await tx.audit.append(
            "view", person_id=ids["r1"], dossier_id=ids["dossier"], revision=1, unit_id=ids["cb"]
        )
    async with db.read() as r:
        history = await r.repo(History).of_dossier(ids["dossier"])
    assert [(h.action, h.person_name, h.unit_name, h.revision) for h in history] == [
        ("view", "r1", "Chi bộ Phòng Kỹ thuật", 1)
    ]


async def test_group_binding_moves(db: Database) -> None:
    ids = await _tree(db)
    async with db.transaction() as tx:
        org = tx.repo(Org)
        assert await org.bind_group(ids["cb"], "telegram", "-100") is None
        assert (await org.unit_by_group("telegram", "-100")).id == ids["cb"]  # type: ignore[union-attr]
        previous = await org.bind_group(ids["du"], "telegram", "-100")
        assert previous is not None and previous.id == ids["cb"]
        assert (await org.unit(ids["cb"])).group_chat_id is None  # type: ignore[union-attr]
        await org.bind_group(ids["cb"], "telegram", "-200")
        assert (await org.unit_by_group("telegram", "-200")).id == ids["cb"]  # type: ignore[union-attr]


async def test_under_review_lists_only_the_units_turn(db: Database) -> None:
    ids = await _tree(db)
    await _submit(db, ids["dossier"])
    async with db.transaction() as tx:
        org = tx.repo(Org)
        reviews = tx.repo(Reviews)
        cb = await org.unit(ids["cb"])
        du = await org.unit(ids["du"])
        assert cb is not None and du is not None
        assert [i.full_name for i in await reviews.under_review(cb)] == ["NGUYỄN VĂN AN"]
        assert await reviews.under_review(du) == []
