-- dealercrm 0024 down: drops the audit trail (the trigger goes with its
-- table).

DROP TABLE IF EXISTS {{.Table "audit_log"}};
DROP FUNCTION IF EXISTS {{.Schema}}.{{.Name "audit_log" "append_only"}}();
