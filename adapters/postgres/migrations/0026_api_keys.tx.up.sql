-- dealercrm 0026: managed API keys (package apikey, issue 15).
--
-- api_keys has one row per key: whom it acts as (dealer, staff, roles as
-- a text array), its name, its life (created, expires, revoked,
-- last used) and hash, the HMAC-SHA256 of its token under the server's
-- secret — never the token. The primary key on the ID alone serves
-- authentication, which finds a key before it knows the dealer; the
-- index serves a dealer's listing. On Citus the table is a reference
-- table (a few rows per dealer, replicated to every node), not one
-- distributed by dealer_id.

CREATE TABLE {{.Table "api_keys"}} (
    id           text COLLATE "C" NOT NULL,
    dealer_id    text COLLATE "C" NOT NULL,
    name         text NOT NULL,
    roles        text[] NOT NULL,
    staff_id     text COLLATE "C" NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL,
    created_by   text COLLATE "C" NOT NULL DEFAULT '',
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    hash         bytea NOT NULL,
    CONSTRAINT {{.Name "api_keys" "pkey"}} PRIMARY KEY (id)
);
CREATE INDEX {{.Name "api_keys" "dealer_idx"}} ON {{.Table "api_keys"}} (dealer_id, id);
