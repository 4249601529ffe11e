-- Needs-assessment surveys: a survey (one stable share link) has versions of its XLSForm,
-- kept as uploaded; each submission belongs to the version it was started on, so a later
-- version's renamed or deleted questions never change how earlier answers read.

CREATE TABLE survey (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    title           TEXT NOT NULL,
    share_token     TEXT NOT NULL UNIQUE,
    audience        TEXT NOT NULL CHECK (audience IN ('public', 'operators')),
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL
);

CREATE INDEX survey_by_organization ON survey (organization_id, created_at);

CREATE TABLE survey_version (
    id           TEXT PRIMARY KEY,
    survey_id    TEXT NOT NULL REFERENCES survey (id),
    number       BIGINT NOT NULL,
    file_name    TEXT NOT NULL,
    file         BYTEA NOT NULL,
    form_id      TEXT NOT NULL,
    form_version TEXT NOT NULL,
    title        TEXT NOT NULL,
    languages    TEXT NOT NULL,
    deployed     BIGINT NOT NULL DEFAULT 0,
    uploaded_at  TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    UNIQUE (survey_id, number)
);

CREATE TABLE survey_submission (
    id           TEXT PRIMARY KEY,
    version_id   TEXT NOT NULL REFERENCES survey_version (id),
    resume_token TEXT NOT NULL UNIQUE,
    language     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'complete')),
    answers      TEXT NOT NULL,
    page         BIGINT NOT NULL,
    started_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    completed_at TEXT
);

CREATE INDEX survey_submission_by_version ON survey_submission (version_id, status, id);
