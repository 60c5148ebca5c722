//! Product recalls pulled from the central: applied with the pull's page (see `pull`), read on
//! every scan that goes into a sale (one indexed lookup by GTIN).

use rusqlite::{Transaction, params};

use super::received::PulledRecall;
use super::{Result, Store};
use crate::domain::gtin::Gtin;
use crate::domain::sale_guard::Recall;

impl Store {
    /// The recalls in force for the product `gtin` (not ended), oldest first.
    pub fn recalls_in_force(&self, gtin: &Gtin) -> Result<Vec<Recall>> {
        let key = super::catalog::gtin_key(gtin)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT lot, reason FROM recall WHERE gtin = ?1 AND ended_at IS NULL ORDER BY id",
        )?;
        let rows = stmt.query_map(params![key], |row| {
            Ok(Recall {
                lot: row.get(0)?,
                reason: row.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Records a pulled recall, or its new state (ended) when this terminal already has it.
pub(super) fn apply_recall(tx: &Transaction<'_>, r: &PulledRecall) -> Result<()> {
    let key = super::pull::gtin_key(&r.gtin)?;
    tx.prepare_cached(
        "INSERT INTO recall (id, gtin, lot, reason, created_at, ended_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET gtin = excluded.gtin, lot = excluded.lot,
             reason = excluded.reason, created_at = excluded.created_at,
             ended_at = excluded.ended_at",
    )?
    .execute(params![
        r.id,
        key,
        r.lot,
        r.reason,
        r.created_at,
        r.ended_at
    ])?;
    Ok(())
}
