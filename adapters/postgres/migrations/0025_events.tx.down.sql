-- dealercrm 0025 down: drops the event outbox.

DROP TABLE IF EXISTS {{.Table "event_seqs"}};
DROP TABLE IF EXISTS {{.Table "events"}};
