-- Less for SQLite to do at every update (issue 17: the edges' CPU per update; callgrind,
-- of the ≈ 270 000 instructions SQLite spent per update):
-- * The outbox's status rule without an IN list. SQLite evaluates `status IN ('pending',
--   'sent', 'superseded', 'failed')` — an IN list of three values or more — by building a
--   temporary b-tree of the values each time the rule is checked: at every reply queued
--   (INSERT) and every reply marked sent (UPDATE of status), ≈ 65 000 instructions per
--   update. Written as comparisons, it is checked in place. The table is rebuilt (SQLite
--   cannot change a CHECK), its columns and rows unchanged; nothing refers to it.
-- * Two indexes fewer, each a page more to write with every answer's commit (≈ 10 000
--   instructions each): `outbox_created` (the hourly prune finds the first row created after
--   its limit by id instead: rows are numbered in the order they are queued) and
--   `inbox_unprocessed` (the start-up's look for unprocessed updates reads
--   `inbox_unprocessed_person`, which holds the same rows, and sorts them).
CREATE TABLE outbox_rebuilt (
    id              INTEGER PRIMARY KEY,
    platform        TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    chat_kind       TEXT NOT NULL CHECK (chat_kind = 'private' OR chat_kind = 'group'),
    edit_ref        TEXT NOT NULL DEFAULT '',  -- the message this reply edits ('' = a new one)
    prompt          TEXT NOT NULL DEFAULT '',  -- the question this reply asks ('' = none)
    payload         BLOB NOT NULL,
    attachment      BLOB,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status = 'pending' OR status = 'sent' OR status = 'superseded'
                           OR status = 'failed'),
    attempts        INTEGER NOT NULL DEFAULT 0,  -- failed attempts so far
    progress        INTEGER NOT NULL DEFAULT 0,  -- platform calls done (a long text is several)
    error           TEXT NOT NULL DEFAULT '',
    message_id      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    first_failed_at TEXT,
    done_at         TEXT,
    reply           INTEGER NOT NULL DEFAULT 0 CHECK (reply = 0 OR reply = 1),
    dossier_id      INTEGER
);
INSERT INTO outbox_rebuilt
    SELECT id, platform, chat_id, chat_kind, edit_ref, prompt, payload, attachment, status,
           attempts, progress, error, message_id, created_at, first_failed_at, done_at, reply,
           dossier_id
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox(platform, chat_id, id) WHERE status = 'pending';
CREATE INDEX outbox_edits ON outbox(platform, chat_id, edit_ref)
    WHERE status = 'pending' AND edit_ref != '';
CREATE INDEX outbox_prompts ON outbox(platform, chat_id, id) WHERE prompt != '';
CREATE INDEX outbox_dossier ON outbox(dossier_id) WHERE dossier_id IS NOT NULL;
DROP INDEX inbox_unprocessed;
