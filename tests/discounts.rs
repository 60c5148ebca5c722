//! Issue 15: discounts and promotions through the real binary, the real SQLite file and the
//! real central on loopback. A promotion the head office adds reaches a terminal, applies while
//! the central is gone, and its sale arrives once with its discount; a seller's discount past
//! the limit needs a manager's PIN and nothing is written without it; a discount changed in the
//! database after the sale is caught by `journal verify`.

use std::path::Path;
use std::process::Output;

use comptoir::domain::catalog::PriceUnit;
use comptoir::domain::demo::{self, DemoProduct, STAFF};
use comptoir::domain::staff::StaffRole;
use comptoir_central as central;
use serde_json::{Value, json};

use crate::sync::{RunningCentral, central_dir, enrolled_terminal, sync};
use crate::util::sell_by_card as sell;
use crate::util::{assert_success, central_cli, comptoir, json_of, seeded_db, stderr_of};

/// Demo products sold by the unit that no demo promotion targets, so that only the discounts
/// a test gives apply to them.
fn plain_products(count: usize, from: u64) -> Vec<DemoProduct> {
    let promoted: Vec<_> = demo::promotions();
    (from..)
        .map(demo::product)
        .filter(|p| {
            p.price_unit == PriceUnit::Each
                && p.price.get() >= 1_000
                && !promoted.iter().any(|rule| {
                    rule.target.brands.iter().any(|b| b == p.brand)
                        || rule.target.categories.iter().any(|c| c == p.category)
                        || rule.target.gtins.iter().any(|g| g == p.gtin.as_str())
                })
        })
        .take(count)
        .collect()
}

fn assert_refused(output: &Output, says: &str) {
    let stderr = stderr_of(output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nothing was sold"), "{stderr}");
    assert!(stderr.contains(says), "{says:?} not in:\n{stderr}");
}

fn tickets(db: &Path) -> i64 {
    comptoir::store::Store::open(db)
        .expect("open")
        .sale_count()
        .expect("count")
}

fn journal_verify(db: &Path) -> Output {
    comptoir(db)
        .args(["journal", "verify"])
        .output()
        .expect("journal verify")
}

fn staff(role: StaffRole) -> &'static demo::DemoStaff {
    STAFF
        .iter()
        .find(|s| s.role == role)
        .expect("a demo staff member")
}

