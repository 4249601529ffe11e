-- The HSDS directory: one row per HSDS record, its fields as a JSON object, plus the few
-- columns queries filter on. References live in hsds_ref so they can be queried both ways.
CREATE TABLE hsds_record (
    table_name  TEXT NOT NULL,
    id          TEXT NOT NULL,
    doc         TEXT NOT NULL,
    search_text TEXT NOT NULL,
    postal_code TEXT,
    latitude    DOUBLE PRECISION,
    longitude   DOUBLE PRECISION,
    modified_at TEXT NOT NULL,
    PRIMARY KEY (table_name, id)
);
CREATE INDEX hsds_record_id ON hsds_record (id);
CREATE INDEX hsds_record_modified ON hsds_record (table_name, modified_at);

CREATE TABLE hsds_ref (
    table_name   TEXT NOT NULL,
    id           TEXT NOT NULL,
    field        TEXT NOT NULL,
    target_table TEXT,
    target_id    TEXT NOT NULL,
    PRIMARY KEY (table_name, id, field)
);
CREATE INDEX hsds_ref_target ON hsds_ref (target_id, table_name, field);

-- Every directory write, in the writing transaction: search, aggregates and HSDS
-- modified_after follow it.
CREATE TABLE change_log (
    seq        BIGSERIAL PRIMARY KEY,
    table_name TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    operation  TEXT NOT NULL,
    actor      TEXT NOT NULL,
    at         TEXT NOT NULL
);

CREATE TABLE api_token (
    token_hash      TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    label           TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
