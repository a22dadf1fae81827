-- dealercrm 0024: the audit trail (crm.AuditStore, SPEC §9).
--
-- audit_log has one row per audited request: when (at), who (key_id,
-- staff_id), the operation, the IDs of the records it named or created
-- (records, a text array), the request ID, the outcome and its reason.
-- Rows are appended and never changed: a trigger refuses every UPDATE;
-- DELETE stays allowed, for retention (AuditStore.Purge). The primary key
-- (dealer_id, id) serves the listing, newest ID first; the B-tree indexes a
-- member of staff's records and a request's; the GIN index on records the filter by record
-- ID (records @> ARRAY[id]). A store that commits a transaction for a
-- request writes its row in that transaction, with the change it records.
--
-- Citus-ready like every per-dealer table: the table is distributed by
-- dealer_id. The GIN index cannot lead with dealer_id without btree_gin,
-- and need not: only unique indexes must hold the distribution column.
-- The append-only trigger runs on the shards (Citus wants
-- citus.enable_unsafe_triggers on for triggers on distributed tables;
-- this one reads nothing else).

CREATE TABLE {{.Table "audit_log"}} (
    dealer_id  text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    at         timestamptz NOT NULL,
    key_id     text COLLATE "C" NOT NULL DEFAULT '',
    staff_id   text COLLATE "C" NOT NULL DEFAULT '',
    operation  text NOT NULL,
    records    text[] NOT NULL DEFAULT '{}',
    request_id text COLLATE "C" NOT NULL DEFAULT '',
    outcome    text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    CONSTRAINT {{.Name "audit_log" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "audit_log" "outcome_check"}} CHECK (outcome IN ('ok', 'denied', 'failed'))
);
CREATE INDEX {{.Name "audit_log" "staff_idx"}} ON {{.Table "audit_log"}} (dealer_id, staff_id, id);
CREATE INDEX {{.Name "audit_log" "request_idx"}} ON {{.Table "audit_log"}} (dealer_id, request_id);
CREATE INDEX {{.Name "audit_log" "records_idx"}} ON {{.Table "audit_log"}} USING gin (records);

CREATE FUNCTION {{.Schema}}.{{.Name "audit_log" "append_only"}}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER {{.Name "audit_log" "append_only"}} BEFORE UPDATE ON {{.Table "audit_log"}}
    FOR EACH ROW EXECUTE FUNCTION {{.Schema}}.{{.Name "audit_log" "append_only"}}();
