-- Returns of in-store sales, store credit as a means of payment, conflicts (issue 16).
--
-- A store credit becomes a means of payment. SQLite cannot change a CHECK constraint, so the
-- table is rebuilt the documented way (copy, drop, rename) with every row kept; dropping a table
-- drops its triggers first without firing them, and they are then created again.
CREATE TABLE sale_payment_v14 (
    sale_id      INTEGER NOT NULL REFERENCES sale (id),
    method       TEXT NOT NULL CHECK (method IN ('card', 'cash', 'loyalty', 'credit')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    PRIMARY KEY (sale_id, method)
) WITHOUT ROWID;
INSERT INTO sale_payment_v14 (sale_id, method, amount_cents)
    SELECT sale_id, method, amount_cents FROM sale_payment;
DROP TABLE sale_payment;
ALTER TABLE sale_payment_v14 RENAME TO sale_payment;
CREATE TRIGGER sale_payment_no_update BEFORE UPDATE ON sale_payment
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
CREATE TRIGGER sale_payment_no_delete BEFORE DELETE ON sale_payment
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
CREATE TRIGGER sale_payment_no_replace BEFORE INSERT ON sale_payment
WHEN EXISTS (SELECT 1 FROM sale_payment WHERE sale_id = new.sale_id AND method = new.method)
BEGIN SELECT RAISE(ABORT, 'a completed sale is never replaced'); END;

-- Which credit paid a sale's 'credit' payment (one per sale), and the sale's outbox event:
-- until the central acknowledges it, the central's balance does not include this spend.
CREATE TABLE sale_credit (
    sale_id      INTEGER PRIMARY KEY REFERENCES sale (id),
    code         TEXT NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    outbox_seq   INTEGER NOT NULL REFERENCES outbox (seq)
);
CREATE INDEX sale_credit_code ON sale_credit (code);
CREATE TRIGGER sale_credit_no_update BEFORE UPDATE ON sale_credit
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
CREATE TRIGGER sale_credit_no_delete BEFORE DELETE ON sale_credit
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;

-- A return of an in-store sale names it: its store and ticket (`order_id` is "STORE/TICKET").
-- NULL for a return of an online order.
ALTER TABLE order_return ADD COLUMN sale_store TEXT;
ALTER TABLE order_return ADD COLUMN sale_ticket TEXT;
-- How a refund was paid when split over several methods (JSON of journal payment amounts,
-- positive); NULL when `refund` says it all.
ALTER TABLE order_return ADD COLUMN refunds_json TEXT
    CHECK (refunds_json IS NULL OR json_valid(refunds_json));

-- What this terminal knows of store credits and gift cards: the balance the central last
-- gave (or what a return here issued), less what was spent here since. Offline, a credit is
-- spent up to this and no further.
CREATE TABLE credit (
    code          TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('credit', 'gift_card')),
    balance_cents INTEGER NOT NULL,
    known_at      INTEGER NOT NULL,
    conflict      INTEGER NOT NULL DEFAULT 0 CHECK (conflict IN (0, 1))
) WITHOUT ROWID;

-- What the central found done twice at two counters (Change::Conflict), as it said it.
CREATE TABLE conflict (
    id       INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    counters TEXT NOT NULL CHECK (json_valid(counters)),
    at       INTEGER NOT NULL
);
