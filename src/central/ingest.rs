//! Checking a push batch before anything of it is applied: its size, each event's id and
//! sequence, and that every fact belongs to the device's own store (atuin's rule: a host only
//! writes its own records). Pure: no SQL, no I/O. A batch that fails here is refused whole.
//!
//! Error messages go back to the terminal that sent the batch; they may quote its payload (serde
//! does), so they are never logged.

use crate::central::store::{Fact, IncomingEvent};
use crate::domain::basket::MAX_QUANTITY;
use crate::domain::gtin::Gtin;
use crate::domain::vat::VatRate;
use crate::sync::protocol::{
    AccessPayload, AisleOrderPayload, ConsentPayload, CustomerCreatedPayload, EventKind,
    HandoverPayload, JournalPayload, LoyaltyPayload, MAX_BATCH, NotePayload, PrivacyRequestPayload,
    PushRequest, ReturnPayload, SalePayload,
};

/// The most points one movement may carry: far above any real ticket, and far enough from
/// `i64::MAX` that a balance can never overflow (SQLite would then fail the whole batch, forever).
pub const MAX_LOYALTY_POINTS: i64 = 100_000_000;

/// The most a ticket may come to: ten times the dearest basket a store of the chain has seen.
/// A total past it is a device gone wrong, not a sale.
pub const MAX_TICKET_CENTS: i64 = 100_000_000;
/// The most lines one ticket may carry.
pub const MAX_SALE_LINES: usize = 1_000;
/// Longest ticket number or terminal id (`T01-000042` is 10).
const MAX_ID_CHARS: usize = 64;

/// A sale must be one a till could have recorded: a ticket and terminal named, 1 to
/// [`MAX_SALE_LINES`] lines each a valid GTIN with a quantity the basket allows (1 to
/// [`MAX_QUANTITY`]), a non-negative amount and a French VAT rate; the lines add up to the
/// total, within [`MAX_TICKET_CENTS`]; the payments add up to the total. Anything else would
/// reach stock, revenue and loyalty figures of the whole chain.
fn check_sale(sale: &SalePayload) -> Result<(), String> {
    for (value, what) in [
        (&sale.ticket, "ticket number"),
        (&sale.terminal, "terminal"),
    ] {
        if value.trim().is_empty() || value.chars().count() > MAX_ID_CHARS {
            return Err(format!(
                "the sale's {what} must be 1 to {MAX_ID_CHARS} characters"
            ));
        }
    }
    if sale.lines.is_empty() || sale.lines.len() > MAX_SALE_LINES {
        return Err(format!(
            "a sale has 1 to {MAX_SALE_LINES} lines, this one {}",
            sale.lines.len()
        ));
    }
    let mut lines_total: i64 = 0;
    for line in &sale.lines {
        Gtin::parse(&line.gtin).map_err(|e| format!("a line of the sale: {e}"))?;
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(format!(
                "a line of the sale has quantity {}: it must be 1 to {MAX_QUANTITY}",
                line.quantity
            ));
        }
        if !(0..=MAX_TICKET_CENTS).contains(&line.amount_cents) {
            return Err(format!(
                "a line of the sale comes to {} cents: it must be 0 to {MAX_TICKET_CENTS}",
                line.amount_cents
            ));
        }
        VatRate::from_basis_points(line.vat_bp).map_err(|e| format!("a line of the sale: {e}"))?;
        // Bounded above, so no overflow: at most 1,000 × 10^8.
        lines_total += line.amount_cents;
    }
    if lines_total != sale.total_cents || sale.total_cents > MAX_TICKET_CENTS {
        return Err(format!(
            "the sale's total {} cents is not its lines' {lines_total} cents (at most {MAX_TICKET_CENTS})",
            sale.total_cents
        ));
    }
    let mut paid: i64 = 0;
    for payment in &sale.payments {
        if !(0..=MAX_TICKET_CENTS).contains(&payment.amount_cents) {
            return Err(format!(
                "a payment of {} cents: it must be 0 to {MAX_TICKET_CENTS}",
                payment.amount_cents
            ));
        }
        paid += payment.amount_cents;
    }
    if paid != sale.total_cents {
        return Err(format!(
            "the sale's payments come to {paid} cents, its total to {} cents",
            sale.total_cents
        ));
    }
    Ok(())
}

