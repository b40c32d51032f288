"""What changed in a dossier since a revision, by item: what a unit sees when a dossier comes
back, and what tells a sent comment "addressed"."""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

import orjson

from forms.model import FormDef
from handlers.review.context import t
from handlers.review.facts import fmt_value, item_of_path
from storage.core import DossierRecord
from storage.db import Tx


@dataclass(slots=True)
class Changes:
    """What changed between two revisions, by item."""

    since: int
    until: int
    items: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)  # label, old, new
    explanations: int = 0

    @property
    def any(self) -> bool:
        return bool(self.items or self.explanations)


async def changes_since(tx: Tx, record: DossierRecord, since: int, form: FormDef) -> Changes:
    """The dossier's changes after revision ``since``, grouped by item: the content then and
    now compared, rows of tables and relatives aligned by content, so deleting a row shows as
    that row removed, not as every later row changed."""
    before = (await tx.dossiers.snapshot_at(record, since)).to_dict()
    after = record.dossier.to_dict()
    changes = Changes(since, record.revision)
    pairs: list[tuple[str, Any, Any]] = []
    for key in {*before["answers"], *after["answers"]}:
        old, new = before["answers"].get(key), after["answers"].get(key)
        if old != new:
            pairs.append((f"answers.{key}", old, new))
    for table in {*before["tables"], *after["tables"]}:
        old_rows, new_rows = before["tables"].get(table, []), after["tables"].get(table, [])
        pairs += _aligned_rows(f"tables.{table}", old_rows, new_rows)
    pairs += _aligned_rows("relatives", before["relatives"], after["relatives"])
    explained_before, explained_after = before["explanations"], after["explanations"]
    changes.explanations = sum(
        1
        for key in {*explained_before, *explained_after}
        if explained_before.get(key) != explained_after.get(key)
    )
    for path, old, new in pairs:
        number = item_of_path(form, path)
        if number is not None:
            changes.items.setdefault(number, []).extend(_changed_values(form, path, old, new))
    changes.items = dict(sorted(changes.items.items()))
    return changes


def _aligned_rows(prefix: str, old: list[Any], new: list[Any]) -> list[tuple[str, Any, Any]]:
    """(path, old row, new row) for rows that differ. Identical rows are matched first
    (difflib); within a changed stretch an edited row is paired with the old row it most
    resembles (:func:`_pair_similar`), so deleting a row shows as that row removed, not as
    every later row changed. The path's index is the row's place now (before, if removed)."""
    dumps = orjson.dumps
    matcher = SequenceMatcher(
        None,
        [dumps(r, option=orjson.OPT_SORT_KEYS) for r in old],
        [dumps(r, option=orjson.OPT_SORT_KEYS) for r in new],
        autojunk=False,
    )
    out: list[tuple[str, Any, Any]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = _pair_similar(old[i1:i2], new[j1:j2])
        paired_old = {i for i, _ in pairs}
        paired_new = {j for _, j in pairs}
        out += [(f"{prefix}.{j1 + j}", old[i1 + i], new[j1 + j]) for i, j in pairs]
        out += [
            (f"{prefix}.{i1 + i}", old[i1 + i], None) for i in range(i2 - i1) if i not in paired_old
        ]
        out += [
            (f"{prefix}.{j1 + j}", None, new[j1 + j]) for j in range(j2 - j1) if j not in paired_new
        ]
    return out


def _resemblance(a: dict[str, Any], b: dict[str, Any]) -> float:
    """Share of the filled columns two rows have in common."""
    keys = [k for k in {*a, *b} if a.get(k) or b.get(k)]
    return sum(1 for k in keys if a.get(k) == b.get(k)) / len(keys) if keys else 1.0


def _pair_similar(old: list[Any], new: list[Any]) -> list[tuple[int, int]]:
    """Order-keeping pairs (old index, new index) of rows sharing at least half their filled
    columns, the most alike overall (a small dynamic programme: stretches are a few rows)."""
    n, m = len(old), len(new)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            score = max(best[i + 1][j], best[i][j + 1])
            alike = _resemblance(old[i], new[j])
            if alike >= 0.5:
                score = max(score, alike + best[i + 1][j + 1])
            best[i][j] = score
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        alike = _resemblance(old[i], new[j])
        if alike >= 0.5 and best[i][j] == alike + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _changed_values(form: FormDef, path: str, old: Any, new: Any) -> list[tuple[str, str, str]]:
    """(what, before, after) lines for one changed path; a changed row lists only the
    columns that changed."""
    root, _, rest = path.partition(".")
    if root == "answers":
        try:
            label = form.field(rest).label
        except KeyError:
            label = rest
        return [(label, fmt_value(old, form, path), fmt_value(new, form, path))]
    if root == "tables":
        where = t("diff.row", n=int(rest.split(".")[1]) + 1)
    else:
        where = t("diff.relative", n=int(rest) + 1)
    if isinstance(old, dict) and isinstance(new, dict):
        labels = _row_labels(form, path)
        lines = []
        for key in [*old, *(k for k in new if k not in old)]:
            before, after = old.get(key, ""), new.get(key, "")
            if before != after:
                lines.append(
                    (
                        f"{where}, {labels.get(key, key)}",
                        before or t("diff.empty"),
                        after or t("diff.empty"),
                    )
                )
        return lines
    if old is None or new is None:
        where = t("diff.added" if old is None else "diff.removed", where=where)
    return [(where, fmt_value(old, form, path), fmt_value(new, form, path))]


def _row_labels(form: FormDef, path: str) -> dict[str, str]:
    root, _, rest = path.partition(".")
    labels = {key: t(f"diff.{key}") for key in ("tu", "den", "quan_he")}
    try:
        if root == "tables":
            labels.update({c.id: c.label for c in form.table(rest.split(".", 1)[0]).columns})
        else:
            labels.update({f.id: f.label for f in form.relatives().fields})
    except KeyError:
        pass
    return labels
