-- Screening sees the customer as stored: SEP-12 keeps the merged screening fields of each
-- customer (names, organisation, date of birth, countries) beside its owner, erased with it.
ALTER TABLE sep12_customer_owners ADD COLUMN screening_json TEXT;

-- A freeze target is an identity: `G…` (the whole account) or `G…:<memo key>` (one memo or
-- muxed customer of a shared account), so the column is wider than an account.
-- (SQLite does not enforce VARCHAR lengths.)

-- A freeze belongs to its cases: one hold per (target, case); a target stays frozen while any
-- open or confirmed match case holds it.
CREATE TABLE aml_freeze_holds (
    target VARCHAR(160) NOT NULL,
    case_id BIGINT NOT NULL,
    subject_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (target, case_id)
);
CREATE INDEX aml_freeze_holds_case ON aml_freeze_holds (case_id);

-- What a case holds, fixed when it opens: the identities it freezes on a match or a
-- confirmation (erasure cannot empty them), and the subject's screened fields once the customer
-- is erased (legal hold). JSON: {"freeze_targets": [...], "snapshot": null | {...}}.
ALTER TABLE aml_cases ADD COLUMN hold_json TEXT;

-- Organisations are screened as organisations, persons as persons: the subject keeps its
-- organisation names apart from its names, and what kind its names are (NULL: unknown).
ALTER TABLE aml_subjects ADD COLUMN organizations_json TEXT;
ALTER TABLE aml_subjects ADD COLUMN names_kind VARCHAR(16);

-- Freezes that existed before holds: each is held by the case that made it.
INSERT INTO aml_freeze_holds (target, case_id, subject_id, created_at)
SELECT account, case_id, COALESCE(subject_id, 0), frozen_at FROM aml_frozen_accounts WHERE case_id IS NOT NULL;
