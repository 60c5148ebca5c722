//! The terminal and the central together, on loopback, through the real binaries and a
//! fault-injecting proxy: sales made offline reach the central exactly once whatever the network
//! does, a terminal killed in the middle of a sync loses and doubles nothing, and malformed
//! answers change nothing on the terminal.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;
use std::thread;
use std::time::Duration;

use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::store::received::StockLevels;
use comptoir_central as central;

use crate::proxy::FaultyProxy;
use crate::util::{
    TempDb, assert_success, comptoir, json_of, kill_at_random_instants, stderr_of, temp_db,
};

/// The central serving `dir` on `addr` from its own thread and runtime, until dropped.
pub(crate) struct RunningCentral {
    pub(crate) addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl RunningCentral {
    pub(crate) fn start(dir: &Path, addr: &str) -> RunningCentral {
        RunningCentral::start_with_limits(dir, addr, central::listener::Limits::default())
    }

    /// [`RunningCentral::start`] with the given limits on what one client may hold.
    pub(crate) fn start_with_limits(
        dir: &Path,
        addr: &str,
        limits: central::listener::Limits,
    ) -> RunningCentral {
        let dir = dir.to_owned();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (bound_tx, bound) = std::sync::mpsc::channel();
        let addr = addr.to_owned();
        let thread = thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
                bound_tx
                    .send(listener.local_addr().expect("address"))
                    .expect("send address");
                central::serve_with_limits(listener, &dir, limits, async {
                    let _ = stopped.await;
                })
                .await
                .expect("serve");
            });
        });
        let addr = bound.recv_timeout(Duration::from_secs(10)).expect("bound");
        RunningCentral {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningCentral {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub(crate) fn central_dir(products: u64) -> crate::pg::CentralDir {
    let dir = crate::pg::CentralDir::new();
    central::seed(dir.path(), products, |_, _| {}).expect("seed the central");
    dir
}

/// A fresh terminal database enrolled with the central (store PAR-01) and synced once.
pub(crate) fn enrolled_terminal(central_data: &Path, url: &str) -> TempDb {
    enrolled_terminal_at(central_data, url, demo::HERE_CODE)
}

/// A fresh terminal database enrolled with the central for `store` and synced once (its
/// commands need `COMPTOIR_STORE_CODE` set to `store` for the store they count as here).
pub(crate) fn enrolled_terminal_at(central_data: &Path, url: &str, store: &str) -> TempDb {
    enrolled_as(central_data, url, store, "T01")
}

/// [`enrolled_terminal_at`] for the terminal `terminal` of `store` (a kiosk "B01").
pub(crate) fn enrolled_as(central_data: &Path, url: &str, store: &str, terminal: &str) -> TempDb {
    let db = temp_db();
    let code = central::enroll_code(central_data, store)
        .expect("code")
        .code;
    assert_success(
        &comptoir(&db.path)
            .env("COMPTOIR_STORE_CODE", store)
            .env("COMPTOIR_TERMINAL_ID", terminal)
            .args(["enroll", url, &code])
            .output()
            .expect("enroll"),
    );
    let first = sync(&db.path, None);
    assert_success(&first);
    db
}

pub(crate) fn sync(db: &Path, central: Option<&str>) -> Output {
    let mut command = comptoir(db);
    command.args(["sync", "once", "--json"]);
    if let Some(url) = central {
        command.args(["--central", url]);
    }
    command.output().expect("sync once")
}

/// Syncs through `url` until the outbox is empty, in at most 80 rounds; `before(n)` runs before
/// round `n` (from 1).
fn sync_until_sent(db: &Path, url: &str, mut before: impl FnMut(u32)) {
    for round in 1..=80 {
        before(round);
        let output = sync(db, Some(url));
        if output.status.success() && waiting(db) == 0 {
            return;
        }
    }
    panic!("the outbox never emptied");
}

fn waiting(db: &Path) -> i64 {
    let output = comptoir(db)
        .args(["sync", "status", "--json"])
        .output()
        .expect("status");
    assert_success(&output);
    json_of(&output)["waiting"].as_i64().expect("waiting")
}

pub(crate) fn sell(db: &Path, products: &[u64]) {
    for &p in products {
        let output = comptoir(db)
            .args(["sell", demo::product(p).gtin.as_str(), "--pay", "card"])
            .output()
            .expect("sell");
        assert_success(&output);
    }
}

#[test]
fn the_first_sync_brings_the_catalogue_stock_and_staff() {
    let data = central_dir(150);
    let server = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &server.url());
    let p = demo::product(42);
    let output = comptoir(&db.path)
        .args(["product", "--json", p.gtin.as_str()])
        .output()
        .expect("product");
    assert_success(&output);
    let card = json_of(&output);
    assert_eq!(card["name"], p.name);
    assert_eq!(card["stock"]["others"].as_array().map(Vec::len), Some(7));
    let store = Store::open(&db.path).expect("open");
    assert_eq!(
        store.staff_members().expect("staff").len(),
        demo::STAFF.len()
    );
    let status = comptoir(&db.path)
        .args(["sync", "status", "--json"])
        .output()
        .expect("status");
    let status = json_of(&status);
    assert_eq!(status["online"], true);
    assert_eq!(status["waiting"], 0);
    assert!(status["last_sync"].is_string());
}

#[test]
fn offline_sales_arrive_exactly_once_through_a_faulty_network_and_a_restart() {
    let data = central_dir(120);
    let server = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &server.url());
    let before = central::stats(data.path()).expect("stats").received.sales;

    // The network goes away: 30 sales made offline.
    let sales: Vec<u64> = (0..30)
        .map(|i| 1 + (i * 7) % 100)
        .filter(|i| i % 97 != 3)
        .collect();
    sell(&db.path, &sales);
    assert!(waiting(&db.path) >= sales.len() as i64);

    // It comes back through a proxy that drops, duplicates, delays and cuts 40 % of requests;
    // the central restarts once in the middle.
    let addr = server.addr;
    let proxy = FaultyProxy::start(addr, 40, 0x5eed);
    let mut server = Some(server);
    sync_until_sent(&db.path, &proxy.url(), |round| {
        if round == 3 {
            // Stopped before it starts again on its port.
            drop(server.take());
            server = Some(RunningCentral::start(data.path(), &addr.to_string()));
        }
    });
    assert!(proxy.faults.load(std::sync::atomic::Ordering::SeqCst) > 0);
    let stats = central::stats(data.path()).expect("stats");
    assert_eq!(
        stats.received.sales - before,
        sales.len() as i64,
        "{stats:?}"
    );
    drop(server);
}

