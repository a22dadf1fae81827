-- dealercrm 0018: the call list (package lifecycle, issue 14).
--
-- attempts counts a task's unanswered calls (the no-answer retry policy,
-- lifecycle.CallPolicy); appointment_date is the date an
-- appointment_booked outcome booked. Existing tasks start at 0 attempts
-- and no appointment.
--
-- The partial index on the active tasks in ID order serves the day's
-- call list (GET /v1/tasks: status open or overdue, due on or before a
-- day, ID order, 50 a page) without sorting every task the dealer ever
-- had; kind and channel filters read it too.

ALTER TABLE {{.Table "lifecycle_tasks"}} ADD COLUMN attempts integer NOT NULL DEFAULT 0;
ALTER TABLE {{.Table "lifecycle_tasks"}} ADD COLUMN appointment_date date;
CREATE INDEX {{.Name "lifecycle_tasks" "active_idx"}} ON {{.Table "lifecycle_tasks"}} (dealer_id, id) INCLUDE (due) WHERE status IN ('open', 'overdue');
