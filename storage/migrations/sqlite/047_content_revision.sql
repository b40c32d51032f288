-- An answer writes what changed, not the whole dossier (issue 17). `content` becomes a
-- snapshot of the dossier as of `content_revision`; the answers after it are the rows of
-- answer_revisions, applied to the snapshot when the dossier is read (storage/core.py
-- `Dossiers`). An answer updates only `revision` and `updated_at`; the snapshot is written
-- again every few revisions and whenever the dossier leaves the draft.
-- The table is rebuilt (as 014 did: copied aside under deferred foreign keys, created
-- again, copied back) to put `content` LAST: an UPDATE that leaves the row's size as it was
-- is written over the old row, page by page, and only the pages whose bytes changed are
-- written (SQLite's overwrite of a cell). The small columns an answer changes then sit in
-- the row's first page, before the ~10 KB of JSON, whose overflow pages stay untouched;
-- with `content` in the middle, `updated_at` sat on the row's last overflow page.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE dossiers_copy AS SELECT * FROM dossiers;
DROP TABLE dossiers;
CREATE TABLE dossiers (
    id                INTEGER PRIMARY KEY,
    person_id         INTEGER NOT NULL REFERENCES people(id),
    unit_id           INTEGER REFERENCES units(id),
    form_version      TEXT NOT NULL,
    revision          INTEGER NOT NULL DEFAULT 0,
    status            TEXT NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'submitted', 'returned', 'approved',
                                        'withdrawn', 'deleted')),
    review_level      INTEGER,            -- level currently reviewing (when submitted)
    opened_at         TEXT NOT NULL,
    submitted_at      TEXT,
    approved_at       TEXT,
    locked            INTEGER NOT NULL DEFAULT 0,
    updated_at        TEXT NOT NULL,
    content_revision  INTEGER NOT NULL DEFAULT 0,  -- the revision `content` is the dossier at
    content           TEXT NOT NULL                -- JSON of forms.dossier.Dossier
);
INSERT INTO dossiers (id, person_id, unit_id, form_version, revision, status, review_level,
                      opened_at, submitted_at, approved_at, locked, updated_at,
                      content_revision, content)
    SELECT id, person_id, unit_id, form_version, revision, status, review_level, opened_at,
           submitted_at, approved_at, locked, updated_at, revision, content
    FROM dossiers_copy;
DROP TABLE dossiers_copy;
CREATE INDEX dossiers_person ON dossiers(person_id);
CREATE INDEX dossiers_unit_status ON dossiers(unit_id, status);
