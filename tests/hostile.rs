//! Issue 19, pushed facts are checked: one enrolled device that pushes a sale no till could
//! record (i64::MAX units, 10^12 units, −1,000 units, a total far over its lines, a GTIN that is
//! not one) has it refused with the reason and kept in the quarantine, nothing of it applied;
//! its own later events still go through, and the other terminal of its store gets its honest
//! sales through, with the central's stock moved by them only.

use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::sync::client::CentralClient;
use comptoir::sync::protocol::{EventKind, OutboxEvent, PushRequest};
use comptoir_central as central;
use serde_json::json;

use crate::sync::{RunningCentral, central_dir, enrolled_terminal, sync};
use crate::util::{assert_success, central_json, comptoir, json_of};

fn hostile_sales(gtin: &str) -> Vec<(&'static str, serde_json::Value)> {
    let sale = |quantity: i64, total: i64, gtin: &str| {
        json!({"ticket": "T01-900001", "terminal": "T01", "store": demo::HERE_CODE,
               "created_at": 1_780_000_000, "training": false, "total_cents": total,
               "lines": [{"gtin": gtin, "quantity": quantity, "amount_cents": 100,
                          "vat_bp": 2000}],
               "payments": [{"method": "card", "amount_cents": total}]})
    };
    vec![
        ("i64::MAX units", sale(i64::MAX, 100, gtin)),
        ("10^12 units", sale(1_000_000_000_000, 100, gtin)),
        ("-1,000 units", sale(-1_000, 100, gtin)),
        ("a total far over its lines", sale(1, 999_999_999_999, gtin)),
        ("not a GTIN", sale(1, 100, "not-a-gtin")),
    ]
}

/// The central's stock of `gtin` in the terminals' store.
fn stock_here(data: &std::path::Path, gtin: &str) -> Result<Option<i64>, central::CentralError> {
    let levels = central::Database::from(data).open(false)?.stock(gtin)?;
    Ok(levels.and_then(|levels| {
        levels
            .into_iter()
            .find(|level| level.location == demo::HERE_CODE)
            .map(|level| level.qty)
    }))
}

#[test]
fn a_device_pushing_impossible_sales_is_refused_and_its_store_still_syncs() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let hostile = enrolled_terminal(data.path(), &central.url());
    let honest = enrolled_terminal(data.path(), &central.url());
    let product = demo::product(1);

    let (client, next_seq) = device_client(&hostile.path);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let stock_before = stock_here(data.path(), product.gtin.as_str()).expect("stock");
    let hostile_events = hostile_sales(product.gtin.as_str());
    let mut seq = next_seq;
    for (what, payload) in &hostile_events {
        let request = PushRequest {
            events: vec![OutboxEvent {
                id: uuid::Uuid::new_v4().to_string(),
                seq,
                kind: EventKind::Sale,
                created_at: 1_780_000_000,
                payload: payload.clone(),
            }],
        };
        let answer = runtime
            .block_on(client.push(&request))
            .unwrap_or_else(|e| panic!("{what}: the push failed: {e}"));
        assert_eq!(answer.applied, 0, "{what}");
        assert_eq!(
            answer.acked_seq, seq,
            "{what}: acknowledged, never to be retried"
        );
        assert_eq!(answer.quarantined.len(), 1, "{what}");
        assert_eq!(answer.quarantined[0].seq, seq);
        assert!(!answer.quarantined[0].reason.is_empty());
        seq += 1;
    }
    assert_eq!(
        stock_here(data.path(), product.gtin.as_str()).expect("stock"),
        stock_before,
        "nothing of the refused sales moved the stock"
    );
    // Kept for the operator, with the reason, and counted.
    let quarantine = central_json(data.path(), &["quarantine", "--json"]);
    let entries = quarantine.as_array().expect("a list");
    assert_eq!(entries.len(), hostile_events.len());
    for entry in entries {
        assert_eq!(entry["kind"], "sale");
        assert_eq!(entry["store"], demo::HERE_CODE);
        assert!(!entry["reason"].as_str().expect("reason").is_empty());
    }
    assert_eq!(
        central_json(data.path(), &["stats", "--json"])["quarantined"],
        hostile_events.len()
    );
    // The refused events hold nothing up: the device's next honest sale is applied.
    let honest_sale = json!({"ticket": "T01-900002", "terminal": "T01", "store": demo::HERE_CODE,
        "created_at": 1_780_000_000, "training": false, "total_cents": 100,
        "lines": [{"gtin": product.gtin.as_str(), "quantity": 1, "amount_cents": 100,
                   "vat_bp": 2000}],
        "payments": [{"method": "card", "amount_cents": 100}]});
    let answer = runtime
        .block_on(client.push(&PushRequest {
            events: vec![OutboxEvent {
                id: uuid::Uuid::new_v4().to_string(),
                seq,
                kind: EventKind::Sale,
                created_at: 1_780_000_000,
                payload: honest_sale,
            }],
        }))
        .expect("pushed");
    assert_eq!((answer.applied, answer.acked_seq), (1, seq));
    let stock_before = stock_before.map(|qty| qty - 1);
    assert_eq!(
        stock_here(data.path(), product.gtin.as_str()).expect("stock"),
        stock_before
    );

    // The store's other terminal: its honest sales arrive, as before.
    let before = central::stats(data.path()).expect("stats").received.sales;
    for _ in 0..2 {
        let sold = comptoir(&honest.path)
            .args(["sell", product.gtin.as_str(), "--pay", "card"])
            .output()
            .expect("sell");
        assert_success(&sold);
    }
    let synced = sync(&honest.path, None);
    assert_success(&synced);
    assert!(json_of(&synced)["pushed"].as_i64().expect("pushed") >= 2);
    assert_eq!(
        central::stats(data.path()).expect("stats").received.sales - before,
        2
    );
    assert_eq!(
        stock_here(data.path(), product.gtin.as_str()).expect("stock"),
        stock_before.map(|qty| qty - 2),
        "the honest sales moved the stock, by their quantity only"
    );
}

