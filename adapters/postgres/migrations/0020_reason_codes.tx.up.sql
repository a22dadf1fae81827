-- dealercrm 0020: reasons as message codes with parameters (issue 14):
-- rendered in the reader's language by package i18n. The parameters are a
-- jsonb object of strings. The English reason columns stay. Rows stored
-- before get '' and '{}': no code, shown in their English text.
--
-- lifecycle_tasks: reason_code and reason_params are Task.ReasonCode and
-- ReasonParams, status_reason_code and status_reason_params
-- Task.StatusReasonCode and StatusReasonParams.
-- grading_changes: reason_code and reason_params are Change.ReasonCode and
-- ReasonParams.

ALTER TABLE {{.Table "lifecycle_tasks"}}
    ADD COLUMN reason_code text NOT NULL DEFAULT '',
    ADD COLUMN reason_params jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN status_reason_code text NOT NULL DEFAULT '',
    ADD COLUMN status_reason_params jsonb NOT NULL DEFAULT '{}';

ALTER TABLE {{.Table "grading_changes"}}
    ADD COLUMN reason_code text NOT NULL DEFAULT '',
    ADD COLUMN reason_params jsonb NOT NULL DEFAULT '{}';
