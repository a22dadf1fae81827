-- dealercrm 0009 down: drops the lifecycle task version.

ALTER TABLE {{.Table "lifecycle_tasks"}} DROP COLUMN IF EXISTS version;
