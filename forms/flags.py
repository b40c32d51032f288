"""A problem found in a dossier (:class:`Flag`), apart from the rules that find it.

Why a module of its own: a flag travels with a draft to the rendering workers
(handlers/render_jobs.py), which print it as a note; taken from :mod:`forms.checks` it would
load the whole rule engine (every rule, the parsers, the classifier) into each worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True, slots=True)
class Flag:
    """One problem found in a dossier.

    ``item`` is the booklet item number (91/92 for the certificate and the introducers);
    ``field`` the field or column id; ``table`` the table id (or ``"relatives"``) and ``row``
    its 0-based row index when the problem sits in a row. ``key`` is stable for the same
    problem across runs, so a candidate's explanation (``dossier.explanations[key]``) stays
    attached to its warning.
    """

    rule: str
    severity: Severity
    item: int
    message: str
    key: str
    field: str | None = None
    table: str | None = None
    row: int | None = None
    explanation: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR
