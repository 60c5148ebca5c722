//! Applying a page of the central's changes: catalogue, stock everywhere, staff, customers, this
//! store's pickup orders, product recalls and promotion rules, together with the page's cursor,
//! in one transaction — a crash leaves either the whole page and its cursor, or neither (the page
//! is then pulled again).

use std::collections::HashMap;

use rusqlite::{Transaction, params};

use super::received::{Pulled, PulledPage, PulledProduct, StockLevel, StockLevels};
use super::{Result, Store, StoreError};
use crate::domain::gtin::Gtin;

/// The sync-state key of the pull cursor.
pub const CURSOR_KEY: &str = "cursor";

/// Ids looked up once per page rather than once per row.
#[derive(Default)]
struct Ids {
    brands: HashMap<String, i64>,
    categories: HashMap<String, i64>,
    locations: HashMap<String, i64>,
}

impl Store {
    /// The cursor to pull from (0 before the first pull).
    pub fn pull_cursor(&self) -> Result<i64> {
        Ok(self
            .sync_value(CURSOR_KEY)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Caches fresh network stock for one product, fetched on demand (levels older than the ones
    /// held are ignored, as in a pull).
    pub fn apply_fresh_stock(&mut self, answer: &StockLevels) -> Result<()> {
        let key = gtin_key(&answer.gtin)?;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        stock(&tx, &mut Ids::default(), key, &answer.levels)?;
        tx.commit()?;
        Ok(())
    }

    /// Applies `page` and moves the cursor to `page.cursor`, in one transaction.
    pub fn apply_changes(&mut self, page: &PulledPage) -> Result<()> {
        let current = self.pull_cursor()?;
        if page.cursor < current {
            return Err(StoreError::Corrupt(format!(
                "the central answered cursor {} behind ours ({current})",
                page.cursor
            )));
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut ids = Ids::default();
        for change in &page.changes {
            match change {
                Pulled::Location(l) => {
                    tx.prepare_cached(
                        "INSERT INTO location (code, name, kind) VALUES (?1, ?2, ?3)
                         ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind",
                    )?
                    .execute(params![l.code, l.name, l.kind])?;
                }
                Pulled::Product(p) => product(&tx, &mut ids, p)?,
                Pulled::Stock(s) => {
                    let key = gtin_key(&s.gtin)?;
                    stock(&tx, &mut ids, key, &s.levels)?;
                }
                Pulled::Staff(s) => {
                    tx.prepare_cached(
                        "INSERT INTO staff (login, display_name, role, pin_hash, active, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, strftime('%s', 'now'))
                         ON CONFLICT (login) DO UPDATE SET display_name = excluded.display_name,
                             role = excluded.role, pin_hash = excluded.pin_hash,
                             active = excluded.active, updated_at = excluded.updated_at",
                    )?
                    .execute(params![s.login, s.display_name, s.role, s.pin_hash, s.active])?;
                }
                Pulled::Customer(c) => {
                    super::customers::upsert_customer(&tx, c)?;
                    // The balance the central sends includes every movement it acknowledged.
                    let acked = super::customers::acked_seq(&tx)?;
                    super::customers::settle_movements(&tx, &c.id, acked)?;
                }
                Pulled::PickupOrder(o) => super::pickup::apply_order(&tx, o)?,
                Pulled::CustomerMerged(m) => super::customers::apply_merge(&tx, m)?,
                Pulled::CustomerErased { id } => super::customers::apply_erasure(&tx, id)?,
                Pulled::Recall(r) => super::recall::apply_recall(&tx, r)?,
                Pulled::Promotion(p) => super::promotions::apply_promotion(&tx, p)?,
                Pulled::Conflict(c) => super::credit::apply_conflict(&tx, c)?,
                Pulled::StaffCall(c) => super::staff_call::apply_staff_call(&tx, c)?,
            }
        }
        tx.execute(
            "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![CURSOR_KEY, page.cursor.to_string()],
        )?;
        tx.commit()?;
        // Locations may have changed under the cache.
        self.locations.borrow_mut().clear();
        Ok(())
    }
}

pub(super) fn gtin_key(text: &str) -> Result<i64> {
    let gtin = Gtin::parse(text).map_err(|e| StoreError::Corrupt(format!("pulled GTIN: {e}")))?;
    super::catalog::gtin_key(&gtin)
}

fn named_id(
    tx: &Transaction<'_>,
    cache: &mut HashMap<String, i64>,
    table: &str,
    name: &str,
    vat_bp: Option<i64>,
) -> Result<i64> {
    if let Some(id) = cache.get(name) {
        return Ok(*id);
    }
    let id: i64 = match (table, vat_bp) {
        ("brand", _) => tx.query_row(
            "INSERT INTO brand (name) VALUES (?1)
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            params![name],
            |row| row.get(0),
        )?,
        (_, vat) => tx.query_row(
            "INSERT INTO category (name, vat_bp) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
            params![name, vat.unwrap_or(2000)],
            |row| row.get(0),
        )?,
    };
    cache.insert(name.to_owned(), id);
    Ok(id)
}

fn product(tx: &Transaction<'_>, ids: &mut Ids, p: &PulledProduct) -> Result<()> {
    let key = gtin_key(&p.gtin)?;
    let brand = named_id(tx, &mut ids.brands, "brand", &p.brand, None)?;
    let category = named_id(
        tx,
        &mut ids.categories,
        "category",
        &p.category,
        Some(p.vat_bp),
    )?;
    tx.prepare_cached(
        "INSERT INTO product (gtin, name, brand_id, category_id, price_cents, vat_bp, price_unit,
                              in_store_item_code, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, strftime('%s', 'now'))
         ON CONFLICT (gtin) DO UPDATE SET name = excluded.name, brand_id = excluded.brand_id,
             category_id = excluded.category_id, price_cents = excluded.price_cents,
             vat_bp = excluded.vat_bp, price_unit = excluded.price_unit,
             in_store_item_code = excluded.in_store_item_code, updated_at = excluded.updated_at",
    )?
    .execute(params![
        key,
        p.name,
        brand,
        category,
        p.price_cents,
        p.vat_bp,
        p.price_unit,
        p.in_store_item_code
    ])?;
    stock(tx, ids, key, &p.stock)
}

fn stock(tx: &Transaction<'_>, ids: &mut Ids, key: i64, levels: &[StockLevel]) -> Result<()> {
    for level in levels {
        let location = match ids.locations.get(&level.location) {
            Some(id) => *id,
            None => {
                let id: i64 = tx
                    .query_row(
                        "SELECT id FROM location WHERE code = ?1",
                        params![level.location],
                        |row| row.get(0),
                    )
                    .map_err(|_| {
                        StoreError::Corrupt(format!(
                            "stock for unknown location {}",
                            level.location
                        ))
                    })?;
                ids.locations.insert(level.location.clone(), id);
                id
            }
        };
        // A level older than the one we hold (pages replayed after a crash) changes nothing.
        tx.prepare_cached(
            "INSERT INTO stock (gtin, location_id, qty, as_of) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (gtin, location_id) DO UPDATE SET qty = excluded.qty, as_of = excluded.as_of
             WHERE excluded.as_of >= stock.as_of",
        )?
        .execute(params![key, location, level.qty, level.as_of])?;
    }
    Ok(())
}
