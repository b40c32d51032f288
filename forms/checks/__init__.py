"""Reviewer-grade checks of a dossier (rules F0–F17, X1–X19, P1–P4 of the domain notes).

Public API::

    run_checks(dossier, *, today=None, scope="all", finished=None) -> list[Flag]
    check_items(dossier, item_numbers, *, today=None, scope="answered", finished=None)
    check_field(dossier, field_id, *, today=None) -> list[Flag]
    relatives_abroad(dossier) -> list[(index, AbroadReason)]   # who is verified abroad (X14)
    RULES: dict[rule id, Rule]   # severity, items read, trigger fields, docstring

Errors block submission; warnings ask a human to look or the candidate to explain
(``dossier.explanations[flag.key]``, returned on the flag). Messages come from
``templates/rules.toml``.
"""

from __future__ import annotations

from forms.checks import (  # noqa: F401  (registers rules)
    eligibility,
    family,
    fields,
    honesty,
    timeline,
)
from forms.checks.core import (
    ERROR,
    RELATIVES,
    RULES,
    WARNING,
    Flag,
    Rule,
    Scope,
    Severity,
    check_field,
    check_items,
    item_answered,
    needed_by,
    run_checks,
)
from forms.checks.family import AbroadReason, relatives_abroad


def _canonical_order() -> None:
    """List rules as the domain notes do: F0–F17, X1–X19, P1–P4 (flags sort by it too)."""
    ordered = sorted(RULES.items(), key=lambda kv: ("FXP".index(kv[0][0]), int(kv[0][1:])))
    RULES.clear()
    RULES.update(ordered)


_canonical_order()

__all__ = [
    "ERROR",
    "RELATIVES",
    "RULES",
    "WARNING",
    "AbroadReason",
    "Flag",
    "Rule",
    "Scope",
    "Severity",
    "check_field",
    "check_items",
    "errors",
    "item_answered",
    "needed_by",
    "relatives_abroad",
    "run_checks",
    "warnings",
]


def errors(flags: list[Flag]) -> list[Flag]:
    """The flags that block submission."""
    return [f for f in flags if f.severity == ERROR]


def warnings(flags: list[Flag]) -> list[Flag]:
    """The flags that ask for a look or an explanation."""
    return [f for f in flags if f.severity == WARNING]
