//! The central server, for real: `central::serve` on 127.0.0.1:0 in-process, driven over HTTP
//! with reqwest as a terminal would, and the `comptoir-central` binary's CLI contract.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use comptoir::domain::customer::{
    Channel, CustomerHit, CustomerView, PrivacyRequestKind, ViewSource,
};
use comptoir::domain::demo;
use comptoir::domain::signed_code::{verify_loyalty, verify_pickup};
use comptoir::sync::protocol::{
    AccessPayload, AisleLinePayload, AisleOrderPayload, Change, ChangesPage, ConsentPayload,
    CustomerCreatedPayload, CustomerSearchAnswer, DEVICE_HEADER, EnrollResponse, ErrorBody,
    EventKind, HandoverPayload, JournalPayload, LoyaltyPayload, MAX_BATCH, NotePayload,
    OrderAnswer, OrdersAnswer, OutboxEvent, PaymentPayload, PickupLineChange, PickupOrderChange,
    PrivacyRequestPayload, PushRequest, PushResponse, ReturnLinePayload, ReturnPayload,
    SaleLinePayload, SalePayload, StockAnswer,
};
use comptoir_central as central;
use reqwest::StatusCode;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Products in the test chain: enough for several pages, small enough for a debug build.
const PRODUCTS: u64 = 300;

/// A seeded data directory.
fn seeded(products: u64) -> crate::pg::CentralDir {
    let dir = crate::pg::CentralDir::new();
    central::seed(dir.path(), products, |_, _| {}).expect("seed");
    dir
}

/// The central running in-process on a free loopback port.
struct Central {
    url: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<Result<(), central::CentralError>>,
}

impl Central {
    async fn start(dir: &Path) -> Central {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let dir = dir.to_owned();
        let task = tokio::spawn(async move {
            central::serve(listener, &dir, async {
                let _ = stopped.await;
            })
            .await
        });
        Central { url, stop, task }
    }

    /// Graceful shutdown: `serve` returns once the requests in flight are done.
    async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the central stops within 10 s")
            .expect("the serve task")
            .expect("serve returns Ok");
    }
}

/// An enrolled terminal's credentials and an HTTP client.
struct Terminal {
    url: String,
    client: reqwest::Client,
    device: EnrollResponse,
}

impl Terminal {
    async fn enroll(central: &Central, dir: &Path, store: &str) -> Terminal {
        Terminal::enroll_as(central, dir, store, "T01").await
    }

    /// Enrolled as `terminal_id`: the only terminal whose tickets it may push.
    async fn enroll_as(central: &Central, dir: &Path, store: &str, terminal_id: &str) -> Terminal {
        let code = central::enroll_code(dir, store).expect("code");
        let client = reqwest::Client::new();
        let response = client
            .post(format!("{}/v1/enroll", central.url))
            .json(&serde_json::json!({"code": code.code, "terminal_id": terminal_id}))
            .send()
            .await
            .expect("enroll sent");
        assert_eq!(response.status(), StatusCode::OK);
        Terminal {
            url: central.url.clone(),
            client,
            device: response.json().await.expect("enroll response"),
        }
    }

    fn authed(&self, builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        builder
            .bearer_auth(&self.device.token)
            .header(DEVICE_HEADER, &self.device.device_id)
    }

    async fn push_raw(&self, events: &[OutboxEvent]) -> reqwest::Response {
        self.authed(self.client.post(format!("{}/v1/push", self.url)))
            .json(&PushRequest {
                events: events.to_vec(),
            })
            .send()
            .await
            .expect("push sent")
    }

    async fn push(&self, events: &[OutboxEvent]) -> PushResponse {
        let response = self.push_raw(events).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("push response")
    }

    async fn page(&self, after: i64, limit: u32) -> reqwest::Response {
        self.authed(self.client.get(format!(
            "{}/v1/changes?after={after}&limit={limit}",
            self.url
        )))
        .send()
        .await
        .expect("changes sent")
    }

    /// Every change after `after`, page by page until `more` is false; the final cursor.
    async fn pull(&self, after: i64, limit: u32) -> (Vec<Change>, i64, Vec<ChangesPage>) {
        let mut cursor = after;
        let mut changes = Vec::new();
        let mut pages = Vec::new();
        loop {
            let response = self.page(cursor, limit).await;
            assert_eq!(response.status(), StatusCode::OK);
            let page: ChangesPage = response.json().await.expect("a page");
            assert!(page.cursor >= cursor, "the cursor never goes back");
            assert!(page.changes.len() <= limit as usize);
            cursor = page.cursor;
            changes.extend(page.changes.iter().cloned());
            let more = page.more;
            pages.push(page);
            if !more {
                return (changes, cursor, pages);
            }
        }
    }

    async fn stock(&self, gtin: &str) -> reqwest::Response {
        self.authed(self.client.get(format!("{}/v1/stock/{gtin}", self.url)))
            .send()
            .await
            .expect("stock sent")
    }
}

async fn enroll(client: &reqwest::Client, url: &str, code: &str) -> reqwest::Response {
    client
        .post(format!("{url}/v1/enroll"))
        .json(&serde_json::json!({"code": code, "terminal_id": "T01"}))
        .send()
        .await
        .expect("enroll sent")
}

async fn error_of(response: reqwest::Response) -> String {
    response
        .json::<ErrorBody>()
        .await
        .expect("an ErrorBody")
        .error
}

fn gtin(index: u64) -> String {
    demo::product(index).gtin.as_str().to_owned()
}

fn sale(seq: i64, store: &str, product: u64, quantity: i64) -> OutboxEvent {
    sale_by(seq, store, "T01", product, quantity)
}

/// A sale of `quantity` units of `product` by the terminal `terminal` of `store`.
fn sale_by(seq: i64, store: &str, terminal: &str, product: u64, quantity: i64) -> OutboxEvent {
    let payload = SalePayload {
        ticket: format!("{terminal}-{seq:06}"),
        terminal: terminal.into(),
        store: store.into(),
        created_at: 1_764_000_000 + seq,
        training: false,
        total_cents: 1990 * quantity,
        lines: vec![SaleLinePayload {
            gtin: gtin(product),
            quantity,
            amount_cents: 1990 * quantity,
            vat_bp: 2000,
            discount_cents: 0,
            discounts: Vec::new(),
        }],
        payments: vec![PaymentPayload {
            method: "card".into(),
            amount_cents: 1990 * quantity,
            code: None,
        }],
        customer: None,
    };
    event(
        seq,
        EventKind::Sale,
        serde_json::to_value(payload).expect("json"),
    )
}

fn event(seq: i64, kind: EventKind, payload: serde_json::Value) -> OutboxEvent {
    OutboxEvent {
        id: uuid::Uuid::new_v4().to_string(),
        seq,
        kind,
        created_at: 1_764_000_000 + seq,
        payload,
    }
}

