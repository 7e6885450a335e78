-- Signed heads of the AML audit trail (anchor-aml): each row signs (seq, hash, signed_at) of the
-- newest audit record with the anchor's SIGNING_SEED, a key that is not in the database, so that
-- cutting the newest records or re-hashing the chain after an edit is seen by `audit verify`.
CREATE TABLE aml_audit_checkpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    seq BIGINT NOT NULL,
    hash VARCHAR(64) NOT NULL,
    signed_at BIGINT NOT NULL,
    reason VARCHAR(64) NOT NULL,
    public_key VARCHAR(56) NOT NULL,
    signature VARCHAR(128) NOT NULL
);
CREATE INDEX aml_audit_checkpoints_seq ON aml_audit_checkpoints (seq);
