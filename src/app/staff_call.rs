//! « Appeler un vendeur » (issue 17): a kiosk's customer asks for a seller, through the central,
//! and the store's staff tablets show the call with their next pull until a seller answers it.
//! A call is live: when the central cannot be reached the kiosk says so at once (the customer
//! goes to the desk) and nothing is kept to be sent later, when the customer has gone.

use crate::app::central::Central;
use crate::domain::gtin::Gtin;
use crate::store::received::StaffCall;
use crate::store::{Store, StoreError};
use crate::sync::client::SyncError;
use crate::sync::protocol::StaffCallRequest;

/// How long a call no one answered stays on the staff screens: past it, the customer has gone.
pub const SHOWN_FOR_SECONDS: i64 = 30 * 60;

/// A call waiting for a seller, as the staff screens show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingCall {
    pub id: String,
    /// The kiosk ("B01").
    pub terminal: String,
    /// When it called (Unix seconds, UTC, the central's clock).
    pub at: i64,
    /// The product the customer was looking at, by name when the catalogue has it.
    pub product: Option<String>,
}

/// The calls no one answered in the last [`SHOWN_FOR_SECONDS`], the longest wait first.
pub fn waiting(store: &Store, now: i64) -> Result<Vec<WaitingCall>, StoreError> {
    let calls = store.waiting_staff_calls(now - SHOWN_FOR_SECONDS)?;
    let mut waiting = Vec::with_capacity(calls.len());
    for call in calls {
        let product = match call.gtin.as_deref().map(Gtin::parse) {
            Some(Ok(gtin)) => store.product(&gtin)?.map(|p| p.name),
            _ => None,
        };
        waiting.push(WaitingCall {
            id: call.id,
            terminal: call.terminal,
            at: call.at,
            product,
        });
    }
    Ok(waiting)
}

/// Calls a seller to this kiosk, about `gtin` when a product is on show. `then` gets the call
/// as the central recorded it, or why it could not be made, on the central's runtime (keep it
/// with [`Store::keep_staff_call`] on the thread that owns the store).
pub fn call(
    central: &Central,
    store: &Store,
    gtin: Option<&str>,
    then: impl FnOnce(Result<StaffCall, SyncError>) + Send + 'static,
) {
    let request = StaffCallRequest {
        id: uuid::Uuid::new_v4().hyphenated().to_string(),
        gtin: gtin.map(str::to_owned),
    };
    central.ask_and_tell(
        store,
        |client| async move { client.call_staff(&request).await.map(StaffCall::from) },
        then,
    );
}

/// `staff` goes to the kiosk of call `id`: `then` gets the call with whoever answered first.
pub fn answer(
    central: &Central,
    store: &Store,
    id: &str,
    staff: &str,
    then: impl FnOnce(Result<StaffCall, SyncError>) + Send + 'static,
) {
    let (id, staff) = (id.to_owned(), staff.to_owned());
    central.ask_and_tell(
        store,
        |client| async move {
            client
                .answer_staff_call(&id, &staff)
                .await
                .map(StaffCall::from)
        },
        then,
    );
}