/// The level of `gtin` at `location` in a pulled set of changes (the last one wins).
fn level_in(changes: &[Change], gtin: &str, location: &str) -> Option<i64> {
    let mut level = None;
    for change in changes {
        let levels = match change {
            Change::Product(p) if p.gtin == gtin => &p.stock,
            Change::Stock(s) if s.gtin == gtin => &s.levels,
            _ => continue,
        };
        if let Some(l) = levels.iter().find(|l| l.location == location) {
            level = Some(l.qty);
        }
    }
    level
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrollment_code_enrolls_one_terminal_once_and_not_after_it_expires() {
    let dir = seeded(20);
    let central = Central::start(dir.path()).await;
    let client = reqwest::Client::new();

    let code = central::enroll_code(dir.path(), "PAR-01").expect("code");
    let response = enroll(&client, &central.url, &code.code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let device: EnrollResponse = response.json().await.expect("enrolled");
    assert_eq!(device.store, "PAR-01");
    assert!(device.token.len() >= 32);
    use base64::Engine;
    let key = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&device.public_key)
        .expect("base64url public key");
    assert_eq!(key.len(), 32);

    // Typed by hand: lower case, no dashes. Used already.
    let again = enroll(
        &client,
        &central.url,
        &code.code.to_lowercase().replace('-', ""),
    )
    .await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(error_of(again).await.contains("already used"));

    let unknown = enroll(&client, &central.url, "AAAA-BBBB-CCCC-DDDD").await;
    assert_eq!(unknown.status(), StatusCode::FORBIDDEN);
    assert!(error_of(unknown).await.contains("unknown enrollment code"));

    let yesterday = chrono::Utc::now().timestamp() - 25 * 3600;
    let old = central::enroll_code_issued_at(dir.path(), "LYO-01", yesterday).expect("code");
    let expired = enroll(&client, &central.url, &old.code).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(error_of(expired).await.contains("expired"));

    // The stores named are the chain's, from its database (one opened since the demo's seed).
    dir.execute("INSERT INTO location (code, name, kind) VALUES ('NAN-01', 'Nantes', 'store')");
    match central::enroll_code(dir.path(), "XXX-99") {
        Err(central::CentralError::UnknownStore { known, .. }) => {
            assert!(
                known.contains("NAN-01") && known.contains("PAR-01"),
                "{known}"
            );
            assert!(
                !known.contains("ENT-ORL"),
                "a warehouse is not a store: {known}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        central::enroll_code(dir.path(), "ENT-ORL"),
        Err(central::CentralError::NotAStore { .. })
    ));
    let malformed = client
        .post(format!("{}/v1/enroll", central.url))
        .header("content-type", "application/json")
        .body("{\"code\":")
        .send()
        .await
        .expect("sent");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    central.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_sent_twice_is_applied_once() {
    let dir = seeded(20);
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), "PAR-01").await;
    let batch = vec![
        sale(1, "PAR-01", 1, 1),
        sale(2, "PAR-01", 2, 3),
        event(3, EventKind::Closing, serde_json::json!({"period": "day"})),
        event(4, EventKind::Other, serde_json::json!({"gift_card": 1})),
    ];
    let first = terminal.push(&batch).await;
    // The unknown kind is acknowledged and kept in the quarantine, not applied.
    assert_eq!(
        (first.acked_seq, first.applied, first.duplicates),
        (4, 3, 0)
    );
    assert_eq!(first.quarantined.len(), 1);
    assert_eq!(first.quarantined[0].seq, 4);
    assert!(first.quarantined[0].reason.contains("unknown"));
    // The answer was lost: the terminal sends the same batch again.
    let retry = terminal.push(&batch).await;
    assert_eq!(
        retry,
        PushResponse {
            acked_seq: 4,
            applied: 0,
            duplicates: 4,
            quarantined: Vec::new(),
        }
    );
    // A retry overlapping new events: the old ones are ignored, the new one applied.
    let mut overlap = batch[2..].to_vec();
    overlap.push(sale(5, "PAR-01", 3, 1));
    assert_eq!(
        terminal.push(&overlap).await,
        PushResponse {
            acked_seq: 5,
            applied: 1,
            duplicates: 2,
            quarantined: Vec::new(),
        }
    );
    central.stop().await;
    let stats = central::stats(dir.path()).expect("stats");
    assert_eq!(stats.received.sales, 3);
    assert_eq!(stats.received.closings, 1);
    assert_eq!(stats.received.other, 1);
    assert_eq!(stats.duplicates_ignored, 6);
    assert_eq!(stats.devices, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_apply_in_sequence_order_and_a_gap_stops_the_batch() {
    let dir = seeded(20);
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), "PAR-01").await;
    // Out of order in the batch: applied in sequence order.
    let shuffled = vec![
        sale(3, "PAR-01", 1, 1),
        sale(1, "PAR-01", 1, 1),
        sale(2, "PAR-01", 1, 1),
    ];
    assert_eq!(terminal.push(&shuffled).await.acked_seq, 3);
    // 6 is missing: 4 and 5 apply, 7 and 8 wait.
    let gap = vec![
        sale(4, "PAR-01", 1, 1),
        sale(5, "PAR-01", 1, 1),
        sale(7, "PAR-01", 1, 1),
        sale(8, "PAR-01", 1, 1),
    ];
    assert_eq!(
        terminal.push(&gap).await,
        PushResponse {
            acked_seq: 5,
            applied: 2,
            duplicates: 0,
            quarantined: Vec::new(),
        }
    );
    // Only a gap: nothing applied, the answer says where to resume.
    assert_eq!(
        terminal.push(&gap[2..]).await,
        PushResponse {
            acked_seq: 5,
            applied: 0,
            duplicates: 0,
            quarantined: Vec::new(),
        }
    );
    let resumed = vec![sale(6, "PAR-01", 1, 1), gap[2].clone(), gap[3].clone()];
    assert_eq!(
        terminal.push(&resumed).await,
        PushResponse {
            acked_seq: 8,
            applied: 3,
            duplicates: 0,
            quarantined: Vec::new(),
        }
    );
    central.stop().await;
    assert_eq!(central::stats(dir.path()).expect("stats").received.sales, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_apply_nothing() {
    let dir = seeded(20);
    let central = Central::start(dir.path()).await;
    let paris = Terminal::enroll(&central, dir.path(), "PAR-01").await;
    let lyon = Terminal::enroll(&central, dir.path(), "LYO-01").await;
    let url = format!("{}/v1/push", central.url);
    let body = PushRequest {
        events: vec![sale(1, "PAR-01", 1, 1)],
    };

    // Another store's sale, in the middle of a batch of this store's: refused alone (kept in
    // the quarantine), this store's sales applied around it.
    let mixed = paris
        .push(&[
            sale(1, "PAR-01", 1, 1),
            sale(2, "LYO-01", 1, 1),
            sale(3, "PAR-01", 1, 1),
        ])
        .await;
    assert_eq!((mixed.acked_seq, mixed.applied), (3, 2));
    assert_eq!(mixed.quarantined.len(), 1);
    assert_eq!(mixed.quarantined[0].seq, 2);
    assert!(mixed.quarantined[0].reason.contains("another store"));

    let no_token = paris
        .client
        .post(&url)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
    assert!(!error_of(no_token).await.is_empty());

    let wrong_token = paris
        .client
        .post(&url)
        .bearer_auth("not-a-token")
        .header(DEVICE_HEADER, &paris.device.device_id)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong_token.status(), StatusCode::UNAUTHORIZED);

    // Paris's token with Lyon's device id.
    let forged = paris
        .client
        .post(&url)
        .bearer_auth(&paris.device.token)
        .header(DEVICE_HEADER, &lyon.device.device_id)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let no_device = paris
        .client
        .post(&url)
        .bearer_auth(&paris.device.token)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(no_device.status(), StatusCode::FORBIDDEN);

    let malformed = paris
        .authed(paris.client.post(&url))
        .header("content-type", "application/json")
        .body(r#"{"events": [{"id": 3"#)
        .send()
        .await
        .expect("sent");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(malformed).await.contains("not valid JSON"));

    let too_many: Vec<OutboxEvent> = (1..=MAX_BATCH as i64 + 1)
        .map(|seq| event(seq, EventKind::Other, serde_json::json!({})))
        .collect();
    let too_large = paris.push_raw(&too_many).await;
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_of(too_large).await.contains("at most"));

    // Nothing of the refused requests was applied: the event after the mixed batch is next.
    assert_eq!(
        paris.push(&[sale(4, "PAR-01", 1, 1)]).await,
        PushResponse {
            acked_seq: 4,
            applied: 1,
            duplicates: 0,
            quarantined: Vec::new(),
        }
    );

    // A revoked device is refused from then on.
    assert!(central::revoke_device(dir.path(), &lyon.device.device_id).expect("revoke"));
    let revoked = lyon.push_raw(&[sale(1, "LYO-01", 1, 1)]).await;
    assert_eq!(revoked.status(), StatusCode::FORBIDDEN);
    assert!(error_of(revoked).await.contains("revoked"));
    assert_eq!(lyon.page(0, 10).await.status(), StatusCode::FORBIDDEN);

    central.stop().await;
    let stats = central::stats(dir.path()).expect("stats");
    assert_eq!(stats.received.sales, 3);
    assert_eq!(stats.received.other, 0);
    assert_eq!(stats.quarantined, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_pull_brings_the_catalogue_staff_customers_and_this_stores_orders() {
    let dir = crate::pg::CentralDir::new();
    let summary = central::seed(dir.path(), PRODUCTS, |_, _| {}).expect("seed");
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), "PAR-01").await;

    let (changes, cursor, pages) = terminal.pull(0, 97).await;
    assert!(pages.len() > 3, "several pages");
    let total = pages[0].remaining;
    assert_eq!(total, changes.len() as i64);
    for pair in pages.windows(2) {
        assert_eq!(
            pair[1].remaining,
            pair[0].remaining - pair[0].changes.len() as i64
        );
    }

    let locations = changes
        .iter()
        .filter(|c| matches!(c, Change::Location(_)))
        .count();
    assert_eq!(locations, 8);
    let products: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Product(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(products.len() as u64, PRODUCTS);
    for p in &products {
        assert_eq!(p.stock.len(), 8, "stock everywhere for {}", p.gtin);
        assert!(p.stock.iter().any(|l| l.location == "PAR-01"));
        assert!(
            p.stock
                .iter()
                .all(|l| l.as_of <= chrono::Utc::now().timestamp())
        );
    }
    assert_eq!(products[0].gtin, gtin(0));
    assert_eq!(products[0].name, demo::product(0).name);

    let staff: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Staff(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(staff.len(), 3);
    assert!(
        staff
            .iter()
            .all(|s| s.pin_hash.starts_with("$argon2id$") && s.active)
    );

    // Data minimisation: the customers of this store (registered here, or with an order to
    // collect here), not the chain's.
    let mut customers: Vec<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Customer(c) => Some(c.id.as_str()),
            _ => None,
        })
        .collect();
    customers.sort_unstable();
    let mut of_this_store: Vec<&str> = summary
        .customers
        .iter()
        .enumerate()
        .filter(|(i, id)| {
            central::seed::home_store(*i as u64) == "PAR-01"
                || changes.iter().any(|c| {
                    matches!(c, Change::PickupOrder(o) if o.store == "PAR-01" && &o.customer == *id)
                })
        })
        .map(|(_, id)| id.as_str())
        .collect();
    of_this_store.sort_unstable();
    assert!(of_this_store.len() < summary.customers.len());
    assert_eq!(customers, of_this_store);

    let orders: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            Change::PickupOrder(o) => Some(o),
            _ => None,
        })
        .collect();
    let expected: Vec<&str> = summary
        .pickup_orders
        .iter()
        .filter(|o| o.store == "PAR-01")
        .map(|o| o.id.as_str())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        orders.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(),
        expected
    );
    assert!(
        orders
            .iter()
            .all(|o| o.store == "PAR-01" && o.status == "ready" && !o.lines.is_empty())
    );

    // Up to date: an empty page, same cursor, nothing more.
    let response = terminal.page(cursor, 100).await;
    let last: ChangesPage = response.json().await.expect("page");
    assert_eq!((last.cursor, last.more, last.remaining), (cursor, false, 0));
    assert!(last.changes.is_empty());

    // A cursor from the future is refused.
    let ahead = terminal.page(cursor + 1_000, 100).await;
    assert_eq!(ahead.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(ahead).await.contains("ahead"));
    let garbled = terminal
        .authed(
            terminal
                .client
                .get(format!("{}/v1/changes?after=abc", terminal.url)),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(garbled.status(), StatusCode::BAD_REQUEST);

    // Another store sees its own orders, never Paris's.
    let lyon = Terminal::enroll(&central, dir.path(), "LYO-01").await;
    let (lyon_changes, _, _) = lyon.pull(0, 10_000).await;
    let lyon_orders: Vec<_> = lyon_changes
        .iter()
        .filter_map(|c| match c {
            Change::PickupOrder(o) => Some(o.store.as_str()),
            _ => None,
        })
        .collect();
    assert!(!lyon_orders.is_empty());
    assert!(lyon_orders.iter().all(|s| *s == "LYO-01"));
    central.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_in_paris_reaches_lyon_as_a_stock_change() {
    let dir = seeded(50);
    let central = Central::start(dir.path()).await;
    let paris = Terminal::enroll(&central, dir.path(), "PAR-01").await;
    let lyon = Terminal::enroll(&central, dir.path(), "LYO-01").await;
    let (before, cursor, _) = lyon.pull(0, 10_000).await;
    let product = 7;
    let known = level_in(&before, &gtin(product), "PAR-01").expect("a Paris level");

    let training = SalePayload {
        training: true,
        ..serde_json::from_value(sale(3, "PAR-01", product, 5).payload).expect("sale")
    };
    let mut training = event(
        3,
        EventKind::Sale,
        serde_json::to_value(training).expect("json"),
    );
    training.seq = 3;
    let response = paris
        .push(&[
            sale(1, "PAR-01", product, 2),
            sale(2, "PAR-01", product, 1),
            training,
        ])
        .await;
    assert_eq!(response.acked_seq, 3);

    let (after, _, _) = lyon.pull(cursor, 10_000).await;
    let stock: Vec<_> = after
        .iter()
        .filter_map(|c| match c {
            Change::Stock(s) => Some(s),
            _ => None,
        })
        .collect();
    assert_eq!(stock.len(), 1, "one change per product per batch");
    assert_eq!(stock[0].gtin, gtin(product));
    assert_eq!(stock[0].levels.len(), 8, "all the product's levels");
    // The training ticket moved nothing.
    assert_eq!(level_in(&after, &gtin(product), "PAR-01"), Some(known - 3));
    let now = chrono::Utc::now().timestamp();
    let paris_level = stock[0]
        .levels
        .iter()
        .find(|l| l.location == "PAR-01")
        .expect("Paris");
    assert!(now - paris_level.as_of < 60, "known now");

    let fresh = lyon.stock(&gtin(product)).await;
    assert_eq!(fresh.status(), StatusCode::OK);
    let fresh: StockAnswer = fresh.json().await.expect("stock");
    assert_eq!(fresh.levels, stock[0].levels);
    // A 13-digit EAN is the same product.
    assert_eq!(
        lyon.stock(&gtin(product)[1..]).await.status(),
        StatusCode::OK
    );
    let body = "376099999999";
    let check = comptoir::domain::gtin::check_digit(body).expect("a check digit");
    let unknown = lyon.stock(&format!("0{body}{check}")).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(lyon.stock("12345").await.status(), StatusCode::BAD_REQUEST);
    central.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_central_keeps_each_terminals_last_journal_hash_and_catches_a_break() {
    use sha2::Digest;
    let dir = seeded(20);
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), "PAR-01").await;
    let entry = |sequence: i64, previous: &str| {
        let canonical =
            format!(r#"{{"previous_hash":"{previous}","sequence":{sequence},"terminal":"T01"}}"#);
        let hash: String = sha2::Sha256::digest(canonical.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        JournalPayload {
            terminal: "T01".into(),
            sequence,
            hash,
            canonical,
        }
    };
    let first = entry(1, comptoir::domain::journal::GENESIS_HASH);
    let second = entry(2, &first.hash);
    let events: Vec<OutboxEvent> = [&first, &second]
        .iter()
        .enumerate()
        .map(|(i, e)| {
            event(
                i as i64 + 1,
                EventKind::JournalEntry,
                serde_json::to_value(e).expect("json"),
            )
        })
        .collect();
    assert_eq!(terminal.push(&events).await.acked_seq, 2);
    let journal = central::device_journal(dir.path(), &terminal.device.device_id)
        .expect("read")
        .expect("device");
    assert_eq!(journal.sequence, Some(2));
    assert_eq!(journal.hash.as_deref(), Some(second.hash.as_str()));
    assert!(journal.breaks.is_empty());

    // Entry 3 was lost on the terminal (a truncated journal): entry 4 does not chain.
    let fourth = entry(4, &entry(3, &second.hash).hash);
    let response = terminal
        .push(&[event(
            3,
            EventKind::JournalEntry,
            serde_json::to_value(&fourth).expect("json"),
        )])
        .await;
    assert_eq!(response.applied, 1, "a fact is kept, never refused");
    let journal = central::device_journal(dir.path(), &terminal.device.device_id)
        .expect("read")
        .expect("device");
    assert_eq!(journal.breaks.len(), 1);
    assert_eq!(journal.breaks[0].sequence, Some(4));
    assert_eq!(
        journal.breaks[0].kind,
        comptoir::sync::protocol::JournalBreakKind::Gap
    );
    // The central still vouches for entry 2 only: never past a break.
    assert_eq!(journal.sequence, Some(2));
    central.stop().await;
    assert_eq!(
        central::stats(dir.path())
            .expect("stats")
            .received
            .journal_entries,
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_gzipped_both_ways() {
    let dir = seeded(PRODUCTS);
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), "PAR-01").await;

    let body = serde_json::to_vec(&PushRequest {
        events: vec![sale(1, "PAR-01", 1, 1)],
    })
    .expect("json");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).expect("gzip");
    let response = terminal
        .authed(terminal.client.post(format!("{}/v1/push", terminal.url)))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gz.finish().expect("gzip"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .json::<PushResponse>()
            .await
            .expect("json")
            .acked_seq,
        1
    );

    let raw = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let page = terminal
        .authed(raw.get(format!("{}/v1/changes?after=0&limit=1000", terminal.url)))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        page.headers().get("content-encoding").map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let compressed = page.bytes().await.expect("body");
    let mut json = String::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_string(&mut json)
        .expect("gunzip");
    let page: ChangesPage = serde_json::from_str(&json).expect("a page");
    assert!(
        compressed.len() * 3 < json.len(),
        "compressed several times"
    );
    assert!(!page.changes.is_empty());
    central.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_central_keeps_devices_events_and_its_key() {
    let dir = seeded(20);
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), "PAR-01").await;
    let batch = vec![sale(1, "PAR-01", 1, 1), sale(2, "PAR-01", 2, 1)];
    assert_eq!(terminal.push(&batch).await.applied, 2);
    let (_, cursor, _) = terminal.pull(0, 10_000).await;
    let old_url = central.url.clone();
    central.stop().await;
    assert!(
        reqwest::Client::new()
            .get(format!("{old_url}/v1/changes"))
            .send()
            .await
            .is_err(),
        "nothing listens after shutdown"
    );

    let central = Central::start(dir.path()).await;
    let terminal = Terminal {
        url: central.url.clone(),
        ..terminal
    };
    // Same token, same sequence series, same cursor.
    assert_eq!(
        terminal.push(&batch).await,
        PushResponse {
            acked_seq: 2,
            applied: 0,
            duplicates: 2,
            quarantined: Vec::new(),
        }
    );
    let page: ChangesPage = terminal.page(cursor, 100).await.json().await.expect("page");
    assert!(page.cursor >= cursor);
    let other = Terminal::enroll(&central, dir.path(), "MRS-01").await;
    assert_eq!(
        other.device.public_key, terminal.device.public_key,
        "the same signing key"
    );
    central.stop().await;
    let stats = central::stats(dir.path()).expect("stats");
    assert_eq!(
        (
            stats.received.sales,
            stats.duplicates_ignored,
            stats.devices
        ),
        (2, 2, 2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_in_flight_when_the_central_stops_still_completes() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = seeded(20);
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), "PAR-01").await;
    let body = serde_json::to_string(&PushRequest {
        events: vec![sale(1, "PAR-01", 1, 1)],
    })
    .expect("json");
    let address = central.url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let head = format!(
        "POST /v1/push HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         {DEVICE_HEADER}: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        terminal.device.token,
        terminal.device.device_id,
        body.len()
    );
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).await.expect("head");
    stream
        .write_all(first.as_bytes())
        .await
        .expect("first half");
    // Let the central take the request in before it is told to stop.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = central.stop.send(());
    tokio::time::sleep(Duration::from_millis(100)).await;
    stream
        .write_all(rest.as_bytes())
        .await
        .expect("second half");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let json = answer.split("\r\n\r\n").nth(1).expect("a body");
    let pushed: PushResponse = serde_json::from_str(json).expect("push response");
    assert_eq!(pushed.acked_seq, 1);
    tokio::time::timeout(Duration::from_secs(10), central.task)
        .await
        .expect("stopped")
        .expect("task")
        .expect("serve returns Ok");
    assert_eq!(central::stats(dir.path()).expect("stats").received.sales, 1);
}

