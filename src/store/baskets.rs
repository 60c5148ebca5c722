//! The open basket and the parked ones (migration 0008). The screen and the CLI read and change
//! the one open basket of the terminal here, so both always see the same lines; a parked basket
//! waits, with who parked it and when, until it is resumed.
//!
//! A change reads the basket, applies the domain's rules and writes it back in one IMMEDIATE
//! transaction: two writers (the screen and `comptoir basket add`) cannot lose each other's line.

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Result, Store, StoreError};
use crate::domain::basket::{Basket, BasketLine, CancelledLine};
use crate::domain::discount::ManualBasket;

/// The basket being rung up: its lines (validated by the domain) and the units cancelled so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenBasket {
    /// `None` until the first line is written.
    pub id: Option<i64>,
    pub basket: Basket,
    pub cancelled: Vec<CancelledLine>,
}

/// A basket put aside (« mis en attente »).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParkedBasket {
    pub id: i64,
    /// The staff login of who parked it.
    pub parked_by: Option<String>,
    /// Unix seconds, UTC.
    pub parked_at: i64,
    pub basket: Basket,
}

/// Why a parked basket cannot be resumed.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error("there is no parked basket {id}")]
    NotParked { id: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn basket_from_json(id: i64, json: &str, discount: Option<&str>) -> Result<Basket> {
    let lines: Vec<BasketLine> = serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("basket {id}: its lines: {e}")))?;
    let discount: Option<ManualBasket> = discount
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("basket {id}: its discount: {e}")))?;
    Basket::from_parts(lines, discount)
        .map_err(|e| StoreError::Corrupt(format!("basket {id}: {e}")))
}

fn cancelled_from_json(id: i64, json: &str) -> Result<Vec<CancelledLine>> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("basket {id}: its cancelled lines: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("basket JSON: {e}")))
}

