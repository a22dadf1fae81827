-- dealercrm 0001: the crm tables.
--
-- This file is a text/template (see RenderMigrations): .Schema renders the
-- quoted schema (.SchemaLiteral as a string), .Table "customers" the
-- qualified name of a table and .Name "customers" "pkey" the name of one of
-- its constraints or indexes.
--
-- Citus-ready: every table has dealer_id, every primary key and unique
-- constraint includes it and every index of a dealer-owned table leads with
-- it, so the tables can be distributed by dealer_id. ID columns use
-- COLLATE "C" so that ORDER BY id is byte order, the order of cursor
-- pagination in every store. Empty optional identifiers (external IDs,
-- references) are NULL, so that unique (dealer_id, external_id) allows any
-- number of records without one. Money is numeric without a typmod: it keeps
-- exactly the value it is given. References between records carry no
-- foreign keys: the crm Service checks them, and this store must behave like
-- every other one. Indexes serve the filters of the crm store interfaces.

-- Not CREATE SCHEMA IF NOT EXISTS: Postgres checks the privilege to create
-- schemas before it looks whether the schema exists, and a host's role may
-- own its schema without that privilege.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = {{.SchemaLiteral}}) THEN
        CREATE SCHEMA {{.Schema}};
    END IF;
END
$$;

