-- SEP-12 file quotas: one row per SEP-10 identity (`sub`) that uploaded files. An upload first
-- updates its owner's row, which serialises that owner's uploads on every backend (a row lock on
-- PostgreSQL and MySQL, the write lock on SQLite), then counts the owner's stored files: two
-- concurrent uploads cannot both pass the quota. The counts are always read from `sep12_files`.
CREATE TABLE sep12_file_quotas (
    owner VARCHAR(128) NOT NULL PRIMARY KEY,
    updated_at BIGINT NOT NULL
);

-- The background purge finds expired unreferenced files without reading the table.
CREATE INDEX sep12_files_expiry ON sep12_files (expires_at);
