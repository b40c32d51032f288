-- Core schema. Migrations are applied in file-name order at start, each in a transaction,
-- and recorded in schema_migrations. Never edit an applied migration: add a new file.
-- Times are ISO-8601 UTC text; calendar dates are 'YYYY-MM-DD'.

-- People, by platform identity. Nothing but the consent is stored before consent.
CREATE TABLE people (
    id               INTEGER PRIMARY KEY,
    platform         TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    display_name     TEXT NOT NULL DEFAULT '',
    consent_at       TEXT,
    created_at       TEXT NOT NULL,
    UNIQUE (platform, platform_user_id)
);

-- The organisation tree: Đảng bộ Khối → Đảng bộ cơ sở / chi bộ cơ sở → chi bộ trực thuộc.
-- review_level: position of this unit in the review chain (1 = chi bộ, 2 = đảng ủy cơ sở…),
-- NULL when the unit does not review 2-KNĐ drafts.
CREATE TABLE units (
    id            INTEGER PRIMARY KEY,
    parent_id     INTEGER REFERENCES units(id),
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    review_level  INTEGER,
    level_name    TEXT NOT NULL DEFAULT '',
    group_platform TEXT,
    group_chat_id TEXT,
    digest_hour   INTEGER,
    created_at    TEXT NOT NULL
);
CREATE INDEX units_parent ON units(parent_id);
CREATE UNIQUE INDEX units_group ON units(group_platform, group_chat_id)
    WHERE group_chat_id IS NOT NULL;

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    role        TEXT NOT NULL CHECK (role IN ('secretary', 'reviewer', 'candidate')),
    granted_by  INTEGER REFERENCES people(id),
    granted_at  TEXT NOT NULL,
    revoked_at  TEXT,
    revoked_by  INTEGER REFERENCES people(id)
);
CREATE UNIQUE INDEX roles_active ON roles(unit_id, person_id, role) WHERE revoked_at IS NULL;
CREATE INDEX roles_person ON roles(person_id);

-- Invite links (deep-link payloads) and one-time codes (bootstrap, group binding).
CREATE TABLE invites (
    token       TEXT PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('role', 'bind_group', 'bootstrap')),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    role        TEXT,
    created_by  INTEGER REFERENCES people(id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT,
    max_uses    INTEGER NOT NULL DEFAULT 1,
    uses        INTEGER NOT NULL DEFAULT 0,
    revoked_at  TEXT
);

-- A dossier: the current content as the JSON of forms.dossier.Dossier, plus its revision
-- number. Every change is also an append-only row of answer_revisions, written in the same
-- transaction, which gives "what changed since I looked" and an audit trail.
CREATE TABLE dossiers (
    id            INTEGER PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES people(id),
    unit_id       INTEGER REFERENCES units(id),
    form_version  TEXT NOT NULL,
    content       TEXT NOT NULL,
    revision      INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'submitted', 'returned', 'approved', 'deleted')),
    review_level  INTEGER,            -- level currently reviewing (when submitted)
    opened_at     TEXT NOT NULL,
    submitted_at  TEXT,
    approved_at   TEXT,
    locked        INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT NOT NULL
);
CREATE INDEX dossiers_person ON dossiers(person_id);
CREATE INDEX dossiers_unit_status ON dossiers(unit_id, status);

CREATE TABLE answer_revisions (
    dossier_id  INTEGER NOT NULL REFERENCES dossiers(id),
    revision    INTEGER NOT NULL,
    path        TEXT NOT NULL,        -- 'answers.ho_ten', 'tables.cong_tac.2', 'relatives.3'
    old_value   TEXT,                 -- JSON, NULL when added
    new_value   TEXT,                 -- JSON, NULL when removed
    person_id   INTEGER REFERENCES people(id),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (dossier_id, revision)
) WITHOUT ROWID;

-- Where each person is in the conversation, per chat: written in the same transaction as
-- the answer, so a restarted process resumes at the same question.
CREATE TABLE conversations (
    platform    TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    person_id   INTEGER REFERENCES people(id),
    dossier_id  INTEGER REFERENCES dossiers(id),
    state       TEXT NOT NULL,        -- JSON cursor owned by the flow
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id, user_id)
) WITHOUT ROWID;

-- Platform updates already handled (Telegram update_id, Zalo message_id): a redelivered
-- update is ignored. Written in the same transaction as the state change it caused.
CREATE TABLE processed_updates (
    platform    TEXT NOT NULL,
    update_key  TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (platform, update_key)
) WITHOUT ROWID;

-- Reviewers' comments anchored to an item (and optionally a field or row).
CREATE TABLE comments (
    id           INTEGER PRIMARY KEY,
    dossier_id   INTEGER NOT NULL REFERENCES dossiers(id),
    revision     INTEGER NOT NULL,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    item_number  INTEGER NOT NULL,
    anchor       TEXT NOT NULL DEFAULT '',
    author_id    INTEGER NOT NULL REFERENCES people(id),
    text         TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'resolved')),
    created_at   TEXT NOT NULL,
    sent_at      TEXT,
    resolved_at  TEXT,
    resolved_by  INTEGER REFERENCES people(id)
);
CREATE INDEX comments_dossier ON comments(dossier_id, status);

-- Review decisions per level; the unique index makes a second decision on the same
-- revision and level lose (two reviewers tapping at once).
CREATE TABLE review_decisions (
    id          INTEGER PRIMARY KEY,
    dossier_id  INTEGER NOT NULL REFERENCES dossiers(id),
    revision    INTEGER NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    level       INTEGER NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('approve', 'return', 'reopen')),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX review_one_decision ON review_decisions(dossier_id, revision, level)
    WHERE decision IN ('approve', 'return');

-- Messages the bot posted that it edits or answers later (review cards, item messages).
CREATE TABLE bot_messages (
    platform    TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    dossier_id  INTEGER REFERENCES dossiers(id),
    revision    INTEGER,
    detail      TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id, message_id)
) WITHOUT ROWID;

-- The dossier's life after the 2-KNĐ is approved (handwritten copy, verification, votes,
-- decision, ceremony, probation, official membership): one row per recorded step.
CREATE TABLE stage_events (
    id           INTEGER PRIMARY KEY,
    dossier_id   INTEGER NOT NULL REFERENCES dossiers(id),
    stage        TEXT NOT NULL,
    happened_on  TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '{}',
    recorded_by  INTEGER REFERENCES people(id),
    recorded_at  TEXT NOT NULL
);
CREATE INDEX stage_events_dossier ON stage_events(dossier_id, happened_on);

CREATE TABLE targets (
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    year         INTEGER NOT NULL,
    target       INTEGER NOT NULL,
    deadline     TEXT NOT NULL,
    term_label   TEXT,
    term_target  INTEGER,
    set_by       INTEGER REFERENCES people(id),
    set_at       TEXT NOT NULL,
    PRIMARY KEY (unit_id, year)
) WITHOUT ROWID;

-- Reminders and digests already sent, so nothing is sent twice.
CREATE TABLE notifications_sent (
    kind     TEXT NOT NULL,
    key      TEXT NOT NULL,
    sent_at  TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;

-- Every view, comment, decision, reopening and role change: who, when, which revision.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    person_id   INTEGER REFERENCES people(id),
    action      TEXT NOT NULL,
    dossier_id  INTEGER REFERENCES dossiers(id),
    revision    INTEGER,
    unit_id     INTEGER REFERENCES units(id),
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_dossier ON audit_log(dossier_id, at);
