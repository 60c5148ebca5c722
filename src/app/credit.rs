//! Store credits (« avoirs ») and gift cards at the counter (issue 16): what is left on one, from
//! the central when it answers, else from what this terminal last heard less what it spent
//! since. Offline, a credit is spent up to that balance and no further here; two offline
//! counters spending the same credit are flagged by the central and shown on both.

use serde::Serialize;

use crate::store::received::HeardCredit;
use crate::store::{Store, StoreError};
use crate::sync::client::SyncError;
use crate::sync::protocol::CreditAnswer;

#[derive(Debug, thiserror::Error)]
pub enum CreditError {
    #[error("no store credit or gift card has this code")]
    Unknown,
    #[error("this credit is unknown here and the central cannot be asked now: try again online")]
    UnknownOffline,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A credit's balance and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreditBalance {
    pub code: String,
    /// "credit" or "gift_card".
    pub kind: String,
    pub balance_cents: i64,
    /// "central" (asked now) or "cache" (what this terminal last knew).
    pub source: &'static str,
    /// Spent beyond its balance at two counters (the central said so).
    pub conflict: bool,
}

/// The balance of `code`: the central's (kept here, less this terminal's spends it has not
/// received yet), else the one this terminal knows. `fetch` asks the central (`Err`: cannot).
pub fn balance(
    store: &mut Store,
    code: &str,
    fetch: impl FnOnce(&str) -> Result<Option<CreditAnswer>, SyncError>,
    now: i64,
) -> Result<CreditBalance, CreditError> {
    let code = code.trim();
    let fetched = fetch(code);
    if let Ok(Some(answer)) = &fetched {
        let known = store.remember_credit(&HeardCredit::from(answer.clone()), now)?;
        return Ok(CreditBalance {
            code: known.code,
            kind: known.kind,
            balance_cents: known.balance_cents,
            source: "central",
            conflict: known.conflict,
        });
    }
    match (store.known_credit(code)?, fetched) {
        (Some(known), _) => Ok(CreditBalance {
            code: known.code,
            kind: known.kind,
            balance_cents: known.balance_cents,
            source: "cache",
            conflict: known.conflict,
        }),
        (None, Ok(_)) => Err(CreditError::Unknown),
        (None, Err(error)) => {
            tracing::debug!(%error, "credit balance: central unreachable");
            Err(CreditError::UnknownOffline)
        }
    }
}
