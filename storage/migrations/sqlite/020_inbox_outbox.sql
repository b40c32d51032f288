-- Edges that never lose anything (issue 10): the update inbox and the reply outbox.

-- Every platform update, stored raw BEFORE the platform is told it arrived (before the next
-- getUpdates offset moves past it, before a webhook's 200). The row is also the dedupe record:
-- (platform, update_key) is unique, so a redelivered update is never stored or processed
-- twice. Keys the flows derive from an update (a message edited several times:
-- "edited:<chat>:<message>") are recorded here too, as rows born processed with no raw body.
-- processed_at is written in the same transaction as the state change the update caused; the
-- raw body is emptied then (it carries personal data and is no longer needed), and the row
-- itself is pruned after a configurable number of days.
CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY,
    platform     TEXT NOT NULL,
    update_key   TEXT NOT NULL,
    person       TEXT NOT NULL DEFAULT '',  -- the platform's user id ('' = nobody)
    raw          BLOB NOT NULL,
    received_at  TEXT NOT NULL,
    processed_at TEXT,
    UNIQUE (platform, update_key)
);
CREATE INDEX inbox_unprocessed ON inbox(id) WHERE processed_at IS NULL;
CREATE INDEX inbox_received ON inbox(received_at);

-- The markers written before the inbox existed keep redeliveries out after the upgrade.
INSERT OR IGNORE INTO inbox (platform, update_key, person, raw, received_at, processed_at)
SELECT platform, update_key, '', X'', processed_at, processed_at FROM processed_updates;

-- The replies a flow returned, written in the same transaction as the answer that caused
-- them, delivered per chat in id order by bot/delivery.py. An edit of a message supersedes
-- the earlier unsent edits of the same message (status 'superseded'). 'failed' rows were
-- given up after the documented limit (or refused by the platform); an audit row says so.
-- payload/attachment are emptied once a row is done: the outbox is not an archive of texts.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    platform        TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    chat_kind       TEXT NOT NULL CHECK (chat_kind IN ('private', 'group')),
    edit_ref        TEXT NOT NULL DEFAULT '',  -- the message this reply edits ('' = a new one)
    prompt          TEXT NOT NULL DEFAULT '',  -- the question this reply asks ('' = none)
    payload         BLOB NOT NULL,
    attachment      BLOB,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'superseded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,  -- failed attempts so far
    progress        INTEGER NOT NULL DEFAULT 0,  -- platform calls done (a long text is several)
    error           TEXT NOT NULL DEFAULT '',
    message_id      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    first_failed_at TEXT,
    done_at         TEXT
);
CREATE INDEX outbox_pending ON outbox(platform, chat_id, id) WHERE status = 'pending';
CREATE INDEX outbox_edits ON outbox(platform, chat_id, edit_ref)
    WHERE status = 'pending' AND edit_ref != '';
CREATE INDEX outbox_prompts ON outbox(platform, chat_id, id) WHERE prompt != '';
CREATE INDEX outbox_created ON outbox(created_at);
