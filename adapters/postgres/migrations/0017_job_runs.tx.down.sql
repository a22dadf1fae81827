-- dealercrm 0017 down: drops the records of the daily jobs' runs.

DROP TABLE IF EXISTS {{.Table "job_runs"}};
