-- dealercrm 0006: the campaign tables (package campaign).
--
-- A text/template like 0001 (see RenderMigrations). Citus-ready: dealer_id
-- in each key and leading each index. A campaign is one row with its plan
-- as a JSON document (json, not jsonb, so segments read back byte for
-- byte); profiles are the per-customer attribute snapshot segments are
-- evaluated on (translated to SQL over these columns); members are the
-- frozen audience of a campaign; accessory targets are monthly 精品 targets
-- per model or consultant.

CREATE TABLE {{.Table "campaigns"}} (
    dealer_id  text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    status     text NOT NULL,
    kind       text NOT NULL,
    doc        json NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT {{.Name "campaigns" "pkey"}} PRIMARY KEY (dealer_id, id)
);

CREATE TABLE {{.Table "campaign_profiles"}} (
    dealer_id     text COLLATE "C" NOT NULL,
    customer_id   text COLLATE "C" NOT NULL,
    gender        text NOT NULL DEFAULT '',
    birthday      date,
    family_stage  text NOT NULL DEFAULT '',
    hobbies       text[] NOT NULL DEFAULT '{}',
    province      text NOT NULL DEFAULT '',
    city          text NOT NULL DEFAULT '',
    district      text NOT NULL DEFAULT '',
    occupation    text NOT NULL DEFAULT '',
    vehicle_model text NOT NULL DEFAULT '',
    vehicle_date  date,
    odometer_km   bigint,
    odometer_at   date,
    last_visit    date,
    stage         text NOT NULL DEFAULT '',
    grade         text NOT NULL DEFAULT '',
    tier          text NOT NULL DEFAULT '',
    abnormal      text[] NOT NULL DEFAULT '{}',
    tags          text[] NOT NULL DEFAULT '{}',
    consents      text[] NOT NULL DEFAULT '{}',
    consultant_id text COLLATE "C" NOT NULL DEFAULT '',
    updated_at    timestamptz NOT NULL,
    CONSTRAINT {{.Name "campaign_profiles" "pkey"}} PRIMARY KEY (dealer_id, customer_id)
);

CREATE TABLE {{.Table "campaign_members"}} (
    dealer_id       text COLLATE "C" NOT NULL,
    campaign_id     text COLLATE "C" NOT NULL,
    customer_id     text COLLATE "C" NOT NULL,
    segment         text NOT NULL,
    channel         text NOT NULL DEFAULT '',
    excluded        text NOT NULL DEFAULT '',
    holdout         boolean NOT NULL DEFAULT false,
    responded       date,
    visited         date,
    converted       date,
    conversion_kind text NOT NULL DEFAULT '',
    revenue         numeric NOT NULL DEFAULT 0,
    CONSTRAINT {{.Name "campaign_members" "pkey"}} PRIMARY KEY (dealer_id, campaign_id, customer_id)
);

CREATE TABLE {{.Table "campaign_accessory_targets"}} (
    dealer_id text COLLATE "C" NOT NULL,
    month     date NOT NULL,
    dimension text NOT NULL,
    key       text COLLATE "C" NOT NULL,
    amount    numeric NOT NULL,
    CONSTRAINT {{.Name "campaign_accessory_targets" "pkey"}} PRIMARY KEY (dealer_id, month, dimension, key)
);
