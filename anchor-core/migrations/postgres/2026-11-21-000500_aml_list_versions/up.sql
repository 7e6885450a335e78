-- Every import of a sanctions list (anchor-aml): the version's identity and counts, what
-- changed against the previous version (so monitoring rescreens only that), and the normalised
-- entities (zlib-compressed JSON). Counts of names and addresses and the parser version are in
-- details_json. Refused imports are kept, without entities, with the reason.
CREATE TABLE aml_list_versions (
    id BIGSERIAL PRIMARY KEY,
    source VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    published_on VARCHAR(10),
    imported_at BIGINT NOT NULL,
    entity_count BIGINT NOT NULL,
    added_count BIGINT NOT NULL,
    removed_count BIGINT NOT NULL,
    changed_count BIGINT NOT NULL,
    details_json TEXT NOT NULL,
    diff_json TEXT,
    refusal_reason TEXT,
    entities BYTEA
);
CREATE INDEX aml_list_versions_source_status ON aml_list_versions (source, status);
