//! `comptoir doctor`: checks that a terminal can work (configuration, database, disk, devices,
//! clock, enrollment, central) and says, in plain words, what the store's IT should fix.
//!
//! Two halves: [`examine`] gathers facts (the only I/O), and the `judge_*` functions turn facts
//! into [`Check`]s with no I/O at all, so every verdict is unit-tested below. Nothing that goes
//! wrong while gathering stops the doctor: a broken configuration or an unreadable database is
//! itself the finding, reported as a failed check.
//!
//! The doctor must never change the terminal: the database is opened read-only (no migration),
//! serial ports are opened and closed without a byte written, cameras are listed, not opened.
//! The only write is a probe file created and removed in the data folder, the one honest way to
//! know it is writable (permission bits say nothing to root, nor about a read-only mount).
//! Logs and details never hold personal data: paths, ports, device ids and counts only.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::config::{Config, ConfigError, Mode};
use crate::devices::port::{PortProbe, probe};
use crate::store::Store;
use crate::store::received::JournalBreak;

/// How far the clock may be behind the last journal entry or sync before it is wrong rather
/// than just stepped by NTP.
pub const CLOCK_SLACK_SECONDS: i64 = 60;
/// How far from the central's clock this terminal's may be. Fiscal journal entries carry the
/// terminal's time (CGI art. 286: the date of each operation), so a drift of minutes matters.
pub const CENTRAL_SKEW_SECONDS: i64 = 300;
/// How long the doctor waits for the central before calling it offline.
const CENTRAL_TIMEOUT: Duration = Duration::from_secs(10);

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    /// Works, but someone should look (offline, no camera, not enrolled…).
    Warning,
    /// Needs fixing before the terminal can be trusted.
    Fail,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warning => "warning",
            Verdict::Fail => "fail",
        }
    }
}

/// One finding. `name` is stable (scripts read it); `fix` is there whenever the verdict is not
/// ok.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub verdict: Verdict,
    pub detail: String,
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warning(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Warning,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            verdict: Verdict::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Every check, in the order they are printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// True when nothing fails (warnings allowed).
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.verdict != Verdict::Fail)
    }

    pub fn count(&self, verdict: Verdict) -> usize {
        self.checks.iter().filter(|c| c.verdict == verdict).count()
    }
}

// ---------------------------------------------------------------------------------------------
// Facts: what the I/O half found.

/// What reading the database (read-only) found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseFacts {
    /// No file yet: the terminal creates it at its first start.
    Missing,
    /// A file of 0 bytes: perhaps a truncated store; the terminal refuses it (issue 19).
    Empty,
    /// A directory where the file should be: a mistyped path, not a damaged store (issue 20).
    Directory,
    /// It would not open or could not be read.
    Unreadable(String),
    Found {
        /// Migrations still to apply (negative: written by a newer program).
        pending_migrations: i64,
        /// `PRAGMA quick_check` findings; empty when sound.
        integrity: Vec<String>,
        /// This terminal's journal tip: sequence, hash, and whether it links to the entry
        /// before it. None for an empty journal.
        tip: Option<(i64, String, bool)>,
        /// Terminals that have a journal in this file.
        journal_terminals: Vec<String>,
    },
}

/// Whether the folder that holds the database can be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataDirFacts {
    Writable,
    /// It does not exist yet, but `ancestor` does and is writable: it is created at first start.
    Creatable {
        ancestor: PathBuf,
    },
    /// A component of the path is a file, so the folder can never be created.
    BlockedByFile {
        file: PathBuf,
    },
    NotWritable(String),
}

/// Enrollment as stored (no token: it is a secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollmentFacts {
    pub central_url: String,
    pub device_id: String,
    pub store: String,
}

/// What asking the central gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CentralFacts {
    NotEnrolled,
    /// It answered; `tip` is the last journal sequence it vouches for, `date` its clock,
    /// `breaks` the breaks it found in this terminal's journal that no auditor acknowledged.
    Answered {
        url: String,
        tip: Option<i64>,
        date: Option<i64>,
        breaks: Vec<JournalBreak>,
    },
    /// Network trouble: the terminal works offline meanwhile.
    Unreachable {
        url: String,
        reason: String,
    },
    /// It answered but refused (revoked device, wrong token…).
    Refused {
        url: String,
        reason: String,
    },
}

/// The times the clock is compared with (Unix seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockFacts {
    pub now: i64,
    pub last_journal_entry: Option<i64>,
    pub last_sync: Option<i64>,
    pub central_date: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Verdicts: pure.

