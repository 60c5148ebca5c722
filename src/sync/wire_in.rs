//! The pull direction's wire mapping: each protocol type the central sends becomes the store's
//! record of it (`store::received`). The store knows no wire type; this module is the one place
//! where one becomes the other, and every mapping destructures the protocol's type, so a field
//! the central starts sending fails to compile here until it is kept or deliberately dropped.
//! The mirror of `wire`, which maps the store's queued facts to the protocol's events.

use super::protocol::{
    Change, ChangesPage, ConflictChange, CreditAnswer, CustomerChange, CustomerErasedChange,
    CustomerMergedChange, JournalBreakKind, JournalBreakNotice, LocationChange, OrderAnswer,
    OrderLine, PickupLineChange, PickupOrderChange, ProductChange, PromotionChange,
    QuarantinedEvent, RecallChange, SaleRef, StaffCallChange, StaffChange, StockAnswer,
    StockChange, StockLevelChange,
};
use super::wire::all;
use crate::domain::pickup::Units;
use crate::store::facts::ReturnedSale;
use crate::store::received::{
    BreakKind, Conflict, CustomerMerge, HeardCredit, JournalBreak, OnlineOrder, OnlineOrderLine,
    Pulled, PulledCustomer, PulledLocation, PulledPage, PulledPickupOrder, PulledProduct,
    PulledPromotion, PulledRecall, PulledStaff, Refusal, StaffCall, StockLevel, StockLevels,
};

impl From<ChangesPage> for PulledPage {
    fn from(page: ChangesPage) -> Self {
        // `more` and `remaining` steer the pull loop and its progress bar; the store keeps the
        // changes and the cursor only.
        let ChangesPage {
            cursor,
            more: _,
            remaining: _,
            changes,
        } = page;
        PulledPage {
            cursor,
            changes: changes.into_iter().filter_map(pulled).collect(),
        }
    }
}

/// The store's record of `change`; `None` for a change of a kind this build does not know (a
/// newer central's), which is skipped, never fatal.
fn pulled(change: Change) -> Option<Pulled> {
    Some(match change {
        Change::Location(c) => Pulled::Location(c.into()),
        Change::Product(c) => Pulled::Product(c.into()),
        Change::Stock(c) => Pulled::Stock(c.into()),
        Change::Staff(c) => Pulled::Staff(c.into()),
        Change::Customer(c) => Pulled::Customer(c.into()),
        Change::PickupOrder(c) => Pulled::PickupOrder(c.into()),
        Change::CustomerMerged(c) => Pulled::CustomerMerged(c.into()),
        Change::CustomerErased(CustomerErasedChange { id }) => Pulled::CustomerErased { id },
        Change::Recall(c) => Pulled::Recall(c.into()),
        Change::Promotion(c) => Pulled::Promotion(c.into()),
        Change::Conflict(c) => Pulled::Conflict(c.into()),
        Change::StaffCall(c) => Pulled::StaffCall(c.into()),
        Change::Unknown => return None,
    })
}

impl From<LocationChange> for PulledLocation {
    fn from(change: LocationChange) -> Self {
        let LocationChange { code, name, kind } = change;
        PulledLocation { code, name, kind }
    }
}

impl From<ProductChange> for PulledProduct {
    fn from(change: ProductChange) -> Self {
        let ProductChange {
            gtin,
            name,
            brand,
            category,
            price_cents,
            vat_bp,
            price_unit,
            in_store_item_code,
            stock,
        } = change;
        PulledProduct {
            gtin,
            name,
            brand,
            category,
            price_cents,
            vat_bp,
            price_unit,
            in_store_item_code,
            stock: all(stock),
        }
    }
}

impl From<StockChange> for StockLevels {
    fn from(change: StockChange) -> Self {
        let StockChange { gtin, levels } = change;
        StockLevels {
            gtin,
            levels: all(levels),
        }
    }
}

