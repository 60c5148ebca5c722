//! Click-and-collect between terminals and the real central on loopback: codes the central signs
//! are checked offline (forged, expired and other-store codes refused), a handover made offline
//! reaches the central once, two counters handing over the same order offline both see the
//! conflict after their sync, and a return of an online order moves stock, journal and central
//! once and is refused a second time.

use std::path::Path;

use comptoir::domain::demo;
use comptoir::domain::signed_code::{PickupClaims, issue_pickup};
use comptoir_central as central;

use crate::sync::{RunningCentral, enrolled_terminal, enrolled_terminal_at, sync};
use crate::util::{assert_success, central_cli, central_json, central_sign, comptoir, json_of};

fn stats(data: &Path) -> serde_json::Value {
    central_json(data, &["stats", "--json"])
}

/// A central seeded with 300 products; its ready orders per store.
fn chain() -> (tempfile::TempDir, central::seed::SeedSummary) {
    let dir = tempfile::tempdir().expect("central dir");
    let summary = central::seed::seed(dir.path(), 300, |_, _| {}).expect("seed");
    (dir, summary)
}

fn order_of(summary: &central::seed::SeedSummary, store: &str) -> String {
    summary
        .pickup_orders
        .iter()
        .find(|o| o.store == store)
        .expect("an order of that store")
        .id
        .clone()
}

fn pickup_list(db: &Path) -> serde_json::Value {
    let output = comptoir(db)
        .args(["pickup", "list", "--json"])
        .output()
        .expect("list");
    assert_success(&output);
    json_of(&output)
}

/// The order `id` in the JSON of `comptoir pickup list --json`.
fn listed(list: &serde_json::Value, id: &str) -> serde_json::Value {
    list.as_array()
        .expect("orders")
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not on the list: {list}"))
        .clone()
}

fn verify(db: &Path, code: &str) -> std::process::Output {
    comptoir(db)
        .args(["pickup", "verify", "--json", code])
        .output()
        .expect("verify")
}

#[test]
fn codes_are_checked_offline_and_a_handover_reaches_the_central_once() {
    let (data, summary) = chain();
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    let here = order_of(&summary, demo::HERE_CODE);
    let code = central_sign(data.path(), "pickup", &here);
    let elsewhere = central_sign(data.path(), "pickup", &order_of(&summary, "LYO-01"));
    // Signed with the central's own key, but already past its expiry.
    let keys = central::keys::SigningKeys::load_or_create(data.path()).expect("keys");
    let expired = issue_pickup(
        &PickupClaims {
            order_id: here.clone(),
            store: demo::HERE_CODE.to_owned(),
            expires_at: chrono::Utc::now().timestamp() - 60,
        },
        |m| keys.sign(m),
    );
    drop(central);

    let genuine = verify(&db.path, &code);
    assert_success(&genuine);
    assert_eq!(json_of(&genuine)["order_id"], here.as_str());
    let forged =
        demo::demo_pickup_code(&here, demo::HERE_CODE, chrono::Utc::now().timestamp() + 60);
    for (bad, reason) in [
        (forged, "forged"),
        (expired, "expired"),
        (elsewhere, "other_store"),
    ] {
        let output = verify(&db.path, &bad);
        assert_eq!(output.status.code(), Some(1), "{reason}");
        assert_eq!(json_of(&output)["reason"], reason);
    }

    // Offline: the handover is recorded here; a second one is refused.
    assert_success(
        &comptoir(&db.path)
            .args(["pickup", "handover", &here])
            .output()
            .expect("handover"),
    );
    let twice = comptoir(&db.path)
        .args(["pickup", "handover", &here])
        .output()
        .expect("handover");
    assert_eq!(twice.status.code(), Some(1));

    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    for _ in 0..2 {
        assert_success(&sync(&db.path, Some(&central.url())));
    }
    let stats = stats(data.path());
    assert_eq!(stats["received"]["handovers"], 1);
    assert_eq!(stats["pickup_conflicts"], 0);
    // The central's word came back: the order is handed over, nothing left.
    let order = listed(&pickup_list(&db.path), &here);
    assert_eq!(order["left"], 0);
    assert_eq!(order["status"], "handed_over");
}

#[test]
fn the_same_order_handed_over_at_two_offline_counters_is_a_conflict_on_both() {
    let (data, summary) = chain();
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let url = central.url();
    let first = enrolled_terminal(data.path(), &url);
    let second = enrolled_terminal(data.path(), &url);
    let order = order_of(&summary, demo::HERE_CODE);
    drop(central);
    for db in [&first, &second] {
        assert_success(
            &comptoir(&db.path)
                .args(["pickup", "handover", &order])
                .output()
                .expect("handover"),
        );
    }
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    for _ in 0..2 {
        for db in [&first, &second] {
            assert_success(&sync(&db.path, Some(&central.url())));
        }
    }
    assert_eq!(stats(data.path())["pickup_conflicts"], 1);
    for db in [&first, &second] {
        let list = pickup_list(&db.path);
        let shown = listed(&list, &order);
        assert_eq!(shown["status"], "conflict", "{shown}");
        assert!(!shown["conflict"].as_str().expect("text").is_empty());
        // Conflicts come first in the list.
        assert_eq!(list[0]["id"], order.as_str());
    }

    // Customer service looks into it and settles it at the central, which is still serving:
    // both counters see the order handed over, with no conflict, after their next sync.
    let settled = central_json(
        data.path(),
        &["settle", &order, "--note", "both bags left", "--json"],
    );
    assert_eq!(settled["status"], "handed_over");
    let again = central_cli(data.path())
        .args(["settle", &order, "--note", "again"])
        .output()
        .expect("settle");
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("no conflict"));
    for db in [&first, &second] {
        assert_success(&sync(&db.path, Some(&central.url())));
        let list = pickup_list(&db.path);
        let shown = listed(&list, &order);
        assert_eq!(shown["status"], "handed_over", "{shown}");
        assert_eq!(shown["conflict"], serde_json::Value::Null);
    }
}