pub fn judge_config(loaded: &Result<Config, ConfigError>, file: Option<&Path>) -> Check {
    match loaded {
        Ok(config) => Check::ok(
            "config",
            format!(
                "{} loads and is valid (store {}, terminal {}, mode {})",
                file.map_or_else(
                    || "the configuration".to_owned(),
                    |p| p.display().to_string()
                ),
                config.store_code,
                config.terminal_id,
                mode_name(config.mode)
            ),
        ),
        Err(error) => Check::fail(
            "config",
            format!("{error}; the other checks use the built-in defaults"),
            "correct the setting named above in the configuration file or the COMPTOIR_* \
             environment variable (see the configuration table in README.md)",
        ),
    }
}

pub fn judge_database(db: &Path, facts: &DatabaseFacts, terminal: &str) -> Check {
    const NAME: &str = "database";
    let path = db.display();
    match facts {
        DatabaseFacts::Missing => Check::warning(
            NAME,
            format!("{path} does not exist yet"),
            "start the terminal once (it creates a demo store), or point db_path / --db at the \
             store's database",
        ),
        DatabaseFacts::Directory => Check::fail(
            NAME,
            format!("{path} is a directory, not a database file"),
            "point db_path / --db at the database file itself (e.g. comptoir.db inside that \
             directory)",
        ),
        DatabaseFacts::Empty => Check::fail(
            NAME,
            format!("{path} is an empty file (0 bytes): it may have been truncated"),
            "restore the database from the last backup, or remove the empty file to start a \
             new store (the terminal refuses to open it)",
        ),
        DatabaseFacts::Unreadable(reason) => Check::fail(
            NAME,
            format!("{path} cannot be read: {reason}"),
            "restore the database from the last backup, or let the central resend the \
             catalogue after re-enrolling; keep the broken file for the journal",
        ),
        DatabaseFacts::Found {
            integrity,
            pending_migrations,
            tip,
            journal_terminals,
        } => {
            if !integrity.is_empty() {
                return Check::fail(
                    NAME,
                    format!("{path} is damaged: {}", integrity.join("; ")),
                    "stop the terminal, copy the file aside, and restore the last backup; the \
                     damaged copy is kept for the fiscal journal",
                );
            }
            if *pending_migrations < 0 {
                return Check::fail(
                    NAME,
                    format!(
                        "{path} was written by a newer Comptoir ({} migrations ahead)",
                        -pending_migrations
                    ),
                    "install the Comptoir version this database was last used with, or newer",
                );
            }
            if *pending_migrations > 0 {
                return Check::warning(
                    NAME,
                    format!("{path} is sound but {pending_migrations} migrations behind"),
                    "start the terminal once: it brings the schema up to date",
                );
            }
            match tip {
                Some((sequence, hash, true)) => Check::ok(
                    NAME,
                    format!(
                        "{path} is sound and up to date; journal of {terminal} ends at entry \
                         {sequence} ({})",
                        hash.get(..12).unwrap_or(hash)
                    ),
                ),
                Some((sequence, _, false)) => Check::fail(
                    NAME,
                    format!(
                        "{path}: the journal of {terminal} ends at entry {sequence}, which does \
                         not link to the entry before it"
                    ),
                    "run `comptoir journal verify` and keep the database untouched for the \
                     auditor",
                ),
                None if journal_terminals.is_empty() => Check::ok(
                    NAME,
                    format!("{path} is sound and up to date; the journal is empty (no sale yet)"),
                ),
                None => Check::warning(
                    NAME,
                    format!(
                        "{path} holds the journal of {} but none of {terminal}, this terminal's \
                         configured id",
                        journal_terminals.join(", ")
                    ),
                    "check terminal_id in the configuration: a terminal keeps its id for life",
                ),
            }
        }
    }
}

pub fn judge_data_dir(dir: &Path, facts: &DataDirFacts) -> Check {
    const NAME: &str = "data_dir";
    let shown = dir.display();
    match facts {
        DataDirFacts::Writable => Check::ok(NAME, format!("{shown} is writable")),
        DataDirFacts::Creatable { ancestor } => Check::ok(
            NAME,
            format!(
                "{shown} does not exist yet; it is created at first start ({} is writable)",
                ancestor.display()
            ),
        ),
        DataDirFacts::BlockedByFile { file } => Check::fail(
            NAME,
            format!(
                "{shown} cannot be created: {} is a file, not a folder",
                file.display()
            ),
            "move that file away, or set db_path to a folder the terminal owns",
        ),
        DataDirFacts::NotWritable(reason) => Check::fail(
            NAME,
            format!("{shown} is not writable: {reason}"),
            "give the terminal's user write access to this folder (and check the disk is not \
             mounted read-only)",
        ),
    }
}

