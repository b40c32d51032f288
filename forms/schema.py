"""JSON Schema of the dossier file, documented field by field from the form definition.

The structure comes from :class:`forms.dossier.Dossier` (pydantic), so the schema accepts
exactly what the loader accepts; the form definition adds a title (the Vietnamese label), a
description (the help text and the expected format) and an example to every key of
``answers``, ``tables`` and ``relatives``. Keys are exactly the form's (``additionalProperties``
is false, as :func:`forms.dossier.read_dossier` refuses an unknown key); content is judged by
the checks (``python -m bot check``), not by the schema.

``docs/dossier.schema.json`` is this export; regenerate it with
``python -m bot schema > docs/dossier.schema.json`` (a test keeps the two equal).
"""

from __future__ import annotations

import json
from typing import Any

from forms.definition import load_form
from forms.dossier import Dossier
from forms.model import FieldDef, FormDef, ItemDef, Kind
from forms.texts import has_message, message

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _t(key: str, **kw: Any) -> str:
    return message(f"document.schema.{key}", **kw)


def _field_schema(field: FieldDef, *, item: ItemDef | None = None) -> dict[str, Any]:
    notes = [field.help] if field.help else []
    if has_message(f"document.schema.kind.{field.kind.value}"):
        notes.append(_t(f"kind.{field.kind.value}"))
    if field.choices and field.kind is not Kind.YES_NO:
        notes.append(_t("choices", choices=", ".join(f"«{c}»" for c in field.choices)))
    if field.when is not None:
        wanted = (field.when.equals,) if isinstance(field.when.equals, str) else field.when.equals
        notes.append(
            _t("when", field=field.when.field, values=" / ".join(f"«{w}»" for w in wanted))
        )
    schema: dict[str, Any] = {"type": "string", "title": field.label}
    if notes:
        schema["description"] = " ".join(notes)
    if field.example:
        schema["examples"] = [field.example]
    schema["x-kind"] = field.kind.value
    if item is not None:
        schema["x-item"] = item.number
    if not field.required:
        schema["x-optional"] = True
    return schema


def _period_columns(column: FieldDef) -> dict[str, Any]:
    """A period column is stored as two month keys, ``tu`` and ``den`` ("nay" = still on)."""
    month = column.model_copy(update={"kind": Kind.MONTH, "example": ""})
    examples = [part.strip() for part in column.example.split(" - ")] if column.example else []
    out: dict[str, Any] = {}
    for index, key in enumerate(("tu", "den")):
        entry = _field_schema(month)
        entry["title"] = _t(key, label=column.label)
        if index < len(examples) and examples[index]:
            entry["examples"] = [examples[index]]
        out[key] = entry
    return out


def _item_title(item: ItemDef) -> str:
    return _t("item", ref=item.ref, label=item.label).replace("  ", " ")


def _answers(form: FormDef) -> dict[str, Any]:
    return {f.id: _field_schema(f, item=item) for item, f in form.scalar_fields()}


def _tables(form: FormDef) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item, table in form.tables():
        columns: dict[str, Any] = {}
        for column in table.columns:
            if column.kind is Kind.PERIOD:
                columns.update(_period_columns(column))
            else:
                columns[column.id] = _field_schema(column)
        entry = {
            "type": "array",
            "title": _item_title(item),
            "items": {
                "type": "object",
                "title": table.row_label,
                "properties": columns,
                "additionalProperties": False,
            },
            "x-item": item.number,
            "x-headers": list(table.headers),
        }
        if item.help:
            entry["description"] = item.help
        out[table.id] = entry
    return out


def _relatives(form: FormDef) -> dict[str, Any]:
    rel_def = form.relatives()
    item = next(it for it in form.items() if it.relatives is rel_def)
    codes = "; ".join(f"{r.code} = {r.label} ({r.group})" for r in rel_def.relations)
    properties: dict[str, Any] = {
        "quan_he": {
            "type": "string",
            "title": _t("quan_he_title"),
            "description": _t("quan_he", codes=codes),
            "examples": [r.code for r in rel_def.relations],
        }
    }
    for field in rel_def.fields:
        schema = _field_schema(field)
        groups = _t("groups", groups=", ".join(field.groups))
        schema["description"] = f"{schema.get('description', '')} {groups}".strip()
        schema["x-groups"] = list(field.groups)
        properties[field.id] = schema
    return {
        "type": "array",
        "title": _item_title(item),
        "description": " ".join(x for x in (_t("relatives"), item.help) if x),
        "items": {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        },
        "x-item": item.number,
    }


def dossier_json_schema(form: FormDef | None = None) -> dict[str, Any]:
    """The dossier file's JSON Schema (draft 2020-12) with every form key documented."""
    form = form or load_form()
    schema = Dossier.model_json_schema()
    props = schema["properties"]
    answers, tables = props["answers"], props["tables"]
    answers.update(description=_t("answers"), properties=_answers(form), additionalProperties=False)
    tables.update(description=_t("tables"), properties=_tables(form), additionalProperties=False)
    relatives = _relatives(form)
    props["relatives"].update(
        title=relatives.pop("title"), description=relatives.pop("description")
    )
    props["relatives"]["items"] = relatives["items"]
    props["relatives"]["x-item"] = relatives["x-item"]
    props["explanations"]["description"] = _t("explanations")
    schema["$defs"]["DossierMeta"]["description"] = _t("meta")
    props["form_version"]["examples"] = [form.form_version]
    return {
        "$schema": SCHEMA_DIALECT,
        "title": _t("title"),
        "description": _t("description"),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def dossier_json_schema_text(form: FormDef | None = None) -> str:
    """The schema as committed in ``docs/dossier.schema.json`` (stable key order, UTF-8)."""
    return json.dumps(dossier_json_schema(form), ensure_ascii=False, indent=2) + "\n"
