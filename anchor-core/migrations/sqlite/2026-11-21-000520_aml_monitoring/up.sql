-- AML monitoring (anchor-aml): who is screened, what was found, what is frozen, and the scans.
-- Personal fields of a subject are erased on SEP-12 DELETE; its fingerprint stays for the audit.
CREATE TABLE aml_subjects (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    subject_key VARCHAR(255) NOT NULL UNIQUE,
    origin VARCHAR(16) NOT NULL,
    names_json TEXT,
    date_of_birth VARCHAR(10),
    country VARCHAR(3),
    accounts_json TEXT NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    screened_at BIGINT
);

-- Accounts refused on every SEP route until an officer unfreezes them with a written reason.
CREATE TABLE aml_frozen_accounts (
    account VARCHAR(56) NOT NULL PRIMARY KEY,
    subject_id BIGINT,
    case_id BIGINT,
    frozen_at BIGINT NOT NULL,
    reason TEXT NOT NULL
);

-- One case per subject and list entry that scored in the review band or above.
CREATE TABLE aml_cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    subject_id BIGINT NOT NULL,
    list_source VARCHAR(64) NOT NULL,
    entry_id VARCHAR(128) NOT NULL,
    entry_name TEXT NOT NULL,
    score REAL NOT NULL,
    decision VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    details_json TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    scan_id BIGINT,
    decided_at BIGINT,
    decided_by VARCHAR(128),
    decision_reason TEXT,
    notes_json TEXT NOT NULL
);
CREATE INDEX aml_cases_status ON aml_cases (status);
CREATE INDEX aml_cases_subject ON aml_cases (subject_id);

-- Cleared false positives: the subject is not flagged again for this list entry until expiry.
CREATE TABLE aml_allowlist (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    subject_id BIGINT NOT NULL,
    list_source VARCHAR(64) NOT NULL,
    entry_id VARCHAR(128) NOT NULL,
    expires_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    created_by VARCHAR(128) NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX aml_allowlist_entry ON aml_allowlist (subject_id, list_source, entry_id);

-- Scans: full (scheduled), delta (after a list update) and on-demand. scan_key makes each
-- scheduled scan unique across instances; the lease lets exactly one instance work on it, and
-- last_subject_id is the resume point, committed with each batch's results.
CREATE TABLE aml_scans (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    scan_key VARCHAR(128) NOT NULL UNIQUE,
    kind VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT,
    last_subject_id BIGINT NOT NULL,
    subjects_total BIGINT NOT NULL,
    screened BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    lease_owner VARCHAR(64),
    lease_until BIGINT NOT NULL,
    details_json TEXT NOT NULL,
    last_error TEXT
);
CREATE INDEX aml_scans_status ON aml_scans (status);

-- Each committed batch of a scan: the subject id range it covered (ranges never overlap).
CREATE TABLE aml_scan_batches (
    scan_id BIGINT NOT NULL,
    first_subject_id BIGINT NOT NULL,
    last_subject_id BIGINT NOT NULL,
    screened BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    owner VARCHAR(64) NOT NULL,
    committed_at BIGINT NOT NULL,
    PRIMARY KEY (scan_id, first_subject_id)
);