/// `free` in bytes, or why it is unknown; thresholds in MiB.
pub fn judge_disk(
    dir: &Path,
    free: &Result<u64, String>,
    fail_below_mb: u64,
    warn_below_mb: u64,
) -> Check {
    const NAME: &str = "disk_space";
    const MIB: u64 = 1024 * 1024;
    let shown = dir.display();
    let free = match free {
        Ok(free) => *free,
        Err(reason) => {
            return Check::warning(
                NAME,
                format!("free space on the disk of {shown} is unknown: {reason}"),
                "check the free space by hand (`df -h`)",
            );
        }
    };
    let free_mb = free / MIB;
    if free < fail_below_mb.saturating_mul(MIB) {
        Check::fail(
            NAME,
            format!(
                "{free_mb} MiB free on the disk of {shown}, below the {fail_below_mb} MiB needed"
            ),
            "free space on that disk (old logs, exports already sent): sales stop being \
             recorded when it is full",
        )
    } else if free < warn_below_mb.saturating_mul(MIB) {
        Check::warning(
            NAME,
            format!("{free_mb} MiB free on the disk of {shown}, below {warn_below_mb} MiB"),
            "free space on that disk soon (old logs, exports already sent)",
        )
    } else {
        Check::ok(NAME, format!("{free_mb} MiB free on the disk of {shown}"))
    }
}

/// `name` is "scanner" or "printer"; `setting` the configuration key of its port.
pub fn judge_port(
    name: &'static str,
    setting: &str,
    port: Option<&str>,
    facts: Option<&PortProbe>,
) -> Check {
    let (Some(port), Some(facts)) = (port, facts) else {
        return Check::ok(name, format!("no {name} configured ({setting} is not set)"));
    };
    match facts {
        PortProbe::Opens => Check::ok(name, format!("{port} opens")),
        PortProbe::Missing => Check::fail(
            name,
            format!("{port} does not exist"),
            format!(
                "plug the {name} in and check its cable, or set {setting} to its stable \
                 /dev/serial/by-id/… path (`ls /dev/serial/by-id`)"
            ),
        ),
        PortProbe::Busy(reason) => Check::warning(
            name,
            format!("{port} is in use by another program ({reason})"),
            format!(
                "fine if the terminal is running (it holds the {name}); otherwise find the \
                 program with `fuser {port}`"
            ),
        ),
        PortProbe::Unavailable(reason) => Check::fail(
            name,
            format!("{port} cannot be opened: {reason}"),
            format!(
                "add the terminal's user to the group that owns {port} (usually `dialout`), \
                 and check {setting} names the {name}"
            ),
        ),
    }
}

/// `cameras` lists the cameras found, or why none could be looked for.
pub fn judge_camera(mode: Mode, cameras: &Result<Vec<String>, String>) -> Check {
    const NAME: &str = "camera";
    // A camera is a convenience in every mode (QR codes on a phone, scanning at the kiosk); the
    // serial scanner and typing a code still work without one, hence never a failure.
    let use_for = match mode {
        Mode::Kiosk => "customers cannot scan a product or a loyalty code with it",
        Mode::Staff => "staff cannot scan a QR code with it",
        Mode::Pickup => "pickup codes on customers' phones must be typed",
    };
    match cameras {
        Ok(cameras) if !cameras.is_empty() => {
            Check::ok(NAME, format!("found {}", cameras.join(", ")))
        }
        Ok(_) => Check::warning(
            NAME,
            format!("no camera found: {use_for}"),
            "plug in a USB camera (UVC) if this device should scan with one",
        ),
        Err(reason) => Check::warning(
            NAME,
            format!("{reason}: {use_for}"),
            "install a build with the `camera` feature if this device should scan with one",
        ),
    }
}

