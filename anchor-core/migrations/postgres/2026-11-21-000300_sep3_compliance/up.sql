-- SEP-3, receiving side: payments this anchor approved (inserted only when it answered 200).
CREATE TABLE sep3_authorized_transactions (
    transaction_id VARCHAR(64) NOT NULL PRIMARY KEY,
    sender_domain VARCHAR(255) NOT NULL,
    nonce VARCHAR(128) NOT NULL,
    request_sha256 VARCHAR(64) NOT NULL,
    memo VARCHAR(64) NOT NULL,
    transaction_xdr TEXT NOT NULL,
    data TEXT NOT NULL,
    authorized_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sep3_authorized_transactions_nonce ON sep3_authorized_transactions (sender_domain, nonce);
CREATE INDEX sep3_authorized_transactions_memo ON sep3_authorized_transactions (memo);
-- SEP-3, receiving side: requests answered 202, so a re-send with the same nonce is recognised
-- and a different request reusing the nonce is refused.
CREATE TABLE sep3_pending_requests (
    sender_domain VARCHAR(255) NOT NULL,
    nonce VARCHAR(128) NOT NULL,
    request_sha256 VARCHAR(64) NOT NULL,
    transaction_id VARCHAR(64) NOT NULL,
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (sender_domain, nonce)
);
CREATE INDEX sep3_pending_requests_transaction_id ON sep3_pending_requests (transaction_id);
-- SEP-3, sending side: the signed-over data of each /send request id (idempotency; the same
-- nonce is re-sent after a pending answer).
CREATE TABLE sep3_auth_data (
    request_id VARCHAR(255) NOT NULL PRIMARY KEY,
    domain VARCHAR(255) NOT NULL,
    auth_server TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- SEP-3 consent: institutions whose every customer may receive our customers' data.
CREATE TABLE sep3_allowed_fi (
    domain VARCHAR(255) NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    public_key VARCHAR(56) NOT NULL,
    allowed_at BIGINT NOT NULL
);
-- SEP-3 consent: single customers of another institution.
CREATE TABLE sep3_allowed_users (
    fi_domain VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    fi_name VARCHAR(255) NOT NULL,
    fi_public_key VARCHAR(56) NOT NULL,
    allowed_at BIGINT NOT NULL,
    PRIMARY KEY (fi_domain, user_id)
);
