//! Returns of in-store sales and store credit (issue 16), through the real `comptoir` binary,
//! real SQLite files and the real central on loopback: a sale in Paris returned in Lyon exactly
//! once, a forged receipt code refused, a double return and a double spend at two offline
//! counters flagged on both, a credit issued in Paris spent in Lyon, a return without a receipt.

use std::path::Path;
use std::process::Output;

use comptoir::domain::demo;

use crate::sync::{RunningCentral, central_dir, enrolled_terminal, enrolled_terminal_at, sync};
use crate::util::{assert_success, central_cli, central_json, comptoir, json_of};

const LYON: &str = "LYO-01";

fn gtin(n: u64) -> String {
    demo::product(n).gtin.as_str().to_owned()
}

/// Runs `comptoir` at `store` with `args`.
fn at(db: &Path, store: &str, args: &[&str]) -> Output {
    comptoir(db)
        .env("COMPTOIR_STORE_CODE", store)
        .args(args)
        .output()
        .expect("comptoir")
}

fn sold(db: &Path, store: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["sell"];
    all.extend_from_slice(args);
    all.push("--json");
    let output = at(db, store, &all);
    assert_success(&output);
    json_of(&output)
}

fn journal_verifies(db: &Path) {
    assert_success(
        &comptoir(db)
            .args(["journal", "verify"])
            .output()
            .expect("verify"),
    );
}

fn address(central: &RunningCentral) -> String {
    central.url().trim_start_matches("http://").to_owned()
}

#[test]
fn a_sale_in_paris_is_returned_in_lyon_exactly_once() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let url = central.url();
    let paris = enrolled_terminal(data.path(), &url);
    let lyon = enrolled_terminal_at(data.path(), &url, LYON);
    let (shirt, honey) = (gtin(5), gtin(6));
    let sale = sold(
        &paris.path,
        demo::HERE_CODE,
        &[&format!("{shirt}*2"), &honey, "--pay", "card"],
    );
    let code = sale["receipt_code"]
        .as_str()
        .expect("a receipt code")
        .to_owned();
    assert!(code.starts_with("CPTR1:PAR-01:T01-"), "{code}");
    // The receipt prints it.
    let ticket = sale["ticket"].as_str().expect("ticket");
    let receipt = comptoir(&paris.path)
        .args(["receipt", ticket, "--text"])
        .output()
        .expect("receipt");
    assert_success(&receipt);
    assert!(String::from_utf8_lossy(&receipt.stdout).contains(&code));
    let unit = sale["lines"][0]["unit_price_cents"]
        .as_i64()
        .expect("price");
    assert_success(&sync(&paris.path, None));

    // A code whose ticket or check was changed is refused in Lyon, and nothing is written.
    let forged = format!("{}0000000000000000", &code[..code.len() - 16]);
    let refused = at(
        &lyon.path,
        LYON,
        &["return-sale", &forged, "--refund", "original", "--json"],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        json_of(&refused)["error"]
            .as_str()
            .expect("error")
            .contains("forged")
    );

    // One shirt back in Lyon, refunded to the card it was paid with.
    let back = at(
        &lyon.path,
        LYON,
        &[
            "return-sale",
            &code,
            &format!("{shirt}*1"),
            "--refund",
            "original",
            "--json",
        ],
    );
    assert_success(&back);
    let back = json_of(&back);
    assert_eq!(back["refund"], "card");
    assert_eq!(back["refund_cents"], unit);
    assert_eq!(back["source"], "central");
    assert!(back["credit_code"].is_null());
    assert!(
        back["ticket"]
            .as_str()
            .expect("ticket")
            .starts_with("T01-R")
    );

    // Two more shirts: only one is left to return, here or anywhere.
    let too_many = at(
        &lyon.path,
        LYON,
        &[
            "return-sale",
            &code,
            &format!("{shirt}*2"),
            "--refund",
            "cash",
            "--json",
        ],
    );
    assert_eq!(too_many.status.code(), Some(1));
    // The rest of the sale, in cash this time.
    let rest = at(
        &lyon.path,
        LYON,
        &["return-sale", &code, "--refund", "cash", "--json"],
    );
    assert_success(&rest);
    assert_eq!(json_of(&rest)["lines"].as_array().expect("lines").len(), 2);
    let again = at(
        &lyon.path,
        LYON,
        &["return-sale", &code, "--refund", "cash"],
    );
    assert_eq!(again.status.code(), Some(1), "nothing is left to return");
    assert_success(&sync(&lyon.path, None));

    // Back in Paris, the central says every unit came back: the ticket typed at the counter
    // returns nothing more.
    let in_paris = at(
        &paris.path,
        demo::HERE_CODE,
        &["return-sale", ticket, "--refund", "original", "--json"],
    );
    assert_eq!(in_paris.status.code(), Some(1));
    let conflicts = central_json(data.path(), &["conflicts", "--json"]);
    assert_eq!(conflicts, serde_json::json!([]), "returned exactly once");
    journal_verifies(&lyon.path);
    journal_verifies(&paris.path);
}

