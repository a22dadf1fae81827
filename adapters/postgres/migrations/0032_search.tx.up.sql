-- dealercrm 0032: the substring searches of crm.CustomerFilter.Name and
-- crm.VehicleFilter.Plate without pg_trgm (a host may refuse extensions).
-- No index finds a substring, but an index that carries the searched text
-- next to (dealer_id, id) lets the store read one dealer's names or plates
-- in ID order from the index alone (an index-only scan) instead of from
-- the wide rows: about a tenth of the pages (docs/console.md).
--
-- plate_key is crm.PlateKey(plate): the separators · • space - . dropped
-- and ASCII letters in upper case (translate deletes the characters it has
-- no replacement for; it does not depend on the locale, as upper() would).

CREATE INDEX {{.Name "customers" "search_name"}} ON {{.Table "customers"}} (dealer_id, id) INCLUDE (name);

ALTER TABLE {{.Table "vehicles"}}
    ADD COLUMN plate_key text NOT NULL
    GENERATED ALWAYS AS (translate(plate, 'abcdefghijklmnopqrstuvwxyz·• -.', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')) STORED;

CREATE INDEX {{.Name "vehicles" "search_plate"}} ON {{.Table "vehicles"}} (dealer_id, id) INCLUDE (plate_key);
