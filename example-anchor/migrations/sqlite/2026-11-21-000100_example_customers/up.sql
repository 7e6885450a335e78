-- example-anchor's own customer store (SEP-12): one row per customer, keyed by account + memo
-- (an M… account has no memo), its SEP-9 values, and a review status per customer type.
CREATE TABLE example_customers (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    account VARCHAR(69) NOT NULL,
    memo VARCHAR(100) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX example_customers_account_memo ON example_customers (account, memo);

CREATE TABLE example_customer_fields (
    customer_id VARCHAR(64) NOT NULL,
    name VARCHAR(64) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (customer_id, name)
);

CREATE TABLE example_customer_reviews (
    customer_id VARCHAR(64) NOT NULL,
    customer_type VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    message TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (customer_id, customer_type)
);
