-- SQLite's 045 rebuilds `outbox` to write its status rule without an IN list (SQLite builds a
-- temporary b-tree for an IN list of three values or more at every check). PostgreSQL checks
-- an IN list in place: the schema stays as it is; this file keeps both databases at the same
-- migration number.
SELECT 1;