/// Fresh network stock, fetched on demand, is kept as a pulled stock change is.
impl From<StockAnswer> for StockLevels {
    fn from(answer: StockAnswer) -> Self {
        let StockAnswer { gtin, levels } = answer;
        StockLevels {
            gtin,
            levels: all(levels),
        }
    }
}

impl From<StockLevelChange> for StockLevel {
    fn from(change: StockLevelChange) -> Self {
        let StockLevelChange {
            location,
            qty,
            as_of,
        } = change;
        StockLevel {
            location,
            qty,
            as_of,
        }
    }
}

impl From<StaffChange> for PulledStaff {
    fn from(change: StaffChange) -> Self {
        let StaffChange {
            login,
            display_name,
            role,
            pin_hash,
            active,
        } = change;
        PulledStaff {
            login,
            display_name,
            role,
            pin_hash,
            active,
        }
    }
}

impl From<CustomerChange> for PulledCustomer {
    fn from(change: CustomerChange) -> Self {
        let CustomerChange {
            id,
            first_name,
            last_name,
            email,
            phone,
            loyalty_points,
            tier,
            updated_at,
        } = change;
        PulledCustomer {
            id,
            first_name,
            last_name,
            email,
            phone,
            loyalty_points,
            tier,
            updated_at,
        }
    }
}

impl From<PickupOrderChange> for PulledPickupOrder {
    fn from(change: PickupOrderChange) -> Self {
        let PickupOrderChange {
            id,
            store,
            customer,
            status,
            created_at,
            lines,
            customer_first_name,
            handed,
            conflict,
            conflict_kind,
            conflict_counters,
        } = change;
        PulledPickupOrder {
            id,
            store,
            customer,
            status,
            created_at,
            lines: units(lines),
            customer_first_name,
            handed: units(handed),
            conflict,
            conflict_kind,
            conflict_counters,
        }
    }
}

/// The domain's units of a pickup line (both crates are foreign here, hence a function).
fn units(lines: Vec<PickupLineChange>) -> Vec<Units> {
    lines
        .into_iter()
        .map(|PickupLineChange { gtin, quantity }| Units { gtin, quantity })
        .collect()
}

impl From<CustomerMergedChange> for CustomerMerge {
    fn from(change: CustomerMergedChange) -> Self {
        let CustomerMergedChange { local_id, id } = change;
        CustomerMerge { local_id, id }
    }
}

impl From<RecallChange> for PulledRecall {
    fn from(change: RecallChange) -> Self {
        let RecallChange {
            id,
            gtin,
            lot,
            reason,
            created_at,
            ended_at,
        } = change;
        PulledRecall {
            id,
            gtin,
            lot,
            reason,
            created_at,
            ended_at,
        }
    }
}

impl From<PromotionChange> for PulledPromotion {
    fn from(change: PromotionChange) -> Self {
        let PromotionChange {
            id,
            rule,
            created_at,
            ended_at,
        } = change;
        PulledPromotion {
            id,
            rule,
            created_at,
            ended_at,
        }
    }
}

impl From<ConflictChange> for Conflict {
    fn from(change: ConflictChange) -> Self {
        let ConflictChange {
            id,
            kind,
            subject,
            counters,
            at,
        } = change;
        Conflict {
            id,
            kind,
            subject,
            counters,
            at,
        }
    }
}

/// A call for a seller, pulled or answered by the central to this terminal's own call.
impl From<StaffCallChange> for StaffCall {
    fn from(change: StaffCallChange) -> Self {
        let StaffCallChange {
            id,
            terminal,
            at,
            gtin,
            answered_by,
            answered_at,
        } = change;
        StaffCall {
            id,
            terminal,
            at,
            gtin,
            answered_by,
            answered_at,
        }
    }
}

impl From<QuarantinedEvent> for Refusal {
    fn from(event: QuarantinedEvent) -> Self {
        let QuarantinedEvent { seq, reason } = event;
        Refusal { seq, reason }
    }
}

