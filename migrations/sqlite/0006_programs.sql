-- Programs as data, step 0 (docs/design/programs.md §4.6): the columns and tables that items of
-- other programs, partner standings and several ledgers need. Every new column has a default
-- that reads old rows as what they always were (a flagship seminar, a `points` entry of the
-- `main` product, a due item of a seminar at rank 0), so nothing is rewritten.
ALTER TABLE partners      ADD COLUMN support_suspended BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE partners      ADD COLUMN country TEXT NOT NULL DEFAULT 'RU';
ALTER TABLE partners      ADD COLUMN flags TEXT NOT NULL DEFAULT '{}';
ALTER TABLE seminars      ADD COLUMN kind TEXT NOT NULL DEFAULT 'seminar';
ALTER TABLE seminars      ADD COLUMN end_date TEXT;
-- One points table for every ledger: `ledger` names it, `product` the vendor product it counts
-- for, `program` the program that booked it ('' before this migration), `kind` the entry kind.
ALTER TABLE points_ledger ADD COLUMN ledger TEXT NOT NULL DEFAULT 'points';
ALTER TABLE points_ledger ADD COLUMN product TEXT NOT NULL DEFAULT 'main';
ALTER TABLE points_ledger ADD COLUMN program TEXT NOT NULL DEFAULT '';
ALTER TABLE points_ledger ADD COLUMN kind TEXT NOT NULL DEFAULT 'seminar';
ALTER TABLE bonus_ledger  ADD COLUMN ledger TEXT NOT NULL DEFAULT 'compensation';
ALTER TABLE bonus_ledger  ADD COLUMN held BOOLEAN NOT NULL DEFAULT FALSE;
-- A due item's subject: `item` (the `seminar` column is the item's id, as before), `standing`
-- (`p:<partner>:<program>`) or `promotion` (`promo:<partner>:<program>`). Items due at one
-- instant fire by `due_rank` (0 item effects … 9 evaluations), then key.
ALTER TABLE due_items     ADD COLUMN subject_kind TEXT NOT NULL DEFAULT 'item';
ALTER TABLE due_items     ADD COLUMN due_rank SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE outbox        ADD COLUMN partner TEXT;
ALTER TABLE events        ADD COLUMN partner TEXT;
CREATE TABLE standings (
    partner  TEXT NOT NULL REFERENCES partners(id),
    program  TEXT NOT NULL,
    state    TEXT NOT NULL,
    code     TEXT,
    since_us BIGINT,
    until_us BIGINT,
    version  BIGINT NOT NULL,
    data     TEXT NOT NULL,
    PRIMARY KEY (partner, program)
);
CREATE INDEX standings_until ON standings (program, until_us);
CREATE TABLE partner_records (
    key     TEXT PRIMARY KEY,
    partner TEXT NOT NULL,
    program TEXT NOT NULL,
    kind    TEXT NOT NULL,
    ref     TEXT,
    at_us   BIGINT NOT NULL,
    kopecks BIGINT,
    qty     BIGINT,
    data    TEXT NOT NULL
);
CREATE INDEX partner_records_by_kind ON partner_records (partner, program, kind, at_us);
-- One record per reference (a project is registered once: `duplicate_project`).
CREATE UNIQUE INDEX partner_records_ref ON partner_records (partner, program, kind, ref);
CREATE TABLE staff (
    partner     TEXT NOT NULL,
    staff       TEXT NOT NULL,
    role        TEXT NOT NULL,
    attached_us BIGINT NOT NULL,
    detached_us BIGINT,
    PRIMARY KEY (partner, staff)
);
CREATE TABLE certificates (
    partner TEXT NOT NULL,
    staff   TEXT NOT NULL,
    course  TEXT NOT NULL,
    at_us   BIGINT NOT NULL,
    PRIMARY KEY (partner, staff, course)
);
CREATE INDEX points_ledger_by_ledger ON points_ledger (partner, ledger, expires_us);
-- The claim's order, (due_us, due_rank, key), over pending items only (replaces due_pending).
DROP INDEX due_pending;
CREATE INDEX due_pending_order ON due_items (due_us, due_rank, key) WHERE fired_us IS NULL;