pub fn judge_clock(facts: &ClockFacts) -> Check {
    const NAME: &str = "clock";
    let now = facts.now;
    let shown = |t: i64| {
        chrono::DateTime::<chrono::Utc>::from_timestamp(t, 0)
            .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| t.to_string())
    };
    let fix = "set the date and time (and enable NTP: `timedatectl set-ntp true`), then run \
               the doctor again; tickets written meanwhile carry a wrong time";
    if let Some(last) = facts.last_journal_entry
        && now + CLOCK_SLACK_SECONDS < last
    {
        return Check::fail(
            NAME,
            format!(
                "the clock says {} but the last journal entry is from {}",
                shown(now),
                shown(last)
            ),
            fix,
        );
    }
    if let Some(last) = facts.last_sync
        && now + CLOCK_SLACK_SECONDS < last
    {
        return Check::fail(
            NAME,
            format!(
                "the clock says {} but the last sync was at {}",
                shown(now),
                shown(last)
            ),
            fix,
        );
    }
    match facts.central_date {
        Some(central) if (now - central).abs() > CENTRAL_SKEW_SECONDS => Check::fail(
            NAME,
            format!(
                "the clock says {} but the central's says {} ({} s apart)",
                shown(now),
                shown(central),
                (now - central).abs()
            ),
            fix,
        ),
        Some(central) => Check::ok(
            NAME,
            format!(
                "{} ({} s from the central's clock)",
                shown(now),
                (now - central).abs()
            ),
        ),
        None => Check::ok(
            NAME,
            format!(
                "{} (not before the last journal entry or sync; not compared with the \
                 central's)",
                shown(now)
            ),
        ),
    }
}

pub fn judge_enrollment(enrollment: Option<&EnrollmentFacts>, store_code: &str) -> Check {
    const NAME: &str = "enrollment";
    match enrollment {
        None => Check::warning(
            NAME,
            format!("not enrolled: a demo store ({store_code}) whose sales reach no central"),
            "enroll it with a code from `comptoir-central enroll --store STORE`: \
             `comptoir enroll URL CODE`",
        ),
        Some(e) if e.store != store_code => Check::warning(
            NAME,
            format!(
                "enrolled as device {} of store {} at {}, but the configuration says store {}",
                e.device_id, e.store, e.central_url, store_code
            ),
            format!("set store_code = \"{}\" in the configuration", e.store),
        ),
        Some(e) => Check::ok(
            NAME,
            format!(
                "enrolled as device {} of store {} at {}",
                e.device_id, e.store, e.central_url
            ),
        ),
    }
}

/// `local_tip` is this terminal's last journal sequence.
/// `known_breaks`: the open journal breaks the central listed at the last sync, reported when it
/// cannot be asked now (its live answer wins when it can).
pub fn judge_central(
    facts: &CentralFacts,
    local_tip: Option<i64>,
    known_breaks: &[JournalBreak],
) -> Check {
    const NAME: &str = "central";
    let breaks = match facts {
        CentralFacts::Answered { breaks, .. } => breaks.as_slice(),
        _ => known_breaks,
    };
    if let Some(first) = breaks.first() {
        let place = first
            .sequence
            .map(|s| format!("at entry {s}"))
            .or_else(|| first.ticket.as_ref().map(|t| format!("at ticket {t}")))
            .unwrap_or_default();
        return Check::fail(
            NAME,
            format!(
                "the central found {} break(s) in this terminal's journal not acknowledged by an \
                 auditor; the first {place}: {}",
                breaks.len(),
                crate::store::break_in_words(first.kind)
            ),
            format!(
                "keep this database untouched; an auditor reviews `comptoir-central \
                 journal-breaks` and acknowledges it (`comptoir-central journal-breaks ack {} \
                 --auditor NAME`)",
                first.id
            ),
        );
    }
    match facts {
        CentralFacts::NotEnrolled => Check::ok(NAME, "not enrolled: no central to reach"),
        CentralFacts::Answered { url, tip, .. } => {
            let held = match (tip, local_tip) {
                (Some(central), Some(local)) => {
                    format!("; it holds journal entries up to {central} of {local}")
                }
                (None, Some(local)) => format!("; it holds none of the {local} journal entries"),
                _ => String::new(),
            };
            Check::ok(NAME, format!("{url} answers{held}"))
        }
        CentralFacts::Unreachable { url, reason } => Check::warning(
            NAME,
            format!("{url} cannot be reached ({reason}); the terminal works offline meanwhile"),
            "check the store's network and that the central is running; sales sync when it \
             is back",
        ),
        CentralFacts::Refused { url, reason } => Check::fail(
            NAME,
            format!("{url} refuses this terminal: {reason}"),
            "enroll the terminal again with a new code (`comptoir enroll URL CODE`)",
        ),
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Staff => "staff",
        Mode::Kiosk => "kiosk",
        Mode::Pickup => "pickup",
    }
}

// ---------------------------------------------------------------------------------------------
// Gathering: the I/O.

