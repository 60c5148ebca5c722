//! Central benchmarks, run by hand on a release build (`cargo bench --bench central`), the
//! embedded SQLite central and the PostgreSQL one side by side in one run (issue 18):
//!
//! 1. ingest: sales (two lines each) pushed by one terminal in batches of 500 over loopback, in
//!    events per second, end to end (JSON, HTTP, one transaction per batch, durable);
//! 2. a store's rush: 200 terminals of the chain's 6 stores push 50 sales each, one push per
//!    sale, all at once, to two central instances on one database (terminal `i` to instance
//!    `i % 2`): every sale must arrive once; the push latencies' median, p99 and maximum;
//! 3. first pull: a catalogue of `COMPTOIR_BENCH_PRODUCTS` products (default 1,000,000, with
//!    stock in 8 locations) pulled page by page (`MAX_PAGE`) with gzip over loopback: the time
//!    the central takes to answer, the compressed bytes per page, and the time with the client's
//!    gunzip and JSON parse on top (the terminal's SQLite writes are not part of it). The
//!    PostgreSQL central gets the catalogue by `copy-to` from the SQLite one (timed too).
//!
//! `COMPTOIR_BENCH_DIR` keeps the seeded SQLite data directory between runs (seeding again with
//! the same size is a no-op); otherwise a temporary one is used. `COMPTOIR_BENCH_BACKENDS`
//! (`sqlite,postgres` by default) picks the backends, `COMPTOIR_BENCH_ONLY` the parts
//! (`ingest,rush,pull` by default); PostgreSQL runs in a throw-away cluster
//! (`tests/pg.rs`, Debian's `postgresql`). Client, servers and database share the machine's
//! cores, as they would on one box.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use comptoir::domain::demo;
use comptoir::sync::protocol::{
    ChangesPage, DEVICE_HEADER, EnrollResponse, EventKind, MAX_PAGE, OutboxEvent, PaymentPayload,
    PushRequest, PushResponse, SaleLinePayload, SalePayload,
};
use comptoir_central as central;

#[allow(dead_code)]
#[path = "../tests/pg.rs"]
mod pg;

const BATCH: usize = 500;
const RUSH_TERMINALS: usize = 200;
const RUSH_SALES: i64 = 50;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A central's data directory on `backend`: a database of `cluster` named `name` for
/// PostgreSQL (its URL in `database.url`).
fn place(backend: Backend, cluster: Option<&pg::PgCluster>, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    if backend == Backend::Postgres {
        let url = cluster.expect("a cluster").database(name);
        std::fs::write(dir.path().join(central::database::URL_FILE), url).expect("url");
    }
    dir
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let products = env_u64("COMPTOIR_BENCH_PRODUCTS", 1_000_000);
    let events = env_u64("COMPTOIR_BENCH_EVENTS", 20_000) as i64;
    let backends: Vec<Backend> = std::env::var("COMPTOIR_BENCH_BACKENDS")
        .unwrap_or_else(|_| "sqlite,postgres".into())
        .split(',')
        .filter_map(|b| match b.trim() {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" => Some(Backend::Postgres),
            _ => None,
        })
        .collect();
    let only = std::env::var("COMPTOIR_BENCH_ONLY").unwrap_or_else(|_| "ingest,rush,pull".into());
    let part = |name: &str| only.split(',').any(|p| p.trim() == name);
    let cluster = backends
        .contains(&Backend::Postgres)
        .then(pg::PgCluster::start_durable);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    for &backend in backends.iter().filter(|_| part("ingest")) {
        let dir = place(backend, cluster.as_ref(), "ingest");
        central::seed(dir.path(), 1_000, |_, _| {}).expect("seed");
        runtime.block_on(ingest(backend, dir.path(), events));
    }
    for &backend in backends.iter().filter(|_| part("rush")) {
        let dir = place(backend, cluster.as_ref(), "rush");
        central::seed(dir.path(), 1_000, |_, _| {}).expect("seed");
        runtime.block_on(rush(backend, dir.path()));
    }
    if !part("pull") {
        return;
    }
    let temp = tempfile::tempdir().expect("tempdir");
    let pull_dir = std::env::var_os("COMPTOIR_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_owned());
    let started = Instant::now();
    central::seed(&pull_dir, products, |_, _| {}).expect("seed");
    println!(
        "seed (SQLite): {products} products in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for &backend in &backends {
        match backend {
            Backend::Sqlite => runtime.block_on(pull(backend, &pull_dir)),
            Backend::Postgres => {
                let dir = place(backend, cluster.as_ref(), "pull");
                let url = std::fs::read_to_string(dir.path().join(central::database::URL_FILE))
                    .expect("url");
                let started = Instant::now();
                let report = central::pg::copy::copy_to(&pull_dir, &url, 0).expect("copy-to");
                println!(
                    "copy-to PostgreSQL: {} rows in {:.1} s",
                    report.rows,
                    started.elapsed().as_secs_f64()
                );
                runtime.block_on(pull(backend, dir.path()));
            }
        }
    }
}

struct Running {
    url: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), central::CentralError>>,
}

