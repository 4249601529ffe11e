-- Links from an OpenID Connect identity (the provider's issuer and its subject for the user)
-- to a back-office account. A link is made when someone first signs in through the provider
-- with a verified e-mail address matching an account; later sign-ins find the account by it.

CREATE TABLE oidc_link (
    issuer      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    account_id  TEXT NOT NULL REFERENCES account (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);

CREATE INDEX oidc_link_by_account ON oidc_link (account_id);
