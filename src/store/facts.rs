//! The facts this terminal queues for the central, as the store records them: one `outbox` row
//! per fact, written in the fact's own transaction. These are the store's records, not the
//! wire's: `sync::wire` maps each to the protocol's event, and nothing here may name a protocol
//! type (the store knows its facts, the sync client knows how the central wants them).
//!
//! Compatibility with the rows already queued: until these records, the outbox held the
//! protocol's payloads as JSON. Each record here has the serde shape of the payload of its kind
//! (the same field names, defaults and omissions), so a row queued by an older build reads as
//! it is, with no migration. A row that does not read back as it was written (a kind this build
//! does not know, or an older shape) is kept whole as [`Queued::Verbatim`] and sent exactly as
//! it was written: an upgrade changes no unsent event. `sync::wire`'s tests pin each record
//! against the protocol's JSON and read rows of that form back as the same record.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::closing::DiscountSubtotal;
use crate::domain::customer::{Channel, PrivacyRequestKind};
use crate::domain::journal::{PaymentAmount, VatAmount};
use crate::domain::pickup::Units;

/// One fact waiting for the central's acknowledgement.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingEvent {
    /// The device sequence: 1, 2, 3… with no gap.
    pub seq: i64,
    /// UUID v4, the central's idempotency key.
    pub id: String,
    /// Unix seconds, UTC.
    pub created_at: i64,
    pub fact: Queued,
}

/// What an outbox row holds.
// Nearly every row is a fact, read in batches of a few hundred: boxing it would allocate for
// each to save room on the rare verbatim row.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Queued {
    Fact(Fact),
    /// A row this build cannot read as one of its facts: written by a newer build before a
    /// downgrade, or in an older shape. Sent as written, for the central to take or to refuse
    /// with its reason (a refused event never holds up the ones after it).
    Verbatim {
        kind: String,
        payload: serde_json::Value,
    },
}

/// A business fact the central needs.
#[derive(Clone, Debug, PartialEq)]
pub enum Fact {
    Sale(SaleFact),
    Return(ReturnFact),
    Closing(ClosingFact),
    JournalEntry(JournalFact),
    EReceipt(EReceiptFact),
    CustomerCreated(CustomerCreatedFact),
    Consent(ConsentFact),
    CustomerNote(NoteFact),
    CustomerAccess(AccessFact),
    PrivacyRequest(PrivacyRequestFact),
    Loyalty(LoyaltyFact),
    Handover(HandoverFact),
    AisleOrder(AisleOrderFact),
    GiftCard(GiftCardFact),
}

impl Fact {
    /// The `kind` column of its row: the protocol's name of the kind, which queries of the
    /// outbox (`acknowledge`, `sync status`) and rows of older builds use.
    pub fn kind(&self) -> &'static str {
        match self {
            Fact::Sale(_) => "sale",
            Fact::Return(_) => "return",
            Fact::Closing(_) => "closing",
            Fact::JournalEntry(_) => "journal_entry",
            Fact::EReceipt(_) => "e_receipt",
            Fact::CustomerCreated(_) => "customer_created",
            Fact::Consent(_) => "consent",
            Fact::CustomerNote(_) => "customer_note",
            Fact::CustomerAccess(_) => "customer_access",
            Fact::PrivacyRequest(_) => "privacy_request",
            Fact::Loyalty(_) => "loyalty",
            Fact::Handover(_) => "handover",
            Fact::AisleOrder(_) => "aisle_order",
            Fact::GiftCard(_) => "gift_card",
        }
    }

    /// The `payload` column of its row.
    pub(super) fn to_json(&self) -> serde_json::Result<String> {
        match self {
            Fact::Sale(f) => serde_json::to_string(f),
            Fact::Return(f) => serde_json::to_string(f),
            Fact::Closing(f) => serde_json::to_string(f),
            Fact::JournalEntry(f) => serde_json::to_string(f),
            Fact::EReceipt(f) => serde_json::to_string(f),
            Fact::CustomerCreated(f) => serde_json::to_string(f),
            Fact::Consent(f) => serde_json::to_string(f),
            Fact::CustomerNote(f) => serde_json::to_string(f),
            Fact::CustomerAccess(f) => serde_json::to_string(f),
            Fact::PrivacyRequest(f) => serde_json::to_string(f),
            Fact::Loyalty(f) => serde_json::to_string(f),
            Fact::Handover(f) => serde_json::to_string(f),
            Fact::AisleOrder(f) => serde_json::to_string(f),
            Fact::GiftCard(f) => serde_json::to_string(f),
        }
    }
}

