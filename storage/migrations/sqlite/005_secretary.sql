-- Secretaries' summaries (issue 5): derived tables kept up to date at write time so that a
-- summary over 100 000 dossiers is integer aggregation in SQL, never JSON parsing.
--
-- Dates in these tables are DAY NUMBERS: whole days since 1970-01-01, local calendar date in
-- Asia/Ho_Chi_Minh (UTC+7, no daylight saving; timestamps are shifted by +7 hours).
-- Python: handlers.workdays.day_number(date).

-- One narrow row per dossier. The dossier columns are copied by triggers on `dossiers` and
-- `review_decisions` (whoever writes them); the stage columns are written by
-- storage.stages.Stages.write_progress() from stage_events in the same transaction.
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
    phase TEXT GENERATED ALWAYS AS (CASE
        WHEN status = 'deleted' THEN 'deleted'
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
CREATE INDEX dossier_progress_unit ON dossier_progress(unit_id, phase);

-- One row per person verified (thẩm tra): sent, and returned when the reply came.
CREATE TABLE verifications (
    id          INTEGER PRIMARY KEY,
    dossier_id  INTEGER NOT NULL,
    person      TEXT NOT NULL,
    abroad      INTEGER NOT NULL DEFAULT 0,
    sent_d      INTEGER NOT NULL,
    returned_d  INTEGER
);
CREATE INDEX verifications_dossier ON verifications(dossier_id);
CREATE INDEX verifications_pending ON verifications(sent_d) WHERE returned_d IS NULL;

-- A unit's term target (nhiệm kỳ), e.g. 750 new members in 2025–2030.
CREATE TABLE term_targets (
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    start_year  INTEGER NOT NULL,
    end_year    INTEGER NOT NULL,
    target      INTEGER NOT NULL,
    set_by      INTEGER REFERENCES people(id),
    set_at      TEXT NOT NULL,
    PRIMARY KEY (unit_id, start_year)
) WITHOUT ROWID;

-- Flags (rule ids of forms.checks) found on a dossier's current revision, cached per
-- revision so "most frequent flags" is a GROUP BY.
CREATE TABLE dossier_flags (
    dossier_id  INTEGER NOT NULL,
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (dossier_id, rule)
) WITHOUT ROWID;

CREATE TRIGGER dossier_progress_insert AFTER INSERT ON dossiers BEGIN
    INSERT INTO dossier_progress (dossier_id, unit_id, status, review_level, revision, full_name,
                                  opened_d, updated_d, first_submitted_d, submitted_d,
                                  approved_d, cert_d)
    VALUES (
        NEW.id, NEW.unit_id, NEW.status, NEW.review_level, NEW.revision,
        CASE WHEN json_valid(NEW.content)
             THEN coalesce(json_extract(NEW.content, '$.answers.ho_ten'), '') ELSE '' END,
        coalesce(
            CASE WHEN json_valid(NEW.content)
                 AND date(json_extract(NEW.content, '$.meta.dossier_opened'))
                     = json_extract(NEW.content, '$.meta.dossier_opened')
            THEN CAST(julianday(json_extract(NEW.content, '$.meta.dossier_opened'))
                      - 2440587.5 AS INTEGER) END,
            CAST(julianday(date(NEW.opened_at, '+7 hours')) - 2440587.5 AS INTEGER)),
        CAST(julianday(date(NEW.updated_at, '+7 hours')) - 2440587.5 AS INTEGER),
        CAST(julianday(date(NEW.submitted_at, '+7 hours')) - 2440587.5 AS INTEGER),
        CAST(julianday(date(NEW.submitted_at, '+7 hours')) - 2440587.5 AS INTEGER),
        CAST(julianday(date(NEW.approved_at, '+7 hours')) - 2440587.5 AS INTEGER),
        (SELECT CASE WHEN v GLOB '[0-3][0-9]/[01][0-9]/[12][0-9][0-9][0-9]'
                     AND date(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2))
                         = substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2)
                THEN CAST(julianday(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-'
                                    || substr(v, 1, 2)) - 2440587.5 AS INTEGER) END
         FROM (SELECT CASE WHEN json_valid(NEW.content)
                      THEN json_extract(NEW.content, '$.answers.ngay_chung_nhan_ntvd') END AS v))
    );
END;

