DROP TABLE aml_list_versions;
