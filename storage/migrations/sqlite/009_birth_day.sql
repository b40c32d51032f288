-- Secretaries: the candidate's date of birth (item (3)) as a day number, so the summary can
-- name approved candidates not yet 18 — the age condition is 18 years counted in months on
-- the day the chi bộ considers the case (domain notes §3.1, rule X1) — without reading JSON.

ALTER TABLE dossier_progress ADD COLUMN birth_d INTEGER;

-- A new progress row (written by the insert trigger of 005): its dossier's date of birth.
CREATE TRIGGER dossier_progress_birth_new AFTER INSERT ON dossier_progress BEGIN
    UPDATE dossier_progress SET birth_d = (
        SELECT CASE WHEN v GLOB '[0-3][0-9]/[01][0-9]/[12][0-9][0-9][0-9]'
                     AND date(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2))
                         = substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2)
                THEN CAST(julianday(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-'
                                    || substr(v, 1, 2)) - 2440587.5 AS INTEGER) END
        FROM (SELECT CASE WHEN json_valid(d.content)
                     THEN json_extract(d.content, '$.answers.ngay_sinh') END AS v
              FROM dossiers d WHERE d.id = NEW.dossier_id))
    WHERE dossier_id = NEW.dossier_id;
END;

-- Content changes: only when the date of birth changes (see 007 on index writes).
CREATE TRIGGER dossier_progress_birth AFTER UPDATE OF content ON dossiers
WHEN NEW.content IS NOT OLD.content
BEGIN
    UPDATE dossier_progress SET birth_d = c.d
    FROM (SELECT CASE WHEN v GLOB '[0-3][0-9]/[01][0-9]/[12][0-9][0-9][0-9]'
                     AND date(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2))
                         = substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2)
                THEN CAST(julianday(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-'
                                    || substr(v, 1, 2)) - 2440587.5 AS INTEGER) END AS d
          FROM (SELECT CASE WHEN json_valid(NEW.content)
                       THEN json_extract(NEW.content, '$.answers.ngay_sinh') END AS v)) AS c
    WHERE dossier_id = NEW.id AND birth_d IS NOT c.d;
END;

-- Approved candidates whose chi bộ has not voted yet, by date of birth (the youngest last).
CREATE INDEX dossier_progress_young ON dossier_progress(birth_d, unit_id)
    WHERE chi_bo_d IS NULL AND approved_d IS NOT NULL AND birth_d IS NOT NULL;

-- Dossiers that existed before this migration.
UPDATE dossier_progress SET birth_d = (
    SELECT CASE WHEN v GLOB '[0-3][0-9]/[01][0-9]/[12][0-9][0-9][0-9]'
                 AND date(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2))
                     = substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2)
            THEN CAST(julianday(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-'
                                || substr(v, 1, 2)) - 2440587.5 AS INTEGER) END
    FROM (SELECT CASE WHEN json_valid(d.content)
                 THEN json_extract(d.content, '$.answers.ngay_sinh') END AS v
          FROM dossiers d WHERE d.id = dossier_progress.dossier_id));
