-- Catalogue, locations, stock and customers. Released migrations are never edited: a change is a
-- new file. Times are Unix seconds, UTC. Money is integer cents. VAT rates are basis points.

CREATE TABLE brand (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE category (
    id     INTEGER PRIMARY KEY,
    name   TEXT NOT NULL UNIQUE,
    vat_bp INTEGER NOT NULL CHECK (vat_bp IN (2000, 1000, 550, 210))
);

-- The GTIN (14 digits, check digit included) is the key: a scan looks a product up by rowid.
CREATE TABLE product (
    gtin               INTEGER PRIMARY KEY CHECK (gtin > 0 AND gtin < 100000000000000),
    name               TEXT NOT NULL CHECK (length(name) > 0),
    brand_id           INTEGER NOT NULL REFERENCES brand (id),
    category_id        INTEGER NOT NULL REFERENCES category (id),
    price_cents        INTEGER NOT NULL CHECK (price_cents >= 0),
    vat_bp             INTEGER NOT NULL CHECK (vat_bp IN (2000, 1000, 550, 210)),
    price_unit         TEXT NOT NULL DEFAULT 'each' CHECK (price_unit IN ('each', 'kg')),
    -- Item code printed in variable-measure labels (prefix 20-29) for goods weighed in store.
    in_store_item_code TEXT UNIQUE,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE location (
    id   INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('store', 'warehouse'))
);

-- Last level known for each product at each location, and when it was known.
CREATE TABLE stock (
    gtin        INTEGER NOT NULL REFERENCES product (gtin),
    location_id INTEGER NOT NULL REFERENCES location (id),
    qty         INTEGER NOT NULL,
    as_of       INTEGER NOT NULL,
    PRIMARY KEY (gtin, location_id)
) WITHOUT ROWID;

CREATE TABLE customer (
    id             INTEGER PRIMARY KEY,
    public_id      TEXT NOT NULL UNIQUE,
    first_name     TEXT NOT NULL,
    last_name      TEXT NOT NULL,
    email          TEXT,
    phone          TEXT,
    loyalty_points INTEGER NOT NULL DEFAULT 0,
    tier           TEXT NOT NULL DEFAULT 'essentiel',
    updated_at     INTEGER NOT NULL
);

-- Name search. unicode61 with remove_diacritics folds accents and case ("chaussure" finds
-- "Chaussures", "echarpe" finds "Écharpe"); the prefix indexes make "chaus*" cheap. Contentless
-- (the text lives in product), with contentless_delete so that a product can be removed.
CREATE VIRTUAL TABLE product_search USING fts5 (
    name,
    brand,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER product_search_insert AFTER INSERT ON product BEGIN
    INSERT INTO product_search (rowid, name, brand)
    VALUES (new.gtin, new.name, (SELECT name FROM brand WHERE id = new.brand_id));
END;

CREATE TRIGGER product_search_update AFTER UPDATE OF name, brand_id ON product BEGIN
    DELETE FROM product_search WHERE rowid = old.gtin;
    INSERT INTO product_search (rowid, name, brand)
    VALUES (new.gtin, new.name, (SELECT name FROM brand WHERE id = new.brand_id));
END;

CREATE TRIGGER product_search_delete AFTER DELETE ON product BEGIN
    DELETE FROM product_search WHERE rowid = old.gtin;
END;

-- A word in the name weighs ten times a word in the brand when ranking results.
INSERT INTO product_search (product_search, rank) VALUES ('rank', 'bm25(10.0, 1.0)');
