-- E-receipts e-mailed by the central (issue 16): one row per mail to send, kept for good so that
-- none is lost or dropped unseen (`comptoir-central ereceipt list`). A row waits `pending` until
-- the chain's SMTP relay accepts the mail (`sent`), refuses it for good with a 5xx reply
-- (`bounced`), or the delivery gives up (`failed`: no address, an address that is none, or the
-- relay unreachable past the retry window); `last_code` and `last_reply` are the relay's last
-- answer, addresses taken out.
CREATE TABLE ereceipt_delivery (
    id              INTEGER PRIMARY KEY,
    -- The e-receipt event: the same event pushed twice is one row, so one mail.
    event_id        TEXT NOT NULL UNIQUE REFERENCES event (id),
    store           TEXT NOT NULL,
    terminal        TEXT NOT NULL,
    ticket          TEXT NOT NULL,
    -- The chain's customer the receipt goes to (their address is read when sending), if any.
    customer        TEXT,
    -- An address typed at the counter: used for this delivery only, cleared once it is over
    -- (unless the customer asked to keep it).
    typed_email     TEXT,
    keep_email      INTEGER NOT NULL DEFAULT 0 CHECK (keep_email IN (0, 1)),
    -- The ticket's signed receipt code (`CPTR1:…`), when the terminal sent one.
    code            TEXT,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'bounced', 'failed')),
    -- Tries the relay answered or could not be reached for.
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Unix seconds, UTC.
    next_attempt_at INTEGER NOT NULL,
    last_code       INTEGER,
    last_reply      TEXT,
    created_at      INTEGER NOT NULL,
    done_at         INTEGER,
    CHECK ((status = 'pending') = (done_at IS NULL)),
    CHECK (status = 'pending' OR typed_email IS NULL OR keep_email = 1)
) STRICT;

-- What the delivery task reads on each round.
CREATE INDEX ereceipt_delivery_due ON ereceipt_delivery (next_attempt_at) WHERE status = 'pending';