#[test]
fn a_double_return_at_two_offline_counters_is_flagged_on_both() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let (url, addr) = (central.url(), address(&central));
    let paris = enrolled_terminal(data.path(), &url);
    let lyon = enrolled_terminal_at(data.path(), &url, LYON);
    let shirt = gtin(5);
    let sale = sold(&paris.path, demo::HERE_CODE, &[&shirt, "--pay", "cash"]);
    let code = sale["receipt_code"].as_str().expect("code").to_owned();
    assert_success(&sync(&paris.path, None));
    drop(central);

    // Paris takes it back offline from its own record.
    assert_success(&at(
        &paris.path,
        demo::HERE_CODE,
        &["return-sale", &code, "--refund", "cash"],
    ));
    // Lyon cannot check another store's ticket offline: refused, unless a manager takes it
    // back anyway.
    let refused = at(
        &lyon.path,
        LYON,
        &["return-sale", &code, "--refund", "cash", "--json"],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        json_of(&refused)["error"]
            .as_str()
            .expect("error")
            .contains("cannot be asked")
    );
    let seller = at(
        &lyon.path,
        LYON,
        &[
            "return-sale",
            &code,
            &shirt,
            "--refund",
            "credit",
            "--staff",
            "camille",
            "--pin",
            "1234",
        ],
    );
    assert_eq!(seller.status.code(), Some(1), "a seller is not a manager");
    assert_success(&at(
        &lyon.path,
        LYON,
        &[
            "return-sale",
            &code,
            &shirt,
            "--refund",
            "credit",
            "--staff",
            "amelie",
            "--pin",
            "2468",
        ],
    ));

    let central = RunningCentral::start(data.path(), &addr);
    for _ in 0..2 {
        assert_success(&sync(&paris.path, None));
        assert_success(&sync(&lyon.path, None));
    }
    let ticket = sale["ticket"].as_str().expect("ticket");
    for (db, store) in [(&paris.path, demo::HERE_CODE), (&lyon.path, LYON)] {
        let shown = json_of(&at(db, store, &["conflicts", "--json"]));
        let conflicts = shown["conflicts"].as_array().expect("conflicts");
        assert_eq!(conflicts.len(), 1, "{shown}");
        assert_eq!(conflicts[0]["kind"], "double_return");
        assert_eq!(conflicts[0]["subject"], format!("PAR-01 {ticket}"));
        assert_eq!(
            conflicts[0]["counters"],
            serde_json::json!(["PAR-01/T01", "LYO-01/T01"])
        );
    }
    drop(central);
    journal_verifies(&lyon.path);
}