/// Reads a payload of a known kind, or says why not (`what` names it for the terminal).
fn payload<T: serde::de::DeserializeOwned>(
    value: &serde_json::Value,
    what: &str,
) -> Result<T, String> {
    serde_json::from_value(value.clone()).map_err(|e| format!("the {what} cannot be read: {e}"))
}

/// A customer reference must name someone: the chain's id or the terminal's local one.
fn named(customer: &str, what: &str) -> Result<(), String> {
    if customer.trim().is_empty() {
        Err(format!("the {what} names no customer"))
    } else {
        Ok(())
    }
}

/// The lines of a pickup, a return or an order: at least one, each a valid GTIN with a positive
/// quantity. A zero or negative quantity would move counters backwards (a handover undone by a
/// later "handover"), which no counter ever means.
fn lines_of<'a>(
    lines: impl ExactSizeIterator<Item = (&'a str, i64)>,
    what: &str,
) -> Result<(), String> {
    if lines.len() == 0 {
        return Err(format!("the {what} has no line"));
    }
    for (gtin, quantity) in lines {
        Gtin::parse(gtin).map_err(|e| format!("a line of the {what}: {e}"))?;
        if quantity <= 0 {
            return Err(format!(
                "a line of the {what} has quantity {quantity}: it must be positive"
            ));
        }
    }
    Ok(())
}

/// An order reference must name an order.
fn order_named(id: &str, what: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        Err(format!("the {what} names no order"))
    } else {
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("a push batch holds at most {MAX_BATCH} events, this one {count}")]
    TooLarge { count: usize },
    #[error("event with sequence {seq}: {reason}")]
    Malformed { seq: i64, reason: String },
    #[error(
        "event with sequence {seq} is for store {store}, but this device belongs to another store: nothing applied"
    )]
    ForeignStore { seq: i64, store: String },
}

