//! The GDPR requests customers made at a counter, on the central: the open ones with the date
//! they must be answered by (one month), and the erasure of a customer. An erased customer keeps
//! their id, which the sales, orders and loyalty movements kept for accounting point to, and
//! loses everything that names or describes them: names, e-mail, phone, consents, notes, cart,
//! wishlist. Every terminal hears of it with its next pull and forgets them too.

use crate::sql::{OptionalExtension, Tx, params};

use super::store::{
    AccessEntry, Result, Store, access_entries, customer_view_with, log_change, resolve_customer,
};
use comptoir_domain::customer::CustomerView;
use comptoir_protocol::{Change, CustomerErasedChange};

/// How long the chain has to answer a request (GDPR art. 12(3): one month).
pub const ANSWER_WITHIN_SECS: i64 = 30 * 86_400;

/// A request made at a counter and not answered yet.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OpenRequest {
    pub customer: String,
    /// "access" or "erasure".
    pub kind: String,
    pub store: String,
    pub staff: String,
    /// When it was made (Unix seconds, UTC).
    pub at: i64,
    /// When it must be answered by.
    pub due: i64,
}

/// Everything the chain holds about a customer, for their access request (GDPR art. 15).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SubjectAccess {
    /// When this copy was produced (Unix seconds, UTC).
    pub produced_at: i64,
    /// Identity, loyalty, consents, every purchase and return, cart, wishlist, notes.
    pub customer: CustomerView,
    /// Every opening of their record: who, when, where.
    pub accesses: Vec<AccessEntry>,
    pub loyalty_movements: Vec<LoyaltyMovement>,
    pub requests: Vec<RequestRecord>,
    /// Open access requests this copy answers.
    pub requests_answered: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LoyaltyMovement {
    pub at: i64,
    pub points: i64,
    pub ticket: String,
    pub terminal: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RequestRecord {
    pub kind: String,
    pub at: i64,
    pub store: String,
    pub status: String,
    pub answered_at: Option<i64>,
}

/// What erasing a customer did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EraseOutcome {
    /// Erased now; `requests_answered` erasure requests are answered by it.
    Erased {
        requests_answered: usize,
    },
    AlreadyErased {
        at: i64,
    },
    UnknownCustomer,
}

impl Store {
    /// The requests not answered yet, the oldest first.
    pub fn open_privacy_requests(&self) -> Result<Vec<OpenRequest>> {
        self.read(|tx| {
            Ok(tx
                .prepare_cached(
                    "SELECT customer, kind, store, staff, at FROM privacy_request
                     WHERE status = 'open' ORDER BY at, event_id",
                )?
                .query_map(params![], |row| {
                    let at: i64 = row.get(4)?;
                    Ok(OpenRequest {
                        customer: row.get(0)?,
                        kind: row.get(1)?,
                        store: row.get(2)?,
                        staff: row.get(3)?,
                        at,
                        due: at.saturating_add(ANSWER_WITHIN_SECS),
                    })
                })?
                .collect::<crate::sql::Result<_>>()?)
        })
    }

    /// A copy of everything the chain holds about the customer `id`, which answers their open
    /// access requests; None for a customer the central does not have (or erased).
    pub fn subject_access(&self, id: &str, now: i64) -> Result<Option<SubjectAccess>> {
        self.write(|tx| {
            let Some(customer) = customer_view_with(tx, id, now, i64::MAX)? else {
                return Ok(None);
            };
            let id = customer.id.clone();
            let loyalty_movements = tx
                .prepare_cached(
                    "SELECT at, points, ticket, terminal FROM loyalty_movement
                     WHERE customer = ?1 ORDER BY at DESC, event_id",
                )?
                .query_map(params![id], |row| {
                    Ok(LoyaltyMovement {
                        at: row.get(0)?,
                        points: row.get(1)?,
                        ticket: row.get(2)?,
                        terminal: row.get(3)?,
                    })
                })?
                .collect::<crate::sql::Result<_>>()?;
            let requests_answered = answer_requests(tx, &id, "access", now)?;
            let requests = tx
                .prepare_cached(
                    "SELECT kind, at, store, status, answered_at FROM privacy_request
                     WHERE customer = ?1 ORDER BY at DESC, event_id",
                )?
                .query_map(params![id], |row| {
                    Ok(RequestRecord {
                        kind: row.get(0)?,
                        at: row.get(1)?,
                        store: row.get(2)?,
                        status: row.get(3)?,
                        answered_at: row.get(4)?,
                    })
                })?
                .collect::<crate::sql::Result<_>>()?;
            Ok(Some(SubjectAccess {
                produced_at: now,
                accesses: access_entries(tx, &id)?,
                customer,
                loyalty_movements,
                requests,
                requests_answered,
            }))
        })
    }

    /// Erases the customer `id` (a chain id or a local id merged into one) at `now`.
    pub fn erase_customer(&self, id: &str, now: i64) -> Result<EraseOutcome> {
        self.write(|tx| {
            let id = resolve_customer(tx, id)?;
            let erased: Option<Option<i64>> = tx
                .prepare_cached("SELECT erased_at FROM customer WHERE id = ?1")?
                .query_row(params![id], |row| row.get(0))
                .optional()?;
            match erased {
                None => return Ok(EraseOutcome::UnknownCustomer),
                Some(Some(at)) => return Ok(EraseOutcome::AlreadyErased { at }),
                Some(None) => {}
            }
            // Names become empty and the search keys with them, so no search finds the row.
            tx.prepare_cached(
                "UPDATE customer SET first_name = '', last_name = '', email = NULL, phone = NULL,
                        first_key = '', last_key = '', email_key = NULL, phone_key = NULL,
                        erased_at = ?2, updated_at = ?2
                 WHERE id = ?1",
            )?
            .execute(params![id, now])?;
            for table in [
                "consent",
                "customer_note",
                "cart_line",
                "wishlist",
                "customer_store",
            ] {
                tx.prepare_cached(&format!("DELETE FROM {table} WHERE customer = ?1"))?
                    .execute(params![id])?;
            }
            let requests_answered = answer_requests(tx, &id, "erasure", now)?;
            log_change(
                tx,
                None,
                &Change::CustomerErased(CustomerErasedChange { id: id.clone() }),
            )?;
            tracing::info!(customer = %id, "customer erased");
            Ok(EraseOutcome::Erased { requests_answered })
        })
    }
}

/// Marks the open requests of `kind` of the customer `id` answered at `now`; how many there were.
fn answer_requests(tx: &Tx<'_>, id: &str, kind: &str, now: i64) -> Result<usize> {
    Ok(tx
        .prepare_cached(
            "UPDATE privacy_request SET status = 'answered', answered_at = ?3
             WHERE customer = ?1 AND kind = ?2 AND status = 'open'",
        )?
        .execute(params![id, kind, now])?)
}

/// Whether the customer `id` (already resolved) was erased: what terminals send about them
/// afterwards (a note or a consent queued offline) is not kept.
pub(super) fn is_erased(tx: &Tx<'_>, id: &str) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM customer WHERE id = ?1 AND erased_at IS NOT NULL")?
        .exists(params![id])?)
}
