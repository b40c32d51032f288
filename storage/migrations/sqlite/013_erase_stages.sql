-- Secretaries (issue 11, erasure): an erased dossier (status 'deleted') keeps nothing on the
-- secretaries' side. From now on the erasure itself does it, in Python and in its own
-- transaction (storage/progress.py: Progress.refresh of a deleted dossier); this migration
-- does it once for the dossiers erased before. stage_events carry, for a verification
-- abroad, the dossier's reason — a relative's name, address abroad and nationality — and
-- dossier_progress the step dates. The audit rows of the steps stay: they hold no content
-- (step, day, person code, abroad or not).
DELETE FROM stage_events
WHERE dossier_id IN (SELECT id FROM dossiers WHERE status = 'deleted');
DELETE FROM verifications
WHERE dossier_id IN (SELECT id FROM dossiers WHERE status = 'deleted');
DELETE FROM dossier_flags
WHERE dossier_id IN (SELECT id FROM dossiers WHERE status = 'deleted');
UPDATE dossier_progress SET
    full_name = '', birth_d = NULL, cert_d = NULL, handwritten_d = NULL, verif_sent = 0,
    verif_pending = 0, verif_done_d = NULL, chi_bo_d = NULL, dang_uy_d = NULL,
    decision_d = NULL, ceremony_d = NULL, official_d = NULL, not_admitted_d = NULL
WHERE status = 'deleted';
