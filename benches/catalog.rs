//! The catalogue's speed targets (issue 3), measured on a large demo database, each figure side
//! by side with bare SQLite running the same query in the same run:
//!
//! - scan text → product card data (parse + lookup + stock rows), p50/p95/p99;
//! - name search, top 20, common French words, p50/p95;
//! - `comptoir product --json` from process start: wall time and peak RSS.
//!
//! Run: `cargo bench --bench catalog` (1,000,000 products; the database is seeded once into
//! `target/bench/` and reused). `COMPTOIR_BENCH_PRODUCTS=100000` picks another size.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use comptoir::app::product_card::product_card;
use comptoir::app::seed::seed_demo;
use comptoir::domain::demo;
use comptoir::domain::scan::ScanConfig;
use comptoir::store::{PRODUCT_BY_GTIN_SQL, SEARCH_SQL, STOCK_BY_GTIN_SQL, Store};
use rusqlite::{Connection, params};

const LOOKUPS: u64 = 20_000;
const SEARCH_ROUNDS: usize = 15;
const PROCESS_RUNS: usize = 30;
const WORDS: &[&str] = &[
    "chaussure",
    "pull",
    "livre",
    "parfum",
    "lampe",
    "robe",
    "veste",
    "chemise",
    "café",
    "bougie",
    "écharpe",
    "miel",
    "pull laine",
    "robe soie",
    "lampe laiton",
    "chaussures cuir noir",
    "eau de parfum",
    "livre cuisine",
    "manteau",
    "orchidée",
];

fn main() {
    let products: u64 = std::env::var("COMPTOIR_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let db = bench_db(products);
    println!(
        "database: {} ({products} products, 8 locations)",
        db.display()
    );
    scan_to_card(&db, products);
    search(&db);
    process_start(&db);
}

fn bench_db(products: u64) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&dir).expect("create target/bench");
    let path = dir.join(format!("demo-{products}.db"));
    let mut store = Store::open(&path).expect("open bench database");
    if store.product_count().expect("count") as u64 != products {
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        store = Store::open(&path).expect("open bench database");
        let started = Instant::now();
        seed_demo(&mut store, products, now(), &mut |_, _| {}).expect("seed");
        println!(
            "seed: {products} products in {:.1} s, file {} MB",
            started.elapsed().as_secs_f64(),
            std::fs::metadata(&path)
                .map(|m| m.len() / 1_000_000)
                .unwrap_or(0)
        );
    }
    path
}

fn scan_to_card(db: &PathBuf, products: u64) {
    let store = Store::open(db).expect("open");
    let config = ScanConfig::default();
    let today = chrono::Utc::now().date_naive();
    // Scattered products, and three kinds of scan text: EAN-13, a GS1 QR element string with
    // expiry and lot, and a Digital Link URI.
    let indexes: Vec<u64> = (0..LOOKUPS)
        .map(|i| (i.wrapping_mul(2_654_435_761) ^ 0x5bd1_e995) % products)
        .collect();
    let scans: Vec<String> = indexes
        .iter()
        .enumerate()
        .map(|(i, &index)| {
            let gtin = demo::product(index).gtin;
            match i % 3 {
                0 => gtin.as_str()[1..].to_owned(),
                1 => format!("]Q3(01){gtin}(17)271231(10)L{i}"),
                _ => format!("https://id.example.fr/01/{gtin}/10/L{i}"),
            }
        })
        .collect();

    // Warm the page cache the same way for both, then time them interleaved.
    let bare = Connection::open(db).expect("bare connection");
    let mut product_stmt = bare.prepare(PRODUCT_BY_GTIN_SQL).expect("prepare");
    let mut stock_stmt = bare.prepare(STOCK_BY_GTIN_SQL).expect("prepare");
    let keys: Vec<i64> = indexes
        .iter()
        .map(|&i| demo::product(i).gtin.to_u64() as i64)
        .collect();
    let mut ours = Vec::with_capacity(scans.len());
    let mut bare_product = Vec::with_capacity(scans.len());
    let mut bare_both = Vec::with_capacity(scans.len());
    for round in 0..2 {
        for (scan, &key) in scans.iter().zip(&keys) {
            let started = Instant::now();
            let name: String = product_stmt
                .query_row(params![key], |row| row.get(1))
                .expect("bare product");
            let t_product = started.elapsed();
            let rows = stock_stmt
                .query_map(params![key], |row| row.get::<_, i64>(1))
                .expect("bare stock")
                .count();
            let t_both = started.elapsed();
            std::hint::black_box((name, rows));

            let started = Instant::now();
            let card =
                product_card(&store, scan, &config, demo::HERE_CODE, today).expect("product card");
            let t_ours = started.elapsed();
            std::hint::black_box(card);
            if round == 1 {
                bare_product.push(t_product);
                bare_both.push(t_both);
                ours.push(t_ours);
            }
        }
    }
    println!("\nscan → product card ({LOOKUPS} scans: EAN-13, GS1 QR, Digital Link)");
    report("comptoir product_card (parse + product + stock)", &mut ours);
    report("bare SQLite: product row, prepared", &mut bare_product);
    report(
        "bare SQLite: product row + stock rows, prepared",
        &mut bare_both,
    );
    let p99 = percentile(&ours, 99.0).as_secs_f64();
    println!(
        "  p99 ratio: {:.2}× the bare product lookup, {:.2}× the bare same queries",
        p99 / percentile(&bare_product, 99.0).as_secs_f64(),
        p99 / percentile(&bare_both, 99.0).as_secs_f64()
    );
}

