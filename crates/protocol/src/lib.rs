//! The sync protocol between a terminal and the central, version 1: the wire types only (serde),
//! shared by the client (the terminal's `sync::client`) and the reference server
//! (`comptoir-central`), and nothing else: this crate knows no database and no HTTP library. JSON over HTTP,
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
//! | GET | `/v1/orders/{id}` | → [`OrderAnswer`] (404: unknown) | device token |
//! | GET | `/v1/orders?customer=ID` | → [`OrdersAnswer`] | device token |
//! | GET | `/v1/sales/{store}/{ticket}` | → [`SaleAnswer`] (404: unknown) | device token |
//! | GET | `/v1/credits/{code}` | → [`CreditAnswer`] (404: unknown) | device token |
//! | POST | `/v1/staff-calls` | [`StaffCallRequest`] → [`StaffCallChange`] | device token |
//! | POST | `/v1/staff-calls/{id}/answer` | [`StaffCallAnswerRequest`] → [`StaffCallChange`] (404: not this store's) | device token |
//!
//! The wire format is pinned by the golden JSON files in `crates/protocol/golden/`
//! (`tests/golden.rs`): each reads into its type and writes back the very same JSON.
//!
//! Authentication: `Authorization: Bearer <token>` and `X-Comptoir-Device: <device id>`. The
//! central stores only SHA-256 of the token; a missing or wrong token is 401, a device writing
//! for another store or a revoked device is 403, and nothing is applied.
//!
//! Push is exactly-once: each event has a UUID (the idempotency key) and a device sequence
//! (1, 2, 3… per device, no gap). The central applies a batch in one transaction, ignores events
//! it already has, stops at a gap, and answers the highest sequence it has durably applied; the
//! terminal marks events acknowledged only up to that sequence. Retrying any request is safe.
//! An event the central refuses (out of the protocol's bounds, of a kind it does not know, for
//! another store) is kept in its quarantine and acknowledged with its reason
//! ([`PushResponse::quarantined`]): it is never retried and never holds up the events after it.
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
    /// A day, month or year closing ([`ClosingPayload`]).
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
    /// A click-and-collect order handed over, whole or in part ([`HandoverPayload`]).
    Handover,
    /// A product ordered from the store for delivery or pickup ([`AisleOrderPayload`]).
    AisleOrder,
    /// A gift card sold at the till ([`GiftCardPayload`]): the central issues its balance.
    GiftCard,
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
            EventKind::Handover => "handovers",
            EventKind::AisleOrder => "aisle_orders",
            EventKind::GiftCard => "gift_cards",
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
    /// What the line paid, discounts taken off.
    pub amount_cents: i64,
    pub vat_bp: i64,
    /// What discounts took off the line (absent from a line without one, and from terminals
    /// older than discounts).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub discount_cents: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<SaleDiscountPayload>,
}

/// One discount of a sale line: a seller's (with its reason) or a promotion's (with its id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleDiscountPayload {
    /// `manual` or `promotion`.
    pub kind: String,
    pub amount_cents: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentPayload {
    pub method: String,
    pub amount_cents: i64,
    /// The store credit or gift card spent, when `method` is "credit".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A receipt made available to the customer ([`EventKind::EReceipt`]): every sale queues one
/// with only `ticket` and `terminal`; the checkout queues another with `"delivery": "email"`
/// when the customer asks for it by e-mail, which the central then sends (`central::ereceipt`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EReceiptPayload {
    pub ticket: String,
    pub terminal: String,
    /// The sale's customer: the central sends to the address it holds for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// `"email"` to have the central e-mail it; absent for the receipt every sale queues.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
    /// An address typed at the counter, used for this delivery only: the central keeps it in
    /// its delivery queue until the mail is sent or finally refused, never in its event log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The customer asked that the typed address be kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_email: bool,
    /// The ticket's signed receipt code (`CPTR1:…`), printed in the mail when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

impl EReceiptPayload {
    /// Whether this receipt asks the central for an e-mail.
    pub fn wants_email(&self) -> bool {
        self.delivery.as_deref() == Some("email")
    }
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
    pub channel: comptoir_domain::customer::Channel,
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
    pub kind: comptoir_domain::customer::PrivacyRequestKind,
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

/// Lines of a click-and-collect order handed over at a counter. `handover_id` (UUID) names this
/// handover; the central flags an order handed over twice (two offline counters) as a conflict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverPayload {
    pub handover_id: String,
    pub order_id: String,
    pub store: String,
    pub terminal: String,
    pub staff: String,
    pub at: i64,
    /// What was handed now (a part of the order, or all of it).
    pub lines: Vec<PickupLineChange>,
    /// True when nothing of the order is left to hand over.
    pub complete: bool,
}

/// A gift card sold at the till (`EventKind::GiftCard`): a multi-purpose voucher, no VAT, its
/// balance `amount_cents` spendable at any store once the central has it (or here at once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiftCardPayload {
    pub code: String,
    /// The sale's number on this terminal (`T01-G000001`).
    pub ticket: String,
    pub store: String,
    pub terminal: String,
    pub amount_cents: i64,
    pub payments: Vec<PaymentPayload>,
    /// Unix seconds, UTC.
    pub at: i64,
}

