-- dealercrm 0018 down: drops the call list's columns and index of the
-- lifecycle tasks.

DROP INDEX IF EXISTS {{.Schema}}.{{.Name "lifecycle_tasks" "active_idx"}};
ALTER TABLE {{.Table "lifecycle_tasks"}} DROP COLUMN IF EXISTS appointment_date;
ALTER TABLE {{.Table "lifecycle_tasks"}} DROP COLUMN IF EXISTS attempts;
