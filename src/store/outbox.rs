//! The outbox: every business fact, written in the same transaction as the fact, waiting for the
//! central's acknowledgement (atuin's "a host only writes its own store"). A row holds the
//! store's record of its fact (`facts`), never a wire type: `sync::wire` makes the protocol's
//! event of it. Also the sync state (enrollment, pull cursor, last sync) the sync engine keeps
//! between rounds.

use rusqlite::{OptionalExtension, Transaction, params};

use super::facts::{Fact, PendingEvent, Queued};
use super::received::{JournalBreak, Refusal};
use super::{Result, Store, StoreError};

/// The breaks the central found in this terminal's journal, as its last answer listed them.
const CENTRAL_BREAKS: &str = "central_journal_breaks";

/// Appends `fact` inside `tx` (the transaction that records it); returns its device sequence.
pub(super) fn enqueue(tx: &Transaction<'_>, created_at: i64, fact: &Fact) -> Result<i64> {
    let payload = fact
        .to_json()
        .map_err(|e| StoreError::Corrupt(format!("outbox payload: {e}")))?;
    let kind = fact.kind();
    tx.prepare_cached(
        "INSERT INTO outbox (id, kind, created_at, payload) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        uuid::Uuid::new_v4().to_string(),
        kind,
        created_at,
        payload
    ])?;
    Ok(tx.last_insert_rowid())
}

/// What the terminal knows of its enrollment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    pub central_url: String,
    pub device_id: String,
    pub token: String,
    pub store: String,
    pub public_key: String,
}

