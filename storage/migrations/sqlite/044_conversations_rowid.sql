-- Conversations become an ordinary (rowid) table, keyed as before (issue 17: the engine's
-- CPU per answer). A WITHOUT ROWID table keeps its rows in index pages, whose rows spill to
-- an overflow page past about 1 000 bytes; a conversation's state (the screen, the back
-- stack, the shown flags) is about 1.4 KB for most of the form, so every answer's UPDATE
-- wrote and freed (secure_delete: zeroed) an overflow page besides the row's own page —
-- about 25 µs of the answer's ~1.3 ms (measured). A rowid table keeps up to ~4 KB in the
-- page and the key in its own index. Nothing refers to this table; its columns are unchanged.
CREATE TABLE conversations_rowid (
    platform    TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    person_id   INTEGER REFERENCES people(id),
    dossier_id  INTEGER REFERENCES dossiers(id),
    state       TEXT NOT NULL,        -- JSON cursor owned by the flow
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id, user_id)
);
INSERT INTO conversations_rowid (platform, chat_id, user_id, person_id, dossier_id, state,
                                 updated_at)
    SELECT platform, chat_id, user_id, person_id, dossier_id, state, updated_at
    FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_rowid RENAME TO conversations;
