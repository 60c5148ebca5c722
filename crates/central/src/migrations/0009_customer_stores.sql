-- Issue 19, data minimisation: a customer's record goes to the terminals of the stores that know
-- them (their home store, and every store that served them), not to the whole chain.
CREATE TABLE customer_store (
    customer TEXT NOT NULL,
    store    TEXT NOT NULL,
    since    INTEGER NOT NULL,
    PRIMARY KEY (customer, store)
) STRICT, WITHOUT ROWID;

-- A central upgraded from one that sent every customer everywhere: the stores that served a
-- customer are known from what they did (facts stored under a terminal's local id count for the
-- chain id it was merged into). Customers no store served reach terminals only on demand.
INSERT OR IGNORE INTO customer_store (customer, store, since)
SELECT c.id, f.store, f.at
FROM (
    SELECT customer, store, created_at AS at FROM sale WHERE customer IS NOT NULL
    UNION ALL SELECT customer, store, created_at FROM pickup_order
    UNION ALL SELECT customer, store, at FROM aisle_order
    UNION ALL SELECT customer, store, at FROM access_log
) AS f
JOIN customer AS c
  ON c.id = coalesce((SELECT a.id FROM customer_alias AS a WHERE a.local_id = f.customer), f.customer)
ORDER BY f.at;
