-- dealercrm 0016: a customer's birthday calendar (package crm, issue 14).
--
-- birthday_calendar is crm.BirthdayCalendar: '' or 'solar' for a birthday
-- kept on the Gregorian date of birth, 'lunar' for a lunar birthday
-- 农历生日 (the lunar month and day of that date, each lunar year). Existing
-- customers get '', which behaves as before.

ALTER TABLE {{.Table "customers"}}
    ADD COLUMN birthday_calendar text NOT NULL DEFAULT '';