#[test]
fn seeding_again_is_harmless_and_a_different_size_is_refused() {
    let dir = seeded(20);
    let again = central::seed(dir.path(), 20, |_, _| {}).expect("same size");
    assert_eq!(again.products, 20);
    assert!(matches!(
        central::seed(dir.path(), 30, |_, _| {}),
        Err(central::CentralError::AlreadySeeded { products: 20 })
    ));
}

// --- The binary's CLI contract ---

fn cli(data: &Path) -> Command {
    let mut command = Command::new(crate::util::central_bin());
    command.arg("--data").arg(data);
    // Its log joins the run's (debug level), which `personal_data` checks after the suite.
    crate::util::log_into_the_run(&mut command);
    command
}

fn run_ok(command: &mut Command) -> String {
    let output = command.output().expect("comptoir-central runs");
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

/// `serve` in a child process, killed on drop if a test fails before stopping it.
pub(crate) struct Served(std::process::Child, pub(crate) String);

impl Served {
    fn start(data: &Path) -> Served {
        Served::spawn(cli(data), Stdio::null())
    }

    /// `serve` writing its log, at `level` (a `RUST_LOG` filter), into the file `log`.
    pub(crate) fn logging_into(data: &Path, log: &Path, level: &str) -> Served {
        let mut command = cli(data);
        command
            .env("RUST_LOG", level)
            .env_remove("COMPTOIR_LOG_FILE");
        Served::spawn(command, std::fs::File::create(log).expect("log file"))
    }

    /// `command serve --listen 127.0.0.1:0`, once it has said where it listens.
    pub(crate) fn spawn(mut command: Command, stderr: impl Into<Stdio>) -> Served {
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the listening line");
        let url = line
            .split_whitespace()
            .last()
            .expect("an address")
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{line}");
        Served(child, url)
    }

    /// SIGTERM: a graceful stop, exit status 0.
    fn terminate(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let exit = self.0.wait().expect("wait");
        assert!(exit.success(), "serve exits cleanly on SIGTERM: {exit:?}");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_cli_contract() {
    let dir = crate::pg::CentralDir::new();
    let data: PathBuf = dir.path().join("central");

    let seeded = run_ok(cli(&data).args(["seed", "--products", "120", "--json"]));
    let summary: serde_json::Value = serde_json::from_str(seeded.trim()).expect("seed --json");
    assert_eq!(summary["products"], 120);
    let stores: Vec<&str> = summary["stores"]
        .as_array()
        .expect("stores")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(
        stores,
        ["PAR-01", "LYO-01", "MRS-01", "BDX-01", "LIL-01", "NTE-01"]
    );
    assert_eq!(
        summary["customers"].as_array().expect("customers").len(),
        20
    );
    assert_eq!(summary["customers"][0], "C00000001");
    let orders = summary["pickup_orders"].as_array().expect("orders");
    assert!(!orders.is_empty());
    assert!(
        orders
            .iter()
            .all(|o| o["id"].is_string()
                && stores.contains(&o["store"].as_str().unwrap_or_default()))
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(
            run_ok(cli(&data).args(["seed", "--products", "120", "--json"])).trim()
        )
        .expect("json"),
        summary,
        "seeding again changes nothing"
    );

    let enrolled = run_ok(cli(&data).args(["enroll", "--store", "PAR-01"]));
    let code = enrolled
        .lines()
        .last()
        .expect("a last line")
        .trim()
        .to_owned();
    assert_eq!(code.len(), 19, "{enrolled}");

    let unknown = cli(&data)
        .args(["enroll", "--store", "NOPE-01"])
        .output()
        .expect("runs");
    assert_eq!(unknown.status.code(), Some(1));
    let message = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        message.contains("NOPE-01") && message.contains("PAR-01"),
        "{message}"
    );

    let usage = cli(&data).args(["enroll"]).output().expect("runs");
    assert_eq!(usage.status.code(), Some(2));
    let usage = cli(&data).args(["frobnicate"]).output().expect("runs");
    assert_eq!(usage.status.code(), Some(2));

    let served = Served::start(&data);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let response = enroll(&client, &served.1, &code).await;
        assert_eq!(response.status(), StatusCode::OK);
        let device: EnrollResponse = response.json().await.expect("enrolled");
        let terminal = Terminal {
            url: served.1.clone(),
            client,
            device,
        };
        let batch = vec![
            sale(1, "PAR-01", 1, 1),
            sale(2, "PAR-01", 1, 1),
            event(
                3,
                EventKind::EReceipt,
                serde_json::json!({"ticket": "T01-000002"}),
            ),
        ];
        assert_eq!(terminal.push(&batch).await.acked_seq, 3);
        assert_eq!(terminal.push(&batch).await.duplicates, 3);
    });
    served.terminate();

    let stats: serde_json::Value =
        serde_json::from_str(run_ok(cli(&data).args(["stats", "--json"])).trim()).expect("json");
    assert_eq!(
        stats,
        serde_json::json!({
            "received": {"sales": 2, "returns": 0, "closings": 0, "journal_entries": 0,
                         "e_receipts": 1, "stock_counts": 0, "customers_created": 0,
                         "consents": 0, "customer_notes": 0, "customer_accesses": 0,
                         "privacy_requests": 0, "loyalty_movements": 0, "handovers": 0,
                         "aisle_orders": 0, "gift_cards": 0, "other": 0},
            "duplicates_ignored": 3,
            "discounts": {"manual_cents": 0, "promotion_cents": 0},
            "devices": 1,
            "open_privacy_requests": 0,
            "loyalty_overdrawn": 0,
            "pickup_conflicts": 0,
            "duplicate_returns": 0,
            "unknown_orders": 0,
            "quarantined": 0,
            "journal_breaks": 0,
            "journal_breaks_open": 0
        })
    );
}