async fn start(dir: &Path) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let dir = dir.to_owned();
    let task = tokio::spawn(async move {
        central::serve_with_limits(listener, &dir, unlimited(), async {
            let _ = stopped.await;
        })
        .await
    });
    Running { url, stop, task }
}

/// The central's limits without its per-device and per-address quotas: one client stands for
/// a whole chain here (one address enrolls 200 terminals, one device pushes 20,000 events in a
/// few seconds), which the quotas are there to refuse.
fn unlimited() -> central::listener::Limits {
    let open = central::rate_limit::Rate::new(1_000_000_000, 1_000_000_000);
    central::listener::Limits {
        quotas: central::rate_limit::Quotas {
            enrollments_per_address: open,
            requests_per_device: open,
            events_per_device: open,
            searches_per_device: open,
        },
        ..central::listener::Limits::default()
    }
}

async fn stop(running: Running) {
    let _ = running.stop.send(());
    let _ = running.task.await;
}

async fn enroll(client: &reqwest::Client, dir: &Path, url: &str, store: &str) -> EnrollResponse {
    enroll_as(client, dir, url, store, "T01").await
}

async fn enroll_as(
    client: &reqwest::Client,
    dir: &Path,
    url: &str,
    store: &str,
    terminal: &str,
) -> EnrollResponse {
    let code = central::enroll_code(dir, store).expect("code");
    client
        .post(format!("{url}/v1/enroll"))
        .json(&serde_json::json!({"code": code.code, "terminal_id": terminal}))
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("enrolled")
}

/// The answer of a request the central must accept, or a panic with what it said.
async fn accepted<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    let status = response.status();
    let body = response.text().await.expect("body");
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str(&body).expect("answer")
}

fn sale(seq: i64) -> OutboxEvent {
    sale_at(seq, "PAR-01", "T01")
}

fn sale_at(seq: i64, store: &str, terminal: &str) -> OutboxEvent {
    let line = |i: u64| SaleLinePayload {
        gtin: demo::product(i % 1_000).gtin.as_str().to_owned(),
        quantity: 1,
        amount_cents: 1990,
        vat_bp: 2000,
        discount_cents: 0,
        discounts: Vec::new(),
    };
    let payload = SalePayload {
        ticket: format!("{terminal}-{seq:08}"),
        terminal: terminal.into(),
        store: store.into(),
        created_at: 1_764_000_000 + seq,
        training: false,
        total_cents: 3980,
        lines: vec![line(seq as u64 * 7), line(seq as u64 * 13 + 1)],
        payments: vec![PaymentPayload {
            method: "card".into(),
            amount_cents: 3980,
            code: None,
        }],
        customer: None,
    };
    OutboxEvent {
        id: uuid::Uuid::new_v4().to_string(),
        seq,
        kind: EventKind::Sale,
        created_at: 1_764_000_000 + seq,
        payload: serde_json::to_value(payload).expect("json"),
    }
}

async fn ingest(backend: Backend, dir: &Path, events: i64) {
    let running = start(dir).await;
    let client = reqwest::Client::new();
    let device = enroll(&client, dir, &running.url, "PAR-01").await;
    let all: Vec<OutboxEvent> = (1..=events).map(sale).collect();
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for batch in all.chunks(BATCH) {
        let t = Instant::now();
        let response = client
            .post(format!("{}/v1/push", running.url))
            .bearer_auth(&device.token)
            .header(DEVICE_HEADER, &device.device_id)
            .json(&PushRequest {
                events: batch.to_vec(),
            })
            .send()
            .await
            .expect("push");
        let answer: PushResponse = accepted(response).await;
        assert_eq!(answer.applied as usize, batch.len());
        slowest = slowest.max(t.elapsed());
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "ingest ({}): {events} sales in batches of {BATCH} in {elapsed:.2} s = {:.0} events/s \
         (slowest batch {} ms)",
        backend.name(),
        events as f64 / elapsed,
        slowest.as_millis()
    );
    stop(running).await;
}

