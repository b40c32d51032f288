-- Leases for several workers on one database (bot/workers.py): who holds a named piece of
-- work (the scheduler, one person's updates, one chat's replies) and until when. A worker
-- takes a free or expired lease, renews it while it works and drops it when done; a killed
-- worker's leases run out and another takes the work over.
CREATE TABLE leases (
    name   TEXT PRIMARY KEY,  -- 'scheduler', 'person:<platform>:<id>', 'chat:<platform>:<id>'
    holder TEXT NOT NULL,     -- the worker (host:pid:random)
    until  TEXT NOT NULL      -- ISO-8601 UTC: free for anyone after this
);

-- One person's unprocessed updates, oldest first (a worker drains a person it holds).
CREATE INDEX inbox_unprocessed_person ON inbox(platform, person, id) WHERE processed_at IS NULL;
