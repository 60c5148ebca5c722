//! `comptoir doctor` (issue 10) through the real binary: a healthy demo terminal passes, and
//! each thing the store's IT must fix (a missing scanner, a data folder that cannot be written,
//! a full disk, a clock behind the journal, a broken configuration) fails with exit status 1
//! and names the problem; an offline central is only a warning.

use std::path::Path;
use std::process::Output;

use comptoir::store::{EntryDraft, Store};
use serde_json::Value;
use serialport::{SerialPort, TTYPort};

use crate::sync::{RunningCentral, central_dir, enrolled_terminal};
use crate::util::{assert_success, comptoir, json_of, seeded_db, temp_db};

const CHECKS: [&str; 10] = [
    "config",
    "database",
    "data_dir",
    "disk_space",
    "scanner",
    "printer",
    "camera",
    "clock",
    "enrollment",
    "central",
];

fn doctor_json(db: &Path, env: &[(&str, &str)]) -> (Output, Value) {
    let mut command = comptoir(db);
    command.args(["doctor", "--json"]);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run comptoir doctor");
    let json = json_of(&output);
    (output, json)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

fn verdict<'a>(report: &'a Value, name: &str) -> &'a str {
    check(report, name)["verdict"].as_str().unwrap_or("")
}

fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn doctor_passes_a_healthy_demo_terminal_and_changes_nothing() {
    let db = seeded_db(20);
    let before = std::fs::read(&db.path).expect("read the database");
    let (output, report) = doctor_json(&db.path, &[]);
    assert_success(&output);
    assert_eq!(report["ok"], true, "{report:#}");
    let names: Vec<&str> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, CHECKS);
    for check in report["checks"].as_array().expect("checks") {
        assert!(check["detail"].as_str().is_some_and(|d| !d.is_empty()));
        // A fix exactly when something is not ok.
        assert_eq!(
            check["fix"].is_null(),
            check["verdict"] == "ok",
            "{check:#}"
        );
    }
    // A demo store is not enrolled and this machine has no camera: warnings, not failures.
    assert_eq!(verdict(&report, "enrollment"), "warning");
    assert_ne!(verdict(&report, "camera"), "fail");
    assert_eq!(verdict(&report, "database"), "ok");
    assert_eq!(
        std::fs::read(&db.path).expect("read the database again"),
        before,
        "the doctor changed the database"
    );

    let text = comptoir(&db.path).arg("doctor").output().expect("doctor");
    assert_success(&text);
    let stdout = String::from_utf8_lossy(&text.stdout);
    for name in CHECKS {
        assert!(stdout.contains(name), "{name} missing from:\n{stdout}");
    }
    assert!(stdout.contains("ready"), "{stdout}");
}

#[test]
fn doctor_names_a_missing_scanner_port() {
    let db = seeded_db(5);
    let (output, report) = doctor_json(&db.path, &[("COMPTOIR_SERIAL_PORT", "/dev/missing")]);
    assert_exit(&output, 1);
    assert_eq!(report["ok"], false);
    assert_eq!(verdict(&report, "scanner"), "fail");
    assert!(
        check(&report, "scanner")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/dev/missing")),
        "{report:#}"
    );

    let text = comptoir(&db.path)
        .arg("doctor")
        .env("COMPTOIR_SERIAL_PORT", "/dev/missing")
        .output()
        .expect("doctor");
    assert_exit(&text, 1);
    assert!(String::from_utf8_lossy(&text.stdout).contains("/dev/missing"));
}

#[test]
fn doctor_opens_a_real_pseudo_terminal_as_the_scanner() {
    let db = seeded_db(5);
    // The slave stays open for the whole test, as a plugged-in scanner would be.
    let (_master, slave) = TTYPort::pair().expect("pseudo-terminal pair");
    let port = slave.name().expect("a pair's slave has a name");
    let (output, report) = doctor_json(&db.path, &[("COMPTOIR_SERIAL_PORT", &port)]);
    assert_success(&output);
    assert_eq!(verdict(&report, "scanner"), "ok", "{report:#}");
    assert!(
        check(&report, "scanner")["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&port))
    );
}

#[test]
fn doctor_fails_when_the_data_folder_cannot_be_written() {
    // Tests run as root, whom permission bits do not stop: the folder is put under a regular
    // file instead, so that nobody can ever create it.
    let db = temp_db();
    let blocker = db.dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"a file").expect("write the blocking file");
    let path = blocker.join("data").join("comptoir.db");
    let (output, report) = doctor_json(&path, &[]);
    assert_exit(&output, 1);
    assert_eq!(verdict(&report, "data_dir"), "fail", "{report:#}");
    assert!(
        check(&report, "data_dir")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not-a-folder")),
        "{report:#}"
    );
}

