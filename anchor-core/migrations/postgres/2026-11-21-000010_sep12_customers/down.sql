DROP TABLE sep12_files;
DROP TABLE sep12_callbacks;
DROP TABLE sep12_customer_owners;
