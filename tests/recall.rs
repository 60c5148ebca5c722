//! Issue 14, item 6: an expired product or a recalled lot cannot be sold unless a manager
//! overrides it with a reason, which is journaled. Through the real binaries: `comptoir sell`
//! on a seeded database, and `comptoir-central recall …` reaching an enrolled terminal over
//! loopback with `sync once`.

use std::path::Path;
use std::process::Output;

use comptoir::domain::catalog::PriceUnit;
use comptoir::domain::demo::{self, DemoProduct};
use comptoir::domain::staff::StaffRole;
use comptoir::store::Store;
use rusqlite::Connection;

use crate::sync::{RunningCentral, central_dir, enrolled_terminal, sync};
use crate::util::sell_by_card as sell;
use crate::util::{
    assert_success, central_cli, central_json, comptoir, json_of, seeded_db, stderr_of,
};

/// The first demo products sold by the unit (a product sold by weight needs a scale's label).
fn products_by_the_unit(n: usize) -> Vec<DemoProduct> {
    (1..)
        .map(demo::product)
        .filter(|p| p.price_unit == PriceUnit::Each)
        .take(n)
        .collect()
}

fn assert_refused(output: &Output, says: &[&str]) {
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        stderr_of(output)
    );
    let stderr = stderr_of(output);
    assert!(stderr.contains("nothing was sold"), "{stderr}");
    for words in says {
        assert!(stderr.contains(words), "{words:?} not in:\n{stderr}");
    }
}

/// The journal's technical entries: (operator, reference, detail).
fn technical_entries(db: &Path) -> Vec<(Option<String>, Option<String>, Option<String>)> {
    let conn = Connection::open(db).expect("open");
    conn.prepare(
        "SELECT operator, reference, detail FROM journal_entry WHERE kind = 'technical'
         ORDER BY sequence",
    )
    .expect("prepare")
    .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
    .expect("query")
    .map(|r| r.expect("row"))
    .collect()
}

fn sale_count(db: &Path) -> i64 {
    Store::open(db).expect("open").sale_count().expect("count")
}

#[test]
fn an_expired_product_is_refused_unless_a_manager_overrides_it_and_the_override_is_journaled() {
    let db = seeded_db(100);
    let products = products_by_the_unit(2);
    let (product, fresh) = (&products[0], &products[1]);
    let gtin = product.gtin.as_str();
    let expired = format!("(01){gtin}(17)200131(10)L123");
    let good = format!("(01){}(17)301231(10)L9", fresh.gtin);

    // Refused, naming the product and why; nothing written.
    let refused = sell(&db.path, &[&good, &expired]);
    assert_refused(&refused, &[&product.name, gtin, "expired on 2020-01-31"]);
    // A seller's PIN is not enough, nor is a blank reason, nor a wrong PIN.
    let seller = &demo::STAFF[0];
    let manager = demo::STAFF
        .iter()
        .find(|s| s.role == StaffRole::Manager)
        .expect("a demo manager");
    assert_eq!(seller.role, StaffRole::Seller);
    let cases = [
        (
            seller.login,
            seller.pin,
            "étiquette abîmée",
            "not a manager",
        ),
        (manager.login, manager.pin, "   ", "say why"),
        (manager.login, "0000", "étiquette abîmée", "wrong PIN"),
    ];
    for (login, pin, reason, says) in cases {
        let output = sell(
            &db.path,
            &[
                &good,
                &expired,
                "--override-reason",
                reason,
                "--staff",
                login,
                "--pin",
                pin,
            ],
        );
        assert_refused(&output, &[says]);
    }
    // An override needs its manager: a usage error, like any other.
    let usage = sell(&db.path, &[&expired, "--override-reason", "vérifié"]);
    assert_eq!(usage.status.code(), Some(2), "{}", stderr_of(&usage));
    assert_eq!(sale_count(&db.path), 0);
    assert!(technical_entries(&db.path).is_empty());

    // A product whose date has not passed sells as before, with no override.
    assert_success(&sell(&db.path, &[&good]));

    // The manager's override lets it through; the ticket is the usual one.
    let sold = sell(
        &db.path,
        &[
            &good,
            &expired,
            "--override-reason",
            "date mal imprimée, vérifiée sur le lot",
            "--staff",
            manager.login,
            "--pin",
            manager.pin,
        ],
    );
    assert_success(&sold);
    let ticket = json_of(&sold);
    assert_eq!(ticket["ticket"], "T01-000002");
    assert_eq!(ticket["lines"].as_array().map(Vec::len), Some(2));
    assert_eq!(sale_count(&db.path), 2);
    assert_eq!(
        technical_entries(&db.path),
        vec![(
            Some(manager.login.to_owned()),
            Some("T01-000002".to_owned()),
            Some(format!(
                "override expired {gtin} (expiry 2020-01-31): date mal imprimée, vérifiée sur le lot"
            )),
        )]
    );
    let verify = comptoir(&db.path)
        .args(["journal", "verify", "--json"])
        .output()
        .expect("verify");
    assert_success(&verify);
    assert_eq!(json_of(&verify)["intact"], true, "{}", json_of(&verify));
}

