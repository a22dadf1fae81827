-- dealercrm 0034 down: the name parameter of survey follow-ups' reasons
-- goes; the earlier templates did not use it.

UPDATE {{.Table "lifecycle_tasks"}}
SET reason_params = reason_params - 'name'
WHERE kind = 'survey_follow_up'
  AND reason_code LIKE 'satisfaction.follow%';