#[test]
fn a_credit_issued_in_paris_pays_part_of_a_sale_in_lyon() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let url = central.url();
    let paris = enrolled_terminal(data.path(), &url);
    let lyon = enrolled_terminal_at(data.path(), &url, LYON);
    let sale = sold(&paris.path, demo::HERE_CODE, &[&gtin(5), "--pay", "card"]);
    let paid = sale["total_cents"].as_i64().expect("total");
    let back = at(
        &paris.path,
        demo::HERE_CODE,
        &[
            "return-sale",
            sale["ticket"].as_str().expect("ticket"),
            "--refund",
            "credit",
            "--json",
        ],
    );
    assert_success(&back);
    let back = json_of(&back);
    let credit = back["credit_code"].as_str().expect("a credit").to_owned();
    assert_eq!(back["refund_cents"], paid);
    // Spendable in Paris at once, offline too: the terminal knows what it issued.
    let here = json_of(&at(
        &paris.path,
        demo::HERE_CODE,
        &["credit", "show", &credit, "--json"],
    ));
    assert_eq!(here["balance_cents"], paid);
    assert_success(&sync(&paris.path, None));

    let shown = json_of(&at(
        &lyon.path,
        LYON,
        &["credit", "show", &credit, "--json"],
    ));
    assert_eq!(shown["code"], credit.as_str());
    assert_eq!(shown["balance_cents"], paid);
    assert_eq!(shown["source"], "central");

    // 5 € of it in Lyon, the card pays the rest.
    let bought = sold(
        &lyon.path,
        LYON,
        &[
            &gtin(7),
            "--pay",
            "credit",
            "--credit",
            &format!("{credit}=5"),
            "--pay",
            "card",
        ],
    );
    let payments = bought["payments"].as_array().expect("payments");
    assert_eq!(payments[0]["method"], "credit");
    assert_eq!(payments[0]["amount_cents"], 500);
    assert_eq!(payments[1]["method"], "card");
    assert_eq!(
        payments[1]["amount_cents"].as_i64().expect("card"),
        bought["total_cents"].as_i64().expect("total") - 500
    );
    // Before Lyon syncs, its own spend is already off the balance it shows.
    let shown = json_of(&at(
        &lyon.path,
        LYON,
        &["credit", "show", &credit, "--json"],
    ));
    assert_eq!(shown["balance_cents"], paid - 500);
    // More than is left is refused, and nothing is sold.
    let too_much = at(
        &lyon.path,
        LYON,
        &[
            "sell",
            &gtin(7),
            "--pay",
            "credit",
            "--credit",
            &format!("{credit}=9999"),
            "--pay",
            "card",
        ],
    );
    assert_eq!(too_much.status.code(), Some(1));
    assert_success(&sync(&lyon.path, None));
    let at_central = central_json(data.path(), &["credit", "show", &credit, "--json"]);
    assert_eq!(at_central["balance_cents"], paid - 500);
    assert_eq!(at_central["issued_cents"], paid);
    assert_eq!(at_central["conflict"], false);
    journal_verifies(&lyon.path);
    drop(central);
}

#[test]
fn a_credit_spent_at_two_offline_counters_is_flagged_on_both() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let (url, addr) = (central.url(), address(&central));
    let paris = enrolled_terminal(data.path(), &url);
    let lyon = enrolled_terminal_at(data.path(), &url, LYON);
    let sale = sold(&paris.path, demo::HERE_CODE, &[&gtin(5), "--pay", "card"]);
    let back = json_of(&at(
        &paris.path,
        demo::HERE_CODE,
        &[
            "return-sale",
            sale["ticket"].as_str().expect("ticket"),
            "--refund",
            "credit",
            "--json",
        ],
    ));
    let credit = back["credit_code"].as_str().expect("credit").to_owned();
    assert_success(&sync(&paris.path, None));
    // Lyon hears of the credit while online.
    assert_success(&at(&lyon.path, LYON, &["credit", "show", &credit]));
    drop(central);

    // Both spend all of it offline, each up to the balance it knows.
    for (db, store) in [(&paris.path, demo::HERE_CODE), (&lyon.path, LYON)] {
        sold(
            db,
            store,
            &[
                &gtin(8),
                "--pay",
                "credit",
                "--credit",
                &credit,
                "--pay",
                "card",
            ],
        );
        let left = json_of(&at(db, store, &["credit", "show", &credit, "--json"]));
        assert_eq!(left["balance_cents"], 0);
        assert_eq!(left["source"], "cache");
        // Nothing more here.
        let again = at(
            db,
            store,
            &["sell", &gtin(8), "--pay", "credit", "--credit", &credit],
        );
        assert_eq!(again.status.code(), Some(1));
    }

    let central = RunningCentral::start(data.path(), &addr);
    for _ in 0..2 {
        assert_success(&sync(&paris.path, None));
        assert_success(&sync(&lyon.path, None));
    }
    for (db, store) in [(&paris.path, demo::HERE_CODE), (&lyon.path, LYON)] {
        let shown = json_of(&at(db, store, &["conflicts", "--json"]));
        let conflicts = shown["conflicts"].as_array().expect("conflicts");
        assert_eq!(conflicts.len(), 1, "{shown}");
        assert_eq!(conflicts[0]["kind"], "double_spend");
        assert_eq!(conflicts[0]["subject"], credit.as_str());
        let flagged = json_of(&at(db, store, &["credit", "show", &credit, "--json"]));
        assert_eq!(flagged["conflict"], true);
    }
    let at_central = central_json(data.path(), &["credit", "show", &credit, "--json"]);
    assert!(at_central["balance_cents"].as_i64().expect("balance") < 0);
    assert_eq!(at_central["conflict"], true);
    drop(central);
}