/// Goods of an online order (web delivery or click-and-collect) brought back to a store and
/// refunded. `EventKind::Return`. The central puts the stock back at `store` and flags a line
/// returned more often than it was ordered (returns at two counters).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnPayload {
    /// The return's ticket number on this terminal (its journal entry's reference).
    pub ticket: String,
    pub order_id: String,
    pub store: String,
    pub terminal: String,
    pub staff: String,
    pub at: i64,
    pub lines: Vec<ReturnLinePayload>,
    /// "card", "cash" or "credit" (a store credit).
    pub refund: String,
    /// What was refunded, in cents (positive).
    pub refund_cents: i64,
    /// The store credit's code when `refund` is "credit".
    #[serde(default)]
    pub credit_code: Option<String>,
    #[serde(default)]
    pub customer: Option<String>,
    /// The in-store sale the goods came from (`order_id` then names it too): absent for an
    /// online order, and from terminals older than returns of in-store sales.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale: Option<SaleRef>,
    /// How the refund was paid when it was split (a sale paid by card and cash, refunded to
    /// its original methods), each amount positive; empty when `refund` says it all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refunds: Vec<PaymentPayload>,
}

/// A sale of one of the chain's stores: ticket numbers are the terminal's, so only the store
/// and the ticket together name a sale chain-wide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRef {
    pub store: String,
    pub ticket: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLinePayload {
    pub gtin: String,
    pub quantity: i64,
    /// What the customer paid for these units, in cents.
    pub amount_cents: i64,
    pub vat_bp: i64,
}

/// A product ordered at the counter (endless aisle), for home delivery or pickup at a store that
/// has it. `order_number` is made on the terminal (so the customer gets it offline).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AisleOrderPayload {
    pub order_number: String,
    pub customer: String,
    /// The store where it was ordered.
    pub store: String,
    pub terminal: String,
    pub staff: String,
    pub at: i64,
    pub lines: Vec<AisleLinePayload>,
    /// "home" or "pickup".
    pub delivery: String,
    /// The store to collect it from, for "pickup".
    #[serde(default)]
    pub pickup_store: Option<String>,
    /// The location that ships it (a store or a warehouse that has it).
    #[serde(default)]
    pub ship_from: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AisleLinePayload {
    pub gtin: String,
    pub quantity: i64,
    /// The price of one unit, in cents (the line costs `quantity` times it).
    pub price_cents: i64,
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

/// A day, month or year closing (Z ticket) of a terminal ([`EventKind::Closing`]). The central
/// records it as it comes; its fields are the closing's journal entry and the figures it covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingPayload {
    pub terminal: String,
    /// "day", "month" or "year".
    pub period: String,
    /// The closing's journal entry.
    pub sequence: i64,
    pub hash: String,
    pub ticket_count: i64,
    pub total_cents: i64,
    /// The perpetual grand total after the closing.
    pub grand_total_cents: i64,
    pub vat: Vec<comptoir_domain::journal::VatAmount>,
    pub payments: Vec<comptoir_domain::journal::PaymentAmount>,
    /// The discounts given in the period, per reason and per promotion.
    pub discounts: Vec<ClosingDiscountPayload>,
    /// The drawer's blind count, when one was made before the closing (the three fields
    /// together); absent otherwise, and from terminals older than the count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted_cents: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_cash_cents: Option<i64>,
    /// Counted minus expected: negative when cash is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference_cents: Option<i64>,
}

