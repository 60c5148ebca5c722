//! Where an instance keeps the chain: the embedded SQLite file in its data directory (the
//! default), or a PostgreSQL database that several instances share (issue 18).
//!
//! The PostgreSQL URL comes from `--database` (or `COMPTOIR_CENTRAL_DATABASE`), or from the file
//! `database.url` in the data directory. The file keeps a password out of the process list
//! (`ps` shows every user the command line) and out of the shell's history; the URL is never
//! logged.

use std::path::{Path, PathBuf};

use crate::CentralError;
use crate::keys::SigningKeys;
use crate::store::{Store, StoreError};

/// The file of a data directory that names its PostgreSQL database.
pub const URL_FILE: &str = "database.url";

/// A [`Database`] once its data directory was read.
enum Resolved<'a> {
    Sqlite(&'a Path),
    Postgres(String),
}

/// An instance's database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Database {
    /// A data directory: `central.db` and `signing.key`, or `database.url`.
    Dir(PathBuf),
    /// A PostgreSQL URL (`postgres://USER@HOST/DB` or `host=… dbname=…`).
    Postgres(String),
}

impl From<&Path> for Database {
    fn from(dir: &Path) -> Database {
        Database::Dir(dir.to_owned())
    }
}

impl From<&PathBuf> for Database {
    fn from(dir: &PathBuf) -> Database {
        Database::Dir(dir.clone())
    }
}

impl From<PathBuf> for Database {
    fn from(dir: PathBuf) -> Database {
        Database::Dir(dir)
    }
}

impl From<&Database> for Database {
    fn from(db: &Database) -> Database {
        db.clone()
    }
}

/// Where the data is, as a message names it: never the URL, which may hold a password.
impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Dir(dir) => write!(f, "{}", dir.display()),
            Database::Postgres(_) => f.write_str("the PostgreSQL database"),
        }
    }
}

impl Database {
    /// Where the data is: a data directory names its PostgreSQL database in `database.url`,
    /// or holds an SQLite central.
    fn resolve(&self) -> Result<Resolved<'_>, CentralError> {
        match self {
            Database::Postgres(url) => Ok(Resolved::Postgres(url.clone())),
            Database::Dir(dir) => {
                let path = dir.join(URL_FILE);
                match std::fs::read_to_string(&path) {
                    Ok(text) => match text.trim() {
                        "" => Err(CentralError::EmptyUrlFile { path }),
                        url => Ok(Resolved::Postgres(url.to_owned())),
                    },
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Resolved::Sqlite(dir)),
                    Err(source) => Err(CentralError::UrlFile { path, source }),
                }
            }
        }
    }

    /// Opens the store (bringing its schema to the latest migration); `create` makes a missing
    /// SQLite data directory and file (a PostgreSQL database is created by its administrator).
    pub fn open(&self, create: bool) -> Result<Store, CentralError> {
        match self.resolve()? {
            Resolved::Postgres(url) => {
                let now = chrono::Utc::now().timestamp();
                Store::open_postgres(&url, now).map_err(|source| {
                    CentralError::Store(match source {
                        StoreError::Sql(e) => StoreError::Connect(e),
                        other => other,
                    })
                })
            }
            Resolved::Sqlite(dir) => Ok(Store::open(dir, create)?),
        }
    }

    /// The chain's signing key: `signing.key` beside an SQLite central, created on first use;
    /// on PostgreSQL, the one row every instance shares.
    pub fn signing_keys(&self, store: &Store) -> Result<SigningKeys, CentralError> {
        match self {
            Database::Dir(dir) if !store.is_postgres() => Ok(SigningKeys::load_or_create(dir)?),
            _ => {
                let now = chrono::Utc::now().timestamp();
                let seed = store.shared_signing_seed(&SigningKeys::fresh_seed()?, now)?;
                Ok(SigningKeys::from_seed(&seed))
            }
        }
    }
}
