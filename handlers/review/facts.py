"""What reviewers are shown of a dossier: item references and labels, completeness, the
answered items as text lines (the private view; a card shows only counts)."""

from __future__ import annotations

import contextlib
from typing import Any

from forms.dossier import Dossier
from forms.model import FormDef
from handlers.review.context import t


def item_ref(number: int) -> str:
    return f"({number})"


def commentable_items(form: FormDef) -> list[int]:
    return [it.number for it in form.items() if not it.reviewer_only]


def item_label(form: FormDef, number: int) -> str:
    try:
        return form.item(number).label
    except KeyError:
        return ""


def item_of_path(form: FormDef, path: str) -> int | None:
    """The booklet item a revision path belongs to (None for explanations and meta)."""
    root, _, rest = path.partition(".")
    try:
        if root == "answers":
            return form.item_of_field(rest).number
        if root == "tables":
            return form.item_of_field(rest.split(".", 1)[0]).number
    except KeyError:
        return None
    if root == "relatives":
        return next((it.number for it in form.items() if it.relatives is not None), None)
    return None


def completeness(dossier: Dossier, form: FormDef) -> tuple[int, int]:
    """(required items answered, required items) for the card."""
    from forms.checks.core import item_answered

    wanted = [
        it.number
        for it in form.items()
        if not it.reviewer_only
        and not it.optional
        and (it.table or it.relatives or any(f.required for f in it.fields))
    ]
    done = sum(1 for n in wanted if item_answered(dossier, n))
    return done, len(wanted)


def fmt_value(value: Any, form: FormDef, path: str) -> str:
    if value is None or value == "":
        return t("diff.empty")
    if isinstance(value, dict):
        return fmt_row(value, form, path)
    return str(value)


def fmt_row(row: dict[str, Any], form: FormDef, path: str) -> str:
    parts: list[str] = []
    if "tu" in row or "den" in row:
        parts.append(f"{row.get('tu', '')} – {row.get('den', '')}".strip(" –"))
    labels: dict[str, str] = {}
    root, _, rest = path.partition(".")
    try:
        if root == "tables":
            table = form.table(rest.split(".", 1)[0])
            labels = {c.id: c.label for c in table.columns}
        elif root == "relatives":
            rel = form.relatives()
            labels = {f.id: f.label for f in rel.fields}
            code = str(row.get("quan_he", ""))
            with contextlib.suppress(KeyError):
                parts.insert(0, rel.relation(code).label)
    except KeyError:
        labels = {}
    for key, value in row.items():
        if key in ("tu", "den", "quan_he") or value in ("", None):
            continue
        label = labels.get(key, key)
        parts.append(f"{label}: {value}" if key not in ("ho_ten", "xung_ho") else str(value))
    return "; ".join(p for p in parts if p)


def summarize(dossier: Dossier, form: FormDef) -> list[dict[str, Any]]:
    """Every answered candidate item as ``{ref, label, lines}`` for the private view."""
    out: list[dict[str, Any]] = []
    for item in form.items():
        if item.reviewer_only:
            continue
        lines: list[str] = []
        for f in item.fields:
            value = dossier.answers.get(f.id, "")
            if value:
                lines.append(value if len(item.fields) == 1 else f"{f.label}: {value}")
        if item.table is not None:
            for row in dossier.rows(item.table.id):
                lines.append(fmt_row(row, form, f"tables.{item.table.id}.0"))
        if item.relatives is not None:
            for row in dossier.relatives:
                lines.append(fmt_row(row, form, "relatives.0"))
        if lines:
            out.append({"ref": item_ref(item.number), "label": item.label, "lines": lines})
    return out
