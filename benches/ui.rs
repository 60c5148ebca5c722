//! The staff UI's speed targets (issue 5), on the 1,000,000-product demo database that
//! `cargo bench --bench catalog` seeds into `target/bench/` (run it first):
//!
//! - start to the login page (database open, window built, staff list shown), in-process;
//! - a scan arriving → its line and the new total in the basket's model (issue 14: one scan, one
//!   line), through the real UI under Slint's testing backend, the app worker and the SQLite
//!   write of the open basket, p50/p95/p99, beside bare SQLite reading the same rows and writing
//!   the basket row;
//! - checkout commit (one transaction: sale, lines, VAT, payments, stock movements), side by
//!   side with a bare SQLite transaction inserting the same rows.
//!
//! Run: `cargo bench --bench ui`.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use comptoir::app::checkout::{SaleContext, add_scan, checkout};
use comptoir::app::pricing::Pricing;
use comptoir::config::Config;
use comptoir::domain::basket::Basket;
use comptoir::domain::demo;
use comptoir::domain::payment::Tender;
use comptoir::domain::scan::ScanConfig;
use comptoir::store::{PRODUCT_BY_GTIN_SQL, STOCK_BY_GTIN_SQL, Store};
use comptoir::ui::{
    AppAdapter, AppWindow, BasketAdapter, LoginAdapter, NoticeKind, Page, ProductAdapter,
    ScanAdapter, ScanNotice,
};
use rusqlite::{Connection, params};
use slint::{ComponentHandle, Model};

const SCANS: usize = 1_000;
const SALES: usize = 1_000;
/// Lines in a basket before it is emptied: a big customer's basket.
const BASKET: usize = 20;

fn main() {
    let products: u64 = std::env::var("COMPTOIR_BENCH_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let db = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench")
        .join(format!("demo-{products}.db"));
    if !db.exists() {
        eprintln!(
            "{} is missing: run `cargo bench --bench catalog` first",
            db.display()
        );
        std::process::exit(1);
    }
    println!("database: {} ({products} products)", db.display());
    // A database seeded before staff accounts existed gets the demo staff.
    let store = Store::open(&db).expect("open");
    if store.staff_members().expect("staff").is_empty() {
        for staff in &demo::STAFF {
            let hash = comptoir::app::login::hash_pin(staff.pin).expect("hash");
            store
                .upsert_staff(staff.login, staff.display_name, staff.role, &hash, 0)
                .expect("staff");
        }
    }
    drop(store);
    i_slint_backend_testing::init_integration_test_with_system_time();
    ui_path(&db, products);
    checkout_commit(&db, products);
}

fn wait_for(window: &AppWindow, done: impl Fn(&AppWindow) -> bool + 'static) {
    let done = Rc::new(done);
    let check = Rc::clone(&done);
    let weak = window.as_weak();
    let deadline = Instant::now() + Duration::from_secs(30);
    let timer = slint::Timer::default();
    // 1 ms polls: a zero-interval timer starves the events posted from other threads.
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_millis(1),
        move || {
            if weak.upgrade().is_some_and(|w| check(&w)) || Instant::now() > deadline {
                let _ = slint::quit_event_loop();
            }
        },
    );
    slint::run_event_loop().expect("event loop");
    assert!(
        done(window),
        "timed out on page {:?} (login problem {:?}, product on show {})",
        window.global::<AppAdapter>().get_page(),
        window.global::<LoginAdapter>().get_problem(),
        window.global::<ProductAdapter>().get_gtin()
    );
}