CREATE TRIGGER dossier_progress_update AFTER UPDATE ON dossiers BEGIN
    INSERT OR IGNORE INTO dossier_progress (dossier_id, status) VALUES (NEW.id, NEW.status);
    UPDATE dossier_progress SET
        unit_id = NEW.unit_id,
        status = NEW.status,
        review_level = NEW.review_level,
        revision = NEW.revision,
        updated_d = CAST(julianday(date(NEW.updated_at, '+7 hours')) - 2440587.5 AS INTEGER),
        submitted_d = CAST(julianday(date(NEW.submitted_at, '+7 hours')) - 2440587.5 AS INTEGER),
        first_submitted_d = coalesce(
            first_submitted_d,
            CAST(julianday(date(NEW.submitted_at, '+7 hours')) - 2440587.5 AS INTEGER)),
        approved_d = CAST(julianday(date(NEW.approved_at, '+7 hours')) - 2440587.5 AS INTEGER)
    WHERE dossier_id = NEW.id;
    UPDATE dossier_progress SET
        full_name = CASE WHEN json_valid(NEW.content)
             THEN coalesce(json_extract(NEW.content, '$.answers.ho_ten'), '') ELSE '' END,
        opened_d = coalesce(
            CASE WHEN json_valid(NEW.content)
                 AND date(json_extract(NEW.content, '$.meta.dossier_opened'))
                     = json_extract(NEW.content, '$.meta.dossier_opened')
            THEN CAST(julianday(json_extract(NEW.content, '$.meta.dossier_opened'))
                      - 2440587.5 AS INTEGER) END,
            CAST(julianday(date(NEW.opened_at, '+7 hours')) - 2440587.5 AS INTEGER)),
        cert_d = (SELECT CASE WHEN v GLOB '[0-3][0-9]/[01][0-9]/[12][0-9][0-9][0-9]'
                     AND date(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2))
                         = substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2)
                THEN CAST(julianday(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-'
                                    || substr(v, 1, 2)) - 2440587.5 AS INTEGER) END
                  FROM (SELECT CASE WHEN json_valid(NEW.content)
                        THEN json_extract(NEW.content, '$.answers.ngay_chung_nhan_ntvd') END
                        AS v))
    WHERE dossier_id = NEW.id AND NEW.content IS NOT OLD.content;
END;

CREATE TRIGGER dossier_progress_delete AFTER DELETE ON dossiers BEGIN
    DELETE FROM dossier_progress WHERE dossier_id = OLD.id;
    DELETE FROM verifications WHERE dossier_id = OLD.id;
    DELETE FROM dossier_flags WHERE dossier_id = OLD.id;
END;

CREATE TRIGGER dossier_progress_return AFTER INSERT ON review_decisions
WHEN NEW.decision = 'return' BEGIN
    UPDATE dossier_progress SET returns = returns + 1 WHERE dossier_id = NEW.dossier_id;
END;

-- Dossiers that existed before this migration.
INSERT INTO dossier_progress (dossier_id, unit_id, status, review_level, revision, full_name,
                              opened_d, updated_d, first_submitted_d, submitted_d, approved_d,
                              cert_d, returns)
SELECT d.id, d.unit_id, d.status, d.review_level, d.revision,
       CASE WHEN json_valid(d.content)
            THEN coalesce(json_extract(d.content, '$.answers.ho_ten'), '') ELSE '' END,
       coalesce(
           CASE WHEN json_valid(d.content)
                AND date(json_extract(d.content, '$.meta.dossier_opened'))
                    = json_extract(d.content, '$.meta.dossier_opened')
           THEN CAST(julianday(json_extract(d.content, '$.meta.dossier_opened'))
                     - 2440587.5 AS INTEGER) END,
           CAST(julianday(date(d.opened_at, '+7 hours')) - 2440587.5 AS INTEGER)),
       CAST(julianday(date(d.updated_at, '+7 hours')) - 2440587.5 AS INTEGER),
       CAST(julianday(date(d.submitted_at, '+7 hours')) - 2440587.5 AS INTEGER),
       CAST(julianday(date(d.submitted_at, '+7 hours')) - 2440587.5 AS INTEGER),
       CAST(julianday(date(d.approved_at, '+7 hours')) - 2440587.5 AS INTEGER),
       (SELECT CASE WHEN v GLOB '[0-3][0-9]/[01][0-9]/[12][0-9][0-9][0-9]'
                    AND date(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2))
                        = substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-' || substr(v, 1, 2)
               THEN CAST(julianday(substr(v, 7, 4) || '-' || substr(v, 4, 2) || '-'
                                   || substr(v, 1, 2)) - 2440587.5 AS INTEGER) END
        FROM (SELECT CASE WHEN json_valid(d.content)
                     THEN json_extract(d.content, '$.answers.ngay_chung_nhan_ntvd') END AS v)),
       (SELECT count(*) FROM review_decisions r
        WHERE r.dossier_id = d.id AND r.decision = 'return')
FROM dossiers d;