#[test]
fn a_recall_made_at_the_central_blocks_the_product_or_its_lot_on_a_terminal_after_a_sync() {
    let dir = central_dir(200);
    let central = RunningCentral::start(dir.path(), "127.0.0.1:0");
    let db = enrolled_terminal(dir.path(), &central.url());
    let products = products_by_the_unit(3);
    let (every_lot, one_lot, other) = (&products[0], &products[1], &products[2]);

    // Usage errors exit 2: a wrong check digit, a blank reason, a lot GS1 cannot encode.
    for args in [
        vec!["recall", "add", "4006381333932", "--reason", "Listeria"],
        vec!["recall", "add", every_lot.gtin.as_str(), "--reason", "  "],
        vec![
            "recall",
            "add",
            every_lot.gtin.as_str(),
            "--lot",
            "LOT TOO LONG FOR GS1 AI 10",
            "--reason",
            "Listeria",
        ],
    ] {
        let output = central_cli(dir.path())
            .args(&args)
            .output()
            .expect("recall");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr_of(&output)
        );
    }

    // An EAN-13 is normalised to 14 digits; the id is the last line.
    let ean13 = every_lot.gtin.as_ean13().expect("a demo GTIN is an EAN-13");
    let added = central_cli(dir.path())
        .args(["recall", "add", ean13, "--reason", "Listeria"])
        .output()
        .expect("recall add");
    assert_success(&added);
    let stdout = String::from_utf8_lossy(&added.stdout);
    let first_id: i64 = stdout
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no id on the last line of:\n{stdout}"));
    let second = central_json(
        dir.path(),
        &[
            "recall",
            "add",
            one_lot.gtin.as_str(),
            "--lot",
            "L7",
            "--reason",
            "corps étranger",
            "--json",
        ],
    );
    let list = central_json(dir.path(), &["recall", "list", "--json"]);
    let list = list.as_array().expect("a list");
    assert_eq!(list.len(), 2, "{list:?}");
    assert_eq!(list[0]["id"], first_id);
    assert_eq!(list[0]["gtin"], every_lot.gtin.as_str());
    assert_eq!(list[0]["lot"], serde_json::Value::Null);
    assert_eq!(list[0]["reason"], "Listeria");
    assert_eq!(list[0]["ended_at"], serde_json::Value::Null);
    assert!(
        list[0]["created_at"]
            .as_i64()
            .is_some_and(|t| t > 1_700_000_000)
    );
    assert_eq!(list[1], second);
    assert_eq!(list[1]["lot"], "L7");

    // Not on the terminal before it syncs; then every lot of one, lot L7 of the other.
    let sync_once = sync(&db.path, None);
    assert_success(&sync_once);
    assert_refused(
        &sell(&db.path, &[other.gtin.as_str(), every_lot.gtin.as_str()]),
        &[&every_lot.name, "recalled: Listeria"],
    );
    let lot_l7 = format!("(01){}(10)L7", one_lot.gtin);
    let lot_l8 = format!("(01){}(10)L8", one_lot.gtin);
    assert_refused(
        &sell(&db.path, &[&lot_l7]),
        &[&one_lot.name, "recalled (lot L7): corps étranger"],
    );
    // A plain EAN-13 cannot prove its lot: blocked too.
    assert_refused(&sell(&db.path, &[one_lot.gtin.as_str()]), &["lot L7"]);
    assert_eq!(sale_count(&db.path), 0);
    // Another lot of it, and another product, sell.
    assert_success(&sell(&db.path, &[&lot_l8, other.gtin.as_str()]));

    // Ended at the central: the product sells again after the next sync.
    let end = central_cli(dir.path())
        .args(["recall", "end", &first_id.to_string()])
        .output()
        .expect("recall end");
    assert_success(&end);
    let again = central_cli(dir.path())
        .args(["recall", "end", &first_id.to_string()])
        .output()
        .expect("recall end again");
    assert_eq!(again.status.code(), Some(1), "{}", stderr_of(&again));
    assert_refused(&sell(&db.path, &[every_lot.gtin.as_str()]), &["Listeria"]);
    assert_success(&sync(&db.path, None));
    assert_success(&sell(&db.path, &[every_lot.gtin.as_str()]));
    let list = central_json(dir.path(), &["recall", "list", "--json"]);
    assert!(list[0]["ended_at"].as_i64().is_some(), "{list}");
}