/// Runs every check. `loaded` is the configuration as loading it went (a broken one is reported
/// and the defaults used for the rest), `config_file` the file given, if any, `db` the database
/// to examine, `now` the clock to judge (Unix seconds).
pub fn examine(
    loaded: &Result<Config, ConfigError>,
    config_file: Option<&Path>,
    db: &Path,
    now: i64,
) -> Report {
    let _span = tracing::info_span!("doctor").entered();
    let fallback = Config::default();
    let config = loaded.as_ref().unwrap_or(&fallback);
    let mut checks = vec![judge_config(loaded, config_file)];

    let store = open_database(db);
    let database = database_facts(db, store.as_ref(), &config.terminal_id);
    checks.push(judge_database(db, &database, &config.terminal_id));

    // The folder SQLite writes the database, its journal and write-ahead log into.
    let dir = match db.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    checks.push(judge_data_dir(&dir, &data_dir_facts(&dir)));
    checks.push(judge_disk(
        &dir,
        &free_bytes(&dir),
        config.disk_fail_below_mb,
        config.disk_warn_below_mb,
    ));

    let scanner = config
        .serial_port
        .as_deref()
        .map(|port| probe(port, config.serial_baud));
    checks.push(judge_port(
        "scanner",
        "serial_port",
        config.serial_port.as_deref(),
        scanner.as_ref(),
    ));
    let printer = config
        .printer_port
        .as_deref()
        .map(|port| probe(port, config.printer_baud));
    checks.push(judge_port(
        "printer",
        "printer_port",
        config.printer_port.as_deref(),
        printer.as_ref(),
    ));

    let cameras = crate::devices::camera::list_cameras().map_err(|e| e.to_string());
    checks.push(judge_camera(config.mode, &cameras));

    let usable = matches!(
        database,
        DatabaseFacts::Found {
            pending_migrations: 0,
            ..
        }
    );
    // Only a sound, current database is asked anything more (the queries assume the schema).
    let store = store.and_then(Result::ok).filter(|_| usable);
    let enrollment = store.as_ref().and_then(|s| s.enrollment().ok().flatten());
    let central = match &enrollment {
        None => CentralFacts::NotEnrolled,
        Some(e) => ask_central(e),
    };
    let last_journal_entry = store
        .as_ref()
        .and_then(|s| s.last_journal_time().ok().flatten());
    let last_sync = store
        .as_ref()
        .and_then(|s| crate::sync::engine::status(s).ok())
        .and_then(|status| status.last_sync);
    let central_date = match &central {
        CentralFacts::Answered { date, .. } => *date,
        _ => None,
    };
    checks.push(judge_clock(&ClockFacts {
        now,
        last_journal_entry,
        last_sync,
        central_date,
    }));
    let enrollment_facts = enrollment.as_ref().map(|e| EnrollmentFacts {
        central_url: e.central_url.clone(),
        device_id: e.device_id.clone(),
        store: e.store.clone(),
    });
    checks.push(judge_enrollment(
        enrollment_facts.as_ref(),
        &config.store_code,
    ));
    let local_tip = match &database {
        DatabaseFacts::Found { tip, .. } => tip.as_ref().map(|(sequence, _, _)| *sequence),
        _ => None,
    };
    let known_breaks: Vec<JournalBreak> = store
        .as_ref()
        .and_then(|s| s.central_journal_breaks().ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|b| b.acknowledged_at.is_none())
        .collect();
    checks.push(judge_central(&central, local_tip, &known_breaks));

    for check in &checks {
        tracing::info!(
            check = check.name,
            verdict = check.verdict.as_str(),
            "doctor check"
        );
    }
    Report { checks }
}

fn open_database(db: &Path) -> Option<Result<Store, String>> {
    if !db.is_file() {
        return None;
    }
    Some(Store::open_read_only(db).map_err(|e| e.to_string()))
}

fn database_facts(
    db: &Path,
    store: Option<&Result<Store, String>>,
    terminal: &str,
) -> DatabaseFacts {
    if db.is_dir() {
        return DatabaseFacts::Directory;
    }
    // SQLite reads an empty file as a new, sound database: it would pass every check below.
    if std::fs::metadata(db).is_ok_and(|meta| meta.is_file() && meta.len() == 0) {
        return DatabaseFacts::Empty;
    }
    let store = match store {
        None if !db.exists() => return DatabaseFacts::Missing,
        None => return DatabaseFacts::Unreadable("cannot be opened".to_owned()),
        Some(Err(reason)) => return DatabaseFacts::Unreadable(reason.clone()),
        Some(Ok(store)) => store,
    };
    let read = || -> Result<DatabaseFacts, crate::store::StoreError> {
        // Integrity first: on a damaged file the other answers mean nothing.
        let integrity = store.quick_check()?;
        let pending_migrations = store.pending_migrations()?;
        let (tip, journal_terminals) = if integrity.is_empty() && pending_migrations == 0 {
            (store.journal_tip(terminal)?, store.journal_terminals()?)
        } else {
            (None, Vec::new())
        };
        Ok(DatabaseFacts::Found {
            pending_migrations,
            integrity,
            tip,
            journal_terminals,
        })
    };
    read().unwrap_or_else(|e| DatabaseFacts::Unreadable(e.to_string()))
}

