-- Secretaries (issue 11, privacy): whether summaries and digests posted in the unit's group
-- may name candidates. Off by default — a group sees counts and dossier numbers; a secretary
-- of the unit (or above) turns names on with /hienten. Details (relatives, addresses abroad,
-- birth dates of candidates under 18) never go to a group, whatever this says.
ALTER TABLE units ADD COLUMN names_in_group INTEGER NOT NULL DEFAULT 0;
