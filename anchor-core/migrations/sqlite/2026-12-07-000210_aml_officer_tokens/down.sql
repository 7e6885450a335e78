DROP TABLE aml_officer_tokens;