/// What the discounts of one reason or one promotion took off in a closing's period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingDiscountPayload {
    /// `manual` or `promotion`.
    pub kind: String,
    /// The seller's reason, or the promotion's id.
    pub key: String,
    /// The promotion's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub amount_cents: i64,
    /// Ticket lines that carried it.
    pub lines: i64,
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
    /// Events of this request the central refused and keeps in its quarantine: acknowledged
    /// (never to be sent again) but not applied. Absent from older centrals' answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quarantined: Vec<QuarantinedEvent>,
}

/// An event the central refused, and why (for the terminal's operator: the reason may quote
/// the payload, so it is stored, never logged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantinedEvent {
    pub seq: i64,
    pub reason: String,
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
    /// A customer erased at their request (GDPR): the terminal forgets everything about them
    /// and refuses their code from then on.
    CustomerErased(CustomerErasedChange),
    /// A product, or one lot of it, recalled by the chain (or a recall ended): sent again whole
    /// whenever it changes, and applied by its id. A terminal older than recalls skips it as
    /// [`Change::Unknown`].
    Recall(RecallChange),
    /// A head office's promotion rule (`comptoir-central promo add`), or its new state once
    /// ended (`promo end`): sent again whole whenever it changes, and applied by its id. A
    /// terminal older than promotions skips it as [`Change::Unknown`].
    Promotion(PromotionChange),
    /// Something done twice at two counters that could not see each other (a sale's units
    /// returned twice, a credit spent beyond its balance), sent to every store involved. A
    /// terminal older than it skips it as [`Change::Unknown`].
    Conflict(ConflictChange),
    /// A kiosk's « Appeler un vendeur », or its answer by a seller: sent again whole when it is
    /// answered, and applied by its id. A terminal older than it skips it as
    /// [`Change::Unknown`].
    StaffCall(StaffCallChange),
    /// A change from a newer central: skipped, never fatal.
    #[serde(other)]
    Unknown,
}

/// A customer at a kiosk asks for a seller (`POST /v1/staff-calls`). The central records the
/// call for the device's store and terminal and answers with the [`StaffCallChange`] every
/// terminal of the store will pull. A call is live, not a fact: a kiosk that cannot reach the
/// central sends the customer to the desk instead of keeping it for later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffCallRequest {
    /// Chosen by the kiosk (a UUID), so that a retried call is the same call.
    pub id: String,
    /// The product on show when the customer called, if any.
    #[serde(default)]
    pub gtin: Option<String>,
}

/// A seller goes to the kiosk (`POST /v1/staff-calls/{id}/answer`): the first answer counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffCallAnswerRequest {
    /// The seller's login.
    pub staff: String,
}

/// A call for a seller, as the store's terminals pull it (and as both endpoints answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffCallChange {
    pub id: String,
    /// The kiosk that called ("B01").
    pub terminal: String,
    /// When it called, by the central's clock (Unix seconds, UTC).
    pub at: i64,
    #[serde(default)]
    pub gtin: Option<String>,
    /// The seller who went (their login), once one did.
    #[serde(default)]
    pub answered_by: Option<String>,
    #[serde(default)]
    pub answered_at: Option<i64>,
}

/// A conflict the central found: a kind and its fields, worded by the screen that shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictChange {
    /// The central's id for it.
    pub id: i64,
    /// "double_return" (`subject`: store and ticket of the sale, "PAR-01 T01-000042") or
    /// "double_spend" (`subject`: the credit's code).
    pub kind: String,
    pub subject: String,
    /// The counters involved, in the order they did it: "PAR-01/T01".
    pub counters: Vec<String>,
    /// When the central found it, Unix seconds.
    pub at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerErasedChange {
    pub id: String,
}

