-- As SQLite's 046: `inbox_received` goes, the prune finds its limit by id (storage/inbox.py);
-- one index entry fewer for every stored update.
DROP INDEX IF EXISTS inbox_received;
