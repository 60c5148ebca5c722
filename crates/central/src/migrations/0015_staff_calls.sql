-- Issue 17: « Appeler un vendeur » at a kiosk. A call belongs to the store of the kiosk that made
-- it; the store's terminals pull it (change_log) and one seller answers it.
CREATE TABLE staff_call (
    id          TEXT PRIMARY KEY,
    store       TEXT NOT NULL,
    terminal    TEXT NOT NULL,
    -- The device that called: a retried call must come from the same one.
    device      TEXT NOT NULL,
    at          INTEGER NOT NULL,
    gtin        TEXT,
    answered_by TEXT,
    answered_at INTEGER
);

-- « Does this kiosk already have a call waiting? » and the store's calls, newest first.
CREATE INDEX staff_call_terminal ON staff_call (store, terminal, at);