impl Queued {
    /// A row's kind and payload as this build reads them: its fact when the payload reads as
    /// the fact of its kind and writes back the very same JSON, the row as written otherwise.
    pub fn read(kind: String, payload: serde_json::Value) -> Queued {
        let fact = match kind.as_str() {
            "sale" => same(&payload).map(Fact::Sale),
            "return" => same(&payload).map(Fact::Return),
            "closing" => same(&payload).map(Fact::Closing),
            "journal_entry" => same(&payload).map(Fact::JournalEntry),
            "e_receipt" => same(&payload).map(Fact::EReceipt),
            "customer_created" => same(&payload).map(Fact::CustomerCreated),
            "consent" => same(&payload).map(Fact::Consent),
            "customer_note" => same(&payload).map(Fact::CustomerNote),
            "customer_access" => same(&payload).map(Fact::CustomerAccess),
            "privacy_request" => same(&payload).map(Fact::PrivacyRequest),
            "loyalty" => same(&payload).map(Fact::Loyalty),
            "handover" => same(&payload).map(Fact::Handover),
            "aisle_order" => same(&payload).map(Fact::AisleOrder),
            "gift_card" => same(&payload).map(Fact::GiftCard),
            _ => None,
        };
        match fact {
            Some(fact) => Queued::Fact(fact),
            None => Queued::Verbatim { kind, payload },
        }
    }
}

/// `payload` as a `T`, if it reads as one and a `T` writes it back unchanged (so that reading a
/// row can never alter what is sent of it).
fn same<T: Serialize + DeserializeOwned>(payload: &serde_json::Value) -> Option<T> {
    let fact: T = serde_json::from_value(payload.clone()).ok()?;
    (serde_json::to_value(&fact).ok()? == *payload).then_some(fact)
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

/// A completed sale.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleFact {
    pub ticket: String,
    pub terminal: String,
    /// The store's location code.
    pub store: String,
    pub created_at: i64,
    pub training: bool,
    pub total_cents: i64,
    pub lines: Vec<SaleLineFact>,
    pub payments: Vec<PaymentFact>,
    #[serde(default)]
    pub customer: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLineFact {
    /// 14 digits.
    pub gtin: String,
    pub quantity: i64,
    /// What the line paid, discounts taken off.
    pub amount_cents: i64,
    pub vat_bp: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub discount_cents: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<DiscountFact>,
}

/// A seller's discount (with its reason) or a promotion's (with its id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountFact {
    /// `manual` or `promotion`.
    pub kind: String,
    pub amount_cents: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentFact {
    pub method: String,
    pub amount_cents: i64,
    /// The store credit or gift card spent, when `method` is "credit".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// Goods brought back and refunded (of an online order, or of an in-store sale).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnFact {
    /// The return's number on this terminal.
    pub ticket: String,
    pub order_id: String,
    pub store: String,
    pub terminal: String,
    pub staff: String,
    pub at: i64,
    pub lines: Vec<ReturnLineFact>,
    /// "card", "cash" or "credit".
    pub refund: String,
    pub refund_cents: i64,
    #[serde(default)]
    pub credit_code: Option<String>,
    #[serde(default)]
    pub customer: Option<String>,
    /// The in-store sale the goods came from; `None` for an online order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sale: Option<ReturnedSale>,
    /// Each method and its part when the refund was split; empty when `refund` says it all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refunds: Vec<PaymentFact>,
}

/// The sale a return came from: a store and its ticket name it chain-wide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnedSale {
    pub store: String,
    pub ticket: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLineFact {
    pub gtin: String,
    pub quantity: i64,
    /// What the customer paid for these units.
    pub amount_cents: i64,
    pub vat_bp: i64,
}

/// A day, month or year closing (Z ticket).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosingFact {
    pub terminal: String,
    /// "day", "month" or "year".
    pub period: String,
    /// Its journal entry.
    pub sequence: i64,
    pub hash: String,
    pub ticket_count: i64,
    pub total_cents: i64,
    pub grand_total_cents: i64,
    pub vat: Vec<VatAmount>,
    pub payments: Vec<PaymentAmount>,
    pub discounts: Vec<DiscountSubtotal>,
    /// The drawer's blind count, when one was made (the three together, or none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted_cents: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_cash_cents: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference_cents: Option<i64>,
}