/// Issue 19: more silent connections than the central serves at once (and some that send half a
/// header) do not stop it: each is closed after the header-read timeout, and an honest
/// terminal's sync, queued behind them, goes through.
#[test]
fn silent_connections_are_closed_and_an_honest_sync_gets_through() {
    use std::io::{Read, Write};

    let data = central_dir(300);
    let limits = central::listener::Limits {
        max_connections: 8,
        header_read_timeout: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let central = RunningCentral::start_with_limits(data.path(), "127.0.0.1:0", limits);
    let honest = enrolled_terminal(data.path(), &central.url());
    let address = central.url().trim_start_matches("http://").to_owned();
    let mut silent: Vec<std::net::TcpStream> = (0..limits.max_connections * 3)
        .map(|_| std::net::TcpStream::connect(&address).expect("connect"))
        .collect();
    for stream in silent.iter_mut().step_by(2) {
        stream
            .write_all(b"POST /v1/push HTTP/1.1\r\nHost: x\r\n")
            .expect("half a header");
    }

    let sold = comptoir(&honest.path)
        .args(["sell", demo::product(1).gtin.as_str(), "--pay", "card"])
        .output()
        .expect("sell");
    assert_success(&sold);
    let synced = sync(&honest.path, None);
    assert_success(&synced);
    assert!(json_of(&synced)["pushed"].as_i64().expect("pushed") >= 1);

    // The silent ones were closed by the central, not left to hold its descriptors.
    for stream in &mut silent {
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .expect("timeout");
        let mut rest = Vec::new();
        let closed = stream.read_to_end(&mut rest);
        assert!(closed.is_ok(), "closed by the central: {closed:?}");
    }
}

/// A client for the device `db` is enrolled as, and its next device sequence.
pub(crate) fn device_client(db: &std::path::Path) -> (CentralClient, i64) {
    let store = Store::open(db).expect("open");
    let enrollment = store.enrollment().expect("read").expect("enrolled");
    let client = CentralClient::new(
        &enrollment.central_url,
        &enrollment.device_id,
        &enrollment.token,
    )
    .expect("client");
    (client, store.acked_seq().expect("acked") + 1)
}

/// A value a hostile device might put in any field.
fn hostile_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
    use proptest::prelude::*;
    prop_oneof![
        Just(json!(i64::MIN)),
        Just(json!(i64::MAX)),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1_000_000_000_000_000i64)),
        any::<i64>().prop_map(|n| json!(n)),
        Just(json!("")),
        Just(json!("not-a-gtin")),
        Just(json!(demo::product(1).gtin.as_str())),
        Just(json!("LYO-01")),
        (0usize..6_000).prop_map(|n| json!("é".repeat(n))),
        Just(json!(null)),
        Just(json!([])),
        Just(json!(1.5e300)),
    ]
}