// --- Clienteling (issue 8) ---

impl Terminal {
    async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.authed(self.client.get(format!("{}{path_and_query}", self.url)))
            .send()
            .await
            .expect("sent")
    }

    async fn search(&self, q: &str) -> Vec<CustomerHit> {
        let response = self
            .authed(self.client.get(format!("{}/v1/customers", self.url)))
            .query(&[("q", q)])
            .send()
            .await
            .expect("search sent");
        assert_eq!(response.status(), StatusCode::OK, "search {q:?}");
        response
            .json::<CustomerSearchAnswer>()
            .await
            .expect("hits")
            .hits
    }

    async fn view(&self, id: &str) -> CustomerView {
        let response = self.get(&format!("/v1/customers/{id}")).await;
        assert_eq!(response.status(), StatusCode::OK, "view {id}");
        response.json().await.expect("a view")
    }
}

/// A clienteling fact as the terminal's outbox holds it.
fn fact(seq: i64, kind: EventKind, payload: impl serde::Serialize) -> OutboxEvent {
    event(seq, kind, serde_json::to_value(payload).expect("json"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_find_a_customer_and_see_their_whole_story() {
    let dir = seeded(PRODUCTS);
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), "PAR-01").await;
    let lea = demo::customer(0);

    // By e-mail (any case), by phone (any spelling), by the start of a name without accents.
    let ids = |hits: Vec<CustomerHit>| hits.into_iter().map(|h| h.id).collect::<Vec<_>>();
    assert_eq!(
        ids(terminal.search(&lea.email.to_uppercase()).await),
        std::slice::from_ref(&lea.public_id)
    );
    let digits: String = lea.phone.chars().filter(char::is_ascii_digit).collect();
    let national = format!("0{}", &digits[2..]);
    assert_eq!(
        ids(terminal.search(&national).await),
        std::slice::from_ref(&lea.public_id)
    );
    let folded: String = lea.last_name.to_lowercase().replace(['é', 'è'], "e");
    let folded: String = folded.chars().take(3).collect();
    let by_name = terminal.search(&folded).await;
    assert!(by_name.iter().any(|h| h.id == lea.public_id), "{by_name:?}");
    assert!(by_name.iter().all(|h| {
        h.last_name
            .to_lowercase()
            .replace(['é', 'è'], "e")
            .starts_with(&folded)
            || h.first_name
                .to_lowercase()
                .replace(['é', 'è'], "e")
                .starts_with(&folded)
    }));
    let full = terminal
        .search(&format!("{} {}", lea.first_name, lea.last_name))
        .await;
    assert!(full.iter().any(|h| h.id == lea.public_id));

    // The limit is honoured (its default and ceiling are unit-tested in central::customers).
    let one = terminal
        .get(&format!("/v1/customers?q={folded}&limit=1"))
        .await;
    let hits = one.json::<CustomerSearchAnswer>().await.expect("hits").hits;
    assert_eq!(hits.len(), 1);
    assert_eq!(
        terminal
            .get(&format!("/v1/customers?q={folded}&limit=0"))
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    // Issue 19: one or two letters would list the whole chain 26 searches at a time.
    for q in ["a", "le"] {
        let short = terminal.get(&format!("/v1/customers?q={q}")).await;
        assert_eq!(short.status(), StatusCode::BAD_REQUEST, "{q}");
        assert!(error_of(short).await.contains("at least 3 letters"), "{q}");
    }

    // An empty search is refused with a reason; no token, no search.
    for q in ["", "%20%20"] {
        let empty = terminal.get(&format!("/v1/customers?q={q}")).await;
        assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
        assert!(error_of(empty).await.contains("empty"));
    }
    assert_eq!(
        terminal.get("/v1/customers").await.status(),
        StatusCode::BAD_REQUEST
    );
    let anonymous = reqwest::Client::new()
        .get(format!("{}/v1/customers?q=lea", central.url))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let unknown = terminal.get("/v1/customers/C99999999").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(error_of(unknown).await.contains("C99999999"));

    // The view of every demo customer: identity, both consents, cart at web prices.
    let (changes, _, _) = terminal.pull(0, 10_000).await;
    let store_price = |gtin: &str| {
        changes.iter().find_map(|c| match c {
            Change::Product(p) if p.gtin == gtin => Some(p.price_cents),
            _ => None,
        })
    };
    let before = chrono::Utc::now().timestamp();
    let (mut never_asked, mut granted, mut wishes, mut online, mut cart_lines, mut web_priced) =
        (0, 0, 0, 0, 0, 0);
    for i in 0..demo::customer_count(PRODUCTS) {
        let c = demo::customer(i);
        let view = terminal.view(&c.public_id).await;
        assert_eq!(
            (
                view.id.as_str(),
                view.first_name.as_str(),
                view.tier.as_str()
            ),
            (c.public_id.as_str(), c.first_name, c.tier)
        );
        assert_eq!(view.email.as_deref(), Some(c.email.as_str()));
        assert_eq!(view.source, ViewSource::Central);
        assert!(view.fetched_at >= before);
        let channels: Vec<Channel> = view.consents.iter().map(|c| c.channel).collect();
        assert_eq!(channels, [Channel::Email, Channel::Sms]);
        never_asked += view.consents.iter().filter(|c| c.at.is_none()).count();
        granted += view.consents.iter().filter(|c| c.granted).count();
        assert!(view.consents.iter().all(|c| c.at.is_some() || !c.granted));
        wishes += usize::from(!view.wishlist.is_empty());
        assert!(view.wishlist.iter().all(|w| !w.name.is_empty()));
        online += view
            .purchases
            .iter()
            .filter(|p| p.channel == "online")
            .count();
        assert!(
            view.purchases
                .windows(2)
                .all(|pair| pair[0].at >= pair[1].at),
            "newest first"
        );
        for item in &view.online_cart {
            cart_lines += 1;
            let price = store_price(&item.gtin).expect("a cart product is in the catalogue");
            assert!(item.online_price_cents <= price);
            web_priced += usize::from(item.online_price_cents != price);
            assert!(!item.name.is_empty() && item.quantity > 0);
        }
    }
    assert!(never_asked > 0 && granted > 0, "{never_asked} {granted}");
    assert!(wishes > 0 && online > 0);
    assert!(
        web_priced > 0 && web_priced < cart_lines,
        "{web_priced} of {cart_lines} lines at a web price"
    );
    central.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_clienteling_fact_counts_once_even_pushed_twice() {
    let dir = seeded(PRODUCTS);
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), "PAR-01").await;
    let (_, cursor, _) = terminal.pull(0, 10_000).await;
    let known = demo::customer(1);
    let new_id = format!("C{:08}", demo::customer_count(PRODUCTS) + 1);
    let at = 1_764_000_000;

    let mut sold = sale(7, "PAR-01", 1, 2);
    let mut payload: SalePayload = serde_json::from_value(sold.payload).expect("sale");
    payload.customer = Some("L-T01-0001".into());
    sold.payload = serde_json::to_value(payload).expect("json");
    // The terminal sends a ticket's sale before its loyalty movement (one transaction, in
    // order): the central takes points only for a ticket it has.
    sold.seq = 6;
    let batch = vec![
        fact(
            1,
            EventKind::CustomerCreated,
            CustomerCreatedPayload {
                local_id: "L-T01-0001".into(),
                first_name: "Noémie".into(),
                last_name: "Fontaine".into(),
                email: Some("noemie.nouvelle@example.org".into()),
                phone: None,
                store: "PAR-01".into(),
                created_at: at,
            },
        ),
        fact(
            2,
            EventKind::Consent,
            ConsentPayload {
                customer: "L-T01-0001".into(),
                channel: Channel::Sms,
                granted: true,
                at: at + 1,
                staff: "camille".into(),
            },
        ),
        fact(
            3,
            EventKind::CustomerNote,
            NotePayload {
                customer: known.public_id.clone(),
                text: "Préfère les coupes droites".into(),
                author: "camille".into(),
                at: at + 2,
            },
        ),
        fact(
            4,
            EventKind::CustomerAccess,
            AccessPayload {
                customer: known.public_id.clone(),
                staff: "hugo".into(),
                terminal: "T01".into(),
                store: "PAR-01".into(),
                at: at + 3,
            },
        ),
        fact(
            5,
            EventKind::PrivacyRequest,
            PrivacyRequestPayload {
                customer: known.public_id.clone(),
                kind: PrivacyRequestKind::Erasure,
                staff: "amelie".into(),
                store: "PAR-01".into(),
                at: at + 4,
            },
        ),
        fact(
            7,
            EventKind::Loyalty,
            LoyaltyPayload {
                customer: "L-T01-0001".into(),
                points: 39,
                ticket: "T01-000007".into(),
                terminal: "T01".into(),
                at: at + 5,
            },
        ),
        sold,
    ];
    assert_eq!(terminal.push(&batch).await.applied, 7);
    assert_eq!(terminal.push(&batch).await.duplicates, 7);

    // The terminal hears which chain id its customer got, once, and the new balance.
    let (changes, _, _) = terminal.pull(cursor, 10_000).await;
    let merges: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CustomerMerged(m) => Some((m.local_id.as_str(), m.id.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(merges, [("L-T01-0001", new_id.as_str())]);
    let balance = changes.iter().rev().find_map(|c| match c {
        Change::Customer(c) if c.id == new_id => Some(c.loyalty_points),
        _ => None,
    });
    assert_eq!(balance, Some(39));

    let view = terminal.view("L-T01-0001").await;
    assert_eq!(view.id, new_id);
    assert_eq!(view.loyalty_points, 39);
    assert_eq!(
        view.consents
            .iter()
            .map(|c| (c.channel, c.granted, c.at))
            .collect::<Vec<_>>(),
        [
            (Channel::Email, false, None),
            (Channel::Sms, true, Some(at + 1))
        ]
    );
    assert_eq!(view.purchases.len(), 1);
    assert_eq!(
        (
            view.purchases[0].reference.as_str(),
            view.purchases[0].items
        ),
        ("T01-000007", 2)
    );
    let known_view = terminal.view(&known.public_id).await;
    assert_eq!(known_view.notes.len(), 1);
    assert_eq!(known_view.notes[0].author, "camille");

    // A malformed fact is refused alone, like a malformed sale: quarantined, acknowledged.
    let broken = terminal
        .push(&[event(
            8,
            EventKind::Loyalty,
            serde_json::json!({"customer": "C00000001", "points": "many"}),
        )])
        .await;
    assert_eq!((broken.acked_seq, broken.applied), (8, 0));
    assert!(broken.quarantined[0].reason.contains("loyalty"));

    // The operator's side, through the real binary.
    let stats: serde_json::Value =
        serde_json::from_str(run_ok(cli(dir.path()).args(["stats", "--json"])).trim())
            .expect("json");
    for key in [
        EventKind::CustomerCreated,
        EventKind::Consent,
        EventKind::CustomerNote,
        EventKind::CustomerAccess,
        EventKind::PrivacyRequest,
        EventKind::Loyalty,
    ]
    .map(EventKind::stats_key)
    {
        assert_eq!(stats["received"][key], 1, "{key} in {stats}");
    }
    assert_eq!(stats["open_privacy_requests"], 1);
    assert_eq!(stats["loyalty_overdrawn"], 0);

    let mut log: serde_json::Value = serde_json::from_str(
        run_ok(cli(dir.path()).args(["access-log", &known.public_id, "--json"])).trim(),
    )
    .expect("json");
    // The terminal's read of the record through the API is in the log too (issue 19).
    let accesses = log["accesses"].as_array_mut().expect("accesses");
    let api_reads = accesses.iter().filter(|a| a["staff"] == "api").count();
    assert!(api_reads >= 1, "{accesses:?}");
    accesses.retain(|a| a["staff"] != "api");
    assert_eq!(
        log,
        serde_json::json!({
            "customer": known.public_id,
            "accesses": [{"at": at + 3, "staff": "hugo", "terminal": "T01", "store": "PAR-01",
                          "device": terminal.device.device_id}]
        })
    );
    let text = run_ok(cli(dir.path()).args(["access-log", &known.public_id]));
    assert!(text.contains("hugo") && text.contains("PAR-01"), "{text}");
    let nobody = cli(dir.path())
        .args(["access-log", "C99999999"])
        .output()
        .expect("runs");
    assert_eq!(nobody.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("C99999999"));
    central.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loyalty_code_signed_by_the_cli_verifies_with_the_enrollment_key() {
    let dir = seeded(20);
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), "LYO-01").await;
    let customer = demo::customer(4);
    let before = chrono::Utc::now().timestamp();
    let out = run_ok(cli(dir.path()).args(["sign", "loyalty", &customer.public_id]));
    let code = out.lines().last().expect("a last line").trim();
    let claims = verify_loyalty(code, &terminal.device.public_key).expect("genuine");
    assert_eq!(claims.customer_id, customer.public_id);
    assert_eq!(claims.display_name, customer.first_name);
    assert_eq!(claims.tier, customer.tier);
    assert!(claims.issued_at >= before && claims.issued_at <= chrono::Utc::now().timestamp());

    let unknown = cli(dir.path())
        .args(["sign", "loyalty", "C99999999"])
        .output()
        .expect("runs");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(unknown.stdout.is_empty());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no customer C99999999"));
    for usage in [
        &["sign", "loyalty"][..],
        &["sign"],
        &["sign", "pickup"],
        &["sign", "pickup", "CC000001", "CC000002"],
    ] {
        let output = cli(dir.path()).args(usage).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{usage:?}");
    }
    central.stop().await;
}

/// Customer searches carry names, e-mails and phone numbers in the query string: none of it may
/// reach the server's log, even at the most verbose level.
#[test]
fn the_servers_log_never_carries_a_customer_search() {
    let dir = seeded(20);
    let code = central::enroll_code(dir.path(), "PAR-01").expect("code");
    let log_path = dir.path().join("serve.log");
    let served = Served::logging_into(dir.path(), &log_path, "trace");
    let customer = demo::customer(3);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let device: EnrollResponse = enroll(&client, &served.1, &code.code)
            .await
            .json()
            .await
            .expect("enrolled");
        let terminal = Terminal {
            url: served.1.clone(),
            client,
            device,
        };
        assert_eq!(terminal.search(&customer.email).await.len(), 1);
        assert!(!terminal.search(&customer.phone).await.is_empty());
        assert!(!terminal.search(customer.last_name).await.is_empty());
        let view = terminal.view(&customer.public_id).await;
        assert_eq!(view.email.as_deref(), Some(customer.email.as_str()));
        // A refused search too.
        assert_eq!(
            terminal
                .get(&format!("/v1/customers?q={}&limit=x", customer.last_name))
                .await
                .status(),
            StatusCode::BAD_REQUEST
        );
    });
    served.terminate();
    let mut text = String::new();
    std::fs::File::open(&log_path)
        .expect("log")
        .read_to_string(&mut text)
        .expect("utf-8 log");
    assert!(
        text.contains("/v1/customers"),
        "the requests are logged:\n{text}"
    );
    let digits: String = customer
        .phone
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    for private in [
        customer.email.as_str(),
        customer.email.split('@').next().unwrap_or_default(),
        customer.last_name,
        digits.as_str(),
        &customer.phone.replace(' ', "%20"),
        &customer.phone.replace(' ', "+"),
    ] {
        assert!(
            !text.to_lowercase().contains(&private.to_lowercase()),
            "{private:?} in the log:\n{text}"
        );
    }
}