/// A fiscal journal entry, so the central keeps the terminal's last hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalFact {
    pub terminal: String,
    pub sequence: i64,
    pub hash: String,
    /// The entry's canonical serialisation.
    pub canonical: String,
}

/// A receipt made available to the customer, or to be e-mailed to them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EReceiptFact {
    pub ticket: String,
    pub terminal: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// `"email"` to have the central e-mail it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
    /// An address typed at the counter, for this delivery only (removed from the row once the
    /// central has it: `Store::acknowledge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_email: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// A customer created at this counter, known by `local_id` until the central names them.
impl EReceiptFact {
    /// The receipt every sale makes available in the customer's account (French law since
    /// 2023: paper only when asked for).
    pub fn of_sale(ticket: &str, terminal: &str) -> EReceiptFact {
        EReceiptFact {
            ticket: ticket.to_owned(),
            terminal: terminal.to_owned(),
            customer: None,
            delivery: None,
            email: None,
            keep_email: false,
            code: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerCreatedFact {
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

/// A marketing consent given or withdrawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentFact {
    pub customer: String,
    pub channel: Channel,
    pub granted: bool,
    pub at: i64,
    /// The staff login who recorded it.
    pub staff: String,
}

/// A staff note about a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteFact {
    pub customer: String,
    pub text: String,
    pub author: String,
    pub at: i64,
}

/// A customer record opened by staff (the GDPR access log).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessFact {
    pub customer: String,
    pub staff: String,
    pub terminal: String,
    pub store: String,
    pub at: i64,
}

/// An access or erasure request made at the counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyRequestFact {
    pub customer: String,
    pub kind: PrivacyRequestKind,
    pub staff: String,
    pub store: String,
    pub at: i64,
}

/// Points earned (positive) or redeemed (negative) on a ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyFact {
    pub customer: String,
    pub points: i64,
    pub ticket: String,
    pub terminal: String,
    pub at: i64,
}

/// Lines of a click-and-collect order handed over here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverFact {
    pub handover_id: String,
    pub order_id: String,
    pub store: String,
    pub terminal: String,
    pub staff: String,
    pub at: i64,
    /// What was handed now.
    pub lines: Vec<Units>,
    /// Nothing of the order is left to hand over.
    pub complete: bool,
}

/// A product ordered at the counter (endless aisle).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AisleOrderFact {
    pub order_number: String,
    pub customer: String,
    pub store: String,
    pub terminal: String,
    pub staff: String,
    pub at: i64,
    pub lines: Vec<AisleLine>,
    /// "home" or "pickup".
    pub delivery: String,
    #[serde(default)]
    pub pickup_store: Option<String>,
    #[serde(default)]
    pub ship_from: Option<String>,
}

/// One product of an endless-aisle order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AisleLine {
    pub gtin: String,
    pub quantity: i64,
    /// The price of one unit, in cents.
    pub price_cents: i64,
}

/// A gift card sold at the till.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiftCardFact {
    pub code: String,
    pub ticket: String,
    pub store: String,
    pub terminal: String,
    pub amount_cents: i64,
    pub payments: Vec<PaymentFact>,
    pub at: i64,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A row this build cannot read as written stays as it is: nothing unsent changes.
    #[test]
    fn a_row_that_does_not_read_back_the_same_is_kept_verbatim() {
        let cases = [
            // A newer build's kind.
            ("parcel_locker", json!({"locker": 4})),
            // A sale without its customer field: read, it would gain `"customer": null`.
            (
                "sale",
                json!({"ticket": "T", "terminal": "T01", "store": "PAR-01", "created_at": 1,
                       "training": false, "total_cents": 0, "lines": [], "payments": []}),
            ),
            // Not a fact of its kind at all.
            ("loyalty", json!({})),
            // A field this build does not know.
            (
                "customer_note",
                json!({"customer": "C", "text": "t", "author": "a", "at": 1,
                                     "pinned": true}),
            ),
        ];
        for (kind, payload) in cases {
            assert_eq!(
                Queued::read(kind.to_owned(), payload.clone()),
                Queued::Verbatim {
                    kind: kind.to_owned(),
                    payload
                },
                "{kind}"
            );
        }
    }
}