fn search(db: &PathBuf) {
    let store = Store::open(db).expect("open");
    let bare = Connection::open(db).expect("bare connection");
    let mut stmt = bare.prepare(SEARCH_SQL).expect("prepare");
    let mut ours = Vec::new();
    let mut raw = Vec::new();
    println!(
        "\nname search, top 20 ({} queries × {SEARCH_ROUNDS})",
        WORDS.len()
    );
    for round in 0..SEARCH_ROUNDS {
        for word in WORDS {
            let started = Instant::now();
            let hits = store
                .search_products(word, 20, demo::HERE_CODE)
                .expect("search");
            let elapsed = started.elapsed();
            let prefix: String = word
                .split_whitespace()
                .map(|w| format!("\"{w}\"*"))
                .collect::<Vec<_>>()
                .join(" ");
            let started = Instant::now();
            let rows = stmt
                .query_map(params![prefix, 20, demo::HERE_CODE], |row| {
                    row.get::<_, i64>(0)
                })
                .expect("bare search")
                .count();
            let bare_elapsed = started.elapsed();
            if round == 0 {
                println!(
                    "  {word:<22} {:>3} hits  first: {}",
                    hits.len(),
                    hits.first().map(|h| h.name.as_str()).unwrap_or("-")
                );
                std::hint::black_box(rows);
            } else {
                ours.push(elapsed);
                raw.push(bare_elapsed);
            }
        }
    }
    report("comptoir search_products (four tiers)", &mut ours);
    report("bare SQLite: one FTS5 prefix query, same SQL", &mut raw);
}

fn process_start(db: &PathBuf) {
    let exe = env!("CARGO_BIN_EXE_comptoir");
    let gtin = demo::product(123).gtin;
    let mut times = Vec::new();
    for _ in 0..PROCESS_RUNS {
        let started = Instant::now();
        let output = Command::new(exe)
            .arg("--db")
            .arg(db)
            .args(["product", "--json", gtin.as_str()])
            .output()
            .expect("run comptoir");
        times.push(started.elapsed());
        assert!(output.status.success(), "{output:?}");
    }
    println!("\n`comptoir product --json` from process start ({PROCESS_RUNS} runs)");
    report("wall time", &mut times);
    println!("  peak RSS of any run: {} MB", peak_child_rss_kb() / 1024);
}

/// The largest resident set any child process reached (Linux reports kilobytes).
fn peak_child_rss_kb() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole rusage into the pointer it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr());
        usage.assume_init()
    };
    usage.ru_maxrss
}

fn report(label: &str, samples: &mut [Duration]) {
    samples.sort();
    println!(
        "  {label:<50} p50 {:>9.1} µs   p95 {:>9.1} µs   p99 {:>9.1} µs",
        micros(percentile(samples, 50.0)),
        micros(percentile(samples, 95.0)),
        micros(percentile(samples, 99.0)),
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let mut sorted = sorted.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
