-- Review (issue 4). A decision belongs to one SUBMISSION of a dossier, not only to a revision:
-- a candidate may resubmit without changing anything (after a return that needed no edit, or
-- after a reopening), and the reviewers must then be able to decide again on the same revision.
-- `submission` holds dossiers.submitted_at of the submission decided on; the unique index still
-- lets exactly one approve/return win per (dossier, revision, level, submission).
ALTER TABLE review_decisions ADD COLUMN submission TEXT NOT NULL DEFAULT '';
DROP INDEX review_one_decision;
CREATE UNIQUE INDEX review_one_decision
    ON review_decisions(dossier_id, revision, level, submission)
    WHERE decision IN ('approve', 'return');
CREATE INDEX review_decisions_dossier ON review_decisions(dossier_id, unit_id, id);

-- People who have opened a private chat with the bot on a platform: the bot may write to them
-- privately (Telegram refuses a first private message from a bot).
CREATE TABLE private_chats (
    platform    TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    chat_id     TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    PRIMARY KEY (platform, user_id)
) WITHOUT ROWID;

CREATE INDEX invites_unit ON invites(unit_id, purpose);
CREATE INDEX roles_unit ON roles(unit_id, role) WHERE revoked_at IS NULL;
CREATE INDEX bot_messages_dossier ON bot_messages(dossier_id, purpose);
CREATE INDEX audit_unit ON audit_log(unit_id, at);
