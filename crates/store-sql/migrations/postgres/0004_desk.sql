-- The orientation desk. Contacts keep coded facts in columns (the observatory counts them)
-- and personal details apart, emptied on erasure. The audit trail is append-only and
-- hash-chained; desk_audit_head holds the last link so a cut-off end shows.

CREATE TABLE desk_contact (
    id               TEXT PRIMARY KEY,
    organization_id  TEXT NOT NULL,
    reference        TEXT NOT NULL UNIQUE,
    birth_year       BIGINT,
    age_band         TEXT,
    sex              TEXT NOT NULL CHECK (sex IN ('female', 'male', 'not_stated')),
    citizenship      TEXT,
    comune_code      TEXT,
    languages        TEXT NOT NULL,
    given_name       TEXT NOT NULL,
    family_name      TEXT NOT NULL,
    phone            TEXT NOT NULL,
    email            TEXT NOT NULL,
    search_name      TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    last_activity_at TEXT NOT NULL,
    erased_at        TEXT
);

CREATE INDEX desk_contact_by_organization ON desk_contact (organization_id, last_activity_at);
CREATE INDEX desk_contact_by_activity ON desk_contact (last_activity_at);

CREATE TABLE desk_consent (
    contact_id  TEXT NOT NULL REFERENCES desk_contact (id),
    purpose     TEXT NOT NULL CHECK (purpose IN ('referral', 'contact', 'statistics')),
    given       BIGINT NOT NULL,
    at          TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);

CREATE INDEX desk_consent_by_contact ON desk_consent (contact_id);

CREATE TABLE desk_need (
    id              TEXT PRIMARY KEY,
    contact_id      TEXT NOT NULL REFERENCES desk_contact (id),
    organization_id TEXT NOT NULL,
    term_id         TEXT NOT NULL,
    urgency         TEXT NOT NULL CHECK (urgency IN ('urgent', 'normal')),
    notes           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL
);

CREATE INDEX desk_need_by_contact ON desk_need (contact_id);

CREATE TABLE desk_referral (
    id                   TEXT PRIMARY KEY,
    contact_id           TEXT NOT NULL REFERENCES desk_contact (id),
    need_id              TEXT NOT NULL REFERENCES desk_need (id),
    from_organization_id TEXT NOT NULL,
    from_account_id      TEXT NOT NULL,
    service_id           TEXT NOT NULL,
    to_organization_id   TEXT NOT NULL,
    state                TEXT NOT NULL,
    shared               TEXT NOT NULL,
    shared_person        TEXT NOT NULL,
    message              TEXT NOT NULL,
    urgency              TEXT NOT NULL,
    sent_at              TEXT NOT NULL,
    due_at               TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    consent_override     TEXT
);

CREATE INDEX desk_referral_by_receiver ON desk_referral (to_organization_id, sent_at);
CREATE INDEX desk_referral_by_sender ON desk_referral (from_organization_id, sent_at);
CREATE INDEX desk_referral_by_deadline ON desk_referral (state, due_at);
CREATE INDEX desk_referral_by_contact ON desk_referral (contact_id);

CREATE TABLE desk_referral_event (
    referral_id TEXT NOT NULL REFERENCES desk_referral (id),
    position    BIGINT NOT NULL,
    at          TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    side        TEXT NOT NULL,
    action      TEXT NOT NULL,
    code        TEXT,
    note        TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    PRIMARY KEY (referral_id, position)
);

CREATE TABLE desk_notification (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    referral_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    read_at         TEXT
);

CREATE INDEX desk_notification_by_organization ON desk_notification (organization_id, created_at);

CREATE TABLE desk_mail (
    id         TEXT PRIMARY KEY,
    recipient  TEXT NOT NULL,
    language   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    link       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    sent_at    TEXT
);

CREATE INDEX desk_mail_pending ON desk_mail (sent_at, created_at);

CREATE TABLE desk_audit (
    seq             BIGINT PRIMARY KEY,
    at              TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    action          TEXT NOT NULL,
    subject_kind    TEXT NOT NULL,
    subject_id      TEXT NOT NULL,
    contact_id      TEXT NOT NULL,
    detail          TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);

CREATE INDEX desk_audit_by_contact ON desk_audit (contact_id);

CREATE TABLE desk_audit_head (
    id   BIGINT PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);

INSERT INTO desk_audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Operational protocols between organisations, as a simple table for now: for a need
-- (taxonomy code), the services the protocol names as the pathway, in order.
CREATE TABLE desk_pathway (
    protocol   TEXT NOT NULL,
    term_code  TEXT NOT NULL,
    service_id TEXT NOT NULL,
    position   BIGINT NOT NULL,
    PRIMARY KEY (protocol, term_code, service_id)
);

CREATE INDEX desk_pathway_by_term ON desk_pathway (term_code, position);

-- The language an account last used the back office in: e-mails to it are written in it.
ALTER TABLE account ADD COLUMN language TEXT NOT NULL DEFAULT 'it';
