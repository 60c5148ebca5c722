//! `journal verify` on 1,000,000 journal entries (issue 6: ≤ 10 s). The journal is built once
//! into `target/bench/journal-1000000.db` by recording real sales through `record_sale` (in bulk
//! load mode: no fsync per sale), then verified in full, in-process and through the binary.
//!
//! Run: `cargo bench --bench journal` (`COMPTOIR_BENCH_ENTRIES=100000` for a smaller one).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use comptoir::app::checkout::{SaleContext, checkout};
use comptoir::app::pricing::Pricing;
use comptoir::app::seed::seed_demo;
use comptoir::domain::basket::{Basket, BasketLine};
use comptoir::domain::demo;
use comptoir::domain::payment::Tender;
use comptoir::store::Store;

fn main() {
    let entries: i64 = std::env::var("COMPTOIR_BENCH_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    let path = dir.join(format!("journal-{entries}.db"));
    let mut store = Store::open(&path).expect("open");
    let have = store.journal_len("T01").expect("len");
    if have < entries {
        if store.catalog_is_empty().expect("catalog") {
            seed_demo(&mut store, 1_000, 0, &mut |_, _| {}).expect("seed");
        }
        store.bulk_load_mode().expect("bulk mode");
        let pricing = Pricing::default();
        let started = Instant::now();
        for i in have..entries {
            let p = demo::product((i % 900) as u64 + 1);
            let mut basket = Basket::new();
            basket
                .add(BasketLine {
                    gtin: p.gtin.as_str().to_owned(),
                    label: p.name.clone(),
                    unit_price: p.price,
                    quantity: 1 + i % 3,
                    vat_rate: p.vat_rate,
                    amount_override: None,
                    brand: p.brand.to_owned(),
                    category: p.category.to_owned(),
                    manual: None,
                    discounts: Vec::new(),
                })
                .expect("line");
            checkout(
                &mut store,
                &mut basket,
                if i % 2 == 0 {
                    Tender::Card
                } else {
                    Tender::Cash { given: None }
                },
                SaleContext {
                    terminal_id: "T01",
                    here_code: demo::HERE_CODE,
                    staff_id: None,
                    operator: "bench",
                    training: false,
                    now: 1_764_000_000 + i,
                    pricing: &pricing,
                    tier: None,
                    credit: None,
                },
            )
            .expect("sale");
        }
        println!(
            "built {} journal entries in {:.1} s",
            entries - have,
            started.elapsed().as_secs_f64()
        );
    }
    drop(store);

    let store = Store::open(&path).expect("open");
    let started = Instant::now();
    let result = store.verify_journal("T01", &mut |_| {}).expect("verify");
    let in_process = started.elapsed();
    assert!(result.problem.is_none(), "{:?}", result.problem);
    println!(
        "journal verify, in-process: {} entries (each ticket checked against its sale) in {:.2} s",
        result.entries,
        in_process.as_secs_f64()
    );

    let started = Instant::now();
    let status = Command::new(env!("CARGO_BIN_EXE_comptoir"))
        .arg("--db")
        .arg(&path)
        .args(["journal", "verify", "--json"])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("comptoir journal verify");
    assert!(status.success());
    println!(
        "`comptoir journal verify --json` from process start: {:.2} s",
        started.elapsed().as_secs_f64()
    );
}
