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
