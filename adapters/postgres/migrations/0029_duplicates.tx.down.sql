-- dealercrm 0029 down: drops the index of the duplicate search.

DROP INDEX IF EXISTS {{.Schema}}.{{.Name "customers" "name_mobile_idx"}};
