-- dealercrm 0035: plate_key folds the full-width forms a Chinese input
-- method types (沪Ａ１２３４５, 沪A・12345, 沪A　12345) as crm.PlateKey does:
-- full-width letters and digits become ASCII (letters in upper case), and
-- the full-width and Japanese-style separators ・ ･ 　 － ． are dropped with
-- · • space - . as before.
--
-- PostgreSQL 15 cannot change a generated column's expression, so the
-- column and its index are made again: this rewrites the vehicles table
-- and rebuilds its indexes, holding it locked meanwhile (12.5 s for a
-- million narrower rows with one index on a 2-core machine).
-- TestPlateKeyColumn checks the expression against crm.PlateKey for every
-- character of the Basic Multilingual Plane.

-- Dropping the column drops its index (search_plate includes it).
ALTER TABLE {{.Table "vehicles"}} DROP COLUMN plate_key;

ALTER TABLE {{.Table "vehicles"}}
    ADD COLUMN plate_key text NOT NULL
    GENERATED ALWAYS AS (translate(plate,
        'abcdefghijklmnopqrstuvwxyzａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ０１２３４５６７８９·• -.・･　－．',
        'ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')) STORED;

CREATE INDEX {{.Name "vehicles" "search_plate"}} ON {{.Table "vehicles"}} (dealer_id, id) INCLUDE (plate_key);
