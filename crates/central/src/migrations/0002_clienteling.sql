-- Clienteling on the central (issue 8): what terminals record about customers (consents, notes,
-- the GDPR access log, privacy requests, loyalty movements), the aliases of customers created
-- offline at a counter, and the web shop's side of the 360° view (wishlists, delivered online
-- orders, online cart prices).

-- A terminal names a customer it created offline by its own id ("L-…") until it pulls the
-- chain's id; events queued meanwhile still carry the local one, so every customer reference is
-- resolved through this table. A local id maps to one chain id forever (first mapping wins).
CREATE TABLE customer_alias (
    local_id TEXT PRIMARY KEY,
    id       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX customer_alias_id ON customer_alias (id);

-- Search keys, computed by the central's code (e-mail lower-trimmed, phone digits with +33
-- folded to 0, names lower-cased without accents) so that a search walks an index.
ALTER TABLE customer ADD COLUMN email_key TEXT;
ALTER TABLE customer ADD COLUMN phone_key TEXT;
ALTER TABLE customer ADD COLUMN first_key TEXT;
ALTER TABLE customer ADD COLUMN last_key TEXT;
CREATE INDEX customer_email_key ON customer (email_key);
CREATE INDEX customer_phone_key ON customer (phone_key);
CREATE INDEX customer_first_key ON customer (first_key);
CREATE INDEX customer_last_key ON customer (last_key);

-- The latest consent per customer and channel (CPCE L34-5: explicit, per channel, dated). The
-- latest `at` wins whatever order terminals push in.
CREATE TABLE consent (
    customer TEXT NOT NULL,
    channel  TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    granted  INTEGER NOT NULL CHECK (granted IN (0, 1)),
    at       INTEGER NOT NULL,
    staff    TEXT NOT NULL,
    PRIMARY KEY (customer, channel)
) WITHOUT ROWID;

CREATE TABLE customer_note (
    event_id TEXT PRIMARY KEY REFERENCES event (id),
    customer TEXT NOT NULL,
    text     TEXT NOT NULL,
    author   TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX customer_note_customer ON customer_note (customer, at);

-- Who opened which customer record, when and where: kept to answer a GDPR access request.
CREATE TABLE access_log (
    event_id TEXT PRIMARY KEY REFERENCES event (id),
    customer TEXT NOT NULL,
    staff    TEXT NOT NULL,
    terminal TEXT NOT NULL,
    store    TEXT NOT NULL,
    device   TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX access_log_customer ON access_log (customer, at);

CREATE TABLE privacy_request (
    event_id TEXT PRIMARY KEY REFERENCES event (id),
    customer TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('access', 'erasure')),
    staff    TEXT NOT NULL,
    store    TEXT NOT NULL,
    at       INTEGER NOT NULL,
    status   TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered'))
);
CREATE INDEX privacy_request_status ON privacy_request (status);

CREATE TABLE loyalty_movement (
    event_id TEXT PRIMARY KEY REFERENCES event (id),
    customer TEXT NOT NULL,
    points   INTEGER NOT NULL,
    ticket   TEXT NOT NULL,
    terminal TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX loyalty_movement_customer ON loyalty_movement (customer, at);

CREATE TABLE wishlist (
    customer TEXT NOT NULL REFERENCES customer (id),
    gtin     TEXT NOT NULL,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (customer, gtin)
) WITHOUT ROWID;

-- Web shop orders, for the purchase history (only delivered ones are shown).
CREATE TABLE online_order (
    id          TEXT PRIMARY KEY,
    customer    TEXT NOT NULL REFERENCES customer (id),
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    total_cents INTEGER NOT NULL
);
CREATE INDEX online_order_customer ON online_order (customer, created_at);

CREATE TABLE online_order_line (
    order_id     TEXT NOT NULL REFERENCES online_order (id),
    line_no      INTEGER NOT NULL,
    gtin         TEXT NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    amount_cents INTEGER NOT NULL,
    PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID;

-- The web shop's price of a cart line when it differs from the store's (a web discount); NULL:
-- the product's price.
ALTER TABLE cart_line ADD COLUMN online_price_cents INTEGER;

-- A customer's sales, for the 360° view.
CREATE INDEX sale_customer ON sale (customer, created_at);
