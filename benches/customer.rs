//! Clienteling's hot paths (issue 8), on a store with the largest demo clientele (50,000
//! customers, a 2,500,000-product chain's worth, written straight into a fresh database):
//!
//! - verifying a signed loyalty code (Ed25519, offline);
//! - finding a customer in the store's cache by name prefix, e-mail and phone;
//! - opening a customer from their code with the central unreachable (cache, local facts, the
//!   access-log write and its outbox event: one transaction);
//! - the offline points balance of a customer with unconfirmed movements.
//!
//! Run: `cargo bench --bench customer`.

use std::time::{Duration, Instant};

use comptoir::app::customer::{Counter, identify, open_customer, points_balance};
use comptoir::domain::demo;
use comptoir::domain::signed_code::verify_loyalty;
use comptoir::store::Store;
use comptoir::sync::client::SyncError;

const CUSTOMERS: u64 = 50_000;
const RUNS: usize = 2_000;

fn percentiles(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    format!(
        "p50 {:.1} µs, p95 {:.1} µs, p99 {:.1} µs",
        at(0.50).as_secs_f64() * 1e6,
        at(0.95).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6
    )
}

fn time(mut f: impl FnMut(usize)) -> String {
    let samples = (0..RUNS)
        .map(|i| {
            let start = Instant::now();
            f(i);
            start.elapsed()
        })
        .collect();
    percentiles(samples)
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("customers.db");
    let mut store = Store::open(&path).expect("open");
    store.bulk_load_mode().expect("bulk");
    let now = chrono::Utc::now().timestamp();
    {
        let mut loader = store
            .demo_loader(&demo::LOCATIONS, &demo::categories(), &demo::brands(), now)
            .expect("loader");
        for index in 0..CUSTOMERS {
            loader
                .add_customer(&demo::customer(index))
                .expect("customer");
        }
        loader.commit().expect("commit");
    }
    store
        .set_sync_value("public_key", &demo::demo_public_key())
        .expect("key");
    println!("{CUSTOMERS} customers in the store's cache");

    let codes: Vec<String> = (0..RUNS as u64)
        .map(|i| demo::demo_loyalty_code(i * 7 % CUSTOMERS, now))
        .collect();
    let key = demo::demo_public_key();
    println!(
        "verify a loyalty code:          {}",
        time(|i| {
            verify_loyalty(&codes[i], &key).expect("genuine");
        })
    );
    let names: Vec<String> = (0..RUNS as u64)
        .map(|i| {
            let c = demo::customer(i * 13 % CUSTOMERS);
            let prefix = |name: &str| name.chars().take(3).collect::<String>();
            format!("{} {}", prefix(c.first_name), prefix(c.last_name))
        })
        .collect();
    println!(
        "search by name prefix (top 20): {}",
        time(|i| {
            assert!(
                !store
                    .search_cached_customers(&names[i], 20)
                    .expect("search")
                    .is_empty()
            );
        })
    );
    println!(
        "search by e-mail:               {}",
        time(|i| {
            let c = demo::customer(i as u64 * 17 % CUSTOMERS);
            assert_eq!(
                store
                    .search_cached_customers(&c.email, 20)
                    .expect("search")
                    .len(),
                1
            );
        })
    );
    println!(
        "search by phone:                {}",
        time(|i| {
            let c = demo::customer(i as u64 * 19 % CUSTOMERS);
            assert!(
                !store
                    .search_cached_customers(&c.phone, 20)
                    .expect("search")
                    .is_empty()
            );
        })
    );
    let mut opened = Vec::with_capacity(RUNS);
    for code in &codes {
        let start = Instant::now();
        let who = identify(&store, code).expect("identify");
        let view = open_customer(
            &mut store,
            &who,
            Counter {
                staff: "bench",
                terminal: "T01",
                store_code: demo::HERE_CODE,
                now,
            },
            |_| Err(SyncError::NotEnrolled),
        )
        .expect("open");
        opened.push(start.elapsed());
        assert!(!view.first_name.is_empty());
    }
    println!(
        "open from the code, offline:    {} (incl. the access-log write)",
        percentiles(opened)
    );
    println!(
        "offline points balance:         {}",
        time(|i| {
            points_balance(&store, &demo::customer(i as u64 % CUSTOMERS).public_id)
                .expect("balance");
        })
    );
}
