ALTER TABLE aml_subjects DROP COLUMN names_kind;
ALTER TABLE aml_subjects DROP COLUMN organizations_json;
ALTER TABLE aml_cases DROP COLUMN hold_json;
DROP TABLE aml_freeze_holds;
ALTER TABLE aml_frozen_accounts MODIFY account VARCHAR(56) NOT NULL;
ALTER TABLE sep12_customer_owners DROP COLUMN screening_json;
