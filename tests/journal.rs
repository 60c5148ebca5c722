//! The fiscal journal on real database files: sell through the binary, then tamper with a copy
//! of the file as an attacker would (dropping the append-only triggers first, with plain SQL), and
//! check that `comptoir journal verify` catches every case and names the first broken entry.

use std::path::{Path, PathBuf};
use std::time::Duration;

use comptoir::domain::demo;
use rusqlite::Connection;
use serde_json::Value;

use crate::util::{TempDb, assert_success, comptoir, json_of, kill_at_random_instants, seeded_db};

/// A database with four sales (the third in training mode) and a day closing after the second.
fn journal_db() -> TempDb {
    let db = seeded_db(100);
    let run = |args: &[&str]| {
        let output = comptoir(&db.path).args(args).output().expect("comptoir");
        assert_success(&output);
    };
    let (a, b) = (demo::product(1).gtin, demo::product(2).gtin);
    run(&["sell", &format!("{a}*2"), b.as_str(), "--pay", "card"]);
    run(&["sell", a.as_str(), "--pay", "cash", "--given", "500"]);
    run(&["close", "day"]);
    run(&["training", "on"]);
    run(&["sell", b.as_str(), "--pay", "card"]);
    run(&["training", "off"]);
    run(&["sell", b.as_str(), "--pay", "split"]);
    db
}

fn verify(path: &Path) -> (Option<i32>, Value) {
    let output = comptoir(path)
        .args(["journal", "verify", "--json"])
        .output()
        .expect("verify");
    (output.status.code(), json_of(&output))
}

/// A copy of the database with `sql` run on it, triggers dropped first.
fn tampered(db: &TempDb, name: &str, sql: &str) -> PathBuf {
    let copy = db.dir.path().join(format!("{name}.db"));
    // Fold the WAL into the main file so that the copy holds everything.
    let conn = Connection::open(&db.path).expect("open");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
    drop(conn);
    std::fs::copy(&db.path, &copy).expect("copy");
    let conn = Connection::open(&copy).expect("open copy");
    crate::util::drop_append_only_triggers(&conn);
    conn.execute_batch(sql).expect("tamper");
    copy
}

#[test]
fn an_untouched_journal_verifies() {
    let db = journal_db();
    let (code, out) = verify(&db.path);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out["intact"], true);
    // 4 tickets, 2 training switches, 1 closing.
    assert_eq!(out["entries"], 7);
}

#[test]
fn the_triggers_refuse_updates_and_deletes() {
    let db = journal_db();
    let conn = Connection::open(&db.path).expect("open");
    for sql in [
        "UPDATE journal_entry SET total_cents = 0",
        "DELETE FROM journal_entry WHERE sequence = 1",
        "UPDATE sale SET total_cents = 1",
        "DELETE FROM sale_line",
        "UPDATE sale_payment SET amount_cents = 1",
        "DELETE FROM sale_vat",
        "DELETE FROM closing",
    ] {
        let err = conn.execute_batch(sql).expect_err(sql);
        assert!(
            err.to_string().contains("cannot") || err.to_string().contains("append-only"),
            "{sql}: {err}"
        );
    }
}

