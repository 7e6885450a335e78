-- SEP-12: which SEP-10 identity created each customer id (so an id of another account is a 404
-- before the integration is called), status-callback registrations, and uploaded files.
CREATE TABLE sep12_customer_owners (
    customer_id VARCHAR(255) NOT NULL PRIMARY KEY,
    account VARCHAR(69) NOT NULL,
    memo VARCHAR(100) NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sep12_customer_owners_account ON sep12_customer_owners (account, memo);

CREATE TABLE sep12_callbacks (
    customer_id VARCHAR(255) NOT NULL PRIMARY KEY,
    url TEXT NOT NULL,
    customer_type VARCHAR(64) NOT NULL,
    last_status VARCHAR(16) NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sep12_files (
    file_id VARCHAR(64) NOT NULL PRIMARY KEY,
    owner VARCHAR(128) NOT NULL,
    customer_id VARCHAR(255),
    content_type VARCHAR(255) NOT NULL,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);
CREATE INDEX sep12_files_owner ON sep12_files (owner, customer_id);
