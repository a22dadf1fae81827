-- dealercrm 0033 down: no stamp of the daily run's inputs.

ALTER TABLE {{.Table "lifecycle_reports"}}
    DROP COLUMN IF EXISTS stamp,
    DROP COLUMN IF EXISTS subjects;
