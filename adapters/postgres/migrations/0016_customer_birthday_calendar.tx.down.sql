-- dealercrm 0016 down: drops the customers' birthday calendar.

ALTER TABLE {{.Table "customers"}} DROP COLUMN IF EXISTS birthday_calendar;