/// The batch's events, checked, parsed and sorted by sequence.
pub fn check_batch(
    request: PushRequest,
    device_store: &str,
) -> Result<Vec<IncomingEvent>, BatchError> {
    if request.events.len() > MAX_BATCH {
        return Err(BatchError::TooLarge {
            count: request.events.len(),
        });
    }
    let mut events = Vec::with_capacity(request.events.len());
    for event in request.events {
        let seq = event.seq;
        let malformed = |reason: String| BatchError::Malformed { seq, reason };
        let id = uuid::Uuid::parse_str(&event.id)
            .map_err(|_| malformed("its id is not a UUID".into()))?;
        if seq < 1 {
            return Err(malformed("device sequences start at 1".into()));
        }
        // Any fact that names a store must name this device's: whatever its kind, so that a
        // newer terminal's facts are held to the same rule.
        if let Some(store) = event.payload.get("store").and_then(|s| s.as_str())
            && store != device_store
        {
            return Err(BatchError::ForeignStore {
                seq,
                store: store.to_owned(),
            });
        }
        let fact = match event.kind {
            EventKind::Sale => {
                let sale: SalePayload = serde_json::from_value(event.payload.clone())
                    .map_err(|e| malformed(format!("the sale cannot be read: {e}")))?;
                check_sale(&sale).map_err(malformed)?;
                Fact::Sale(sale)
            }
            EventKind::JournalEntry => {
                let entry: JournalPayload = serde_json::from_value(event.payload.clone())
                    .map_err(|e| malformed(format!("the journal entry cannot be read: {e}")))?;
                Fact::Journal(entry)
            }
            EventKind::CustomerCreated => {
                let c: CustomerCreatedPayload =
                    payload(&event.payload, "customer creation").map_err(malformed)?;
                if c.local_id.trim().is_empty() {
                    return Err(malformed("the new customer has no local id".into()));
                }
                if c.first_name.trim().is_empty() && c.last_name.trim().is_empty() {
                    return Err(malformed("the new customer has no name".into()));
                }
                Fact::CustomerCreated(c)
            }
            EventKind::Consent => {
                let c: ConsentPayload = payload(&event.payload, "consent").map_err(malformed)?;
                named(&c.customer, "consent").map_err(malformed)?;
                Fact::Consent(c)
            }
            EventKind::CustomerNote => {
                let n: NotePayload = payload(&event.payload, "note").map_err(malformed)?;
                named(&n.customer, "note").map_err(malformed)?;
                Fact::Note(n)
            }
            EventKind::CustomerAccess => {
                let a: AccessPayload =
                    payload(&event.payload, "access record").map_err(malformed)?;
                named(&a.customer, "access record").map_err(malformed)?;
                Fact::Access(a)
            }
            EventKind::PrivacyRequest => {
                let r: PrivacyRequestPayload =
                    payload(&event.payload, "privacy request").map_err(malformed)?;
                named(&r.customer, "privacy request").map_err(malformed)?;
                Fact::PrivacyRequest(r)
            }
            EventKind::Loyalty => {
                let l: LoyaltyPayload =
                    payload(&event.payload, "loyalty movement").map_err(malformed)?;
                named(&l.customer, "loyalty movement").map_err(malformed)?;
                if l.points.unsigned_abs() > MAX_LOYALTY_POINTS.unsigned_abs() {
                    return Err(malformed(format!(
                        "a loyalty movement carries at most {MAX_LOYALTY_POINTS} points, this one {}",
                        l.points
                    )));
                }
                Fact::Loyalty(l)
            }
            // What needs the central's data (is the order known, are these its products) is
            // decided when applied: a handover or a return is a fact of the counter and is kept
            // whatever the central makes of it. Here only what no data can fix is refused.
            EventKind::Handover => {
                let h: HandoverPayload = payload(&event.payload, "handover").map_err(malformed)?;
                order_named(&h.order_id, "handover").map_err(malformed)?;
                if h.handover_id.trim().is_empty() {
                    return Err(malformed("the handover has no handover_id".into()));
                }
                lines_of(
                    h.lines.iter().map(|l| (l.gtin.as_str(), l.quantity)),
                    "handover",
                )
                .map_err(malformed)?;
                Fact::Handover(h)
            }
            EventKind::Return => {
                let r: ReturnPayload = payload(&event.payload, "return").map_err(malformed)?;
                order_named(&r.order_id, "return").map_err(malformed)?;
                lines_of(
                    r.lines.iter().map(|l| (l.gtin.as_str(), l.quantity)),
                    "return",
                )
                .map_err(malformed)?;
                if r.refund_cents < 0 || r.lines.iter().any(|l| l.amount_cents < 0) {
                    return Err(malformed(
                        "a return's refund and line amounts are positive cents".into(),
                    ));
                }
                Fact::Return(r)
            }
            EventKind::AisleOrder => {
                let o: AisleOrderPayload =
                    payload(&event.payload, "aisle order").map_err(malformed)?;
                order_named(&o.order_number, "aisle order").map_err(malformed)?;
                named(&o.customer, "aisle order").map_err(malformed)?;
                lines_of(
                    o.lines.iter().map(|l| (l.gtin.as_str(), l.quantity)),
                    "aisle order",
                )
                .map_err(malformed)?;
                if o.lines.iter().any(|l| l.price_cents < 0) {
                    return Err(malformed("an aisle order line has a negative price".into()));
                }
                match (o.delivery.as_str(), o.pickup_store.as_deref()) {
                    ("home", _) => {}
                    ("pickup", Some(store)) if !store.trim().is_empty() => {}
                    ("pickup", _) => {
                        return Err(malformed(
                            "an aisle order for pickup names no pickup_store".into(),
                        ));
                    }
                    (other, _) => {
                        return Err(malformed(format!(
                            "an aisle order's delivery is \"home\" or \"pickup\", not {other:?}"
                        )));
                    }
                }
                Fact::AisleOrder(o)
            }
            EventKind::Closing | EventKind::EReceipt | EventKind::StockCount | EventKind::Other => {
                Fact::Recorded
            }
        };
        events.push(IncomingEvent {
            id: id.hyphenated().to_string(),
            seq,
            kind: event.kind,
            created_at: event.created_at,
            payload: event.payload.to_string(),
            fact,
        });
    }
    events.sort_by_key(|e| e.seq);
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::protocol::OutboxEvent;
    use serde_json::json;

    fn event(seq: i64, kind: EventKind, payload: serde_json::Value) -> OutboxEvent {
        OutboxEvent {
            id: uuid::Uuid::new_v4().to_string(),
            seq,
            kind,
            created_at: 1,
            payload,
        }
    }

    fn sale(store: &str) -> serde_json::Value {
        json!({"ticket": "T1", "terminal": "T01", "store": store, "created_at": 1,
               "training": false, "total_cents": 100,
               "lines": [{"gtin": "03760000000017", "quantity": 2, "amount_cents": 100,
                          "vat_bp": 2000}],
               "payments": [{"method": "card", "amount_cents": 100}]})
    }

    /// Issue 19: a sale no till could have recorded is refused before anything is applied.
    #[test]
    fn a_sale_no_till_could_record_is_refused() {
        type Spoil = fn(&mut serde_json::Value);
        let hostile: Vec<(&str, Spoil)> = vec![
            ("negative quantity", |s| {
                s["lines"][0]["quantity"] = json!(-1_000)
            }),
            ("zero quantity", |s| s["lines"][0]["quantity"] = json!(0)),
            ("10^12 units", |s| {
                s["lines"][0]["quantity"] = json!(1_000_000_000_000i64)
            }),
            ("i64::MAX units", |s| {
                s["lines"][0]["quantity"] = json!(i64::MAX)
            }),
            ("not a GTIN", |s| {
                s["lines"][0]["gtin"] = json!("not-a-gtin")
            }),
            ("bad check digit", |s| {
                s["lines"][0]["gtin"] = json!("03760000000018")
            }),
            ("a total over its lines", |s| {
                s["total_cents"] = json!(999_999_999_999i64);
                s["payments"][0]["amount_cents"] = json!(999_999_999_999i64);
            }),
            ("payments short of the total", |s| {
                s["payments"][0]["amount_cents"] = json!(1)
            }),
            ("a negative line", |s| {
                s["lines"][0]["amount_cents"] = json!(-100)
            }),
            ("an unknown VAT rate", |s| {
                s["lines"][0]["vat_bp"] = json!(1234)
            }),
            ("no line", |s| {
                s["lines"] = json!([]);
                s["total_cents"] = json!(0);
                s["payments"] = json!([]);
            }),
            ("a 1 MB ticket number", |s| {
                s["ticket"] = json!("T".repeat(1 << 20))
            }),
        ];
        for (what, spoil) in hostile {
            let mut payload = sale("PAR-01");
            spoil(&mut payload);
            let request = PushRequest {
                events: vec![event(1, EventKind::Sale, payload)],
            };
            let refused = check_batch(request, "PAR-01");
            assert!(
                matches!(refused, Err(BatchError::Malformed { .. })),
                "{what}: {refused:?}"
            );
        }
        let honest = PushRequest {
            events: vec![event(1, EventKind::Sale, sale("PAR-01"))],
        };
        assert!(check_batch(honest, "PAR-01").is_ok());
    }

    #[test]
    fn events_come_out_in_sequence_order() {
        let request = PushRequest {
            events: vec![
                event(3, EventKind::Closing, json!({})),
                event(1, EventKind::Sale, sale("PAR-01")),
                event(2, EventKind::Other, json!({"x": 1})),
            ],
        };
        let events = check_batch(request, "PAR-01").expect("valid");
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert!(matches!(events[0].fact, Fact::Sale(_)));
    }

    #[test]
    fn refusals() {
        type Expected = fn(&BatchError) -> bool;
        let cases: Vec<(OutboxEvent, Expected)> = vec![
            (event(1, EventKind::Sale, sale("LYO-01")), |e| {
                matches!(e, BatchError::ForeignStore { .. })
            }),
            (
                event(1, EventKind::Return, json!({"store": "LYO-01"})),
                |e| matches!(e, BatchError::ForeignStore { .. }),
            ),
            (event(1, EventKind::Sale, json!({"ticket": 3})), |e| {
                matches!(e, BatchError::Malformed { .. })
            }),
            (event(0, EventKind::Closing, json!({})), |e| {
                matches!(e, BatchError::Malformed { .. })
            }),
            // Clienteling facts: read and checked like sales, held to the store rule.
            (
                event(
                    1,
                    EventKind::CustomerCreated,
                    json!({"local_id": "L-1", "first_name": "Léa", "last_name": "Martin",
                           "store": "LYO-01", "created_at": 1}),
                ),
                |e| matches!(e, BatchError::ForeignStore { .. }),
            ),
            (
                event(
                    1,
                    EventKind::CustomerCreated,
                    json!({"local_id": " ", "first_name": "Léa", "last_name": "Martin",
                           "store": "PAR-01", "created_at": 1}),
                ),
                |e| matches!(e, BatchError::Malformed { .. }),
            ),
            (
                event(
                    1,
                    EventKind::Consent,
                    json!({"customer": "C1", "channel": "fax", "granted": true, "at": 1,
                           "staff": "camille"}),
                ),
                |e| matches!(e, BatchError::Malformed { .. }),
            ),
            (
                event(
                    1,
                    EventKind::CustomerNote,
                    json!({"customer": "", "text": "x", "author": "camille", "at": 1}),
                ),
                |e| matches!(e, BatchError::Malformed { .. }),
            ),
            (
                event(
                    1,
                    EventKind::Loyalty,
                    json!({"customer": "C1", "points": i64::MIN, "ticket": "T", "terminal": "T01",
                           "at": 1}),
                ),
                |e| matches!(e, BatchError::Malformed { .. }),
            ),
            (
                event(
                    1,
                    EventKind::PrivacyRequest,
                    json!({"customer": "C1", "kind": "forget_me", "staff": "camille",
                           "store": "PAR-01", "at": 1}),
                ),
                |e| matches!(e, BatchError::Malformed { .. }),
            ),
            // Issue 9: what no data at the central can make sense of.
            (
                event(
                    1,
                    EventKind::Handover,
                    json!({"handover_id": "h", "order_id": "CC1", "store": "PAR-01",
                           "terminal": "T01", "staff": "camille", "at": 1, "complete": true,
                           "lines": [{"gtin": "03760000000017", "quantity": 0}]}),
                ),
                |e| matches!(e, BatchError::Malformed { .. }),
            ),
            (
                event(
                    1,
                    EventKind::Handover,
                    json!({"handover_id": "h", "order_id": "CC1", "store": "LYO-01",
                           "terminal": "T01", "staff": "camille", "at": 1, "complete": true,
                           "lines": [{"gtin": "03760000000017", "quantity": 1}]}),
                ),
                |e| matches!(e, BatchError::ForeignStore { .. }),
            ),
            (
                event(
                    1,
                    EventKind::Return,
                    json!({"ticket": "R1", "order_id": "W1", "store": "PAR-01",
                           "terminal": "T01", "staff": "camille", "at": 1, "lines": [],
                           "refund": "card", "refund_cents": 0}),
                ),
                |e| matches!(e, BatchError::Malformed { .. }),
            ),
            (
                event(
                    1,
                    EventKind::AisleOrder,
                    json!({"order_number": "A1", "customer": "C1", "store": "PAR-01",
                           "terminal": "T01", "staff": "camille", "at": 1, "delivery": "pickup",
                           "lines": [{"gtin": "03760000000017", "quantity": 1,
                                      "price_cents": 100}]}),
                ),
                |e| matches!(e, BatchError::Malformed { .. }),
            ),
            (
                OutboxEvent {
                    id: "not-a-uuid".into(),
                    ..event(1, EventKind::Closing, json!({}))
                },
                |e| matches!(e, BatchError::Malformed { .. }),
            ),
        ];
        for (event, expected) in cases {
            let err = check_batch(
                PushRequest {
                    events: vec![event.clone()],
                },
                "PAR-01",
            )
            .expect_err("refused");
            assert!(expected(&err), "{event:?} gave {err:?}");
        }
        let too_many = PushRequest {
            events: (1..=MAX_BATCH as i64 + 1)
                .map(|s| event(s, EventKind::Other, json!({})))
                .collect(),
        };
        assert!(matches!(
            check_batch(too_many, "PAR-01"),
            Err(BatchError::TooLarge { .. })
        ));
    }
}
