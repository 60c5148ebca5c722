//! The store's calls for a seller (issue 17), kept as the central sends them: pulled with the
//! changes, or taken from the central's answer to this terminal's own call or answer. The staff
//! screens show the ones still waiting; the kiosk reads whether its own was answered.

use rusqlite::{OptionalExtension, Transaction, params};

use super::{Result, Store};

/// A kiosk's call for a seller, as the central last described it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffCall {
    pub id: String,
    /// The kiosk that called ("B01").
    pub terminal: String,
    /// When it called, by the central's clock (Unix seconds, UTC).
    pub at: i64,
    pub gtin: Option<String>,
    /// The seller who went (their login), once one did.
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
}

const COLUMNS: &str = "id, terminal, at, gtin, answered_by, answered_at";

fn call_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<StaffCall> {
    Ok(StaffCall {
        id: row.get(0)?,
        terminal: row.get(1)?,
        at: row.get(2)?,
        gtin: row.get(3)?,
        answered_by: row.get(4)?,
        answered_at: row.get(5)?,
    })
}

impl Store {
    /// Keeps `call` as the central sent it (in an answer rather than a pull).
    pub fn keep_staff_call(&mut self, call: &StaffCall) -> Result<()> {
        let tx = self.conn.transaction()?;
        apply_staff_call(&tx, call)?;
        tx.commit()?;
        Ok(())
    }

    /// The calls no one answered yet, made at `since` or later, oldest first (the customer who
    /// has waited longest).
    pub fn waiting_staff_calls(&self, since: i64) -> Result<Vec<StaffCall>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM staff_call
             WHERE answered_at IS NULL AND at >= ?1 ORDER BY at, id"
        ))?;
        let rows = stmt.query_map(params![since], call_of)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The call `id`, as last heard from the central.
    pub fn staff_call(&self, id: &str) -> Result<Option<StaffCall>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM staff_call WHERE id = ?1"))?
            .query_row(params![id], call_of)
            .optional()?)
    }
}

/// Records a call, or its answer. An answer already known is never undone by an older copy of
/// the call (a pull may bring the call after this tablet's own answer was kept).
pub(super) fn apply_staff_call(tx: &Transaction<'_>, call: &StaffCall) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO staff_call (id, terminal, at, gtin, answered_by, answered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET
             answered_by = coalesce(staff_call.answered_by, excluded.answered_by),
             answered_at = coalesce(staff_call.answered_at, excluded.answered_at)",
    )?
    .execute(params![
        call.id,
        call.terminal,
        call.at,
        call.gtin,
        call.answered_by,
        call.answered_at
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, at: i64) -> StaffCall {
        StaffCall {
            id: id.to_owned(),
            terminal: "B01".to_owned(),
            at,
            gtin: None,
            answered_by: None,
            answered_at: None,
        }
    }

    #[test]
    fn an_answer_is_kept_whatever_comes_after_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(&dir.path().join("t.db")).expect("store");
        store.keep_staff_call(&call("a", 100)).expect("a");
        store.keep_staff_call(&call("b", 50)).expect("b");
        store.keep_staff_call(&call("old", 10)).expect("old");
        let ids = |calls: Vec<StaffCall>| calls.into_iter().map(|c| c.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.waiting_staff_calls(20).expect("read")),
            ["b", "a"]
        );
        let answered = StaffCall {
            answered_by: Some("camille".to_owned()),
            answered_at: Some(120),
            ..call("a", 100)
        };
        store.keep_staff_call(&answered).expect("answer");
        // The pull brings the call as it was first logged: the answer stays.
        store.keep_staff_call(&call("a", 100)).expect("older copy");
        assert_eq!(store.staff_call("a").expect("read"), Some(answered));
        assert_eq!(ids(store.waiting_staff_calls(20).expect("read")), ["b"]);
    }
}
