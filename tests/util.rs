//! Builders shared by the integration tests: the real binary with a clean environment, and a
//! demo database in a temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The `comptoir` binary built for this test run, with no `COMPTOIR_*` variable leaking in from
/// the developer's shell and the database given.
pub fn comptoir(db: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_comptoir"));
    for (key, _) in std::env::vars() {
        if key.starts_with("COMPTOIR_") {
            command.env_remove(key);
        }
    }
    command.arg("--db").arg(db);
    log_into_the_run(&mut command);
    command
}

/// Where every binary the tests start writes its log (debug level): `personal_data` checks,
/// after the whole suite, that no customer's name, e-mail or phone number is in any of them.
pub fn run_log_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-logs")
}

/// Sends `command`'s log, at debug level, to a file of its own in [`run_log_dir`].
pub fn log_into_the_run(command: &mut Command) {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = run_log_dir();
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = dir.join(format!("{}-{n}.log", std::process::id()));
    command
        .env("COMPTOIR_LOG", "debug")
        .env("RUST_LOG", "debug")
        .env("COMPTOIR_LOG_FILE", file);
}

/// A temporary folder that holds a database file; the folder goes when the value is dropped.
pub struct TempDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn temp_db() -> TempDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("comptoir.db");
    TempDb { dir, path }
}

/// A fresh database seeded with `products` demo products through the real CLI.
pub fn seeded_db(products: u64) -> TempDb {
    let db = temp_db();
    let output = comptoir(&db.path)
        .args(["seed", "--products", &products.to_string(), "--json"])
        .output()
        .expect("run comptoir seed");
    assert_success(&output);
    db
}

/// Runs the command and parses its standard output as JSON.
pub fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts that each of `cases` (the arguments after `--db DB`) is a usage error: exit 2.
pub fn assert_usage_errors(db: &Path, cases: &[Vec<&str>]) {
    for args in cases {
        let output = comptoir(db).args(args).output().expect("run");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr_of(&output)
        );
    }
}

/// Asserts that the command exited with `status` and said `needle` on standard error.
pub fn assert_exit_saying(output: &Output, status: i32, needle: &str) {
    let stderr = stderr_of(output);
    assert_eq!(output.status.code(), Some(status), "{stderr}");
    assert!(stderr.contains(needle), "no {needle:?} in:\n{stderr}");
}

/// Runs `comptoir --db DB ARGS` `runs` times, each time killed with SIGKILL after a
/// pseudo-random wait below `max_wait` (xorshift from `seed`: the same instants on every run).
pub fn kill_at_random_instants(
    db: &Path,
    args: &[&str],
    runs: usize,
    seed: u64,
    max_wait: std::time::Duration,
) {
    let mut state = seed | 1;
    for _ in 0..runs {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut child = Command::new(env!("CARGO_BIN_EXE_comptoir"))
            .arg("--db")
            .arg(db)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start comptoir");
        let wait = state % (max_wait.as_micros().max(1) as u64);
        std::thread::sleep(std::time::Duration::from_micros(wait));
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The `comptoir-central` binary of this test run. It belongs to the `comptoir-central` package,
/// so Cargo names it to that package's tests only: the README's test command (`cargo test
/// --workspace`) builds it into the same folder as `comptoir`. A run of this target alone
/// (`--test tests`) does not, so a binary older than the central's sources is refused rather
/// than tested.
pub fn central_bin() -> PathBuf {
    static CHECKED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CHECKED
        .get_or_init(|| {
            let comptoir = Path::new(env!("CARGO_BIN_EXE_comptoir"));
            let bin = comptoir.with_file_name(format!(
                "comptoir-central{}",
                std::env::consts::EXE_SUFFIX
            ));
            let built = std::fs::metadata(&bin)
                .and_then(|m| m.modified())
                .unwrap_or_else(|_| {
                    panic!(
                        "{} is missing: run the tests with `cargo test --workspace`, which builds it",
                        bin.display()
                    )
                });
            // The sources it is built from (not the crates' test data, which it does not read).
            let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
            let newest = ["central", "protocol", "domain", "host"]
                .iter()
                .filter_map(|krate| newest_source(&crates.join(krate).join("src")))
                .max();
            if let Some(newer) = newest.filter(|(at, _)| *at > built) {
                panic!(
                    "{} is older than {}: run `cargo build -p comptoir-central` (or the whole \
                     `cargo test --workspace`) first",
                    bin.display(),
                    newer.1.display()
                );
            }
            bin
        })
        .clone()
}

/// The most recently modified file under `dir`, and when.
fn newest_source(dir: &Path) -> Option<(std::time::SystemTime, PathBuf)> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let found = if path.is_dir() {
            newest_source(&path)
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .map(|at| (at, path))
        };
        if let Some(found) = found
            && newest.as_ref().is_none_or(|(at, _)| found.0 > *at)
        {
            newest = Some(found);
        }
    }
    newest
}

/// The `comptoir-central` binary on the data directory `data`, logging into the run's logs.
pub fn central_cli(data: &Path) -> Command {
    let mut command = Command::new(central_bin());
    command.arg("--data").arg(data);
    log_into_the_run(&mut command);
    command
}

/// `comptoir-central sign KIND ID`: the signed code is the last line.
pub fn central_sign(data: &Path, kind: &str, id: &str) -> String {
    let output = central_cli(data)
        .args(["sign", kind, id])
        .output()
        .expect("sign");
    assert_success(&output);
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .expect("a code")
        .trim()
        .to_owned()
}

/// A `comptoir-central … --json` command's answer.
pub fn central_json(data: &Path, args: &[&str]) -> Value {
    let output = central_cli(data).args(args).output().expect("central cli");
    assert_success(&output);
    json_of(&output)
}

/// `comptoir doctor --json` on `db`: its exit status and the check called `name`.
pub fn doctor_check(db: &Path, name: &str) -> (Option<i32>, Value) {
    let output = comptoir(db)
        .args(["doctor", "--json"])
        .output()
        .expect("doctor");
    let report = json_of(&output);
    let check = report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == name).cloned())
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"));
    (output.status.code(), check)
}

/// The first demo product sold by the unit whose price is above `cents`.
pub fn unit_product_above(cents: i64) -> comptoir::domain::demo::DemoProduct {
    (0..)
        .map(comptoir::domain::demo::product)
        .find(|p| {
            p.price_unit == comptoir::domain::catalog::PriceUnit::Each && p.price.get() > cents
        })
        .expect("a product sold by the unit")
}

/// `comptoir sell --json GTIN --pay card --customer CUSTOMER`: one unit sold to a customer.
pub fn sell_to_customer(db: &Path, gtin: &str, customer: &str) -> Output {
    comptoir(db)
        .args([
            "sell",
            "--json",
            gtin,
            "--pay",
            "card",
            "--customer",
            customer,
        ])
        .output()
        .expect("sell")
}

/// `comptoir sell ARGS… --pay card --json`.
pub fn sell_by_card(db: &Path, args: &[&str]) -> Output {
    comptoir(db)
        .arg("sell")
        .args(args)
        .args(["--pay", "card", "--json"])
        .output()
        .expect("sell")
}

/// Drops the append-only triggers (`…_no_…`) of `conn`'s database, as an attacker holding the
/// file would before changing it.
pub fn drop_append_only_triggers(conn: &rusqlite::Connection) {
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_no_%'")
        .expect("prepare")
        .query_map([], |row| row.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    for trigger in triggers {
        conn.execute_batch(&format!("DROP TRIGGER {trigger};"))
            .expect("drop trigger");
    }
}