#[test]
fn a_promotion_from_the_central_applies_offline_and_its_sale_arrives_once_with_its_discount() {
    let data = central_dir(120);
    let product = plain_products(1, 0).remove(0);
    let gtin = product.gtin.as_str().to_owned();
    let rule = json!({
        "id": "TEST-25", "name": "Moins 25 % sur l'article",
        "starts": "2020-01-01T00:00:00", "ends": "2099-01-01T00:00:00",
        "target": {"gtins": [gtin]},
        "offer": {"kind": "percent_off", "basis_points": 2500}
    });
    let file = data.path().join("rule.json");
    std::fs::write(&file, rule.to_string()).expect("write the rule");
    assert_success(
        &central_cli(data.path())
            .args(["promo", "add", "--json"])
            .arg(&file)
            .output()
            .expect("promo add"),
    );
    let server = RunningCentral::start(data.path(), "127.0.0.1:0");
    let url = server.url();
    let db = enrolled_terminal(data.path(), &url);
    let before = central::stats(data.path()).expect("stats");

    // The central goes away; the terminal still applies the rule it pulled.
    drop(server);
    let sold = sell(&db.path, &[&format!("{gtin}*2")]);
    assert_success(&sold);
    let ticket = json_of(&sold);
    let shelf = product.price.get() * 2;
    // 25 % of each unit, rounded half up to the cent: both units get the same.
    let off = (product.price.get() * 2_500 + 5_000) / 10_000 * 2;
    let line = &ticket["lines"][0];
    assert_eq!(line["unit_price_cents"], product.price.get(), "{ticket:#}");
    assert_eq!(line["discount_cents"], off, "{ticket:#}");
    assert_eq!(line["discount_kind"], "promotion");
    assert_eq!(line["promotion_id"], "TEST-25");
    assert_eq!(line["reason"], Value::Null);
    assert_eq!(line["amount_cents"], shelf - off);
    assert_eq!(ticket["discount_cents"], off);
    assert_eq!(ticket["total_cents"], shelf - off);
    let vat_total: i64 = ticket["vat"]
        .as_array()
        .expect("vat")
        .iter()
        .map(|r| r["total_cents"].as_i64().expect("total"))
        .sum();
    assert_eq!(vat_total, shelf - off, "VAT on the discounted amount");
    assert_success(&journal_verify(&db.path));

    // The receipt shows the shelf amount, the promotion and what was saved.
    let receipt = comptoir(&db.path)
        .args([
            "receipt",
            ticket["ticket"].as_str().expect("ticket"),
            "--text",
        ])
        .output()
        .expect("receipt");
    assert_success(&receipt);
    let text = String::from_utf8_lossy(&receipt.stdout);
    assert!(text.contains("Moins 25 % sur l'article"), "{text}");
    assert!(text.contains("Vous avez économisé"), "{text}");

    // The central comes back on its address; the sale is pushed twice and counted once.
    let server = RunningCentral::start(data.path(), url.trim_start_matches("http://"));
    for _ in 0..2 {
        assert_success(&sync(&db.path, None));
    }
    let after = central::stats(data.path()).expect("stats");
    assert_eq!(after.received.sales - before.received.sales, 1);
    assert_eq!(
        after.discounts.promotion_cents - before.discounts.promotion_cents,
        off
    );
    assert_eq!(after.discounts.manual_cents, before.discounts.manual_cents);
    let stats = central_cli(data.path())
        .args(["stats", "--json"])
        .output()
        .expect("stats");
    assert_success(&stats);
    assert_eq!(
        json_of(&stats)["discounts"]["promotion_cents"],
        after.discounts.promotion_cents
    );
    let promos = central_cli(data.path())
        .args(["promo", "list", "--json"])
        .output()
        .expect("promo list");
    assert_success(&promos);
    let listed = json_of(&promos);
    let ours = listed
        .as_array()
        .expect("a list")
        .iter()
        .find(|r| r["id"] == "TEST-25")
        .cloned()
        .expect("our rule");
    assert_eq!(ours["uses"][demo::HERE_CODE], 1, "{ours:#}");
    drop(server);
}

