//! The cash drawer (issue 16, item 5) through the real binary on a real database file: a day
//! from the float to a counted closing, the refusals that write nothing, a tampered movement
//! caught by `journal verify`, and the drawer kick sent to a pseudo-terminal printer.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use comptoir::domain::demo;
use rusqlite::Connection;
use serde_json::Value;
use serialport::{SerialPort, TTYPort};

use crate::util::{
    TempDb, assert_exit_saying, assert_success, assert_usage_errors, comptoir, json_of, seeded_db,
};

fn run(db: &Path, args: &[&str]) {
    let output = comptoir(db).args(args).output().expect("comptoir");
    assert_success(&output);
}

fn report(db: &Path) -> Value {
    let output = comptoir(db)
        .args(["drawer", "report", "--json"])
        .output()
        .expect("report");
    assert_success(&output);
    json_of(&output)
}

fn journal_len(db: &Path) -> i64 {
    let conn = Connection::open(db).expect("open");
    conn.query_row("SELECT count(*) FROM journal_entry", [], |row| row.get(0))
        .expect("count")
}

/// Float 150 €, a cash sale paid with a 500 € note, a card sale, 20 € in, 50 € out.
fn day_db() -> TempDb {
    let db = seeded_db(100);
    let (a, b) = (demo::product(1).gtin, demo::product(2).gtin);
    run(&db.path, &["drawer", "float", "150"]);
    run(
        &db.path,
        &["sell", a.as_str(), "--pay", "cash", "--given", "500"],
    );
    run(&db.path, &["sell", b.as_str(), "--pay", "card"]);
    run(
        &db.path,
        &["drawer", "in", "20", "--reason", "change top-up"],
    );
    run(
        &db.path,
        &["drawer", "out", "50,00", "--reason", "bank deposit"],
    );
    db
}

#[test]
fn a_day_from_float_to_counted_closing() {
    let db = day_db();
    let (a, b) = (demo::product(1).price.get(), demo::product(2).price.get());
    let x = report(&db.path);
    assert_eq!(x["float_cents"], 15_000);
    assert_eq!(x["ticket_count"], 2);
    assert_eq!(x["total_cents"], a + b);
    // The cash payment is what the ticket kept: the change went back out of the drawer.
    assert_eq!(x["cash_sales_cents"], a);
    let expected = 15_000 + a + 2_000 - 5_000;
    assert_eq!(x["expected_cash_cents"], expected);
    assert_eq!(x["movements"].as_array().expect("movements").len(), 3);
    assert_eq!(x["movements"][2]["kind"], "out");
    assert_eq!(x["movements"][2]["reason"], "bank deposit");
    // An X report resets nothing.
    assert_eq!(report(&db.path), x);

    // Count 10 cents short, in 1-cent coins and 5 € notes around the rest.
    let short = expected - 10;
    let count = format!("5={},0.01={}", short / 500, short % 500);
    let output = comptoir(&db.path)
        .args(["close", "day", "--counted", &count, "--json"])
        .output()
        .expect("close");
    assert_success(&output);
    let z = json_of(&output);
    assert_eq!(z["drawer"]["counted_cents"], short);
    assert_eq!(z["drawer"]["expected_cash_cents"], expected);
    assert_eq!(z["drawer"]["difference_cents"], -10);
    assert_eq!(z["ticket_count"], 2);

    // The text closing prints the difference after the count.
    let next = report(&db.path);
    assert_eq!(next["float_cents"], 0);
    assert_eq!(next["expected_cash_cents"], 0);
    assert_eq!(next["ticket_count"], 0);
    run(&db.path, &["drawer", "float", "100"]);
    let output = comptoir(&db.path)
        .args(["close", "day", "--counted", "50=2"])
        .output()
        .expect("close");
    assert_success(&output);
    let text = String::from_utf8_lossy(&output.stdout);
    let counted = text.find("drawer counted").expect("counted line");
    let difference = text.find("drawer difference").expect("difference line");
    assert!(counted < difference, "{text}");

    let verify = comptoir(&db.path)
        .args(["journal", "verify", "--json"])
        .output()
        .expect("verify");
    assert_success(&verify);
    assert_eq!(json_of(&verify)["intact"], true);
}

