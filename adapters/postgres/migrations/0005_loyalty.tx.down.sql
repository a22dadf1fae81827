-- dealercrm 0005 down: drops the loyalty tables and their data.

DROP TABLE IF EXISTS {{.Table "loyalty_idempotency"}};
DROP TABLE IF EXISTS {{.Table "loyalty_lots"}};
DROP TABLE IF EXISTS {{.Table "loyalty_entries"}};
DROP TABLE IF EXISTS {{.Table "loyalty_accounts"}};
DROP TABLE IF EXISTS {{.Table "loyalty_membership_events"}};
DROP TABLE IF EXISTS {{.Table "loyalty_memberships"}};
