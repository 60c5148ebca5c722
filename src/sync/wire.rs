//! The push direction's wire mapping: each fact the store queued (`store::facts`) becomes the
//! protocol's event of its kind, with the protocol's payload. The store knows its facts and no
//! wire type; this module is the one place where one becomes the other, so a change of either
//! side shows here (every mapping destructures the store's record, so a field added to it fails
//! to compile until it is sent or deliberately left out).
//!
//! What goes over the wire must not move: the tests below pin each kind's JSON, the sale against
//! the protocol's golden push request.

use super::client::SyncError;
use super::protocol::{
    AccessPayload, AisleLinePayload, AisleOrderPayload, ClosingDiscountPayload, ClosingPayload,
    ConsentPayload, CustomerCreatedPayload, EReceiptPayload, EventKind, GiftCardPayload,
    HandoverPayload, JournalPayload, LoyaltyPayload, NotePayload, OutboxEvent, PaymentPayload,
    PickupLineChange, PrivacyRequestPayload, ReturnLinePayload, ReturnPayload, SaleDiscountPayload,
    SaleLinePayload, SalePayload, SaleRef,
};
use crate::store::facts::{
    AccessFact, AisleLine, AisleOrderFact, ClosingFact, ConsentFact, CustomerCreatedFact,
    DiscountFact, EReceiptFact, Fact, GiftCardFact, HandoverFact, JournalFact, LoyaltyFact,
    NoteFact, PaymentFact, PendingEvent, PrivacyRequestFact, Queued, ReturnFact, ReturnLineFact,
    ReturnedSale, SaleFact, SaleLineFact,
};
use crate::store::{DiscountSubtotal, Store};

/// A queued fact that could not be written as the protocol's JSON.
#[derive(Debug, thiserror::Error)]
#[error("outbox event {seq} cannot be written for the central: {source}")]
pub struct WireError {
    pub seq: i64,
    pub source: serde_json::Error,
}

/// The oldest `limit` events the central has not acknowledged, as the protocol sends them.
pub fn pending_outbox(store: &Store, limit: usize) -> Result<Vec<OutboxEvent>, SyncError> {
    Ok(store
        .pending_events(limit)?
        .into_iter()
        .map(outbox_event)
        .collect::<Result<_, _>>()?)
}

/// One queued fact as the protocol's event.
pub fn outbox_event(event: PendingEvent) -> Result<OutboxEvent, WireError> {
    let PendingEvent {
        seq,
        id,
        created_at,
        fact,
    } = event;
    let (kind, payload) = match fact {
        Queued::Fact(fact) => payload_of(fact).map_err(|source| WireError { seq, source })?,
        // A kind unknown here travels as `other`, as the protocol reads it (the central
        // quarantines it with its reason); a known kind in an older shape, as written.
        Queued::Verbatim { kind, payload } => (
            serde_json::from_value(serde_json::Value::String(kind)).unwrap_or(EventKind::Other),
            payload,
        ),
    };
    Ok(OutboxEvent {
        id,
        seq,
        kind,
        created_at,
        payload,
    })
}

