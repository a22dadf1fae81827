-- dealercrm 0036 down: a customer's consents as jsonb again.

ALTER TABLE {{.Table "customers"}}
    ALTER COLUMN consents DROP DEFAULT,
    ALTER COLUMN consents TYPE jsonb USING consents::jsonb,
    ALTER COLUMN consents SET DEFAULT '[]';
