-- Core schema (PostgreSQL). Instants are UTC microseconds since the epoch (BIGINT), money is kopecks,
-- aggregates and details are JSON text. The SQLite schema mirrors this one.

CREATE TABLE partners (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    experienced     BOOLEAN NOT NULL DEFAULT FALSE,
    barred          BOOLEAN NOT NULL DEFAULT FALSE,
    late_withdrawal BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE seminars (
    id       TEXT PRIMARY KEY,
    program  TEXT NOT NULL,
    partner  TEXT NOT NULL REFERENCES partners(id),
    city     TEXT NOT NULL,
    date     TEXT NOT NULL,
    week     TEXT NOT NULL,
    state    TEXT NOT NULL,
    seq      BIGINT NOT NULL,
    version  BIGINT NOT NULL,
    data     TEXT NOT NULL
);
CREATE INDEX seminars_by_program ON seminars (program, state);
CREATE INDEX seminars_by_partner ON seminars (partner);

-- Serializes program-wide decisions (slot allocation) across processes.
CREATE TABLE program_locks (
    program TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);

CREATE TABLE penalties (
    key       TEXT PRIMARY KEY,
    seq       BIGINT NOT NULL,
    seminar   TEXT NOT NULL,
    partner   TEXT NOT NULL,
    code      TEXT NOT NULL,
    points    BIGINT NOT NULL,
    exclusion BOOLEAN NOT NULL,
    at_us     BIGINT NOT NULL,
    data      TEXT NOT NULL
);
CREATE INDEX penalties_by_seminar ON penalties (seminar);
CREATE INDEX penalties_by_at ON penalties (at_us);

CREATE TABLE points_ledger (
    key        TEXT PRIMARY KEY,
    partner    TEXT NOT NULL,
    seminar    TEXT NOT NULL,
    points     BIGINT NOT NULL,
    reason     TEXT NOT NULL,
    booked_us  BIGINT NOT NULL,
    expires_us BIGINT NOT NULL
);
CREATE INDEX points_by_partner ON points_ledger (partner, expires_us);

CREATE TABLE bonus_ledger (
    key        TEXT PRIMARY KEY,
    partner    TEXT NOT NULL,
    seminar    TEXT NOT NULL,
    kopecks    BIGINT NOT NULL,
    booked_us  BIGINT NOT NULL,
    expires_us BIGINT NOT NULL
);
CREATE INDEX bonus_by_partner ON bonus_ledger (partner, expires_us);

-- Durable due items. A key fires once, ever: fired rows stay with fired_us set.
CREATE TABLE due_items (
    key            TEXT PRIMARY KEY,
    seminar        TEXT NOT NULL,
    due_us         BIGINT NOT NULL,
    kind           TEXT NOT NULL,
    fired_us       BIGINT,
    lease_owner    TEXT,
    lease_until_us BIGINT
);
CREATE INDEX due_pending ON due_items (due_us) WHERE fired_us IS NULL;
CREATE INDEX due_by_seminar ON due_items (seminar) WHERE fired_us IS NULL;

-- Notifications to deliver, written in the same transaction as the effect.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    seminar         TEXT NOT NULL,
    stage           TEXT,
    at_us           BIGINT NOT NULL,
    data            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_us BIGINT,
    sent_us         BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_pending ON outbox (status, next_attempt_us);

-- Append-only audit log of every command and effect.
CREATE TABLE events (
    id      BIGSERIAL PRIMARY KEY,
    at_us   BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    seminar TEXT,
    data    TEXT NOT NULL
);
CREATE INDEX events_by_seminar ON events (seminar, id);
