//! `comptoir sell` against a real database file: the ticket it prints is what it recorded.

use comptoir::domain::demo;
use comptoir::store::Store;
use serde_json::Value;

use crate::util::{assert_success, comptoir, json_of, seeded_db, stderr_of};

fn stock_here(db: &std::path::Path, gtin: &str) -> i64 {
    let output = comptoir(db)
        .args(["product", "--json", gtin])
        .output()
        .expect("product");
    assert_success(&output);
    json_of(&output)["stock"]["here"]
        .as_i64()
        .expect("stock here")
}

#[test]
fn a_sale_prints_its_ticket_and_is_recorded_with_its_stock() {
    let db = seeded_db(200);
    let (a, b) = (demo::product(1), demo::product(2));
    let before = (
        stock_here(&db.path, a.gtin.as_str()),
        stock_here(&db.path, b.gtin.as_str()),
    );
    let output = comptoir(&db.path)
        .args([
            "sell",
            &format!("{}*3", a.gtin),
            b.gtin.as_str(),
            "--pay",
            "card",
            "--json",
        ])
        .output()
        .expect("sell");
    assert_success(&output);
    let ticket = json_of(&output);
    assert_eq!(ticket["ticket"], "T01-000001");
    let expected_total = a.price.get() * 3 + b.price.get();
    assert_eq!(ticket["total_cents"], expected_total);
    let lines = ticket["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["quantity"], 3);
    assert_eq!(lines[0]["amount_cents"], a.price.get() * 3);
    let vat_sum: i64 = ticket["vat"]
        .as_array()
        .expect("vat")
        .iter()
        .map(|r| {
            let (base, vat, total) = (
                r["base_cents"].as_i64().unwrap_or(0),
                r["vat_cents"].as_i64().unwrap_or(0),
                r["total_cents"].as_i64().unwrap_or(0),
            );
            assert_eq!(base + vat, total, "{r}");
            total
        })
        .sum();
    assert_eq!(vat_sum, expected_total);
    assert_eq!(ticket["payments"][0]["method"], "card");

    let store = Store::open(&db.path).expect("open");
    assert_eq!(
        store.sale_total("T01-000001").expect("query"),
        Some(expected_total)
    );
    drop(store);
    assert_eq!(stock_here(&db.path, a.gtin.as_str()), before.0 - 3);
    assert_eq!(stock_here(&db.path, b.gtin.as_str()), before.1 - 1);

    let second = comptoir(&db.path)
        .args(["sell", a.gtin.as_str(), "--pay", "cash", "--json"])
        .output()
        .expect("sell again");
    assert_success(&second);
    assert_eq!(json_of(&second)["ticket"], "T01-000002");
}

#[test]
fn nothing_is_written_when_a_code_is_unknown_or_the_cash_is_short() {
    let db = seeded_db(50);
    let known = demo::product(4).gtin;
    let cases: [Vec<&str>; 3] = [
        vec!["sell", known.as_str(), "4006381333931", "--pay", "card"],
        vec!["sell", known.as_str(), "4006381333932", "--pay", "card"],
        vec!["sell", known.as_str(), "--pay", "cash", "--given", "0,01"],
    ];
    for args in cases {
        let output = comptoir(&db.path).args(&args).output().expect("sell");
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            stderr_of(&output).contains("nothing was sold"),
            "{}",
            stderr_of(&output)
        );
    }
    let store = Store::open(&db.path).expect("open");
    assert_eq!(store.sale_count().expect("count"), 0);
}

#[test]
fn cash_gives_change_and_split_pays_both_ways() {
    let db = seeded_db(50);
    let p = demo::product(6);
    let cash = comptoir(&db.path)
        .args([
            "sell",
            p.gtin.as_str(),
            "--pay",
            "cash",
            "--given",
            "1000",
            "--json",
        ])
        .output()
        .expect("sell");
    assert_success(&cash);
    let ticket: Value = json_of(&cash);
    assert_eq!(ticket["change_cents"], 100_000 - p.price.get());

    let split = comptoir(&db.path)
        .args(["sell", p.gtin.as_str(), "--pay", "split", "--json"])
        .output()
        .expect("sell");
    assert_success(&split);
    let ticket: Value = json_of(&split);
    let payments = ticket["payments"].as_array().expect("payments");
    assert_eq!(payments.len(), 2);
    let paid: i64 = payments
        .iter()
        .filter_map(|p| p["amount_cents"].as_i64())
        .sum();
    assert_eq!(paid, p.price.get());
}
