//! The pickup counter from the command line, offline, on the demo store (whose click-and-collect
//! orders and pickup codes come from the demo chain): codes refused with the right reason,
//! partial and complete handovers, returns with stock, journal and refund, orders for what is not
//! on the shelf.

use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::sync::protocol::EventKind;

use crate::util::{assert_success, comptoir, json_of, seeded_db};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn order_lines(db: &std::path::Path, id: &str) -> Vec<(String, i64)> {
    let store = Store::open(db).expect("open");
    let order = store.pickup_order(id).expect("read").expect("a demo order");
    order
        .lines
        .iter()
        .map(|u| (u.gtin.clone(), u.quantity))
        .collect()
}

#[test]
fn pickup_codes_are_refused_with_the_reason() {
    let db = seeded_db(300);
    let verify = |code: &str| {
        comptoir(&db.path)
            .args(["pickup", "verify", "--json", code])
            .output()
            .expect("verify")
    };
    let genuine = verify(&demo::demo_pickup_code("CC900001", "PAR-01", now() + 3_600));
    assert_success(&genuine);
    assert_eq!(json_of(&genuine)["order_id"], "CC900001");
    let text = comptoir(&db.path)
        .args([
            "pickup",
            "verify",
            &demo::demo_pickup_code("CC900002", "PAR-01", now() + 60),
        ])
        .output()
        .expect("verify");
    assert_success(&text);
    assert_eq!(String::from_utf8_lossy(&text.stdout).trim(), "CC900002");

    let genuine_code = demo::demo_pickup_code("CC900001", "PAR-01", now() + 3_600);
    let mut altered: Vec<char> = genuine_code.chars().collect();
    altered[9] = if altered[9] == 'Q' { 'R' } else { 'Q' };
    let altered: String = altered.into_iter().collect();
    for (code, reason) in [
        (
            demo::demo_pickup_code("CC900001", "PAR-01", now() - 10),
            "expired",
        ),
        (
            demo::demo_pickup_code("CC000003", "LYO-01", now() + 3_600),
            "other_store",
        ),
        (
            demo::demo_pickup_code("CC999999", "PAR-01", now() + 3_600),
            "unknown_order",
        ),
        (altered, "forged"),
    ] {
        let output = verify(&code);
        assert_eq!(output.status.code(), Some(1), "{reason}");
        let json = json_of(&output);
        assert_eq!(json["valid"], false);
        assert_eq!(json["reason"], reason);
        assert!(!json["message"].as_str().expect("message").is_empty());
    }
}

#[test]
fn an_order_is_handed_over_in_part_then_whole_and_never_twice() {
    let db = seeded_db(300);
    // An order of several units, so that a part can be handed over.
    let (id, lines) = demo::pickup_orders_here(300)
        .into_iter()
        .map(|o| (o.id.clone(), order_lines(&db.path, &o.id)))
        .find(|(_, lines)| lines.iter().map(|(_, q)| q).sum::<i64>() >= 2)
        .expect("a demo order of two units or more");
    let (first_gtin, _) = &lines[0];
    let part = comptoir(&db.path)
        .args([
            "pickup",
            "handover",
            &id,
            "--lines",
            &format!("{first_gtin}*1"),
            "--json",
        ])
        .output()
        .expect("handover");
    assert_success(&part);
    let part = json_of(&part);
    assert_eq!(part["complete"], false);
    let listed = json_of(
        &comptoir(&db.path)
            .args(["pickup", "list", "--json"])
            .output()
            .expect("list"),
    );
    let shown = listed
        .as_array()
        .expect("orders")
        .iter()
        .find(|o| o["id"] == id.as_str())
        .expect("still listed");
    assert_eq!(shown["status"], "partly_handed_over");
    let ordered: i64 = lines.iter().map(|(_, q)| q).sum();
    assert_eq!(shown["left"], ordered - 1);

    // A product the order does not have is refused; the rest goes; a third time is refused.
    let wrong = comptoir(&db.path)
        .args(["pickup", "handover", &id, "--lines", "4006381333931*1"])
        .output()
        .expect("handover");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("not in this order"));
    let rest = comptoir(&db.path)
        .args(["pickup", "handover", &id, "--json"])
        .output()
        .expect("handover");
    assert_success(&rest);
    assert_eq!(json_of(&rest)["complete"], true);
    let again = comptoir(&db.path)
        .args(["pickup", "handover", &id])
        .output()
        .expect("handover");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already handed over"));
    let unknown = comptoir(&db.path)
        .args(["pickup", "handover", "CC123456"])
        .output()
        .expect("handover");
    assert_eq!(unknown.status.code(), Some(1));

    // Two handovers, two events for the central (exactly once each, by their UUID).
    let store = Store::open(&db.path).expect("open");
    let handovers: Vec<_> = comptoir::sync::wire::pending_outbox(&store, 100)
        .expect("outbox")
        .into_iter()
        .filter(|e| e.kind == EventKind::Handover)
        .collect();
    assert_eq!(handovers.len(), 2);
    assert_eq!(handovers[1].payload["complete"], true);
    assert_eq!(handovers[0].payload["staff"], "cli");
}

