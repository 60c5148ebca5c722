//! Product recalls on the central (issue 14): a product, or one lot of it, withdrawn from sale
//! across the chain. Adding or ending a recall logs a `recall` change for every store in the
//! same transaction, so each terminal gets it with its next pull, in order with everything else.
//! A recall is never deleted: ending it keeps the record (a quality team's trail).

use crate::sql::{OptionalExtension, Tx, params};

use super::store::{Result, Store, log_change};
use comptoir_domain::gtin::Gtin;
use comptoir_protocol::{Change, RecallChange};

/// A recall as `comptoir-central recall list --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RecallRecord {
    pub id: i64,
    /// 14 digits.
    pub gtin: String,
    /// The recalled lot; `None`: every lot of the product.
    pub lot: Option<String>,
    pub reason: String,
    /// Unix seconds, UTC.
    pub created_at: i64,
    /// When it was ended (Unix seconds, UTC); `None` while in force.
    pub ended_at: Option<i64>,
}

impl RecallRecord {
    fn change(&self) -> Change {
        Change::Recall(RecallChange {
            id: self.id,
            gtin: self.gtin.clone(),
            lot: self.lot.clone(),
            reason: self.reason.clone(),
            created_at: self.created_at,
            ended_at: self.ended_at,
        })
    }
}

/// What ending a recall did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndOutcome {
    Ended(RecallRecord),
    AlreadyEnded { at: i64 },
    Unknown,
}

impl Store {
    /// Records a recall of `gtin` (of its lot `lot` only, when given) and tells every store.
    /// The caller checked the lot and that the reason is not blank.
    pub fn add_recall(
        &self,
        gtin: &Gtin,
        lot: Option<&str>,
        reason: &str,
        now: i64,
    ) -> Result<RecallRecord> {
        self.write(|tx| {
            let id = tx
                .prepare_cached(
                    "INSERT INTO recall (gtin, lot, reason, created_at) VALUES (?1, ?2, ?3, ?4)
                     RETURNING id",
                )?
                .query_row(params![gtin.as_str(), lot, reason, now], |row| row.get(0))?;
            let recall = RecallRecord {
                id,
                gtin: gtin.as_str().to_owned(),
                lot: lot.map(str::to_owned),
                reason: reason.to_owned(),
                created_at: now,
                ended_at: None,
            };
            log_change(tx, None, &recall.change())?;
            Ok(recall)
        })
    }

    /// Every recall, in force or ended, in the order they were made.
    pub fn recalls(&self) -> Result<Vec<RecallRecord>> {
        self.read(|tx| {
            Ok(tx
                .prepare_cached(&format!("{SELECT_RECALL} ORDER BY id"))?
                .query_map(params![], recall_from_row)?
                .collect::<crate::sql::Result<_>>()?)
        })
    }

    /// Ends the recall `id` at `now`: terminals sell the product again after their next pull.
    pub fn end_recall(&self, id: i64, now: i64) -> Result<EndOutcome> {
        self.write(|tx| {
            let Some(mut recall) = recall_by_id(tx, id)? else {
                return Ok(EndOutcome::Unknown);
            };
            if let Some(at) = recall.ended_at {
                return Ok(EndOutcome::AlreadyEnded { at });
            }
            tx.prepare_cached("UPDATE recall SET ended_at = ?2 WHERE id = ?1")?
                .execute(params![id, now])?;
            recall.ended_at = Some(now);
            log_change(tx, None, &recall.change())?;
            Ok(EndOutcome::Ended(recall))
        })
    }
}

const SELECT_RECALL: &str = "SELECT id, gtin, lot, reason, created_at, ended_at FROM recall";

fn recall_from_row(row: &crate::sql::Row<'_>) -> crate::sql::Result<RecallRecord> {
    Ok(RecallRecord {
        id: row.get(0)?,
        gtin: row.get(1)?,
        lot: row.get(2)?,
        reason: row.get(3)?,
        created_at: row.get(4)?,
        ended_at: row.get(5)?,
    })
}

fn recall_by_id(tx: &Tx<'_>, id: i64) -> Result<Option<RecallRecord>> {
    Ok(tx
        .prepare_cached(&format!("{SELECT_RECALL} WHERE id = ?1"))?
        .query_row(params![id], recall_from_row)
        .optional()?)
}