impl Store {
    /// The oldest `limit` events the central has not acknowledged, in sequence order.
    pub fn pending_events(&self, limit: usize) -> Result<Vec<PendingEvent>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, kind, created_at, payload FROM outbox WHERE acked = 0
             ORDER BY seq LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![limit as i64], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, String>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (seq, id, kind, created_at, payload) = row?;
            let payload = serde_json::from_str(&payload)
                .map_err(|e| StoreError::Corrupt(format!("outbox payload: {e}")))?;
            Ok(PendingEvent {
                seq,
                id,
                created_at,
                fact: Queued::read(kind, payload),
            })
        })
        .collect()
    }

    /// Marks every event up to `seq` acknowledged, with the stock movements of the sales among
    /// them (the central's levels now include them). Returns how many events this acknowledged.
    pub fn acknowledge(&mut self, seq: i64) -> Result<usize> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE stock_movement SET acknowledged = 1 WHERE acknowledged = 0 AND sale_id IN
               (SELECT s.id FROM sale s JOIN outbox o ON o.kind = 'sale'
                  AND json_extract(o.payload, '$.ticket') = s.ticket_number
                WHERE o.acked = 0 AND o.seq <= ?1)",
            params![seq],
        )?;
        // And the stock returns put back (the central's levels include them too).
        tx.execute(
            "UPDATE stock_movement SET acknowledged = 1 WHERE acknowledged = 0 AND return_id IN
               (SELECT r.id FROM order_return r JOIN outbox o ON o.kind = 'return'
                  AND json_extract(o.payload, '$.ticket') = r.number
                WHERE o.acked = 0 AND o.seq <= ?1)",
            params![seq],
        )?;
        // An address typed at the counter for an e-receipt is the central's now, for that
        // one mail: the terminal keeps no copy of it.
        tx.execute(
            "UPDATE outbox SET payload = json_remove(payload, '$.email')
             WHERE acked = 0 AND seq <= ?1 AND kind = 'e_receipt'
               AND json_extract(payload, '$.email') IS NOT NULL",
            params![seq],
        )?;
        let acked = tx.execute(
            "UPDATE outbox SET acked = 1 WHERE acked = 0 AND seq <= ?1",
            params![seq],
        )?;
        tx.commit()?;
        Ok(acked)
    }

    /// Keeps the central's reasons for the events it refused (once per event).
    pub fn record_refusals(&mut self, refused: &[Refusal], now: i64) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO refused_event (seq, reason, refused_at)
                 SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM outbox WHERE seq = ?1)
                 ON CONFLICT (seq) DO NOTHING",
            )?;
            for event in refused {
                insert.execute(params![event.seq, event.reason, now])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Events the central refused: (sequence, kind, reason), oldest first.
    pub fn refused_events(&self) -> Result<Vec<(i64, String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.seq, o.kind, r.reason FROM refused_event r JOIN outbox o ON o.seq = r.seq
             ORDER BY r.seq",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Keeps what the central last said of this terminal's journal breaks.
    pub fn set_central_journal_breaks(&self, breaks: &[JournalBreak]) -> Result<()> {
        let json = serde_json::to_string(breaks)
            .map_err(|e| StoreError::Corrupt(format!("journal breaks: {e}")))?;
        self.set_sync_value(CENTRAL_BREAKS, &json)
    }

    /// The breaks the central found in this terminal's journal, as of the last sync.
    pub fn central_journal_breaks(&self) -> Result<Vec<JournalBreak>> {
        match self.sync_value(CENTRAL_BREAKS)? {
            None => Ok(Vec::new()),
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("journal breaks: {e}"))),
        }
    }

    /// Events waiting for the central.
    pub fn waiting_events(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM outbox WHERE acked = 0", [], |row| {
                row.get(0)
            })?)
    }

    pub fn sync_value(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
            .query_row(params![key], |row| row.get(0))
            .optional()?)
    }

    pub fn set_sync_value(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, value])?;
        Ok(())
    }

    pub fn clear_sync_value(&self, key: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM sync_state WHERE key = ?1")?
            .execute(params![key])?;
        Ok(())
    }

    /// Saves the enrollment (one transaction).
    pub fn save_enrollment(&mut self, enrollment: &Enrollment) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        for (key, value) in [
            ("central_url", &enrollment.central_url),
            ("device_id", &enrollment.device_id),
            ("token", &enrollment.token),
            ("store", &enrollment.store),
            ("public_key", &enrollment.public_key),
        ] {
            tx.execute(
                "INSERT INTO sync_state (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The enrollment, if this terminal has one.
    pub fn enrollment(&self) -> Result<Option<Enrollment>> {
        let get = |key| self.sync_value(key);
        Ok(
            match (
                get("central_url")?,
                get("device_id")?,
                get("token")?,
                get("store")?,
                get("public_key")?,
            ) {
                (
                    Some(central_url),
                    Some(device_id),
                    Some(token),
                    Some(store),
                    Some(public_key),
                ) => Some(Enrollment {
                    central_url,
                    device_id,
                    token,
                    store,
                    public_key,
                }),
                _ => None,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::facts::{EReceiptFact, Fact};

    /// Issue 18: rows queued before the store had its own records (the protocol's payloads,
    /// written by `serde_json` from a struct or a `json!`) are still there after an update, and
    /// read back with nothing lost or changed.
    #[test]
    fn events_queued_by_an_older_build_are_read_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).expect("store");
        let rows = [
            // The receipt every sale queued, from `json!` (its keys in alphabetical order).
            ("e_receipt", r#"{"terminal":"T01","ticket":"T01-000041"}"#),
            (
                "sale",
                r#"{"ticket":"T01-000041","terminal":"T01","store":"PAR-01","created_at":1796032800,"training":false,"total_cents":4990,"lines":[{"gtin":"03760000000017","quantity":2,"amount_cents":4990,"vat_bp":2000,"discount_cents":500}],"payments":[{"method":"card","amount_cents":4990}],"customer":null}"#,
            ),
            // A newer build's kind, left by a downgrade.
            ("parcel_locker", r#"{"locker":4}"#),
        ];
        for (kind, payload) in rows {
            store
                .conn
                .execute(
                    "INSERT INTO outbox (id, kind, created_at, payload) VALUES (?1, ?2, 1, ?3)",
                    params![uuid::Uuid::new_v4().to_string(), kind, payload],
                )
                .expect("an older build's row");
        }
        let pending = store.pending_events(10).expect("pending");
        assert_eq!(pending.len(), 3);
        assert_eq!(
            pending[0].fact,
            Queued::Fact(Fact::EReceipt(EReceiptFact::of_sale("T01-000041", "T01")))
        );
        let Queued::Fact(Fact::Sale(sale)) = &pending[1].fact else {
            panic!("the sale row is not read as a sale: {:?}", pending[1].fact);
        };
        assert_eq!(
            (sale.ticket.as_str(), sale.lines[0].discount_cents),
            ("T01-000041", 500)
        );
        assert_eq!(
            pending[2].fact,
            Queued::Verbatim {
                kind: "parcel_locker".into(),
                payload: serde_json::json!({"locker": 4}),
            }
        );
    }

    /// Issue 18: the journal breaks an older build kept from its last sync (the protocol's
    /// notices as JSON) read as the store's breaks, and are written back the same.
    #[test]
    fn journal_breaks_kept_by_an_older_build_are_read_whole() {
        use crate::store::received::BreakKind;

        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).expect("store");
        let kept = r#"[{"id":4,"sequence":8,"kind":"rewritten","ticket":null,"detected_at":1796032800,"acknowledged_at":null},{"id":5,"sequence":null,"kind":"ticket_reused","ticket":"T01-000042","detected_at":1796032900,"acknowledged_at":1796033000}]"#;
        store
            .set_sync_value(CENTRAL_BREAKS, kept)
            .expect("an older build's breaks");
        let breaks = store.central_journal_breaks().expect("breaks");
        assert_eq!(
            breaks
                .iter()
                .map(|b| (b.id, b.sequence, b.kind, b.ticket.as_deref()))
                .collect::<Vec<_>>(),
            [
                (4, Some(8), BreakKind::Rewritten, None),
                (5, None, BreakKind::TicketReused, Some("T01-000042")),
            ]
        );
        store.set_central_journal_breaks(&breaks).expect("write");
        assert_eq!(
            store.sync_value(CENTRAL_BREAKS).expect("read").as_deref(),
            Some(kept)
        );
    }
}
