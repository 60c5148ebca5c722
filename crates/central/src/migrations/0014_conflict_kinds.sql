-- An order's conflict as a kind and the counters involved (issue 17), beside its English text
-- (kept for the CLI and the settlements): the terminals' screens word it in their language.
ALTER TABLE pickup_order ADD COLUMN conflict_kind TEXT;
ALTER TABLE pickup_order ADD COLUMN conflict_counters TEXT;
ALTER TABLE online_order ADD COLUMN conflict_kind TEXT;
ALTER TABLE online_order ADD COLUMN conflict_counters TEXT;