/// The two calls the checkout screen makes: `sale_block` on a scanned card, then
/// `authorize_override` when a manager confirms (journaled at once, by the manager's login).
#[test]
fn the_screens_override_checks_the_manager_and_journals_at_once() {
    use comptoir::app::product_card::product_card;
    use comptoir::app::sale_guard::{OverrideError, authorize_override, sale_block};
    use comptoir::domain::sale_guard::SaleBlock;
    use comptoir::domain::scan::ScanConfig;

    let db = seeded_db(50);
    let product = &products_by_the_unit(1)[0];
    let gtin = product.gtin.as_str();
    let mut store = Store::open(&db.path).expect("open");
    let today = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).expect("date");
    let card = |raw: &str, store: &Store| {
        product_card(store, raw, &ScanConfig::default(), demo::HERE_CODE, today).expect("card")
    };
    let fresh = card(&format!("(01){gtin}(17)250601(10)L1"), &store);
    assert_eq!(sale_block(&store, &fresh).expect("block"), None);
    let expired = card(&format!("(01){gtin}(17)250531(10)L1"), &store);
    let block = sale_block(&store, &expired)
        .expect("block")
        .expect("expired the day before");
    let expiry = chrono::NaiveDate::from_ymd_opt(2025, 5, 31).expect("date");
    assert_eq!(block, SaleBlock::Expired { expiry });

    let now = 1_748_736_000;
    let seller = &demo::STAFF[0];
    let refused = authorize_override(
        &mut store,
        seller.login,
        seller.pin,
        "vérifié",
        &block,
        &product.gtin,
        "T01",
        now,
    );
    assert!(
        matches!(refused, Err(OverrideError::NotAManager { .. })),
        "{refused:?}"
    );
    let manager = demo::STAFF
        .iter()
        .find(|s| s.role == StaffRole::Manager)
        .expect("a demo manager");
    let blank = authorize_override(
        &mut store,
        manager.login,
        "0000",
        " ",
        &block,
        &product.gtin,
        "T01",
        now,
    );
    assert!(
        matches!(blank, Err(OverrideError::BlankReason)),
        "{blank:?}"
    );
    let wrong = authorize_override(
        &mut store,
        manager.login,
        "0000",
        "vérifié",
        &block,
        &product.gtin,
        "T01",
        now,
    );
    assert!(matches!(wrong, Err(OverrideError::Login(_))), "{wrong:?}");
    assert!(technical_entries(&db.path).is_empty());

    authorize_override(
        &mut store,
        manager.login,
        manager.pin,
        "  vérifié sur l'emballage ",
        &block,
        &product.gtin,
        "T01",
        now,
    )
    .expect("a manager overrides");
    assert_eq!(
        technical_entries(&db.path),
        vec![(
            Some(manager.login.to_owned()),
            None,
            Some(format!(
                "override expired {gtin} (expiry 2025-05-31): vérifié sur l'emballage"
            )),
        )]
    );
    drop(store);
    assert_success(
        &comptoir(&db.path)
            .args(["journal", "verify"])
            .output()
            .expect("verify"),
    );
}
