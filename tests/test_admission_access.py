"""admission/access.py: the access decisions as plain rules (test_access.py drives the same
rules through the database and the gate that records views)."""

from __future__ import annotations

from dataclasses import dataclass

from admission import access


@dataclass(frozen=True)
class G:
    unit_id: int
    role: str


@dataclass(frozen=True)
class D:
    person_id: int
    unit_id: int | None
    status: str = "submitted"


# Chi bộ 3 < Đảng bộ 2 < Khối 1
UP_FROM_CB = [3, 2, 1]


def test_dossier_access() -> None:
    dossier = D(person_id=7, unit_id=3)
    assert access.dossier_access(7, dossier, [], UP_FROM_CB).standing == "candidate"
    reviewer = access.dossier_access(8, dossier, [G(2, "reviewer"), G(1, "reviewer")], UP_FROM_CB)
    assert reviewer.standing == "reviewer" and reviewer.reviewer_units == (2, 1)
    assert not access.dossier_access(8, dossier, [G(2, "secretary")], UP_FROM_CB).may_view
    assert not access.dossier_access(8, dossier, [G(4, "reviewer")], UP_FROM_CB).may_view
    assert not access.dossier_access(None, dossier, [], UP_FROM_CB).may_view
    assert not access.dossier_access(7, D(7, 3, "deleted"), [], UP_FROM_CB).may_view
    assert not access.dossier_access(8, D(7, None), [G(2, "reviewer")], []).may_view


def test_acting_managing_and_history() -> None:
    assert access.may_act([G(3, "reviewer")], 3)
    assert not access.may_act([G(3, "secretary"), G(2, "reviewer")], 3)
    assert access.may_manage([G(2, "secretary")], UP_FROM_CB)
    assert not access.may_manage([G(2, "reviewer")], UP_FROM_CB)
    assert not access.may_manage([G(4, "secretary")], UP_FROM_CB)
    reviewer = access.Access("reviewer", (2,))
    assert access.may_read_history(False, reviewer)
    assert access.may_read_history(True, access.NO_ACCESS)
    assert not access.may_read_history(False, access.Access("candidate"))


def test_who_a_view_is_recorded_for() -> None:
    reviewer = access.Access("reviewer", (3, 2))
    assert access.viewing_unit(reviewer, 2, 3) == 2
    assert access.viewing_unit(reviewer, 9, 3) == 3
    assert access.viewing_unit(access.Access("candidate"), None, 3) == 3


def test_staff_and_reviewers() -> None:
    assert access.is_staff([G(1, "candidate"), G(2, "secretary")])
    assert not access.is_staff([G(1, "candidate")])
    assert access.reviews_anywhere([G(5, "reviewer")])
    assert not access.reviews_anywhere([G(5, "secretary")])
