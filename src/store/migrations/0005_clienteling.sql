-- Clienteling on the terminal: customers created here before the central confirms them, the
-- customer's 360° view as last fetched (shown with its age offline), consents, notes, the access
-- log, privacy requests and loyalty movements. Each fact the central must know also goes to the
-- outbox, in the same transaction.

-- `local` = created at this counter, not yet confirmed by the central (its public_id is then the
-- terminal's own "L-…" id). The keys are what the search matches on: the names folded (lower
-- case, no accents: "lea" finds "Léa"), the e-mail lower-cased, the phone digits only.
ALTER TABLE customer ADD COLUMN local INTEGER NOT NULL DEFAULT 0 CHECK (local IN (0, 1));
ALTER TABLE customer ADD COLUMN email_key TEXT;
ALTER TABLE customer ADD COLUMN phone_key TEXT;
ALTER TABLE customer ADD COLUMN first_key TEXT NOT NULL DEFAULT '';
ALTER TABLE customer ADD COLUMN last_key TEXT NOT NULL DEFAULT '';
-- Rows from before this migration: ASCII folding only (the app rewrites keys on every update).
UPDATE customer SET email_key = lower(trim(email)) WHERE email IS NOT NULL;
UPDATE customer SET first_key = lower(first_name), last_key = lower(last_name);
CREATE INDEX customer_email_key ON customer (email_key);
CREATE INDEX customer_phone_key ON customer (phone_key);
CREATE INDEX customer_last_key ON customer (last_key);
CREATE INDEX customer_first_key ON customer (first_key);

-- The customer a sale was made to, if the customer identified themselves.
ALTER TABLE sale ADD COLUMN customer TEXT;

CREATE TABLE customer_view (
    customer   TEXT PRIMARY KEY,
    view_json  TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The latest consent per customer and channel recorded on this terminal.
CREATE TABLE consent (
    customer TEXT NOT NULL,
    channel  TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    granted  INTEGER NOT NULL CHECK (granted IN (0, 1)),
    at       INTEGER NOT NULL,
    staff    TEXT NOT NULL,
    PRIMARY KEY (customer, channel)
) WITHOUT ROWID;

CREATE TABLE customer_note (
    id       INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    text     TEXT NOT NULL,
    author   TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX customer_note_customer ON customer_note (customer, at);

-- Who opened which customer record, when (no personal data: ids and logins only).
CREATE TABLE access_log (
    id       INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    staff    TEXT NOT NULL,
    at       INTEGER NOT NULL
);

CREATE TABLE privacy_request (
    id       INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('access', 'erasure')),
    staff    TEXT NOT NULL,
    at       INTEGER NOT NULL
);

-- Points earned (+) or redeemed (-) here. `outbox_seq` is the event that tells the central;
-- `settled` becomes 1 once a customer balance pulled from the central after its acknowledgement
-- includes it, so the offline balance never counts a movement twice.
CREATE TABLE loyalty_movement (
    id         INTEGER PRIMARY KEY,
    customer   TEXT NOT NULL,
    points     INTEGER NOT NULL,
    ticket     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    outbox_seq INTEGER NOT NULL,
    settled    INTEGER NOT NULL DEFAULT 0 CHECK (settled IN (0, 1))
);
CREATE INDEX loyalty_movement_open ON loyalty_movement (customer) WHERE settled = 0;

-- Loyalty points become a means of payment. SQLite cannot change a CHECK constraint, so the
-- table is rebuilt the documented way (copy, drop, rename) with every row kept; dropping a table
-- drops its triggers first without firing them, and they are then created again.
CREATE TABLE sale_payment_v5 (
    sale_id      INTEGER NOT NULL REFERENCES sale (id),
    method       TEXT NOT NULL CHECK (method IN ('card', 'cash', 'loyalty')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    PRIMARY KEY (sale_id, method)
) WITHOUT ROWID;
INSERT INTO sale_payment_v5 (sale_id, method, amount_cents)
    SELECT sale_id, method, amount_cents FROM sale_payment;
DROP TABLE sale_payment;
ALTER TABLE sale_payment_v5 RENAME TO sale_payment;
CREATE TRIGGER sale_payment_no_update BEFORE UPDATE ON sale_payment
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
CREATE TRIGGER sale_payment_no_delete BEFORE DELETE ON sale_payment
BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
