-- dealercrm 0028: the records of messages sent through the Sender port
-- (package messages, SPEC §8 "Messages").
--
-- message_sends has one row per send: the message (channel, purpose,
-- consent purpose, template, params as a jsonb object of strings,
-- recipient), where it comes from (task, reminder series, campaign), its
-- status with the reason code and parameters of a hold or refusal, when
-- it is next due, the attempts, the Sender's last error and answer, and
-- the crm interaction of the latest attempt. The unique key on (dealer,
-- key) makes one send per idempotency key (Create: INSERT … ON CONFLICT
-- DO NOTHING, then the first record). Citus-ready like every per-dealer
-- table: every key starts with dealer_id. The partial index serves
-- Dispatch (the due sends, earliest first); sent_idx the frequency cap
-- and reminder limit (sent sends of a customer or series).

CREATE TABLE {{.Table "message_sends"}} (
    dealer_id      text COLLATE "C" NOT NULL,
    id             text COLLATE "C" NOT NULL,
    key            text COLLATE "C" NOT NULL,
    customer_id    text COLLATE "C" NOT NULL,
    vehicle_id     text COLLATE "C" NOT NULL DEFAULT '',
    channel        text NOT NULL,
    purpose        text NOT NULL,
    consent        text NOT NULL DEFAULT '',
    template       text NOT NULL,
    params         jsonb NOT NULL DEFAULT '{}',
    recipient      text NOT NULL DEFAULT '',
    task_id        text COLLATE "C" NOT NULL DEFAULT '',
    task_key       text COLLATE "C" NOT NULL DEFAULT '',
    series         text COLLATE "C" NOT NULL DEFAULT '',
    campaign_id    text COLLATE "C" NOT NULL DEFAULT '',
    status         text NOT NULL,
    reason         text NOT NULL DEFAULT '',
    reason_params  jsonb NOT NULL DEFAULT '{}',
    next_at        timestamptz,
    attempts       integer NOT NULL DEFAULT 0,
    error          text NOT NULL DEFAULT '',
    provider_id    text COLLATE "C" NOT NULL DEFAULT '',
    sent_at        timestamptz,
    interaction_id text COLLATE "C" NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT {{.Name "message_sends" "pkey"}} PRIMARY KEY (dealer_id, id),
    CONSTRAINT {{.Name "message_sends" "key_key"}} UNIQUE (dealer_id, key),
    CONSTRAINT {{.Name "message_sends" "status_check"}} CHECK (status IN ('queued', 'held', 'sent', 'failed', 'refused')),
    CONSTRAINT {{.Name "message_sends" "attempts_check"}} CHECK (attempts >= 0)
);
CREATE INDEX {{.Name "message_sends" "due_idx"}} ON {{.Table "message_sends"}} (dealer_id, next_at, id)
    WHERE status IN ('queued', 'held', 'failed') AND next_at IS NOT NULL;
CREATE INDEX {{.Name "message_sends" "sent_idx"}} ON {{.Table "message_sends"}} (dealer_id, customer_id, sent_at)
    WHERE status = 'sent';
CREATE INDEX {{.Name "message_sends" "series_idx"}} ON {{.Table "message_sends"}} (dealer_id, series)
    WHERE status = 'sent' AND series <> '';
