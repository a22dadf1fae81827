-- dealercrm 0036: a customer's consents as json, the text as sent, not
-- jsonb (issue 14, the all-dealers run's budget).
--
-- The consents are only ever read and written whole by the adapter, and
-- nothing queries inside them. Printing jsonb back as text was most of the
-- daily lifecycle run's read of the customers: COPY of 20,000 customers
-- with 20 consents each took 290 ms, 54 ms as json (and 274 bytes a row
-- stored instead of 377). This rewrites the customers table and rebuilds
-- its indexes, holding it locked meanwhile: 3.3 s for 100,000 customers
-- with 20 consents each on a 2-core machine (the table from 99 MB to
-- 61 MB), so about half a minute a million.

ALTER TABLE {{.Table "customers"}}
    ALTER COLUMN consents DROP DEFAULT,
    ALTER COLUMN consents TYPE json USING consents::json,
    ALTER COLUMN consents SET DEFAULT '[]';
