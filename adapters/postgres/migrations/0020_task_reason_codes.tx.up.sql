-- dealercrm 0020: task reasons as message codes with parameters (package
-- lifecycle, issue 14): reason_code and reason_params are Task.ReasonCode
-- and ReasonParams, status_reason_code and status_reason_params
-- Task.StatusReasonCode and StatusReasonParams; the parameters are a jsonb
-- object of strings. The English reason and status_reason stay. Tasks
-- stored before get '' and '{}': no code, rendered from their English text.

ALTER TABLE {{.Table "lifecycle_tasks"}}
    ADD COLUMN reason_code text NOT NULL DEFAULT '',
    ADD COLUMN reason_params jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN status_reason_code text NOT NULL DEFAULT '',
    ADD COLUMN status_reason_params jsonb NOT NULL DEFAULT '{}';
