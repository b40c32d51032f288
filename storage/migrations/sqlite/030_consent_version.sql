-- Privacy (issue 11, consent v2): which text of the consent a person accepted. consent_at
-- stays the time; a person whose version is not the current one (NULL: the first text, before
-- versions were kept) is asked again at their next message. The audit row 'consent_given'
-- carries the version too.
ALTER TABLE people ADD COLUMN consent_version TEXT;
