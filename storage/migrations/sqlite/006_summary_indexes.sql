-- Secretaries' summary speed (issue 5): indexes shaped like the summary's queries, so that a
-- summary over 100 000 dossiers reads short index ranges instead of sorting whole tables.
-- (bench/bench_summary.py measures it.)

-- Counts per unit and stage stream out of this index in GROUP BY order, without a sort.
DROP INDEX dossier_progress_unit;
CREATE INDEX dossier_progress_unit ON dossier_progress(unit_id, phase, review_level);

-- Admissions in a year (and a term): a range of decision dates.
CREATE INDEX dossier_progress_decision ON dossier_progress(decision_d, unit_id, status);

-- One partial index per overdue clock: the clock's open items, by the day the clock started.
CREATE INDEX dossier_progress_clock_decision ON dossier_progress(chi_bo_d, phase, unit_id)
    WHERE decision_d IS NULL;
CREATE INDEX dossier_progress_clock_ceremony ON dossier_progress(decision_d, phase, unit_id)
    WHERE ceremony_d IS NULL;
CREATE INDEX dossier_progress_clock_certificate ON dossier_progress(cert_d, phase, unit_id)
    WHERE chi_bo_d IS NULL;
CREATE INDEX dossier_progress_clock_age ON dossier_progress(opened_d, phase, unit_id)
    WHERE chi_bo_d IS NULL;
CREATE INDEX dossier_progress_clock_probation ON dossier_progress(ceremony_d, phase, unit_id)
    WHERE official_d IS NULL;
CREATE INDEX dossier_progress_clock_idle ON dossier_progress(updated_d, unit_id)
    WHERE status = 'draft';

-- Quality: returns of approved dossiers.
CREATE INDEX dossier_progress_returns ON dossier_progress(returns, unit_id, status)
    WHERE approved_d IS NOT NULL;

-- Stage durations over the last 12 months: (end of the stage, its start, unit, status).
CREATE INDEX dossier_progress_dur_khai ON dossier_progress(first_submitted_d, opened_d, unit_id, status);
CREATE INDEX dossier_progress_dur_xet ON dossier_progress(approved_d, first_submitted_d, unit_id, status);
CREATE INDEX dossier_progress_dur_viet ON dossier_progress(handwritten_d, approved_d, unit_id, status);
CREATE INDEX dossier_progress_dur_chibo ON dossier_progress(chi_bo_d, handwritten_d, unit_id, status);
CREATE INDEX dossier_progress_dur_danguy ON dossier_progress(dang_uy_d, chi_bo_d, unit_id, status);
CREATE INDEX dossier_progress_dur_qd ON dossier_progress(decision_d, dang_uy_d, unit_id, status);
CREATE INDEX dossier_progress_dur_kn ON dossier_progress(ceremony_d, decision_d, unit_id, status);
CREATE INDEX dossier_progress_dur_ct ON dossier_progress(official_d, ceremony_d, unit_id, status);

-- Dossiers whose cached flag list is older than their content.
CREATE INDEX dossier_progress_flags_stale ON dossier_progress(dossier_id)
    WHERE phase NOT IN ('draft', 'deleted') AND flags_revision IS NOT revision;

-- Verifications carry their dossier's unit, so the clock is one index range.
ALTER TABLE verifications ADD COLUMN unit_id INTEGER;
UPDATE verifications SET unit_id = (
    SELECT p.unit_id FROM dossier_progress p WHERE p.dossier_id = verifications.dossier_id);
DROP INDEX verifications_pending;
CREATE INDEX verifications_pending ON verifications(sent_d, abroad, unit_id)
    WHERE returned_d IS NULL;
CREATE INDEX verifications_returned ON verifications(returned_d, sent_d, unit_id);

-- Flags by rule first: "most frequent flags" streams in rule order, without a sort.
-- (The delete trigger of 005 names the table: dropped here, recreated below.)
DROP TRIGGER dossier_progress_delete;
CREATE TABLE dossier_flags_by_rule (
    rule        TEXT NOT NULL,
    unit_id     INTEGER NOT NULL,   -- 0 when the dossier has no unit
    dossier_id  INTEGER NOT NULL,
    severity    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (rule, unit_id, dossier_id)
) WITHOUT ROWID;
INSERT INTO dossier_flags_by_rule (rule, unit_id, dossier_id, severity)
SELECT f.rule, coalesce(p.unit_id, 0), f.dossier_id, f.severity
FROM dossier_flags f JOIN dossier_progress p ON p.dossier_id = f.dossier_id;
DROP TABLE dossier_flags;
ALTER TABLE dossier_flags_by_rule RENAME TO dossier_flags;
CREATE INDEX dossier_flags_dossier ON dossier_flags(dossier_id);

-- A dossier that moves to another unit takes its derived rows along; a deleted one drops them.
CREATE TRIGGER dossier_progress_unit_moved AFTER UPDATE OF unit_id ON dossiers
WHEN NEW.unit_id IS NOT OLD.unit_id BEGIN
    UPDATE verifications SET unit_id = NEW.unit_id WHERE dossier_id = NEW.id;
    UPDATE dossier_flags SET unit_id = coalesce(NEW.unit_id, 0) WHERE dossier_id = NEW.id;
END;

CREATE TRIGGER dossier_progress_erased AFTER UPDATE OF status ON dossiers
WHEN NEW.status = 'deleted' BEGIN
    DELETE FROM verifications WHERE dossier_id = NEW.id;
    DELETE FROM dossier_flags WHERE dossier_id = NEW.id;
END;

CREATE TRIGGER dossier_progress_delete AFTER DELETE ON dossiers BEGIN
    DELETE FROM dossier_progress WHERE dossier_id = OLD.id;
    DELETE FROM verifications WHERE dossier_id = OLD.id;
    DELETE FROM dossier_flags WHERE dossier_id = OLD.id;
END;
