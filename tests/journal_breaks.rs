//! Issue 19, finding 1: a journal tail deleted on a terminal is not laundered by the next sync.
//! Sell 10 and sync; delete the last three tickets' journal entries and sales (triggers
//! dropped), sell 5 more and sync. The central keeps the break for good (`journal-breaks`,
//! `stats`), its tip stays at the last entry it vouched for, and the terminal's `journal
//! verify` and `doctor` report it — until an auditor acknowledges it at the central.

use std::path::Path;

use comptoir_central as central;
use serde_json::Value;

use crate::sync::{RunningCentral, central_dir, enrolled_terminal, sell, sync};
use crate::util::{assert_success, central_cli, central_json, comptoir, doctor_check, json_of};

fn verify(db: &Path) -> (Option<i32>, Value) {
    let output = comptoir(db)
        .args(["journal", "verify", "--json"])
        .output()
        .expect("verify");
    (output.status.code(), json_of(&output))
}

/// Deletes the journal entries from `ticket`'s on, and the sales they journaled, the way an
/// attacker with the file would: triggers dropped first.
fn delete_tail_from(db: &Path, ticket: &str) {
    let conn = rusqlite::Connection::open(db).expect("open");
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("triggers")
        .map(|r| r.expect("row"))
        .collect();
    for trigger in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {trigger};"))
            .expect("drop trigger");
    }
    let from: i64 = conn
        .query_row(
            "SELECT sequence FROM journal_entry WHERE reference = ?1",
            [ticket],
            |row| row.get(0),
        )
        .expect("the ticket's entry");
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = OFF;
         DELETE FROM sale_line WHERE sale_id IN (SELECT id FROM sale WHERE ticket_number >= '{ticket}');
         DELETE FROM sale_vat WHERE sale_id IN (SELECT id FROM sale WHERE ticket_number >= '{ticket}');
         DELETE FROM sale_payment WHERE sale_id IN (SELECT id FROM sale WHERE ticket_number >= '{ticket}');
         DELETE FROM sale WHERE ticket_number >= '{ticket}';
         DELETE FROM journal_entry WHERE sequence >= {from};"
    ))
    .expect("delete the tail");
}

#[test]
fn a_journal_tail_deleted_and_written_anew_is_a_break_the_central_keeps() {
    let data = central_dir(60);
    let server = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &server.url());
    let device = comptoir::store::Store::open(&db.path)
        .expect("open")
        .enrollment()
        .expect("read")
        .expect("enrolled")
        .device_id;
    sell(&db.path, &[1; 10]);
    assert_success(&sync(&db.path, None));
    let vouched = central::device_journal(data.path(), &device)
        .expect("read")
        .expect("device");
    assert!(vouched.breaks.is_empty());
    assert_eq!(verify(&db.path).0, Some(0));

    delete_tail_from(&db.path, "T01-000008");
    // Locally the shortened chain is consistent again: only the central can tell.
    sell(&db.path, &[2; 5]);
    let synced = sync(&db.path, None);
    assert_success(&synced);

    // The central keeps the break, and the ticket numbers seen twice.
    let breaks = central_json(data.path(), &["journal-breaks", "--json"]);
    let breaks = breaks.as_array().expect("a list");
    let kinds: Vec<&str> = breaks.iter().filter_map(|b| b["kind"].as_str()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "rewritten").count(),
        1,
        "one deletion is one break: {breaks:?}"
    );
    let reused: Vec<&str> = breaks
        .iter()
        .filter(|b| b["kind"] == "ticket_reused")
        .filter_map(|b| b["ticket"].as_str())
        .collect();
    assert_eq!(reused, ["T01-000008", "T01-000009", "T01-000010"]);
    assert!(breaks.iter().all(|b| b["acknowledged_at"].is_null()));
    let stats = central_json(data.path(), &["stats", "--json"]);
    assert_eq!(stats["journal_breaks"], breaks.len());
    assert_eq!(stats["journal_breaks_open"], breaks.len());
    // …and never moves its tip past the break.
    let held = central::device_journal(data.path(), &device)
        .expect("read")
        .expect("device");
    assert_eq!(
        (held.sequence, held.hash.as_deref()),
        (vouched.sequence, vouched.hash.as_deref())
    );

    // The terminal reports it, in `journal verify` and `doctor`, exit status 1.
    let (code, out) = verify(&db.path);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(out["intact"], false, "{out}");
    let (_, central) = doctor_check(&db.path, "central");
    assert_eq!(central["verdict"], "fail", "{central}");
    assert!(
        central["detail"]
            .as_str()
            .is_some_and(|d| d.contains("break")),
        "{central}"
    );

    // An auditor acknowledges each break: they stay listed, and the terminal verifies again.
    for b in breaks {
        let id = b["id"].as_i64().expect("id").to_string();
        let acked = central_cli(data.path())
            .args([
                "journal-breaks",
                "ack",
                &id,
                "--auditor",
                "Cabinet Audit & Co",
            ])
            .args(["--note", "tail deleted by a technician, tickets re-issued"])
            .output()
            .expect("ack");
        assert_success(&acked);
    }
    let again = central_cli(data.path())
        .args(["journal-breaks", "ack", "1", "--auditor", "someone"])
        .output()
        .expect("ack again");
    assert_eq!(again.status.code(), Some(1), "acknowledged once only");
    let stats = central_json(data.path(), &["stats", "--json"]);
    assert_eq!(stats["journal_breaks"], breaks.len());
    assert_eq!(stats["journal_breaks_open"], 0);
    let listed = central_json(data.path(), &["journal-breaks", "--json"]);
    assert!(
        listed
            .as_array()
            .expect("list")
            .iter()
            .all(|b| b["acknowledged_by"] == "Cabinet Audit & Co")
    );
    assert_success(&sync(&db.path, None));
    let (code, out) = verify(&db.path);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(doctor_check(&db.path, "central").1["verdict"], "ok");
    drop(server);
}
