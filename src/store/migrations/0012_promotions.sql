-- Promotion rules of the head office (issue 15), pulled from the central (a `promotion` change)
-- and applied offline by the pricing of every basket. `id` is the chain's, so a rule pulled
-- again, or ended later, replaces its row. Ended and past rules stay: a rule's dates decide
-- whether it runs (`Promotion::runs`), and they are kept for what was sold under them.
CREATE TABLE promotion (
    id         TEXT PRIMARY KEY,
    -- The rule as the central sent it (`domain::promotion::Promotion` as JSON). Kept even when
    -- this version cannot read it (a kind from a newer central): it is then skipped.
    rule       TEXT NOT NULL,
    -- Unix seconds, UTC.
    created_at INTEGER NOT NULL,
    ended_at   INTEGER
) WITHOUT ROWID;
