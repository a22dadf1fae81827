-- dealercrm 0004 down: drops the lifecycle task table and its data.

DROP TABLE IF EXISTS {{.Table "lifecycle_tasks"}};
