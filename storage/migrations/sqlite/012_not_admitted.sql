-- Secretaries (issue 11, lifecycle exits): a unit records "không kết nạp" for a dossier after
-- approval (a step in stage_events, written with who and when, and an audit row). The dossier
-- then leaves the pipeline: its phase is 'not_admitted', which no open list, clock or
-- reminder reads, and the summary counts it apart. A dossier its candidate withdrew (status
-- 'withdrawn', migration 014) leaves it too, whatever steps it had: phase 'withdrawn'.
--
-- `phase` is a STORED generated column and SQLite cannot change its expression in place, so
-- the table is rebuilt under its own name: copied aside, created again with the new column
-- and expression, copied back, and its indexes (006, 009) created again as they were. No
-- trigger is involved: since migration 010 the row is written from Python (storage/progress.py,
-- and `not_admitted_d` by storage/stages/records.py, which folds the steps). A VIRTUAL phase
-- would avoid the copy but made the summary's phase counts read every row again (measured:
-- 18 → 31 ms over 100 000 dossiers).
CREATE TABLE dossier_progress_copy AS SELECT
    dossier_id, unit_id, status, review_level, revision, full_name, opened_d, updated_d,
    first_submitted_d, submitted_d, approved_d, cert_d, returns, handwritten_d, verif_sent,
    verif_pending, verif_done_d, chi_bo_d, dang_uy_d, decision_d, ceremony_d, official_d,
    flags_revision, birth_d
FROM dossier_progress;
DROP TABLE dossier_progress;

CREATE TABLE dossier_progress (
    dossier_id         INTEGER PRIMARY KEY,
    unit_id            INTEGER,
    status             TEXT NOT NULL,
    review_level       INTEGER,
    revision           INTEGER NOT NULL DEFAULT 0,
    full_name          TEXT NOT NULL DEFAULT '',
    opened_d           INTEGER,     -- meta.dossier_opened, else opened_at
    updated_d          INTEGER,     -- last change by anyone (idle candidates)
    first_submitted_d  INTEGER,
    submitted_d        INTEGER,
    approved_d         INTEGER,
    cert_d             INTEGER,     -- certificate 'nhận thức về Đảng' (item 91)
    returns            INTEGER NOT NULL DEFAULT 0,
    handwritten_d      INTEGER,
    verif_sent         INTEGER NOT NULL DEFAULT 0,
    verif_pending      INTEGER NOT NULL DEFAULT 0,
    verif_done_d       INTEGER,     -- last reply, when none is pending
    chi_bo_d           INTEGER,
    dang_uy_d          INTEGER,
    decision_d         INTEGER,
    ceremony_d         INTEGER,
    official_d         INTEGER,
    flags_revision     INTEGER,     -- revision the cached flag list was computed on
    birth_d            INTEGER,     -- 009: the candidate's date of birth
    not_admitted_d     INTEGER,     -- 011: the day the unit decided not to admit
    phase TEXT GENERATED ALWAYS AS (CASE
        WHEN status = 'deleted' THEN 'deleted'
        WHEN status = 'withdrawn' THEN 'withdrawn'
        WHEN not_admitted_d IS NOT NULL THEN 'not_admitted'
        WHEN official_d IS NOT NULL THEN 'official'
        WHEN ceremony_d IS NOT NULL THEN 'probation'
        WHEN decision_d IS NOT NULL THEN 'decided'
        WHEN dang_uy_d IS NOT NULL THEN 'dang_uy'
        WHEN chi_bo_d IS NOT NULL THEN 'chi_bo'
        WHEN status <> 'approved' THEN status
        WHEN verif_pending > 0 THEN 'verifying'
        WHEN verif_sent > 0 THEN 'verified'
        WHEN handwritten_d IS NOT NULL THEN 'handwritten'
        ELSE 'approved' END) STORED
);
INSERT INTO dossier_progress (
    dossier_id, unit_id, status, review_level, revision, full_name, opened_d, updated_d,
    first_submitted_d, submitted_d, approved_d, cert_d, returns, handwritten_d, verif_sent,
    verif_pending, verif_done_d, chi_bo_d, dang_uy_d, decision_d, ceremony_d, official_d,
    flags_revision, birth_d)
SELECT * FROM dossier_progress_copy;
DROP TABLE dossier_progress_copy;

-- The not-admitted dossiers already recorded (none before this migration; kept for a rerun).
UPDATE dossier_progress SET not_admitted_d = (
    SELECT CAST(julianday(min(e.happened_on)) - 2440587.5 AS INTEGER) FROM stage_events e
    WHERE e.dossier_id = dossier_progress.dossier_id AND e.stage = 'khong_ket_nap')
WHERE dossier_id IN (SELECT dossier_id FROM stage_events WHERE stage = 'khong_ket_nap');

-- The indexes of 006 and 009, as they were.
CREATE INDEX dossier_progress_unit ON dossier_progress(unit_id, phase, review_level);
CREATE INDEX dossier_progress_decision ON dossier_progress(decision_d, unit_id, status);
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
CREATE INDEX dossier_progress_returns ON dossier_progress(returns, unit_id, status)
    WHERE approved_d IS NOT NULL;
CREATE INDEX dossier_progress_dur_khai ON dossier_progress(first_submitted_d, opened_d, unit_id, status);
CREATE INDEX dossier_progress_dur_xet ON dossier_progress(approved_d, first_submitted_d, unit_id, status);
CREATE INDEX dossier_progress_dur_viet ON dossier_progress(handwritten_d, approved_d, unit_id, status);
CREATE INDEX dossier_progress_dur_chibo ON dossier_progress(chi_bo_d, handwritten_d, unit_id, status);
CREATE INDEX dossier_progress_dur_danguy ON dossier_progress(dang_uy_d, chi_bo_d, unit_id, status);
CREATE INDEX dossier_progress_dur_qd ON dossier_progress(decision_d, dang_uy_d, unit_id, status);
CREATE INDEX dossier_progress_dur_kn ON dossier_progress(ceremony_d, decision_d, unit_id, status);
CREATE INDEX dossier_progress_dur_ct ON dossier_progress(official_d, ceremony_d, unit_id, status);
CREATE INDEX dossier_progress_flags_stale ON dossier_progress(dossier_id)
    WHERE phase NOT IN ('draft', 'deleted') AND flags_revision IS NOT revision;
CREATE INDEX dossier_progress_young ON dossier_progress(birth_d, unit_id)
    WHERE chi_bo_d IS NULL AND approved_d IS NOT NULL AND birth_d IS NOT NULL;
