//! The terminal's SQLite database: the only module that speaks SQL.
//!
//! [`Store::open`] creates the file when needed, sets the pragmas (WAL so that readers never wait
//! for the writer, foreign keys on, a busy timeout) and runs the versioned migrations in
//! `migrations/`. A released migration is never edited; a change is a new file. Each use case gets
//! one write transaction, so a crash leaves either all of it or none.

mod catalog;
mod closing;
mod customers;
mod demo_load;
mod journal;
mod outbox;
mod pickup;
mod pull;
mod sales;
mod search;
mod staff;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite_migration::{M, Migrations};

pub use catalog::{PRODUCT_BY_GTIN_SQL, STOCK_BY_GTIN_SQL};
pub use closing::{ClosingPeriod, ClosingReport};
pub use customers::CachedCustomer;
pub use demo_load::DemoLoader;
pub use journal::{ChainTip, ClosingRow, EntryDraft, Verification};
pub use outbox::Enrollment;
pub use pickup::{NewReturn, PickupOrder, RecordedReturn};
pub use sales::{NewSale, RecordedSale, SaleCustomer, StoredSale, ticket_number};
pub use search::{SEARCH_SQL, SearchExpressions};
pub use staff::StaffAccount;

/// Every migration, in order. Append only.
static MIGRATIONS: LazyLock<Migrations<'static>> = LazyLock::new(|| {
    Migrations::new(vec![
        M::up(include_str!("migrations/0001_catalog.sql")),
        M::up(include_str!("migrations/0002_sales.sql")),
        M::up(include_str!("migrations/0003_journal.sql")),
        M::up(include_str!("migrations/0004_sync.sql")),
        M::up(include_str!("migrations/0005_clienteling.sql")),
        M::up(include_str!("migrations/0006_pickup.sql")),
    ])
});

/// An error of the database layer, with what an operator needs to act on it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
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
    #[error("cannot bring the database {path} up to date: {source}")]
    Migrate {
        path: PathBuf,
        source: rusqlite_migration::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the database holds a value it should not: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open terminal database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Locations by id (a handful of rows, read on every scan).
    locations: RefCell<HashMap<i64, catalog::Location>>,
}

impl Store {
    /// Opens (or creates) the database at `path` and migrates it to the current schema.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_owned(),
                source,
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
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
        MIGRATIONS
            .to_latest(&mut conn)
            .map_err(|source| StoreError::Migrate {
                path: path.to_owned(),
                source,
            })?;
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
                source,
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
        assert_eq!(store.schema_version().expect("version"), 6);
        assert_eq!(store.pending_migrations().expect("pending"), 0);
        drop(store);
        let store = Store::open(&path).expect("reopen");
        assert_eq!(store.schema_version().expect("version"), 6);
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
