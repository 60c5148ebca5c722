//! Customers on the terminal: the cache pulled from the central, customers created here, their
//! cached 360° view, consents, notes, the access log, privacy requests and loyalty movements.

use rusqlite::{Transaction, params};

use super::Result;
use crate::sync::protocol::CustomerMergedChange;

/// Every table that names a customer by id.
const CUSTOMER_REFERENCES: &[&str] = &[
    "UPDATE sale SET customer = ?2 WHERE customer = ?1",
    "UPDATE OR REPLACE customer_view SET customer = ?2 WHERE customer = ?1",
    "UPDATE OR REPLACE consent SET customer = ?2 WHERE customer = ?1",
    "UPDATE customer_note SET customer = ?2 WHERE customer = ?1",
    "UPDATE access_log SET customer = ?2 WHERE customer = ?1",
    "UPDATE privacy_request SET customer = ?2 WHERE customer = ?1",
    "UPDATE loyalty_movement SET customer = ?2 WHERE customer = ?1",
];

/// The central gave a customer created here the chain's id: a new customer keeps its row under
/// the new id; a customer it merged with an existing one (same e-mail or phone) gives way to it.
pub(super) fn apply_merge(tx: &Transaction<'_>, merge: &CustomerMergedChange) -> Result<()> {
    if merge.local_id == merge.id {
        return Ok(());
    }
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM customer WHERE public_id = ?1)",
        params![merge.id],
        |row| row.get(0),
    )?;
    if known {
        tx.execute(
            "DELETE FROM customer WHERE public_id = ?1 AND local = 1",
            params![merge.local_id],
        )?;
    } else {
        tx.execute(
            "UPDATE customer SET public_id = ?2, local = 0 WHERE public_id = ?1",
            params![merge.local_id, merge.id],
        )?;
    }
    for sql in CUSTOMER_REFERENCES {
        tx.execute(sql, params![merge.local_id, merge.id])?;
    }
    Ok(())
}
