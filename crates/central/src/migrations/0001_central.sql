-- The central's own database: the chain's reference data (locations, catalogue, stock, staff,
-- customers, online carts, click-and-collect orders), the enrolled devices, what terminals pushed,
-- and the change log terminals pull from. A released migration is never edited: a change is a
-- new file.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE location (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('store', 'warehouse'))
);

CREATE TABLE product (
    gtin               TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    brand              TEXT NOT NULL,
    category           TEXT NOT NULL,
    price_cents        INTEGER NOT NULL,
    vat_bp             INTEGER NOT NULL,
    price_unit         TEXT NOT NULL CHECK (price_unit IN ('each', 'kg')),
    in_store_item_code TEXT
) WITHOUT ROWID;

-- The level known for a product at a location, and since when (Unix seconds, UTC). A sale never
-- waits for stock: the level may go negative, which the central reports.
CREATE TABLE stock (
    gtin     TEXT NOT NULL,
    location TEXT NOT NULL REFERENCES location (code),
    qty      INTEGER NOT NULL,
    as_of    INTEGER NOT NULL,
    PRIMARY KEY (gtin, location)
) WITHOUT ROWID;

CREATE TABLE staff (
    login        TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('seller', 'manager')),
    pin_hash     TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE customer (
    id             TEXT PRIMARY KEY,
    first_name     TEXT NOT NULL,
    last_name      TEXT NOT NULL,
    email          TEXT,
    phone          TEXT,
    loyalty_points INTEGER NOT NULL,
    tier           TEXT NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE cart_line (
    customer TEXT NOT NULL REFERENCES customer (id),
    gtin     TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    added_at INTEGER NOT NULL,
    PRIMARY KEY (customer, gtin)
) WITHOUT ROWID;

CREATE TABLE pickup_order (
    id         TEXT PRIMARY KEY,
    store      TEXT NOT NULL REFERENCES location (code),
    customer   TEXT NOT NULL REFERENCES customer (id),
    status     TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE pickup_line (
    order_id TEXT NOT NULL REFERENCES pickup_order (id),
    gtin     TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, gtin)
) WITHOUT ROWID;

-- Enrolled terminals. Only the SHA-256 of the token is kept; acked_seq is the highest device
-- sequence durably applied (every event up to it is here), and the journal columns hold the last
-- fiscal journal entry the terminal reported, so a truncated journal on the terminal is caught.
CREATE TABLE device (
    id               TEXT PRIMARY KEY,
    store            TEXT NOT NULL REFERENCES location (code),
    terminal_id      TEXT NOT NULL,
    token_sha256     BLOB NOT NULL UNIQUE,
    revoked          INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
    enrolled_at      INTEGER NOT NULL,
    acked_seq        INTEGER NOT NULL DEFAULT 0,
    journal_sequence INTEGER,
    journal_hash     TEXT,
    -- The first journal sequence whose hash or link did not check out, if any.
    journal_break    INTEGER
);

-- One-time enrollment codes: only their SHA-256 is kept, like a token.
CREATE TABLE enrollment_code (
    code_sha256 BLOB PRIMARY KEY,
    store       TEXT NOT NULL REFERENCES location (code),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    device_id   TEXT REFERENCES device (id)
);

-- Every event a terminal pushed, once: the UUID is the idempotency key and (device, seq) is the
-- device's gap-free series.
CREATE TABLE event (
    id          TEXT PRIMARY KEY,
    device      TEXT NOT NULL REFERENCES device (id),
    seq         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    payload     TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    UNIQUE (device, seq)
);

CREATE TABLE sale (
    id          INTEGER PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE REFERENCES event (id),
    store       TEXT NOT NULL,
    terminal    TEXT NOT NULL,
    ticket      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    training    INTEGER NOT NULL CHECK (training IN (0, 1)),
    total_cents INTEGER NOT NULL,
    customer    TEXT
);

CREATE TABLE sale_line (
    sale_id      INTEGER NOT NULL REFERENCES sale (id),
    line_no      INTEGER NOT NULL,
    gtin         TEXT NOT NULL,
    quantity     INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    vat_bp       INTEGER NOT NULL,
    PRIMARY KEY (sale_id, line_no)
) WITHOUT ROWID;

-- Counters kept in the same transaction as what they count ("received.sales",
-- "duplicates_ignored"…), so `stats` never scans the event table.
CREATE TABLE counter (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

-- The change log terminals pull from. Append-only: a cursor is never reused (AUTOINCREMENT) and a
-- row is never updated or deleted. `store` is NULL for a change every terminal gets, or the one
-- store whose terminals get it (its click-and-collect orders).
CREATE TABLE change_log (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    store  TEXT,
    change TEXT NOT NULL
);

-- Counting what is left for a store (the page's `remaining`) walks this index, not the JSON.
CREATE INDEX change_log_scope ON change_log (store, cursor);
