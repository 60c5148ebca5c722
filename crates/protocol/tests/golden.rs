//! The wire format pinned by golden JSON files (`golden/`): each file is a message as it goes
//! over the wire, read into its type and written back to the very same JSON. A field renamed,
//! dropped, made optional or given another shape fails here before it reaches a terminal in a
//! store that has not updated yet. Adding a field means adding it to the file, deliberately.
//!
//! And the other way: what a newer peer may send (an unknown change, an unknown event kind, an
//! older message without today's optional fields) is still read.

use std::path::Path;

use comptoir_protocol::{
    Change, ChangesPage, EnrollRequest, EnrollResponse, ErrorBody, EventKind, JournalTip,
    PushRequest, PushResponse, SalePayload, StaffCallRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn golden(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Reads the golden `name` as `T` and writes it back: the same JSON, field for field.
fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let wire = golden(name);
    let value: T = serde_json::from_value(wire.clone())
        .unwrap_or_else(|e| panic!("{name}.json does not read as its type: {e}"));
    let written = serde_json::to_value(&value).expect("serialise");
    assert_eq!(
        written,
        wire,
        "{name}.json: the type writes another JSON than the wire's:\n{}",
        serde_json::to_string_pretty(&written).unwrap_or_default()
    );
    value
}

#[test]
fn every_golden_message_reads_and_writes_back_the_same() {
    round_trip::<EnrollRequest>("enroll_request");
    round_trip::<EnrollResponse>("enroll_response");
    let push: PushRequest = round_trip("push_request");
    round_trip::<PushResponse>("push_response");
    let page: ChangesPage = round_trip("changes_page");
    round_trip::<StaffCallRequest>("staff_call_request");
    round_trip::<JournalTip>("journal_tip");
    round_trip::<ErrorBody>("error_body");

    // The event's payload is a fact of its kind: the sale reads, and writes back the same.
    let event = &push.events[0];
    assert_eq!(event.kind, EventKind::Sale);
    let sale: SalePayload = serde_json::from_value(event.payload.clone()).expect("sale payload");
    assert_eq!(
        serde_json::to_value(&sale).expect("serialise"),
        event.payload
    );
    assert_eq!(sale.lines[0].discount_cents, 500);

    // Every change of the page is known to this version.
    assert!(
        page.changes.iter().all(|c| !matches!(c, Change::Unknown)),
        "{:?}",
        page.changes
    );
}

#[test]
fn what_a_newer_peer_sends_is_still_read() {
    // A change type this version does not know is skipped, not an error.
    let mut page = golden("changes_page");
    page["changes"][0] = serde_json::json!({ "type": "hologram", "id": 7 });
    let page: ChangesPage = serde_json::from_value(page).expect("page");
    assert!(matches!(page.changes[0], Change::Unknown));

    // An event kind from a newer terminal is kept as « other » by the central.
    let mut push = golden("push_request");
    push["events"][0]["kind"] = "teleport".into();
    let push: PushRequest = serde_json::from_value(push).expect("push");
    assert_eq!(push.events[0].kind, EventKind::Other);

    // A message from before an optional field existed still reads (a sale without a customer,
    // a staff call without a product).
    let mut push = golden("push_request");
    push["events"][0]["payload"]
        .as_object_mut()
        .expect("payload")
        .remove("customer");
    let push: PushRequest = serde_json::from_value(push).expect("older push");
    let sale: SalePayload =
        serde_json::from_value(push.events[0].payload.clone()).expect("older sale");
    assert_eq!(sale.customer, None);
    let call: StaffCallRequest =
        serde_json::from_value(serde_json::json!({ "id": "c-1" })).expect("older call");
    assert_eq!(call.gtin, None);
}
