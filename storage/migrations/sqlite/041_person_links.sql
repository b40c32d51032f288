-- One person, two channels (issue 14): a Zalo identity linked to the person of a Telegram one
-- (or the other way), so their dossier and roles follow them. People.find reads a linked
-- identity as its person; an erasure removes the links (storage/erasure.py).
CREATE TABLE person_links (
    platform TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people (id),
    linked_at TEXT NOT NULL,
    PRIMARY KEY (platform, platform_user_id)
);
CREATE INDEX person_links_person ON person_links (person_id);

-- One-time codes that link them: issued to the person on one channel, typed on the other.
CREATE TABLE link_codes (
    code TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people (id),
    expires_at TEXT NOT NULL,
    used_at TEXT
);
