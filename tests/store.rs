//! The store on a real SQLite file: search ranking, accent folding, and lookups by scan.

use comptoir::domain::catalog::PriceUnit;
use comptoir::domain::demo::{self, DemoProduct};
use comptoir::domain::gtin::Gtin;
use comptoir::domain::money::Cents;
use comptoir::domain::vat::VatRate;
use comptoir::store::Store;

use crate::util::{assert_success, comptoir, kill_at_random_instants, temp_db};

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

/// Issue 10 (safe updates): a database left at an older schema by a previous version of the
/// program is brought up to date on open, its data kept.
#[test]
fn a_database_at_an_older_schema_is_migrated_with_its_data() {
    let db = temp_db();
    let older =
        rusqlite_migration::Migrations::new(comptoir::store::schema_migrations()[..4].to_vec());
    let store = Store::open_with_migrations(&db.path, &older).expect("open at version 4");
    assert_eq!(store.schema_version().expect("version"), 4);
    drop(store);
    // A row written by the old program, in a table that exists since 0001.
    let conn = rusqlite::Connection::open(&db.path).expect("raw open");
    conn.execute("INSERT INTO brand (name) VALUES ('Atelier Lyonnais')", [])
        .expect("insert under the old schema");
    drop(conn);

    let store = Store::open(&db.path).expect("migrate to the latest schema");
    assert_eq!(
        store.schema_version().expect("version"),
        comptoir::store::schema_migrations().len() as i64
    );
    drop(store);
    let conn = rusqlite::Connection::open(&db.path).expect("raw open");
    let kept: i64 = conn
        .query_row(
            "SELECT count(*) FROM brand WHERE name = 'Atelier Lyonnais'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(kept, 1, "the old program's data survives the update");
    assert_eq!(
        rehearsal_leftovers(&db),
        0,
        "the rehearsal copy is cleaned up"
    );
}

/// Issue 10 (safe updates): an update whose migration fails is tried on a copy first, so the real
/// file stays byte for byte what it was and the previous version of the program still opens it.
#[test]
fn a_failing_update_leaves_the_database_byte_identical_and_openable_by_the_old_schema() {
    let db = temp_db();
    let old = comptoir::store::schema_migrations()[..5].to_vec();
    let store =
        Store::open_with_migrations(&db.path, &rusqlite_migration::Migrations::new(old.clone()))
            .expect("open at version 5");
    drop(store);
    let before = std::fs::read(&db.path).expect("read");

    // The new version: the real 0006, then a migration that fails half-way (its first statement
    // would succeed on its own).
    let mut broken = comptoir::store::schema_migrations();
    broken.push(rusqlite_migration::M::up(
        "CREATE TABLE doomed (id INTEGER PRIMARY KEY); INSERT INTO no_such_table VALUES (1);",
    ));
    let err = Store::open_with_migrations(&db.path, &rusqlite_migration::Migrations::new(broken))
        .err()
        .expect("the broken update is refused");
    let message = err.to_string();
    assert!(message.contains("left untouched at version 5"), "{message}");
    assert!(
        message.contains(&db.path.display().to_string()),
        "{message}"
    );

    assert_eq!(
        std::fs::read(&db.path).expect("read"),
        before,
        "byte-identical"
    );
    let store = Store::open_with_migrations(&db.path, &rusqlite_migration::Migrations::new(old))
        .expect("the old program still opens it");
    assert_eq!(store.schema_version().expect("version"), 5);
}

/// Rehearsal folders (`.comptoir-update-…`) beside the database.
fn rehearsal_leftovers(db: &crate::util::TempDb) -> usize {
    std::fs::read_dir(db.path.parent().expect("folder"))
        .expect("list")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".comptoir-update-")
        })
        .count()
}

/// Issue 10 (power cuts): the new version is killed at random instants while it updates a
/// database an older version left (the rehearsal on a copy, then the real migration). After
/// each kill the database opens at the latest schema with every product, and the copies the
/// killed updates left are removed instead of filling the disk.
#[test]
fn an_update_killed_at_any_instant_leaves_a_working_database() {
    const PRODUCTS: u64 = 20_000;
    let pristine = temp_db();
    let older =
        rusqlite_migration::Migrations::new(comptoir::store::schema_migrations()[..4].to_vec());
    let mut store = Store::open_with_migrations(&pristine.path, &older).expect("open at 4");
    // The demo catalogue and its stock, as the old program wrote them (customers came later).
    let mut loader = store
        .demo_loader(
            &demo::LOCATIONS,
            &demo::categories(),
            &demo::brands(),
            1_764_000_000,
        )
        .expect("loader");
    for index in 0..PRODUCTS {
        let stock: Vec<_> = (0..demo::LOCATIONS.len())
            .map(|location| demo::stock(index, location))
            .collect();
        loader
            .add_product(&demo::product(index), &stock)
            .expect("a product under the old schema");
    }
    loader.commit().expect("commit");
    drop(loader);
    drop(store);
    let latest = comptoir::store::schema_migrations().len() as i64;
    let db = temp_db();
    let restore = || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.path.display()));
        }
        std::fs::copy(&pristine.path, &db.path).expect("copy the old database");
    };

    // An update left to finish: how long the kills have to land in.
    restore();
    let started = std::time::Instant::now();
    assert_success(
        &comptoir(&db.path)
            .args(["sync", "status"])
            .output()
            .expect("update"),
    );
    let update = started.elapsed();

    let mut seed = 0x2545_F491_4F6C_DD1D_u64;
    for _ in 0..12 {
        restore();
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        kill_at_random_instants(&db.path, &["sync", "status"], 1, seed, update);
        let store = Store::open(&db.path).expect("the database opens after the kill");
        assert_eq!(store.schema_version().expect("version"), latest);
        assert_eq!(store.product_count().expect("count"), PRODUCTS as i64);
        assert_eq!(store.quick_check().expect("check"), Vec::<String>::new());
        drop(store);
        assert_eq!(
            rehearsal_leftovers(&db),
            0,
            "a killed update's copy is gone"
        );
    }
}
