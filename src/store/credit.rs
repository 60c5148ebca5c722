//! Store credits (« avoirs ») and gift cards as this terminal knows them, and the conflicts the
//! central reports (issue 16). The balance lives at the central; the terminal keeps the last
//! balance it heard (or what a return here issued) less what it spent since, so that offline a
//! credit is spent up to that and no further here. Codes are never logged.

use rusqlite::{OptionalExtension, Transaction, params};

use super::received::HeardCredit;
use super::{Result, Store, StoreError};

/// A credit as this terminal knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownCredit {
    pub code: String,
    /// "credit" or "gift_card".
    pub kind: String,
    /// What may still be spent here.
    pub balance_cents: i64,
    /// When the balance was last heard from the central (or issued here), Unix seconds.
    pub known_at: i64,
    /// The central found it spent beyond its balance at two counters.
    pub conflict: bool,
}

/// A conflict the central reported, as it said it: pulled, kept, and listed by `conflicts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// The central's id for it.
    pub id: i64,
    /// "double_return" (`subject`: store and ticket of the sale) or "double_spend" (`subject`:
    /// the credit's code).
    pub kind: String,
    pub subject: String,
    /// The counters involved, in the order they did it: "PAR-01/T01".
    pub counters: Vec<String>,
    /// When the central found it, Unix seconds.
    pub at: i64,
}

impl Store {
    /// The credit `code` as this terminal knows it.
    pub fn known_credit(&self, code: &str) -> Result<Option<KnownCredit>> {
        known(&self.conn, code)
    }

    /// Keeps what the central says of a credit, less what this terminal spent of it that the
    /// central has not received yet; the balance this terminal may rely on.
    pub fn remember_credit(&mut self, answer: &HeardCredit, now: i64) -> Result<KnownCredit> {
        let tx = self.conn.transaction()?;
        let unsent: i64 = tx
            .prepare_cached(
                "SELECT coalesce(sum(c.amount_cents), 0) FROM sale_credit c
                   JOIN outbox o ON o.seq = c.outbox_seq
                  WHERE c.code = ?1 AND o.acked = 0",
            )?
            .query_row(params![answer.code], |row| row.get(0))?;
        tx.prepare_cached(
            "INSERT INTO credit (code, kind, balance_cents, known_at, conflict)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (code) DO UPDATE SET kind = excluded.kind,
                 balance_cents = excluded.balance_cents, known_at = excluded.known_at,
                 conflict = max(conflict, excluded.conflict)",
        )?
        .execute(params![
            answer.code,
            answer.kind,
            answer.balance_cents - unsent,
            now,
            answer.conflict
        ])?;
        let credit = known(&tx, &answer.code)?
            .ok_or_else(|| StoreError::Corrupt("a credit vanished while written".into()))?;
        tx.commit()?;
        Ok(credit)
    }

    /// The conflicts the central reported, newest first.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        self.conn
            .prepare_cached(
                "SELECT id, kind, subject, counters, at FROM conflict ORDER BY at DESC, id DESC",
            )?
            .query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            })?
            .map(|row| {
                let (id, kind, subject, counters, at) = row?;
                Ok(Conflict {
                    id,
                    kind,
                    subject,
                    counters: serde_json::from_str(&counters)
                        .map_err(|e| StoreError::Corrupt(format!("conflict counters: {e}")))?,
                    at,
                })
            })
            .collect()
    }
}

fn known(conn: &rusqlite::Connection, code: &str) -> Result<Option<KnownCredit>> {
    Ok(conn
        .prepare_cached(
            "SELECT code, kind, balance_cents, known_at, conflict FROM credit WHERE code = ?1",
        )?
        .query_row(params![code], |row| {
            Ok(KnownCredit {
                code: row.get(0)?,
                kind: row.get(1)?,
                balance_cents: row.get(2)?,
                known_at: row.get(3)?,
                conflict: row.get(4)?,
            })
        })
        .optional()?)
}

/// A credit issued here (a return refunded as store credit): spendable here at once, offline too.
pub(super) fn record_issue(
    tx: &Transaction<'_>,
    code: &str,
    kind: &str,
    cents: i64,
    at: i64,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO credit (code, kind, balance_cents, known_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (code) DO NOTHING",
    )?
    .execute(params![code, kind, cents, at])?;
    Ok(())
}

/// A sale's spend of a credit, in the sale's transaction: kept with the sale, and taken off the
/// balance this terminal may rely on. Training tickets spend nothing.
pub(super) fn record_spend(
    tx: &Transaction<'_>,
    sale_id: i64,
    code: &str,
    cents: i64,
    outbox_seq: i64,
    training: bool,
) -> Result<()> {
    if training {
        return Ok(());
    }
    tx.prepare_cached(
        "INSERT INTO sale_credit (sale_id, code, amount_cents, outbox_seq) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![sale_id, code, cents, outbox_seq])?;
    let changed = tx
        .prepare_cached(
            "UPDATE credit SET balance_cents = balance_cents - ?2
             WHERE code = ?1 AND balance_cents >= ?2",
        )?
        .execute(params![code, cents])?;
    if changed == 0 {
        // The app checks the balance first; anything else is a bug, and nothing is written.
        return Err(StoreError::Corrupt(
            "a credit was spent beyond the balance this terminal knows".into(),
        ));
    }
    Ok(())
}

/// A conflict pulled from the central: kept, and a credit spent twice is marked.
pub(super) fn apply_conflict(tx: &Transaction<'_>, c: &Conflict) -> Result<()> {
    let counters = serde_json::to_string(&c.counters)
        .map_err(|e| StoreError::Corrupt(format!("conflict counters: {e}")))?;
    tx.prepare_cached(
        "INSERT INTO conflict (id, kind, subject, counters, at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, subject = excluded.subject,
             counters = excluded.counters, at = excluded.at",
    )?
    .execute(params![c.id, c.kind, c.subject, counters, c.at])?;
    if c.kind == "double_spend" {
        tx.prepare_cached("UPDATE credit SET conflict = 1 WHERE code = ?1")?
            .execute(params![c.subject])?;
    }
    Ok(())
}
