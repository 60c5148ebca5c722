-- An exchange (issue 16): the return whose store credit paid the new ticket first, so that the
-- ticket's receipt prints what came back. The fiscal facts are in the two journal entries; this
-- only links them.
CREATE TABLE exchange (
    sale_ticket   TEXT PRIMARY KEY,
    return_number TEXT NOT NULL UNIQUE,
    at            INTEGER NOT NULL
) WITHOUT ROWID;