#[test]
fn a_terminal_killed_in_the_middle_of_a_sync_loses_and_doubles_nothing() {
    let data = central_dir(120);
    let server = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &server.url());
    let before = central::stats(data.path()).expect("stats").received.sales;
    let sales: Vec<u64> = (1..=20)
        .collect::<Vec<_>>()
        .into_iter()
        .filter(|i| i % 97 != 3)
        .collect();
    sell(&db.path, &sales);
    kill_at_random_instants(
        &db.path,
        &["sync", "once"],
        12,
        0x2545_f491_4f6c_dd1d,
        Duration::from_millis(60),
    );
    assert_success(&sync(&db.path, None));
    assert_eq!(waiting(&db.path), 0);
    let stats = central::stats(data.path()).expect("stats");
    assert_eq!(
        stats.received.sales - before,
        sales.len() as i64,
        "{stats:?}"
    );
    let verify = comptoir(&db.path)
        .args(["journal", "verify"])
        .output()
        .expect("verify");
    assert_success(&verify);
}

/// A fake central answering every request with `answer` (a raw HTTP response).
fn fake_central(answer: &'static [u8]) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 65536];
            let _ = std::io::Read::read(&mut stream, &mut buf);
            let _ = std::io::Write::write_all(&mut stream, answer);
        }
    });
    addr
}

