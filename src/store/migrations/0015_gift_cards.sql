-- Gift cards sold at this till (issue 16): a multi-purpose voucher, no VAT. The sale is a
-- technical journal entry (`gift_card_sold: CODE`) carrying its total and payments; this row
-- numbers it (`T01-G000001`) and keeps it findable. Its balance is in `credit` (kind
-- 'gift_card') and at the central.
CREATE TABLE gift_card_sale (
    id               INTEGER PRIMARY KEY,
    ticket           TEXT NOT NULL UNIQUE,
    code             TEXT NOT NULL UNIQUE,
    terminal_id      TEXT NOT NULL,
    amount_cents     INTEGER NOT NULL CHECK (amount_cents > 0),
    method           TEXT NOT NULL CHECK (method IN ('card', 'cash')),
    operator         TEXT,
    created_at       INTEGER NOT NULL,
    journal_sequence INTEGER NOT NULL
);
