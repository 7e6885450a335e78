DROP TABLE aml_officer_sessions;
DROP TABLE aml_officers;
