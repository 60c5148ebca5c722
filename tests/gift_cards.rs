//! Gift cards (issue 16, item 4) through the real `comptoir` binary, real SQLite files and the
//! real central on loopback: sold in cash in Paris (no VAT, in the drawer's expected cash),
//! issued at the central after the sync, part of a sale in Lyon paid with it, the refusals that
//! write nothing, and its journal entry caught by `journal verify` when tampered.

use std::path::Path;
use std::process::Output;

use comptoir::domain::demo;
use rusqlite::Connection;
use serde_json::Value;

use crate::sync::{RunningCentral, central_dir, enrolled_terminal, enrolled_terminal_at, sync};
use crate::util::{assert_success, central_json, comptoir, json_of};

fn at(db: &Path, store: &str, args: &[&str]) -> Output {
    comptoir(db)
        .env("COMPTOIR_STORE_CODE", store)
        .args(args)
        .output()
        .expect("comptoir")
}

fn json_at(db: &Path, store: &str, args: &[&str]) -> Value {
    let output = at(db, store, args);
    assert_success(&output);
    json_of(&output)
}

fn journal_len(db: &Path) -> i64 {
    let conn = Connection::open(db).expect("open");
    conn.query_row("SELECT count(*) FROM journal_entry", [], |row| row.get(0))
        .expect("count")
}

#[test]
fn a_gift_card_sold_in_paris_pays_part_of_a_sale_in_lyon() {
    let data = central_dir(200);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let url = central.url();
    let paris = enrolled_terminal(data.path(), &url);
    let lyon = enrolled_terminal_at(data.path(), &url, "LYO-01");
    let here = demo::HERE_CODE;

    assert_success(&at(&paris.path, here, &["drawer", "float", "100"]));
    let sold = json_at(
        &paris.path,
        here,
        &["gift-card", "sell", "50", "--pay", "cash", "--json"],
    );
    let code = sold["code"].as_str().expect("code").to_owned();
    assert!(code.starts_with("KDO-") && code.len() == 18, "{code}");
    assert_eq!(sold["ticket"], "T01-G000001");
    assert_eq!(sold["amount_cents"], 5000);

    // Money taken, not turnover: in the drawer, not in the VAT or the tickets.
    let x = json_at(&paris.path, here, &["drawer", "report", "--json"]);
    assert_eq!(x["gift_cards_sold_cents"], 5000);
    assert_eq!(x["gift_cards_cash_cents"], 5000);
    assert_eq!(x["expected_cash_cents"], 15_000);
    assert_eq!(x["ticket_count"], 0);
    assert_eq!(x["total_cents"], 0);
    assert_eq!(x["vat"], serde_json::json!([]));

    // Spendable here at once, at the central after the sync.
    let known = json_at(&paris.path, here, &["credit", "show", &code, "--json"]);
    assert_eq!(known["kind"], "gift_card");
    assert_eq!(known["balance_cents"], 5000);
    assert_success(&sync(&paris.path, None));
    let issued = central_json(data.path(), &["credit", "show", &code, "--json"]);
    assert_eq!(issued["kind"], "gift_card");
    assert_eq!(issued["issued_cents"], 5000);
    assert_eq!(issued["balance_cents"], 5000);

    // In Lyon it pays 50 € of a larger sale; the card pays the rest.
    let product = demo::product(5);
    let quantity = 5000 / product.price.get() + 1;
    let total = product.price.get() * quantity;
    let sale = json_at(
        &lyon.path,
        "LYO-01",
        &[
            "sell",
            &format!("{}*{quantity}", product.gtin.as_str()),
            "--pay",
            "credit",
            "--credit",
            &code,
            "--pay",
            "card",
            "--json",
        ],
    );
    let paid = |method: &str| {
        sale["payments"]
            .as_array()
            .expect("payments")
            .iter()
            .filter(|p| p["method"] == method)
            .map(|p| p["amount_cents"].as_i64().expect("amount"))
            .sum::<i64>()
    };
    assert_eq!(paid("credit"), 5000, "{sale:#}");
    assert_eq!(paid("card"), total - 5000, "{sale:#}");
    assert_success(&sync(&lyon.path, None));
    let spent = central_json(data.path(), &["credit", "show", &code, "--json"]);
    assert_eq!(spent["balance_cents"], 0);

    // Its journal entry is in the chain: intact, then caught once its amount is changed.
    assert_success(&at(&paris.path, here, &["journal", "verify"]));
    let conn = Connection::open(&paris.path).expect("open");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
    crate::util::drop_append_only_triggers(&conn);
    let changed = conn
        .execute(
            "UPDATE journal_entry SET total_cents = 500 WHERE detail LIKE 'gift_card_sold%'",
            [],
        )
        .expect("tamper");
    assert_eq!(changed, 1);
    drop(conn);
    let verify = at(&paris.path, here, &["journal", "verify", "--json"]);
    assert_eq!(verify.status.code(), Some(1));
    assert_eq!(json_of(&verify)["intact"], false);
}

#[test]
fn a_gift_card_refused_writes_nothing() {
    let data = central_dir(50);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let paris = enrolled_terminal(data.path(), &central.url());
    let here = demo::HERE_CODE;
    let before = journal_len(&paris.path);
    for (args, status) in [
        (vec!["gift-card", "sell", "2", "--pay", "cash"], 2),
        (vec!["gift-card", "sell", "2000", "--pay", "card"], 2),
        (vec!["gift-card", "sell", "cinquante", "--pay", "card"], 2),
        (vec!["gift-card", "sell", "50", "--pay", "credit"], 2),
    ] {
        let output = at(&paris.path, here, &args);
        assert_eq!(output.status.code(), Some(status), "{args:?}");
        assert!(!output.stderr.is_empty(), "{args:?} says why");
    }
    assert_eq!(journal_len(&paris.path), before);

    // Training mode: a gift card would hold real money.
    assert_success(&at(&paris.path, here, &["training", "on"]));
    let training = journal_len(&paris.path);
    let refused = at(
        &paris.path,
        here,
        &["gift-card", "sell", "50", "--pay", "card", "--json"],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        json_of(&refused)["error"]
            .as_str()
            .is_some_and(|e| e.contains("training"))
    );
    assert_eq!(journal_len(&paris.path), training);
}
