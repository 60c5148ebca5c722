//! The terminal's SQLite database: the only module that speaks SQL.
//!
//! [`Store::open`] creates the file when needed (and refuses an existing empty one, which may be
//! a truncated store), sets the pragmas (WAL so that readers never wait for the writer, foreign
//! keys on, a busy timeout) and runs the versioned migrations in `migrations/`, one process at a
//! time. A released migration is never edited; a change is a new file. Each use case gets
//! one write transaction, so a crash leaves either all of it or none.
//!
//! An update must never cost a store its data: when an existing database has migrations pending,
//! they are first rehearsed on a copy (`VACUUM INTO`, beside the file) and the real file is only
//! migrated when the copy came through. A failed rehearsal leaves the original untouched, so the
//! previous version of the program (same schema) still opens it after a rollback of the package.

mod baskets;
mod catalog;
mod closing;
mod credit;
mod customers;
mod demo_load;
mod drawer;
pub mod facts;
mod gift_card;
mod journal;
mod outbox;
mod pickup;
mod promotions;
mod pull;
mod recall;
pub mod received;
mod sales;
mod search;
mod staff;
mod staff_call;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

pub use baskets::{OpenBasket, ParkedBasket, ResumeError};
pub use catalog::{PRODUCT_BY_GTIN_SQL, STOCK_BY_GTIN_SQL};
pub use closing::{ClosingFigures, ClosingPeriod, ClosingReport, DiscountSubtotal};
pub use credit::{Conflict, KnownCredit};
pub use customers::CachedCustomer;
pub use demo_load::DemoLoader;
pub use drawer::{CountResult, DrawerReport};
pub use gift_card::{NewGiftCard, SoldGiftCard};
pub use journal::{ChainTip, ClosingRow, EntryDraft, Verification, break_in_words};
pub use outbox::Enrollment;
pub use pickup::{NewReturn, PickupOrder, RecordedReturn};
pub use sales::{
    EmailReceipt, NewSale, RecordedSale, SaleCustomer, StoredSale, TypedEmail, ticket_number,
};
pub use search::{SEARCH_SQL, SearchExpressions};
pub use staff::StaffAccount;

/// Every migration, in order. Append only.
static MIGRATIONS: LazyLock<Migrations<'static>> =
    LazyLock::new(|| Migrations::new(schema_migrations()));

/// The terminal's migrations, in order, as a list a test or a tool can cut to build a database at
/// an older schema version (`Migrations::new(schema_migrations()[..4].to_vec())`).
pub fn schema_migrations() -> Vec<M<'static>> {
    vec![
        M::up(include_str!("migrations/0001_catalog.sql")),
        M::up(include_str!("migrations/0002_sales.sql")),
        M::up(include_str!("migrations/0003_journal.sql")),
        M::up(include_str!("migrations/0004_sync.sql")),
        M::up(include_str!("migrations/0005_clienteling.sql")),
        M::up(include_str!("migrations/0006_pickup.sql")),
        M::up(include_str!("migrations/0007_erasure.sql")),
        M::up(include_str!("migrations/0008_baskets.sql")),
        M::up(include_str!("migrations/0009_recalls.sql")),
        M::up(include_str!("migrations/0010_no_replace.sql")),
        M::up(include_str!("migrations/0011_refused_events.sql")),
        M::up(include_str!("migrations/0012_promotions.sql")),
        M::up(include_str!("migrations/0013_discounts.sql")),
        M::up(include_str!("migrations/0014_returns_and_credit.sql")),
        M::up(include_str!("migrations/0015_gift_cards.sql")),
        M::up(include_str!("migrations/0016_exchanges.sql")),
        M::up(include_str!("migrations/0017_pickup_conflict_kinds.sql")),
        M::up(include_str!("migrations/0018_staff_calls.sql")),
    ]
}

