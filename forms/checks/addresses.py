"""Address findings for rule F5, cached per text.

Delegates to ``forms.addresses.analyse_address`` (the gazetteer-backed reading shared with
the chat) and maps its problem keys to a severity: structural faults (a missing level, a
district outside the brackets, old names only) are errors; findings that depend on how
current the commune data is (``commune_not_current``, ``bracket_mismatch``) or that may be a
legitimate unchanged name (``new_name_without_old``, ``unknown_province``) are warnings.
If that module cannot be imported, a structural reading gives the same keys.
"""

from __future__ import annotations

import re
from typing import Any, Literal, NamedTuple

from forms import vn
from forms.memo import remembered

AddressKind = Literal["origin", "residence"]

WARNING_KEYS = frozenset(
    {
        "commune_not_current",
        "bracket_mismatch",
        "new_name_without_old",
        "unknown_province",
        "place_not_found",  # unverified: a typo, or a name older than the data set
        "institution",  # a relative's birthplace may be the hospital, with its commune
    }
)


class AddressProblem(NamedTuple):
    key: str  # a forms.addresses problem key, e.g. "main_part_not_current"
    severity: Literal["error", "warning"]
    suggestion: str | None
    names: tuple[str, ...] = ()  # place_not_found: the names not found, as written
    closest: tuple[str, ...] = ()  # … and the closest real names


_BRACKETS = re.compile(r"\([^()]*\)")
_COMMUNE = re.compile(r"\b(?:xa|phuong|thi tran|dac khu)\b")
_PROVINCE = re.compile(r"\b(?:tinh|thanh pho|tp|thu do)\b")
_DISTRICT = re.compile(r"\b(?:huyen|quan|thi xa)\b")


def _analyser() -> Any:
    try:
        from forms.addresses import analyse_address
    except Exception:  # module missing or broken: fall back to the structural reading
        return None
    return analyse_address


@remembered(maxsize=2048)
def address_problems(text: str, kind: AddressKind) -> tuple[AddressProblem, ...]:
    """What is wrong with an address of kind ``origin`` ((5), (6)) or ``residence`` ((7))."""
    if not isinstance(text, str) or not text.strip():
        return ()
    analyse = _analyser()
    keys: list[str]
    suggestion: str | None = None
    names: tuple[str, ...] = ()
    closest: tuple[str, ...] = ()
    if analyse is not None:
        try:
            analysis = analyse(text, kind=kind)
            keys = [str(k) for k in analysis.problems]
            suggestion = analysis.suggestion
            names, closest = tuple(analysis.not_found), tuple(analysis.closest)
        except Exception:
            keys = _structural(text, kind)
    else:
        keys = _structural(text, kind)
    return tuple(
        AddressProblem(
            k,
            "warning" if k in WARNING_KEYS else "error",
            suggestion,
            *((names, closest) if k == "place_not_found" else ((), ())),
        )
        for k in keys
        if k != "empty"
    )


def _structural(text: str, kind: AddressKind) -> list[str]:
    main = vn.match_key(_BRACKETS.sub(" ", text))
    keys: list[str] = []
    if not _COMMUNE.search(main):
        keys.append("missing_commune")
    if not _PROVINCE.search(main):
        keys.append("missing_province")
    if _DISTRICT.search(main):
        keys.append("district_in_residence" if kind == "residence" else "main_part_not_current")
    return keys
