//! The sync protocol between a terminal and the central, version 1: the wire types only (serde),
//! shared by the client (`sync::client`) and the reference server (`central`). JSON over HTTP,
//! gzip on the wire. A change here is a change of the protocol: add fields with
//! `#[serde(default)]`, never rename one, and bump [`PROTOCOL_VERSION`] for anything else.
//!
//! Endpoints (all under `/v1`):
//!
//! | method | path | body → answer | auth |
//! |---|---|---|---|
//! | POST | `/v1/enroll` | [`EnrollRequest`] → [`EnrollResponse`] | the one-time code |
//! | POST | `/v1/push` | [`PushRequest`] → [`PushResponse`] | device token |
//! | GET | `/v1/changes?after=C&limit=N` | → [`ChangesPage`] | device token |
//! | GET | `/v1/stock/{gtin}` | → [`StockAnswer`] | device token |
//! | GET | `/v1/journal-tip` | → [`JournalTip`] | device token |
//! | GET | `/v1/customers?q=TEXT&limit=N` | → [`CustomerSearchAnswer`] | device token |
//! | GET | `/v1/customers/{id}` | → [`CustomerView`] (404: unknown) | device token |
//!
//! Authentication: `Authorization: Bearer <token>` and `X-Comptoir-Device: <device id>`. The
//! central stores only SHA-256 of the token; a missing or wrong token is 401, a device writing
//! for another store or a revoked device is 403, and nothing is applied.
//!
//! Push is exactly-once: each event has a UUID (the idempotency key) and a device sequence
//! (1, 2, 3… per device, no gap). The central applies a batch in one transaction, ignores events
//! it already has, stops at a gap, and answers the highest sequence it has durably applied; the
//! terminal marks events acknowledged only up to that sequence. Retrying any request is safe.
//!
//! Pull: the central's change log has a monotonically increasing cursor. The terminal asks for the
//! changes after its cursor, page by page, and applies each page together with the page's cursor
//! in one transaction.

use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 1;

/// Header naming the device; the token must belong to it.
pub const DEVICE_HEADER: &str = "x-comptoir-device";

/// Largest page of changes a terminal asks for.
pub const MAX_PAGE: u32 = 10_000;

/// Largest push batch the central accepts.
pub const MAX_BATCH: usize = 1_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    /// The one-time enrollment code printed by `comptoir-central enroll --store STORE`.
    pub code: String,
    /// The terminal's own name for itself (its configured terminal id), for the central's list.
    pub terminal_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub device_id: String,
    /// A random secret shown once; the central keeps only its SHA-256.
    pub token: String,
    /// The location code of the store this device belongs to.
    pub store: String,
    /// The central's Ed25519 public key (32 bytes, base64url without padding), to verify signed
    /// loyalty and pickup codes offline.
    pub public_key: String,
}

/// One business fact from the terminal's outbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxEvent {
    /// UUID v4: the idempotency key.
    pub id: String,
    /// The device sequence: 1, 2, 3… with no gap.
    pub seq: i64,
    pub kind: EventKind,
    /// Unix seconds, UTC.
    pub created_at: i64,
    /// The fact itself; its shape depends on `kind` (see [`SalePayload`], [`JournalPayload`]).
    pub payload: serde_json::Value,
}

/// What an outbox event records. Unknown kinds from a newer terminal are kept by the central as
/// `Other` and counted, never rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Sale,
    Return,
    Closing,
    JournalEntry,
    EReceipt,
    StockCount,
    /// A customer created at the counter ([`CustomerCreatedPayload`]); the central merges it
    /// with an existing customer of the same e-mail or phone and answers with a
    /// [`Change::CustomerMerged`].
    CustomerCreated,
    /// A marketing consent given or withdrawn ([`ConsentPayload`]).
    Consent,
    /// A staff note about a customer ([`NotePayload`]).
    CustomerNote,
    /// A customer record opened by staff ([`AccessPayload`]): the GDPR access log.
    CustomerAccess,
    /// An access or erasure request made at the counter ([`PrivacyRequestPayload`]).
    PrivacyRequest,
    /// Points earned or redeemed ([`LoyaltyPayload`]).
    Loyalty,
    #[serde(other)]
    Other,
}

impl EventKind {
    /// The plural used in `comptoir-central stats --json` ("sales", "returns", …).
    pub fn stats_key(self) -> &'static str {
        match self {
            EventKind::Sale => "sales",
            EventKind::Return => "returns",
            EventKind::Closing => "closings",
            EventKind::JournalEntry => "journal_entries",
            EventKind::EReceipt => "e_receipts",
            EventKind::StockCount => "stock_counts",
            EventKind::CustomerCreated => "customers_created",
            EventKind::Consent => "consents",
            EventKind::CustomerNote => "customer_notes",
            EventKind::CustomerAccess => "customer_accesses",
            EventKind::PrivacyRequest => "privacy_requests",
            EventKind::Loyalty => "loyalty_movements",
            EventKind::Other => "other",
        }
    }
}

/// A completed sale, as the central records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalePayload {
    pub ticket: String,
    pub terminal: String,
    /// The store's location code (stock goes down there).
    pub store: String,
    pub created_at: i64,
    pub training: bool,
    pub total_cents: i64,
    pub lines: Vec<SaleLinePayload>,
    pub payments: Vec<PaymentPayload>,
    #[serde(default)]
    pub customer: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLinePayload {
    /// 14 digits.
    pub gtin: String,
    pub quantity: i64,
    pub amount_cents: i64,
    pub vat_bp: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentPayload {
    pub method: String,
    pub amount_cents: i64,
}

/// A customer created at a counter, possibly offline. `local_id` is the terminal's own id for
/// them until the central answers with the chain's id ([`CustomerMergedChange`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerCreatedPayload {
    pub local_id: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    pub store: String,
    pub created_at: i64,
}