/// The tables a sale writes (`sales.rs`, `journal.rs`, `outbox.rs`): the fiscal record, its
/// journal, and what carries it to the central. [`Store::sale_tables_quick_check`] checks them.
const SALE_TABLES: [&str; 9] = [
    "sale",
    "sale_line",
    "sale_vat",
    "sale_payment",
    "sale_credit",
    "stock_movement",
    "loyalty_movement",
    "outbox",
    "journal_entry",
];

/// An error of the database layer, with what an operator needs to act on it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot make {path} readable by its owner only: {source}")]
    Private {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the database folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// `reason` is what SQLite said, never the migration's SQL (see [`migration_failure`]).
    #[error("cannot bring the database {path} up to date: {reason}")]
    Migrate { path: PathBuf, reason: String },
    #[error(
        "cannot copy the database {path} to rehearse its update (is there room for a copy \
         beside it?); the database was left untouched: {source}"
    )]
    RehearsalCopy {
        path: PathBuf,
        source: RehearsalCopyError,
    },
    #[error(
        "the update of the database {path} from schema version {from} failed on a copy, so the \
         database was left untouched at version {from} (the previous version of Comptoir still \
         opens it): {reason}"
    )]
    RehearsalFailed {
        path: PathBuf,
        from: i64,
        reason: String,
    },
    #[error(
        "the database {path} is an empty file (0 bytes): it may have been truncated; restore it \
         from a backup, or remove it to start a new store"
    )]
    EmptyFile { path: PathBuf },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the database holds a value it should not: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Why the copy used to rehearse an update could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RehearsalCopyError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the folder's path is not UTF-8, which SQLite's VACUUM INTO needs")]
    NotUtf8,
}

/// An open terminal database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Locations by id (a handful of rows, read on every scan).
    locations: RefCell<HashMap<i64, catalog::Location>>,
}

