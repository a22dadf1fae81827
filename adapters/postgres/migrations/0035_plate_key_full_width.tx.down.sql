-- dealercrm 0035 down: plate_key as 0032 made it (ASCII letters in upper
-- case, the separators · • space - . dropped).

-- Dropping the column drops its index (search_plate includes it).
ALTER TABLE {{.Table "vehicles"}} DROP COLUMN plate_key;

ALTER TABLE {{.Table "vehicles"}}
    ADD COLUMN plate_key text NOT NULL
    GENERATED ALWAYS AS (translate(plate, 'abcdefghijklmnopqrstuvwxyz·• -.', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')) STORED;

CREATE INDEX {{.Name "vehicles" "search_plate"}} ON {{.Table "vehicles"}} (dealer_id, id) INCLUDE (plate_key);
