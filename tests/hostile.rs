//! Issue 19, pushed facts are checked: one enrolled device that pushes a sale no till could
//! record (i64::MAX units, 10^12 units, −1,000 units, a total far over its lines, a GTIN that is
//! not one) has it refused with the reason and kept in the quarantine, nothing of it applied;
//! its own later events still go through, and the other terminal of its store gets its honest
//! sales through, with the central's stock moved by them only.

use comptoir::central;
use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::sync::client::CentralClient;
use comptoir::sync::protocol::{EventKind, OutboxEvent, PushRequest};
use serde_json::json;

use crate::sync::{RunningCentral, central_dir, enrolled_terminal, sync};
use crate::util::{assert_success, central_json, comptoir, json_of};

fn hostile_sales(gtin: &str) -> Vec<(&'static str, serde_json::Value)> {
    let sale = |quantity: i64, total: i64, gtin: &str| {
        json!({"ticket": "T09-000001", "terminal": "T09", "store": demo::HERE_CODE,
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
fn stock_here(
    data: &std::path::Path,
    gtin: &str,
) -> Result<Option<i64>, central::store::StoreError> {
    let levels = central::store::Store::open(data, false)?.stock(gtin)?;
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

    let (client, next_seq) = {
        let store = Store::open(&hostile.path).expect("open");
        let enrollment = store.enrollment().expect("read").expect("enrolled");
        let client = CentralClient::new(
            &enrollment.central_url,
            &enrollment.device_id,
            &enrollment.token,
        )
        .expect("client");
        (client, store.acked_seq().expect("acked") + 1)
    };
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
    let honest_sale = json!({"ticket": "T09-000002", "terminal": "T09", "store": demo::HERE_CODE,
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