CREATE TABLE {{.Table "dealers"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    external_id text COLLATE "C",
    name        text NOT NULL,
    group_id    text COLLATE "C",
    time_zone   text NOT NULL DEFAULT '',
    brands      text[] NOT NULL DEFAULT '{}',
    lead_policy jsonb,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT {{.Name "dealers" "pkey"}} PRIMARY KEY (dealer_id)
);
-- The dealers table is small and read across dealers by group (a Citus
-- reference table), so its group index cannot lead with dealer_id.
CREATE INDEX {{.Name "dealers" "group_id_idx"}} ON {{.Table "dealers"}} (group_id, dealer_id);

CREATE TABLE {{.Table "customers"}} (
    dealer_id       text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    external_id     text COLLATE "C",
    kind            text NOT NULL,
    name            text NOT NULL,
    mobile          text COLLATE "C" NOT NULL DEFAULT '',
    gender          text NOT NULL DEFAULT '',
    birthday        date,
    family_stage    text NOT NULL DEFAULT '',
    region_province text NOT NULL DEFAULT '',
    region_city     text NOT NULL DEFAULT '',
    region_district text NOT NULL DEFAULT '',
    occupation      text NOT NULL DEFAULT '',
    industry        text NOT NULL DEFAULT '',
    income_band     text NOT NULL DEFAULT '',
    hobbies         text[] NOT NULL DEFAULT '{}',
    source          text NOT NULL DEFAULT '',
    consents        jsonb NOT NULL DEFAULT '[]',
    consultant_id   text COLLATE "C",
    advisor_id      text COLLATE "C",
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT {{.Name "customers" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "customers" "external_id_key"}} UNIQUE (dealer_id, external_id)
);
CREATE INDEX {{.Name "customers" "mobile_idx"}} ON {{.Table "customers"}} (dealer_id, mobile, id);
CREATE INDEX {{.Name "customers" "consultant_id_idx"}} ON {{.Table "customers"}} (dealer_id, consultant_id, id);
CREATE INDEX {{.Name "customers" "advisor_id_idx"}} ON {{.Table "customers"}} (dealer_id, advisor_id, id);

CREATE TABLE {{.Table "leads"}} (
    dealer_id         text COLLATE "C" NOT NULL,
    id                text COLLATE "C" NOT NULL,
    external_id       text COLLATE "C",
    name              text NOT NULL,
    mobile            text COLLATE "C" NOT NULL DEFAULT '',
    level             text NOT NULL,
    status            text NOT NULL,
    model_of_interest text NOT NULL DEFAULT '',
    source            text NOT NULL DEFAULT '',
    visit_trigger     text NOT NULL DEFAULT '',
    purchase          text NOT NULL DEFAULT '',
    expected_close    date,
    consultant_id     text COLLATE "C",
    customer_id       text COLLATE "C",
    referrer_id       text COLLATE "C",
    sale_id           text COLLATE "C",
    follow_ups        jsonb NOT NULL DEFAULT '[]',
    last_contact_at   timestamptz,
    next_follow_up_at timestamptz,
    lost_requests     jsonb NOT NULL DEFAULT '[]',
    lost_reason       text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT {{.Name "leads" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "leads" "external_id_key"}} UNIQUE (dealer_id, external_id)
);
CREATE INDEX {{.Name "leads" "status_level_idx"}} ON {{.Table "leads"}} (dealer_id, status, level, id);
CREATE INDEX {{.Name "leads" "consultant_id_idx"}} ON {{.Table "leads"}} (dealer_id, consultant_id, id);
CREATE INDEX {{.Name "leads" "customer_id_idx"}} ON {{.Table "leads"}} (dealer_id, customer_id, id);
CREATE INDEX {{.Name "leads" "referrer_id_idx"}} ON {{.Table "leads"}} (dealer_id, referrer_id, id);
CREATE INDEX {{.Name "leads" "source_idx"}} ON {{.Table "leads"}} (dealer_id, source, id);

CREATE TABLE {{.Table "vehicles"}} (
    dealer_id         text COLLATE "C" NOT NULL,
    id                text COLLATE "C" NOT NULL,
    external_id       text COLLATE "C",
    vin               text COLLATE "C" NOT NULL,
    plate             text NOT NULL DEFAULT '',
    brand             text NOT NULL DEFAULT '',
    model             text NOT NULL DEFAULT '',
    "trim"            text NOT NULL DEFAULT '',
    owner_id          text COLLATE "C",
    purchase_date     date,
    delivery_date     date,
    registration_date date,
    price             numeric NOT NULL DEFAULT 0,
    odometer          jsonb NOT NULL DEFAULT '[]',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT {{.Name "vehicles" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "vehicles" "external_id_key"}} UNIQUE (dealer_id, external_id),
    CONSTRAINT {{.Name "vehicles" "vin_key"}} UNIQUE (dealer_id, vin)
);
CREATE INDEX {{.Name "vehicles" "owner_id_idx"}} ON {{.Table "vehicles"}} (dealer_id, owner_id, id);
CREATE INDEX {{.Name "vehicles" "model_idx"}} ON {{.Table "vehicles"}} (dealer_id, model, id);

CREATE TABLE {{.Table "sales"}} (
    dealer_id     text COLLATE "C" NOT NULL,
    id            text COLLATE "C" NOT NULL,
    external_id   text COLLATE "C",
    vehicle_id    text COLLATE "C",
    customer_id   text COLLATE "C",
    lead_id       text COLLATE "C",
    consultant_id text COLLATE "C",
    "date"        date,
    price         numeric NOT NULL DEFAULT 0,
    gross_profit  numeric NOT NULL DEFAULT 0,
    items         jsonb NOT NULL DEFAULT '[]',
    trade_in      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT {{.Name "sales" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "sales" "external_id_key"}} UNIQUE (dealer_id, external_id)
);
CREATE INDEX {{.Name "sales" "customer_id_idx"}} ON {{.Table "sales"}} (dealer_id, customer_id, id);
CREATE INDEX {{.Name "sales" "vehicle_id_idx"}} ON {{.Table "sales"}} (dealer_id, vehicle_id, id);
CREATE INDEX {{.Name "sales" "consultant_id_idx"}} ON {{.Table "sales"}} (dealer_id, consultant_id, id);
CREATE INDEX {{.Name "sales" "date_idx"}} ON {{.Table "sales"}} (dealer_id, "date");

CREATE TABLE {{.Table "service_orders"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    external_id text COLLATE "C",
    vehicle_id  text COLLATE "C",
    customer_id text COLLATE "C",
    "date"      date,
    closed_date date,
    odometer_km bigint NOT NULL DEFAULT 0,
    kind        text NOT NULL,
    labour      numeric NOT NULL DEFAULT 0,
    parts       numeric NOT NULL DEFAULT 0,
    payer       text NOT NULL DEFAULT '',
    advisor_id  text COLLATE "C",
    complaint   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT {{.Name "service_orders" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "service_orders" "external_id_key"}} UNIQUE (dealer_id, external_id)
);
CREATE INDEX {{.Name "service_orders" "customer_id_idx"}} ON {{.Table "service_orders"}} (dealer_id, customer_id, id);
CREATE INDEX {{.Name "service_orders" "vehicle_id_idx"}} ON {{.Table "service_orders"}} (dealer_id, vehicle_id, id);
CREATE INDEX {{.Name "service_orders" "advisor_id_idx"}} ON {{.Table "service_orders"}} (dealer_id, advisor_id, id);
CREATE INDEX {{.Name "service_orders" "date_idx"}} ON {{.Table "service_orders"}} (dealer_id, "date");
CREATE INDEX {{.Name "service_orders" "kind_date_idx"}} ON {{.Table "service_orders"}} (dealer_id, kind, "date");

CREATE TABLE {{.Table "insurance_policies"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    external_id text COLLATE "C",
    vehicle_id  text COLLATE "C",
    customer_id text COLLATE "C",
    kind        text NOT NULL,
    insurer     text NOT NULL DEFAULT '',
    start_date  date,
    end_date    date,
    premium     numeric NOT NULL DEFAULT 0,
    renewal     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT {{.Name "insurance_policies" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "insurance_policies" "external_id_key"}} UNIQUE (dealer_id, external_id)
);
CREATE INDEX {{.Name "insurance_policies" "customer_id_idx"}} ON {{.Table "insurance_policies"}} (dealer_id, customer_id, id);
CREATE INDEX {{.Name "insurance_policies" "vehicle_id_idx"}} ON {{.Table "insurance_policies"}} (dealer_id, vehicle_id, id);
CREATE INDEX {{.Name "insurance_policies" "end_date_idx"}} ON {{.Table "insurance_policies"}} (dealer_id, end_date);

CREATE TABLE {{.Table "interactions"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    external_id text COLLATE "C",
    customer_id text COLLATE "C",
    lead_id     text COLLATE "C",
    vehicle_id  text COLLATE "C",
    channel     text NOT NULL,
    direction   text NOT NULL,
    purpose     text NOT NULL DEFAULT '',
    outcome     text NOT NULL,
    note        text NOT NULL DEFAULT '',
    staff_id    text COLLATE "C",
    "at"        timestamptz NOT NULL,
    task_key    text COLLATE "C" NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT {{.Name "interactions" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "interactions" "external_id_key"}} UNIQUE (dealer_id, external_id)
);
CREATE INDEX {{.Name "interactions" "customer_id_idx"}} ON {{.Table "interactions"}} (dealer_id, customer_id, id);
CREATE INDEX {{.Name "interactions" "lead_id_idx"}} ON {{.Table "interactions"}} (dealer_id, lead_id, id);
CREATE INDEX {{.Name "interactions" "staff_id_idx"}} ON {{.Table "interactions"}} (dealer_id, staff_id, id);
CREATE INDEX {{.Name "interactions" "at_idx"}} ON {{.Table "interactions"}} (dealer_id, "at");

CREATE TABLE {{.Table "complaints"}} (
    dealer_id        text COLLATE "C" NOT NULL,
    id               text COLLATE "C" NOT NULL,
    external_id      text COLLATE "C",
    customer_id      text COLLATE "C",
    vehicle_id       text COLLATE "C",
    service_order_id text COLLATE "C",
    category         text NOT NULL DEFAULT '',
    severity         text NOT NULL,
    description      text NOT NULL DEFAULT '',
    status           text NOT NULL,
    opened           date,
    resolved         date,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT {{.Name "complaints" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "complaints" "external_id_key"}} UNIQUE (dealer_id, external_id)
);
CREATE INDEX {{.Name "complaints" "customer_id_idx"}} ON {{.Table "complaints"}} (dealer_id, customer_id, id);
CREATE INDEX {{.Name "complaints" "status_idx"}} ON {{.Table "complaints"}} (dealer_id, status, id);

CREATE TABLE {{.Table "event_participations"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    external_id text COLLATE "C",
    customer_id text COLLATE "C",
    event_id    text COLLATE "C",
    event_name  text NOT NULL DEFAULT '',
    "date"      date,
    attended    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT {{.Name "event_participations" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "event_participations" "external_id_key"}} UNIQUE (dealer_id, external_id)
);
CREATE INDEX {{.Name "event_participations" "customer_id_idx"}} ON {{.Table "event_participations"}} (dealer_id, customer_id, id);
CREATE INDEX {{.Name "event_participations" "event_id_idx"}} ON {{.Table "event_participations"}} (dealer_id, event_id, id);
