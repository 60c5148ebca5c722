-- Returns of in-store sales, store credit and conflicts between counters (issue 16).
--
-- A sale's check: the first 16 hex digits of its journal entry's hash, taken from the entry the
-- central received and chained (a receipt's code carries it; a forged code does not match).
ALTER TABLE sale ADD COLUMN check_code TEXT;
-- Units of the line brought back, at any store.
ALTER TABLE sale_line ADD COLUMN returned INTEGER NOT NULL DEFAULT 0;

-- How each sale was paid (a return to the original method needs it), with the credit spent.
CREATE TABLE sale_payment (
    sale_id      INTEGER NOT NULL REFERENCES sale (id),
    method       TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    credit_code  TEXT,
    PRIMARY KEY (sale_id, method)
) WITHOUT ROWID;

-- A store credit (« avoir ») a return issued. Its balance is what was issued less every use,
-- whichever order the two reach the central in.
CREATE TABLE credit (
    code         TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('credit', 'gift_card')),
    issued_cents INTEGER NOT NULL CHECK (issued_cents >= 0),
    store        TEXT NOT NULL,
    terminal     TEXT NOT NULL,
    ticket       TEXT NOT NULL,
    customer     TEXT,
    issued_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX credit_customer ON credit (customer);

-- Each time a credit paid (part of) a sale.
CREATE TABLE credit_use (
    event_id     TEXT NOT NULL REFERENCES event (id),
    code         TEXT NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    store        TEXT NOT NULL,
    terminal     TEXT NOT NULL,
    ticket       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (event_id, code)
) WITHOUT ROWID;
CREATE INDEX credit_use_code ON credit_use (code, at);

-- Something two counters did that could not both be right: a sale's units returned twice, a
-- credit spent beyond its balance. One row per kind and subject, its counters kept up to date,
-- sent to every store involved.
CREATE TABLE conflict (
    id       INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL CHECK (kind IN ('double_return', 'double_spend')),
    subject  TEXT NOT NULL,
    counters TEXT NOT NULL CHECK (json_valid(counters)),
    at       INTEGER NOT NULL,
    UNIQUE (kind, subject)
);
