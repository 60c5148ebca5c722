-- Offline-first sync, terminal side: the append-only outbox of business facts (pushed to the
-- central, acknowledged, never deleted before that), the sync state, and the pickup orders pulled
-- for this store.

-- seq is the device sequence: AUTOINCREMENT never reuses a number and a rolled-back transaction
-- gives its number back, so the committed sequence has no gap.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    payload    TEXT NOT NULL,
    acked      INTEGER NOT NULL DEFAULT 0 CHECK (acked IN (0, 1))
);

CREATE INDEX outbox_pending ON outbox (seq) WHERE acked = 0;

CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox WHEN old.acked = 0
BEGIN SELECT RAISE(ABORT, 'an event the central has not acknowledged is never deleted'); END;

CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE pickup_order (
    id         TEXT PRIMARY KEY,
    store      TEXT NOT NULL,
    customer   TEXT NOT NULL,
    status     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    lines_json TEXT NOT NULL
);
