-- The compliance officer's notification outbox (anchor-aml): one row per notification and
-- channel (email or webhook), written in the same transaction as the event it reports, then
-- delivered by a background worker. A row is claimed (claimed_until, claim_token) before it is
-- sent, so several instances never send it twice; every attempt updates attempts, last_attempt_at,
-- last_error and next_attempt_at (last_attempt_at of a 'sent' row is when it was delivered), and a row that exhausted its attempts stays as status 'failed'.
CREATE TABLE aml_notifications (
    id BIGSERIAL PRIMARY KEY,
    delivery_id VARCHAR(64) NOT NULL,
    channel VARCHAR(16) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    details TEXT NOT NULL,
    dedupe_key VARCHAR(191),
    status VARCHAR(16) NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT NOT NULL,
    claim_token VARCHAR(64),
    last_attempt_at BIGINT,
    last_error TEXT
);
CREATE UNIQUE INDEX aml_notifications_delivery_id ON aml_notifications (delivery_id);
CREATE UNIQUE INDEX aml_notifications_dedupe ON aml_notifications (channel, dedupe_key);
CREATE INDEX aml_notifications_due ON aml_notifications (status, next_attempt_at);
