-- dealercrm 0008: one grading run per dealer and as-of date (issue 12).
--
-- A run as of a date takes effect once per dealer: the run that took
-- effect is marked effective, and a partial unique index on
-- (dealer_id, as_of) lets SaveRun insert-or-detect it (ON CONFLICT DO
-- NOTHING), so that concurrent runs of one date record each change once.
-- Runs recorded before this migration could repeat a date: the earliest of
-- each (dealer, date) stays effective, the later ones are kept as records
-- but marked not effective.

ALTER TABLE {{.Table "grading_runs"}} ADD COLUMN effective boolean NOT NULL DEFAULT true;

UPDATE {{.Table "grading_runs"}} r SET effective = false
WHERE EXISTS (
    SELECT 1 FROM {{.Table "grading_runs"}} e
    WHERE e.dealer_id = r.dealer_id AND e.as_of = r.as_of AND (e.started_at, e.id) < (r.started_at, r.id)
);

CREATE UNIQUE INDEX {{.Name "grading_runs" "as_of_key"}} ON {{.Table "grading_runs"}} (dealer_id, as_of) WHERE effective;
