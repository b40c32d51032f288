-- SQLite's 044 makes `conversations` an ordinary rowid table (a WITHOUT ROWID table spilled
-- each ~1.4 KB state to an overflow page). PostgreSQL's heap tables have no such limit: the
-- schema stays as it is; this file keeps both databases at the same migration number.
SELECT 1;
