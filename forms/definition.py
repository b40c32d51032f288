"""Load the form definition file once and expose it as :class:`forms.model.FormDef`.

The file is package data (``forms/data/*.toml``), read through :mod:`importlib.resources`.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from forms.model import FormDef

DATA_DIR: Traversable = files("forms") / "data"
CURRENT_VERSION = "HD38-2025"
_FILES = {"HD38-2025": "mau_2knd_hd38.toml"}


@cache
def load_form(version: str = CURRENT_VERSION) -> FormDef:
    """The form of ``version``; validated by pydantic so a typo in the data fails loudly."""
    raw = tomllib.loads((DATA_DIR / _FILES[version]).read_text(encoding="utf-8"))
    form = FormDef.model_validate(raw)
    _check_unique_ids(form)
    return form


def _check_unique_ids(form: FormDef) -> None:
    seen: set[str] = set()
    for item in form.items():
        ids = [f.id for f in item.fields] + ([item.table.id] if item.table else [])
        for field_id in ids:
            if field_id in seen:
                raise ValueError(f"duplicate field id {field_id!r} in the form definition")
            seen.add(field_id)
