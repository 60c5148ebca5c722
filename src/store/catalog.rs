//! Reading the catalogue: a product by GTIN or by its in-store item code, its stock at every
//! location, and counts. These run on every scan, so the statements are cached and the lookups
//! go by primary key.

use rusqlite::{OptionalExtension, Row, params};

use super::{Result, Store, StoreError};
use crate::domain::catalog::{LocationKind, PriceUnit, Product, StockLevel};
use crate::domain::gtin::Gtin;
use crate::domain::money::Cents;
use crate::domain::vat::VatRate;

/// A location as the cache holds it.
#[derive(Clone, Debug)]
pub(super) struct Location {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) kind: LocationKind,
}

/// A product row with its brand and category names, followed by a WHERE clause.
macro_rules! select_product {
    ($filter:literal) => {
        concat!(
            "SELECT p.gtin, p.name, b.name, c.name, p.price_cents, p.vat_bp, p.price_unit ",
            "FROM product p JOIN brand b ON b.id = p.brand_id ",
            "JOIN category c ON c.id = p.category_id ",
            $filter
        )
    };
}

/// The statement a scan runs to find a product; public so that the benchmark can time the same
/// SQL bare, side by side with the whole use case.
pub const PRODUCT_BY_GTIN_SQL: &str = select_product!("WHERE p.gtin = ?1");

/// The statement a scan runs to read a product's stock everywhere. Locations are few and rarely
/// change, so their names come from [`Store`]'s location cache instead of a join on every scan.
/// The movements this device made and the central has not acknowledged are added in.
pub const STOCK_BY_GTIN_SQL: &str = "SELECT s.location_id, s.qty + coalesce((SELECT sum(m.delta) \
     FROM stock_movement m WHERE m.gtin = s.gtin AND m.location_id = s.location_id \
     AND m.acknowledged = 0), 0), s.as_of FROM stock s WHERE s.gtin = ?1 ORDER BY s.location_id";

impl Store {
    /// The product with this GTIN, if the catalogue has it.
    pub fn product(&self, gtin: &Gtin) -> Result<Option<Product>> {
        let key = gtin_key(gtin)?;
        self.conn
            .prepare_cached(PRODUCT_BY_GTIN_SQL)?
            .query_row(params![key], product_from_row)
            .optional()?
            .transpose()
    }

    /// The product whose variable-measure labels carry `item_code`.
    pub fn product_by_in_store_item(&self, item_code: &str) -> Result<Option<Product>> {
        self.conn
            .prepare_cached(select_product!("WHERE p.in_store_item_code = ?1"))?
            .query_row(params![item_code], product_from_row)
            .optional()?
            .transpose()
    }

    /// The last known stock of this product at every location, this store included.
    pub fn stock_levels(&self, gtin: &Gtin) -> Result<Vec<StockLevel>> {
        let key = gtin_key(gtin)?;
        let mut stmt = self.conn.prepare_cached(STOCK_BY_GTIN_SQL)?;
        let rows = stmt
            .query_map(params![key], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?, row.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<(i64, i64, i64)>>>()?;
        let mut levels = Vec::with_capacity(rows.len());
        for (location_id, qty, as_of) in rows {
            let location = self.location(location_id)?;
            levels.push(StockLevel {
                location_code: location.code,
                location_name: location.name,
                kind: location.kind,
                qty,
                as_of,
            });
        }
        Ok(levels)
    }

    /// A location by id, from the cache; an id the cache does not know (a location another
    /// process added) reloads it once.
    pub(super) fn location(&self, id: i64) -> Result<Location> {
        if let Some(location) = self.locations.borrow().get(&id) {
            return Ok(location.clone());
        }
        self.reload_locations()?;
        self.locations
            .borrow()
            .get(&id)
            .cloned()
            .ok_or_else(|| StoreError::Corrupt(format!("stock refers to unknown location {id}")))
    }

    /// Refills the location cache from the table.
    fn reload_locations(&self) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, code, name, kind FROM location")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
            ))
        })?;
        let mut cache = self.locations.borrow_mut();
        cache.clear();
        for row in rows {
            let (id, code, name, kind) = row?;
            let kind = LocationKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("location kind {kind:?}")))?;
            cache.insert(id, Location { code, name, kind });
        }
        Ok(())
    }

    /// True when the catalogue holds no product; cheap on any size (reads one row at most).
    pub fn catalog_is_empty(&self) -> Result<bool> {
        Ok(!self
            .conn
            .query_row("SELECT EXISTS (SELECT 1 FROM product)", [], |row| {
                row.get(0)
            })?)
    }

    /// How many products the catalogue holds (reads a whole index: not for start-up paths).
    pub fn product_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM product", [], |row| row.get(0))?)
    }

    /// The id of the location with this code, if known.
    pub(super) fn location_id(&self, code: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM location WHERE code = ?1")?
            .query_row(params![code], |row| row.get(0))
            .optional()?)
    }

    /// The display name of the location with this code, if known. Read on every scan, so it
    /// comes from the location cache (refilled once when the code is not in it).
    pub fn location_name(&self, code: &str) -> Result<Option<String>> {
        let find = |store: &Store| {
            store
                .locations
                .borrow()
                .values()
                .find(|l| l.code == code)
                .map(|l| l.name.clone())
        };
        if let Some(name) = find(self) {
            return Ok(Some(name));
        }
        self.reload_locations()?;
        Ok(find(self))
    }
}

/// GTINs are stored as integers: 14 digits fit an i64 and make the lookup a rowid search.
pub(super) fn gtin_key(gtin: &Gtin) -> Result<i64> {
    i64::try_from(gtin.to_u64())
        .map_err(|_| StoreError::Corrupt(format!("GTIN {gtin} does not fit a key")))
}

pub(super) fn gtin_from_key(key: i64) -> Result<Gtin> {
    u64::try_from(key)
        .ok()
        .and_then(|k| Gtin::from_u64(k).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("product key {key} is not a GTIN")))
}

pub(super) fn vat_from_bp(bp: i64) -> Result<VatRate> {
    VatRate::from_basis_points(bp).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) fn price_unit_from(text: &str) -> Result<PriceUnit> {
    PriceUnit::parse(text).ok_or_else(|| StoreError::Corrupt(format!("price unit {text:?}")))
}

/// Reads a product row; the outer result is SQLite's, the inner one our own checks.
fn product_from_row(row: &Row<'_>) -> rusqlite::Result<Result<Product>> {
    let gtin: i64 = row.get(0)?;
    let name: String = row.get(1)?;
    let brand: String = row.get(2)?;
    let category: String = row.get(3)?;
    let price: i64 = row.get(4)?;
    let vat_bp: i64 = row.get(5)?;
    let unit: String = row.get(6)?;
    Ok((|| {
        Ok(Product {
            gtin: gtin_from_key(gtin)?,
            name,
            brand,
            category,
            price: Cents::new(price),
            vat_rate: vat_from_bp(vat_bp)?,
            price_unit: price_unit_from(&unit)?,
        })
    })())
}
