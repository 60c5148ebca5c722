//! « Appeler un vendeur » (issue 17) end to end: a kiosk enrolled with the real central on
//! loopback calls, the store's staff terminal sees the call with its next sync (and another
//! store's does not), a seller answers, and the kiosk reads the answer with its own next sync.
//! Without the central the call fails at once: nothing is kept to ring later.

use std::sync::mpsc;
use std::time::Duration;

use comptoir::app::central::Central;
use comptoir::app::staff_call;
use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::store::received::StaffCall;
use comptoir::sync::client::SyncError;

use crate::sync::{RunningCentral, central_dir, enrolled_as, enrolled_terminal, sync};
use crate::util::{assert_success, temp_db};

/// Waits for a call's outcome the way the screens get it: on the central's runtime.
fn wait(
    ask: impl FnOnce(mpsc::Sender<Result<StaffCall, SyncError>>),
) -> Result<StaffCall, SyncError> {
    let (tell, told) = mpsc::channel();
    ask(tell);
    told.recv_timeout(Duration::from_secs(30))
        .expect("the outcome is always told")
}

/// The kiosk on `store` calls a seller, about `gtin` when given: the call, or why not.
pub(crate) fn call_seller(
    line: &Central,
    store: &Store,
    gtin: Option<&str>,
) -> Result<StaffCall, SyncError> {
    wait(|tell| {
        staff_call::call(line, store, gtin, move |answer| {
            let _ = tell.send(answer);
        })
    })
}

/// The seller `staff` of the terminal on `store` answers call `id`.
fn answer_call(
    line: &Central,
    store: &Store,
    id: &str,
    staff: &str,
) -> Result<StaffCall, SyncError> {
    wait(|tell| {
        staff_call::answer(line, store, id, staff, move |answer| {
            let _ = tell.send(answer);
        })
    })
}

#[test]
fn a_kiosks_call_reaches_the_stores_tablets_and_their_answer_reaches_the_kiosk() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let kiosk = enrolled_as(data.path(), &central.url(), demo::HERE_CODE, "B01");
    let tablet = enrolled_terminal(data.path(), &central.url());
    let elsewhere = enrolled_as(data.path(), &central.url(), "LYO-01", "T01");

    let line = Central::start().expect("runtime");
    let kiosk_store = Store::open(&kiosk.path).expect("kiosk store");
    let product = demo::product(3);
    let call = call_seller(&line, &kiosk_store, Some(product.gtin.as_str()))
        .expect("the call reaches the central");
    assert_eq!(call.terminal, "B01");
    assert!(call.answered_at.is_none());
    // A second tap while the first waits rings no second time.
    let again = call_seller(&line, &kiosk_store, None).expect("again");
    assert_eq!(again.id, call.id);

    // The store's tablet sees it with its next sync, with the product's name; the other
    // store's terminal never does.
    assert_success(&sync(&tablet.path, None));
    assert_success(&sync(&elsewhere.path, None));
    let now = chrono::Utc::now().timestamp();
    let mut tablet_store = Store::open(&tablet.path).expect("tablet store");
    let waiting = staff_call::waiting(&tablet_store, now).expect("waiting");
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0].id, call.id);
    assert_eq!(waiting[0].terminal, "B01");
    assert_eq!(waiting[0].product.as_deref(), Some(product.name.as_str()));
    let elsewhere_store = Store::open(&elsewhere.path).expect("other store");
    assert!(
        staff_call::waiting(&elsewhere_store, now)
            .expect("waiting")
            .is_empty()
    );

    // « J'y vais »: the first answer counts, and the tablet stops showing the call.
    let answered = answer_call(&line, &tablet_store, &call.id, "camille")
        .expect("the answer reaches the central");
    assert_eq!(answered.answered_by.as_deref(), Some("camille"));
    tablet_store.keep_staff_call(&answered).expect("keep");
    assert!(
        staff_call::waiting(&tablet_store, now)
            .expect("waiting")
            .is_empty()
    );

    // The kiosk reads the answer with its next sync.
    assert_eq!(
        kiosk_store
            .staff_call(&call.id)
            .expect("read")
            .and_then(|c| c.answered_at),
        None
    );
    assert_success(&sync(&kiosk.path, None));
    let seen = kiosk_store
        .staff_call(&call.id)
        .expect("read")
        .expect("kept");
    assert_eq!(seen.answered_by.as_deref(), Some("camille"));

    // Once answered, the kiosk's next customer rings again.
    let next = call_seller(&line, &kiosk_store, None).expect("next call");
    assert_ne!(next.id, call.id);
}

#[test]
fn without_the_central_a_call_fails_at_once_and_nothing_waits_to_ring_later() {
    let data = central_dir(50);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let kiosk = enrolled_as(data.path(), &central.url(), demo::HERE_CODE, "B01");
    drop(central);
    let line = Central::start().expect("runtime");
    let store = Store::open(&kiosk.path).expect("kiosk store");
    let waiting_before = store.waiting_events().expect("outbox");
    let outcome = call_seller(&line, &store, None);
    assert!(
        matches!(outcome, Err(SyncError::Unreachable { .. })),
        "{outcome:?}"
    );
    assert_eq!(store.waiting_events().expect("outbox"), waiting_before);

    // A terminal never enrolled is told too (it has no one to ask).
    let alone = temp_db();
    let alone = Store::open(&alone.path).expect("store");
    let outcome = call_seller(&line, &alone, None);
    assert!(
        matches!(outcome, Err(SyncError::NotEnrolled)),
        "{outcome:?}"
    );
}
