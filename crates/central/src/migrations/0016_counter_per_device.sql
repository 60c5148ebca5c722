-- Counters kept per device and summed when read: a push bumps only its own device's rows, so two
-- terminals' pushes never write the same row. On PostgreSQL, with several central instances,
-- one row per counter would make every concurrent push conflict with every other.
-- `device` is '' for what no device did (the operator's CLI).
CREATE TABLE counter_by_device (
    name   TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    value  INTEGER NOT NULL,
    PRIMARY KEY (name, device)
);
INSERT INTO counter_by_device (name, device, value) SELECT name, '', value FROM counter;
DROP TABLE counter;
ALTER TABLE counter_by_device RENAME TO counter;