impl Store {
    /// Opens (or creates) the database at `path` and migrates it to the current schema, after
    /// rehearsing the migration on a copy when the file already holds data (see the module doc).
    ///
    /// An existing file of 0 bytes is refused ([`StoreError::EmptyFile`]): SQLite would take it
    /// for a new database, and the terminal would start over with no journal and no sales
    /// where a store's data was truncated (a full disk, a bad copy, a restore that failed).
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_checked(path, &MIGRATIONS, EmptyFile::Refuse)
    }

    /// [`Store::open`], except that an existing empty (0-byte) file is taken as a new store:
    /// only for `comptoir seed`, whose job is to create a store.
    pub fn open_to_seed(path: &Path) -> Result<Store> {
        Store::open_checked(path, &MIGRATIONS, EmptyFile::Adopt)
    }

    /// [`Store::open`] with the given migrations: the seam through which tests build a database at
    /// an older schema, or inject a migration that fails. The program always uses [`Store::open`].
    pub fn open_with_migrations(path: &Path, migrations: &Migrations<'_>) -> Result<Store> {
        Store::open_checked(path, migrations, EmptyFile::Refuse)
    }

    fn open_checked(path: &Path, migrations: &Migrations<'_>, empty: EmptyFile) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private_files::create_private_dir(dir).map_err(|source| {
                StoreError::CreateDir {
                    path: dir.to_owned(),
                    source,
                }
            })?;
        }
        // A missing file is created, and an empty one judged, under the migration lock: the file
        // another process has just created stays 0 bytes until SQLite writes its header, so a
        // first start beside it waits for it rather than calling it truncated.
        let mut lock = None;
        if !has_content(path) {
            lock = Some(MigrationLock::take(folder_of(path)));
            if empty == EmptyFile::Refuse && is_empty_file(path) {
                return Err(StoreError::EmptyFile {
                    path: path.to_owned(),
                });
            }
        }
        // It holds the terminal's token and customers' data: its owner's eyes only.
        crate::private_files::make_database_private(path).map_err(|source| {
            StoreError::Private {
                path: path.to_owned(),
                source,
            }
        })?;
        let mut conn = connect(path)?;
        let migrate_err = |source| StoreError::Migrate {
            path: path.to_owned(),
            reason: migration_failure(&source),
        };
        remove_stale_rehearsals(folder_of(path));
        if migrations.pending_migrations(&conn).map_err(migrate_err)? != 0 {
            // Several processes may open the same new or old file at once (first starts: the
            // kiosk's service, an operator's `comptoir seed`, a sync timer). rusqlite_migration
            // reads the version before its own transaction, so two of them would both run
            // migration 1 and the second fail on « table already exists ». Under this lock the
            // version is read again: the first migrates, the others wait and find it current.
            if lock.is_none() {
                lock = Some(MigrationLock::take(folder_of(path)));
            }
            let pending = migrations.pending_migrations(&conn).map_err(migrate_err)?;
            let from: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
            // A new file (version 0) has nothing to lose: it is migrated in place.
            if pending > 0 && from > 0 {
                rehearse_migrations(&conn, path, from, migrations)?;
            }
            migrations.to_latest(&mut conn).map_err(migrate_err)?;
        }
        drop(lock);
        Ok(Store {
            conn,
            path: path.to_owned(),
            locations: RefCell::new(HashMap::new()),
        })
    }

    /// Opens an existing database for reading only: no migration, no pragma that writes, no
    /// file created (`comptoir doctor` inspects a terminal without changing it). The other
    /// methods work on it as long as they only read and the schema is current.
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let open_err = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        Ok(Store {
            conn,
            path: path.to_owned(),
            locations: RefCell::new(HashMap::new()),
        })
    }

    /// Migrations this program would apply on [`Store::open`]: 0 when up to date, negative
    /// when a newer program already migrated the file further (it will then refuse to open).
    pub fn pending_migrations(&self) -> Result<i64> {
        MIGRATIONS
            .pending_migrations(&self.conn)
            .map(i64::from)
            .map_err(|source| StoreError::Migrate {
                path: self.path.clone(),
                reason: migration_failure(&source),
            })
    }

    /// SQLite's `PRAGMA quick_check`: an empty list when the file is sound, else its findings
    /// (at most 10: enough to tell the operator, short enough to print).
    pub fn quick_check(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("PRAGMA quick_check(10)")?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        let findings = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(findings.into_iter().filter(|f| f != "ok").collect())
    }

    /// `PRAGMA quick_check(TABLE)` on each table a sale writes (and their indexes): an empty
    /// list when they are sound, else SQLite's findings, each on one line. A check that SQLite
    /// itself stops on a damaged page (`SQLITE_CORRUPT`, `SQLITE_NOTADB`) is a finding too.
    ///
    /// Far cheaper than the whole [`Store::quick_check`] while the catalogue is most of the
    /// file, but linear in the sales kept. Measured in process on this project's 2-core
    /// machine, warm cache: 0.2 ms (whole check 50 ms) with the demo's 20,000 products and one
    /// sale; 0.2 ms (whole 540 ms) with 200,000 products; 515 ms (whole 580 ms) with 20,000
    /// products and 110,000 sales, a year at 300 a day (113 MB).
    pub fn sale_tables_quick_check(&self) -> Result<Vec<String>> {
        let mut findings = Vec::new();
        for table in SALE_TABLES {
            let checked = self
                .conn
                .prepare(&format!("PRAGMA quick_check({table})"))
                .and_then(|mut stmt| {
                    stmt.query_map([], |row| row.get::<_, String>(0))?
                        .collect::<rusqlite::Result<Vec<_>>>()
                });
            match checked {
                Ok(rows) => findings.extend(
                    rows.into_iter()
                        .filter(|f| f != "ok")
                        // SQLite opens its report with this header line; the rest is the news.
                        .map(|f| f.replace("*** in database main ***", ""))
                        .map(|f| f.split_whitespace().collect::<Vec<_>>().join(" ")),
                ),
                Err(rusqlite::Error::SqliteFailure(error, message))
                    if matches!(
                        error.code,
                        rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
                    ) =>
                {
                    findings.push(format!(
                        "{table}: {}",
                        message.unwrap_or_else(|| error.to_string())
                    ));
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(findings)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Trades durability for speed while filling a demo or benchmark database: commits no longer
    /// wait for the disk. Never used on a store's real database.
    pub fn bulk_load_mode(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA synchronous = OFF;")?;
        Ok(())
    }

    /// The schema version the database is at (the number of migrations applied).
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }
}

/// What [`Store::open_checked`] does with an existing file of 0 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EmptyFile {
    /// Refuse it: it may be a store's database, truncated.
    Refuse,
    /// Make it a new store (`comptoir seed`).
    Adopt,
}

/// True when `path` is a file with at least one byte (a database SQLite has written to).
fn has_content(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|meta| meta.len() > 0)
}

