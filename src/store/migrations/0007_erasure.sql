-- Customers the central erased at their request (GDPR): everything this terminal knew of them
-- is gone, and their id is kept here only so that their loyalty code is refused from then on.
CREATE TABLE erased_customer (
    customer  TEXT PRIMARY KEY,
    erased_at INTEGER NOT NULL
) WITHOUT ROWID;
