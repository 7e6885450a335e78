DROP INDEX sep12_files_expiry;
DROP TABLE sep12_file_quotas;
