-- dealercrm 0020 down: drops the reason codes and parameters.

ALTER TABLE {{.Table "lifecycle_tasks"}}
    DROP COLUMN IF EXISTS reason_code,
    DROP COLUMN IF EXISTS reason_params,
    DROP COLUMN IF EXISTS status_reason_code,
    DROP COLUMN IF EXISTS status_reason_params;

ALTER TABLE {{.Table "grading_changes"}}
    DROP COLUMN IF EXISTS reason_code,
    DROP COLUMN IF EXISTS reason_params;