#[test]
fn malformed_answers_give_a_clear_message_and_change_nothing() {
    let data = central_dir(60);
    let server = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &server.url());
    sell(&db.path, &[1, 2]);
    let cursor_before = Store::open(&db.path)
        .expect("open")
        .pull_cursor()
        .expect("cursor");
    let waiting_before = waiting(&db.path);
    let answers: [(&[u8], &str); 4] = [
        (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 9\r\nconnection: close\r\n\r\n{not json",
            "not a valid",
        ),
        (
            b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 21\r\nconnection: close\r\n\r\n{\"error\":\"disk full\"}",
            "disk full",
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 999999999\r\nconnection: close\r\n\r\n{}",
            "allowed",
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 47\r\nconnection: close\r\n\r\n{\"acked_seq\":999999,\"applied\":0,\"duplicates\":0}",
            "beyond",
        ),
    ];
    for (answer, reason) in answers {
        let fake = fake_central(answer);
        let output = sync(&db.path, Some(&format!("http://{fake}")));
        assert_eq!(output.status.code(), Some(1), "{reason}");
        assert!(
            stderr_of(&output).contains(reason),
            "{reason}: {}",
            stderr_of(&output)
        );
        assert_eq!(waiting(&db.path), waiting_before, "{reason}");
        assert_eq!(
            Store::open(&db.path)
                .expect("open")
                .pull_cursor()
                .expect("cursor"),
            cursor_before,
            "{reason}"
        );
    }
    drop(server);
}

/// Once the central has received the journal, removing its tail on the terminal is caught even
/// with no closing: `journal verify` checks the chain still reaches the central's last hash.
#[test]
fn a_truncated_journal_is_caught_against_the_central() {
    let data = central_dir(60);
    let server = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &server.url());
    sell(&db.path, &[1, 2, 4]);
    assert_success(&sync(&db.path, None));
    let verify = |path: &Path| {
        let output = comptoir(path)
            .args(["journal", "verify", "--json"])
            .output()
            .expect("verify");
        (output.status.code(), json_of(&output))
    };
    assert_eq!(verify(&db.path).0, Some(0));
    let conn = rusqlite::Connection::open(&db.path).expect("open");
    conn.execute_batch(
        "DROP TRIGGER journal_entry_no_delete;
         DELETE FROM journal_entry WHERE sequence >= 2;",
    )
    .expect("truncate");
    drop(conn);
    let (code, out) = verify(&db.path);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(out["problem"]["code"], "missing_tail", "{out}");
    assert_eq!(out["problem"]["sequence"], 3, "{out}");
    drop(server);
}

/// A sale at another store's terminal shows up in this terminal's fresh network stock for the
/// product, fetched on demand and cached with the central's time.
#[test]
fn fresh_network_stock_shows_another_stores_sale() {
    let data = central_dir(60);
    let server = RunningCentral::start(data.path(), "127.0.0.1:0");
    let here = enrolled_terminal(data.path(), &server.url());
    let lyon = temp_db();
    let code = central::enroll_code(data.path(), "LYO-01")
        .expect("code")
        .code;
    let lyon_cmd = |args: &[&str]| {
        let mut command = comptoir(&lyon.path);
        command
            .env("COMPTOIR_STORE_CODE", "LYO-01")
            .env("COMPTOIR_TERMINAL_ID", "T02")
            .args(args);
        command.output().expect("lyon terminal")
    };
    assert_success(&lyon_cmd(&["enroll", &server.url(), &code]));
    assert_success(&lyon_cmd(&["sync", "once"]));
    let p = demo::product(5);
    let lyon_level = |db: &Path| -> i64 {
        let output = comptoir(db)
            .args(["product", "--json", p.gtin.as_str()])
            .output()
            .expect("product");
        json_of(&output)["stock"]["others"]
            .as_array()
            .and_then(|o| o.iter().find(|l| l["location"] == "LYO-01").cloned())
            .and_then(|l| l["qty"].as_i64())
            .expect("Lyon's level")
    };
    let before = lyon_level(&here.path);
    assert_success(&lyon_cmd(&[
        "sell",
        &format!("{}*2", p.gtin),
        "--pay",
        "card",
    ]));
    assert_success(&lyon_cmd(&["sync", "once"]));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut store = Store::open(&here.path).expect("open");
    let client = comptoir::sync::engine::client_for(&store, None).expect("client");
    let answer = runtime
        .block_on(client.stock(p.gtin.as_str()))
        .expect("stock");
    store
        .apply_fresh_stock(&StockLevels::from(answer))
        .expect("cache");
    drop(store);
    assert_eq!(lyon_level(&here.path), before - 2);
    drop(server);
}

/// A pull reports its progress page by page, ending at the total (the UI's status bar and the
/// CLI's progress bar show it).
#[test]
fn a_pull_reports_its_progress_up_to_the_total() {
    let data = central_dir(60);
    let server = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = temp_db();
    let code = central::enroll_code(data.path(), demo::HERE_CODE)
        .expect("code")
        .code;
    assert_success(
        &comptoir(&db.path)
            .args(["enroll", &server.url(), &code])
            .output()
            .expect("enroll"),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut store = Store::open(&db.path).expect("open");
    let client = comptoir::sync::engine::client_for(&store, None).expect("client");
    let mut seen = Vec::new();
    let report = runtime
        .block_on(comptoir::sync::engine::sync_round(
            &mut store,
            &client,
            &mut |done, total| {
                seen.push((done, total));
            },
        ))
        .expect("sync");
    let last = *seen.last().expect("progress was reported");
    assert_eq!(last.0, report.pulled as u64);
    assert_eq!(last.0, last.1, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    drop(server);
}

/// Issue 19: a sync round beside sellers busy on the same database waits for the database, as a
/// sale does, instead of failing at once with « database is locked »; every sale arrives.
#[test]
fn a_sync_beside_busy_sellers_waits_for_the_database() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    let before = central::stats(data.path()).expect("stats").received.sales;
    const SELLERS: usize = 3;
    const SALES: usize = 6;
    let sellers: Vec<_> = (0..SELLERS)
        .map(|_| {
            let path = db.path.clone();
            thread::spawn(move || sell(&path, &[1; SALES]))
        })
        .collect();
    for _ in 0..4 {
        let synced = sync(&db.path, None);
        assert_success(&synced);
    }
    for seller in sellers {
        seller.join().expect("seller");
    }
    assert_success(&sync(&db.path, None));
    assert_eq!(
        central::stats(data.path()).expect("stats").received.sales - before,
        (SELLERS * SALES) as i64
    );
}

/// Issue 19: a round whose first push the central acknowledged, and which then lost the network
/// (here before the journal tip and the pull), reported `"pushed": 0` in its JSON while the
/// events were acknowledged on the terminal too. It now reports what was acknowledged, with
/// `ok: false`, the error and exit status 1, as `sync status` and the central agree.
#[test]
fn an_interrupted_sync_reports_what_the_central_acknowledged() {
    let data = central_dir(60);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    let before = central::stats(data.path()).expect("stats").received.sales;
    sell(&db.path, &[1, 2, 4]);
    let events = waiting(&db.path);
    assert!(events >= 3, "{events} events waiting");

    // The push passes; the next request (the journal tip) is dropped unanswered.
    let proxy = FaultyProxy::drop_after(central.addr, 1);
    let output = sync(&db.path, Some(&proxy.url()));
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    let report = json_of(&output);
    assert_eq!(report["ok"], false, "{report:#}");
    assert!(report["error"].is_string(), "{report:#}");
    assert_eq!(report["pushed"].as_i64(), Some(events), "{report:#}");
    assert_eq!(report["waiting"], 0, "{report:#}");
    assert!(
        stderr_of(&output).contains(&format!("after pushing {events} events")),
        "{}",
        stderr_of(&output)
    );
    // What the report says is true: nothing waits here, the central has the three sales, and
    // the next round (network back) pushes nothing again.
    assert_eq!(waiting(&db.path), 0);
    assert_eq!(
        central::stats(data.path()).expect("stats").received.sales - before,
        3
    );
    let acked = report["acked_seq"].as_i64().expect("acked_seq");
    assert!(acked >= events, "{report:#}");
    let next = sync(&db.path, None);
    assert_success(&next);
    assert_eq!(json_of(&next)["pushed"], 0);
    drop(central);
}

/// Issue 18: two central instances on one database behind a balancer that drops, duplicates,
/// delays and cuts 40 % of the requests, and sends each retry to the other instance (a
/// duplicate too): every offline sale arrives exactly once. On PostgreSQL these are the chain's
/// instances; on SQLite, two processes on one file.
#[test]
fn offline_sales_arrive_exactly_once_through_two_instances_behind_a_cutting_balancer() {
    let data = central_dir(120);
    let a = RunningCentral::start(data.path(), "127.0.0.1:0");
    let b = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &a.url());
    let before = central::stats(data.path()).expect("stats").received.sales;
    // Products 3, 100… are sold by weight: not through `sell`.
    let sales: Vec<u64> = (0..32)
        .map(|i| 1 + (i * 11) % 100)
        .filter(|i| i % 97 != 3)
        .collect();
    sell(&db.path, &sales);

    let proxy = FaultyProxy::balancing(&[a.addr, b.addr], 40, 0xba1a_2ce5);
    sync_until_sent(&db.path, &proxy.url(), |_| {});
    assert!(proxy.faults.load(std::sync::atomic::Ordering::SeqCst) > 0);
    let stats = central::stats(data.path()).expect("stats");
    assert_eq!(
        stats.received.sales - before,
        sales.len() as i64,
        "{stats:?}"
    );
}

/// Issue 18: the PostgreSQL server crashes between a terminal's pushes and comes back. While it
/// is down the central answers « busy, retry » and `/healthz` says so, the terminal keeps its
/// sales; once it is back every sale arrives, once. PostgreSQL whatever the run tests: a
/// server that goes away is its own failure.
#[test]
fn a_postgresql_crash_between_pushes_loses_nothing() {
    let cluster = crate::pg::PgCluster::start();
    let url = cluster.database("chain");
    let data = tempfile::tempdir().expect("data");
    std::fs::write(data.path().join(central::database::URL_FILE), &url).expect("url");
    central::seed(data.path(), 120, |_, _| {}).expect("seed");
    let server = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &server.url());
    let before = central::stats(data.path()).expect("stats").received.sales;

    sell(&db.path, &[1, 2, 4, 5, 6]);
    assert_success(&sync(&db.path, None));
    sell(&db.path, &[7, 8, 9, 10, 11]);
    cluster.crash();
    let refused = sync(&db.path, None);
    assert!(!refused.status.success());
    assert!(waiting(&db.path) >= 5);
    let health = reqwest_status(&format!("{}/healthz", server.url()));
    assert_eq!(health, 503);

    cluster.restart();
    let mut attempts = 0;
    while !(sync(&db.path, None).status.success() && waiting(&db.path) == 0) {
        attempts += 1;
        assert!(attempts <= 20, "the outbox never emptied after the restart");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(reqwest_status(&format!("{}/healthz", server.url())), 200);
    drop(server);
    let stats = central::stats(data.path()).expect("stats");
    assert_eq!(stats.received.sales - before, 10, "{stats:?}");
}

/// The status of a GET to `url` (0 when nothing answers).
fn reqwest_status(url: &str) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        reqwest::get(url)
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    })
}