impl From<CreditAnswer> for HeardCredit {
    fn from(answer: CreditAnswer) -> Self {
        // The terminal keeps what it may spend and whether it is in conflict; what was issued,
        // when and to whom are the central's to show.
        let CreditAnswer {
            code,
            kind,
            issued_cents: _,
            balance_cents,
            customer: _,
            issued_at: _,
            conflict,
        } = answer;
        HeardCredit {
            code,
            kind,
            balance_cents,
            conflict,
        }
    }
}

/// The in-store sale a return names, as the central's lookup answered it (the push direction
/// maps it back in `wire`).
impl From<SaleRef> for ReturnedSale {
    fn from(sale: SaleRef) -> Self {
        let SaleRef { store, ticket } = sale;
        ReturnedSale { store, ticket }
    }
}

impl From<OrderAnswer> for OnlineOrder {
    fn from(answer: OrderAnswer) -> Self {
        let OrderAnswer {
            id,
            customer,
            status,
            store,
            created_at,
            paid_with,
            lines,
        } = answer;
        OnlineOrder {
            id,
            customer,
            status,
            store,
            created_at,
            paid_with,
            lines: all(lines),
        }
    }
}

impl From<OrderLine> for OnlineOrderLine {
    fn from(line: OrderLine) -> Self {
        let OrderLine {
            gtin,
            name,
            quantity,
            amount_cents,
            vat_bp,
            returned,
        } = line;
        OnlineOrderLine {
            gtin,
            name,
            quantity,
            amount_cents,
            vat_bp,
            returned,
        }
    }
}

impl From<JournalBreakNotice> for JournalBreak {
    fn from(notice: JournalBreakNotice) -> Self {
        let JournalBreakNotice {
            id,
            sequence,
            kind,
            ticket,
            detected_at,
            acknowledged_at,
        } = notice;
        JournalBreak {
            id,
            sequence,
            kind: kind.into(),
            ticket,
            detected_at,
            acknowledged_at,
        }
    }
}

