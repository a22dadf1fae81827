-- dealercrm 0029 down: drops the customers' merged_into.

ALTER TABLE {{.Table "customers"}} DROP COLUMN IF EXISTS merged_into;