#[test]
fn a_manual_discount_past_the_sellers_limit_needs_a_managers_pin() {
    let db = seeded_db(200);
    let products = plain_products(2, 0);
    let (a, b) = (products[0].gtin.as_str(), products[1].gtin.as_str());
    let manager = staff(StaffRole::Manager);
    let seller = staff(StaffRole::Seller);
    let thirty = format!("{a}~30%");

    let refusals: [(Vec<&str>, &str); 6] = [
        (
            vec![&thirty, "--reason", "Geste commercial"],
            "at most 10 %",
        ),
        (vec![&thirty], "needs --reason"),
        (
            vec![&thirty, "--reason", "pour un copain"],
            "not one of the reasons the chain allows",
        ),
        (
            vec![
                &thirty,
                "--reason",
                "Geste commercial",
                "--staff",
                seller.login,
                "--pin",
                seller.pin,
            ],
            "not a manager",
        ),
        (
            vec![
                &thirty,
                "--reason",
                "Geste commercial",
                "--staff",
                manager.login,
                "--pin",
                "0000",
            ],
            "wrong PIN",
        ),
        (
            vec![a, "--price", "1=99999", "--reason", "Alignement prix"],
            "above the shelf price",
        ),
    ];
    for (args, says) in refusals {
        assert_refused(&sell(&db.path, &args), says);
    }
    assert_eq!(tickets(&db.path), 0, "nothing was written");

    // Within the limit, a seller's discount goes through with its reason, spelled as the chain
    // spells it.
    let five = sell(
        &db.path,
        &[&format!("{a}~5%"), "--reason", "geste COMMERCIAL"],
    );
    assert_success(&five);
    let line = &json_of(&five)["lines"][0];
    assert_eq!(line["discount_kind"], "manual");
    assert_eq!(line["reason"], "Geste commercial");
    assert_eq!(line["promotion_id"], Value::Null);

    // Past it, the manager approves.
    let approved = sell(
        &db.path,
        &[
            &thirty,
            "--reason",
            "Article abîmé",
            "--staff",
            manager.login,
            "--pin",
            manager.pin,
        ],
    );
    assert_success(&approved);
    let ticket = json_of(&approved);
    let price = products[0].price.get();
    assert_eq!(
        ticket["lines"][0]["discount_cents"],
        (price * 3_000 + 5_000) / 10_000
    );

    // A basket discount of 2,00 € spreads over the lines and adds up to the cent; a price
    // override takes the line to its new price.
    let spread = sell(
        &db.path,
        &[a, b, "--discount", "2", "--reason", "Fin de série"],
    );
    assert_success(&spread);
    let ticket = json_of(&spread);
    let shares: i64 = ticket["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["discount_cents"].as_i64().expect("discount"))
        .sum();
    assert_eq!(shares, 200, "{ticket:#}");
    assert_eq!(ticket["discount_cents"], 200);
    assert_eq!(
        ticket["total_cents"],
        products[0].price.get() + products[1].price.get() - 200
    );
    let new_price = products[0].price.get() - 50;
    let repriced = sell(
        &db.path,
        &[
            a,
            "--price",
            &format!("1={},{:02}", new_price / 100, new_price % 100),
            "--reason",
            "Alignement prix",
        ],
    );
    assert_success(&repriced);
    let line = &json_of(&repriced)["lines"][0];
    assert_eq!(line["amount_cents"], new_price);
    assert_eq!(line["discount_cents"], 50);
    assert_success(&journal_verify(&db.path));
    assert_eq!(tickets(&db.path), 4);
}

#[test]
fn a_discount_changed_after_the_sale_is_caught_by_journal_verify() {
    let db = seeded_db(200);
    let product = plain_products(1, 0).remove(0);
    let sold = sell(
        &db.path,
        &[
            &format!("{}~5%", product.gtin.as_str()),
            "--reason",
            "Geste commercial",
        ],
    );
    assert_success(&sold);
    assert_success(&journal_verify(&db.path));

    // Each way of rewriting the discount after the fact: its reason, its amount, or the
    // discount erased.
    let tamperings = [
        "UPDATE sale_line SET discounts_json = replace(discounts_json, 'Geste commercial', 'Article abîmé')",
        "UPDATE sale_line SET discounts_json = json_set(discounts_json, '$[0].amount', 1),
                              discount_cents = 1",
        "UPDATE sale_line SET discounts_json = NULL, discount_cents = 0",
    ];
    for tampering in tamperings {
        let copy = tempfile::tempdir().expect("tempdir");
        let path = copy.path().join("copy.db");
        let conn = rusqlite::Connection::open(&db.path).expect("open");
        conn.execute("VACUUM INTO ?1", [path.to_str().expect("utf-8")])
            .expect("copy");
        drop(conn);
        let conn = rusqlite::Connection::open(&path).expect("open copy");
        // Whoever holds the file can drop the trigger that refuses the change.
        conn.execute("DROP TRIGGER sale_line_no_update", [])
            .expect("drop the trigger");
        let changed = conn.execute(tampering, []).expect("tamper");
        assert_eq!(changed, 1, "{tampering}");
        drop(conn);
        let verify = journal_verify(&path);
        assert!(!verify.status.success(), "{tampering} went unnoticed");
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&verify.stdout),
            stderr_of(&verify)
        );
        assert!(said.contains("lines"), "{tampering}: {said}");
    }
}
