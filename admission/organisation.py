"""The organisation as the guidance shapes it: kinds of party units, the levels that review a
dossier, and the roles people hold in a unit.

A dossier is reviewed level by level, from its chi bộ up: the *review chain* is the dossier's
unit and the units above it that carry a review level, first level first. A unit's default
level comes from its kind (chi bộ 1, đảng ủy cơ sở 2); secretaries may change it per unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Protocol, TypeVar

from forms.vn import fold

RoleName = Literal["secretary", "reviewer", "candidate"]
ROLES: tuple[RoleName, ...] = ("secretary", "reviewer", "candidate")

#: Unit kinds and their default place in the review chain (level, level name).
UNIT_KINDS: dict[str, tuple[int | None, str]] = {
    "cap_tren": (None, ""),  # Đảng bộ Khối, đảng bộ tỉnh/xã…: the root created by bootstrap
    "dang_bo_co_so": (2, "Đảng ủy cơ sở"),
    "dang_bo_bo_phan": (None, ""),
    "chi_bo_co_so": (1, "Chi bộ"),
    "chi_bo": (1, "Chi bộ"),
}

#: The level whose units take candidates (a candidate invite names a unit of this level).
CANDIDATE_LEVEL = 1


class Leveled(Protocol):
    """A unit as far as the review chain cares: which one, and the level it reviews at."""

    @property
    def id(self) -> int: ...

    @property
    def review_level(self) -> int | None: ...


L = TypeVar("L", bound=Leveled)


def review_chain(ancestors: Iterable[L]) -> list[L]:
    """The units that review a dossier, first level first, from its unit and the units above
    it (nearest first): those that carry a review level; when two carry the same level, the
    nearer one reviews."""
    chain: dict[int, L] = {}
    for unit in ancestors:
        if unit.review_level is not None and unit.review_level not in chain:
            chain[unit.review_level] = unit
    return [chain[level] for level in sorted(chain)]


def kind_from_name(name: str, parent_kind: str | None) -> str:
    """A unit's kind read from its Vietnamese name (decides its default review level);
    ``parent_kind`` is None for a unit at the top."""
    key = fold(name)
    if key.startswith("chi bo co so"):
        return "chi_bo_co_so"
    if key.startswith("chi bo"):
        return "chi_bo"
    if key.startswith("dang bo bo phan") or key.startswith("dang uy bo phan"):
        return "dang_bo_bo_phan"
    if key.startswith(("dang bo", "dang uy")):
        return "dang_bo_co_so" if parent_kind is not None else "cap_tren"
    if parent_kind in ("dang_bo_co_so", "dang_bo_bo_phan"):
        return "chi_bo"
    return "dang_bo_co_so" if parent_kind is not None else "cap_tren"
