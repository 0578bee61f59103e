-- Accounts, sessions, API tokens, uploaded files, and outbox delivery leases.

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    role                 TEXT NOT NULL,
    partner              TEXT REFERENCES partners(id),
    rights               TEXT,
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    digest               BOOLEAN NOT NULL DEFAULT FALSE,
    ics_token            TEXT UNIQUE,
    disabled             BOOLEAN NOT NULL DEFAULT FALSE,
    created_us           BIGINT NOT NULL
);
CREATE INDEX users_by_partner ON users (partner);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    csrf       TEXT NOT NULL,
    created_us BIGINT NOT NULL,
    expires_us BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    name       TEXT NOT NULL,
    created_us BIGINT NOT NULL
);

-- Content-addressed uploads: the bytes live under <data>/files/<sha256>.
CREATE TABLE files (
    sha256       TEXT PRIMARY KEY,
    size         BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    created_us   BIGINT NOT NULL
);

-- The coordinator assigned to a partner (a user id).
ALTER TABLE partners ADD COLUMN coordinator TEXT;

ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until_us BIGINT;
ALTER TABLE outbox ADD COLUMN message_id TEXT;
