-- The officer console (anchor-aml): named officer accounts, so every decision taken in the
-- console names its officer in the audit trail, and their sign-in sessions. Passwords are
-- argon2id PHC strings; a session is kept as the SHA-256 of its cookie token, never the token.
CREATE TABLE aml_officers (
    id BIGSERIAL PRIMARY KEY,
    username VARCHAR(64) NOT NULL UNIQUE,
    display_name VARCHAR(128) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    active BOOLEAN NOT NULL,
    failed_logins INTEGER NOT NULL,
    locked_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_login_at BIGINT
);

CREATE TABLE aml_officer_sessions (
    token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    officer_id BIGINT NOT NULL,
    csrf_token VARCHAR(64) NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX aml_officer_sessions_officer ON aml_officer_sessions (officer_id);
