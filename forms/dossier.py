"""A candidate's dossier: the answers to the form, as canonical text.

Every stored value is the text exactly as it should be copied into the booklet
("15/08/1997", "09/2019", "nay", "không"). Typed views (dates, months) are derived by the
parsers when checks need them, so the JSON file, the database and the document never
disagree about what was answered.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from forms.definition import CURRENT_VERSION, load_form
from forms.model import FieldDef, FormDef, Kind
from forms.vn import clean_text

Row = dict[str, str]


class DossierMeta(BaseModel):
    """Dates the organisation knows (not asked of the candidate)."""

    model_config = ConfigDict(extra="forbid")

    dossier_opened: date | None = Field(default=None, description="ngày mở hồ sơ (P3: 12 tháng)")
    chi_bo_meeting: date | None = Field(
        default=None,
        description="ngày chi bộ họp xét kết nạp, nếu đã biết (X1, P2 tính theo ngày này)",
    )


class Dossier(BaseModel):
    """The JSON form of a dossier: ``answers`` by field id, ``tables`` by table id, relatives."""

    model_config = ConfigDict(extra="forbid")

    form_version: str = CURRENT_VERSION
    meta: DossierMeta = Field(default_factory=DossierMeta)
    answers: dict[str, str] = Field(
        default_factory=dict, description="scalar fields by id (see the form definition)"
    )
    tables: dict[str, list[Row]] = Field(
        default_factory=dict, description="table rows by table id; a period fills tu/den"
    )
    relatives: list[Row] = Field(
        default_factory=list, description="item (21): one block per person, 'quan_he' = code"
    )
    explanations: dict[str, str] = Field(
        default_factory=dict, description="candidate's explanation per warning key"
    )

    def value(self, field_id: str) -> str:
        return self.answers.get(field_id, "")

    def rows(self, table_id: str) -> list[Row]:
        return self.tables.get(table_id, [])

    def relatives_of(self, *codes: str) -> list[Row]:
        return [r for r in self.relatives if r.get("quan_he") in codes]

    @classmethod
    def from_json(cls, text: str | bytes) -> Dossier:
        """A dossier file's text, read as :func:`read_dossier` reads its data."""
        return read_dossier(json.loads(text))

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_defaults=False)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# --- reading a dossier file ------------------------------------------------------------------
# A file is an entry path like the chat: its text is cleaned by the same function as a typed
# answer, and a key the form does not know (a typo such as "ho_tenn") is an error instead of
# an answer silently dropped from the checks and the document.


def read_dossier(data: object) -> Dossier:
    """The dossier in a file's JSON ``data``: every string cleaned (NFC; no bidi overrides,
    zero-width or control characters; blank lines removed from long texts), every key
    checked against the form. Raises pydantic's ``ValidationError`` (``extra_forbidden`` for
    an unknown key)."""
    cleaned = _cleaned(data)
    _file_model(_version(cleaned)).model_validate(cleaned)
    return Dossier.model_validate(cleaned)


def _version(data: object) -> str:
    version = data.get("form_version") if isinstance(data, dict) else None
    try:
        load_form(version) if isinstance(version, str) else None
    except KeyError:
        return CURRENT_VERSION  # the caller reports the unknown version
    return version if isinstance(version, str) else CURRENT_VERSION


def _multiline(fields: tuple[FieldDef, ...] | list[FieldDef]) -> frozenset[str]:
    return frozenset(f.id for f in fields if f.kind is Kind.LONG_TEXT)


def _text(value: object, multiline: bool) -> object:
    return clean_text(value, multiline=multiline) if isinstance(value, str) else value


def _row(row: object, long: frozenset[str]) -> object:
    if not isinstance(row, dict):
        return row
    return {k: _text(v, k in long) for k, v in row.items()}


def _cleaned(data: object) -> object:
    """``data`` with its strings cleaned as the chat cleans a typed answer."""
    if not isinstance(data, dict):
        return data
    form = load_form(_version(data))
    out = dict(data)
    answers = out.get("answers")
    if isinstance(answers, dict):
        long = _multiline([f for _, f in form.scalar_fields()])
        out["answers"] = {k: _text(v, k in long) for k, v in answers.items()}
    tables = out.get("tables")
    if isinstance(tables, dict):
        out["tables"] = {
            t: [_row(r, _table_long(form, t)) for r in rows] if isinstance(rows, list) else rows
            for t, rows in tables.items()
        }
    relatives = out.get("relatives")
    if isinstance(relatives, list):
        long = _multiline(list(form.relatives().fields))
        out["relatives"] = [_row(r, long) for r in relatives]
    explanations = out.get("explanations")
    if isinstance(explanations, dict):
        out["explanations"] = {k: _text(v, True) for k, v in explanations.items()}
    return out


def _table_long(form: FormDef, table_id: str) -> frozenset[str]:
    try:
        return _multiline(list(form.table(str(table_id)).columns))
    except KeyError:
        return frozenset()


_STRICT = ConfigDict(extra="forbid")


def _strict(name: str, keys: list[str]) -> type[BaseModel]:
    """A model accepting exactly ``keys``, each an optional string."""
    fields: dict[str, Any] = {key: (str, "") for key in dict.fromkeys(keys)}
    return create_model(name, __config__=_STRICT, **fields)


@cache
def _file_model(version: str) -> type[BaseModel]:
    """The dossier file's shape with the form's keys only (``extra="forbid"`` at each level):
    answers by scalar field id, tables by table id with their columns' storage keys,
    relatives with ``quan_he`` and the relative fields."""
    form = load_form(version)
    answers = _strict("Answers", [f.id for _, f in form.scalar_fields()])
    tables: dict[str, Any] = {}
    for _, table in form.tables():
        keys = [k for col in table.columns for k in col.storage_keys()]
        tables[table.id] = (list[_strict(f"Row_{table.id}", keys)], [])  # type: ignore[misc]
    relative = _strict("Relative", ["quan_he", *(f.id for f in form.relatives().fields)])
    return create_model(
        "DossierFile",
        __config__=_STRICT,
        form_version=(str, CURRENT_VERSION),
        meta=(DossierMeta, DossierMeta()),
        answers=(answers, answers()),
        tables=(create_model("Tables", __config__=_STRICT, **tables), None),
        relatives=(list[relative], []),  # type: ignore[valid-type]
        explanations=(dict[str, str], {}),
    )
