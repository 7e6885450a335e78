-- Officers' API tokens (anchor-aml): the admin API's decision endpoints take one, so a decision
-- names the officer whose credential made it. Only the SHA-256 of a token is kept, never the token.
CREATE TABLE aml_officer_tokens (
    id BIGSERIAL PRIMARY KEY,
    officer_id BIGINT NOT NULL,
    token_hash VARCHAR(64) NOT NULL UNIQUE,
    label VARCHAR(128) NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX aml_officer_tokens_officer ON aml_officer_tokens (officer_id);
