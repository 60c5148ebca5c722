-- Product recalls the central announced (issue 14): a product, or one lot of it, that may not be
-- sold unless a manager overrides with a reason (journaled). `id` is the central's, so a recall
-- pulled again, or ended later, updates its row. Numbered 0009: 0008 is the baskets' migration,
-- written at the same time.
CREATE TABLE recall (
    id         INTEGER PRIMARY KEY,
    -- GTIN as an integer, like product.gtin; no foreign key: a recall may name a product this
    -- store does not have (yet).
    gtin       INTEGER NOT NULL CHECK (gtin > 0 AND gtin < 100000000000000),
    -- The recalled lot (GS1 AI 10); NULL recalls every lot.
    lot        TEXT CHECK (lot IS NULL OR length(lot) BETWEEN 1 AND 20),
    reason     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ended_at   INTEGER
);

CREATE INDEX recall_by_gtin ON recall (gtin) WHERE ended_at IS NULL;