/// The protocol's kind and payload of `fact`.
fn payload_of(fact: Fact) -> serde_json::Result<(EventKind, serde_json::Value)> {
    use serde_json::to_value;
    let (kind, payload) = match fact {
        Fact::Sale(f) => (EventKind::Sale, to_value(SalePayload::from(f))),
        Fact::Return(f) => (EventKind::Return, to_value(ReturnPayload::from(f))),
        Fact::Closing(f) => (EventKind::Closing, to_value(ClosingPayload::from(f))),
        Fact::JournalEntry(f) => (EventKind::JournalEntry, to_value(JournalPayload::from(f))),
        Fact::EReceipt(f) => (EventKind::EReceipt, to_value(EReceiptPayload::from(f))),
        Fact::CustomerCreated(f) => (
            EventKind::CustomerCreated,
            to_value(CustomerCreatedPayload::from(f)),
        ),
        Fact::Consent(f) => (EventKind::Consent, to_value(ConsentPayload::from(f))),
        Fact::CustomerNote(f) => (EventKind::CustomerNote, to_value(NotePayload::from(f))),
        Fact::CustomerAccess(f) => (EventKind::CustomerAccess, to_value(AccessPayload::from(f))),
        Fact::PrivacyRequest(f) => (
            EventKind::PrivacyRequest,
            to_value(PrivacyRequestPayload::from(f)),
        ),
        Fact::Loyalty(f) => (EventKind::Loyalty, to_value(LoyaltyPayload::from(f))),
        Fact::Handover(f) => (EventKind::Handover, to_value(HandoverPayload::from(f))),
        Fact::AisleOrder(f) => (EventKind::AisleOrder, to_value(AisleOrderPayload::from(f))),
        Fact::GiftCard(f) => (EventKind::GiftCard, to_value(GiftCardPayload::from(f))),
    };
    Ok((kind, payload?))
}

/// Each of `items` mapped (a list of lines, of payments…), for both directions' mappings.
pub(super) fn all<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}

impl From<SaleFact> for SalePayload {
    fn from(fact: SaleFact) -> Self {
        let SaleFact {
            ticket,
            terminal,
            store,
            created_at,
            training,
            total_cents,
            lines,
            payments,
            customer,
        } = fact;
        SalePayload {
            ticket,
            terminal,
            store,
            created_at,
            training,
            total_cents,
            lines: all(lines),
            payments: all(payments),
            customer,
        }
    }
}

impl From<SaleLineFact> for SaleLinePayload {
    fn from(fact: SaleLineFact) -> Self {
        let SaleLineFact {
            gtin,
            quantity,
            amount_cents,
            vat_bp,
            discount_cents,
            discounts,
        } = fact;
        SaleLinePayload {
            gtin,
            quantity,
            amount_cents,
            vat_bp,
            discount_cents,
            discounts: all(discounts),
        }
    }
}

impl From<DiscountFact> for SaleDiscountPayload {
    fn from(fact: DiscountFact) -> Self {
        let DiscountFact {
            kind,
            amount_cents,
            promotion_id,
            reason,
        } = fact;
        SaleDiscountPayload {
            kind,
            amount_cents,
            promotion_id,
            reason,
        }
    }
}

impl From<PaymentFact> for PaymentPayload {
    fn from(fact: PaymentFact) -> Self {
        let PaymentFact {
            method,
            amount_cents,
            code,
        } = fact;
        PaymentPayload {
            method,
            amount_cents,
            code,
        }
    }
}

impl From<ReturnFact> for ReturnPayload {
    fn from(fact: ReturnFact) -> Self {
        let ReturnFact {
            ticket,
            order_id,
            store,
            terminal,
            staff,
            at,
            lines,
            refund,
            refund_cents,
            credit_code,
            customer,
            sale,
            refunds,
        } = fact;
        ReturnPayload {
            ticket,
            order_id,
            store,
            terminal,
            staff,
            at,
            lines: all(lines),
            refund,
            refund_cents,
            credit_code,
            customer,
            sale: sale.map(|ReturnedSale { store, ticket }| SaleRef { store, ticket }),
            refunds: all(refunds),
        }
    }
}

impl From<ReturnLineFact> for ReturnLinePayload {
    fn from(fact: ReturnLineFact) -> Self {
        let ReturnLineFact {
            gtin,
            quantity,
            amount_cents,
            vat_bp,
        } = fact;
        ReturnLinePayload {
            gtin,
            quantity,
            amount_cents,
            vat_bp,
        }
    }
}

