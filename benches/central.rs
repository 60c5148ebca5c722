//! Central benchmarks, run by hand on a release build (`cargo bench --bench central`), figures
//! for the sync issue's closing note:
//!
//! 1. ingest: sales (two lines each) pushed by one terminal in batches of 500 over loopback, in
//!    events per second, end to end (JSON, HTTP, one SQLite transaction per batch, fsync);
//! 2. first pull: a catalogue of `COMPTOIR_BENCH_PRODUCTS` products (default 1,000,000, with
//!    stock in 8 locations) pulled page by page (`MAX_PAGE`) with gzip over loopback: the time
//!    the central takes to answer, the compressed bytes per page, and the time with the client's
//!    gunzip and JSON parse on top (the terminal's SQLite writes are not part of it).
//!
//! `COMPTOIR_BENCH_DIR` keeps the seeded data directory between runs (seeding again with the same
//! size is a no-op); otherwise a temporary one is used. Client and server share the machine's
//! cores, as a terminal and a central on one box would.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use comptoir::domain::demo;
use comptoir::sync::protocol::{
    ChangesPage, DEVICE_HEADER, EnrollResponse, EventKind, MAX_PAGE, OutboxEvent, PaymentPayload,
    PushRequest, PushResponse, SaleLinePayload, SalePayload,
};
use comptoir_central as central;

const BATCH: usize = 500;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let products = env_u64("COMPTOIR_BENCH_PRODUCTS", 1_000_000);
    let events = env_u64("COMPTOIR_BENCH_EVENTS", 20_000) as i64;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");

    let ingest_dir = tempfile::tempdir().expect("tempdir");
    central::seed(ingest_dir.path(), 1_000, |_, _| {}).expect("seed");
    runtime.block_on(ingest(ingest_dir.path(), events));

    let temp = tempfile::tempdir().expect("tempdir");
    let pull_dir = std::env::var_os("COMPTOIR_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_owned());
    let started = Instant::now();
    central::seed(&pull_dir, products, |_, _| {}).expect("seed");
    println!(
        "seed: {products} products in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    runtime.block_on(pull(&pull_dir));
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
        central::serve(listener, &dir, async {
            let _ = stopped.await;
        })
        .await
    });
    Running { url, stop, task }
}

async fn stop(running: Running) {
    let _ = running.stop.send(());
    let _ = running.task.await;
}

async fn enroll(client: &reqwest::Client, dir: &Path, url: &str, store: &str) -> EnrollResponse {
    let code = central::enroll_code(dir, store).expect("code");
    client
        .post(format!("{url}/v1/enroll"))
        .json(&serde_json::json!({"code": code.code, "terminal_id": "BENCH"}))
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("enrolled")
}

fn sale(seq: i64) -> OutboxEvent {
    let line = |i: u64| SaleLinePayload {
        gtin: demo::product(i % 1_000).gtin.as_str().to_owned(),
        quantity: 1,
        amount_cents: 1990,
        vat_bp: 2000,
        discount_cents: 0,
        discounts: Vec::new(),
    };
    let payload = SalePayload {
        ticket: format!("T01-{seq:08}"),
        terminal: "T01".into(),
        store: "PAR-01".into(),
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

async fn ingest(dir: &Path, events: i64) {
    let running = start(dir).await;
    let client = reqwest::Client::new();
    let device = enroll(&client, dir, &running.url, "PAR-01").await;
    let all: Vec<OutboxEvent> = (1..=events).map(sale).collect();
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for batch in all.chunks(BATCH) {
        let t = Instant::now();
        let answer: PushResponse = client
            .post(format!("{}/v1/push", running.url))
            .bearer_auth(&device.token)
            .header(DEVICE_HEADER, &device.device_id)
            .json(&PushRequest {
                events: batch.to_vec(),
            })
            .send()
            .await
            .expect("push")
            .json()
            .await
            .expect("answer");
        assert_eq!(answer.applied as usize, batch.len());
        slowest = slowest.max(t.elapsed());
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "ingest: {events} sales in batches of {BATCH} in {elapsed:.2} s = {:.0} events/s \
         (slowest batch {} ms)",
        events as f64 / elapsed,
        slowest.as_millis()
    );
    stop(running).await;
}

async fn pull(dir: &Path) {
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
        "pull: {changes} changes in {pages} pages: {total:.1} s end to end \
         (central answering {:.1} s, client gunzip + parse {:.1} s)",
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