/// 200 terminals of the chain's stores push 50 sales each at once, one push per sale, to two
/// instances on one database.
async fn rush(backend: Backend, dir: &Path) {
    let instances = [start(dir).await, start(dir).await];
    let client = reqwest::Client::new();
    let stores: Vec<&str> = demo::LOCATIONS
        .iter()
        .filter(|l| l.kind == comptoir::domain::catalog::LocationKind::Store)
        .map(|l| l.code)
        .collect();
    let before = central::stats(dir).expect("stats").received.sales;
    let mut terminals = Vec::with_capacity(RUSH_TERMINALS);
    for i in 0..RUSH_TERMINALS {
        let store = stores[i % stores.len()];
        let terminal = format!("R{i:03}");
        let url = instances[i % 2].url.clone();
        let device = enroll_as(&client, dir, &url, store, &terminal).await;
        terminals.push((url, store.to_owned(), terminal, device));
    }
    let started = Instant::now();
    let mut rushing = tokio::task::JoinSet::new();
    for (url, store, terminal, device) in terminals {
        let client = client.clone();
        rushing.spawn(async move {
            let mut latencies = Vec::with_capacity(RUSH_SALES as usize);
            let mut busy = 0u32;
            for seq in 1..=RUSH_SALES {
                let t = Instant::now();
                loop {
                    let response = client
                        .post(format!("{url}/v1/push"))
                        .bearer_auth(&device.token)
                        .header(DEVICE_HEADER, &device.device_id)
                        .json(&PushRequest {
                            events: vec![sale_at(seq, &store, &terminal)],
                        })
                        .send()
                        .await
                        .expect("push");
                    // « Busy, retry »: a terminal tries again after a pause, as its sync does.
                    if response.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE {
                        busy += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                    let answer: PushResponse = accepted(response).await;
                    assert_eq!(answer.acked_seq, seq);
                    break;
                }
                latencies.push(t.elapsed());
            }
            (latencies, busy)
        });
    }
    let mut latencies = Vec::new();
    let mut busy = 0;
    for (pushes, answered_busy) in rushing.join_all().await {
        latencies.extend(pushes);
        busy += answered_busy;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    for running in instances {
        stop(running).await;
    }
    let arrived = central::stats(dir).expect("stats").received.sales - before;
    assert_eq!(
        arrived,
        RUSH_TERMINALS as i64 * RUSH_SALES,
        "every sale once"
    );
    println!(
        "rush ({}): {RUSH_TERMINALS} terminals x {RUSH_SALES} sales to 2 instances in {elapsed:.1} s \
         = {:.0} pushes/s, each sale once; {busy} answers « busy, retry » (retried after 100 ms); \
         push latency with its retries: median {} ms, p99 {} ms, max {} ms",
        backend.name(),
        latencies.len() as f64 / elapsed,
        at(0.5).as_millis(),
        at(0.99).as_millis(),
        latencies.last().map_or(0, Duration::as_millis)
    );
}

async fn pull(backend: Backend, dir: &Path) {
    let running = start(dir).await;
    let client = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let device = enroll(&client, dir, &running.url, "PAR-01").await;
    let started = Instant::now();
    let mut serving = Duration::ZERO;
    let mut decoding = Duration::ZERO;
    let (mut cursor, mut pages, mut changes, mut compressed, mut plain) =
        (0i64, 0u64, 0u64, 0u64, 0u64);
    let mut largest = 0usize;
    loop {
        let t = Instant::now();
        let response = client
            .get(format!(
                "{}/v1/changes?after={cursor}&limit={MAX_PAGE}",
                running.url
            ))
            .bearer_auth(&device.token)
            .header(DEVICE_HEADER, &device.device_id)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("page");
        assert!(response.status().is_success());
        let body = response.bytes().await.expect("body");
        serving += t.elapsed();
        let t = Instant::now();
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_end(&mut json)
            .expect("gunzip");
        let page: ChangesPage = serde_json::from_slice(&json).expect("page");
        decoding += t.elapsed();
        pages += 1;
        changes += page.changes.len() as u64;
        compressed += body.len() as u64;
        plain += json.len() as u64;
        largest = largest.max(body.len());
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    let total = started.elapsed().as_secs_f64();
    println!(
        "pull ({}): {changes} changes in {pages} pages: {total:.1} s end to end \
         (central answering {:.1} s, client gunzip + parse {:.1} s)",
        backend.name(),
        serving.as_secs_f64(),
        decoding.as_secs_f64()
    );
    println!(
        "pull: {:.1} MB gzip for {:.1} MB of JSON: {:.0} KB per page on average, largest {:.0} KB",
        compressed as f64 / 1e6,
        plain as f64 / 1e6,
        compressed as f64 / pages as f64 / 1e3,
        largest as f64 / 1e3
    );
    stop(running).await;
}