impl From<ClosingFact> for ClosingPayload {
    fn from(fact: ClosingFact) -> Self {
        let ClosingFact {
            terminal,
            period,
            sequence,
            hash,
            ticket_count,
            total_cents,
            grand_total_cents,
            vat,
            payments,
            discounts,
            counted_cents,
            expected_cash_cents,
            difference_cents,
        } = fact;
        ClosingPayload {
            terminal,
            period,
            sequence,
            hash,
            ticket_count,
            total_cents,
            grand_total_cents,
            vat,
            payments,
            discounts: all(discounts),
            counted_cents,
            expected_cash_cents,
            difference_cents,
        }
    }
}

impl From<DiscountSubtotal> for ClosingDiscountPayload {
    fn from(subtotal: DiscountSubtotal) -> Self {
        let DiscountSubtotal {
            kind,
            key,
            name,
            amount_cents,
            lines,
        } = subtotal;
        ClosingDiscountPayload {
            kind,
            key,
            name,
            amount_cents,
            lines,
        }
    }
}

impl From<JournalFact> for JournalPayload {
    fn from(fact: JournalFact) -> Self {
        let JournalFact {
            terminal,
            sequence,
            hash,
            canonical,
        } = fact;
        JournalPayload {
            terminal,
            sequence,
            hash,
            canonical,
        }
    }
}

impl From<EReceiptFact> for EReceiptPayload {
    fn from(fact: EReceiptFact) -> Self {
        let EReceiptFact {
            ticket,
            terminal,
            customer,
            delivery,
            email,
            keep_email,
            code,
        } = fact;
        EReceiptPayload {
            ticket,
            terminal,
            customer,
            delivery,
            email,
            keep_email,
            code,
        }
    }
}

impl From<CustomerCreatedFact> for CustomerCreatedPayload {
    fn from(fact: CustomerCreatedFact) -> Self {
        let CustomerCreatedFact {
            local_id,
            first_name,
            last_name,
            email,
            phone,
            store,
            created_at,
        } = fact;
        CustomerCreatedPayload {
            local_id,
            first_name,
            last_name,
            email,
            phone,
            store,
            created_at,
        }
    }
}

impl From<ConsentFact> for ConsentPayload {
    fn from(fact: ConsentFact) -> Self {
        let ConsentFact {
            customer,
            channel,
            granted,
            at,
            staff,
        } = fact;
        ConsentPayload {
            customer,
            channel,
            granted,
            at,
            staff,
        }
    }
}

impl From<NoteFact> for NotePayload {
    fn from(fact: NoteFact) -> Self {
        let NoteFact {
            customer,
            text,
            author,
            at,
        } = fact;
        NotePayload {
            customer,
            text,
            author,
            at,
        }
    }
}

impl From<AccessFact> for AccessPayload {
    fn from(fact: AccessFact) -> Self {
        let AccessFact {
            customer,
            staff,
            terminal,
            store,
            at,
        } = fact;
        AccessPayload {
            customer,
            staff,
            terminal,
            store,
            at,
        }
    }
}

impl From<PrivacyRequestFact> for PrivacyRequestPayload {
    fn from(fact: PrivacyRequestFact) -> Self {
        let PrivacyRequestFact {
            customer,
            kind,
            staff,
            store,
            at,
        } = fact;
        PrivacyRequestPayload {
            customer,
            kind,
            staff,
            store,
            at,
        }
    }
}

impl From<LoyaltyFact> for LoyaltyPayload {
    fn from(fact: LoyaltyFact) -> Self {
        let LoyaltyFact {
            customer,
            points,
            ticket,
            terminal,
            at,
        } = fact;
        LoyaltyPayload {
            customer,
            points,
            ticket,
            terminal,
            at,
        }
    }
}

impl From<HandoverFact> for HandoverPayload {
    fn from(fact: HandoverFact) -> Self {
        let HandoverFact {
            handover_id,
            order_id,
            store,
            terminal,
            staff,
            at,
            lines,
            complete,
        } = fact;
        HandoverPayload {
            handover_id,
            order_id,
            store,
            terminal,
            staff,
            at,
            lines: lines
                .into_iter()
                .map(|u| PickupLineChange {
                    gtin: u.gtin,
                    quantity: u.quantity,
                })
                .collect(),
            complete,
        }
    }
}

