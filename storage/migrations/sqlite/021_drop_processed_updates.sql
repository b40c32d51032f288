-- The inbox (020) is the one dedupe record: every update is claimed there in the transaction
-- that processes it, and 020 copied the older markers into it. The separate table of
-- processed updates is no longer written or read.
DROP TABLE processed_updates;
