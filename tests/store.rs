//! The store on a real SQLite file: search ranking, accent folding, and lookups by scan.

use comptoir::domain::catalog::PriceUnit;
use comptoir::domain::demo::{self, DemoProduct};
use comptoir::domain::gtin::Gtin;
use comptoir::domain::money::Cents;
use comptoir::domain::vat::VatRate;
use comptoir::store::Store;

use crate::util::temp_db;

fn product(body: u64, name: &str) -> DemoProduct {
    let body = format!("{body:012}");
    let check = comptoir::domain::gtin::check_digit(&body).expect("body");
    DemoProduct {
        gtin: Gtin::parse(&format!("{body}{check}")).expect("gtin"),
        name: name.to_owned(),
        brand: "Atelier Verdier",
        category: "Vêtements",
        price: Cents::new(4990),
        vat_rate: VatRate::Standard,
        price_unit: PriceUnit::Each,
        in_store_item_code: None,
    }
}

fn store_with(names: &[&str]) -> (crate::util::TempDb, Store) {
    let db = temp_db();
    let mut store = Store::open(&db.path).expect("open");
    {
        let mut loader = store
            .demo_loader(
                &demo::LOCATIONS,
                &demo::categories(),
                &demo::brands(),
                1_000,
            )
            .expect("loader");
        for (i, name) in names.iter().enumerate() {
            loader
                .add_product(
                    &product(300_000_000_000 + i as u64, name),
                    &[(i as i64, 10)],
                )
                .expect("add");
        }
        loader.commit().expect("commit");
    }
    (db, store)
}

#[test]
fn exact_name_words_rank_before_prefix_matches() {
    let (_db, store) = store_with(&[
        "Pullover torsadé laine",
        "Pullman miniature",
        "Pull col V coton",
        "Sac cabas",
    ]);
    let hits = store
        .search_products("pull", 10, demo::HERE_CODE)
        .expect("search");
    let names: Vec<&str> = hits.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[0], "Pull col V coton", "{names:?}");
    assert!(!names.contains(&"Sac cabas"));
}

#[test]
fn accents_and_case_are_folded_both_ways() {
    let (_db, store) = store_with(&["Écharpe en laine", "Thé vert", "THE BOOK"]);
    let names = |q: &str| -> Vec<String> {
        store
            .search_products(q, 10, demo::HERE_CODE)
            .expect("search")
            .into_iter()
            .map(|h| h.name)
            .collect()
    };
    assert_eq!(names("echarpe"), vec!["Écharpe en laine"]);
    assert_eq!(names("ÉCHARPE"), vec!["Écharpe en laine"]);
    assert_eq!(names("thé").len(), 2);
    assert!(names("laine écharpe").contains(&"Écharpe en laine".to_owned()));
}

#[test]
fn hostile_queries_return_nothing_rather_than_an_error() {
    let (_db, store) = store_with(&["Lampe de chevet"]);
    for query in [
        "\"",
        "*",
        "NEAR(",
        "lampe\" OR \"x",
        "'; DROP TABLE product; --",
        "ü̈̈",
    ] {
        let result = store.search_products(query, 10, demo::HERE_CODE);
        assert!(result.is_ok(), "{query}: {result:?}");
    }
    assert_eq!(
        store
            .search_products("lampe\" OR \"x", 10, "X")
            .expect("q")
            .len(),
        0
    );
}

#[test]
fn stock_here_comes_with_each_search_result() {
    let (_db, store) = store_with(&["Lampe de chevet", "Lampe à poser"]);
    let hits = store
        .search_products("lampe", 10, demo::HERE_CODE)
        .expect("search");
    assert_eq!(hits.len(), 2);
    let mut stock: Vec<i64> = hits.iter().map(|h| h.stock_here).collect();
    stock.sort();
    assert_eq!(stock, vec![0, 1]);
}

#[test]
fn the_catalogue_survives_closing_and_reopening() {
    let (db, store) = store_with(&["Bougie parfumée"]);
    let gtin = product(300_000_000_000, "").gtin;
    drop(store);
    let store = Store::open(&db.path).expect("reopen");
    let found = store.product(&gtin).expect("lookup").expect("product");
    assert_eq!(found.name, "Bougie parfumée");
    assert_eq!(store.stock_levels(&gtin).expect("stock").len(), 1);
}

#[test]
fn staff_log_in_with_their_pin_and_lock_after_five_wrong_ones() {
    use comptoir::app::login::{LoginError, log_in};
    use comptoir::domain::staff::LockoutPolicy;

    let db = crate::util::seeded_db(20);
    let store = Store::open(&db.path).expect("open");
    let policy = LockoutPolicy::default();
    let member = log_in(&store, "camille", "1234", 1_000, policy).expect("right PIN");
    assert_eq!(member.display_name, "Camille Martin");

    for remaining in (1..=4).rev() {
        match log_in(&store, "camille", "0000", 1_000, policy) {
            Err(LoginError::WrongPin { remaining: r }) => assert_eq!(r, remaining),
            other => panic!("expected a wrong PIN, got {other:?}"),
        }
    }
    assert!(matches!(
        log_in(&store, "camille", "0000", 1_000, policy),
        Err(LoginError::Locked { until: 1_300 })
    ));
    // Locked means locked, even with the right PIN, until the lock ends.
    assert!(matches!(
        log_in(&store, "camille", "1234", 1_299, policy),
        Err(LoginError::Locked { .. })
    ));
    assert!(log_in(&store, "camille", "1234", 1_300, policy).is_ok());
    assert!(matches!(
        log_in(&store, "nobody", "1234", 1_300, policy),
        Err(LoginError::UnknownStaff { .. })
    ));
}
