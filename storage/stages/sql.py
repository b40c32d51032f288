"""SQL helpers shared by the stage repositories."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from storage.db import Repo, Tx

# Below this many dossiers in scope, reading the scope's rows through the unit index beats
# scanning a date range of the whole table (the summary of one chi bộ vs. of a đảng bộ).
WIDE_SCOPE = 3000


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def writing_tx(repo: Repo) -> Tx:
    """The repository's session, which must be a transaction."""
    if not isinstance(repo.s, Tx):
        raise TypeError("writes need a transaction: `async with db.transaction() as tx`")
    return repo.s


def unit_filter(ids: Sequence[int] | None, column: str = "unit_id") -> tuple[str, list[int]]:
    """An ``AND column IN (...)`` filter; ``None`` means every unit (no filter)."""
    if ids is None:
        return "", []
    if not ids:
        return " AND 0", []
    return f" AND {column} IN ({','.join('?' * len(ids))})", list(ids)


def pin_index(wide: bool, name: str) -> str:
    """Pin the query plan: the clock/date index for a wide scope, the unit index otherwise.

    SQLite's planner otherwise takes an ``x IS NULL`` equality on a leading column of a
    non-covering index and reads half the table row by row.
    """
    return f" INDEXED BY {name if wide else 'dossier_progress_unit'}"
