-- The basket being rung up and the baskets parked (« mis en attente »). Kept in the database so
-- that the screen and the CLI share one open basket per terminal, and so that a restart or a
-- power cut loses neither the basket in progress nor a parked one. A basket is not a fiscal
-- record until it is paid (the sale tables and the journal are), so its lines are kept as the
-- JSON of the domain's basket lines and replaced whole on every change.
CREATE TABLE basket (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL CHECK (state IN ('open', 'parked')),
    -- JSON array of domain::basket::BasketLine.
    lines_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(lines_json)),
    -- JSON array of domain::basket::CancelledLine: units removed before payment, journaled with
    -- the ticket.
    cancelled_json TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(cancelled_json)),
    -- Who parked it (a staff login) and when (Unix seconds, UTC).
    parked_by TEXT,
    parked_at INTEGER,
    updated_at INTEGER NOT NULL
);

-- One open basket per terminal (a terminal has its own database).
CREATE UNIQUE INDEX basket_one_open ON basket (state) WHERE state = 'open';
