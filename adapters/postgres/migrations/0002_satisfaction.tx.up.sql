-- dealercrm 0002: the satisfaction tables (AHP hierarchies, questionnaires,
-- survey responses). Template placeholders as in 0001.
--
-- Citus-ready like 0001: dealer_id in every table, every key and index.
-- Hierarchies and questionnaires are small documents read whole, kept as
-- jsonb; responses keep their answers as jsonb and the columns reports
-- filter on as columns.

CREATE TABLE {{.Table "satisfaction_hierarchies"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    name        text NOT NULL,
    doc         jsonb NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT {{.Name "satisfaction_hierarchies" "pkey"}} PRIMARY KEY (dealer_id, id)
);

CREATE TABLE {{.Table "satisfaction_questionnaires"}} (
    dealer_id    text COLLATE "C" NOT NULL,
    id           text COLLATE "C" NOT NULL,
    hierarchy_id text COLLATE "C" NOT NULL,
    name         text NOT NULL,
    doc          jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT {{.Name "satisfaction_questionnaires" "pkey"}} PRIMARY KEY (dealer_id, id)
);

CREATE TABLE {{.Table "satisfaction_responses"}} (
    dealer_id        text COLLATE "C" NOT NULL,
    id               text COLLATE "C" NOT NULL,
    external_id      text COLLATE "C",
    questionnaire_id text COLLATE "C" NOT NULL,
    customer_id      text COLLATE "C",
    staff_id         text COLLATE "C",
    "date"           date NOT NULL,
    doc              jsonb NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT {{.Name "satisfaction_responses" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "satisfaction_responses" "external_id_key"}} UNIQUE (dealer_id, external_id)
);
CREATE INDEX {{.Name "satisfaction_responses" "questionnaire_id_idx"}} ON {{.Table "satisfaction_responses"}} (dealer_id, questionnaire_id, "date", id);
CREATE INDEX {{.Name "satisfaction_responses" "staff_id_idx"}} ON {{.Table "satisfaction_responses"}} (dealer_id, staff_id, id);
CREATE INDEX {{.Name "satisfaction_responses" "customer_id_idx"}} ON {{.Table "satisfaction_responses"}} (dealer_id, customer_id, id);