impl From<JournalBreakKind> for BreakKind {
    fn from(kind: JournalBreakKind) -> Self {
        match kind {
            JournalBreakKind::Altered => BreakKind::Altered,
            JournalBreakKind::Gap => BreakKind::Gap,
            JournalBreakKind::Unlinked => BreakKind::Unlinked,
            JournalBreakKind::Rewritten => BreakKind::Rewritten,
            JournalBreakKind::TicketReused => BreakKind::TicketReused,
            JournalBreakKind::Other => BreakKind::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn page_of(json: serde_json::Value) -> PulledPage {
        let page: ChangesPage = serde_json::from_value(json).expect("a page");
        page.into()
    }

    fn level(location: &str, qty: i64, as_of: i64) -> StockLevel {
        StockLevel {
            location: location.into(),
            qty,
            as_of,
        }
    }

    /// The protocol's golden page of changes, as the store receives it.
    #[test]
    fn the_golden_page_arrives_whole() {
        let page: ChangesPage = serde_json::from_str(include_str!(
            "../../crates/protocol/golden/changes_page.json"
        ))
        .expect("golden JSON");
        let gtin = "03760000000017";
        assert_eq!(
            PulledPage::from(page),
            PulledPage {
                cursor: 1207,
                changes: vec![
                    Pulled::Location(PulledLocation {
                        code: "LYO-01".into(),
                        name: "Lyon Part-Dieu".into(),
                        kind: "store".into(),
                    }),
                    Pulled::Product(PulledProduct {
                        gtin: gtin.into(),
                        name: "Pull laine mérinos bleu nuit".into(),
                        brand: "Trekko".into(),
                        category: "Textile".into(),
                        price_cents: 4990,
                        vat_bp: 2000,
                        price_unit: "each".into(),
                        in_store_item_code: None,
                        stock: vec![level("PAR-01", 12, 1_796_032_000)],
                    }),
                    Pulled::Stock(StockLevels {
                        gtin: gtin.into(),
                        levels: vec![level("LYO-01", 3, 1_796_032_700)],
                    }),
                    Pulled::Staff(PulledStaff {
                        login: "camille".into(),
                        display_name: "Camille Martin".into(),
                        role: "seller".into(),
                        pin_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
                            .into(),
                        active: true,
                    }),
                    Pulled::StaffCall(StaffCall {
                        id: "9c1e2d3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f".into(),
                        terminal: "B01".into(),
                        at: 1_796_032_750,
                        gtin: Some(gtin.into()),
                        answered_by: Some("camille".into()),
                        answered_at: Some(1_796_032_790),
                    }),
                ],
            }
        );
    }

    /// Every other kind keeps each of its fields; a newer central's kind is skipped and the
    /// page's cursor still moves.
    #[test]
    fn every_kind_arrives_and_an_unknown_one_is_skipped() {
        let rule = json!({"id": "SOLDES", "offer": {"kind": "percent_off"}});
        let page = page_of(json!({
            "cursor": 9, "more": true, "remaining": 40,
            "changes": [
                {"type": "customer", "id": "C-1", "first_name": "Léa", "last_name": "Roux",
                 "email": "lea@example.org", "phone": null, "loyalty_points": 120,
                 "tier": "gold", "updated_at": 50},
                {"type": "pickup_order", "id": "W-1", "store": "PAR-01", "customer": "C-1",
                 "status": "conflict", "created_at": 60,
                 "lines": [{"gtin": "03760000000017", "quantity": 2}],
                 "customer_first_name": "Léa",
                 "handed": [{"gtin": "03760000000017", "quantity": 1}],
                 "conflict": "handed over at T01 and T02", "conflict_kind": "handed_twice",
                 "conflict_counters": ["T01", "T02"]},
                {"type": "a_kind_from_a_newer_central", "whatever": 1},
                {"type": "customer_merged", "local_id": "L-1", "id": "C-1"},
                {"type": "customer_erased", "id": "C-2"},
                {"type": "recall", "id": 4, "gtin": "03760000000017", "lot": "L42",
                 "reason": "Listeria", "created_at": 70, "ended_at": 80},
                {"type": "promotion", "id": "SOLDES", "rule": rule, "created_at": 90},
                {"type": "conflict", "id": 5, "kind": "double_spend", "subject": "AV-1",
                 "counters": ["PAR-01/T01", "LYO-01/T02"], "at": 100}
            ]
        }));
        let units = |quantity| {
            vec![Units {
                gtin: "03760000000017".into(),
                quantity,
            }]
        };
        assert_eq!(
            page,
            PulledPage {
                cursor: 9,
                changes: vec![
                    Pulled::Customer(PulledCustomer {
                        id: "C-1".into(),
                        first_name: "Léa".into(),
                        last_name: "Roux".into(),
                        email: Some("lea@example.org".into()),
                        phone: None,
                        loyalty_points: 120,
                        tier: "gold".into(),
                        updated_at: 50,
                    }),
                    Pulled::PickupOrder(PulledPickupOrder {
                        id: "W-1".into(),
                        store: "PAR-01".into(),
                        customer: "C-1".into(),
                        status: "conflict".into(),
                        created_at: 60,
                        lines: units(2),
                        customer_first_name: Some("Léa".into()),
                        handed: units(1),
                        conflict: Some("handed over at T01 and T02".into()),
                        conflict_kind: Some("handed_twice".into()),
                        conflict_counters: vec!["T01".into(), "T02".into()],
                    }),
                    Pulled::CustomerMerged(CustomerMerge {
                        local_id: "L-1".into(),
                        id: "C-1".into(),
                    }),
                    Pulled::CustomerErased { id: "C-2".into() },
                    Pulled::Recall(PulledRecall {
                        id: 4,
                        gtin: "03760000000017".into(),
                        lot: Some("L42".into()),
                        reason: "Listeria".into(),
                        created_at: 70,
                        ended_at: Some(80),
                    }),
                    Pulled::Promotion(PulledPromotion {
                        id: "SOLDES".into(),
                        rule,
                        created_at: 90,
                        ended_at: None,
                    }),
                    Pulled::Conflict(Conflict {
                        id: 5,
                        kind: "double_spend".into(),
                        subject: "AV-1".into(),
                        counters: vec!["PAR-01/T01".into(), "LYO-01/T02".into()],
                        at: 100,
                    }),
                ],
            }
        );
    }

    #[test]
    fn fresh_stock_is_kept_as_pulled_stock_is() {
        let answer: StockAnswer = serde_json::from_value(json!({
            "gtin": "03760000000017",
            "levels": [{"location": "LYO-01", "qty": 3, "as_of": 1_796_032_700}]
        }))
        .expect("an answer");
        assert_eq!(
            StockLevels::from(answer),
            StockLevels {
                gtin: "03760000000017".into(),
                levels: vec![level("LYO-01", 3, 1_796_032_700)],
            }
        );
    }

    /// The cache of online orders held the protocol's answer as JSON before the store had its own
    /// type: both write the same JSON, and a row of the old form reads as the same order.
    #[test]
    fn an_online_order_is_cached_as_the_protocols_answer_was() {
        let cached = json!({
            "id": "W-7", "customer": "C-1", "status": "delivered", "store": null,
            "created_at": 1_796_032_800, "paid_with": "card",
            "lines": [{"gtin": "03760000000017", "name": "Pull", "quantity": 2,
                       "amount_cents": 9980, "vat_bp": 2000, "returned": 1}]
        });
        let answer: OrderAnswer = serde_json::from_value(cached.clone()).expect("an answer");
        let order = OnlineOrder::from(answer.clone());
        assert_eq!(
            serde_json::to_value(&order).expect("JSON"),
            serde_json::to_value(&answer).expect("JSON")
        );
        let old_row: OnlineOrder = serde_json::from_value(cached).expect("an old row");
        assert_eq!(old_row, order);
        assert_eq!(order.lines[0].returned, 1);
    }

    /// The last sync's journal breaks were kept as the protocol's notices in JSON before the
    /// store had its own type: both write the same JSON, and the old form reads as the same
    /// breaks, a kind unknown here included.
    #[test]
    fn journal_breaks_are_kept_as_the_protocols_notices_were() {
        let kept = json!([
            {"id": 4, "sequence": 8, "kind": "rewritten", "ticket": null,
             "detected_at": 1_796_032_800, "acknowledged_at": null},
            {"id": 5, "sequence": null, "kind": "ticket_reused", "ticket": "T01-000042",
             "detected_at": 1_796_032_900, "acknowledged_at": 1_796_033_000},
            {"id": 6, "sequence": 9, "kind": "gap", "ticket": null,
             "detected_at": 1_796_033_100, "acknowledged_at": null},
            {"id": 7, "sequence": 1, "kind": "altered", "ticket": null,
             "detected_at": 1_796_033_200, "acknowledged_at": null},
            {"id": 8, "sequence": 2, "kind": "unlinked", "ticket": null,
             "detected_at": 1_796_033_300, "acknowledged_at": null}
        ]);
        let notices: Vec<JournalBreakNotice> =
            serde_json::from_value(kept.clone()).expect("notices");
        let breaks: Vec<JournalBreak> = all(notices.clone());
        assert_eq!(
            serde_json::to_value(&breaks).expect("JSON"),
            serde_json::to_value(&notices).expect("JSON")
        );
        let old_form: Vec<JournalBreak> = serde_json::from_value(kept).expect("the old form");
        assert_eq!(old_form, breaks);
        assert_eq!(breaks[1].kind, BreakKind::TicketReused);

        let newer: JournalBreak = serde_json::from_value(json!(
            {"id": 9, "kind": "a_newer_kind", "detected_at": 1}
        ))
        .expect("a newer kind");
        assert_eq!(newer.kind, BreakKind::Other);
        assert_eq!(
            BreakKind::from(JournalBreakKind::parse("a_newer_kind")),
            BreakKind::Other
        );
    }
}
