-- dealercrm 0031: events are numbered when they are read, not when they
-- are written (docs/events.md, "Sequence and atomicity").
--
-- A transaction now inserts its events without a sequence number (seq is
-- NULL) and takes no lock for them; gid, an identity, records the order
-- of insertion. Before a reader looks at a dealer's events it numbers the
-- dealer's committed unnumbered events: under the lock of the dealer's
-- event_seqs row it gives them seq = last + 1, … in gid order and
-- advances event_seqs.seq. Only committed rows are visible to it, so a
-- reader that has seen n never later meets a committed number ≤ n.
--
-- The primary key moves to (dealer_id, gid); the feed reads the unique
-- index on (dealer_id, seq) of the numbered events, and the numbering
-- finds its rows through the partial index of the unnumbered ones.

ALTER TABLE {{.Table "events"}} DROP CONSTRAINT {{.Name "events" "pkey"}};
ALTER TABLE {{.Table "events"}} ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE {{.Table "events"}} ADD COLUMN gid bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE {{.Table "events"}} ADD CONSTRAINT {{.Name "events" "pkey"}} PRIMARY KEY (dealer_id, gid);
CREATE UNIQUE INDEX {{.Name "events" "seq_idx"}} ON {{.Table "events"}} (dealer_id, seq) WHERE seq IS NOT NULL;
CREATE INDEX {{.Name "events" "unnumbered_idx"}} ON {{.Table "events"}} (dealer_id, gid) WHERE seq IS NULL;
