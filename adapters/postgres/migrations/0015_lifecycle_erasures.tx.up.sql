-- dealercrm 0015: erasures of customers' lifecycle tasks (package
-- lifecycle, PIPL).
--
-- lifecycle_erasures has one row per customer whose tasks were erased: how
-- often and when last (TaskStore.EraseCustomer writes it in the same
-- transaction as the erased tasks). The daily run reads it before loading
-- the crm records and after writing, and erases again the tasks of a
-- customer erased in between. It holds no personal data.
--
-- The index on (dealer_id, customer_id, id) finds a customer's tasks for
-- an export or an erasure (and GET /v1/tasks?customer_id=) without reading
-- every task of the dealer.

CREATE TABLE {{.Table "lifecycle_erasures"}} (
    dealer_id   text COLLATE "C" NOT NULL,
    customer_id text COLLATE "C" NOT NULL,
    erasures    bigint NOT NULL,
    erased_at   timestamptz NOT NULL,
    CONSTRAINT {{.Name "lifecycle_erasures" "pkey"}} PRIMARY KEY (dealer_id, customer_id)
);
CREATE INDEX {{.Name "lifecycle_tasks" "customer_id_idx"}} ON {{.Table "lifecycle_tasks"}} (dealer_id, customer_id, id);
