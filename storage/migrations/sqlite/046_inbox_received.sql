-- One index fewer for every update's commit (issue 17: the database work of an answer).
-- `inbox_received` (the time each update was received) was read by the hourly prune alone,
-- yet every stored update wrote an entry into it: a page more in the WAL at each commit that
-- stores updates (measured: ≈ 1.1 of the ≈ 9.8 pages an answer's commit wrote in the engine's
-- replay of sample A). The prune now finds the first row received at or after its limit by
-- id, as the outbox's does since 045: rows are numbered in the order they are stored.
DROP INDEX inbox_received;
