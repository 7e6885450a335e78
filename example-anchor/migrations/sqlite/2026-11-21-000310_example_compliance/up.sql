-- example-anchor's SEP-2/SEP-3 directory: each federation name, the account and memo (the SEP-3
-- route) payments to it use, and the KYC shared as dest_info / sender_info (a JSON object).
CREATE TABLE example_federation (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    account_id VARCHAR(56) NOT NULL,
    memo BIGINT NOT NULL,
    kyc_json TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX example_federation_memo ON example_federation (memo);
-- The compliance officer's decisions on screened names: `pending` (under review), `cleared`
-- or `denied`; they take precedence over the list screening.
CREATE TABLE example_sanctions_reviews (
    name VARCHAR(255) NOT NULL PRIMARY KEY,
    status VARCHAR(16) NOT NULL,
    updated_at BIGINT NOT NULL
);