/// True when `path` exists and is a file of 0 bytes.
fn is_empty_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() == 0)
}

/// Opens `path` with the pragmas every connection to a terminal database needs.
fn connect(path: &Path) -> Result<Connection> {
    let open_err = |source| StoreError::Open {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open(path).map_err(open_err)?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(open_err)?;
    // WAL: the UI reads while sync writes.
    conn.execute_batch(
        // FULL: a committed sale (and its journal entry) survives a power cut, not only a
        // crash (DESIGN.md: "a sale survives a power cut at any instant").
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -16000;",
    )
    .map_err(open_err)?;
    Ok(conn)
}

/// Why a migration failed, in one line: rusqlite_migration's own message quotes the whole SQL
/// of the failing migration (a hundred lines of a schema file in front of the reason), which
/// tells an operator nothing and buries what SQLite said. The migration files are in the source;
/// the schema version in the message says which one.
fn migration_failure(error: &rusqlite_migration::Error) -> String {
    let reason = match error {
        rusqlite_migration::Error::RusqliteError { err, .. } => err.to_string(),
        other => other.to_string(),
    };
    reason.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An exclusive lock on the folder of a database, held while a new file is created or an empty
/// one judged, and while its schema version is read and its migrations run, so that processes
/// opening it at once create and migrate it one after the other.
///
/// Not SQLite's write lock (`BEGIN IMMEDIATE`): rusqlite_migration opens its own transaction
/// and reads the version before it, so it cannot run inside ours; and the rehearsal on a copy
/// of a large store takes longer than any busy timeout. `flock` on the folder waits as long as
/// the other process migrates, is released by the kernel if that process dies, and never
/// touches the POSIX locks SQLite holds on the database file itself (closing any descriptor of
/// that file would drop them: sqlite.org/howtocorrupt.html, 2.2).
struct MigrationLock {
    #[cfg(unix)]
    _folder: Option<std::fs::File>,
}

impl MigrationLock {
    /// Waits for the lock. Where it cannot be taken (a file system without `flock`), the
    /// migration goes on unlocked, as before this lock existed.
    fn take(dir: &Path) -> MigrationLock {
        #[cfg(unix)]
        {
            let locked = std::fs::File::open(dir).and_then(|folder| {
                loop {
                    match rustix::fs::flock(&folder, rustix::fs::FlockOperation::LockExclusive) {
                        Ok(()) => return Ok(folder),
                        Err(rustix::io::Errno::INTR) => continue,
                        Err(errno) => return Err(errno.into()),
                    }
                }
            });
            match locked {
                Ok(folder) => MigrationLock {
                    _folder: Some(folder),
                },
                Err(error) => {
                    tracing::warn!(%error, "cannot lock the database folder to migrate");
                    MigrationLock { _folder: None }
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = dir;
            MigrationLock {}
        }
    }
}

/// How a rehearsal folder's name starts; the id of the process rehearsing follows, so that a
/// folder left by a process that died mid-update (a power cut, a kill) is told from one in use.
const REHEARSAL_PREFIX: &str = ".comptoir-update-";

/// The folder that holds the database file `path`.
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Removes the rehearsal copies that updates cut short left in `dir` (each as large as the
/// database: a kiosk switched off during updates would otherwise fill its card). A folder whose
/// process is still running (`/proc`) is another update in progress and stays.
fn remove_stale_rehearsals(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(REHEARSAL_PREFIX)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| Path::new("/proc").join(pid.to_string()).exists()) {
            continue;
        }
        match std::fs::remove_dir_all(entry.path()) {
            Ok(()) => tracing::info!("removed the copy an interrupted update left"),
            Err(error) => {
                tracing::warn!(%error, "cannot remove the copy an interrupted update left");
            }
        }
    }
}

/// Runs `migrations` on a copy of the database `conn` has open, made with `VACUUM INTO` in a
/// temporary folder beside it (same file system, and the only place a hardened service may write:
/// `/var/lib/comptoir`). The copy and its folder are removed whatever happens short of the
/// process dying (then the next open removes them); the original is only read.
fn rehearse_migrations(
    conn: &Connection,
    path: &Path,
    from: i64,
    migrations: &Migrations<'_>,
) -> Result<()> {
    let copy_err = |source: RehearsalCopyError| StoreError::RehearsalCopy {
        path: path.to_owned(),
        source,
    };
    let rehearsal = tempfile::Builder::new()
        .prefix(&format!("{REHEARSAL_PREFIX}{}-", std::process::id()))
        .tempdir_in(folder_of(path))
        .map_err(|e| copy_err(e.into()))?;
    let copy_path = rehearsal.path().join("rehearsal.db");
    let copy_name = copy_path
        .to_str()
        .ok_or_else(|| copy_err(RehearsalCopyError::NotUtf8))?;
    conn.execute("VACUUM INTO ?1", [copy_name])
        .map_err(|e| copy_err(e.into()))?;
    let mut copy = Connection::open(&copy_path).map_err(|e| copy_err(e.into()))?;
    copy.execute_batch("PRAGMA foreign_keys = ON;")
        .map_err(|e| copy_err(e.into()))?;
    migrations
        .to_latest(&mut copy)
        .map_err(|source| StoreError::RehearsalFailed {
            path: path.to_owned(),
            from,
            reason: migration_failure(&source),
        })?;
    tracing::info!(from, "database update rehearsed on a copy");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(MIGRATIONS.validate().is_ok());
    }

    #[test]
    fn opening_creates_the_schema_and_reopening_keeps_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sub/comptoir.db");
        let store = Store::open(&path).expect("open");
        let all = i64::try_from(schema_migrations().len()).expect("a few migrations");
        assert_eq!(store.schema_version().expect("version"), all);
        assert_eq!(store.pending_migrations().expect("pending"), 0);
        drop(store);
        let store = Store::open(&path).expect("reopen");
        assert_eq!(store.schema_version().expect("version"), all);
    }

    /// Issue 19: rusqlite_migration's message quotes the failing migration's SQL; ours is one
    /// line with what SQLite said.
    #[test]
    fn a_failing_migration_is_one_line_without_its_sql() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("new.db");
        let broken = Migrations::new(vec![M::up(
            "CREATE TABLE doomed (id INTEGER PRIMARY KEY);\n\nINSERT INTO no_such_table VALUES (1);",
        )]);
        let err = Store::open_with_migrations(&path, &broken)
            .err()
            .expect("the broken migration fails");
        let message = err.to_string();
        assert!(
            message.contains("no such table: no_such_table"),
            "{message}"
        );
        assert!(message.contains("new.db"), "{message}");
        assert!(!message.contains("CREATE TABLE"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }

    #[test]
    fn a_file_that_is_not_a_database_is_refused_with_its_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("garbage.db");
        std::fs::write(&path, vec![0x42u8; 8192]).expect("write");
        let err = Store::open(&path).err().expect("garbage is not a database");
        assert!(err.to_string().contains("garbage.db"), "{err}");
    }
}