// --- Click-and-collect, returns of online orders, endless aisle (issue 9) ---

/// The `id` order's latest state among pulled changes.
fn latest_order(changes: &[Change], id: &str) -> Option<PickupOrderChange> {
    changes.iter().rev().find_map(|c| match c {
        Change::PickupOrder(o) if o.id == id => Some(o.clone()),
        _ => None,
    })
}

/// Counters T01 and T02 of PAR-01, enrolled through `through[0]` and `through[1]`, the store's
/// first click-and-collect order as T01 pulled it, and the cursor after that pull.
async fn two_paris_counters_and_an_order(
    dir: &Path,
    summary: &central::SeedSummary,
    through: [&Central; 2],
) -> (Terminal, Terminal, PickupOrderChange, i64) {
    let first = Terminal::enroll(through[0], dir, "PAR-01").await;
    let second = Terminal::enroll_as(through[1], dir, "PAR-01", "T02").await;
    let id = &summary
        .pickup_orders
        .iter()
        .find(|o| o.store == "PAR-01")
        .expect("a Paris order")
        .id;
    let (changes, cursor, _) = first.pull(0, 10_000).await;
    let order = latest_order(&changes, id).expect("pulled");
    (first, second, order, cursor)
}

fn handover(seq: i64, order: &PickupOrderChange, terminal: &str) -> OutboxEvent {
    fact(
        seq,
        EventKind::Handover,
        HandoverPayload {
            handover_id: uuid::Uuid::new_v4().to_string(),
            order_id: order.id.clone(),
            store: order.store.clone(),
            terminal: terminal.into(),
            staff: "camille".into(),
            at: 1_764_000_000 + seq,
            lines: order.lines.clone(),
            complete: true,
        },
    )
}

