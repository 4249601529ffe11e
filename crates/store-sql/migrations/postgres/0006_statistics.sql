-- Official statistics (crocevia_core::statistics): one row per dataset, one per observation.
-- Loaded from the shipped files on first start, a dataset replaced as a whole. Dimension
-- values are the stable keys of the core types (territory level 'province', period
-- '2023-01-01' or '2023', sex 'female', citizenship 'country:201', permit type 'long_term');
-- a dimension the dataset does not have is '' (not NULL, so it can be in the primary key).
CREATE TABLE stat_dataset (
    id           TEXT PRIMARY KEY,
    observations BIGINT NOT NULL
);

CREATE TABLE stat_observation (
    dataset_id      TEXT NOT NULL REFERENCES stat_dataset (id) ON DELETE CASCADE,
    territory_level TEXT NOT NULL,
    territory_code  TEXT NOT NULL,
    period          TEXT NOT NULL,
    sex             TEXT NOT NULL,
    citizenship     TEXT NOT NULL,
    permit_type     TEXT NOT NULL,
    measure         TEXT NOT NULL,
    value           BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, territory_level, territory_code, period, sex, citizenship,
                 permit_type, measure)
);
CREATE INDEX stat_observation_period ON stat_observation (dataset_id, period);
