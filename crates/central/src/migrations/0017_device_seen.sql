-- When any central instance last heard from each device (issue 18): `GET /metrics`' terminals
-- seen in the last hour, the same whichever instance a scrape reaches. An instance adds the
-- devices it heard from at each scrape and once a minute; one row per device.
CREATE TABLE device_seen (
    device  TEXT PRIMARY KEY,
    seen_at INTEGER NOT NULL
);
