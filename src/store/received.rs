//! What the central sends this terminal, as the store takes it: a pulled page of changes, the
//! fresh stock of one product, a credit's balance, an online order for a return, the events it
//! refused and the breaks it found in this terminal's journal. These are the store's records, not the wire's:
//! `sync::wire_in` maps each protocol type to its record here, and nothing here may name a
//! protocol type (the sync client knows how the central words a change, the store knows how to
//! keep it). The mirror of `facts`, which holds what the store queues for the central.
//!
//! Two are written to the database as JSON: [`OnlineOrder`] (`online_order_cache`) and
//! [`JournalBreak`] (the `central_journal_breaks` sync state). Each keeps the serde shape of the
//! protocol type it was written as before it had its own type, so what an older build wrote
//! reads as it is (`sync::wire_in`'s tests pin both).

use serde::{Deserialize, Serialize};

use crate::domain::pickup::Units;

pub use super::credit::Conflict;
pub use super::staff_call::StaffCall;

/// A page of the central's changes, applied with its cursor in one transaction
/// ([`super::Store::apply_changes`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PulledPage {
    /// The cursor to pull from next time.
    pub cursor: i64,
    pub changes: Vec<Pulled>,
}

/// One change of the central's data this terminal keeps. A change of a kind this build does not
/// know never gets here: the sync client skips it.
#[derive(Clone, Debug, PartialEq)]
pub enum Pulled {
    Location(PulledLocation),
    Product(PulledProduct),
    Stock(StockLevels),
    Staff(PulledStaff),
    Customer(PulledCustomer),
    PickupOrder(PulledPickupOrder),
    CustomerMerged(CustomerMerge),
    /// A customer erased at their request (GDPR), by the chain's id.
    CustomerErased {
        id: String,
    },
    Recall(PulledRecall),
    Promotion(PulledPromotion),
    Conflict(Conflict),
    StaffCall(StaffCall),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulledLocation {
    pub code: String,
    pub name: String,
    /// "store" or "warehouse".
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulledProduct {
    pub gtin: String,
    pub name: String,
    pub brand: String,
    pub category: String,
    pub price_cents: i64,
    pub vat_bp: i64,
    /// "each" or "kg".
    pub price_unit: String,
    pub in_store_item_code: Option<String>,
    /// The product's stock everywhere.
    pub stock: Vec<StockLevel>,
}

/// A product's stock at the chain's locations: pulled, or fetched fresh on demand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLevels {
    pub gtin: String,
    pub levels: Vec<StockLevel>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLevel {
    /// The location's code.
    pub location: String,
    pub qty: i64,
    /// Unix seconds, UTC: when the central knew this level (an older one never overwrites it).
    pub as_of: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulledStaff {
    pub login: String,
    pub display_name: String,
    /// "seller" or "manager".
    pub role: String,
    /// Argon2id PHC string.
    pub pin_hash: String,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulledCustomer {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub loyalty_points: i64,
    pub tier: String,
    pub updated_at: i64,
}

/// A click-and-collect order of this store, as the central last described it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulledPickupOrder {
    pub id: String,
    pub store: String,
    pub customer: String,
    /// "ready", "handed_over", "cancelled", "conflict"…
    pub status: String,
    pub created_at: i64,
    pub lines: Vec<Units>,
    pub customer_first_name: Option<String>,
    /// Already handed over, per product.
    pub handed: Vec<Units>,
    /// The central's account of a conflict, in English for the CLI.
    pub conflict: Option<String>,
    /// The same as a kind for the screens to word ("handed_twice"…).
    pub conflict_kind: Option<String>,
    pub conflict_counters: Vec<String>,
}

/// A customer created here now has the chain's id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerMerge {
    pub local_id: String,
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PulledRecall {
    pub id: i64,
    pub gtin: String,
    /// `None` recalls every lot.
    pub lot: Option<String>,
    pub reason: String,
    pub created_at: i64,
    pub ended_at: Option<i64>,
}

/// A promotion rule, kept as the JSON the central sent: parsed rule by rule when read, so that a
/// rule of a kind this build does not know is kept and skipped (`promotions`).
#[derive(Clone, Debug, PartialEq)]
pub struct PulledPromotion {
    pub id: String,
    pub rule: serde_json::Value,
    pub created_at: i64,
    pub ended_at: Option<i64>,
}

/// An event the central refused and keeps in its quarantine, and why (the reason may quote the
/// payload: stored, never logged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The event's device sequence.
    pub seq: i64,
    pub reason: String,
}

/// What the central says of a store credit or a gift card, as this terminal keeps it
/// ([`super::Store::remember_credit`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeardCredit {
    pub code: String,
    /// "credit" or "gift_card".
    pub kind: String,
    /// What is left at the central; negative when two counters spent it beyond it.
    pub balance_cents: i64,
    /// Spent beyond its balance at two counters.
    pub conflict: bool,
}

/// An online order (web delivery or click-and-collect) with what it cost, fetched for a return
/// and cached for one offline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineOrder {
    pub id: String,
    pub customer: String,
    /// "delivered", "ready", "handed_over", "shipped", "ordered", "conflict"…
    pub status: String,
    /// The store of a click-and-collect order; `None` for a home delivery.
    #[serde(default)]
    pub store: Option<String>,
    pub created_at: i64,
    /// How it was paid online ("card").
    pub paid_with: String,
    pub lines: Vec<OnlineOrderLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineOrderLine {
    pub gtin: String,
    pub name: String,
    pub quantity: i64,
    /// What these `quantity` units cost, in cents.
    pub amount_cents: i64,
    pub vat_bp: i64,
    /// Units already returned (at any store).
    pub returned: i64,
}

/// A break the central found in this terminal's journal chain, kept from the last sync for
/// `journal verify` and the doctor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalBreak {
    /// The central's number for it (`comptoir-central journal-breaks ack ID`).
    pub id: i64,
    /// The journal entry where the chain broke (None for a ticket number seen twice).
    #[serde(default)]
    pub sequence: Option<i64>,
    pub kind: BreakKind,
    /// The ticket number seen twice, for [`BreakKind::TicketReused`].
    #[serde(default)]
    pub ticket: Option<String>,
    /// Unix seconds, UTC.
    pub detected_at: i64,
    /// When an auditor acknowledged it, if one has.
    #[serde(default)]
    pub acknowledged_at: Option<i64>,
}

/// How the journal chain broke (worded by `journal::break_in_words`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// An entry's hash is not the hash of its content: the entry was altered.
    Altered,
    /// Entries are missing between the last one received and this one.
    Gap,
    /// The entry does not name the previous entry's hash: the journal was cut and continued.
    Unlinked,
    /// An entry number came again with other content: a tail was deleted and written anew.
    Rewritten,
    /// A ticket number seen twice with different contents.
    TicketReused,
    /// A kind this build does not know (from a newer central).
    #[serde(other)]
    Other,
}
