-- dealercrm 0007 down: drops the source keys of loyalty entries (and their
-- unique index with them).

ALTER TABLE {{.Table "loyalty_entries"}} DROP COLUMN IF EXISTS source_key;
