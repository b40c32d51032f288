"""The dossier file's JSON Schema: committed copy up to date, every form key documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forms.definition import load_form
from forms.model import Kind
from forms.schema import dossier_json_schema, dossier_json_schema_text
from tests.samples import SAMPLE_PATHS

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "docs" / "dossier.schema.json"
FORM = load_form()


def test_committed_schema_equals_a_fresh_export() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == dossier_json_schema_text(), (
        "docs/dossier.schema.json is stale: run `python -m bot schema > docs/dossier.schema.json`"
    )


def test_every_answer_table_and_relative_key_is_documented() -> None:
    schema = dossier_json_schema()
    props = schema["properties"]
    answers = props["answers"]["properties"]
    for item, field in FORM.scalar_fields():
        entry = answers[field.id]
        assert entry["title"] == field.label
        assert entry["x-item"] == item.number
        if field.help:
            assert field.help in entry["description"]
    tables = props["tables"]["properties"]
    for item, table in FORM.tables():
        entry = tables[table.id]
        assert item.label in entry["title"]
        assert entry["x-headers"] == list(table.headers)
        columns = entry["items"]["properties"]
        for column in table.columns:
            for key in column.storage_keys():
                assert key in columns
                if column.kind is not Kind.PERIOD:
                    assert columns[key]["title"] == column.label
    relatives = props["relatives"]["items"]["properties"]
    rel_def = FORM.relatives()
    for field in rel_def.fields:
        assert relatives[field.id]["title"] == field.label
        assert relatives[field.id]["x-groups"] == list(field.groups)
    for relation in rel_def.relations:
        assert relation.code in relatives["quan_he"]["examples"]


def test_schema_accepts_what_the_loader_accepts_and_rejects_the_rest() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = dossier_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in SAMPLE_PATHS.values():
        assert list(validator.iter_errors(json.loads(path.read_text(encoding="utf-8")))) == []
    assert not validator.is_valid({"answers": {"ho_ten": 12}})
    assert not validator.is_valid({"answers": {}, "unknown": 1})
    assert not validator.is_valid({"relatives": [{"ho_ten": None}]})
    assert not validator.is_valid({"tables": {"cong_tac": [{"tu": ["09/2019"]}]}})
    # content is the checks' business: a blank religion is structurally fine
    assert validator.is_valid({"answers": {"ton_giao": ""}})
