-- Discounts of the sales terminals push (issue 15): what each line's discounts took off, and
-- each discount with its kind and its promotion or reason, so that the head office can total
-- the manual discounts and the promotions given, per store, reason and promotion.
ALTER TABLE sale_line ADD COLUMN discount_cents INTEGER NOT NULL DEFAULT 0
    CHECK (discount_cents >= 0);

CREATE TABLE sale_discount (
    sale_id      INTEGER NOT NULL REFERENCES sale (id),
    line_no      INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('manual', 'promotion')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    -- Set for a promotion, NULL for a manual discount.
    promotion_id TEXT CHECK ((kind = 'promotion') = (promotion_id IS NOT NULL)),
    -- The manual discount's reason (one of the chain's list).
    reason       TEXT,
    PRIMARY KEY (sale_id, line_no, position)
) STRICT, WITHOUT ROWID;
