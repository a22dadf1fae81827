-- dealercrm 0034: a survey follow-up's reason names its questionnaire
-- (issue 14, words people read). The reason's templates now show the
-- questionnaire's name instead of its ID and the response's ID; tasks
-- opened before this migration get the name parameter from their
-- questionnaire, so that their reason reads as a new one's. The low
-- answers they quote keep their old form ("q5 text: 1").

UPDATE {{.Table "lifecycle_tasks"}} AS t
SET reason_params = t.reason_params || jsonb_build_object('name', q.name)
FROM {{.Table "satisfaction_questionnaires"}} AS q
WHERE t.kind = 'survey_follow_up'
  AND t.reason_code LIKE 'satisfaction.follow%'
  AND t.reason_params->>'name' IS NULL
  AND q.dealer_id = t.dealer_id
  AND q.id = t.reason_params->>'questionnaire';