impl Terminal {
    async fn order(&self, id: &str) -> reqwest::Response {
        self.get(&format!("/v1/orders/{id}")).await
    }

    async fn level(&self, gtin: &str) -> i64 {
        let answer: StockAnswer = self.stock(gtin).await.json().await.expect("stock");
        answer
            .levels
            .iter()
            .find(|l| l.location == self.device.store)
            .map(|l| l.qty)
            .expect("a level here")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pickup_code_signed_by_the_cli_verifies_with_the_enrollment_key() {
    let dir = crate::pg::CentralDir::new();
    let summary = central::seed(dir.path(), 20, |_, _| {}).expect("seed");
    let order = summary.pickup_orders[0].clone();
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), &order.store).await;

    let before = chrono::Utc::now().timestamp();
    let out = run_ok(cli(dir.path()).args(["sign", "pickup", &order.id]));
    let code = out.lines().last().expect("a last line").trim();
    let now = chrono::Utc::now().timestamp();
    let claims =
        verify_pickup(code, &terminal.device.public_key, &order.store, now).expect("genuine");
    assert_eq!(
        (claims.order_id.as_str(), claims.store.as_str()),
        (order.id.as_str(), order.store.as_str())
    );
    let week = 7 * 86_400;
    assert!(claims.expires_at >= before + week && claims.expires_at <= now + week);
    // Another store's terminal refuses it, and so does anyone after a week.
    assert!(verify_pickup(code, &terminal.device.public_key, "ZZZ-01", now).is_err());
    assert!(
        verify_pickup(
            code,
            &terminal.device.public_key,
            &order.store,
            now + week + 1
        )
        .is_err()
    );