impl From<AisleOrderFact> for AisleOrderPayload {
    fn from(fact: AisleOrderFact) -> Self {
        let AisleOrderFact {
            order_number,
            customer,
            store,
            terminal,
            staff,
            at,
            lines,
            delivery,
            pickup_store,
            ship_from,
        } = fact;
        AisleOrderPayload {
            order_number,
            customer,
            store,
            terminal,
            staff,
            at,
            lines: all(lines),
            delivery,
            pickup_store,
            ship_from,
        }
    }
}

impl From<AisleLine> for AisleLinePayload {
    fn from(line: AisleLine) -> Self {
        let AisleLine {
            gtin,
            quantity,
            price_cents,
        } = line;
        AisleLinePayload {
            gtin,
            quantity,
            price_cents,
        }
    }
}

impl From<GiftCardFact> for GiftCardPayload {
    fn from(fact: GiftCardFact) -> Self {
        let GiftCardFact {
            code,
            ticket,
            store,
            terminal,
            amount_cents,
            payments,
            at,
        } = fact;
        GiftCardPayload {
            code,
            ticket,
            store,
            terminal,
            amount_cents,
            payments: all(payments),
            at,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::domain::customer::{Channel, PrivacyRequestKind};
    use crate::domain::journal::{PaymentAmount, VatAmount};
    use crate::domain::pickup::Units;
    use crate::sync::protocol::PushRequest;

    fn pending(seq: i64, fact: Queued) -> PendingEvent {
        PendingEvent {
            seq,
            id: "0b8f5d2c-3e4a-4b6c-8d9e-1f2a3b4c5d6e".into(),
            created_at: 1_796_032_800,
            fact,
        }
    }

    /// The protocol's golden push request, made from the store's record of its sale.
    #[test]
    fn a_sale_goes_out_as_the_golden_push_request() {
        let sale = SaleFact {
            ticket: "T01-000041".into(),
            terminal: "T01".into(),
            store: "PAR-01".into(),
            created_at: 1_796_032_800,
            training: false,
            total_cents: 4990,
            lines: vec![SaleLineFact {
                gtin: "03760000000017".into(),
                quantity: 2,
                amount_cents: 4990,
                vat_bp: 2000,
                discount_cents: 500,
                discounts: Vec::new(),
            }],
            payments: vec![PaymentFact {
                method: "card".into(),
                amount_cents: 4990,
                code: None,
            }],
            customer: None,
        };
        let event = outbox_event(pending(41, Queued::Fact(Fact::Sale(sale)))).expect("event");
        let golden: Value = serde_json::from_str(include_str!(
            "../../crates/protocol/golden/push_request.json"
        ))
        .expect("golden JSON");
        assert_eq!(
            serde_json::to_value(PushRequest {
                events: vec![event]
            })
            .expect("json"),
            golden
        );
    }

    /// One record of every kind, with the JSON the terminal sent for it before the store had
    /// its own records (the `json!` and protocol payloads it queued then).
    fn every_kind() -> Vec<(Fact, &'static str, Value)> {
        let payment = |method: &str, cents, code: Option<&str>| PaymentFact {
            method: method.into(),
            amount_cents: cents,
            code: code.map(str::to_owned),
        };
        vec![
            (
                Fact::Sale(SaleFact {
                    ticket: "T01-000042".into(),
                    terminal: "T01".into(),
                    store: "PAR-01".into(),
                    created_at: 7,
                    training: true,
                    total_cents: 900,
                    lines: vec![SaleLineFact {
                        gtin: "03760000000017".into(),
                        quantity: 1,
                        amount_cents: 900,
                        vat_bp: 550,
                        discount_cents: 100,
                        discounts: vec![DiscountFact {
                            kind: "promotion".into(),
                            amount_cents: 100,
                            promotion_id: Some("SOLDES".into()),
                            reason: None,
                        }],
                    }],
                    payments: vec![payment("credit", 900, Some("AV-1"))],
                    customer: Some("C1".into()),
                }),
                "sale",
                json!({"ticket": "T01-000042", "terminal": "T01", "store": "PAR-01",
                       "created_at": 7, "training": true, "total_cents": 900,
                       "lines": [{"gtin": "03760000000017", "quantity": 1, "amount_cents": 900,
                                  "vat_bp": 550, "discount_cents": 100,
                                  "discounts": [{"kind": "promotion", "amount_cents": 100,
                                                 "promotion_id": "SOLDES"}]}],
                       "payments": [{"method": "credit", "amount_cents": 900, "code": "AV-1"}],
                       "customer": "C1"}),
            ),
            (
                Fact::Return(ReturnFact {
                    ticket: "T01-R000001".into(),
                    order_id: "PAR-01/T01-000042".into(),
                    store: "PAR-01".into(),
                    terminal: "T01".into(),
                    staff: "cli".into(),
                    at: 8,
                    lines: vec![ReturnLineFact {
                        gtin: "03760000000017".into(),
                        quantity: 1,
                        amount_cents: 900,
                        vat_bp: 550,
                    }],
                    refund: "card".into(),
                    refund_cents: 900,
                    credit_code: None,
                    customer: None,
                    sale: Some(ReturnedSale {
                        store: "PAR-01".into(),
                        ticket: "T01-000042".into(),
                    }),
                    refunds: vec![payment("card", 600, None), payment("cash", 300, None)],
                }),
                "return",
                json!({"ticket": "T01-R000001", "order_id": "PAR-01/T01-000042",
                       "store": "PAR-01", "terminal": "T01", "staff": "cli", "at": 8,
                       "lines": [{"gtin": "03760000000017", "quantity": 1, "amount_cents": 900,
                                  "vat_bp": 550}],
                       "refund": "card", "refund_cents": 900, "credit_code": null,
                       "customer": null, "sale": {"store": "PAR-01", "ticket": "T01-000042"},
                       "refunds": [{"method": "card", "amount_cents": 600},
                                   {"method": "cash", "amount_cents": 300}]}),
            ),
            (
                Fact::Closing(ClosingFact {
                    terminal: "T01".into(),
                    period: "day".into(),
                    sequence: 12,
                    hash: "9f".into(),
                    ticket_count: 3,
                    total_cents: 2700,
                    grand_total_cents: 99_000,
                    vat: vec![VatAmount {
                        base: 2559,
                        rate: 550,
                        total: 2700,
                        vat: 141,
                    }],
                    payments: vec![PaymentAmount {
                        amount: 2700,
                        method: "card".into(),
                    }],
                    discounts: vec![DiscountSubtotal {
                        kind: "promotion".into(),
                        key: "SOLDES".into(),
                        name: Some("Soldes".into()),
                        amount_cents: 100,
                        lines: 1,
                    }],
                    counted_cents: None,
                    expected_cash_cents: None,
                    difference_cents: None,
                }),
                "closing",
                json!({"terminal": "T01", "period": "day", "sequence": 12, "hash": "9f",
                       "ticket_count": 3, "total_cents": 2700, "grand_total_cents": 99_000,
                       "vat": [{"base": 2559, "rate": 550, "total": 2700, "vat": 141}],
                       "payments": [{"amount": 2700, "method": "card"}],
                       "discounts": [{"kind": "promotion", "key": "SOLDES", "name": "Soldes",
                                      "amount_cents": 100, "lines": 1}]}),
            ),
            (
                Fact::Closing(ClosingFact {
                    terminal: "T01".into(),
                    period: "month".into(),
                    sequence: 13,
                    hash: "a0".into(),
                    ticket_count: 0,
                    total_cents: 0,
                    grand_total_cents: 99_000,
                    vat: Vec::new(),
                    payments: Vec::new(),
                    discounts: Vec::new(),
                    counted_cents: Some(1020),
                    expected_cash_cents: Some(1000),
                    difference_cents: Some(20),
                }),
                "closing",
                json!({"terminal": "T01", "period": "month", "sequence": 13, "hash": "a0",
                       "ticket_count": 0, "total_cents": 0, "grand_total_cents": 99_000,
                       "vat": [], "payments": [], "discounts": [], "counted_cents": 1020,
                       "expected_cash_cents": 1000, "difference_cents": 20}),
            ),
            (
                Fact::JournalEntry(JournalFact {
                    terminal: "T01".into(),
                    sequence: 12,
                    hash: "9f".into(),
                    canonical: "{}".into(),
                }),
                "journal_entry",
                json!({"terminal": "T01", "sequence": 12, "hash": "9f", "canonical": "{}"}),
            ),
            (
                Fact::EReceipt(EReceiptFact::of_sale("T01-000042", "T01")),
                "e_receipt",
                json!({"ticket": "T01-000042", "terminal": "T01"}),
            ),
            (
                Fact::EReceipt(EReceiptFact {
                    ticket: "T01-000042".into(),
                    terminal: "T01".into(),
                    customer: Some("C1".into()),
                    delivery: Some("email".into()),
                    email: Some("lea@example.fr".into()),
                    keep_email: true,
                    code: None,
                }),
                "e_receipt",
                json!({"ticket": "T01-000042", "terminal": "T01", "delivery": "email",
                       "customer": "C1", "email": "lea@example.fr", "keep_email": true}),
            ),
            (
                Fact::CustomerCreated(CustomerCreatedFact {
                    local_id: "L-1".into(),
                    first_name: "Léa".into(),
                    last_name: "Martin".into(),
                    email: None,
                    phone: Some("+33600000000".into()),
                    store: "PAR-01".into(),
                    created_at: 9,
                }),
                "customer_created",
                json!({"local_id": "L-1", "first_name": "Léa", "last_name": "Martin",
                       "email": null, "phone": "+33600000000", "store": "PAR-01",
                       "created_at": 9}),
            ),
            (
                Fact::Consent(ConsentFact {
                    customer: "C1".into(),
                    channel: Channel::Sms,
                    granted: false,
                    at: 10,
                    staff: "cli".into(),
                }),
                "consent",
                json!({"customer": "C1", "channel": "sms", "granted": false, "at": 10,
                       "staff": "cli"}),
            ),
            (
                Fact::CustomerNote(NoteFact {
                    customer: "C1".into(),
                    text: "taille 38".into(),
                    author: "cli".into(),
                    at: 11,
                }),
                "customer_note",
                json!({"customer": "C1", "text": "taille 38", "author": "cli", "at": 11}),
            ),
            (
                Fact::CustomerAccess(AccessFact {
                    customer: "C1".into(),
                    staff: "cli".into(),
                    terminal: "T01".into(),
                    store: "PAR-01".into(),
                    at: 12,
                }),
                "customer_access",
                json!({"customer": "C1", "staff": "cli", "terminal": "T01", "store": "PAR-01",
                       "at": 12}),
            ),
            (
                Fact::PrivacyRequest(PrivacyRequestFact {
                    customer: "C1".into(),
                    kind: PrivacyRequestKind::Erasure,
                    staff: "cli".into(),
                    store: "PAR-01".into(),
                    at: 13,
                }),
                "privacy_request",
                json!({"customer": "C1", "kind": "erasure", "staff": "cli", "store": "PAR-01",
                       "at": 13}),
            ),
            (
                Fact::Loyalty(LoyaltyFact {
                    customer: "C1".into(),
                    points: -50,
                    ticket: "T01-000042".into(),
                    terminal: "T01".into(),
                    at: 14,
                }),
                "loyalty",
                json!({"customer": "C1", "points": -50, "ticket": "T01-000042",
                       "terminal": "T01", "at": 14}),
            ),
            (
                Fact::Handover(HandoverFact {
                    handover_id: "h-1".into(),
                    order_id: "CC900004".into(),
                    store: "PAR-01".into(),
                    terminal: "T01".into(),
                    staff: "cli".into(),
                    at: 15,
                    lines: vec![Units {
                        gtin: "03760000000017".into(),
                        quantity: 2,
                    }],
                    complete: false,
                }),
                "handover",
                json!({"handover_id": "h-1", "order_id": "CC900004", "store": "PAR-01",
                       "terminal": "T01", "staff": "cli", "at": 15,
                       "lines": [{"gtin": "03760000000017", "quantity": 2}],
                       "complete": false}),
            ),
            (
                Fact::AisleOrder(AisleOrderFact {
                    order_number: "EA-PAR-01-T01-000001".into(),
                    customer: "C1".into(),
                    store: "PAR-01".into(),
                    terminal: "T01".into(),
                    staff: "cli".into(),
                    at: 16,
                    lines: vec![AisleLine {
                        gtin: "03760000000017".into(),
                        quantity: 1,
                        price_cents: 8990,
                    }],
                    delivery: "pickup".into(),
                    pickup_store: Some("LYS-01".into()),
                    ship_from: None,
                }),
                "aisle_order",
                json!({"order_number": "EA-PAR-01-T01-000001", "customer": "C1",
                       "store": "PAR-01", "terminal": "T01", "staff": "cli", "at": 16,
                       "lines": [{"gtin": "03760000000017", "quantity": 1,
                                  "price_cents": 8990}],
                       "delivery": "pickup", "pickup_store": "LYS-01", "ship_from": null}),
            ),
            (
                Fact::GiftCard(GiftCardFact {
                    code: "KDO-1".into(),
                    ticket: "T01-G000001".into(),
                    store: "PAR-01".into(),
                    terminal: "T01".into(),
                    amount_cents: 5000,
                    payments: vec![payment("cash", 5000, None)],
                    at: 17,
                }),
                "gift_card",
                json!({"code": "KDO-1", "ticket": "T01-G000001", "store": "PAR-01",
                       "terminal": "T01", "amount_cents": 5000,
                       "payments": [{"method": "cash", "amount_cents": 5000}], "at": 17}),
            ),
        ]
    }

    /// Each kind goes out as the terminal sent it before, under its protocol kind; and a row
    /// of that earlier form, still queued on a terminal that updates, reads as the same record.
    #[test]
    fn every_kind_goes_out_as_it_always_did() {
        for (seq, (fact, kind, wire)) in (1..).zip(every_kind()) {
            assert_eq!(fact.kind(), kind);
            assert_eq!(
                Queued::read(kind.to_owned(), wire.clone()),
                Queued::Fact(fact.clone()),
                "a queued {kind} row reads as its record"
            );
            let event = outbox_event(pending(seq, Queued::Fact(fact))).expect("event");
            assert_eq!(event.seq, seq);
            assert_eq!(
                serde_json::to_value(event.kind).expect("json"),
                Value::from(kind)
            );
            assert_eq!(event.payload, wire, "{kind}");
        }
    }

    /// A row this build cannot read (here a newer build's kind) goes out as written, under the
    /// protocol's `other`, for the central to refuse with its reason.
    #[test]
    fn a_row_kept_verbatim_goes_out_as_written() {
        let payload = json!({"locker": 4, "store": "PAR-01"});
        let event = outbox_event(pending(
            3,
            Queued::Verbatim {
                kind: "parcel_locker".into(),
                payload: payload.clone(),
            },
        ))
        .expect("event");
        assert_eq!(event.kind, EventKind::Other);
        assert_eq!(event.payload, payload);
        // A known kind in a shape this build does not read keeps its kind.
        let older = json!({"ticket": "T", "terminal": "T01"});
        let event = outbox_event(pending(
            4,
            Queued::Verbatim {
                kind: "sale".into(),
                payload: older.clone(),
            },
        ))
        .expect("event");
        assert_eq!((event.kind, event.payload), (EventKind::Sale, older));
    }
}
