-- Back-office accounts and their server-side sessions. Passwords are argon2id PHC strings;
-- sessions are found by the SHA-256 of the cookie's token, never the token itself.

CREATE TABLE account (
    id              TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL,
    email           TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL
        CHECK (role IN ('admin', 'coordinator', 'editor', 'operator', 'analyst')),
    password_hash   TEXT NOT NULL,
    failed_logins   BIGINT NOT NULL DEFAULT 0,
    locked_until    TEXT,
    created_at      TEXT NOT NULL
);

CREATE INDEX account_by_organization ON account (organization_id);

CREATE TABLE session (
    token_hash  TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE INDEX session_by_account ON session (account_id);
