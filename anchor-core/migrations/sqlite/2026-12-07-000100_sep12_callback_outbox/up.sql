-- SEP-12 status callbacks outbox (anchor-sep12): one row per status change to notify, written in
-- the transaction that records the change on the registration (sep12_callbacks), then delivered by
-- the module's background worker, signed at delivery time. state is pending, delivered, failed
-- (attempts or age used up) or superseded (a newer status of the same customer was queued before
-- this one was sent). A row is leased (lease_until, lease_owner) before it is sent, so several
-- instances never send it at once; a finished row (finished_at) is purged after 7 days.
CREATE TABLE sep12_callback_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    customer_id VARCHAR(255) NOT NULL,
    url VARCHAR(2048) NOT NULL,
    body TEXT NOT NULL,
    state VARCHAR(16) NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL,
    lease_owner VARCHAR(64),
    last_attempt_at BIGINT,
    last_error TEXT,
    finished_at BIGINT
);
CREATE INDEX sep12_callback_outbox_due ON sep12_callback_outbox (state, next_attempt_at);
CREATE INDEX sep12_callback_outbox_customer ON sep12_callback_outbox (customer_id, state);
CREATE INDEX sep12_callback_outbox_finished ON sep12_callback_outbox (finished_at);
