-- dealercrm 0030: the customer's resident ID card number (crm.Customer.IDNumber,
-- issue 17), '' for none, and the index of the duplicate search's
-- id_number reason (only customers with a number are in it).

ALTER TABLE {{.Table "customers"}}
    ADD COLUMN id_number text NOT NULL DEFAULT '';

CREATE INDEX {{.Name "customers" "id_number"}} ON {{.Table "customers"}} (dealer_id, id_number)
    WHERE id_number <> '';
