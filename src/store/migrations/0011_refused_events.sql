-- Issue 19: events the central refused and keeps in its quarantine. They are acknowledged (never
-- resent, never holding up the events after them); the terminal keeps the central's reason so
-- `comptoir sync status` and `comptoir doctor` can say so.
CREATE TABLE refused_event (
    seq        INTEGER PRIMARY KEY REFERENCES outbox (seq),
    reason     TEXT NOT NULL,
    refused_at INTEGER NOT NULL
) STRICT;
