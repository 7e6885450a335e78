DROP INDEX sep12_files_expiry ON sep12_files;
DROP TABLE sep12_file_quotas;
