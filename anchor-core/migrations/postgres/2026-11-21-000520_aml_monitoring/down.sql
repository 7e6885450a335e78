DROP TABLE aml_scan_batches;
DROP TABLE aml_scans;
DROP TABLE aml_allowlist;
DROP TABLE aml_cases;
DROP TABLE aml_frozen_accounts;
DROP TABLE aml_subjects;
