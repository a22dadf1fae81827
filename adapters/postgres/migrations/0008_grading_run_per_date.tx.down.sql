-- dealercrm 0008 down: runs may repeat a date again.

DROP INDEX IF EXISTS {{.Schema}}.{{.Name "grading_runs" "as_of_key"}};
ALTER TABLE {{.Table "grading_runs"}} DROP COLUMN IF EXISTS effective;
