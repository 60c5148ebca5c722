-- The pickup counter and returns of online orders, terminal side: what the central says of each
-- click-and-collect order (the customer's first name, what was handed over, a conflict), the
-- handovers made here, online orders fetched for a return, the returns themselves (append-only,
-- like sales) and the orders taken at the counter for what is not on the shelf.

ALTER TABLE pickup_order ADD COLUMN customer_first_name TEXT;
ALTER TABLE pickup_order ADD COLUMN handed_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pickup_order ADD COLUMN conflict TEXT;
CREATE INDEX pickup_order_store ON pickup_order (store, status);

CREATE TABLE handover (
    id          INTEGER PRIMARY KEY,
    handover_id TEXT NOT NULL UNIQUE,
    order_id    TEXT NOT NULL,
    staff       TEXT NOT NULL,
    at          INTEGER NOT NULL,
    lines_json  TEXT NOT NULL,
    complete    INTEGER NOT NULL CHECK (complete IN (0, 1))
);
CREATE INDEX handover_order ON handover (order_id);

CREATE TABLE online_order_cache (
    id          TEXT PRIMARY KEY,
    answer_json TEXT NOT NULL,
    fetched_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE order_return (
    id           INTEGER PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    order_id     TEXT NOT NULL,
    refund       TEXT NOT NULL CHECK (refund IN ('card', 'cash', 'credit')),
    refund_cents INTEGER NOT NULL CHECK (refund_cents >= 0),
    credit_code  TEXT,
    staff        TEXT NOT NULL,
    at           INTEGER NOT NULL
);
CREATE INDEX order_return_order ON order_return (order_id);

CREATE TABLE order_return_line (
    return_id    INTEGER NOT NULL REFERENCES order_return (id),
    gtin         TEXT NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    vat_bp       INTEGER NOT NULL
);
CREATE INDEX order_return_line_return ON order_return_line (return_id);

CREATE TRIGGER order_return_no_update BEFORE UPDATE ON order_return
BEGIN SELECT RAISE(ABORT, 'a return cannot be changed: record a new one'); END;
CREATE TRIGGER order_return_no_delete BEFORE DELETE ON order_return
BEGIN SELECT RAISE(ABORT, 'a return cannot be deleted'); END;
CREATE TRIGGER order_return_line_no_update BEFORE UPDATE ON order_return_line
BEGIN SELECT RAISE(ABORT, 'a return cannot be changed'); END;
CREATE TRIGGER order_return_line_no_delete BEFORE DELETE ON order_return_line
BEGIN SELECT RAISE(ABORT, 'a return cannot be changed'); END;

-- The stock a return puts back, acknowledged with the return's event like a sale's.
ALTER TABLE stock_movement ADD COLUMN return_id INTEGER REFERENCES order_return (id);

CREATE TABLE aisle_order (
    number       TEXT PRIMARY KEY,
    customer     TEXT NOT NULL,
    delivery     TEXT NOT NULL CHECK (delivery IN ('home', 'pickup')),
    pickup_store TEXT,
    ship_from    TEXT,
    lines_json   TEXT NOT NULL,
    staff        TEXT NOT NULL,
    at           INTEGER NOT NULL
) WITHOUT ROWID;
