-- dealercrm 0022 down: drops what the call list shows of a task's subject.

ALTER TABLE {{.Table "lifecycle_tasks"}} DROP COLUMN IF EXISTS last_visit;
ALTER TABLE {{.Table "lifecycle_tasks"}} DROP COLUMN IF EXISTS stage;