#[test]
fn a_return_without_a_receipt_needs_a_manager_and_gives_a_credit_at_the_lowest_price() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let paris = enrolled_terminal(data.path(), &central.url());
    let shirt = gtin(5);
    // Sold at 30 % off last week (a manager's discount): that is the lowest price now.
    let sale = sold(
        &paris.path,
        demo::HERE_CODE,
        &[
            &format!("{shirt}~30%"),
            "--reason",
            "article abîmé",
            "--staff",
            "amelie",
            "--pin",
            "2468",
            "--pay",
            "card",
        ],
    );
    let lowest = sale["lines"][0]["amount_cents"].as_i64().expect("amount");
    let seller = at(
        &paris.path,
        demo::HERE_CODE,
        &[
            "return-sale",
            "--no-receipt",
            &shirt,
            "--staff",
            "camille",
            "--pin",
            "1234",
        ],
    );
    assert_eq!(seller.status.code(), Some(1));
    let cash = at(
        &paris.path,
        demo::HERE_CODE,
        &[
            "return-sale",
            "--no-receipt",
            &shirt,
            "--refund",
            "cash",
            "--staff",
            "amelie",
            "--pin",
            "2468",
        ],
    );
    assert_eq!(cash.status.code(), Some(1), "a credit only");
    let back = at(
        &paris.path,
        demo::HERE_CODE,
        &[
            "return-sale",
            "--no-receipt",
            &shirt,
            "--staff",
            "amelie",
            "--pin",
            "2468",
            "--json",
        ],
    );
    assert_success(&back);
    let back = json_of(&back);
    assert_eq!(back["refund"], "credit");
    assert_eq!(back["refund_cents"], lowest);
    assert!(
        back["credit_code"]
            .as_str()
            .expect("credit")
            .starts_with("AV-")
    );
    assert_eq!(back["source"], "no_receipt");
    journal_verifies(&paris.path);
    assert_success(&sync(&paris.path, None));
    let credit = back["credit_code"].as_str().expect("credit");
    let at_central = central_cli(data.path())
        .args(["credit", "show", credit, "--json"])
        .output()
        .expect("central");
    assert_success(&at_central);
    assert_eq!(json_of(&at_central)["balance_cents"], lowest);
}

fn sum_of(payments: &serde_json::Value, method: &str) -> i64 {
    payments
        .as_array()
        .expect("payments")
        .iter()
        .filter(|p| p["method"] == method)
        .map(|p| p["amount_cents"].as_i64().expect("amount"))
        .sum()
}

fn journal_len(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row("SELECT count(*) FROM journal_entry", [], |row| row.get(0))
        .expect("count")
}