/// `path` itself when it exists, else its nearest existing ancestor (`.` for a relative path
/// none of whose parts exist): where a missing folder would be created.
fn nearest_existing(path: &Path) -> PathBuf {
    path.ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.exists())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn data_dir_facts(dir: &Path) -> DataDirFacts {
    let existing = nearest_existing(dir);
    if !existing.is_dir() {
        return DataDirFacts::BlockedByFile { file: existing };
    }
    // A real write: permission bits do not stop root and say nothing of a read-only mount.
    match tempfile::Builder::new()
        .prefix(".comptoir-doctor-")
        .tempfile_in(&existing)
    {
        Ok(probe) => {
            // Removing it is best effort: tempfile deletes on drop as well.
            let _ = probe.close();
            if existing == dir {
                DataDirFacts::Writable
            } else {
                DataDirFacts::Creatable { ancestor: existing }
            }
        }
        Err(error) => DataDirFacts::NotWritable(error.to_string()),
    }
}

/// Bytes an unprivileged user may still write on the filesystem holding `dir` (or its nearest
/// existing ancestor): statvfs's `f_bavail × f_frsize`, what `df` shows as available.
fn free_bytes(dir: &Path) -> Result<u64, String> {
    statvfs_available(&nearest_existing(dir))
}

#[cfg(unix)]
fn statvfs_available(path: &Path) -> Result<u64, String> {
    let stat = rustix::fs::statvfs(path).map_err(|e| e.to_string())?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(not(unix))]
fn statvfs_available(_path: &Path) -> Result<u64, String> {
    Err("not measured on this system".to_owned())
}