#[test]
fn an_online_order_is_returned_once_with_stock_journal_and_central() {
    let (data, summary) = chain();
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    let order = order_of(&summary, demo::HERE_CODE);
    assert_success(
        &comptoir(&db.path)
            .args(["pickup", "handover", &order])
            .output()
            .expect("handover"),
    );
    assert_success(&sync(&db.path, None));
    let returned = comptoir(&db.path)
        .args(["return", &order, "--refund", "card", "--json"])
        .output()
        .expect("return");
    assert_success(&returned);
    let returned = json_of(&returned);
    assert!(returned["refund_cents"].as_i64().expect("refund") > 0);
    let gtin = returned["lines"][0]["gtin"]
        .as_str()
        .expect("gtin")
        .to_owned();
    let returned_units = returned["lines"][0]["quantity"].as_i64().expect("units");

    // The same line again, here: refused.
    let again = comptoir(&db.path)
        .args(["return", &order, &format!("{gtin}*1"), "--refund", "card"])
        .output()
        .expect("return");
    assert_eq!(again.status.code(), Some(1));
    assert_success(
        &comptoir(&db.path)
            .args(["journal", "verify"])
            .output()
            .expect("verify"),
    );

    let level_before = central_stock(&central, data.path(), &gtin);
    for _ in 0..2 {
        assert_success(&sync(&db.path, None));
    }
    let stats = stats(data.path());
    assert_eq!(stats["received"]["returns"], 1);
    assert_eq!(stats["duplicate_returns"], 0);
    assert_eq!(
        central_stock(&central, data.path(), &gtin),
        level_before + returned_units,
        "the stock is back at this store, once"
    );
    // The central's account of the order says the units came back.
    let db_store = comptoir::store::Store::open(&db.path).expect("open");
    let answer = db_store
        .cached_online_order(&order)
        .expect("read")
        .expect("the order was fetched for the return");
    assert_eq!(answer.id, order);
}

#[test]
fn an_order_taken_here_for_pickup_in_lyon_is_handed_over_at_lyons_counter() {
    let (data, _) = chain();
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let url = central.url();
    let paris = enrolled_terminal(data.path(), &url);
    let lyon = enrolled_terminal_at(data.path(), &url, "LYO-01");
    let in_lyon = |args: &[&str]| {
        comptoir(&lyon.path)
            .env("COMPTOIR_STORE_CODE", "LYO-01")
            .args(args)
            .output()
            .expect("lyon")
    };
    let gtin = demo::product(5).gtin.as_str().to_owned();
    let in_lyon_before = central_stock_at(&central, data.path(), &gtin, "LYO-01");
    let ordered = comptoir(&paris.path)
        .args(["order", &format!("{gtin}*2"), "--deliver", "pickup"])
        .args(["--pickup-store", "LYO-01", "--json"])
        .args(["--customer", &demo::customer(3).public_id])
        .output()
        .expect("order");
    assert_success(&ordered);
    let ordered = json_of(&ordered);
    let number = ordered["order_number"].as_str().expect("number").to_owned();
    let unit = ordered["price_cents"].as_i64().expect("price");
    assert_eq!(ordered["amount_cents"], 2 * unit);
    assert_success(&sync(&paris.path, None));
    assert_eq!(
        central_stock_at(&central, data.path(), &gtin, "LYO-01"),
        in_lyon_before - 2,
        "kept aside in Lyon for the customer"
    );

    // Lyon's next sync brings it to its counter, ready, for the customer to collect.
    assert_success(&sync(&lyon.path, None));
    let shown = listed(&json_of(&in_lyon(&["pickup", "list", "--json"])), &number);
    assert_eq!(shown["status"], "ready");
    assert_eq!(shown["left"], 2);
    let code = central_sign(data.path(), "pickup", &number);
    assert_success(&in_lyon(&["pickup", "verify", &code]));
    assert_eq!(
        verify(&paris.path, &code).status.code(),
        Some(1),
        "not Paris's"
    );
    assert_success(&in_lyon(&["pickup", "handover", &number]));
    assert_success(&sync(&lyon.path, None));
    assert_eq!(stats(data.path())["received"]["handovers"], 1);

    // Brought back in Lyon: one unit is refunded at the price it was sold for.
    let returned = in_lyon(&[
        "return",
        &number,
        &format!("{gtin}*1"),
        "--refund",
        "card",
        "--json",
    ]);
    assert_success(&returned);
    assert_eq!(json_of(&returned)["refund_cents"], unit);
}

/// The central's stock of `gtin` at this store, as its stock endpoint answers.
fn central_stock(central: &RunningCentral, data: &Path, gtin: &str) -> i64 {
    central_stock_at(central, data, gtin, demo::HERE_CODE)
}

/// The central's stock of `gtin` at `location`.
fn central_stock_at(central: &RunningCentral, data: &Path, gtin: &str, location: &str) -> i64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let code = central::enroll_code(data, demo::HERE_CODE)
        .expect("code")
        .code;
    let url = central.url();
    runtime.block_on(async {
        let enrolled = comptoir::sync::client::enroll(&url, &code, "probe")
            .await
            .expect("enroll a probe");
        let client =
            comptoir::sync::client::CentralClient::new(&url, &enrolled.device_id, &enrolled.token)
                .expect("client");
        client
            .stock(gtin)
            .await
            .expect("stock")
            .levels
            .iter()
            .find(|l| l.location == location)
            .map_or(0, |l| l.qty)
    })
}
