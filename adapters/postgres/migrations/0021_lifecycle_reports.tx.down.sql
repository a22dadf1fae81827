-- dealercrm 0021 down: drops the report snapshots of the daily
-- lifecycle run.

DROP TABLE IF EXISTS {{.Table "lifecycle_reports"}};