/// Asks the enrolled central for this device's journal tip, with a bounded wait.
fn ask_central(enrollment: &crate::store::Enrollment) -> CentralFacts {
    use crate::sync::client::{CentralClient, SyncError};
    let url = enrollment.central_url.clone();
    let unreachable = |reason: String| CentralFacts::Unreachable {
        url: url.clone(),
        reason,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return unreachable(format!("no network runtime: {error}")),
    };
    let client = match CentralClient::new(&url, &enrollment.device_id, &enrollment.token) {
        Ok(client) => client,
        Err(error) => return unreachable(error.to_string()),
    };
    let answer = runtime.block_on(async {
        tokio::time::timeout(CENTRAL_TIMEOUT, client.journal_tip_dated()).await
    });
    match answer {
        Err(_) => unreachable(format!("no answer within {} s", CENTRAL_TIMEOUT.as_secs())),
        Ok(Ok((tip, date))) => CentralFacts::Answered {
            url,
            tip: tip.sequence,
            date,
            breaks: tip
                .breaks
                .into_iter()
                .filter(|b| b.acknowledged_at.is_none())
                .map(JournalBreak::from)
                .collect(),
        },
        Ok(Err(SyncError::Refused { status, message })) if status == 401 || status == 403 => {
            CentralFacts::Refused {
                url,
                reason: format!("{status}: {message}"),
            }
        }
        Ok(Err(error)) => unreachable(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000;

    fn db() -> &'static Path {
        Path::new("/var/lib/comptoir/comptoir.db")
    }

    fn found(tip: Option<(i64, String, bool)>, terminals: &[&str]) -> DatabaseFacts {
        DatabaseFacts::Found {
            pending_migrations: 0,
            integrity: Vec::new(),
            tip,
            journal_terminals: terminals.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn the_report_fails_only_on_a_failed_check() {
        let warn = Check::warning("camera", "none", "plug one");
        let fail = Check::fail("scanner", "/dev/missing does not exist", "plug it");
        let ok = Check::ok("clock", "fine");
        assert!(
            Report {
                checks: vec![ok.clone(), warn.clone()]
            }
            .ok()
        );
        assert!(
            !Report {
                checks: vec![ok, warn, fail]
            }
            .ok()
        );
    }

    #[test]
    fn a_broken_configuration_is_a_failed_check_naming_the_problem() {
        let broken = Err(ConfigError::Invalid(
            "locale \"de\" is not supported".into(),
        ));
        let check = judge_config(&broken, None);
        assert_eq!(check.verdict, Verdict::Fail);
        assert!(check.detail.contains("locale"), "{}", check.detail);
        assert!(check.fix.is_some());
        assert_eq!(
            judge_config(&Ok(Config::default()), None).verdict,
            Verdict::Ok
        );
    }

    #[test]
    fn database_verdicts() {
        let hash = "ab".repeat(32);
        let damaged = DatabaseFacts::Found {
            pending_migrations: 0,
            integrity: vec!["row 3 missing from index".into()],
            tip: None,
            journal_terminals: Vec::new(),
        };
        let newer = DatabaseFacts::Found {
            pending_migrations: -1,
            integrity: Vec::new(),
            tip: None,
            journal_terminals: Vec::new(),
        };
        let older = DatabaseFacts::Found {
            pending_migrations: 2,
            integrity: Vec::new(),
            tip: None,
            journal_terminals: Vec::new(),
        };
        for (facts, verdict, says) in [
            (DatabaseFacts::Missing, Verdict::Warning, "does not exist"),
            (DatabaseFacts::Empty, Verdict::Fail, "0 bytes"),
            (
                DatabaseFacts::Unreadable("file is not a database".into()),
                Verdict::Fail,
                "not a database",
            ),
            (damaged, Verdict::Fail, "row 3"),
            (newer, Verdict::Fail, "newer"),
            (older, Verdict::Warning, "2 migrations behind"),
            (found(None, &[]), Verdict::Ok, "empty"),
            (
                found(Some((7, hash.clone(), true)), &["T01"]),
                Verdict::Ok,
                "entry 7",
            ),
            (
                found(Some((7, hash, false)), &["T01"]),
                Verdict::Fail,
                "does not link",
            ),
            (found(None, &["T09"]), Verdict::Warning, "T09"),
        ] {
            let check = judge_database(db(), &facts, "T01");
            assert_eq!(check.verdict, verdict, "{facts:?}: {}", check.detail);
            assert!(check.detail.contains(says), "{facts:?}: {}", check.detail);
            assert_eq!(check.fix.is_some(), verdict != Verdict::Ok);
        }
    }

    #[test]
    fn data_dir_verdicts() {
        let dir = Path::new("/srv/comptoir");
        for (facts, verdict) in [
            (DataDirFacts::Writable, Verdict::Ok),
            (
                DataDirFacts::Creatable {
                    ancestor: "/srv".into(),
                },
                Verdict::Ok,
            ),
            (
                DataDirFacts::BlockedByFile {
                    file: "/srv".into(),
                },
                Verdict::Fail,
            ),
            (
                DataDirFacts::NotWritable("read-only file system".into()),
                Verdict::Fail,
            ),
        ] {
            assert_eq!(judge_data_dir(dir, &facts).verdict, verdict, "{facts:?}");
        }
    }

    #[test]
    fn disk_space_thresholds() {
        const MIB: u64 = 1024 * 1024;
        let dir = Path::new("/srv");
        for (free, verdict) in [
            (Ok(0), Verdict::Fail),
            (Ok(199 * MIB), Verdict::Fail),
            (Ok(200 * MIB), Verdict::Warning),
            (Ok(1023 * MIB), Verdict::Warning),
            (Ok(1024 * MIB), Verdict::Ok),
            (Ok(u64::MAX), Verdict::Ok),
            (Err("no such device".to_owned()), Verdict::Warning),
        ] {
            assert_eq!(
                judge_disk(dir, &free, 200, 1024).verdict,
                verdict,
                "{free:?}"
            );
        }
        // Thresholds near u64::MAX MiB saturate instead of wrapping round into "plenty".
        assert_eq!(
            judge_disk(dir, &Ok(1 << 50), u64::MAX, u64::MAX).verdict,
            Verdict::Fail
        );
    }

    #[test]
    fn port_verdicts_name_the_port() {
        for (probe, verdict) in [
            (PortProbe::Opens, Verdict::Ok),
            (PortProbe::Missing, Verdict::Fail),
            (
                PortProbe::Busy("Device or resource busy".into()),
                Verdict::Warning,
            ),
            (
                PortProbe::Unavailable("Permission denied".into()),
                Verdict::Fail,
            ),
        ] {
            let check = judge_port("scanner", "serial_port", Some("/dev/missing"), Some(&probe));
            assert_eq!(check.verdict, verdict, "{probe:?}");
            assert!(check.detail.contains("/dev/missing"), "{}", check.detail);
        }
        let none = judge_port("printer", "printer_port", None, None);
        assert_eq!(none.verdict, Verdict::Ok);
        assert!(none.detail.contains("printer_port"));
    }

    #[test]
    fn no_camera_is_a_warning_in_every_mode() {
        for mode in [Mode::Kiosk, Mode::Staff, Mode::Pickup] {
            assert_eq!(
                judge_camera(mode, &Ok(Vec::new())).verdict,
                Verdict::Warning
            );
            assert_eq!(
                judge_camera(mode, &Err("no camera support in this build".into())).verdict,
                Verdict::Warning
            );
            assert_eq!(
                judge_camera(mode, &Ok(vec!["UVC Camera (0)".into()])).verdict,
                Verdict::Ok
            );
        }
    }

    #[test]
    fn clock_verdicts() {
        let at = |last_journal_entry, last_sync, central_date| ClockFacts {
            now: NOW,
            last_journal_entry,
            last_sync,
            central_date,
        };
        for (facts, verdict) in [
            (at(None, None, None), Verdict::Ok),
            (at(Some(NOW - 3600), Some(NOW - 60), None), Verdict::Ok),
            // A small NTP step back is not a wrong clock.
            (at(Some(NOW + CLOCK_SLACK_SECONDS), None, None), Verdict::Ok),
            (at(Some(NOW + 86_400), None, None), Verdict::Fail),
            (at(None, Some(NOW + 3600), None), Verdict::Fail),
            (at(None, None, Some(NOW - 10)), Verdict::Ok),
            (
                at(None, None, Some(NOW + CENTRAL_SKEW_SECONDS)),
                Verdict::Ok,
            ),
            (
                at(None, None, Some(NOW + CENTRAL_SKEW_SECONDS + 1)),
                Verdict::Fail,
            ),
            (at(None, None, Some(NOW - 3600)), Verdict::Fail),
        ] {
            assert_eq!(judge_clock(&facts).verdict, verdict, "{facts:?}");
        }
    }

    #[test]
    fn enrollment_verdicts() {
        let enrolled = EnrollmentFacts {
            central_url: "http://central:8080".into(),
            device_id: "d-1".into(),
            store: "PAR-01".into(),
        };
        assert_eq!(judge_enrollment(None, "PAR-01").verdict, Verdict::Warning);
        assert_eq!(
            judge_enrollment(Some(&enrolled), "PAR-01").verdict,
            Verdict::Ok
        );
        let other = judge_enrollment(Some(&enrolled), "LYO-01");
        assert_eq!(other.verdict, Verdict::Warning);
        assert!(other.fix.unwrap_or_default().contains("PAR-01"));
    }

    #[test]
    fn central_verdicts() {
        let url = "http://central:8080".to_owned();
        for (facts, verdict) in [
            (CentralFacts::NotEnrolled, Verdict::Ok),
            (
                CentralFacts::Answered {
                    url: url.clone(),
                    tip: Some(3),
                    date: Some(NOW),
                    breaks: Vec::new(),
                },
                Verdict::Ok,
            ),
            // Offline is normal for an offline-first terminal.
            (
                CentralFacts::Unreachable {
                    url: url.clone(),
                    reason: "connection refused".into(),
                },
                Verdict::Warning,
            ),
            (
                CentralFacts::Refused {
                    url,
                    reason: "401: unknown device".into(),
                },
                Verdict::Fail,
            ),
        ] {
            assert_eq!(
                judge_central(&facts, Some(3), &[]).verdict,
                verdict,
                "{facts:?}"
            );
        }
        // A journal break the central found fails the check until an auditor acknowledges it:
        // from its live answer, or from the last sync's when it cannot be asked.
        let open = JournalBreak {
            id: 4,
            sequence: Some(8),
            kind: crate::store::received::BreakKind::Rewritten,
            ticket: None,
            detected_at: NOW,
            acknowledged_at: None,
        };
        let answered = CentralFacts::Answered {
            url: "http://central:8080".into(),
            tip: Some(10),
            date: Some(NOW),
            breaks: vec![open.clone()],
        };
        let check = judge_central(&answered, Some(12), &[]);
        assert_eq!(check.verdict, Verdict::Fail);
        assert!(check.detail.contains("at entry 8"), "{}", check.detail);
        let offline = CentralFacts::Unreachable {
            url: "http://central:8080".into(),
            reason: "down".into(),
        };
        assert_eq!(
            judge_central(&offline, Some(12), std::slice::from_ref(&open)).verdict,
            Verdict::Fail
        );
        // Acknowledged since the last sync: the live answer has it no more.
        let acknowledged = CentralFacts::Answered {
            url: "http://central:8080".into(),
            tip: Some(12),
            date: Some(NOW),
            breaks: Vec::new(),
        };
        assert_eq!(
            judge_central(&acknowledged, Some(12), &[open]).verdict,
            Verdict::Ok
        );
    }
}
