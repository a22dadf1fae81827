-- dealercrm 0029: merged customers (crm.Service.MergeCustomers, issue 17).
--
-- merged_into is crm.Customer.MergedInto: the customer a merged customer
-- was merged into, NULL for every other. A merged customer's row stays,
-- so that a lookup of its ID can say where it went; nothing else refers
-- to it.

ALTER TABLE {{.Table "customers"}}
    ADD COLUMN merged_into text COLLATE "C";