#[test]
fn a_collected_order_is_returned_once_with_stock_journal_and_refund() {
    let db = seeded_db(300);
    let id = "CC900004";
    assert_success(
        &comptoir(&db.path)
            .args(["pickup", "handover", id])
            .output()
            .expect("handover"),
    );
    let lines = order_lines(&db.path, id);
    let (gtin, _) = &lines[0];
    let stock_before = json_of(
        &comptoir(&db.path)
            .args(["product", "--json", gtin])
            .output()
            .expect("product"),
    )["stock"]["here"]
        .as_i64()
        .expect("stock here");
    let returned = comptoir(&db.path)
        .args([
            "return",
            id,
            &format!("{gtin}*1"),
            "--refund",
            "credit",
            "--json",
        ])
        .output()
        .expect("return");
    assert_success(&returned);
    let returned = json_of(&returned);
    assert_eq!(returned["ticket"], "T01-R000001");
    assert_eq!(returned["refund"], "credit");
    assert!(
        returned["credit_code"]
            .as_str()
            .expect("credit")
            .starts_with("AV-")
    );
    let product = Store::open(&db.path)
        .expect("open")
        .product(&comptoir::domain::gtin::Gtin::parse(gtin).expect("gtin"))
        .expect("read")
        .expect("product");
    assert_eq!(returned["refund_cents"], product.price.get());
    let stock_after = json_of(
        &comptoir(&db.path)
            .args(["product", "--json", gtin])
            .output()
            .expect("product"),
    )["stock"]["here"]
        .as_i64()
        .expect("stock here");
    assert_eq!(
        stock_after,
        stock_before + 1,
        "the unit is back on the shelf"
    );

    // The same unit again: refused, nothing written. What is left of the order still goes back.
    let quantity = lines[0].1;
    let twice = comptoir(&db.path)
        .args([
            "return",
            id,
            &format!("{gtin}*{quantity}"),
            "--refund",
            "card",
        ])
        .output()
        .expect("return");
    assert_eq!(twice.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already returned: 1"));
    let drawer_cash = || {
        json_of(
            &comptoir(&db.path)
                .args(["drawer", "report", "--json"])
                .output()
                .expect("drawer report"),
        )["expected_cash_cents"]
            .as_i64()
            .expect("expected cash")
    };
    let cash_before = drawer_cash();
    let rest = comptoir(&db.path)
        .args(["return", id, "--refund", "cash", "--json"])
        .output()
        .expect("return");
    assert_success(&rest);
    assert_eq!(json_of(&rest)["ticket"], "T01-R000002");
    // Issue 16: a cash refund leaves the drawer.
    let refunded = json_of(&rest)["refund_cents"].as_i64().expect("refund");
    assert!(refunded > 0);
    assert_eq!(drawer_cash(), cash_before - refunded);
    let nothing_left = comptoir(&db.path)
        .args(["return", id, "--refund", "cash"])
        .output()
        .expect("return");
    assert_eq!(nothing_left.status.code(), Some(1));

    // The journal holds both returns and stays intact; the day's closing counts them.
    assert_success(
        &comptoir(&db.path)
            .args(["journal", "verify"])
            .output()
            .expect("verify"),
    );
    let closing = json_of(
        &comptoir(&db.path)
            .args(["close", "day", "--json"])
            .output()
            .expect("close"),
    );
    let total: i64 = lines
        .iter()
        .map(|(g, q)| {
            Store::open(&db.path)
                .expect("open")
                .product(&comptoir::domain::gtin::Gtin::parse(g).expect("gtin"))
                .expect("read")
                .expect("product")
                .price
                .get()
                * q
        })
        .sum();
    assert_eq!(closing["total_cents"], -total, "{closing}");
    let store = Store::open(&db.path).expect("open");
    let returns = comptoir::sync::wire::pending_outbox(&store, 100)
        .expect("outbox")
        .into_iter()
        .filter(|e| e.kind == EventKind::Return)
        .count();
    assert_eq!(returns, 2);
}

#[test]
fn a_product_is_ordered_for_a_customer_with_an_order_number() {
    let db = seeded_db(300);
    let customer = demo::customer(3);
    let ordered = comptoir(&db.path)
        .args([
            "order",
            demo::product(5).gtin.as_str(),
            "--customer",
            &customer.public_id,
        ])
        .args(["--deliver", "home", "--json"])
        .output()
        .expect("order");
    assert_success(&ordered);
    let ordered = json_of(&ordered);
    assert_eq!(ordered["order_number"], "EA-PAR-01-T01-000001");
    assert_eq!(ordered["delivery"], "home");
    let store = Store::open(&db.path).expect("open");
    let events: Vec<_> = comptoir::sync::wire::pending_outbox(&store, 100)
        .expect("outbox")
        .into_iter()
        .filter(|e| e.kind == EventKind::AisleOrder)
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].payload["customer"], customer.public_id);
    let nobody = comptoir(&db.path)
        .args([
            "order",
            demo::product(5).gtin.as_str(),
            "--customer",
            "CPTL1:xx.yy",
        ])
        .args(["--deliver", "home"])
        .output()
        .expect("order");
    assert_eq!(nobody.status.code(), Some(1));
}