#[test]
fn doctor_fails_when_the_disk_is_too_full() {
    let db = seeded_db(5);
    // The real free space is measured (statvfs); the threshold is set above any real disk's
    // size, which makes every disk "full".
    let huge = (u64::MAX / (1024 * 1024)).to_string();
    let (output, report) = doctor_json(
        &db.path,
        &[
            ("COMPTOIR_DISK_FAIL_BELOW_MB", &huge),
            ("COMPTOIR_DISK_WARN_BELOW_MB", &huge),
        ],
    );
    assert_exit(&output, 1);
    assert_eq!(verdict(&report, "disk_space"), "fail", "{report:#}");
    assert_eq!(verdict(&report, "config"), "ok");

    // The default thresholds pass on this machine's disk.
    let (output, report) = doctor_json(&db.path, &[]);
    assert_success(&output);
    assert_ne!(verdict(&report, "disk_space"), "fail");
}

/// A tmpfs of a few MiB mounted on a temporary folder, unmounted when dropped.
struct SmallFilesystem {
    dir: tempfile::TempDir,
}

impl SmallFilesystem {
    /// None when this run may not mount (not root, or in a container without the right).
    fn mount(mib: u32) -> Option<SmallFilesystem> {
        let dir = tempfile::tempdir().expect("mount point");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(SmallFilesystem { dir })
    }
}

impl Drop for SmallFilesystem {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn doctor_fails_on_a_really_small_filesystem() {
    let Some(small) = SmallFilesystem::mount(16) else {
        // The threshold test above covers the verdict; this one needs the right to mount.
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let path = small.dir.path().join("comptoir.db");
    assert_success(
        &comptoir(&path)
            .args(["seed", "--products", "5", "--json"])
            .output()
            .expect("seed"),
    );
    // 16 MiB is below the default 200 MiB the terminal needs.
    let (output, report) = doctor_json(&path, &[]);
    assert_exit(&output, 1);
    assert_eq!(verdict(&report, "disk_space"), "fail", "{report:#}");
    assert_eq!(verdict(&report, "data_dir"), "ok", "{report:#}");
}

#[test]
fn doctor_fails_when_the_clock_is_behind_the_journal() {
    let db = seeded_db(5);
    {
        // A journal entry dated tomorrow: to the doctor's clock (now), the clock went back.
        let mut store = Store::open(&db.path).expect("open");
        let tomorrow = chrono::Utc::now().timestamp() + 86_400;
        store
            .journal_event(EntryDraft::technical("T01", None, "start", tomorrow))
            .expect("journal an entry");
    }
    let (output, report) = doctor_json(&db.path, &[]);
    assert_exit(&output, 1);
    assert_eq!(verdict(&report, "clock"), "fail", "{report:#}");
    assert!(
        check(&report, "clock")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("journal")),
        "{report:#}"
    );
    // The entry itself is a sound tip of the chain.
    assert_eq!(verdict(&report, "database"), "ok");
}

#[test]
fn doctor_reports_a_broken_configuration_and_still_checks_the_rest() {
    let db = seeded_db(5);
    let (output, report) = doctor_json(&db.path, &[("COMPTOIR_LOCALE", "de")]);
    assert_exit(&output, 1);
    assert_eq!(verdict(&report, "config"), "fail");
    assert!(
        check(&report, "config")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("locale")),
        "{report:#}"
    );
    assert_eq!(verdict(&report, "database"), "ok");
    assert_eq!(
        report["checks"].as_array().map(Vec::len),
        Some(CHECKS.len())
    );
}

#[test]
fn doctor_reaches_the_central_and_only_warns_when_it_is_offline() {
    let data = central_dir(20);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());

    let (output, report) = doctor_json(&db.path, &[]);
    assert_success(&output);
    assert_eq!(verdict(&report, "central"), "ok", "{report:#}");
    assert_eq!(verdict(&report, "enrollment"), "ok", "{report:#}");
    assert_eq!(verdict(&report, "clock"), "ok", "{report:#}");
    // Compared with the central's Date header, both clocks being this machine's.
    assert!(
        check(&report, "clock")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("from the central's clock")),
        "{report:#}"
    );

    drop(central);
    let (output, report) = doctor_json(&db.path, &[]);
    assert_success(&output);
    assert_eq!(report["ok"], true);
    assert_eq!(verdict(&report, "central"), "warning", "{report:#}");
    assert!(check(&report, "central")["fix"].is_string(), "{report:#}");
}
