-- Clienteling on the terminal: customers created here before the central confirms them, the
-- customer's 360° view as last fetched (shown with its age offline), consents, notes, the access
-- log, privacy requests and loyalty movements. Each fact the central must know also goes to the
-- outbox, in the same transaction.

-- `local` = created at this counter, not yet confirmed by the central (its public_id is then the
-- terminal's own "L-…" id). The keys are the normalised e-mail and phone the search matches on.
ALTER TABLE customer ADD COLUMN local INTEGER NOT NULL DEFAULT 0 CHECK (local IN (0, 1));
ALTER TABLE customer ADD COLUMN email_key TEXT;
ALTER TABLE customer ADD COLUMN phone_key TEXT;
UPDATE customer SET email_key = lower(trim(email)) WHERE email IS NOT NULL;
CREATE INDEX customer_email_key ON customer (email_key);
CREATE INDEX customer_phone_key ON customer (phone_key);
CREATE INDEX customer_last_name ON customer (last_name COLLATE NOCASE);
CREATE INDEX customer_first_name ON customer (first_name COLLATE NOCASE);

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
