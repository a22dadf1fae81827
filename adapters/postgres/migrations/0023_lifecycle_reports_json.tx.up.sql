-- dealercrm 0023: the report snapshots of the daily lifecycle run as
-- json, with a digest (issue 14, the all-dealers run's budget).
--
-- The reports are only ever read whole (GET /v1/reports/… of today), so
-- they are kept as json (the text as sent) instead of jsonb: parsing a
-- dealer's 7 MB of reports (20,000 vehicles) into jsonb cost Postgres
-- more than the rest of the daily run's write. digest is the SHA-256 of
-- the encoded reports: a re-run of the day whose reports are those stored
-- only moves computed_at instead of sending and writing them again. NULL
-- (rows of before this migration) matches no digest.

ALTER TABLE {{.Table "lifecycle_reports"}}
    ALTER COLUMN kpis TYPE json USING kpis::json,
    ALTER COLUMN comebacks TYPE json USING comebacks::json,
    ALTER COLUMN abnormal TYPE json USING abnormal::json,
    ADD COLUMN digest bytea;