#[test]
fn an_exchange_pays_only_the_difference_and_its_figures_add_up() {
    let db = crate::util::seeded_db(100);
    let here = demo::HERE_CODE;
    let (cheap, dear) = {
        let (a, b) = (demo::product(5), demo::product(6));
        if a.price.get() < b.price.get() {
            (a, b)
        } else {
            (b, a)
        }
    };
    let first = sold(
        &db.path,
        here,
        &[&format!("{}*2", cheap.gtin.as_str()), "--pay", "card"],
    );
    let ticket = first["ticket"].as_str().expect("ticket").to_owned();

    // An unknown product for the new goods: nothing is taken back, nothing written.
    let before = journal_len(&db.path);
    let refused = at(
        &db.path,
        here,
        &[
            "exchange",
            &ticket,
            &format!("{}*1", cheap.gtin.as_str()),
            "--for",
            "03760000099996",
            "--pay",
            "card",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(journal_len(&db.path), before);

    // One cheap unit back for the dear one: the customer pays the difference by card.
    let output = at(
        &db.path,
        here,
        &[
            "exchange",
            &ticket,
            &format!("{}*1", cheap.gtin.as_str()),
            "--for",
            dear.gtin.as_str(),
            "--pay",
            "card",
            "--json",
        ],
    );
    assert_success(&output);
    let up = json_of(&output);
    let difference = dear.price.get() - cheap.price.get();
    assert_eq!(up["returned_cents"], cheap.price.get());
    assert_eq!(up["total_cents"], dear.price.get());
    assert_eq!(up["paid_cents"], difference);
    assert_eq!(up["credit_left_cents"], 0);
    let payments = &up["new_sale"]["payments"];
    assert_eq!(sum_of(payments, "credit"), cheap.price.get());
    assert_eq!(sum_of(payments, "card"), difference);
    assert_eq!(
        sum_of(payments, "credit") + sum_of(payments, "card"),
        up["new_sale"]["total_cents"].as_i64().expect("total")
    );
    // One receipt: the new ticket's, with what came back above its articles.
    let receipt = at(
        &db.path,
        here,
        &["receipt", up["ticket"].as_str().expect("ticket"), "--text"],
    );
    assert_success(&receipt);
    let text = String::from_utf8_lossy(&receipt.stdout);
    let return_ticket = up["return_ticket"].as_str().expect("return ticket");
    assert!(text.contains("ÉCHANGE"), "{text}");
    assert!(text.contains(&format!("Reprise {return_ticket}")), "{text}");
    assert!(text.contains(&cheap.name[..10]), "{text}");

    // The other cheap unit (everything still returnable by default) for the same product.
    let same = json_of(&at(
        &db.path,
        here,
        &[
            "exchange",
            &ticket,
            "--for",
            cheap.gtin.as_str(),
            "--pay",
            "card",
            "--json",
        ],
    ));
    assert_eq!(same["returned_cents"], cheap.price.get());
    assert_eq!(same["paid_cents"], 0);
    assert_eq!(same["credit_left_cents"], 0);
    // Everything of the first sale has come back now.
    let again = at(
        &db.path,
        here,
        &[
            "exchange",
            &ticket,
            "--for",
            dear.gtin.as_str(),
            "--pay",
            "card",
        ],
    );
    assert_eq!(again.status.code(), Some(1));

    // The dear one back for a cheap one: the customer keeps the difference on the credit.
    let dear_ticket = sold(&db.path, here, &[dear.gtin.as_str(), "--pay", "cash"])["ticket"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let down = json_of(&at(
        &db.path,
        here,
        &[
            "exchange",
            &dear_ticket,
            "--for",
            cheap.gtin.as_str(),
            "--pay",
            "card",
            "--json",
        ],
    ));
    assert_eq!(down["paid_cents"], 0);
    assert_eq!(down["credit_left_cents"], difference);
    let code = down["credit_code"].as_str().expect("credit code");
    let left = json_of(&at(&db.path, here, &["credit", "show", code, "--json"]));
    assert_eq!(left["balance_cents"], difference);

    // The X report: what was sold, less what came back, tickets and returns alike.
    let x = json_of(&at(&db.path, here, &["drawer", "report", "--json"]));
    let sold_cents = 2 * cheap.price.get()
        + dear.price.get()
        + cheap.price.get()
        + dear.price.get()
        + cheap.price.get();
    let back_cents = 2 * cheap.price.get() + dear.price.get();
    assert_eq!(x["total_cents"], sold_cents - back_cents);
    journal_verifies(&db.path);
}
