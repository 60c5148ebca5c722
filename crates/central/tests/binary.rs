//! The `comptoir-central` binary on its own, as an operator runs it after `cargo build -p
//! comptoir-central`: a data folder seeded, then its figures read back. (The central's behaviour
//! with real terminals is tested in the workspace's `tests/`, which runs this same binary.)

use std::process::Command;

fn central(data: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_comptoir-central"));
    command.arg("--data").arg(data).env("RUST_LOG", "warn");
    command
}

#[test]
fn a_seeded_central_reports_its_catalogue_and_no_events() {
    let dir = tempfile::tempdir().expect("temp dir");
    let seeded = central(dir.path())
        .args(["seed", "--products", "50"])
        .output()
        .expect("seed");
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    let stats = central(dir.path())
        .args(["stats", "--json"])
        .output()
        .expect("stats");
    assert!(
        stats.status.success(),
        "{}",
        String::from_utf8_lossy(&stats.stderr)
    );
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).expect("JSON");
    assert_eq!(stats["received"]["sales"], 0, "{stats}");
    assert_eq!(stats["duplicates_ignored"], 0, "{stats}");
}

#[test]
fn a_missing_data_folder_is_named_not_created() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nowhere");
    let stats = central(&missing)
        .args(["stats", "--json"])
        .output()
        .expect("stats");
    assert!(!stats.status.success());
    assert!(!missing.exists());
    let stderr = String::from_utf8_lossy(&stats.stderr);
    assert!(stderr.contains("nowhere"), "{stderr}");
}
