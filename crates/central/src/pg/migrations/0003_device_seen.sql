-- When any central instance last heard from each device, as SQLite's migration 0017: `GET
-- /metrics`' terminals seen in the last hour, the same whichever instance a scrape reaches.
CREATE TABLE device_seen (
    device  TEXT COLLATE "C" PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
