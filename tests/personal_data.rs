//! GDPR: personal data never goes into logs. Every binary the suite starts logs at debug level
//! into `util::run_log_dir()`; this check, run after the whole suite (`.ci/test`), reads every
//! one of those logs and looks for any demo customer's name, e-mail or phone number, and for the
//! people the tests create. Ignored in a plain `cargo test`: it needs the logs of a full run.

use std::collections::BTreeSet;

use comptoir::domain::demo;

use crate::util::run_log_dir;

/// Customers the tests create at the counter or use in notes (tests/cli.rs, tests/sync.rs…).
pub const TEST_PEOPLE: &[&str] = &[
    "Zoé Testeuse",
    "zoe.testeuse@example.org",
    "06 12 34 56 78",
    "0612345678",
];

/// What would identify a demo customer in a log line.
fn needles() -> BTreeSet<String> {
    let mut needles: BTreeSet<String> = TEST_PEOPLE.iter().map(|s| (*s).to_owned()).collect();
    // The largest catalogue the suite seeds has fewer customers than this.
    for index in 0..2_000 {
        let c = demo::customer(index);
        needles.insert(format!("{} {}", c.first_name, c.last_name));
        needles.insert(c.email);
        needles.insert(c.phone.clone());
        needles.insert(c.phone.replace(' ', ""));
    }
    needles.insert("@client.example.org".to_owned());
    needles
}

#[test]
#[ignore = "reads the logs of a full run: .ci/test runs it after the suite"]
fn the_logs_of_the_run_hold_no_personal_data() {
    let dir = run_log_dir();
    let entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no logs in {}: {e} (run the suite first)", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    let needles = needles();
    let (mut lines, mut found) = (0usize, Vec::new());
    for path in &entries {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for line in text.lines() {
            lines += 1;
            for needle in &needles {
                if line.contains(needle.as_str()) {
                    found.push(format!("{}: {needle}: {line}", path.display()));
                }
            }
        }
    }
    // A check over nothing proves nothing: the suite's binaries must have logged.
    assert!(
        entries.len() >= 20 && lines >= 200,
        "only {} log files and {lines} lines in {}",
        entries.len(),
        dir.display()
    );
    assert!(
        found.is_empty(),
        "personal data in the logs:\n{}",
        found.join("\n")
    );
}
