//! Issue 19, finding 6: every terminal pulled the whole chain's customers with their e-mail and
//! phone. A terminal now holds the customers of its own store and those its store has served;
//! any other customer it reads on demand (and the read is in the access log).

use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir_central::seed::home_store;

use crate::sync::{RunningCentral, central_dir, enrolled_terminal, enrolled_terminal_at, sync};
use crate::util::{assert_success, comptoir, json_of, sell_to_customer, unit_product_above};

/// The demo customers (of a 20-customer central) that the terminal `db` holds, by index.
fn held(db: &std::path::Path) -> Vec<u64> {
    let store = Store::open(db).expect("open");
    (0..20)
        .filter(|&i| {
            store
                .customer(&demo::customer(i).public_id)
                .expect("read")
                .is_some()
        })
        .collect()
}

/// The demo customers `store` knows from the seed: those registered there, and those with a
/// click-and-collect order to collect there (as the terminal `db` of that store lists them).
fn known_at(store: &str, db: &std::path::Path) -> Vec<u64> {
    let orders = Store::open(db)
        .expect("open")
        .pickup_orders(store)
        .expect("orders");
    assert!(!orders.is_empty(), "the demo has orders at every store");
    (0..20)
        .filter(|&i| {
            let id = demo::customer(i).public_id;
            home_store(i) == store || orders.iter().any(|o| o.customer == id)
        })
        .collect()
}

#[test]
fn a_terminal_holds_its_stores_customers_and_those_it_served() {
    let data = central_dir(20);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let paris = enrolled_terminal(data.path(), &central.url());
    let lyon = enrolled_terminal_at(data.path(), &central.url(), "LYO-01");
    let (known_in_paris, known_in_lyon) = (
        known_at("PAR-01", &paris.path),
        known_at("LYO-01", &lyon.path),
    );
    assert!(known_in_paris.len() < 10 && known_in_lyon.len() < 10);
    assert_eq!(held(&paris.path), known_in_paris);
    assert_eq!(held(&lyon.path), known_in_lyon);

    // A Lyon customer buys in Paris: the Paris counter reads them on demand, and from then on
    // its store has served them and its terminals keep their record up to date.
    let visitor = *known_in_lyon
        .iter()
        .find(|i| !known_in_paris.contains(i))
        .expect("a Lyon customer Paris does not know");
    let id = demo::customer(visitor).public_id;
    let before = Store::open(&paris.path)
        .expect("open")
        .access_count(&id)
        .expect("count");
    let view = comptoir(&paris.path)
        .args(["customer", &id, "--json"])
        .output()
        .expect("customer");
    assert_success(&view);
    assert!(
        Store::open(&paris.path)
            .expect("open")
            .access_count(&id)
            .expect("count")
            > before,
        "the read on demand is in the access log"
    );
    let product = unit_product_above(0);
    let sale = sell_to_customer(&paris.path, product.gtin.as_str(), &id);
    assert_success(&sale);
    let earned = json_of(&sale)["points_earned"].as_i64().expect("earned");
    assert!(earned > 0);
    assert_success(&sync(&paris.path, None));
    assert_success(&sync(&paris.path, None));
    let mut expected = known_in_paris.clone();
    expected.push(visitor);
    expected.sort_unstable();
    assert_eq!(held(&paris.path), expected, "Paris now holds the visitor");

    // Lyon hears of the new balance; it still never holds a Paris customer.
    assert_success(&sync(&lyon.path, None));
    assert_eq!(held(&lyon.path), known_in_lyon);
    let points = |db: &std::path::Path| {
        Store::open(db)
            .expect("open")
            .customer(&id)
            .expect("read")
            .expect("held")
            .loyalty_points
    };
    assert_eq!(
        points(&lyon.path),
        demo::customer(visitor).loyalty_points + earned
    );
    assert_eq!(points(&paris.path), points(&lyon.path));
}