/// Issue 18: the central reaches a PostgreSQL server over TLS (`sslmode=require`), trusting the
/// company's own authority named by `COMPTOIR_CENTRAL_DATABASE_CA`; without it, the server's
/// certificate is refused and said so.
#[test]
fn the_central_reaches_postgresql_over_tls_and_refuses_a_certificate_it_cannot_trust() {
    let cluster = crate::pg::PgCluster::start_with_tls();
    let url = format!("{}?sslmode=require", cluster.database("chain"));
    let data = tempfile::tempdir().expect("data");

    let untrusted = crate::util::central_cli(data.path())
        .env_remove(central::sql::CA_VAR)
        .args(["--database", &url, "seed", "--products", "20"])
        .output()
        .expect("seed");
    assert_eq!(untrusted.status.code(), Some(1));
    let stderr = crate::util::stderr_of(&untrusted);
    assert!(
        stderr.contains("cannot connect to the PostgreSQL database")
            && stderr.contains("certificate"),
        "{stderr}"
    );

    let seeded = crate::util::central_cli(data.path())
        .env(central::sql::CA_VAR, cluster.ca_file())
        .args(["--database", &url, "seed", "--products", "20"])
        .output()
        .expect("seed");
    assert_success(&seeded);
    let stats = crate::util::central_cli(data.path())
        .env(central::sql::CA_VAR, cluster.ca_file())
        .args(["--database", &url, "stats", "--json"])
        .output()
        .expect("stats");
    assert_success(&stats);
}
