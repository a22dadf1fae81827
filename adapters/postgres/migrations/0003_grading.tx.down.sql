-- dealercrm 0003 down: drops the grading tables and their data.

DROP TABLE IF EXISTS {{.Table "grading_changes"}};
DROP TABLE IF EXISTS {{.Table "grading_states"}};
DROP TABLE IF EXISTS {{.Table "grading_runs"}};