#[test]
fn bad_drawer_inputs_are_refused_and_write_nothing() {
    let db = day_db();
    let before = journal_len(&db.path);
    assert_usage_errors(
        &db.path,
        &[
            vec!["drawer", "in", "abc", "--reason", "x"],
            vec!["drawer", "in", "1,234", "--reason", "x"],
            vec!["drawer", "out", "10"],
            vec!["close", "day", "--counted", "3=1"],
            vec!["close", "day", "--counted", "50=-2"],
            vec!["close", "day", "--counted", "50=99999999"],
            vec!["close", "day", "--counted", "50=two"],
            vec!["close", "month", "--counted", "50=2"],
        ],
    );
    let refused = |args: &[&str], needle: &str| {
        let output = comptoir(&db.path).args(args).output().expect("run");
        assert_exit_saying(&output, 1, needle);
    };
    refused(&["drawer", "in", "0", "--reason", "x"], "more than 0,00");
    refused(
        &["drawer", "out", "--reason", "x", "--", "-5"],
        "more than 0,00",
    );
    refused(&["drawer", "in", "5", "--reason", "  "], "needs a reason");
    refused(
        &["drawer", "in", "200000", "--reason", "x"],
        "more than a drawer",
    );
    refused(&["drawer", "float", "100"], "already");
    refused(
        &["drawer", "out", "10000", "--reason", "theft"],
        "cannot be taken out",
    );
    assert_eq!(journal_len(&db.path), before);
    let conn = Connection::open(&db.path).expect("open");
    let closings: i64 = conn
        .query_row("SELECT count(*) FROM closing", [], |row| row.get(0))
        .expect("closings");
    assert_eq!(closings, 0);
}

#[test]
fn a_tampered_movement_is_caught_by_journal_verify() {
    let db = day_db();
    let conn = Connection::open(&db.path).expect("open");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
    crate::util::drop_append_only_triggers(&conn);
    // 50 € taken to the bank becomes 5 €.
    let changed = conn
        .execute(
            "UPDATE journal_entry SET total_cents = 500 WHERE detail LIKE 'drawer_out%'",
            [],
        )
        .expect("tamper");
    assert_eq!(changed, 1);
    drop(conn);
    let output = comptoir(&db.path)
        .args(["journal", "verify", "--json"])
        .output()
        .expect("verify");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(json_of(&output)["intact"], false);
}

#[test]
fn a_pty_printer_receives_the_drawer_kick() {
    let db = seeded_db(100);
    let (mut master, slave) = TTYPort::pair().expect("pseudo-terminal pair");
    master
        .set_timeout(Duration::from_millis(20))
        .expect("master timeout");
    let path = slave.name().expect("a pair's slave has a name");
    let with_printer = |args: &[&str]| {
        let output = comptoir(&db.path)
            .env("COMPTOIR_PRINTER_PORT", &path)
            .args(args)
            .output()
            .expect("comptoir");
        assert_success(&output);
    };
    let kick = [0x1B, b'p', 0, 25, 250];
    let mut received = Vec::new();
    let mut read_kicks = |want: usize| {
        let started = Instant::now();
        let mut buf = [0u8; 64];
        while received.windows(5).filter(|w| *w == kick).count() < want
            && started.elapsed() < Duration::from_secs(10)
        {
            if let Ok(n) = master.read(&mut buf) {
                received.extend_from_slice(&buf[..n]);
            }
        }
        received.windows(5).filter(|w| *w == kick).count()
    };
    with_printer(&["drawer", "float", "100"]);
    assert_eq!(read_kicks(1), 1);
    with_printer(&["sell", demo::product(1).gtin.as_str(), "--pay", "card"]);
    with_printer(&[
        "sell",
        demo::product(1).gtin.as_str(),
        "--pay",
        "cash",
        "--given",
        "500",
    ]);
    assert_eq!(
        read_kicks(2),
        2,
        "a card sale does not open the drawer, a cash one does"
    );
    drop(slave);
}

