-- A pickup order's conflict as the central's kind and the counters involved (issue 17), worded
-- by the screen; `conflict` keeps the central's English text for the CLI.
ALTER TABLE pickup_order ADD COLUMN conflict_kind TEXT;
ALTER TABLE pickup_order ADD COLUMN conflict_counters TEXT;
