-- Secretaries (issue 5): cheaper triggers for dossier_progress.
--
-- The single update trigger of 005 rewrote every copied column on every answer, and SQLite
-- rewrites an index entry whenever a column of that index is SET, equal or not: with the
-- summary's indexes of 006 that tripled the cost of saving an answer. These triggers write a
-- column only when its value changes, and the status columns only when the status moves.

DROP TRIGGER dossier_progress_update;

-- Every change: the revision (flag cache staleness) and the local day of the last change.
CREATE TRIGGER dossier_progress_touch AFTER UPDATE ON dossiers BEGIN
    INSERT OR IGNORE INTO dossier_progress (dossier_id, status) VALUES (NEW.id, NEW.status);
    UPDATE dossier_progress SET revision = NEW.revision
    WHERE dossier_id = NEW.id AND revision IS NOT NEW.revision;
    UPDATE dossier_progress
    SET updated_d = CAST(julianday(date(NEW.updated_at, '+7 hours')) - 2440587.5 AS INTEGER)
    WHERE dossier_id = NEW.id AND updated_d IS NOT
        CAST(julianday(date(NEW.updated_at, '+7 hours')) - 2440587.5 AS INTEGER);
END;

-- Status, level, unit and the submission/approval days: only when one of them moves.
CREATE TRIGGER dossier_progress_state AFTER UPDATE ON dossiers
WHEN NEW.status IS NOT OLD.status OR NEW.review_level IS NOT OLD.review_level
    OR NEW.unit_id IS NOT OLD.unit_id OR NEW.submitted_at IS NOT OLD.submitted_at
    OR NEW.approved_at IS NOT OLD.approved_at
BEGIN
    UPDATE dossier_progress SET
        unit_id = NEW.unit_id,
        status = NEW.status,
        review_level = NEW.review_level,
        submitted_d = CAST(julianday(date(NEW.submitted_at, '+7 hours')) - 2440587.5 AS INTEGER),
        first_submitted_d = coalesce(
            first_submitted_d,
            CAST(julianday(date(NEW.submitted_at, '+7 hours')) - 2440587.5 AS INTEGER)),
        approved_d = CAST(julianday(date(NEW.approved_at, '+7 hours')) - 2440587.5 AS INTEGER)
    WHERE dossier_id = NEW.id;
END;

-- What the summary reads from the content: each column only when its value changes.
CREATE TRIGGER dossier_progress_content AFTER UPDATE OF content ON dossiers
WHEN NEW.content IS NOT OLD.content AND json_valid(NEW.content)
BEGIN
    UPDATE dossier_progress
    SET full_name = coalesce(json_extract(NEW.content, '$.answers.ho_ten'), '')
    WHERE dossier_id = NEW.id
        AND full_name IS NOT coalesce(json_extract(NEW.content, '$.answers.ho_ten'), '');
    UPDATE dossier_progress SET opened_d = coalesce(
            CASE WHEN date(json_extract(NEW.content, '$.meta.dossier_opened'))
                      = json_extract(NEW.content, '$.meta.dossier_opened')
            THEN CAST(julianday(json_extract(NEW.content, '$.meta.dossier_opened'))
                      - 2440587.5 AS INTEGER) END,
            CAST(julianday(date(NEW.opened_at, '+7 hours')) - 2440587.5 AS INTEGER))
    WHERE dossier_id = NEW.id AND opened_d IS NOT coalesce(
            CASE WHEN date(json_extract(NEW.content, '$.meta.dossier_opened'))
                      = json_extract(NEW.content, '$.meta.dossier_opened')
            THEN CAST(julianday(json_extract(NEW.content, '$.meta.dossier_opened'))
                      - 2440587.5 AS INTEGER) END,
            CAST(julianday(date(NEW.opened_at, '+7 hours')) - 2440587.5 AS INTEGER));
    UPDATE dossier_progress SET cert_d = c.d
    FROM (SELECT CASE WHEN v GLOB '[0-3][0-9]/[01][0-9]/[12][0-9][0-9][0-9]'
                     AND date(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2))
                         = substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2)
                THEN CAST(julianday(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-'
                                    || substr(v, 1, 2)) - 2440587.5 AS INTEGER) END AS d
          FROM (SELECT json_extract(NEW.content, '$.answers.ngay_chung_nhan_ntvd') AS v)) AS c
    WHERE dossier_id = NEW.id AND cert_d IS NOT c.d;
END;

-- Content that is not JSON (never written by storage.core) clears the content columns.
CREATE TRIGGER dossier_progress_content_invalid AFTER UPDATE OF content ON dossiers
WHEN NEW.content IS NOT OLD.content AND NOT json_valid(NEW.content)
BEGIN
    UPDATE dossier_progress SET full_name = '', cert_d = NULL WHERE dossier_id = NEW.id;
END;
