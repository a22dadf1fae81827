-- dealercrm 0036: a customer's consents as json, the text as sent, not
-- jsonb (issue 14, the all-dealers run's budget).
--
-- The consents are only ever read and written whole by the adapter, and
-- nothing queries inside them. Printing jsonb back as text was most of the
-- daily lifecycle run's read of the customers: COPY of 20,000 customers
-- with 20 consents each took 290 ms, 54 ms as json (and 274 bytes a row
-- stored instead of 377). This rewrites the customers table and rebuilds
-- its indexes, holding it locked meanwhile.

ALTER TABLE {{.Table "customers"}}
    ALTER COLUMN consents DROP DEFAULT,
    ALTER COLUMN consents TYPE json USING consents::json,
    ALTER COLUMN consents SET DEFAULT '[]';
