-- dealercrm 0004: the lifecycle task table (package lifecycle).
--
-- A text/template like 0001 (see RenderMigrations). Citus-ready: dealer_id
-- in each key and leading each index. The task key (rule + subject +
-- anchor + reminder number) is unique per dealer: re-running the
-- scheduler never duplicates a task.

CREATE TABLE {{.Table "lifecycle_tasks"}} (
    dealer_id         text COLLATE "C" NOT NULL,
    id                text COLLATE "C" NOT NULL,
    task_key          text COLLATE "C" NOT NULL,
    kind              text NOT NULL,
    vehicle_id        text COLLATE "C" NOT NULL DEFAULT '',
    customer_id       text COLLATE "C" NOT NULL DEFAULT '',
    anchor_date       date,
    due               date NOT NULL,
    window_end        date NOT NULL,
    channel           text NOT NULL DEFAULT '',
    purpose           text NOT NULL DEFAULT '',
    owner_role        text NOT NULL,
    assignee_id       text COLLATE "C" NOT NULL DEFAULT '',
    excluded_staff_id text COLLATE "C" NOT NULL DEFAULT '',
    reason            text NOT NULL DEFAULT '',
    pinned            boolean NOT NULL DEFAULT false,
    status            text NOT NULL,
    status_reason     text NOT NULL DEFAULT '',
    outcome           text NOT NULL DEFAULT '',
    note              text NOT NULL DEFAULT '',
    interaction_id    text COLLATE "C" NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT {{.Name "lifecycle_tasks" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "lifecycle_tasks" "key_key"}} UNIQUE (dealer_id, task_key)
);
CREATE INDEX {{.Name "lifecycle_tasks" "due_idx"}} ON {{.Table "lifecycle_tasks"}} (dealer_id, due, id);
CREATE INDEX {{.Name "lifecycle_tasks" "vehicle_id_idx"}} ON {{.Table "lifecycle_tasks"}} (dealer_id, vehicle_id, id);
CREATE INDEX {{.Name "lifecycle_tasks" "assignee_id_idx"}} ON {{.Table "lifecycle_tasks"}} (dealer_id, assignee_id, due);