    let unknown = cli(dir.path())
        .args(["sign", "pickup", "CC999999"])
        .output()
        .expect("runs");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(unknown.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no click-and-collect order CC999999")
    );

    // Once handed over, there is nothing left to sign for.
    let (changes, _, _) = terminal.pull(0, 10_000).await;
    let seeded = latest_order(&changes, &order.id).expect("the store's order");
    assert_eq!(
        terminal.push(&[handover(1, &seeded, "T01")]).await.applied,
        1
    );
    let closed = cli(dir.path())
        .args(["sign", "pickup", &order.id])
        .output()
        .expect("runs");
    assert_eq!(closed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&closed.stderr).contains("already handed over"));
    central.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_handed_over_at_two_offline_counters_is_flagged_to_both() {
    let dir = crate::pg::CentralDir::new();
    let summary = central::seed(dir.path(), PRODUCTS, |_, _| {}).expect("seed");
    let central = Central::start(dir.path()).await;
    let (first, second, order, cursor) =
        two_paris_counters_and_an_order(dir.path(), &summary, [&central, &central]).await;
    let id = order.id.clone();
    assert!(order.customer_first_name.is_some());
    assert!(order.handed.is_empty() && order.conflict.is_none());

    // Both counters were offline and handed the same order over; each pushes twice.
    let at_first = [handover(1, &order, "T01")];
    let at_second = [handover(1, &order, "T02")];
    assert_eq!(first.push(&at_first).await.applied, 1);
    assert_eq!(first.push(&at_first).await.duplicates, 1);
    assert_eq!(second.push(&at_second).await.applied, 1);
    assert_eq!(second.push(&at_second).await.duplicates, 1);

    for terminal in [&first, &second] {
        let (changes, _, _) = terminal.pull(cursor, 10_000).await;
        let flagged = latest_order(&changes, &id).expect("the order changed");
        assert_eq!(flagged.status, "conflict");
        assert_eq!(
            flagged.conflict.as_deref(),
            Some("handed over twice: T01 and T02")
        );
        let twice: Vec<PickupLineChange> = order
            .lines
            .iter()
            .map(|l| PickupLineChange {
                gtin: l.gtin.clone(),
                quantity: 2 * l.quantity,
            })
            .collect();
        assert_eq!(flagged.handed, twice);
    }
    let answer: OrderAnswer = first.order(&id).await.json().await.expect("order");
    assert_eq!(answer.status, "conflict");
    assert_eq!(answer.store.as_deref(), Some("PAR-01"));
    assert!(
        answer
            .lines
            .iter()
            .all(|l| l.amount_cents > 0 && !l.name.is_empty())
    );
    central.stop().await;

    let stats: serde_json::Value =
        serde_json::from_str(run_ok(cli(dir.path()).args(["stats", "--json"])).trim())
            .expect("json");
    assert_eq!(stats["received"]["handovers"], 2);
    assert_eq!(stats["pickup_conflicts"], 1);
    assert_eq!(stats["duplicates_ignored"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_order_returned_in_store_puts_the_stock_back_once() {
    let dir = seeded(PRODUCTS);
    let central = Central::start(dir.path()).await;
    let terminal = Terminal::enroll(&central, dir.path(), "PAR-01").await;
    let other = Terminal::enroll_as(&central, dir.path(), "PAR-01", "T02").await;
    // The demo's third customer bought on the web shop.
    let customer = demo::customer(2).public_id;
    let response = terminal
        .authed(terminal.client.get(format!("{}/v1/orders", terminal.url)))
        .query(&[("customer", customer.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let orders: OrdersAnswer = response.json().await.expect("orders");
    let web = orders
        .orders
        .iter()
        .find(|o| o.status == "delivered")
        .expect("a delivered web order")
        .clone();
    assert_eq!((web.paid_with.as_str(), web.store.as_ref()), ("card", None));
    assert!(orders.orders.iter().all(|o| o.customer == customer));
    let line = web.lines[0].clone();
    assert_eq!(line.returned, 0);
    let before = terminal.level(&line.gtin).await;

    let give_back = |seq: i64, terminal: &str| {
        fact(
            seq,
            EventKind::Return,
            ReturnPayload {
                ticket: format!("{terminal}-R{seq:05}"),
                order_id: web.id.clone(),
                store: "PAR-01".into(),
                terminal: terminal.into(),
                staff: "camille".into(),
                at: 1_764_000_000,
                lines: vec![ReturnLinePayload {
                    gtin: line.gtin.clone(),
                    quantity: line.quantity,
                    amount_cents: line.amount_cents,
                    vat_bp: line.vat_bp,
                }],
                refund: "card".into(),
                refund_cents: line.amount_cents,
                credit_code: None,
                customer: Some(customer.clone()),
                sale: None,
                refunds: Vec::new(),
            },
        )
    };
    let batch = [give_back(1, "T01")];
    assert_eq!(terminal.push(&batch).await.applied, 1);
    assert_eq!(terminal.push(&batch).await.duplicates, 1);
    assert_eq!(terminal.level(&line.gtin).await, before + line.quantity);
    let answer: OrderAnswer = terminal.order(&web.id).await.json().await.expect("order");
    assert_eq!(answer.lines[0].returned, line.quantity);

    // The same line taken back at the other counter: kept, stock back, flagged.
    assert_eq!(other.push(&[give_back(1, "T02")]).await.applied, 1);
    assert_eq!(terminal.level(&line.gtin).await, before + 2 * line.quantity);

    // An order taken at the counter shows up like a web order.
    let aisle = fact(
        2,
        EventKind::AisleOrder,
        AisleOrderPayload {
            order_number: "A-T01-000001".into(),
            customer: customer.clone(),
            store: "PAR-01".into(),
            terminal: "T01".into(),
            staff: "camille".into(),
            at: 1_764_000_100,
            lines: vec![AisleLinePayload {
                gtin: gtin(3),
                quantity: 1,
                price_cents: 2_500,
            }],
            delivery: "home".into(),
            pickup_store: None,
            ship_from: Some("WH-NORD".into()),
        },
    );
    assert_eq!(terminal.push(std::slice::from_ref(&aisle)).await.applied, 1);
    assert_eq!(terminal.push(&[aisle]).await.duplicates, 1);
    let answer: OrderAnswer = terminal
        .order("A-T01-000001")
        .await
        .json()
        .await
        .expect("order");
    assert_eq!(
        (answer.status.as_str(), answer.store.as_ref()),
        ("ordered", None)
    );
    assert_eq!(answer.lines[0].amount_cents, 2_500);
    let view = terminal.view(&customer).await;
    assert!(
        view.purchases
            .iter()
            .any(|p| p.reference == "A-T01-000001" && p.channel == "online")
    );

    let missing = terminal.order("W9999999").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(error_of(missing).await.contains("W9999999"));
    assert_eq!(
        terminal.get("/v1/orders").await.status(),
        StatusCode::BAD_REQUEST
    );
    let anonymous = reqwest::Client::new()
        .get(format!("{}/v1/orders/{}", terminal.url, web.id))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    central.stop().await;

    let stats: serde_json::Value =
        serde_json::from_str(run_ok(cli(dir.path()).args(["stats", "--json"])).trim())
            .expect("json");
    assert_eq!(stats["received"]["returns"], 2);
    assert_eq!(stats["received"]["aisle_orders"], 1);
    assert_eq!(stats["duplicate_returns"], 1);
    assert_eq!(stats["duplicates_ignored"], 2);
}

/// Issue 18, item 5: what a load balancer and a chain's monitoring ask, with no token: the
/// health of the database, and the Prometheus text of what terminals pushed (a push retried is
/// counted as duplicates), the push latency and the terminals heard from in the last hour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_say_what_the_central_received() {
    let dir = seeded(20);
    let central = Central::start(dir.path()).await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", central.url))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.text().await.expect("body"), "ok\n");

    let terminal = Terminal::enroll(&central, dir.path(), "PAR-01").await;
    let batch = vec![sale(1, "PAR-01", 1, 1), sale(2, "PAR-01", 2, 3)];
    terminal.push(&batch).await;
    terminal.push(&batch).await;
    let scrape = client
        .get(format!("{}/metrics", central.url))
        .send()
        .await
        .expect("metrics");
    assert_eq!(scrape.status(), StatusCode::OK);
    assert!(
        scrape
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/openmetrics-text"))
    );
    let text = scrape.text().await.expect("body");
    for line in [
        "comptoir_central_events_received_total{kind=\"sales\"} 2",
        "comptoir_central_duplicates_ignored_total 2",
        "comptoir_central_push_duration_seconds_count 2",
        "comptoir_central_terminals_seen_last_hour 1",
        "comptoir_central_devices 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    assert!(
        !text.contains(&terminal.device.device_id),
        "no device named"
    );
    central.stop().await;
}

/// The terminals heard from in the last hour are the chain's, whichever instance a scrape
/// reaches: each instance adds its own to the database at its scrape (and once a minute).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_terminals_seen_are_counted_across_instances() {
    let dir = seeded(20);
    let a = Central::start(dir.path()).await;
    let b = Central::start(dir.path()).await;
    let first = Terminal::enroll_as(&a, dir.path(), "PAR-01", "T01").await;
    let second = Terminal::enroll_as(&b, dir.path(), "PAR-01", "T02").await;
    first.push(&[sale_by(1, "PAR-01", "T01", 1, 1)]).await;
    second.push(&[sale_by(1, "PAR-01", "T02", 2, 1)]).await;
    let client = reqwest::Client::new();
    let seen = |url: String| {
        let client = client.clone();
        async move {
            let text = client
                .get(format!("{url}/metrics"))
                .send()
                .await
                .expect("metrics")
                .text()
                .await
                .expect("body");
            text.lines()
                .find_map(|l| l.strip_prefix("comptoir_central_terminals_seen_last_hour "))
                .and_then(|n| n.parse::<i64>().ok())
                .expect("the gauge")
        }
    };
    assert_eq!(
        seen(b.url.clone()).await,
        1,
        "b heard from T02 alone so far"
    );
    assert_eq!(seen(a.url.clone()).await, 2, "a counts T02 from b's scrape");
    assert_eq!(seen(b.url.clone()).await, 2, "and b counts T01 from a's");
    a.stop().await;
    b.stop().await;
}

/// Several instances on one database (issue 18): on PostgreSQL the chain's instances, on SQLite
/// two processes on one file. Eight terminals race one enrollment code through both: one enrolls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_enrollment_code_raced_through_two_instances_enrolls_one_terminal() {
    let dir = seeded(20);
    let a = Central::start(dir.path()).await;
    let b = Central::start(dir.path()).await;
    let code = central::enroll_code(dir.path(), "PAR-01").expect("code");
    let client = reqwest::Client::new();
    let mut racing = tokio::task::JoinSet::new();
    for i in 0..8 {
        let url = if i % 2 == 0 { &a.url } else { &b.url };
        let request = client
            .post(format!("{url}/v1/enroll"))
            .json(&serde_json::json!({"code": code.code, "terminal_id": format!("T{i:02}")}));
        racing.spawn(async move { request.send().await.expect("enroll sent").status() });
    }
    let statuses = racing.join_all().await;
    let enrolled = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(enrolled, 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::GONE),
        "{statuses:?}"
    );
    a.stop().await;
    b.stop().await;
    assert_eq!(central::stats(dir.path()).expect("stats").devices, 1);
}

/// Two counters hand the same order over, each through another instance, at the same moment:
/// the double handover is caught whichever instance applied which push.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_handed_over_through_two_instances_at_once_is_flagged() {
    let dir = crate::pg::CentralDir::new();
    let summary = central::seed(dir.path(), 20, |_, _| {}).expect("seed");
    let a = Central::start(dir.path()).await;
    let b = Central::start(dir.path()).await;
    let (first, second, order, cursor) =
        two_paris_counters_and_an_order(dir.path(), &summary, [&a, &b]).await;
    let id = order.id.clone();

    let at_first = [handover(1, &order, "T01")];
    let at_second = [handover(1, &order, "T02")];
    let (one, two) = tokio::join!(first.push(&at_first), second.push(&at_second));
    assert_eq!((one.applied, two.applied), (1, 1));

    for terminal in [&first, &second] {
        let (changes, _, _) = terminal.pull(cursor, 10_000).await;
        let flagged = latest_order(&changes, &id).expect("the order changed");
        assert_eq!(flagged.status, "conflict");
        // In the order the two pushes were applied, which the race decides.
        let conflict = flagged.conflict.as_deref().unwrap_or_default();
        assert!(
            [
                "handed over twice: T01 and T02",
                "handed over twice: T02 and T01"
            ]
            .contains(&conflict),
            "{conflict}"
        );
    }
    a.stop().await;
    b.stop().await;
    let stats = central::stats(dir.path()).expect("stats");
    assert_eq!(stats.pickup_conflicts, 1, "{stats:?}");
}

/// A change becomes visible to pulls in the order of its cursor, whichever instance wrote it:
/// a Lyon terminal pulls again and again while six Paris counters push through two instances,
/// and what it gathered page by page is what a full pull reads at the end. On PostgreSQL two
/// transactions could otherwise take cursors 100 and 101 and commit 101 first, and a pull in
/// between would move past 100 for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_pulling_while_two_instances_apply_pushes_misses_no_change() {
    let dir = seeded(PRODUCTS);
    let a = Central::start(dir.path()).await;
    let b = Central::start(dir.path()).await;
    let mut counters = Vec::new();
    for t in 1..=6 {
        let through = if t % 2 == 0 { &a } else { &b };
        counters
            .push(Terminal::enroll_as(through, dir.path(), "PAR-01", &format!("T{t:02}")).await);
    }
    let lyon = Terminal::enroll(&b, dir.path(), "LYO-01").await;
    let (_, mut cursor, _) = lyon.pull(0, 10_000).await;

    // Each counter sells 15 products of its own, one push per sale (3, 100… are sold by weight).
    let sold = |t: usize| (1 + 15 * t as u64..).filter(|p| p % 97 != 3).take(15);
    let sellers = counters.len();
    let done = std::sync::atomic::AtomicBool::new(false);
    let pushing = async {
        let mut selling = tokio::task::JoinSet::new();
        for (t, counter) in counters.into_iter().enumerate() {
            selling.spawn(async move {
                for (seq, product) in (1..).zip(sold(t)) {
                    let terminal = format!("T{:02}", t + 1);
                    let answer = counter
                        .push(&[sale_by(seq, "PAR-01", &terminal, product, 1)])
                        .await;
                    assert_eq!(answer.applied, 1);
                }
            });
        }
        selling.join_all().await;
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let mut gathered = Vec::new();
    let pulling = async {
        loop {
            let finished = done.load(std::sync::atomic::Ordering::SeqCst);
            // At a terminal's pace, well inside the device's request quota (20 a second after
            // its burst): a loop as fast as the machine got a 429 when the pushes ran slow.
            tokio::time::sleep(std::time::Duration::from_millis(60)).await;
            let (changes, next, _) = lyon.pull(cursor, 50).await;
            gathered.extend(changes);
            cursor = next;
            if finished {
                break;
            }
        }
    };
    tokio::join!(pushing, pulling);

    let (everything, _, _) = lyon.pull(0, 10_000).await;
    for t in 0..sellers {
        for product in sold(t) {
            let gtin = gtin(product);
            let truth = level_in(&everything, &gtin, "PAR-01");
            assert_eq!(
                level_in(&gathered, &gtin, "PAR-01").or(truth),
                truth,
                "{gtin}"
            );
            assert!(
                gathered
                    .iter()
                    .any(|c| matches!(c, Change::Stock(s) if s.gtin == gtin)),
                "the sale of {gtin} never reached the pulling terminal"
            );
        }
    }
    a.stop().await;
    b.stop().await;
}

/// Two instances started together on an empty database: one creates the schema, the other
/// waits for it, and both serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_started_together_on_an_empty_database_both_serve() {
    let dir = crate::pg::CentralDir::new();
    let (a, b) = tokio::join!(Central::start(dir.path()), Central::start(dir.path()));
    let client = reqwest::Client::new();
    for central in [&a, &b] {
        let mut tries = 0;
        let status = loop {
            tries += 1;
            match client.get(format!("{}/healthz", central.url)).send().await {
                Ok(response) => break response.status(),
                Err(_) if tries < 50 => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("{} never answered: {e}", central.url),
            }
        };
        assert_eq!(status, StatusCode::OK);
    }
    a.stop().await;
    b.stop().await;
}
