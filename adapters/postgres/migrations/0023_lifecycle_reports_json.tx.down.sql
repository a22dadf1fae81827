-- dealercrm 0023 down: the report snapshots as jsonb again, without a
-- digest.

ALTER TABLE {{.Table "lifecycle_reports"}}
    DROP COLUMN IF EXISTS digest,
    ALTER COLUMN kpis TYPE jsonb USING kpis::jsonb,
    ALTER COLUMN comebacks TYPE jsonb USING comebacks::jsonb,
    ALTER COLUMN abnormal TYPE jsonb USING abnormal::jsonb;
