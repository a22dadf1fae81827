-- dealercrm 0007: a source document counts once per points account (SPEC §4:
-- the idempotency key makes a request safe to retry, the source reference
-- makes the business event count once).
--
-- Each entry records the key of its source (loyalty.Entry.SourceKey): an
-- earning or bonus is "kind n:store n:source_type n:source_id", a reversal
-- "reverse n:entry", with each part's length in bytes; other entries have
-- ''. A unique index per account backs the store's own check, which reads
-- the source under the account's row lock before posting, so that a
-- repeated source raises no error.
--
-- Entries posted before this migration get their key too, except the later
-- ones of a source posted twice (the defect this fixes): those stay on the
-- ledger as posted, without a key, and may be reversed.

ALTER TABLE {{.Table "loyalty_entries"}} ADD COLUMN source_key text COLLATE "C" NOT NULL DEFAULT '';

UPDATE {{.Table "loyalty_entries"}} e SET source_key = f.source_key
FROM (
    SELECT DISTINCT ON (s.dealer_id, s.customer_id, s.source_key) s.dealer_id, s.customer_id, s.seq, s.source_key
    FROM (
        SELECT x.dealer_id, x.customer_id, x.seq,
            CASE WHEN x.kind = 'reverse'
                THEN 'reverse ' || octet_length(x.reverses) || ':' || x.reverses
                ELSE x.kind || ' ' || octet_length(x.store_id) || ':' || x.store_id
                    || ' ' || octet_length(x.source_type) || ':' || x.source_type
                    || ' ' || octet_length(x.source_id) || ':' || x.source_id
            END AS source_key
        FROM {{.Table "loyalty_entries"}} x
        WHERE (x.kind = 'reverse' AND x.reverses <> '') OR (x.kind IN ('earn', 'bonus') AND x.source_id <> '')
    ) s
    ORDER BY s.dealer_id, s.customer_id, s.source_key, s.seq
) f
WHERE e.dealer_id = f.dealer_id AND e.customer_id = f.customer_id AND e.seq = f.seq;

CREATE UNIQUE INDEX {{.Name "loyalty_entries" "source_key"}} ON {{.Table "loyalty_entries"}} (dealer_id, customer_id, source_key)
    WHERE source_key <> '';