fn ui_path(db: &Path, products: u64) {
    let started = Instant::now();
    let store = Store::open(db).expect("open");
    let window = comptoir::ui::build_window(&Config::default(), store).expect("window");
    window.show().expect("show");
    wait_for(&window, |w| {
        w.global::<LoginAdapter>().get_staff().row_count() > 0
    });
    let start = started.elapsed();
    println!(
        "\nstart to the login page (open + window + staff list), in-process: {:.1} ms",
        start.as_secs_f64() * 1e3
    );

    // Log in as a user does (the same path as tests/ui.rs).
    for label in ["Camille Martin", "1", "2", "3", "4", "Se connecter"] {
        let element =
            i_slint_backend_testing::ElementHandle::find_by_accessible_label(&window, label)
                .next()
                .unwrap_or_else(|| panic!("no element labelled {label:?} on the login page"));
        element.invoke_accessible_default_action();
    }
    wait_for(&window, |w| {
        w.global::<AppAdapter>().get_page() == Page::Scan
    });

    // One event loop for all the scans (stopping and restarting it between scans loses posted
    // events in the testing backend): a 1 ms timer submits a scan, sees its line and the new
    // total in the basket's model, records the time, and submits the next. Every 20 scans the
    // open basket is emptied (by a second connection, outside the timed part), so that the
    // baskets stay the size of a real customer's.
    let codes: Vec<String> = (0..SCANS as u64)
        .map(|i| {
            let index = (i.wrapping_mul(2_654_435_761) ^ 0x5bd1_e995) % products;
            let gtin = demo::product(index).gtin;
            if i % 2 == 0 {
                gtin.as_str()[1..].to_owned()
            } else {
                format!("]Q3(01){gtin}(17)271231(10)L{i}")
            }
        })
        .collect();
    let emptier = Connection::open(db).expect("second connection");
    emptier
        .execute("DELETE FROM basket WHERE state = 'open'", [])
        .expect("empty basket");
    let samples = Rc::new(std::cell::RefCell::new(Vec::with_capacity(SCANS)));
    // (next code, when it was submitted, items in the basket before it, codes refused)
    let state = Rc::new(std::cell::Cell::new((
        0usize,
        None::<Instant>,
        0i32,
        0usize,
    )));
    let weak = window.as_weak();
    let timer = slint::Timer::default();
    let recorded = Rc::clone(&samples);
    let refused = Rc::clone(&state);
    let deadline = Instant::now() + Duration::from_secs(300);
    let submitted = codes.clone();
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_millis(1),
        move || {
            let Some(w) = weak.upgrade() else { return };
            let (next, pending, mut items, mut refusals) = state.get();
            if let Some(started) = pending {
                // Its line is in the model and the total shown is the new one (the count of
                // items goes up by one with each scan of a basket). A code the till refuses
                // (a product sold by weight scanned without its weight) is not timed.
                let basket = w.global::<BasketAdapter>();
                match w.global::<ScanNotice>().get_kind() {
                    NoticeKind::Added if basket.get_item_count() == items + 1 => {
                        recorded.borrow_mut().push(started.elapsed());
                        items += 1;
                    }
                    NoticeKind::Problem => refusals += 1,
                    _ => {
                        if Instant::now() > deadline {
                            let _ = slint::quit_event_loop();
                        }
                        return;
                    }
                }
                w.global::<ScanNotice>().set_kind(NoticeKind::None);
                if items as usize == BASKET {
                    emptier
                        .execute("DELETE FROM basket WHERE state = 'open'", [])
                        .expect("empty basket");
                    items = 0;
                }
            }
            if next == submitted.len() {
                state.set((next, None, items, refusals));
                let _ = slint::quit_event_loop();
                return;
            }
            state.set((next + 1, Some(Instant::now()), items, refusals));
            w.global::<ScanAdapter>()
                .invoke_submit(submitted[next].as_str().into());
        },
    );
    slint::run_event_loop().expect("event loop");
    let mut samples = samples.borrow().clone();
    let refusals = refused.get().3;
    assert_eq!(
        samples.len() + refusals,
        SCANS,
        "every scan was answered ({refusals} refused)"
    );
    println!(
        "\nscan arriving → its line and the new total in the basket model ({SCANS} scans, \
         baskets of {BASKET}, real UI + app worker + SQLite write; {refusals} codes refused and \
         not timed)"
    );
    report("comptoir UI", &mut samples);
    let mut bare = bare_scan_to_line(db, &codes, products);
    report("bare SQLite: product + stock + basket write", &mut bare);
    println!(
        "  p99 ratio: {:.2}×",
        percentile(&samples, 99.0).as_secs_f64() / percentile(&bare, 99.0).as_secs_f64()
    );
}

/// What a scan into the basket costs SQLite itself: the product and its stock read by GTIN, and
/// the basket row written in a transaction, with the same statements and the same durability.
fn bare_scan_to_line(db: &Path, codes: &[String], products: u64) -> Vec<Duration> {
    let conn = Connection::open(db).expect("bare connection");
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")
        .expect("pragmas");
    let mut samples = Vec::with_capacity(codes.len());
    let mut lines: Vec<(i64, String)> = Vec::new();
    for i in 0..codes.len() as u64 {
        let index = (i.wrapping_mul(2_654_435_761) ^ 0x5bd1_e995) % products;
        let key = demo::product(index).gtin.to_u64() as i64;
        let started = Instant::now();
        let tx = conn.unchecked_transaction().expect("transaction");
        let name: String = tx
            .prepare_cached(PRODUCT_BY_GTIN_SQL)
            .expect("prepare")
            .query_row(params![key], |row| row.get(1))
            .expect("product");
        let stock = tx
            .prepare_cached(STOCK_BY_GTIN_SQL)
            .expect("prepare")
            .query_map(params![key], |row| row.get::<_, i64>(1))
            .expect("stock")
            .count();
        if (i as usize).is_multiple_of(BASKET) {
            lines.clear();
        }
        lines.push((key, name));
        let json = serde_json::to_string(&lines).expect("json");
        tx.execute(
            "INSERT INTO basket (id, state, lines_json, updated_at) VALUES (-1, 'parked', ?1, 0)
             ON CONFLICT (id) DO UPDATE SET lines_json = excluded.lines_json",
            params![json],
        )
        .expect("basket write");
        tx.commit().expect("commit");
        samples.push(started.elapsed());
        assert!(stock > 0);
    }
    conn.execute("DELETE FROM basket WHERE id = -1", [])
        .expect("clean up");
    samples
}

