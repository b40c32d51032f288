"""admission/lifecycle.py and admission/organisation.py: the review lifecycle as plain rules
(the repository tests in test_review_storage.py drive the same rules through the database)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from admission import lifecycle
from admission.lifecycle import DecisionRefused, DossierState, IllegalMove, Move
from admission.organisation import kind_from_name, review_chain


@dataclass(frozen=True)
class U:
    id: int
    review_level: int | None


@dataclass(frozen=True)
class Past:
    unit_id: int
    revision: int
    level: int
    decision: str


CB, DU, TOP = U(3, 1), U(2, 2), U(1, None)
CHAIN = [CB, DU]


def waiting(level: int = 1, revision: int = 4, status: str = "submitted") -> DossierState:
    return DossierState(status, CB.id, level, revision, locked=False)


def refused(call: object, *args: object) -> DecisionRefused:
    with pytest.raises(DecisionRefused) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_statuses_and_moves() -> None:
    assert lifecycle.editable_by_candidate("draft") and lifecycle.editable_by_candidate("returned")
    assert not lifecycle.editable_by_candidate("submitted")
    assert not lifecycle.editable_by_candidate("approved")
    assert lifecycle.target(Move.SUBMIT, "returned") == "submitted"
    assert lifecycle.target(Move.RETURN, "submitted") == "returned"
    assert lifecycle.target(Move.APPROVE, "submitted") == "approved"
    assert lifecycle.target(Move.REOPEN, "approved") == "returned"
    assert lifecycle.target(Move.UNROUTE, "submitted") == "draft"
    assert lifecycle.TRANSITIONS[Move.APPROVE].lock is True
    assert lifecycle.TRANSITIONS[Move.REOPEN].lock is False
    with pytest.raises(IllegalMove):
        lifecycle.target(Move.SUBMIT, "approved")
    with pytest.raises(IllegalMove):
        lifecycle.target(Move.ERASE, "submitted")
    assert lifecycle.waits_at("submitted", 1, 1)
    assert not lifecycle.waits_at("submitted", 2, 1)
    assert not lifecycle.waits_at("returned", 1, 1)


def test_whose_turn() -> None:
    assert lifecycle.deciding_position(waiting(), CHAIN, CB.id, 4, None) == 0
    assert lifecycle.deciding_position(waiting(2), CHAIN, DU.id, 4, None) == 1
    assert refused(lifecycle.deciding_position, None, CHAIN, CB.id, 4, None).reason == "not_found"
    gone = waiting(status="deleted")
    assert refused(lifecycle.deciding_position, gone, CHAIN, CB.id, 4, None).reason == "not_found"
    assert (
        refused(lifecycle.deciding_position, waiting(2), CHAIN, CB.id, 4, None).reason
        == "not_your_turn"
    )
    assert refused(lifecycle.deciding_position, waiting(), CHAIN, CB.id, 3, None).reason == (
        "outdated"
    )
    draft = waiting(status="draft")
    assert (
        refused(lifecycle.deciding_position, draft, CHAIN, CB.id, 4, None).reason
        == "not_under_review"
    )


def test_a_repeated_tap_is_told_who_decided() -> None:
    returned = waiting(status="returned")
    last = Past(CB.id, 4, 1, "return")
    found = refused(lifecycle.deciding_position, returned, CHAIN, CB.id, 4, last)
    assert found.reason == "already_decided" and found.existing is last
    # forwarded: the same unit taps its old card again
    forwarded = waiting(2)
    approved = Past(CB.id, 4, 1, "approve")
    found = refused(lifecycle.deciding_position, forwarded, CHAIN, CB.id, 4, approved)
    assert found.reason == "already_decided" and found.existing is approved
    other = refused(lifecycle.deciding_position, forwarded, CHAIN, CB.id, 3, approved)
    assert other.reason == "not_your_turn"


def test_approval_return_and_reopen() -> None:
    assert lifecycle.approval(0, CHAIN, 0) is Move.FORWARD
    assert lifecycle.approval(1, CHAIN, 0) is Move.APPROVE
    assert refused(lifecycle.approval, 0, CHAIN, 2).reason == "drafts_pending"
    assert refused(lifecycle.check_return, 0).reason == "no_comments"
    lifecycle.check_return(1)
    final = DossierState("approved", CB.id, 2, 5, locked=True)
    lifecycle.check_reopen(final, 2)
    assert refused(lifecycle.check_reopen, final, None).reason == "not_your_turn"
    assert refused(lifecycle.check_reopen, waiting(), 1).reason == "not_locked"
    assert refused(lifecycle.check_reopen, None, 1).reason == "not_found"


def test_where_a_review_starts() -> None:
    assert lifecycle.starting_unit(CHAIN, None) is CB
    assert lifecycle.starting_unit(CHAIN, Past(DU.id, 4, 2, "return")) is DU
    assert lifecycle.starting_unit(CHAIN, Past(DU.id, 4, 2, "reopen")) is DU
    assert lifecycle.starting_unit(CHAIN, Past(CB.id, 4, 1, "approve")) is CB
    assert lifecycle.starting_unit([], None) is None


def test_comment_cycle() -> None:
    assert lifecycle.NEW_COMMENT == "draft"
    assert lifecycle.COMMENT_MOVES[lifecycle.CommentMove.SEND] == ("draft", "sent")
    assert lifecycle.comment_open("sent") and not lifecycle.comment_open("resolved")


def test_review_chain_and_unit_kinds() -> None:
    # the dossier's unit first, then up; the nearer unit of a level reviews
    near_du = U(4, 2)
    assert review_chain([CB, near_du, DU, TOP]) == [CB, near_du]
    assert review_chain([TOP]) == []
    assert kind_from_name("Chi bộ Phòng Kỹ thuật", "dang_bo_co_so") == "chi_bo"
    assert kind_from_name("Chi bộ cơ sở X", None) == "chi_bo_co_so"
    assert kind_from_name("Đảng ủy Công ty", "cap_tren") == "dang_bo_co_so"
    assert kind_from_name("Đảng bộ Khối", None) == "cap_tren"
    assert kind_from_name("Tổ 3", "dang_bo_co_so") == "chi_bo"