/// An event of any kind, from a template a terminal would send, with some fields spoiled.
fn hostile_event() -> impl proptest::strategy::Strategy<Value = (EventKind, serde_json::Value)> {
    use proptest::prelude::*;
    let gtin = demo::product(1).gtin.as_str().to_owned();
    let templates = [
        (
            EventKind::Sale,
            json!({"ticket": "T01-000001", "terminal": "T01", "store": demo::HERE_CODE,
                   "created_at": 1, "training": false, "total_cents": 100,
                   "lines": [{"gtin": gtin, "quantity": 1, "amount_cents": 100, "vat_bp": 2000}],
                   "payments": [{"method": "card", "amount_cents": 100}]}),
        ),
        (
            EventKind::Return,
            json!({"ticket": "T01-R000001", "order_id": "W-1", "store": demo::HERE_CODE,
                   "terminal": "T01", "staff": "camille", "at": 1, "refund": "card",
                   "refund_cents": 100,
                   "lines": [{"gtin": gtin, "quantity": 1, "amount_cents": 100, "vat_bp": 2000}]}),
        ),
        (
            EventKind::AisleOrder,
            json!({"order_number": "EA-9", "customer": "C00000001", "store": demo::HERE_CODE,
                   "terminal": "T01", "staff": "camille", "at": 1, "delivery": "home",
                   "ship_from": "LYO-01",
                   "lines": [{"gtin": gtin, "quantity": 1, "price_cents": 100}]}),
        ),
        (
            EventKind::Loyalty,
            json!({"customer": "C00000001", "points": 10, "ticket": "T01-000001",
                   "terminal": "T01", "at": 1}),
        ),
        (
            EventKind::CustomerCreated,
            json!({"local_id": "L-T01-1", "first_name": "Léa", "last_name": "Martin",
                   "store": demo::HERE_CODE, "created_at": 1}),
        ),
        (
            EventKind::JournalEntry,
            json!({"terminal": "T01", "sequence": 1, "hash": "00", "canonical": "{}"}),
        ),
        (EventKind::Other, json!({"gift_card": 1})),
    ];
    (
        0..templates.len(),
        proptest::collection::vec((any::<proptest::sample::Index>(), hostile_value()), 0..4),
    )
        .prop_map(move |(which, spoils)| {
            let (kind, mut payload) = templates[which].clone();
            let keys: Vec<String> = payload
                .as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            for (index, value) in spoils {
                let key = index.get(&keys);
                if key == "lines" {
                    payload["lines"][0]["quantity"] = value;
                } else {
                    payload[key] = value;
                }
            }
            (kind, payload)
        })
}

