//! Issue 16, item 6: e-receipts that arrive. The real `comptoir` and `comptoir-central serve`
//! binaries, and a real SMTP server on loopback (Python's aiosmtpd, `tests/data/smtp_sink.py`):
//! a receipt asked for by e-mail reaches the relay with a text and an HTML part; a relay that
//! refuses leaves it `bounced`, shown by `ereceipt list`; a relay down is tried again until it
//! is up. An address typed at the counter is kept nowhere once the mail is over.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use comptoir::domain::demo;

use crate::central::Served;
use crate::personal_data::TEST_PEOPLE;
use crate::sync::{central_dir, enrolled_terminal, sync};
use crate::util::{
    assert_success, central_cli, central_json, comptoir, json_of, sell_by_card, sell_to_customer,
    unit_product_above,
};

/// An address typed at the counter: one `personal_data` looks for in every log of the run.
fn typed_address() -> &'static str {
    TEST_PEOPLE
        .iter()
        .find(|p| p.contains('@'))
        .expect("a test address")
}

/// aiosmtpd on 127.0.0.1:`port`, writing what it accepts into a folder; killed on drop.
struct SmtpSink {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl SmtpSink {
    /// `mode`: `accept`, or `refuse` (550 to every recipient).
    fn start(port: u16, mode: &str) -> SmtpSink {
        let dir = tempfile::tempdir().expect("mail dir");
        // Debian's python3-aiosmtpd is for the system's Python (.ci/debian installs it).
        let python = if Path::new("/usr/bin/python3").exists() {
            "/usr/bin/python3"
        } else {
            "python3"
        };
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .arg(mode)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (apt-get install python3-aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the sink's first line");
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start");
        SmtpSink { child, dir, port }
    }

    /// What it accepted: recipients, content type, subject and decoded parts of each message.
    fn messages(&self) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .expect("mail dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                serde_json::from_str(&std::fs::read_to_string(f).expect("read")).expect("json")
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `comptoir-central serve` relaying through 127.0.0.1:`smtp_port` without TLS and retrying
/// after a second, configured through its environment; killed on drop.
fn serve_relaying_to(data: &Path, smtp_port: u16) -> Served {
    let mut command = central_cli(data);
    command
        .env(
            "COMPTOIR_CENTRAL_SMTP_URL",
            format!("smtp://127.0.0.1:{smtp_port}"),
        )
        .env(
            "COMPTOIR_CENTRAL_SMTP_FROM",
            "Comptoir <tickets@comptoir.example>",
        )
        .env("COMPTOIR_CENTRAL_SMTP_TLS", "none")
        .env("COMPTOIR_CENTRAL_SMTP_RETRY_SECS", "1");
    Served::spawn(command, Stdio::null())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `ereceipt list --json`.
fn deliveries(data: &Path) -> Vec<Value> {
    central_json(data, &["ereceipt", "list", "--json"])
        .as_array()
        .expect("an array")
        .clone()
}

/// `ereceipt list` as the operator reads it: never an address.
fn listed(data: &Path) -> String {
    let output = central_cli(data)
        .args(["ereceipt", "list"])
        .output()
        .expect("list");
    assert_success(&output);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!text.contains('@'), "{text}");
    text
}

/// Polls `check` until it gives a value (30 s at most, `what` names it in the failure).
fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Waits until every delivery has left `pending` and returns them.
fn all_done(data: &Path, count: usize) -> Vec<Value> {
    wait_for("the deliveries to be over", || {
        let list = deliveries(data);
        (list.len() == count && list.iter().all(|d| d["status"] != "pending")).then_some(list)
    })
}

/// A sale of one unit to `customer` (by card when None), its receipt then queued for e-mail
/// (`comptoir receipt TICKET --email [ADDR]`) to the customer's address or to `typed`: the
/// ticket number.
fn sale_with_emailed_receipt(db: &Path, customer: Option<&str>, typed: Option<&str>) -> String {
    let gtin = unit_product_above(1000).gtin;
    let sale = match customer {
        Some(customer) => sell_to_customer(db, gtin.as_str(), customer),
        None => sell_by_card(db, &[gtin.as_str()]),
    };
    assert_success(&sale);
    let ticket = json_of(&sale)["ticket"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let mut command = comptoir(db);
    command.args(["receipt", &ticket, "--email"]);
    if let Some(address) = typed {
        command.arg(address);
    }
    assert_success(&command.output().expect("receipt --email"));
    ticket
}

/// How many rows of `table` in the terminal's SQLite file `db` hold `needle` in `column`.
fn terminal_rows_holding(db: &Path, table: &str, column: &str, needle: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(
        &format!("SELECT count(*) FROM {table} WHERE instr({column}, ?1) > 0"),
        [needle],
        |row| row.get(0),
    )
    .expect("count")
}

/// How many rows of the central's `table` hold `needle` (no quote in it) in `column`.
fn rows_holding(central: &crate::pg::CentralDir, table: &str, column: &str, needle: &str) -> i64 {
    central.count(&format!(
        "SELECT count(*) FROM {table} WHERE {column} LIKE '%{needle}%'"
    ))
}

/// The text of `message`'s part of type `content_type`.
fn part<'m>(message: &'m Value, content_type: &str) -> &'m str {
    message["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .find(|p| p["content_type"] == content_type)
        .and_then(|p| p["text"].as_str())
        .unwrap_or_else(|| panic!("no {content_type} part in {message:#}"))
}

#[test]
fn an_e_mailed_receipt_arrives_with_its_ticket_and_a_typed_address_is_then_forgotten() {
    let data = central_dir(120);
    let sink = SmtpSink::start(free_port(), "accept");
    let central = serve_relaying_to(data.path(), sink.port);
    let db = enrolled_terminal(data.path(), &central.1);
    let customer = demo::customer(4);

    // One to the customer's address the central holds, one to an address typed at the counter.
    let to_customer = sale_with_emailed_receipt(&db.path, Some(&customer.public_id), None);
    let to_typed = sale_with_emailed_receipt(&db.path, None, Some(typed_address()));
    assert_success(&sync(&db.path, None));

    let done = all_done(data.path(), 2);
    assert!(done.iter().all(|d| d["status"] == "sent"), "{done:#?}");
    assert!(
        done.iter()
            .all(|d| d["attempts"] == 1 && d["last_code"] == 250)
    );
    let messages = wait_for("two mails", || {
        let m = sink.messages();
        (m.len() == 2).then_some(m)
    });
    for (address, ticket) in [
        (customer.email.as_str(), &to_customer),
        (typed_address(), &to_typed),
    ] {
        let message = messages
            .iter()
            .find(|m| m["rcpt_tos"][0] == address)
            .unwrap_or_else(|| panic!("no mail for the receipt of {ticket}"));
        assert_eq!(message["content_type"], "multipart/alternative");
        let ticket_line = format!("Ticket : {} {ticket}", demo::HERE_CODE);
        let text = part(message, "text/plain");
        assert!(text.contains(&ticket_line), "{text}");
        assert!(text.contains(&unit_product_above(1000).name), "{text}");
        assert!(text.contains("Total TTC : "), "{text}");
        assert!(text.contains("TVA par taux"), "{text}");
        // The code of the printed receipt, built from the sale's journal entry.
        let code = format!("Code du ticket : CPTR1:{}:{ticket}:", demo::HERE_CODE);
        assert!(text.contains(&code), "{text}");
        let html = part(message, "text/html");
        assert!(html.contains(&ticket_line), "{html}");
        assert!(
            message["subject"]
                .as_str()
                .is_some_and(|s| s.contains(ticket.as_str())),
            "{message:#}"
        );
    }

    // The typed address is nowhere: not in the delivery queue, the central's event log, the
    // terminal's outbox, nor in what the operator sees.
    for (table, column) in [("ereceipt_delivery", "typed_email"), ("event", "payload")] {
        assert_eq!(
            rows_holding(&data, table, column, typed_address()),
            0,
            "{table}"
        );
    }
    assert_eq!(
        terminal_rows_holding(&db.path, "outbox", "payload", typed_address()),
        0
    );
    let listed = listed(data.path());
    assert!(listed.contains(&to_typed), "{listed}");

    // The same events pushed again (the terminal's outbox rewound): still one mail each.
    let conn = rusqlite::Connection::open(&db.path).expect("open");
    conn.execute("UPDATE outbox SET acked = 0", [])
        .expect("rewind");
    drop(conn);
    assert_success(&sync(&db.path, None));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(deliveries(data.path()).len(), 2);
    assert_eq!(sink.messages().len(), 2);
}

#[test]
fn a_relay_that_refuses_leaves_the_receipt_bounced_for_the_operator() {
    let data = central_dir(120);
    let sink = SmtpSink::start(free_port(), "refuse");
    let central = serve_relaying_to(data.path(), sink.port);
    let db = enrolled_terminal(data.path(), &central.1);
    let ticket = sale_with_emailed_receipt(&db.path, None, Some(typed_address()));
    assert_success(&sync(&db.path, None));

    let done = all_done(data.path(), 1);
    let bounced = &done[0];
    assert_eq!(bounced["status"], "bounced", "{bounced:#}");
    assert_eq!(bounced["ticket"], ticket.as_str());
    assert_eq!(bounced["attempts"], 1);
    assert_eq!(bounced["last_code"], 550);
    let reply = bounced["last_reply"].as_str().expect("a reply");
    // The relay echoed the address; the operator never sees it.
    assert!(reply.contains("550") && !reply.contains('@'), "{reply}");
    assert!(sink.messages().is_empty());
    let listed = listed(data.path());
    assert!(
        listed.contains("bounced") && listed.contains(&ticket),
        "{listed}"
    );
    assert_eq!(
        rows_holding(&data, "ereceipt_delivery", "typed_email", typed_address()),
        0
    );
}

#[test]
fn a_relay_down_is_tried_again_until_it_takes_the_mail() {
    let data = central_dir(120);
    let port = free_port();
    let central = serve_relaying_to(data.path(), port);
    let db = enrolled_terminal(data.path(), &central.1);
    let customer = demo::customer(7);
    sale_with_emailed_receipt(&db.path, Some(&customer.public_id), None);
    assert_success(&sync(&db.path, None));

    // Nothing listens: the try fails, the delivery stays pending with the reason.
    let waiting = wait_for("a failed try", || {
        deliveries(data.path())
            .into_iter()
            .find(|d| d["attempts"].as_i64().is_some_and(|n| n >= 1))
    });
    assert_eq!(waiting["status"], "pending", "{waiting:#}");
    assert!(waiting["last_reply"].is_string(), "{waiting:#}");

    let sink = SmtpSink::start(port, "accept");
    let done = all_done(data.path(), 1);
    assert_eq!(done[0]["status"], "sent", "{:#}", done[0]);
    assert!(done[0]["attempts"].as_i64().is_some_and(|n| n >= 2));
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["rcpt_tos"][0], customer.email.as_str());
}

/// Issue 18: two instances on one database, both relaying, send each receipt once (a delivery
/// is claimed by the instance that tries it).
#[test]
fn two_instances_relaying_send_each_receipt_once() {
    let data = central_dir(120);
    let sink = SmtpSink::start(free_port(), "accept");
    let first = serve_relaying_to(data.path(), sink.port);
    let _second = serve_relaying_to(data.path(), sink.port);
    let db = enrolled_terminal(data.path(), &first.1);
    let customer = demo::customer(4);
    for _ in 0..6 {
        sale_with_emailed_receipt(&db.path, Some(&customer.public_id), None);
    }
    assert_success(&sync(&db.path, None));

    let done = all_done(data.path(), 6);
    assert!(done.iter().all(|d| d["attempts"] == 1), "{done:#?}");
    // Each instance looks for due deliveries every 5 s: a second copy would be sent by now.
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(sink.messages().len(), 6);
}