fn read_open(tx: &rusqlite::Connection) -> Result<OpenBasket> {
    let row: Option<(i64, String, String, Option<String>)> = tx
        .prepare_cached(
            "SELECT id, lines_json, cancelled_json, discount_json FROM basket
             WHERE state = 'open'",
        )?
        .query_row([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()?;
    match row {
        None => Ok(OpenBasket::default()),
        Some((id, lines, cancelled, discount)) => Ok(OpenBasket {
            id: Some(id),
            basket: basket_from_json(id, &lines, discount.as_deref())?,
            cancelled: cancelled_from_json(id, &cancelled)?,
        }),
    }
}

fn write_open(tx: &Transaction<'_>, open: &mut OpenBasket, now: i64) -> Result<()> {
    let lines = to_json(&open.basket.lines())?;
    let cancelled = to_json(&open.cancelled)?;
    let discount = open.basket.discount().map(to_json).transpose()?;
    match open.id {
        Some(id) => {
            tx.prepare_cached(
                "UPDATE basket SET lines_json = ?2, cancelled_json = ?3, updated_at = ?4,
                                   discount_json = ?5
                 WHERE id = ?1",
            )?
            .execute(params![id, lines, cancelled, now, discount])?;
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO basket (state, lines_json, cancelled_json, updated_at, discount_json)
                 VALUES ('open', ?1, ?2, ?3, ?4)",
            )?
            .execute(params![lines, cancelled, now, discount])?;
            open.id = Some(tx.last_insert_rowid());
        }
    }
    Ok(())
}

impl Store {
    /// The open basket (empty when there is none).
    pub fn open_basket(&self) -> Result<OpenBasket> {
        read_open(&self.conn)
    }

    /// Reads the open basket, lets `change` apply the domain's rules to it, and writes it back,
    /// all in one transaction. When `change` fails nothing is written. Returns what `change`
    /// gave and the basket as it now is.
    pub fn change_open_basket<T, E>(
        &mut self,
        now: i64,
        change: impl FnOnce(&mut OpenBasket) -> std::result::Result<T, E>,
    ) -> std::result::Result<(T, OpenBasket), E>
    where
        E: From<StoreError>,
    {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let mut open = read_open(&tx)?;
        let value = change(&mut open)?;
        write_open(&tx, &mut open, now)?;
        tx.commit().map_err(StoreError::from)?;
        Ok((value, open))
    }

    /// Puts the open basket aside for `by`; `None` when it is empty (nothing to park). The
    /// next scan starts a new open basket.
    pub fn park_open_basket(&mut self, by: &str, now: i64) -> Result<Option<i64>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let open = read_open(&tx)?;
        let Some(id) = open.id.filter(|_| !open.basket.is_empty()) else {
            return Ok(None);
        };
        park(&tx, id, by, now)?;
        tx.commit()?;
        Ok(Some(id))
    }

    /// Makes parked basket `id` the open one. A non-empty open basket is parked in its place
    /// (for `by`), so nothing is ever lost; its id is returned. An empty one is dropped.
    pub fn resume_basket(
        &mut self,
        id: i64,
        by: &str,
        now: i64,
    ) -> std::result::Result<Option<i64>, ResumeError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let parked: bool = tx
            .prepare_cached("SELECT count(*) FROM basket WHERE id = ?1 AND state = 'parked'")
            .and_then(|mut stmt| stmt.query_row(params![id], |row| row.get::<_, i64>(0)))
            .map_err(StoreError::from)?
            > 0;
        if !parked {
            return Err(ResumeError::NotParked { id });
        }
        let open = read_open(&tx)?;
        let mut set_aside = None;
        if let Some(open_id) = open.id {
            if open.basket.is_empty() {
                tx.execute("DELETE FROM basket WHERE id = ?1", params![open_id])
                    .map_err(StoreError::from)?;
            } else {
                park(&tx, open_id, by, now)?;
                set_aside = Some(open_id);
            }
        }
        tx.execute(
            "UPDATE basket SET state = 'open', parked_by = NULL, parked_at = NULL, updated_at = ?2
             WHERE id = ?1",
            params![id, now],
        )
        .map_err(StoreError::from)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(set_aside)
    }

    /// The parked baskets, oldest first.
    pub fn parked_baskets(&self) -> Result<Vec<ParkedBasket>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, parked_by, parked_at, lines_json, discount_json FROM basket
             WHERE state = 'parked' ORDER BY parked_at, id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, Option<i64>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, Option<String>>(4)?,
            ))
        })?;
        let mut parked = Vec::new();
        for row in rows {
            let (id, parked_by, parked_at, lines, discount) = row?;
            parked.push(ParkedBasket {
                id,
                parked_by,
                parked_at: parked_at.unwrap_or_default(),
                basket: basket_from_json(id, &lines, discount.as_deref())?,
            });
        }
        Ok(parked)
    }
}

fn park(tx: &Transaction<'_>, id: i64, by: &str, now: i64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE basket SET state = 'parked', parked_by = ?2, parked_at = ?3, updated_at = ?3
         WHERE id = ?1",
    )?
    .execute(params![id, by, now])?;
    Ok(())
}

impl Store {
    /// An open basket emptied line by line and never paid (the customer left): the units taken
    /// out of it are journaled as a technical entry (`basket_abandoned {"cancelled_lines":[…]}`)
    /// and the basket forgets them, so that they never appear on the next customer's ticket.
    /// Returns whether there were any.
    pub fn journal_abandoned_basket(&mut self, terminal: &str, now: i64) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut open = read_open(&tx)?;
        if !open.basket.is_empty() || open.cancelled.is_empty() {
            return Ok(false);
        }
        let Some(detail) = super::sales::cancelled_detail(&open.cancelled)? else {
            return Ok(false);
        };
        let operator = open.cancelled.last().map(|c| c.operator.clone());
        let entry = super::journal::EntryDraft::technical(
            terminal,
            operator.as_deref(),
            &format!("basket_abandoned {detail}"),
            now,
        );
        super::journal::append(&tx, entry)?;
        open.cancelled.clear();
        write_open(&tx, &mut open, now)?;
        tx.commit()?;
        Ok(true)
    }
}

/// Drops the open basket `id` once it has been paid (in the sale's own transaction).
pub(super) fn delete_paid(tx: &Transaction<'_>, id: i64) -> Result<()> {
    tx.prepare_cached("DELETE FROM basket WHERE id = ?1 AND state = 'open'")?
        .execute(params![id])?;
    Ok(())
}
