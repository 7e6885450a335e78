DROP TABLE aml_audit_checkpoints;
