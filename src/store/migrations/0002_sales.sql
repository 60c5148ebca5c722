-- Staff accounts, completed sales and this device's stock movements.
-- Times are Unix seconds, UTC. Money is integer cents. VAT rates are basis points.

CREATE TABLE staff (
    id              INTEGER PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('seller', 'manager')),
    -- Argon2id PHC string (salted); the PIN itself is never stored.
    pin_hash        TEXT NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    INTEGER,
    updated_at      INTEGER NOT NULL
);

-- A completed sale. seq is gap-free per terminal; the ticket number is derived from it.
CREATE TABLE sale (
    id            INTEGER PRIMARY KEY,
    terminal_id   TEXT NOT NULL,
    seq           INTEGER NOT NULL CHECK (seq > 0),
    ticket_number TEXT NOT NULL UNIQUE,
    staff_id      INTEGER REFERENCES staff (id),
    location_id   INTEGER NOT NULL REFERENCES location (id),
    created_at    INTEGER NOT NULL,
    total_cents   INTEGER NOT NULL CHECK (total_cents >= 0),
    cash_given_cents INTEGER,
    change_cents  INTEGER NOT NULL DEFAULT 0 CHECK (change_cents >= 0),
    UNIQUE (terminal_id, seq)
);

CREATE TABLE sale_line (
    sale_id          INTEGER NOT NULL REFERENCES sale (id),
    line_no          INTEGER NOT NULL,
    gtin             INTEGER NOT NULL,
    label            TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_cents INTEGER NOT NULL,
    vat_bp           INTEGER NOT NULL CHECK (vat_bp IN (2000, 1000, 550, 210)),
    amount_cents     INTEGER NOT NULL,
    -- Set for label-priced items (weighed or priced in store): the amount came from the label.
    label_amount     INTEGER NOT NULL DEFAULT 0 CHECK (label_amount IN (0, 1)),
    PRIMARY KEY (sale_id, line_no)
) WITHOUT ROWID;

-- VAT per rate of a sale, as the ticket shows it: base + vat = total for each rate.
CREATE TABLE sale_vat (
    sale_id     INTEGER NOT NULL REFERENCES sale (id),
    vat_bp      INTEGER NOT NULL,
    base_cents  INTEGER NOT NULL,
    vat_cents   INTEGER NOT NULL,
    total_cents INTEGER NOT NULL,
    CHECK (base_cents + vat_cents = total_cents),
    PRIMARY KEY (sale_id, vat_bp)
) WITHOUT ROWID;

CREATE TABLE sale_payment (
    sale_id      INTEGER NOT NULL REFERENCES sale (id),
    method       TEXT NOT NULL CHECK (method IN ('card', 'cash')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    PRIMARY KEY (sale_id, method)
) WITHOUT ROWID;

-- This device's own stock changes. Stock shown here = the last level known from the central +
-- the movements the central has not acknowledged yet (DESIGN.md, "Stock").
CREATE TABLE stock_movement (
    id           INTEGER PRIMARY KEY,
    gtin         INTEGER NOT NULL,
    location_id  INTEGER NOT NULL REFERENCES location (id),
    delta        INTEGER NOT NULL,
    reason       TEXT NOT NULL CHECK (reason IN ('sale', 'return', 'count')),
    sale_id      INTEGER REFERENCES sale (id),
    created_at   INTEGER NOT NULL,
    acknowledged INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX stock_movement_pending ON stock_movement (gtin, location_id) WHERE acknowledged = 0;
