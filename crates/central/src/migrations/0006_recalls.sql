-- Product recalls (issue 14): the chain withdraws a product, or one lot of it (GS1 AI 10), from
-- sale. Every terminal gets each recall through its pull (a `recall` change in change_log) and
-- refuses to sell what it covers unless a manager overrides it. A recall is never deleted: it is
-- ended, and the terminals hear of that too.
CREATE TABLE recall (
    id         INTEGER PRIMARY KEY,
    -- Normalised to 14 digits, check digit verified.
    gtin       TEXT NOT NULL CHECK (length(gtin) = 14),
    -- NULL: every lot of the product.
    lot        TEXT CHECK (lot IS NULL OR length(lot) BETWEEN 1 AND 20),
    reason     TEXT NOT NULL CHECK (length(reason) > 0),
    -- Unix seconds, UTC.
    created_at INTEGER NOT NULL,
    ended_at   INTEGER
);
