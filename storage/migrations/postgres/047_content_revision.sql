-- An answer writes what changed, not the whole dossier (issue 17; SQLite's 047 says why).
-- `content` becomes a snapshot of the dossier as of `content_revision`; the later answers
-- are the rows of answer_revisions (storage/core.py `Dossiers`). On PostgreSQL an UPDATE
-- that leaves `content` alone keeps its TOAST value: the ~10 KB of JSON is not written again.
ALTER TABLE dossiers ADD COLUMN content_revision BIGINT NOT NULL DEFAULT 0;
UPDATE dossiers SET content_revision = revision;
