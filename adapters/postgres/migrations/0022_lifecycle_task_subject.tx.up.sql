-- dealercrm 0022: what the call list shows of a task's subject (package
-- lifecycle, issue 14).
--
-- stage and last_visit are the vehicle's lifecycle stage and the date of
-- its last service order (for a task without a vehicle, the customer's
-- last visit) as of the daily run that last saw the task active
-- (lifecycle.Task.Stage, Task.LastVisit). The run keeps them current, so
-- that a page of the call list reads no service orders. Existing tasks
-- start empty and are described by the next daily run.

ALTER TABLE {{.Table "lifecycle_tasks"}} ADD COLUMN stage text NOT NULL DEFAULT '';
ALTER TABLE {{.Table "lifecycle_tasks"}} ADD COLUMN last_visit date;
