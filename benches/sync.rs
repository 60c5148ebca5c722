//! Sync speed targets (issue 7), terminal and central on loopback in one process:
//! - the first pull of a 1,000,000-product chain (stock in 8 locations) into an empty terminal;
//! - 10,000 sales made offline, pushed and acknowledged.
//!
//! The central's own ingest and page-serving figures are in `cargo bench --bench central`.
//!
//! Run: `cargo bench --bench sync` (`COMPTOIR_BENCH_PRODUCTS=100000` for a smaller chain).

use std::path::PathBuf;
use std::time::Instant;

use comptoir::app::checkout::{SaleContext, checkout};
use comptoir::app::pricing::Pricing;
use comptoir::domain::basket::{Basket, BasketLine};
use comptoir::domain::demo;
use comptoir::domain::payment::Tender;
use comptoir::store::{Enrollment, Store};
use comptoir::sync::{client, engine};
use comptoir_central as central;

const SALES: i64 = 10_000;

fn main() {
    let products: u64 = std::env::var("COMPTOIR_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let data = dir.join(format!("central-{products}"));
    std::fs::create_dir_all(&data).expect("central dir");
    let started = Instant::now();
    central::seed(&data, products, |_, _| {}).expect("seed the central");
    println!(
        "central seeded/opened with {products} products in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let serve_dir = data.clone();
    runtime.spawn(async move {
        let _ = central::serve(listener, &serve_dir, std::future::pending()).await;
    });

    let db = dir.join("sync-terminal.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut store = Store::open(&db).expect("terminal db");
    let code = central::enroll_code(&data, demo::HERE_CODE)
        .expect("code")
        .code;
    let answer = runtime
        .block_on(client::enroll(&url, &code, "T01"))
        .expect("enroll");
    store
        .save_enrollment(&Enrollment {
            central_url: url.clone(),
            device_id: answer.device_id,
            token: answer.token,
            store: answer.store,
            public_key: answer.public_key,
        })
        .expect("save enrollment");
    let client = engine::client_for(&store, None).expect("client");

    let started = Instant::now();
    let mut last_tenth = 0;
    let report = runtime
        .block_on(engine::sync_round(
            &mut store,
            &client,
            &mut |done, total| {
                let tenth = done * 10 / total.max(1);
                if tenth > last_tenth {
                    last_tenth = tenth;
                    println!(
                        "  pulled {done}/{total} changes, {:.1} s",
                        started.elapsed().as_secs_f64()
                    );
                }
            },
        ))
        .expect("first sync");
    println!(
        "first pull: {} changes ({} products with 8 stock levels each) in {:.1} s",
        report.pulled,
        products,
        started.elapsed().as_secs_f64()
    );

    // 10,000 sales made offline (written in bulk mode: the figure measured is the push).
    store.bulk_load_mode().expect("bulk");
    let first = store.waiting_events().expect("waiting");
    for i in 0..SALES {
        let p = demo::product((i as u64 * 7) % 1_000 + 1);
        let mut basket = Basket::new();
        basket
            .add(BasketLine::new(
                p.gtin.as_str(),
                &p.name,
                p.price,
                1,
                p.vat_rate,
            ))
            .expect("line");
        checkout(
            &mut store,
            &mut basket,
            Tender::Card,
            SaleContext {
                terminal_id: "T01",
                here_code: demo::HERE_CODE,
                staff_id: None,
                operator: "bench",
                training: false,
                now: 1_764_000_000 + i,
                pricing: &Pricing::default(),
                tier: None,
                credit: None,
            },
        )
        .expect("sale");
    }
    let waiting = store.waiting_events().expect("waiting") - first;
    let started = Instant::now();
    let mut push = engine::RoundReport::default();
    runtime
        .block_on(engine::push_all(&mut store, &client, &mut push))
        .expect("push");
    println!(
        "{SALES} offline sales ({waiting} outbox events: sale, e-receipt and journal entry each) \
         pushed and acknowledged in {:.2} s; {} still waiting",
        started.elapsed().as_secs_f64(),
        store.waiting_events().expect("waiting")
    );
}
