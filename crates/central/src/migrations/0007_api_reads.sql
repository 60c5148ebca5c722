-- Every read of a customer's record through the API (issue 19): which device asked, for which
-- terminal and store, and when. `comptoir-central access-log` lists them beside the openings
-- the counters report (those come with the staff member; an API read knows the device only).
CREATE TABLE api_read (
    id       INTEGER PRIMARY KEY,
    customer TEXT NOT NULL,
    device   TEXT NOT NULL REFERENCES device (id),
    at       INTEGER NOT NULL
) STRICT;
CREATE INDEX api_read_customer ON api_read (customer, at);
