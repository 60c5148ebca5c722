-- GDPR requests carried out at the central (issue 8 recorded them at the counter): an erased
-- customer keeps their id (orders, sales and loyalty movements point to it, and accounting keeps
-- them) but loses everything that names them; an answered request says when.
ALTER TABLE customer ADD COLUMN erased_at INTEGER;
ALTER TABLE privacy_request ADD COLUMN answered_at INTEGER;
