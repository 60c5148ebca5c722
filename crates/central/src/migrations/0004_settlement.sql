-- Conflicts settled at the central (an order handed over or returned twice): the order's
-- conflict is cleared and its store's terminals hear of it; what it said and why it was settled
-- stay here, one row per settlement, never changed.
CREATE TABLE conflict_settlement (
    id         INTEGER PRIMARY KEY,
    order_id   TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('pickup', 'web')),
    conflict   TEXT NOT NULL,
    note       TEXT NOT NULL CHECK (length(trim(note)) > 0),
    status     TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX conflict_settlement_order ON conflict_settlement (order_id);
