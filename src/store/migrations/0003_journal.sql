-- The fiscal journal (CGI art. 286 I 3° bis), closings, training mode, and append-only guards on
-- every table that holds a fiscal amount. Times are Unix seconds, UTC; money in cents.

CREATE TABLE journal_entry (
    terminal_id   TEXT NOT NULL,
    sequence      INTEGER NOT NULL CHECK (sequence > 0),
    created_at    INTEGER NOT NULL,
    operator      TEXT,
    kind          TEXT NOT NULL CHECK (kind IN ('ticket', 'return', 'cancellation', 'closing',
                                                'duplicate', 'technical')),
    reference     TEXT,
    training      INTEGER NOT NULL CHECK (training IN (0, 1)),
    total_cents   INTEGER NOT NULL,
    -- JSON arrays exactly as in the canonical serialisation (see src/domain/journal.rs).
    vat_json      TEXT NOT NULL,
    payments_json TEXT NOT NULL,
    detail        TEXT,
    count         INTEGER,
    grand_total   INTEGER,
    lines_digest  TEXT,
    version       INTEGER NOT NULL,
    previous_hash TEXT NOT NULL,
    hash          TEXT NOT NULL UNIQUE,
    PRIMARY KEY (terminal_id, sequence)
) WITHOUT ROWID;

CREATE INDEX journal_entry_reference ON journal_entry (reference) WHERE kind = 'ticket';

CREATE TABLE closing (
    id             INTEGER PRIMARY KEY,
    terminal_id    TEXT NOT NULL,
    period         TEXT NOT NULL CHECK (period IN ('day', 'month', 'year')),
    -- The journal entries the closing covers: after from_sequence, up to to_sequence.
    from_sequence  INTEGER NOT NULL,
    to_sequence    INTEGER NOT NULL,
    ticket_count   INTEGER NOT NULL,
    total_cents    INTEGER NOT NULL,
    grand_total    INTEGER NOT NULL,
    -- The closing's own journal entry: the anchor that makes a truncated tail detectable.
    entry_sequence INTEGER NOT NULL,
    entry_hash     TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE terminal_setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

ALTER TABLE sale ADD COLUMN training INTEGER NOT NULL DEFAULT 0;

-- Inalterability: no UPDATE or DELETE on what the journal covers. A correction is a new entry.
CREATE TRIGGER journal_entry_no_update BEFORE UPDATE ON journal_entry
BEGIN SELECT RAISE(ABORT, 'the fiscal journal is append-only: add a correcting entry instead'); END;
CREATE TRIGGER journal_entry_no_delete BEFORE DELETE ON journal_entry
BEGIN SELECT RAISE(ABORT, 'the fiscal journal is append-only: entries are never deleted'); END;
CREATE TRIGGER closing_no_update BEFORE UPDATE ON closing
BEGIN SELECT RAISE(ABORT, 'closings are append-only'); END;
CREATE TRIGGER closing_no_delete BEFORE DELETE ON closing
BEGIN SELECT RAISE(ABORT, 'closings are append-only'); END;
CREATE TRIGGER sale_no_update BEFORE UPDATE ON sale
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed: record a return or a cancellation'); END;
CREATE TRIGGER sale_no_delete BEFORE DELETE ON sale
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be deleted'); END;
CREATE TRIGGER sale_line_no_update BEFORE UPDATE ON sale_line
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
CREATE TRIGGER sale_line_no_delete BEFORE DELETE ON sale_line
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
CREATE TRIGGER sale_vat_no_update BEFORE UPDATE ON sale_vat
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
CREATE TRIGGER sale_vat_no_delete BEFORE DELETE ON sale_vat
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
CREATE TRIGGER sale_payment_no_update BEFORE UPDATE ON sale_payment
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
CREATE TRIGGER sale_payment_no_delete BEFORE DELETE ON sale_payment
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
