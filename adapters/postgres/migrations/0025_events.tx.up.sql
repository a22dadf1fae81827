-- dealercrm 0025: the event outbox (crm.EventStore, SPEC §8).
--
-- events holds one row per event, written in the transaction of the
-- change it reports: the dealer's sequence number (seq), the event's ID,
-- type, payload version, subject, time, an optional once-only key and the
-- payload (jsonb; IDs and amounts, never contact data). The primary key
-- (dealer_id, seq) serves the feed; the unique index on (dealer_id, key)
-- makes keyed events once-only.
--
-- event_seqs has one row per dealer: the last sequence number given (seq)
-- and the last one removed by retention (purged). A transaction that
-- writes events takes its numbers by incrementing seq just before COMMIT
-- and holds that row's lock until COMMIT, so a dealer's events commit in
-- sequence order and a reader that has seen n never later meets a
-- smaller committed number.

CREATE TABLE {{.Table "events"}} (
    dealer_id    text COLLATE "C" NOT NULL,
    seq          bigint NOT NULL,
    id           text COLLATE "C" NOT NULL,
    type         text COLLATE "C" NOT NULL,
    version      integer NOT NULL,
    subject_kind text COLLATE "C" NOT NULL,
    subject_id   text COLLATE "C" NOT NULL,
    at           timestamptz NOT NULL,
    key          text COLLATE "C",
    payload      jsonb NOT NULL,
    CONSTRAINT {{.Name "events" "pkey"}} PRIMARY KEY (dealer_id, seq)
);
CREATE UNIQUE INDEX {{.Name "events" "key_idx"}} ON {{.Table "events"}} (dealer_id, key) WHERE key IS NOT NULL;
CREATE INDEX {{.Name "events" "at_idx"}} ON {{.Table "events"}} (dealer_id, at);

CREATE TABLE {{.Table "event_seqs"}} (
    dealer_id text COLLATE "C" NOT NULL,
    seq       bigint NOT NULL DEFAULT 0,
    purged    bigint NOT NULL DEFAULT 0,
    CONSTRAINT {{.Name "event_seqs" "pkey"}} PRIMARY KEY (dealer_id)
);
