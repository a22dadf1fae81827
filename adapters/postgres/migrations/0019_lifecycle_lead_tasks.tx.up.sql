-- dealercrm 0019: lead tasks (package lifecycle, issue 14).
--
-- lead_id is the lead (a prospect, not yet a customer) a lead follow-up or
-- stale-lead task is about, '' for every other task. The partial index on
-- (dealer_id, lead_id, id) finds a lead's tasks (after each change of the
-- lead) and every lead task of a dealer (the daily LeadFollowUps job)
-- without reading the vehicles' tasks.

ALTER TABLE {{.Table "lifecycle_tasks"}} ADD COLUMN lead_id text COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX {{.Name "lifecycle_tasks" "lead_id_idx"}} ON {{.Table "lifecycle_tasks"}} (dealer_id, lead_id, id) WHERE lead_id <> '';
