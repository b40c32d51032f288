"""A candidate's dossier: the answers to the form, as canonical text.

Every stored value is the text exactly as it should be copied into the booklet
("15/08/1997", "09/2019", "nay", "không"). Typed views (dates, months) are derived by the
parsers when checks need them, so the JSON file, the database and the document never
disagree about what was answered.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from forms.definition import CURRENT_VERSION

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
        return cls.model_validate_json(text)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_defaults=False)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")
