-- Progress rows are written from Python (storage/progress.py), in the transaction that
-- changes the dossier, with the same values: the triggers of 005, 006, 007 and 009, which
-- re-parsed dates in SQL and hard-coded the time zone as '+7 hours', are dropped. The rows
-- they wrote stay as they are.
DROP TRIGGER IF EXISTS dossier_progress_insert;
DROP TRIGGER IF EXISTS dossier_progress_return;
DROP TRIGGER IF EXISTS dossier_progress_unit_moved;
DROP TRIGGER IF EXISTS dossier_progress_erased;
DROP TRIGGER IF EXISTS dossier_progress_delete;
DROP TRIGGER IF EXISTS dossier_progress_touch;
DROP TRIGGER IF EXISTS dossier_progress_state;
DROP TRIGGER IF EXISTS dossier_progress_content;
DROP TRIGGER IF EXISTS dossier_progress_content_invalid;
DROP TRIGGER IF EXISTS dossier_progress_birth_new;
DROP TRIGGER IF EXISTS dossier_progress_birth;
