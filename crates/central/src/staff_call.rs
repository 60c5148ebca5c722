//! Calls for a seller from the kiosks (issue 17): « Appeler un vendeur » records a call for the
//! kiosk's store and logs it as a `staff_call` change for that store only, so that its staff
//! tablets see it with their next pull; the first seller who answers is logged the same way, and
//! the kiosk reads it on its own next pull. A call is kept (it is the store's trail of how often
//! customers wait), never deleted.

use crate::sql::{OptionalExtension, Tx, params};

use super::store::{Result, Store, log_change};
use comptoir_protocol::{Change, StaffCallChange};

/// A kiosk that calls again while its call is still waiting rings no second time within this
/// many seconds: the customer who taps twice, or the next customer a minute later, has a seller
/// on the way already.
pub const RING_AGAIN_AFTER_SECONDS: i64 = 10 * 60;

/// Who calls: the device, as its token proved it.
pub struct Caller<'a> {
    pub device: &'a str,
    pub store: &'a str,
    pub terminal: &'a str,
}

/// What a call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// Recorded now, or found: the same call retried, or this kiosk's call still waiting.
    Recorded(StaffCallChange),
    /// Another device already used this id.
    IdTaken,
}

/// What an answer did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnswerOutcome {
    /// Answered now, or already (the first answer counts and is what comes back).
    Answered(StaffCallChange),
    /// No call with this id in the answering device's store.
    Unknown,
}

const COLUMNS: &str = "id, terminal, at, gtin, answered_by, answered_at";

fn call_of(row: &crate::sql::Row<'_>) -> crate::sql::Result<StaffCallChange> {
    Ok(StaffCallChange {
        id: row.get(0)?,
        terminal: row.get(1)?,
        at: row.get(2)?,
        gtin: row.get(3)?,
        answered_by: row.get(4)?,
        answered_at: row.get(5)?,
    })
}

fn find(tx: &Tx<'_>, id: &str, store: &str) -> Result<Option<StaffCallChange>> {
    Ok(tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM staff_call WHERE id = ?1 AND store = ?2"
        ))?
        .query_row(params![id, store], call_of)
        .optional()?)
}

impl Store {
    /// Records `id` as a call from `caller` at `now` (the central's clock), about `gtin` when
    /// given, and tells the caller's store. The caller checked the id and the GTIN.
    pub fn call_staff(
        &self,
        caller: &Caller<'_>,
        id: &str,
        gtin: Option<&str>,
        now: i64,
    ) -> Result<CallOutcome> {
        self.write(|tx| {
            let owner: Option<String> = tx
                .prepare_cached("SELECT device FROM staff_call WHERE id = ?1")?
                .query_row(params![id], |row| row.get(0))
                .optional()?;
            match owner {
                Some(device) if device != caller.device => return Ok(CallOutcome::IdTaken),
                Some(_) => {
                    let call = find(tx, id, caller.store)?;
                    return Ok(call.map_or(CallOutcome::IdTaken, CallOutcome::Recorded));
                }
                None => {}
            }
            let waiting = tx
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM staff_call
                     WHERE store = ?1 AND terminal = ?2 AND at > ?3 AND answered_at IS NULL
                     ORDER BY at DESC LIMIT 1"
                ))?
                .query_row(
                    params![
                        caller.store,
                        caller.terminal,
                        now - RING_AGAIN_AFTER_SECONDS
                    ],
                    call_of,
                )
                .optional()?;
            if let Some(call) = waiting {
                return Ok(CallOutcome::Recorded(call));
            }
            tx.prepare_cached(
                "INSERT INTO staff_call (id, store, terminal, device, at, gtin)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                id,
                caller.store,
                caller.terminal,
                caller.device,
                now,
                gtin
            ])?;
            let call = StaffCallChange {
                id: id.to_owned(),
                terminal: caller.terminal.to_owned(),
                at: now,
                gtin: gtin.map(str::to_owned),
                answered_by: None,
                answered_at: None,
            };
            log_change(tx, Some(caller.store), &Change::StaffCall(call.clone()))?;
            super::store::bump(tx, "staff_calls", 1)?;
            Ok(CallOutcome::Recorded(call))
        })
    }

    /// `staff` of `store` goes to the kiosk that made call `id`: recorded once, and told to the
    /// store's terminals (the kiosk among them).
    pub fn answer_staff_call(
        &self,
        store: &str,
        id: &str,
        staff: &str,
        now: i64,
    ) -> Result<AnswerOutcome> {
        self.write(|tx| {
            let Some(mut call) = find(tx, id, store)? else {
                return Ok(AnswerOutcome::Unknown);
            };
            if call.answered_at.is_some() {
                return Ok(AnswerOutcome::Answered(call));
            }
            tx.prepare_cached(
                "UPDATE staff_call SET answered_by = ?1, answered_at = ?2 WHERE id = ?3",
            )?
            .execute(params![staff, now, id])?;
            call.answered_by = Some(staff.to_owned());
            call.answered_at = Some(now);
            log_change(tx, Some(store), &Change::StaffCall(call.clone()))?;
            Ok(AnswerOutcome::Answered(call))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn central() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path(), true).expect("central store");
        (dir, store)
    }

    const KIOSK: Caller<'static> = Caller {
        device: "dev-b01",
        store: "PAR01",
        terminal: "B01",
    };

    #[test]
    fn a_call_is_recorded_once_and_a_waiting_kiosk_does_not_ring_twice() {
        let (_dir, store) = central();
        let first = store
            .call_staff(&KIOSK, "call-1", Some("03760000000017"), 1_000)
            .expect("call");
        let CallOutcome::Recorded(call) = first else {
            panic!("{first:?}")
        };
        assert_eq!((call.terminal.as_str(), call.at), ("B01", 1_000));
        // The same call retried, and a second tap a minute later: the same call.
        for (id, at) in [("call-1", 1_010), ("call-2", 1_060)] {
            assert_eq!(
                store.call_staff(&KIOSK, id, None, at).expect("again"),
                CallOutcome::Recorded(call.clone())
            );
        }
        // Another device cannot take the id.
        let other = Caller {
            device: "dev-b02",
            terminal: "B02",
            ..KIOSK
        };
        assert_eq!(
            store
                .call_staff(&other, "call-1", None, 1_070)
                .expect("other"),
            CallOutcome::IdTaken
        );
        // Once answered, the next call rings.
        let answered = store
            .answer_staff_call("PAR01", "call-1", "camille", 1_100)
            .expect("answer");
        assert!(
            matches!(answered, AnswerOutcome::Answered(ref c) if c.answered_by.as_deref() == Some("camille"))
        );
        let next = store
            .call_staff(&KIOSK, "call-3", None, 1_200)
            .expect("next");
        assert!(matches!(next, CallOutcome::Recorded(ref c) if c.id == "call-3"));
    }

    #[test]
    fn the_first_answer_counts_and_another_store_cannot_answer() {
        let (_dir, store) = central();
        store
            .call_staff(&KIOSK, "call-1", None, 1_000)
            .expect("call");
        assert_eq!(
            store
                .answer_staff_call("LYO01", "call-1", "hugo", 1_010)
                .expect("foreign"),
            AnswerOutcome::Unknown
        );
        store
            .answer_staff_call("PAR01", "call-1", "camille", 1_020)
            .expect("answer");
        let again = store
            .answer_staff_call("PAR01", "call-1", "hugo", 1_030)
            .expect("again");
        assert!(matches!(again, AnswerOutcome::Answered(ref c)
            if c.answered_by.as_deref() == Some("camille") && c.answered_at == Some(1_020)));
    }
}
