-- Discounts and promotions (issue 15).
--
-- The basket's own discount (the seller's « remise sur le ticket »), as the JSON of
-- domain::discount::ManualBasket; NULL when there is none. A line's discount lives in its JSON.
ALTER TABLE basket ADD COLUMN discount_json TEXT
    CHECK (discount_json IS NULL OR json_valid(discount_json));

-- What a sale line's discounts took off (amount_cents is what the line paid after them), and
-- each discount as the journal's lines digest covers it: the JSON array of
-- domain::journal::DigestDiscount, NULL when the line had none, so that a line without a
-- discount digests exactly as before this migration.
ALTER TABLE sale_line ADD COLUMN discount_cents INTEGER NOT NULL DEFAULT 0
    CHECK (discount_cents >= 0);
ALTER TABLE sale_line ADD COLUMN discounts_json TEXT
    CHECK (discounts_json IS NULL OR (json_valid(discounts_json) AND discount_cents > 0));