/// Issue 19: `INSERT OR REPLACE` deletes the row it conflicts with without the DELETE triggers
/// (unless the connection turned recursive triggers on); it is refused as well, and the journal
/// still verifies afterwards.
#[test]
fn the_triggers_refuse_replacing_a_row() {
    let db = journal_db();
    let conn = Connection::open(&db.path).expect("open");
    for sql in [
        "INSERT OR REPLACE INTO journal_entry SELECT * FROM journal_entry WHERE sequence = 1",
        "REPLACE INTO sale SELECT * FROM sale WHERE id = 1",
        "INSERT OR REPLACE INTO sale_line SELECT * FROM sale_line WHERE sale_id = 1",
        "INSERT OR REPLACE INTO sale_vat SELECT * FROM sale_vat WHERE sale_id = 1",
        "INSERT OR REPLACE INTO sale_payment SELECT * FROM sale_payment WHERE sale_id = 1",
        "INSERT OR REPLACE INTO closing SELECT * FROM closing",
    ] {
        let err = conn.execute_batch(sql).expect_err(sql);
        assert!(err.to_string().contains("never replaced"), "{sql}: {err}");
    }
    drop(conn);
    let (code, out) = verify(&db.path);
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn every_alteration_is_caught_at_its_first_broken_entry() {
    let db = journal_db();
    // (case, SQL, expected problem code, expected first broken entry)
    let cases: [(&str, &str, &str, Option<i64>); 11] = [
        (
            "sale_total",
            "UPDATE sale SET total_cents = total_cents - 100 WHERE seq = 2",
            "ticket_mismatch",
            Some(2),
        ),
        (
            "line_amount",
            "UPDATE sale_line SET amount_cents = 1 WHERE sale_id = 1 AND line_no = 2",
            "ticket_mismatch",
            Some(1),
        ),
        (
            "line_quantity",
            "UPDATE sale_line SET quantity = 1 WHERE sale_id = 1 AND line_no = 1",
            "ticket_mismatch",
            Some(1),
        ),
        (
            "vat",
            "UPDATE sale_vat SET vat_cents = vat_cents + 1, base_cents = base_cents - 1 WHERE sale_id = 2",
            "ticket_mismatch",
            Some(2),
        ),
        (
            "payment",
            "UPDATE sale_payment SET amount_cents = 0 WHERE sale_id = 4 AND method = 'cash'",
            "ticket_mismatch",
            Some(7),
        ),
        (
            "entry_amount",
            "UPDATE journal_entry SET total_cents = 1 WHERE sequence = 2",
            "hash_mismatch",
            Some(2),
        ),
        (
            "entry_deleted",
            "DELETE FROM journal_entry WHERE sequence = 4",
            "gap",
            Some(4),
        ),
        (
            "ticket_deleted",
            "DELETE FROM sale_line WHERE sale_id = 2; DELETE FROM sale_vat WHERE sale_id = 2; DELETE FROM sale_payment WHERE sale_id = 2; DELETE FROM stock_movement WHERE sale_id = 2; DELETE FROM sale WHERE id = 2",
            "missing_ticket",
            Some(2),
        ),
        (
            "tail_truncated",
            "DELETE FROM journal_entry WHERE sequence >= 3",
            "missing_tail",
            Some(3),
        ),
        (
            "closing_edited",
            "UPDATE closing SET grand_total = grand_total + 1000",
            "closing_mismatch",
            Some(3),
        ),
        (
            "ticket_added",
            "INSERT INTO sale (terminal_id, seq, ticket_number, location_id, created_at, total_cents) VALUES ('T01', 99, 'T01-000099', 1, 0, 100)",
            "unjournaled_ticket",
            None,
        ),
    ];
    for (name, sql, code, sequence) in cases {
        let copy = tampered(&db, name, sql);
        let (exit, out) = verify(&copy);
        assert_eq!(exit, Some(1), "{name}: {out}");
        assert_eq!(out["intact"], false, "{name}");
        assert_eq!(out["problem"]["code"], code, "{name}: {out}");
        assert_eq!(
            out["problem"]["sequence"].as_i64(),
            sequence,
            "{name}: {out}"
        );
    }
}

#[test]
fn closings_count_real_tickets_and_keep_the_grand_total() {
    let db = journal_db();
    let close = |args: &[&str]| {
        let output = comptoir(&db.path).args(args).output().expect("close");
        assert_success(&output);
        json_of(&output)
    };
    let a = demo::product(1).price.get();
    let b = demo::product(2).price.get();
    // The day closing in journal_db covered tickets 1 and 2; this one covers 4 (3 was training).
    let day = close(&["close", "day", "--json"]);
    assert_eq!(day["ticket_count"], 1, "{day}");
    assert_eq!(day["total_cents"], b);
    assert_eq!(day["grand_total_cents"], 3 * a + 2 * b);
    let month = close(&["close", "month", "--json"]);
    assert_eq!(month["ticket_count"], 3, "{month}");
    assert_eq!(month["total_cents"], 3 * a + 2 * b);
    let vat_total: i64 = month["vat"]
        .as_array()
        .expect("vat")
        .iter()
        .map(|v| v["total"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(vat_total, 3 * a + 2 * b);
    assert_eq!(verify(&db.path).0, Some(0));
}

#[test]
fn the_export_lets_an_auditor_recompute_every_hash() {
    use sha2::{Digest, Sha256};
    let db = journal_db();
    let out = db.dir.path().join("audit");
    let output = comptoir(&db.path)
        .args(["journal", "export", "--out"])
        .arg(&out)
        .output()
        .expect("export");
    assert_success(&output);
    let jsonl = std::fs::read_to_string(out.join("journal-T01.jsonl")).expect("jsonl");
    let mut previous = "0".repeat(64);
    let mut count = 0;
    for line in jsonl.lines() {
        // What an auditor does: take the "entry" text as written, hash it, follow the chain.
        let entry_text = line
            .strip_prefix("{\"entry\":")
            .and_then(|rest| rest.rsplit_once(",\"hash\":\""))
            .map(|(entry, _)| entry)
            .expect("line layout");
        let value: Value = serde_json::from_str(line).expect("json line");
        let hash: String = Sha256::digest(entry_text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(value["hash"], hash.as_str());
        assert_eq!(value["entry"]["previous_hash"], previous.as_str());
        previous = hash;
        count += 1;
    }
    // The seven entries plus the export event itself.
    assert_eq!(count, 8);
    for file in [
        "journal-T01.csv",
        "closings-T01.csv",
        "verification.json",
        "README.txt",
    ] {
        assert!(out.join(file).is_file(), "{file}");
    }
}

/// `comptoir sell` killed with SIGKILL at random instants: never half a sale, the journal stays
/// intact, and the next sale works.
#[test]
fn a_sale_killed_at_any_instant_is_all_or_nothing() {
    let db = seeded_db(100);
    let gtin = demo::product(4).gtin;
    let code = format!("{gtin}*2");
    kill_at_random_instants(
        &db.path,
        &["sell", &code, "--pay", "card"],
        25,
        0x9E37_79B9_7F4A_7C15,
        Duration::from_millis(40),
    );
    let (code, out) = verify(&db.path);
    assert_eq!(code, Some(0), "{out}");
    let conn = Connection::open(&db.path).expect("open");
    let half: i64 = conn
        .query_row(
            "SELECT count(*) FROM sale s WHERE NOT EXISTS (SELECT 1 FROM sale_line l WHERE l.sale_id = s.id)
                OR NOT EXISTS (SELECT 1 FROM sale_payment p WHERE p.sale_id = s.id)
                OR NOT EXISTS (SELECT 1 FROM stock_movement m WHERE m.sale_id = s.id)",
            [],
            |row| row.get(0),
        )
        .expect("count");
    assert_eq!(half, 0);
    let output = comptoir(&db.path)
        .args(["sell", gtin.as_str(), "--pay", "card", "--json"])
        .output()
        .expect("sell after kills");
    assert_success(&output);
    assert_eq!(verify(&db.path).0, Some(0));
}

#[test]
fn a_duplicate_receipt_has_every_mention_and_is_journaled() {
    let db = journal_db();
    let output = comptoir(&db.path)
        .args(["receipt", "T01-000002", "--text"])
        .output()
        .expect("receipt");
    assert_success(&output);
    let text = String::from_utf8_lossy(&output.stdout);
    for mention in [
        "D U P L I C A T A",
        "SIRET 123 456 782 00010",
        "FR11123456782",
        "T01-000002",
        "TOTAL TTC",
        "Base HT",
        "Séquence n° 2",
        "Empreinte",
    ] {
        assert!(text.contains(mention), "{mention} missing in:\n{text}");
    }
    let (code, out) = verify(&db.path);
    assert_eq!(code, Some(0));
    assert_eq!(out["entries"], 8, "the duplicate is a journal entry: {out}");
    let missing = comptoir(&db.path)
        .args(["receipt", "T01-999999"])
        .output()
        .expect("receipt");
    assert_eq!(missing.status.code(), Some(1));
}
