"""Today's repositories on a database of an older schema (the upgrade tests): the columns
today's code reads, given to the old database as the code of its time would have kept them,
and taken away again before the real migrations continue."""

from __future__ import annotations

import pytest

import storage.core

#: ``dossiers.content_revision`` (047): the revision the stored content is the dossier at.
CONTENT_REVISION = "ALTER TABLE dossiers ADD COLUMN content_revision INTEGER NOT NULL DEFAULT 0;\n"
#: Takes it away again: 014 copies ``dossiers`` column for column, and 047 adds it itself.
WITHOUT_CONTENT_REVISION = "ALTER TABLE dossiers DROP COLUMN content_revision"


def whole_content_per_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every answer writes the whole content, as before 047: the column can then be dropped
    with nothing lost (047 starts each snapshot at the dossier's revision)."""
    monkeypatch.setattr(storage.core, "SNAPSHOT_EVERY", 1)
