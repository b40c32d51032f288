-- Secretaries (issue 11, erasure): whoever erases a dossier (status 'deleted') or deletes its
-- row, the secretaries' tables keep nothing of it. stage_events carry, for a verification
-- abroad, the dossier's reason — a relative's name, address abroad and nationality — and
-- dossier_progress the step dates; verifications and dossier_flags already go (006). The
-- audit rows of the steps stay: they hold no content (step, day, person code, abroad or not).
CREATE TRIGGER stage_events_erased AFTER UPDATE OF status ON dossiers
WHEN NEW.status = 'deleted' BEGIN
    DELETE FROM stage_events WHERE dossier_id = NEW.id;
    UPDATE dossier_progress SET
        full_name = '', birth_d = NULL, cert_d = NULL, handwritten_d = NULL, verif_sent = 0,
        verif_pending = 0, verif_done_d = NULL, chi_bo_d = NULL, dang_uy_d = NULL,
        decision_d = NULL, ceremony_d = NULL, official_d = NULL, not_admitted_d = NULL
    WHERE dossier_id = NEW.id;
END;

-- A dossier row deleted outright takes its steps along (stage_events references dossiers).
CREATE TRIGGER stage_events_deleted BEFORE DELETE ON dossiers BEGIN
    DELETE FROM stage_events WHERE dossier_id = OLD.id;
END;
