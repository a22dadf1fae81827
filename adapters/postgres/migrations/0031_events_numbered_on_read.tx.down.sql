-- dealercrm 0031 down: numbers the events no reader has numbered yet (in
-- gid order, after the dealer's last number) and goes back to events
-- numbered as they are written, keyed by (dealer_id, seq).

INSERT INTO {{.Table "event_seqs"}} (dealer_id)
    SELECT DISTINCT dealer_id FROM {{.Table "events"}} WHERE seq IS NULL
    ON CONFLICT (dealer_id) DO NOTHING;
UPDATE {{.Table "events"}} AS e SET seq = q.seq + n.rn
    FROM (SELECT dealer_id, gid, row_number() OVER (PARTITION BY dealer_id ORDER BY gid) AS rn
          FROM {{.Table "events"}} WHERE seq IS NULL) AS n,
         {{.Table "event_seqs"}} AS q
    WHERE e.dealer_id = n.dealer_id AND e.gid = n.gid AND q.dealer_id = n.dealer_id;
UPDATE {{.Table "event_seqs"}} AS q SET seq = m.seq
    FROM (SELECT dealer_id, max(seq) AS seq FROM {{.Table "events"}} GROUP BY dealer_id) AS m
    WHERE q.dealer_id = m.dealer_id AND m.seq > q.seq;
DROP INDEX IF EXISTS {{.Schema}}.{{.Name "events" "unnumbered_idx"}};
DROP INDEX IF EXISTS {{.Schema}}.{{.Name "events" "seq_idx"}};
ALTER TABLE {{.Table "events"}} DROP CONSTRAINT IF EXISTS {{.Name "events" "pkey"}};
ALTER TABLE {{.Table "events"}} DROP COLUMN IF EXISTS gid;
ALTER TABLE {{.Table "events"}} ALTER COLUMN seq SET NOT NULL;
ALTER TABLE {{.Table "events"}} ADD CONSTRAINT {{.Name "events" "pkey"}} PRIMARY KEY (dealer_id, seq);
