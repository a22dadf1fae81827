-- dealercrm 0027: webhook subscriptions and their delivery log (package
-- webhook, SPEC §8).
--
-- webhook_subscriptions has one row per subscription: the dealer, URL,
-- event types (empty: all), secret, state and the reason a disabled one
-- is, the delivery progress (cursor_seq: the last sequence number delivered;
-- attempts and failing_since of the event after it; next_attempt_at)
-- and the lease of the worker delivering it (lease_owner until
-- lease_until). version counts the changes made through the API; a
-- worker's writes carry the version it claimed and are refused after a
-- change. The partial index serves the runners' claim: enabled
-- subscriptions by due time, across dealers. On Citus the table is a
-- reference table, like api_keys (a few rows per dealer, claimed by the
-- runners of every dealer), keyed by its own ID.
--
-- webhook_deliveries has one row per attempt (the delivery log), kept
-- for the retention (7 days by default) and deleted with its
-- subscription (by the store: the adapter declares no foreign keys).
-- It is distributed by dealer_id like the records.

CREATE TABLE {{.Table "webhook_subscriptions"}} (
    id              text COLLATE "C" NOT NULL,
    dealer_id       text COLLATE "C" NOT NULL,
    url             text NOT NULL,
    types           text[] NOT NULL,
    secret          text NOT NULL,
    state           text COLLATE "C" NOT NULL,
    disabled_reason text NOT NULL DEFAULT '',
    cursor_seq      bigint NOT NULL DEFAULT 0,
    attempts        integer NOT NULL DEFAULT 0,
    failing_since   timestamptz,
    next_attempt_at timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint NOT NULL DEFAULT 1,
    lease_owner     text COLLATE "C",
    lease_until     timestamptz,
    CONSTRAINT {{.Name "webhook_subscriptions" "pkey"}} PRIMARY KEY (id)
);
CREATE INDEX {{.Name "webhook_subscriptions" "dealer_idx"}} ON {{.Table "webhook_subscriptions"}} (dealer_id, id);
CREATE INDEX {{.Name "webhook_subscriptions" "due_idx"}} ON {{.Table "webhook_subscriptions"}} (next_attempt_at) WHERE state = 'enabled';

CREATE TABLE {{.Table "webhook_deliveries"}} (
    id              text COLLATE "C" NOT NULL,
    subscription_id text COLLATE "C" NOT NULL,
    dealer_id       text COLLATE "C" NOT NULL,
    event_id        text COLLATE "C" NOT NULL,
    seq             bigint NOT NULL,
    attempt         integer NOT NULL,
    status          integer NOT NULL DEFAULT 0,
    duration_ms     double precision NOT NULL DEFAULT 0,
    error           text NOT NULL DEFAULT '',
    at              timestamptz NOT NULL,
    CONSTRAINT {{.Name "webhook_deliveries" "pkey"}} PRIMARY KEY (dealer_id, id)
);
CREATE INDEX {{.Name "webhook_deliveries" "subscription_idx"}} ON {{.Table "webhook_deliveries"}} (dealer_id, subscription_id, id);
CREATE INDEX {{.Name "webhook_deliveries" "at_idx"}} ON {{.Table "webhook_deliveries"}} (dealer_id, at);
