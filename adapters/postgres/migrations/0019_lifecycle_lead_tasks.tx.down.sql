-- dealercrm 0019 down: drops the lead of lifecycle tasks.

DROP INDEX IF EXISTS {{.Schema}}.{{.Name "lifecycle_tasks" "lead_id_idx"}};
ALTER TABLE {{.Table "lifecycle_tasks"}} DROP COLUMN IF EXISTS lead_id;