/// A recall, as `comptoir-central recall add` made it. While `ended_at` is `None` the terminal
/// refuses to sell the product (or the lot) unless a manager overrides it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecallChange {
    /// The central's id for it (what `recall list` prints and `recall end` takes).
    pub id: i64,
    /// 14 digits.
    pub gtin: String,
    /// The recalled lot (GS1 AI 10); `None` recalls every lot.
    #[serde(default)]
    pub lot: Option<String>,
    pub reason: String,
    /// Unix seconds, UTC.
    pub created_at: i64,
    /// When the recall was lifted (Unix seconds, UTC).
    #[serde(default)]
    pub ended_at: Option<i64>,
}

/// A promotion rule, as `comptoir-central promo add` took it, with its `ends` moved to the
/// moment `promo end` ended it. Each terminal keeps every rule it was sent and applies those that
/// run at its store's local time (`domain::promotion::Promotion::runs`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromotionChange {
    /// The chain's id for the rule (the rule's own `id`).
    pub id: String,
    /// The rule itself, a [`comptoir_domain::promotion::Promotion`] in its JSON form. It travels as
    /// raw JSON, parsed by the terminal rule by rule: a rule of a kind this terminal does not
    /// know yet (from a newer central) is kept and skipped, instead of making the whole page,
    /// and every pull after it, unreadable.
    pub rule: serde_json::Value,
    /// When the central accepted it (Unix seconds, UTC).
    pub created_at: i64,
    /// When it was ended early (Unix seconds, UTC).
    #[serde(default)]
    pub ended_at: Option<i64>,
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
    /// "ready" (also while partly handed over), "handed_over", "cancelled", "conflict" (handed
    /// over at two counters: see `conflict`)…
    pub status: String,
    pub created_at: i64,
    pub lines: Vec<PickupLineChange>,
    /// The customer's first name, to greet them at the counter.
    #[serde(default)]
    pub customer_first_name: Option<String>,
    /// What was already handed over, per product (a partial handover).
    #[serde(default)]
    pub handed: Vec<PickupLineChange>,
    /// Set by the central when two counters handed the order over (or returned a line twice):
    /// what happened, in English, for the CLI and the logs.
    #[serde(default)]
    pub conflict: Option<String>,
    /// The same as a kind for the screens to word: "handed_twice", "returned_twice",
    /// "handed_more", "returned_more", "handed_not_in_order", "returned_not_in_order",
    /// "handed_after_cancel". None from a central older than the kinds.
    #[serde(default)]
    pub conflict_kind: Option<String>,
    /// The counters involved, in the order they did it ("T01").
    #[serde(default)]
    pub conflict_counters: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupLineChange {
    pub gtin: String,
    pub quantity: i64,
}

/// An online order (web delivery or click-and-collect) with what it cost, for a return in store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAnswer {
    pub id: String,
    pub customer: String,
    /// "delivered", "ready", "handed_over", "shipped", "ordered" (taken at a counter), "conflict"…
    pub status: String,
    /// The store of a click-and-collect order; `None` for a home delivery.
    #[serde(default)]
    pub store: Option<String>,
    pub created_at: i64,
    /// How it was paid online ("card").
    pub paid_with: String,
    pub lines: Vec<OrderLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub gtin: String,
    pub name: String,
    pub quantity: i64,
    /// What these `quantity` units cost, in cents.
    pub amount_cents: i64,
    pub vat_bp: i64,
    /// Units already returned (at any store).
    pub returned: i64,
}

/// An in-store sale as the central holds it, for a return at any store of the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleAnswer {
    pub store: String,
    pub ticket: String,
    pub terminal: String,
    pub created_at: i64,
    pub training: bool,
    /// The check a genuine receipt's code carries (`domain::receipt_code`), once the central has
    /// the sale's journal entry; `None` before.
    #[serde(default)]
    pub check: Option<String>,
    #[serde(default)]
    pub customer: Option<String>,
    pub payments: Vec<PaymentPayload>,
    /// `returned` counts the units returned at any store.
    pub lines: Vec<OrderLine>,
}

