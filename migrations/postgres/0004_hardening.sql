-- Issue 14 (hostile input and hard faults).
-- API tokens expire (NULL: a token made before expiry existed, treated as expired 90 days after
-- its creation by the code) and are revoked by deleting their row.
ALTER TABLE api_tokens ADD COLUMN expires_us BIGINT;
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Small durable settings shared by every process, e.g. the manual clock's instant.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
