-- dealercrm 0017: the records of the daily jobs' runs (package jobs,
-- docs/jobs.md).
--
-- job_runs has one row per (dealer, kind, day): pending when asked for by
-- hand, running while an attempt works (attempt counts them, started_at is
-- the latest one's start), then done or failed with the attempt's counts
-- (a jsonb object of name → number) or error. The primary key lets
-- RunStore.Begin claim a day with one INSERT … ON CONFLICT DO UPDATE …
-- WHERE, so that of concurrent callers exactly one proceeds. The index
-- serves the listing: a dealer's runs newest day first, then by kind.
-- River's own tables (adapters/postgres/riverjobs) are not in these
-- migrations: riverjobs.Migrate creates them.

CREATE TABLE {{.Table "job_runs"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    kind        text COLLATE "C" NOT NULL,
    day         date NOT NULL,
    status      text NOT NULL,
    attempt     integer NOT NULL DEFAULT 0,
    manual      boolean NOT NULL DEFAULT false,
    started_at  timestamptz,
    finished_at timestamptz,
    counts      jsonb NOT NULL DEFAULT '{}',
    error       text NOT NULL DEFAULT '',
    CONSTRAINT {{.Name "job_runs" "pkey"}} PRIMARY KEY (dealer_id, kind, day),
    CONSTRAINT {{.Name "job_runs" "status_check"}} CHECK (status IN ('pending', 'running', 'done', 'failed'))
);
CREATE INDEX {{.Name "job_runs" "day_idx"}} ON {{.Table "job_runs"}} (dealer_id, day DESC, kind);
