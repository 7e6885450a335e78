DROP TABLE aml_audit_log;
