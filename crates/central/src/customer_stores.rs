//! Which stores hold a customer's record. GDPR data minimisation: a terminal keeps the customers
//! of its own store (where they were created, or their home store in the seed) and those its
//! store has served (a sale, points, an order); any other customer it reads on demand through the
//! API, which writes the read to the access log. A customer's record travels in the change feed
//! to those stores only; an erasure still goes to every store, since it carries no personal data
//! and every cache must forget.

use crate::sql::{Tx, params};

use super::store::{Result, StoreError, customer_change};
use comptoir_protocol::{Change, CustomerChange};

/// Records that `store` knows the customer `id` (a chain id). The first time, the store's
/// terminals are sent the customer's current record. An erased customer is linked to no store.
pub(super) fn link(tx: &Tx<'_>, id: &str, store: &str, now: i64) -> Result<()> {
    let added = tx
        .prepare_cached(
            "INSERT INTO customer_store (customer, store, since)
             SELECT ?1, ?2, ?3
             WHERE NOT EXISTS (SELECT 1 FROM customer WHERE id = ?1 AND erased_at IS NOT NULL)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![id, store, now])?;
    if added == 0 {
        return Ok(());
    }
    if let Some(change) = customer_change(tx, id)? {
        insert(tx, Some(store), &change)?;
    }
    Ok(())
}

/// Sends the customer's new record to every store that knows them.
pub(super) fn publish(tx: &Tx<'_>, change: &CustomerChange) -> Result<()> {
    let json = change_json(change)?;
    tx.prepare_cached(
        "INSERT INTO change_log (store, change)
         SELECT store, ?2 FROM customer_store WHERE customer = ?1 ORDER BY store",
    )?
    .execute(params![change.id, json])?;
    Ok(())
}

fn insert(tx: &Tx<'_>, store: Option<&str>, change: &CustomerChange) -> Result<()> {
    tx.prepare_cached("INSERT INTO change_log (store, change) VALUES (?1, ?2)")?
        .execute(params![store, change_json(change)?])?;
    Ok(())
}

fn change_json(change: &CustomerChange) -> Result<String> {
    serde_json::to_string(&Change::Customer(change.clone()))
        .map_err(|e| StoreError::Corrupt(format!("customer change: {e}")))
}
