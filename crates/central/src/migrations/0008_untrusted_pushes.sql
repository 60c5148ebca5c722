-- Issue 19: what a device pushes is not trusted.

-- Events refused by the protocol's checks: kept with the reason and the head of their payload,
-- acknowledged to the device (never retried, never holding up the events after them), listed by
-- `comptoir-central quarantine`.
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY,
    device      TEXT NOT NULL REFERENCES device (id),
    seq         INTEGER NOT NULL,
    event_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (device, seq)
) STRICT;

-- Breaks in a terminal's fiscal journal chain, kept for good (NF525: an altered or cut journal
-- must stay visible): listed by `comptoir-central journal-breaks`, sent back to the terminal,
-- acknowledged by an auditor, never deleted.
CREATE TABLE journal_break (
    id              INTEGER PRIMARY KEY,
    device          TEXT NOT NULL REFERENCES device (id),
    store           TEXT NOT NULL,
    terminal        TEXT NOT NULL,
    -- The entry where the chain broke (NULL for a ticket number seen twice: the sale names no
    -- entry).
    sequence        INTEGER,
    kind            TEXT NOT NULL,
    ticket          TEXT,
    detected_at     INTEGER NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    note            TEXT,
    CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL))
) STRICT;
CREATE INDEX journal_break_device ON journal_break (device, acknowledged_at);

CREATE TRIGGER journal_break_kept BEFORE DELETE ON journal_break
BEGIN
    SELECT RAISE(ABORT, 'journal breaks are kept for good');
END;
CREATE TRIGGER journal_break_acknowledged_once BEFORE UPDATE ON journal_break
WHEN OLD.acknowledged_at IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.device IS NOT OLD.device OR NEW.store IS NOT OLD.store
  OR NEW.terminal IS NOT OLD.terminal OR NEW.sequence IS NOT OLD.sequence
  OR NEW.kind IS NOT OLD.kind OR NEW.ticket IS NOT OLD.ticket
  OR NEW.detected_at IS NOT OLD.detected_at
BEGIN
    SELECT RAISE(ABORT, 'a journal break is only ever acknowledged, once');
END;

-- A ticket number seen twice is looked up among the sales of its store's terminal.
CREATE INDEX sale_ticket ON sale (store, terminal, ticket);

-- A break an earlier version noted on the device row becomes a kept break; device.journal_break
-- is no longer written from here on.
INSERT INTO journal_break (device, store, terminal, sequence, kind, detected_at)
SELECT id, store, terminal_id, journal_break, 'unlinked', CAST(strftime('%s', 'now') AS INTEGER)
FROM device WHERE journal_break IS NOT NULL;

-- The device's journal tip (journal_sequence, journal_hash) is now the last entry that chained
-- with no break open; the last entry received, which a break may have forked, is kept apart.
ALTER TABLE device ADD COLUMN journal_seen_sequence INTEGER;
ALTER TABLE device ADD COLUMN journal_seen_hash TEXT;
UPDATE device SET journal_seen_sequence = journal_sequence, journal_seen_hash = journal_hash;

-- Stock levels are whole numbers within bounds: an overflow once turned a level REAL and every
-- later push of the store failed. Levels saturate well inside the bounds (store::move_stock).
CREATE TABLE stock_checked (
    gtin     TEXT NOT NULL,
    location TEXT NOT NULL REFERENCES location (code),
    qty      INTEGER NOT NULL CHECK (qty BETWEEN -1000000000000 AND 1000000000000),
    as_of    INTEGER NOT NULL,
    PRIMARY KEY (gtin, location)
) STRICT, WITHOUT ROWID;
INSERT INTO stock_checked (gtin, location, qty, as_of)
SELECT gtin, location,
       CAST(MAX(-1000000000, MIN(1000000000, qty)) AS INTEGER), CAST(as_of AS INTEGER)
FROM stock;
DROP TABLE stock;
ALTER TABLE stock_checked RENAME TO stock;
