-- Secretaries: why a verification runs on the 90-working-day clock (abroad) or not.
--
-- The default comes from the dossier (the person verified lives abroad per item (21), rule
-- X14); the secretary may choose otherwise. stage_events.detail keeps both (abroad_reason,
-- abroad_override); these copies let the summary and the digest say why next to the clock
-- without reading events. Written by storage.stages.Stages.write_progress like the rest of
-- the row; rows written before this migration have no reason (the secretary's choice).
ALTER TABLE verifications ADD COLUMN abroad_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE verifications ADD COLUMN abroad_override INTEGER NOT NULL DEFAULT 0;
