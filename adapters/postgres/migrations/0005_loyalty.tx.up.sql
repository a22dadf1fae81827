-- dealercrm 0005: the loyalty tables (package loyalty).
--
-- A text/template like 0001 (see RenderMigrations). Citus-ready like every
-- table: dealer_id in each key and leading each index. One membership row
-- and one account row per customer (the account row is what a posting
-- locks); entries, membership events and idempotency keys are appended;
-- lots are the parcels of earned points, updated as they are spent.

CREATE TABLE {{.Table "loyalty_memberships"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    customer_id text COLLATE "C" NOT NULL,
    tier        text NOT NULL,
    status      text NOT NULL,
    join_method text NOT NULL,
    joined_on   date NOT NULL,
    valid_from  date NOT NULL,
    valid_until date NOT NULL,
    tier_since  date NOT NULL,
    used        jsonb NOT NULL DEFAULT '{}',
    version     bigint NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT {{.Name "loyalty_memberships" "pkey"}} PRIMARY KEY (dealer_id, customer_id)
);
CREATE INDEX {{.Name "loyalty_memberships" "status_idx"}} ON {{.Table "loyalty_memberships"}} (dealer_id, status, tier, customer_id);

CREATE TABLE {{.Table "loyalty_membership_events"}} (
    dealer_id       text COLLATE "C" NOT NULL,
    customer_id     text COLLATE "C" NOT NULL,
    seq             bigint NOT NULL,
    event           text NOT NULL,
    from_tier       text NOT NULL DEFAULT '',
    to_tier         text NOT NULL,
    from_status     text NOT NULL DEFAULT '',
    to_status       text NOT NULL,
    valid_until     date,
    method          text NOT NULL DEFAULT '',
    rule            text NOT NULL DEFAULT '',
    reason          text NOT NULL DEFAULT '',
    entry_id        text COLLATE "C" NOT NULL DEFAULT '',
    date            date NOT NULL,
    "at"            timestamptz NOT NULL,
    idempotency_key text NOT NULL DEFAULT '',
    CONSTRAINT {{.Name "loyalty_membership_events" "pkey"}} PRIMARY KEY (dealer_id, customer_id, seq)
);

CREATE TABLE {{.Table "loyalty_accounts"}} (
    dealer_id      text COLLATE "C" NOT NULL,
    customer_id    text COLLATE "C" NOT NULL,
    seq            bigint NOT NULL DEFAULT 0,
    cumulative     bigint NOT NULL DEFAULT 0,
    points         bigint NOT NULL DEFAULT 0,
    last_date      date,
    membership_seq bigint NOT NULL DEFAULT 0,
    version        bigint NOT NULL DEFAULT 0,
    CONSTRAINT {{.Name "loyalty_accounts" "pkey"}} PRIMARY KEY (dealer_id, customer_id),
    CONSTRAINT {{.Name "loyalty_accounts" "points_check"}} CHECK (points >= 0)
);

CREATE TABLE {{.Table "loyalty_entries"}} (
    dealer_id       text COLLATE "C" NOT NULL,
    customer_id     text COLLATE "C" NOT NULL,
    seq             bigint NOT NULL,
    kind            text NOT NULL,
    store_id        text COLLATE "C" NOT NULL,
    date            date NOT NULL,
    points          bigint NOT NULL,
    cumulative      bigint NOT NULL,
    available_on    date,
    expires_on      date,
    source_type     text NOT NULL DEFAULT '',
    source_id       text COLLATE "C" NOT NULL DEFAULT '',
    reverses        text COLLATE "C" NOT NULL DEFAULT '',
    moves           jsonb,
    shortfall       bigint NOT NULL DEFAULT 0,
    reason          text NOT NULL DEFAULT '',
    idempotency_key text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    CONSTRAINT {{.Name "loyalty_entries" "pkey"}} PRIMARY KEY (dealer_id, customer_id, seq)
);
-- An entry is reversed at most once.
CREATE UNIQUE INDEX {{.Name "loyalty_entries" "reverses_key"}} ON {{.Table "loyalty_entries"}} (dealer_id, reverses) WHERE reverses <> '';

CREATE TABLE {{.Table "loyalty_lots"}} (
    dealer_id    text COLLATE "C" NOT NULL,
    customer_id  text COLLATE "C" NOT NULL,
    seq          bigint NOT NULL,
    store_id     text COLLATE "C" NOT NULL,
    points       bigint NOT NULL,
    remaining    bigint NOT NULL,
    earned_on    date NOT NULL,
    available_on date NOT NULL,
    expires_on   date,
    CONSTRAINT {{.Name "loyalty_lots" "pkey"}} PRIMARY KEY (dealer_id, customer_id, seq),
    CONSTRAINT {{.Name "loyalty_lots" "remaining_check"}} CHECK (remaining >= 0 AND remaining <= points)
);
CREATE INDEX {{.Name "loyalty_lots" "due_idx"}} ON {{.Table "loyalty_lots"}} (dealer_id, expires_on) WHERE remaining > 0 AND expires_on IS NOT NULL;

CREATE TABLE {{.Table "loyalty_idempotency"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    key         text COLLATE "C" NOT NULL,
    customer_id text COLLATE "C" NOT NULL,
    hash        text NOT NULL,
    receipt     jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT {{.Name "loyalty_idempotency" "pkey"}} PRIMARY KEY (dealer_id, key)
);