/// A store credit (« avoir ») or a gift card, with what is left on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditAnswer {
    pub code: String,
    /// "credit" or "gift_card".
    pub kind: String,
    pub issued_cents: i64,
    /// What is left; negative when two counters spent it offline beyond it (`conflict`).
    pub balance_cents: i64,
    #[serde(default)]
    pub customer: Option<String>,
    pub issued_at: i64,
    /// Spent beyond its balance at two counters.
    #[serde(default)]
    pub conflict: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdersAnswer {
    pub orders: Vec<OrderAnswer>,
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
    pub hits: Vec<comptoir_domain::customer::CustomerHit>,
}

/// The last fiscal journal entry the central received from this device: the terminal's
/// `journal verify` checks that its journal still reaches it (a truncated tail is caught).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalTip {
    pub sequence: Option<i64>,
    pub hash: Option<String>,
    /// Breaks the central found in this device's journal chain, kept for good; the tip above
    /// never moves past an unacknowledged one. Absent from older centrals' answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<JournalBreakNotice>,
}

/// A break in a terminal's journal chain, as the central tells the terminal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalBreakNotice {
    /// The central's number for it (`comptoir-central journal-breaks ack ID`).
    pub id: i64,
    /// The journal entry where the chain broke (None for a ticket number seen twice).
    #[serde(default)]
    pub sequence: Option<i64>,
    pub kind: JournalBreakKind,
    /// The ticket number seen twice, for [`JournalBreakKind::TicketReused`].
    #[serde(default)]
    pub ticket: Option<String>,
    /// Unix seconds, UTC.
    pub detected_at: i64,
    /// When an auditor acknowledged it, if one has.
    #[serde(default)]
    pub acknowledged_at: Option<i64>,
}

/// How a terminal's journal chain broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalBreakKind {
    /// An entry's hash is not the hash of its content: the entry was altered.
    Altered,
    /// Entries are missing between the last one received and this one.
    Gap,
    /// The entry does not name the previous entry's hash: the journal was cut and continued.
    Unlinked,
    /// An entry number the central already had came again with other content: a tail was
    /// deleted and written anew.
    Rewritten,
    /// A ticket number seen twice with different contents.
    TicketReused,
    #[serde(other)]
    Other,
}

impl JournalBreakKind {
    /// The wire name ("gap", "ticket_reused"…), as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            JournalBreakKind::Altered => "altered",
            JournalBreakKind::Gap => "gap",
            JournalBreakKind::Unlinked => "unlinked",
            JournalBreakKind::Rewritten => "rewritten",
            JournalBreakKind::TicketReused => "ticket_reused",
            JournalBreakKind::Other => "other",
        }
    }

    pub fn parse(name: &str) -> JournalBreakKind {
        [
            JournalBreakKind::Altered,
            JournalBreakKind::Gap,
            JournalBreakKind::Unlinked,
            JournalBreakKind::Rewritten,
            JournalBreakKind::TicketReused,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
        .unwrap_or(JournalBreakKind::Other)
    }
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
        let recall = Change::Recall(RecallChange {
            id: 7,
            gtin: "03760000000017".into(),
            lot: Some("L123".into()),
            reason: "Listeria".into(),
            created_at: 1_764_000_000,
            ended_at: None,
        });
        assert_eq!(
            serde_json::to_string(&recall).expect("json"),
            r#"{"type":"recall","id":7,"gtin":"03760000000017","lot":"L123","reason":"Listeria","created_at":1764000000,"ended_at":null}"#
        );
        let promotion = Change::Promotion(PromotionChange {
            id: "SOLDES-H27".into(),
            rule: serde_json::json!({"id": "SOLDES-H27", "name": "Soldes d'hiver"}),
            created_at: 1_764_000_000,
            ended_at: Some(1_764_100_000),
        });
        assert_eq!(
            serde_json::to_string(&promotion).expect("json"),
            r#"{"type":"promotion","id":"SOLDES-H27","rule":{"id":"SOLDES-H27","name":"Soldes d'hiver"},"created_at":1764000000,"ended_at":1764100000}"#
        );
        let event: OutboxEvent = serde_json::from_str(
            r#"{"id":"7c1c…","seq":3,"kind":"parcel_locker","created_at":1,"payload":{}}"#,
        )
        .expect("an unknown kind still parses");
        assert_eq!(event.kind, EventKind::Other);
    }
}
