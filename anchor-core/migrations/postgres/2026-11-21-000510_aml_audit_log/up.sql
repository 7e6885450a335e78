-- The compliance audit trail (anchor-aml): append-only, each record's hash covers the previous
-- record's hash, so an edited, deleted or reordered record breaks the chain at that point.
CREATE TABLE aml_audit_log (
    seq BIGINT NOT NULL PRIMARY KEY,
    recorded_at BIGINT NOT NULL,
    kind VARCHAR(64) NOT NULL,
    payload TEXT NOT NULL,
    prev_hash VARCHAR(64) NOT NULL,
    hash VARCHAR(64) NOT NULL
);
