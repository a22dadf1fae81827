-- dealercrm 0029: the duplicate search (crm.Service.DuplicateCandidates,
-- issue 17).
--
-- The search groups a dealer's customers by mobile (customers mobile_idx
-- of 0001 serves it) and by name and mobile: the name as crm.NameKey
-- compares it, lower-cased without whitespace. This index holds that
-- expression beside the mobile, for customers that have one, so that the
-- grouping reads the index instead of the table.

CREATE INDEX {{.Name "customers" "name_mobile_idx"}} ON {{.Table "customers"}}
    (dealer_id, mobile, (lower(regexp_replace(name, '\s', '', 'g'))), id) WHERE mobile <> '';
