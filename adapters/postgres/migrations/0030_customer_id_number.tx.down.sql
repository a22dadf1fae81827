DROP INDEX IF EXISTS {{.Schema}}.{{.Name "customers" "id_number"}};
ALTER TABLE {{.Table "customers"}} DROP COLUMN IF EXISTS id_number;