fn checkout_commit(db: &Path, products: u64) {
    let mut store = Store::open(db).expect("open");
    let config = ScanConfig::default();
    let today = chrono::Utc::now().date_naive();
    let codes: Vec<String> = (0..3)
        .map(|i| {
            demo::product((i * 7_919) % products)
                .gtin
                .as_str()
                .to_owned()
        })
        .collect();
    let mut ours = Vec::with_capacity(SALES);
    for _ in 0..SALES {
        let mut basket = Basket::new();
        for code in &codes {
            add_scan(
                &store,
                &mut basket,
                code,
                1,
                &config,
                demo::HERE_CODE,
                today,
            )
            .expect("scan");
        }
        let started = Instant::now();
        checkout(
            &mut store,
            &mut basket,
            Tender::Card,
            SaleContext {
                terminal_id: "BENCH",
                here_code: demo::HERE_CODE,
                staff_id: None,
                operator: "bench",
                training: false,
                now: chrono::Utc::now().timestamp(),
                pricing: &Pricing::default(),
                tier: None,
                credit: None,
            },
        )
        .expect("checkout");
        ours.push(started.elapsed());
    }

    // The same rows, written bare: one transaction, prepared statements, same pragmas.
    let mut bare = Connection::open(db).expect("bare connection");
    bare.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .expect("pragmas");
    let keys: Vec<i64> = codes
        .iter()
        .map(|c| c.parse::<i64>().expect("gtin digits"))
        .collect();
    let mut raw = Vec::with_capacity(SALES);
    for n in 0..SALES as i64 {
        let started = Instant::now();
        let tx = bare.transaction().expect("begin");
        let seq: i64 = tx
            .query_row(
                "SELECT coalesce(max(seq), 0) + 1 FROM sale WHERE terminal_id = 'BARE'",
                [],
                |row| row.get(0),
            )
            .expect("seq");
        tx.execute(
            "INSERT INTO sale (terminal_id, seq, ticket_number, location_id, created_at,
                               total_cents, change_cents)
             VALUES ('BARE', ?1, ?2, 1, ?3, 3000, 0)",
            params![seq, format!("BARE-{seq:06}"), n],
        )
        .expect("sale");
        let sale = tx.last_insert_rowid();
        for (line, key) in keys.iter().enumerate() {
            tx.prepare_cached(
                "INSERT INTO sale_line (sale_id, line_no, gtin, label, quantity,
                                        unit_price_cents, vat_bp, amount_cents, label_amount)
                 VALUES (?1, ?2, ?3, 'x', 1, 1000, 2000, 1000, 0)",
            )
            .expect("prepare")
            .execute(params![sale, line as i64 + 1, key])
            .expect("line");
            tx.prepare_cached(
                "INSERT INTO stock_movement (gtin, location_id, delta, reason, sale_id, created_at)
                 VALUES (?1, 1, -1, 'sale', ?2, ?3)",
            )
            .expect("prepare")
            .execute(params![key, sale, n])
            .expect("stock");
        }
        tx.execute(
            "INSERT INTO sale_vat (sale_id, vat_bp, base_cents, vat_cents, total_cents)
             VALUES (?1, 2000, 2500, 500, 3000)",
            params![sale],
        )
        .expect("vat");
        tx.execute(
            "INSERT INTO sale_payment (sale_id, method, amount_cents) VALUES (?1, 'card', 3000)",
            params![sale],
        )
        .expect("payment");
        tx.commit().expect("commit");
        raw.push(started.elapsed());
    }
    println!("\ncheckout commit, 3 lines ({SALES} sales)");
    report("comptoir checkout (settle + record_sale)", &mut ours);
    report("bare SQLite transaction, same rows", &mut raw);
    println!(
        "  p99 ratio: {:.2}×",
        percentile(&ours, 99.0).as_secs_f64() / percentile(&raw, 99.0).as_secs_f64()
    );
}

fn report(label: &str, samples: &mut [Duration]) {
    samples.sort();
    println!(
        "  {label:<45} p50 {:>8.1} µs   p95 {:>8.1} µs   p99 {:>8.1} µs",
        percentile(samples, 50.0).as_secs_f64() * 1e6,
        percentile(samples, 95.0).as_secs_f64() * 1e6,
        percentile(samples, 99.0).as_secs_f64() * 1e6,
    );
}

fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
