-- dealercrm 0009: a version per lifecycle task (package lifecycle).
--
-- The daily run replaces a task only while it still has the version the
-- run read (UPDATE … WHERE version = n), so that it never overwrites an
-- outcome recorded meanwhile. Existing tasks start at version 1.

ALTER TABLE {{.Table "lifecycle_tasks"}} ADD COLUMN version bigint NOT NULL DEFAULT 1;
