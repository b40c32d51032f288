-- Lifecycle exits (issue 11): a candidate may withdraw their dossier at any status
-- ('withdrawn', admission/lifecycle.py: Move.WITHDRAW); it is erased after the retention
-- period (admission/retention.py). SQLite cannot change a CHECK constraint in place, so
-- `dossiers` is rebuilt under its own name: copied aside, created again with the new list of
-- statuses, copied back, its indexes created again as 001 wrote them. The tables that
-- reference dossiers(id) keep naming it; with the foreign keys deferred until the commit,
-- the rows dropped with the old table are found again in the new one (same ids), so no
-- constraint is left violated. No trigger is on `dossiers` since migration 010.
PRAGMA defer_foreign_keys = ON;
CREATE TABLE dossiers_copy AS SELECT * FROM dossiers;
DROP TABLE dossiers;
CREATE TABLE dossiers (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES people(id),
    unit_id       INTEGER REFERENCES units(id),
    form_version  TEXT NOT NULL,
    content       TEXT NOT NULL,
    revision      INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'submitted', 'returned', 'approved', 'withdrawn',
                                    'deleted')),
    review_level  INTEGER,            -- level currently reviewing (when submitted)
    opened_at     TEXT NOT NULL,
    submitted_at  TEXT,
    approved_at   TEXT,
    locked        INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT NOT NULL
);
INSERT INTO dossiers SELECT * FROM dossiers_copy;
DROP TABLE dossiers_copy;
CREATE INDEX dossiers_person ON dossiers(person_id);
CREATE INDEX dossiers_unit_status ON dossiers(unit_id, status);
