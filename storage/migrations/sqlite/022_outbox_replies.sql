-- Which stored replies answer the person's own message in that private chat (1) and which
-- are notices (0: group posts, messages to other chats, digests, reminders). Telegram paces
-- them differently (bot/pacing.py): a reply only per chat, at the person's pace; notices also
-- under the global cap for bulk messages. Rows queued before this column are notices (the
-- more careful pace).
ALTER TABLE outbox ADD COLUMN reply INTEGER NOT NULL DEFAULT 0 CHECK (reply IN (0, 1));
