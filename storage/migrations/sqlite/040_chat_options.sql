-- Platforms without buttons (Zalo) draw a reply's buttons as numbered options; a typed number
-- or label then means the option last delivered to that chat. The options of each chat are
-- kept here, so a restart still reads "2" as the person saw it (bot/zalo/options.py).
CREATE TABLE chat_options (
    platform TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    options TEXT NOT NULL,        -- JSON [[label, action], …], numbered from 1
    updated_at TEXT NOT NULL,
    PRIMARY KEY (platform, chat_id)
);

-- Messages a platform counts against a plan's monthly quota (Zalo's free plan: 3,000 a month);
-- ``warned``: the secretaries were told this month that the quota is near.
CREATE TABLE message_counts (
    platform TEXT NOT NULL,
    month TEXT NOT NULL,          -- YYYY-MM (UTC)
    sent INTEGER NOT NULL DEFAULT 0,
    warned INTEGER NOT NULL DEFAULT 0 CHECK (warned IN (0, 1)),
    PRIMARY KEY (platform, month)
);
