-- Issue 17: the store's calls for a seller from its kiosks, as pulled from the central (and as
-- the central answered the kiosk that made one, or the tablet that answered one).
CREATE TABLE staff_call (
    id          TEXT PRIMARY KEY,
    terminal    TEXT NOT NULL,
    at          INTEGER NOT NULL,
    gtin        TEXT,
    answered_by TEXT,
    answered_at INTEGER
);

CREATE INDEX staff_call_waiting ON staff_call (answered_at, at);
