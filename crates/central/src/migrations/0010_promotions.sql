-- Promotion rules of the head office (issue 15): « soldes », « 2e à -50 % », « 3 pour 2 »…
-- `comptoir-central promo add --json FILE` writes them; each addition or end logs a `promotion`
-- change in change_log in the same transaction, so the change log's cursor is the sequence by
-- which terminals get them, in order with everything else. A rule is never deleted: ending it
-- moves its `ends` to that moment and keeps the record.
CREATE TABLE promotion (
    -- The chain's id (1 to 40 letters, digits, '-' or '_'), as the rule names it.
    id         TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 40),
    -- The rule as JSON (`domain::promotion::Promotion`), validated before it was written.
    rule       TEXT NOT NULL CHECK (json_valid(rule)),
    -- Unix seconds, UTC.
    created_at INTEGER NOT NULL,
    -- When `promo end` ended it (Unix seconds, UTC); NULL: it runs until its own `ends`.
    ended_at   INTEGER
) WITHOUT ROWID;

-- How many sales used each promotion, per store: the sale ingest adds to it
-- (`central::promotion::record_promotion_use`). No foreign key: a terminal's sale may name a
-- rule this central does not hold (a restored backup), and it must still be recorded.
CREATE TABLE promotion_use (
    promotion_id TEXT NOT NULL,
    store        TEXT NOT NULL,
    uses         INTEGER NOT NULL CHECK (uses >= 0),
    PRIMARY KEY (promotion_id, store)
) WITHOUT ROWID;
