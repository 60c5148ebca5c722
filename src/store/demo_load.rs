//! Writing the generated demo store in bulk: reference data first, then products with their stock
//! in batches, each batch one transaction, so that a progress bar can move between batches and an
//! interrupted seed leaves whole batches only.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use super::catalog::gtin_key;
use super::{Result, Store, StoreError};
use crate::domain::customer::{email_key, phone_key};
use crate::domain::demo::{DemoCustomer, DemoLocation, DemoProduct};
use crate::domain::note_check::fold;
use crate::domain::vat::VatRate;

/// A bulk writer of demo data. Call [`DemoLoader::commit`] between batches and at the end; an
/// uncommitted batch is rolled back when the loader is dropped.
pub struct DemoLoader<'a> {
    conn: &'a Connection,
    brand_ids: HashMap<String, i64>,
    category_ids: HashMap<String, i64>,
    location_ids: Vec<i64>,
    now: i64,
    in_transaction: bool,
}

impl Store {
    /// Prepares a bulk load: writes the locations, categories and brands (once), and returns a
    /// loader whose location indexes follow `locations`. `now` is Unix seconds, UTC.
    pub fn demo_loader(
        &mut self,
        locations: &[DemoLocation],
        categories: &[(&str, VatRate)],
        brands: &[&str],
        now: i64,
    ) -> Result<DemoLoader<'_>> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for location in locations {
            tx.execute(
                "INSERT INTO location (code, name, kind) VALUES (?1, ?2, ?3)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind",
                params![location.code, location.name, location.kind.as_str()],
            )?;
        }
        for (name, rate) in categories {
            tx.execute(
                "INSERT INTO category (name, vat_bp) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET vat_bp = excluded.vat_bp",
                params![name, rate.basis_points()],
            )?;
        }
        for name in brands {
            tx.execute(
                "INSERT INTO brand (name) VALUES (?1) ON CONFLICT (name) DO NOTHING",
                params![name],
            )?;
        }
        tx.commit()?;
        self.locations.borrow_mut().clear();
        let conn = &self.conn;
        let mut location_ids = Vec::with_capacity(locations.len());
        for location in locations {
            location_ids.push(conn.query_row(
                "SELECT id FROM location WHERE code = ?1",
                params![location.code],
                |row| row.get(0),
            )?);
        }
        let ids = |sql: &str| -> Result<HashMap<String, i64>> {
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map([], |row| Ok((row.get(1)?, row.get(0)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        Ok(DemoLoader {
            brand_ids: ids("SELECT id, name FROM brand")?,
            category_ids: ids("SELECT id, name FROM category")?,
            conn,
            location_ids,
            now,
            in_transaction: false,
        })
    }
}

impl DemoLoader<'_> {
    fn begin(&mut self) -> Result<()> {
        if !self.in_transaction {
            self.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.in_transaction = true;
        }
        Ok(())
    }

    /// Adds one product and its stock: `(qty, age in seconds)` per location, in loader order.
    pub fn add_product(&mut self, product: &DemoProduct, stock: &[(i64, i64)]) -> Result<()> {
        self.begin()?;
        let brand = self.brand_ids.get(product.brand).copied();
        let category = self.category_ids.get(product.category).copied();
        let (Some(brand), Some(category)) = (brand, category) else {
            return Err(StoreError::Corrupt(format!(
                "brand {:?} or category {:?} was not loaded",
                product.brand, product.category
            )));
        };
        let gtin = gtin_key(&product.gtin)?;
        self.conn
            .prepare_cached(
                "INSERT INTO product (gtin, name, brand_id, category_id, price_cents, vat_bp,
                                      price_unit, in_store_item_code, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                gtin,
                product.name,
                brand,
                category,
                product.price.get(),
                product.vat_rate.basis_points(),
                product.price_unit.as_str(),
                product.in_store_item_code,
                self.now,
            ])?;
        let mut insert_stock = self.conn.prepare_cached(
            "INSERT INTO stock (gtin, location_id, qty, as_of) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (location_id, (qty, age)) in self.location_ids.iter().zip(stock) {
            insert_stock.execute(params![gtin, location_id, qty, self.now - age])?;
        }
        Ok(())
    }

    pub fn add_customer(&mut self, customer: &DemoCustomer) -> Result<()> {
        self.begin()?;
        self.conn
            .prepare_cached(
                "INSERT INTO customer (public_id, first_name, last_name, email, phone,
                                       loyalty_points, tier, updated_at, email_key, phone_key,
                                       first_key, last_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                customer.public_id,
                customer.first_name,
                customer.last_name,
                customer.email,
                customer.phone,
                customer.loyalty_points,
                customer.tier,
                self.now,
                email_key(&customer.email),
                phone_key(&customer.phone),
                fold(customer.first_name),
                fold(customer.last_name),
            ])?;
        Ok(())
    }

    /// Makes everything added since the last commit durable.
    pub fn commit(&mut self) -> Result<()> {
        if self.in_transaction {
            self.conn.execute_batch("COMMIT")?;
            self.in_transaction = false;
        }
        Ok(())
    }
}

impl Drop for DemoLoader<'_> {
    fn drop(&mut self) {
        if self.in_transaction {
            // Nothing to report to: the batch is simply not there, which is what we want.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}
