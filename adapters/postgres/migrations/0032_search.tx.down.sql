DROP INDEX IF EXISTS {{.Schema}}.{{.Name "vehicles" "search_plate"}};
ALTER TABLE {{.Table "vehicles"}} DROP COLUMN IF EXISTS plate_key;
DROP INDEX IF EXISTS {{.Schema}}.{{.Name "customers" "search_name"}};
