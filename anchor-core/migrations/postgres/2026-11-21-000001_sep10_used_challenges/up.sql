-- SEP-10 single use: the hash of every challenge that produced a token, kept until the
-- challenge's own expiry so that a replay is refused even on another server instance.
CREATE TABLE sep10_used_challenges (
    challenge_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sep10_used_challenges_expires_at ON sep10_used_challenges (expires_at);