/// Issue 19: random hostile events (every kind, any field spoiled with extreme numbers, huge
/// strings, another store, wrong types) from one device never stop the store's other terminal:
/// each hostile batch is acknowledged whole (applied or quarantined), every honest sale is
/// applied, and no stock level leaves the integers.
#[test]
fn random_hostile_events_never_hold_up_an_honest_terminal() {
    use proptest::test_runner::{Config, TestRunner};
    use std::cell::Cell;

    let data = central_dir(60);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let hostile = enrolled_terminal(data.path(), &central.url());
    let honest = enrolled_terminal(data.path(), &central.url());
    let (hostile_client, hostile_seq) = device_client(&hostile.path);
    let (honest_client, honest_seq) = device_client(&honest.path);
    let (hostile_seq, honest_seq) = (Cell::new(hostile_seq), Cell::new(honest_seq));
    let honest_sales = Cell::new(0i64);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let gtin = demo::product(2).gtin.as_str().to_owned();
    let stock_before = stock_here(data.path(), &gtin).expect("stock");
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(
        &proptest::collection::vec(hostile_event(), 1..16),
        |events| {
            let events: Vec<OutboxEvent> = events
                .into_iter()
                .map(|(kind, payload)| {
                    let seq = hostile_seq.get();
                    hostile_seq.set(seq + 1);
                    OutboxEvent {
                        id: uuid::Uuid::new_v4().to_string(),
                        seq,
                        kind,
                        created_at: 1_780_000_000,
                        payload,
                    }
                })
                .collect();
            let last = events.last().map_or(0, |e| e.seq);
            let answer = runtime
                .block_on(hostile_client.push(&PushRequest { events }))
                .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert_eq!(answer.acked_seq, last, "the hostile batch is never stuck");

            let seq = honest_seq.get();
            honest_seq.set(seq + 1);
            let sale = json!({"ticket": format!("T01-9{seq:05}"), "terminal": "T01",
                "store": demo::HERE_CODE, "created_at": 1_780_000_000, "training": false,
                "total_cents": 250,
                "lines": [{"gtin": gtin, "quantity": 1, "amount_cents": 250, "vat_bp": 2000}],
                "payments": [{"method": "cash", "amount_cents": 250}]});
            let answer = runtime
                .block_on(honest_client.push(&PushRequest {
                    events: vec![OutboxEvent {
                        id: uuid::Uuid::new_v4().to_string(),
                        seq,
                        kind: EventKind::Sale,
                        created_at: 1_780_000_000,
                        payload: sale,
                    }],
                }))
                .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert_eq!((answer.applied, answer.acked_seq), (1, seq));
            honest_sales.set(honest_sales.get() + 1);
            Ok(())
        },
    );
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    // The honest terminal's product is one the hostile templates never name: its level moved
    // by the honest sales exactly.
    assert_eq!(
        stock_here(data.path(), &gtin).expect("stock"),
        stock_before.map(|qty| qty - honest_sales.get())
    );
    drop(central);
    // SQLite's column takes any value; PostgreSQL's BIGINT holds integers only.
    if !crate::pg::on_postgres() {
        let not_integer = data.count("SELECT count(*) FROM stock WHERE typeof(qty) != 'integer'");
        assert_eq!(not_integer, 0);
    }
}

/// Issue 19: an event the central refuses (here one of a kind it does not know, as a newer
/// terminal would send) is acknowledged, never resent, holds nothing up, and the terminal says
/// so with the central's reason.
#[test]
fn a_refused_event_is_reported_by_the_terminal_and_holds_nothing_up() {
    let data = central_dir(60);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    rusqlite::Connection::open(&db.path)
        .expect("open")
        .execute(
            "INSERT INTO outbox (id, kind, created_at, payload) VALUES (?1, 'parcel_locker', 1, '{}')",
            [uuid::Uuid::new_v4().to_string()],
        )
        .expect("a newer terminal's event");
    let product = demo::product(1);
    assert_success(
        &comptoir(&db.path)
            .args(["sell", product.gtin.as_str(), "--pay", "card"])
            .output()
            .expect("sell"),
    );
    let before = central::stats(data.path()).expect("stats").received.sales;
    let synced = sync(&db.path, None);
    assert_success(&synced);
    let report = json_of(&synced);
    assert_eq!(report["refused"], 1, "{report}");
    assert_eq!(report["waiting"], 0, "{report}");
    assert_eq!(
        central::stats(data.path()).expect("stats").received.sales,
        before + 1,
        "the sale after the refused event arrived"
    );
    let status = comptoir(&db.path)
        .args(["sync", "status", "--json"])
        .output()
        .expect("status");
    assert_success(&status);
    let status = json_of(&status);
    assert_eq!(status["refused"][0]["kind"], "parcel_locker", "{status}");
    assert!(
        status["refused"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("unknown to this central")),
        "{status}"
    );
    // Never sent again.
    let again = json_of(&sync(&db.path, None));
    assert_eq!(
        (again["pushed"].clone(), again["refused"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(
        central_json(data.path(), &["quarantine", "--json"])[0]["kind"],
        "other"
    );
}