/// Marketing consent for one channel, explicit and timestamped; the latest `at` wins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentPayload {
    pub customer: String,
    pub channel: crate::domain::customer::Channel,
    pub granted: bool,
    pub at: i64,
    /// The staff login who recorded it.
    pub staff: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotePayload {
    pub customer: String,
    pub text: String,
    pub author: String,
    pub at: i64,
}

/// Who opened which customer record, when and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessPayload {
    pub customer: String,
    pub staff: String,
    pub terminal: String,
    pub store: String,
    pub at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyRequestPayload {
    pub customer: String,
    pub kind: crate::domain::customer::PrivacyRequestKind,
    pub staff: String,
    pub store: String,
    pub at: i64,
}

/// Points earned (positive) or redeemed (negative) on a ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyPayload {
    pub customer: String,
    pub points: i64,
    pub ticket: String,
    pub terminal: String,
    pub at: i64,
}

/// A fiscal journal entry, so the central keeps each terminal's last hash (a truncated journal on
/// the terminal is then caught against it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalPayload {
    pub terminal: String,
    pub sequence: i64,
    pub hash: String,
    /// The canonical serialisation (domain::journal), so the central can re-verify the chain.
    pub canonical: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub events: Vec<OutboxEvent>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Every event with a sequence up to this one is durably applied.
    pub acked_seq: i64,
    /// Events applied by this request.
    pub applied: u32,
    /// Events of this request the central already had (retries).
    pub duplicates: u32,
}

/// One change of the central's data, as pulled by a terminal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Location(LocationChange),
    Product(ProductChange),
    Stock(StockChange),
    Staff(StaffChange),
    Customer(CustomerChange),
    PickupOrder(PickupOrderChange),
    /// A customer created at a counter now has the chain's id (a new customer, or an existing
    /// one with the same e-mail or phone).
    CustomerMerged(CustomerMergedChange),
    /// A change from a newer central: skipped, never fatal.
    #[serde(other)]
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerMergedChange {
    pub local_id: String,
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationChange {
    pub code: String,
    pub name: String,
    /// "store" or "warehouse".
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductChange {
    pub gtin: String,
    pub name: String,
    pub brand: String,
    pub category: String,
    pub price_cents: i64,
    pub vat_bp: i64,
    /// "each" or "kg".
    pub price_unit: String,
    #[serde(default)]
    pub in_store_item_code: Option<String>,
    /// The product's stock everywhere, so a first sync needs one change per product.
    #[serde(default)]
    pub stock: Vec<StockLevelChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLevelChange {
    pub location: String,
    pub qty: i64,
    /// Unix seconds, UTC: when the central knew this level.
    pub as_of: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockChange {
    pub gtin: String,
    pub levels: Vec<StockLevelChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffChange {
    pub login: String,
    pub display_name: String,
    /// "seller" or "manager".
    pub role: String,
    /// Argon2id PHC string.
    pub pin_hash: String,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerChange {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    pub loyalty_points: i64,
    pub tier: String,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupOrderChange {
    pub id: String,
    pub store: String,
    pub customer: String,
    /// "ready", "handed_over", "cancelled"…
    pub status: String,
    pub created_at: i64,
    pub lines: Vec<PickupLineChange>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupLineChange {
    pub gtin: String,
    pub quantity: i64,
}

/// A page of changes after the cursor the terminal asked from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangesPage {
    /// The cursor to ask from next time; apply it with the page, in one transaction.
    pub cursor: i64,
    /// More changes wait after this page.
    pub more: bool,
    /// The central's total number of changes after the asked cursor (for a progress bar).
    pub remaining: i64,
    pub changes: Vec<Change>,
}

/// Fresh network stock for one product, on demand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockAnswer {
    pub gtin: String,
    pub levels: Vec<StockLevelChange>,
}

/// Customers matching a search (name prefix, e-mail or phone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerSearchAnswer {
    pub hits: Vec<crate::domain::customer::CustomerHit>,
}

/// The last fiscal journal entry the central received from this device: the terminal's
/// `journal verify` checks that its journal still reaches it (a truncated tail is caught).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalTip {
    pub sequence: Option<i64>,
    pub hash: Option<String>,
}

/// An error answer: what went wrong, for the operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire format is a contract with every deployed terminal: a visible diff when it moves.
    #[test]
    fn the_wire_format_is_stable() {
        let change = Change::Product(ProductChange {
            gtin: "03760000000017".into(),
            name: "Pull col V".into(),
            brand: "Atelier Verdier".into(),
            category: "Vêtements".into(),
            price_cents: 8990,
            vat_bp: 2000,
            price_unit: "each".into(),
            in_store_item_code: None,
            stock: vec![StockLevelChange {
                location: "PAR-01".into(),
                qty: 3,
                as_of: 1_764_000_000,
            }],
        });
        assert_eq!(
            serde_json::to_string(&change).expect("json"),
            r#"{"type":"product","gtin":"03760000000017","name":"Pull col V","brand":"Atelier Verdier","category":"Vêtements","price_cents":8990,"vat_bp":2000,"price_unit":"each","in_store_item_code":null,"stock":[{"location":"PAR-01","qty":3,"as_of":1764000000}]}"#
        );
        let event: OutboxEvent = serde_json::from_str(
            r#"{"id":"7c1c…","seq":3,"kind":"gift_card","created_at":1,"payload":{}}"#,
        )
        .expect("an unknown kind still parses");
        assert_eq!(event.kind, EventKind::Other);
    }
}
