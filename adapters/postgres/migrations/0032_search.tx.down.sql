DROP INDEX IF EXISTS {{.Name "vehicles" "search_plate"}};
ALTER TABLE {{.Table "vehicles"}} DROP COLUMN IF EXISTS plate_key;
DROP INDEX IF EXISTS {{.Name "customers" "search_name"}};
