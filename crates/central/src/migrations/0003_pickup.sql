-- Click-and-collect handovers, returns of online orders, endless-aisle orders (issue 9).
--
-- Quantities handed over and returned are kept per order line next to what was ordered, so an
-- order's state is read without replaying its history; the history itself (each handover, each
-- return) is kept in its own table, one row per pushed fact.

-- What the line's units cost the customer, in cents (all `quantity` units); NULL: the product's
-- price times the quantity (orders written before this column).
ALTER TABLE pickup_line ADD COLUMN amount_cents INTEGER;
-- Units handed over so far; above `quantity` when two counters handed the same units.
ALTER TABLE pickup_line ADD COLUMN handed INTEGER NOT NULL DEFAULT 0;
-- Units brought back and refunded so far (at any store).
ALTER TABLE pickup_line ADD COLUMN returned INTEGER NOT NULL DEFAULT 0;
-- What went wrong, for the staff (handed over twice, returned twice); NULL: nothing.
ALTER TABLE pickup_order ADD COLUMN conflict TEXT;

ALTER TABLE online_order_line ADD COLUMN returned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE online_order ADD COLUMN conflict TEXT;

-- Every handover a terminal reported, applied or not. `handover_id` is the terminal's id for it:
-- the same handover replayed under a new event id is still one handover. `order_id` has no
-- foreign key: a handover of an order the central does not have is kept all the same.
CREATE TABLE handover (
    handover_id TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE REFERENCES event (id),
    order_id    TEXT NOT NULL,
    device      TEXT NOT NULL,
    store       TEXT NOT NULL,
    terminal    TEXT NOT NULL,
    staff       TEXT NOT NULL,
    at          INTEGER NOT NULL,
    -- The handed lines as the terminal sent them: [{"gtin": …, "quantity": …}].
    lines       TEXT NOT NULL,
    outcome     TEXT NOT NULL
        CHECK (outcome IN ('applied', 'conflict', 'unknown_order', 'other_store', 'not_in_order'))
);
CREATE INDEX handover_order ON handover (order_id, at);

-- Goods of an online order (web or click-and-collect) brought back to a store and refunded.
CREATE TABLE order_return (
    event_id     TEXT PRIMARY KEY REFERENCES event (id),
    order_id     TEXT NOT NULL,
    ticket       TEXT NOT NULL,
    store        TEXT NOT NULL,
    terminal     TEXT NOT NULL,
    staff        TEXT NOT NULL,
    device       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    -- The chain's id of the customer (the payload's, else the order's); NULL: unknown.
    customer     TEXT,
    -- [{"gtin": …, "quantity": …, "amount_cents": …, "vat_bp": …}]
    lines        TEXT NOT NULL,
    items        INTEGER NOT NULL,
    refund       TEXT NOT NULL,
    refund_cents INTEGER NOT NULL,
    credit_code  TEXT,
    outcome      TEXT NOT NULL CHECK (outcome IN ('applied', 'duplicate', 'unknown_order'))
);
CREATE INDEX order_return_order ON order_return (order_id, at);
CREATE INDEX order_return_customer ON order_return (customer, at);

-- An order taken at a counter (endless aisle); the order itself is an `online_order` row with
-- the same id when its customer is known to the central.
CREATE TABLE aisle_order (
    id           TEXT PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE REFERENCES event (id),
    customer     TEXT NOT NULL,
    store        TEXT NOT NULL,
    terminal     TEXT NOT NULL,
    staff        TEXT NOT NULL,
    at           INTEGER NOT NULL,
    delivery     TEXT NOT NULL CHECK (delivery IN ('home', 'pickup')),
    pickup_store TEXT,
    ship_from    TEXT
);

-- A customer's orders (`GET /v1/orders?customer=ID`).
CREATE INDEX pickup_order_customer ON pickup_order (customer, created_at);
