-- dealercrm 0015 down: drops the erasures of lifecycle tasks and the
-- customer index of the tasks.

DROP INDEX IF EXISTS {{.Schema}}.{{.Name "lifecycle_tasks" "customer_id_idx"}};
DROP TABLE IF EXISTS {{.Table "lifecycle_erasures"}};
