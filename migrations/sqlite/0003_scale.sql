-- Indexed columns next to the aggregates, so that commands read only the seminars they decide
-- on and lists filter, sort and page in SQL (issue 9).

-- When the application arrived (UTC microseconds): review groups are ranges of it.
-- Filled from `data` by the store on start for rows written before this migration.
ALTER TABLE seminars ADD COLUMN applied_us BIGINT;
-- What lists look for without loading the season (computed by the service from the program on
-- every write: `Program::attention`): the earliest deadline the partner holds while the seminar
-- is active, and whether a submission waits for the coordinator. Rows written before this
-- migration are filled on the next start (`attention_known`).
ALTER TABLE seminars ADD COLUMN partner_deadline TEXT;
ALTER TABLE seminars ADD COLUMN awaiting_review BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE seminars ADD COLUMN attention_known BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX seminars_by_deadline ON seminars (program, partner_deadline);
CREATE INDEX seminars_awaiting ON seminars (program, awaiting_review);
CREATE INDEX seminars_by_city ON seminars (program, city, week, state);
CREATE INDEX seminars_by_applied ON seminars (program, state, applied_us);
CREATE INDEX seminars_by_partner_program ON seminars (partner, program, seq);
CREATE INDEX seminars_by_seq ON seminars (seq);
CREATE INDEX seminars_by_date ON seminars (program, date);

-- Penalties carry their program; `seq` (booking order) is indexed so the next number and the
-- newest-first list are index lookups, not scans.
ALTER TABLE penalties ADD COLUMN program TEXT;
UPDATE penalties SET program = (SELECT s.program FROM seminars s WHERE s.id = penalties.seminar);
CREATE INDEX penalties_by_seq ON penalties (seq);
CREATE INDEX penalties_by_partner ON penalties (partner, seq);
CREATE INDEX penalties_by_program ON penalties (program, seq);

-- A seminar's pending items by instant: the claim query checks "no earlier pending item of the
-- same seminar" with one index probe.
DROP INDEX due_by_seminar;
CREATE INDEX due_by_seminar ON due_items (seminar, due_us) WHERE fired_us IS NULL;

-- Outbox lists by status and recency; the digest check is one index probe.
CREATE INDEX outbox_by_status ON outbox (status, id);
CREATE INDEX outbox_by_seminar ON outbox (seminar, id);

CREATE INDEX partners_by_coordinator ON partners (coordinator);
-- The partner's id and name folded to lower case by the store (Unicode, so that Cyrillic
-- search works on SQLite too); filled on start for rows written before this migration.
ALTER TABLE partners ADD COLUMN search TEXT;
CREATE INDEX points_by_seminar ON points_ledger (seminar);
