-- dealercrm 0003: the grading tables (package grading).
--
-- A text/template like 0001 (see RenderMigrations). Citus-ready like every
-- table: dealer_id in each key and leading each index. States are one row
-- per customer; changes are appended (one per customer and run); a run is
-- recorded once per dealer it graded.

CREATE TABLE {{.Table "grading_runs"}} (
    dealer_id     text COLLATE "C" NOT NULL,
    id            text COLLATE "C" NOT NULL,
    dealers       text[] NOT NULL DEFAULT '{}',
    as_of         date NOT NULL,
    model         text NOT NULL,
    model_version integer NOT NULL,
    customers     integer NOT NULL,
    changed       integer NOT NULL,
    written       integer NOT NULL,
    counts        jsonb NOT NULL DEFAULT '[]',
    aggregation   text NOT NULL DEFAULT '',
    started_at    timestamptz NOT NULL,
    CONSTRAINT {{.Name "grading_runs" "pkey"}} PRIMARY KEY (dealer_id, id)
);

CREATE TABLE {{.Table "grading_states"}} (
    dealer_id     text COLLATE "C" NOT NULL,
    customer_id   text COLLATE "C" NOT NULL,
    grade         text NOT NULL,
    raw_grade     text NOT NULL,
    score         double precision NOT NULL,
    pending       integer NOT NULL DEFAULT 0,
    period        date NOT NULL,
    model         text NOT NULL,
    model_version integer NOT NULL,
    top           jsonb NOT NULL DEFAULT '[]',
    run_id        text COLLATE "C" NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT {{.Name "grading_states" "pkey"}} PRIMARY KEY (dealer_id, customer_id)
);
CREATE INDEX {{.Name "grading_states" "grade_idx"}} ON {{.Table "grading_states"}} (dealer_id, grade, customer_id);

CREATE TABLE {{.Table "grading_changes"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    customer_id text COLLATE "C" NOT NULL,
    run_id      text COLLATE "C" NOT NULL,
    old_grade   text NOT NULL DEFAULT '',
    new_grade   text NOT NULL,
    score       double precision NOT NULL,
    reason      text NOT NULL,
    top         jsonb NOT NULL DEFAULT '[]',
    period      date NOT NULL,
    "at"        timestamptz NOT NULL,
    CONSTRAINT {{.Name "grading_changes" "pkey"}} PRIMARY KEY (dealer_id, customer_id, run_id)
);
