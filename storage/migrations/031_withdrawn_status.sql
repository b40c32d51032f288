-- Privacy (issue 11): a candidate may withdraw their dossier at any status; the dossier keeps
-- its row with status 'withdrawn' until its data is erased (after the retention period, or at
-- once with /xoa).
--
-- The CHECK of dossiers.status (001) only gains a value. Rebuilding `dossiers` would drop and
-- have to recreate every trigger and index on it (and re-point the foreign keys of every
-- table that references it), so the constraint's text is widened in place, the documented
-- way for changes that leave the stored rows valid (https://sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes"). RESET makes this connection read the new
-- schema; creating and dropping a table moves the schema cookie, so other connections do too.
PRAGMA writable_schema = ON;
UPDATE sqlite_master SET sql = replace(sql,
    'CHECK (status IN (''draft'', ''submitted'', ''returned'', ''approved'', ''deleted''))',
    'CHECK (status IN (''draft'', ''submitted'', ''returned'', ''approved'', ''withdrawn'','
        || ' ''deleted''))')
WHERE type = 'table' AND name = 'dossiers';
PRAGMA writable_schema = RESET;
CREATE TABLE schema_cookie_031 (x INTEGER);
DROP TABLE schema_cookie_031;