/// The payloads of the closing events in the outbox, oldest first.
fn closing_events(db: &Path) -> Vec<Value> {
    let conn = Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT payload FROM outbox WHERE kind = 'closing' ORDER BY seq")
        .expect("prepare");
    stmt.query_map([], |row| row.get::<_, String>(0))
        .expect("query")
        .map(|payload| serde_json::from_str(&payload.expect("payload")).expect("json"))
        .collect()
}

#[test]
fn the_closing_event_carries_the_count_only_when_one_was_made() {
    let db = day_db();
    let expected = report(&db.path)["expected_cash_cents"]
        .as_i64()
        .expect("expected");
    // 20 cents over.
    let counted = expected + 20;
    let count = format!("5={},0.01={}", counted / 500, counted % 500);
    run(&db.path, &["close", "day", "--counted", &count]);
    run(&db.path, &["close", "day"]);
    let events = closing_events(&db.path);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["counted_cents"], counted);
    assert_eq!(events[0]["expected_cash_cents"], expected);
    assert_eq!(events[0]["difference_cents"], 20);
    for absent in ["counted_cents", "expected_cash_cents", "difference_cents"] {
        assert!(
            events[1].get(absent).is_none(),
            "{absent} in an uncounted closing: {}",
            events[1]
        );
    }
}

/// Everything a pseudo-terminal printer receives until `done` says it has all it needs, or
/// ten seconds.
fn read_until(master: &mut TTYPort, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 256];
    while !done(&received) && started.elapsed() < Duration::from_secs(10) {
        if let Ok(n) = master.read(&mut buf) {
            received.extend_from_slice(&buf[..n]);
        }
    }
    received
}

#[test]
fn the_x_ticket_prints_on_a_pty_printer_and_resets_nothing() {
    let db = day_db();
    let before = report(&db.path);
    let journal_before = journal_len(&db.path);
    let (mut master, slave) = TTYPort::pair().expect("pseudo-terminal pair");
    master
        .set_timeout(Duration::from_millis(20))
        .expect("master timeout");
    let path = slave.name().expect("a pair's slave has a name");
    let output = comptoir(&db.path)
        // The pair cannot answer a status request: the job alone is sent.
        .env("COMPTOIR_PRINTER_CHECK_STATUS", "false")
        .args(["drawer", "report", "--print", &path])
        .output()
        .expect("comptoir drawer report --print");
    assert_success(&output);
    let cut = [0x1D, b'V', 66, 0];
    let received = read_until(&mut master, |r| r.windows(4).any(|w| w == cut));
    let has = |needle: &[u8]| received.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"RAPPORT X"), "{}", String::from_utf8_lossy(&received));
    // « Espèces attendues », è in the printer's code page PC858, and the amount.
    assert!(has(b"Esp\x8Aces attendues"));
    let expected = before["expected_cash_cents"].as_i64().expect("expected");
    let amount = format!("{},{:02} \u{D5}", expected / 100, expected % 100);
    let amount: Vec<u8> = amount
        .chars()
        .map(|c| if c == '\u{D5}' { 0xD5 } else { c as u8 })
        .collect();
    assert!(has(&amount), "{}", String::from_utf8_lossy(&received));
    assert!(has(b"bank deposit"));
    assert!(received.ends_with(&cut));
    // An X report writes nothing and resets nothing.
    assert_eq!(journal_len(&db.path), journal_before);
    assert_eq!(report(&db.path), before);
    // The text report is still there on standard output.
    assert!(String::from_utf8_lossy(&output.stdout).contains("cash expected in the drawer"));
    drop(slave);
}
