//! `comptoir-central --data DIR copy-to postgres://…`: a shop that grows moves its central from
//! the embedded SQLite file to a PostgreSQL server and keeps its history. The target must be
//! empty: the schema is created there ([`super::schema`]), every table is copied row for row
//! with PostgreSQL's binary `COPY`, in one transaction, and then verified: each table's count on
//! both sides, and each terminal's last fiscal journal entry (sequence and hash) read back from
//! PostgreSQL. Nothing is written to the SQLite central.

use std::collections::BTreeMap;
use std::path::Path;

use postgres::Client;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use super::{PgError, schema};
use crate::store::{DB_FILE, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the SQLite central cannot be read")]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error("cannot connect to the PostgreSQL database")]
    Connect(#[source] postgres::Error),
    #[error("{0}")]
    Tls(String),
    #[error(
        "the PostgreSQL database is not empty (it has the central's schema, version {version}): copy into a new, empty database"
    )]
    NotEmpty { version: i64 },
    #[error("table {table}, column {column}: a {found} value where PostgreSQL has {expected}")]
    Value {
        table: String,
        column: String,
        found: &'static str,
        expected: String,
    },
    #[error(transparent)]
    Key(#[from] crate::keys::KeyError),
    #[error("the copy does not match the SQLite central: {0}")]
    Mismatch(String),
}

impl From<postgres::Error> for CopyError {
    fn from(error: postgres::Error) -> Self {
        CopyError::Pg(PgError::Postgres(error))
    }
}

/// What was copied and checked, as `copy-to --json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    /// The PostgreSQL schema version written.
    pub schema_version: i64,
    /// Every table with its rows, in the order copied (the same count on both sides).
    pub tables: Vec<TableCopied>,
    pub rows: u64,
    /// Each terminal's last journal entry, the same in SQLite and in PostgreSQL.
    pub journals: Vec<JournalTipChecked>,
    /// The signing key went with the data (the codes it signed still verify).
    pub signing_key: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableCopied {
    pub table: String,
    pub rows: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JournalTipChecked {
    pub device: String,
    pub sequence: i64,
    pub hash: String,
}

/// A table of the SQLite central and its columns, in its own order.
struct Table {
    name: String,
    columns: Vec<String>,
}

/// Copies the SQLite central in `data_dir` into the empty PostgreSQL database at `url`.
pub fn copy_to(data_dir: &Path, url: &str, now: i64) -> Result<CopyReport, CopyError> {
    // Opening it brings the SQLite schema to its latest migration, the one PostgreSQL's mirrors.
    drop(Store::open(data_dir, false)?);
    let sqlite = Connection::open_with_flags(
        data_dir.join(DB_FILE),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // One snapshot of the SQLite central for the copy and its check, even if it is serving.
    sqlite.execute_batch("BEGIN")?;
    let tls = crate::sql::tls().map_err(|e| CopyError::Tls(e.to_string()))?;
    let mut pg = Client::connect(url, tls).map_err(CopyError::Connect)?;
    let version = schema::version(&mut pg)?;
    if version != 0 {
        return Err(CopyError::NotEmpty { version });
    }
    schema::migrate(&mut pg, now)?;
    let mut tables = tables(&sqlite)?;
    // The tables where PostgreSQL spells out SQLite's implicit rowid (its order is kept).
    let with_rowid: Vec<String> = pg
        .query(
            "SELECT table_name::text FROM information_schema.columns
             WHERE table_schema = 'public' AND column_name = 'rowid'",
            &[],
        )?
        .into_iter()
        .map(|row| row.get(0))
        .collect();
    for table in &mut tables {
        if with_rowid.contains(&table.name) {
            table.columns.push("rowid".to_owned());
        }
    }

    let mut tx = pg.transaction()?;
    let mut copied = Vec::with_capacity(tables.len());
    for table in &tables {
        let rows = copy_table(&sqlite, &mut tx, table)?;
        copied.push(TableCopied {
            table: table.name.clone(),
            rows,
        });
    }
    advance_identities(&mut tx)?;
    let signing_key = copy_signing_key(data_dir, &mut tx, now)?;
    tx.commit()?;

    for (table, done) in tables.iter().zip(&copied) {
        let there: i64 = pg
            .query_one(&format!("SELECT count(*) FROM {}", table.name), &[])?
            .get(0);
        if u64::try_from(there).ok() != Some(done.rows) {
            return Err(CopyError::Mismatch(format!(
                "{} has {} rows in SQLite and {there} in PostgreSQL",
                table.name, done.rows
            )));
        }
    }
    let journals = journal_tips_sqlite(&sqlite)?;
    let in_pg = journal_tips_pg(&mut pg)?;
    if journals != in_pg {
        return Err(CopyError::Mismatch(
            "the terminals' last journal entries differ".to_owned(),
        ));
    }
    sqlite.execute_batch("COMMIT")?;
    if signing_key {
        let there: Vec<u8> = pg
            .query_one("SELECT seed FROM signing_key WHERE id = 1", &[])?
            .get(0);
        let here = crate::keys::SigningKeys::load_or_create(data_dir)?.seed();
        if there != here {
            return Err(CopyError::Mismatch("the signing key differs".to_owned()));
        }
    }
    // The planner's statistics, and the visibility map that lets the first pulls count what is
    // left by the index alone (400 ms a page of a 1M-product pull without it): autovacuum would
    // get there, but hours later on a big central.
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    pg.batch_execute(&format!("VACUUM (ANALYZE) {}", names.join(", ")))?;
    Ok(CopyReport {
        schema_version: schema::latest(),
        rows: copied.iter().map(|t| t.rows).sum(),
        tables: copied,
        journals,
        signing_key,
    })
}

/// The central's tables in the order they were created (a table is created after those it
/// refers to), with their columns.
fn tables(sqlite: &Connection) -> Result<Vec<Table>, CopyError> {
    let names: Vec<String> = sqlite
        .prepare(
            "SELECT name FROM sqlite_schema
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut tables = Vec::with_capacity(names.len());
    for name in names {
        let columns = sqlite
            .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?
            .query_map([&name], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        tables.push(Table { name, columns });
    }
    // `stock` was rebuilt by a later migration: it comes last in SQLite's order but refers only
    // to `location`, so its place is harmless; the others are in creation order.
    Ok(tables)
}

fn copy_table(
    sqlite: &Connection,
    tx: &mut postgres::Transaction<'_>,
    table: &Table,
) -> Result<u64, CopyError> {
    let columns = table.columns.join(", ");
    // The column types PostgreSQL gives them, which the binary COPY must write.
    let types: Vec<Type> = tx
        .prepare(&format!("SELECT {columns} FROM {} LIMIT 0", table.name))?
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();
    let sink = tx.copy_in(&format!(
        "COPY {} ({columns}) FROM STDIN BINARY",
        table.name
    ))?;
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    let mut select = sqlite.prepare(&format!("SELECT {columns} FROM {}", table.name))?;
    let mut rows = select.query([])?;
    let mut count = 0u64;
    while let Some(row) = rows.next()? {
        let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(types.len());
        for (i, ty) in types.iter().enumerate() {
            values.push(
                value(row.get_ref(i)?, ty).map_err(|found| CopyError::Value {
                    table: table.name.clone(),
                    column: table.columns[i].clone(),
                    found,
                    expected: ty.name().to_owned(),
                })?,
            );
        }
        let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v.as_ref()).collect();
        writer.write(&refs)?;
        count += 1;
    }
    writer.finish()?;
    Ok(count)
}

/// One SQLite value as the PostgreSQL column's type; `Err` names what SQLite held instead.
fn value(value: ValueRef<'_>, ty: &Type) -> Result<Box<dyn ToSql + Sync>, &'static str> {
    Ok(match (value, ty) {
        (ValueRef::Null, &Type::INT8) => Box::new(None::<i64>),
        (ValueRef::Null, &Type::TEXT) => Box::new(None::<String>),
        (ValueRef::Null, &Type::BYTEA) => Box::new(None::<Vec<u8>>),
        (ValueRef::Null, &Type::FLOAT8) => Box::new(None::<f64>),
        (ValueRef::Integer(i), &Type::INT8) => Box::new(Some(i)),
        (ValueRef::Real(r), &Type::FLOAT8) => Box::new(Some(r)),
        (ValueRef::Text(t), &Type::TEXT) => Box::new(Some(
            std::str::from_utf8(t)
                .map_err(|_| "text that is not UTF-8")?
                .to_owned(),
        )),
        (ValueRef::Blob(b), &Type::BYTEA) => Box::new(Some(b.to_vec())),
        (ValueRef::Null, _) => return Err("NULL"),
        (ValueRef::Integer(_), _) => return Err("integer"),
        (ValueRef::Real(_), _) => return Err("real"),
        (ValueRef::Text(_), _) => return Err("text"),
        (ValueRef::Blob(_), _) => return Err("blob"),
    })
}

/// The identity columns (SQLite's rowid keys) go on after the highest copied id.
fn advance_identities(tx: &mut postgres::Transaction<'_>) -> Result<(), CopyError> {
    let identities = tx.query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND is_identity = 'YES'",
        &[],
    )?;
    for row in identities {
        let (table, column): (String, String) = (row.get(0), row.get(1));
        tx.execute(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                               coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
            ),
            &[],
        )?;
    }
    Ok(())
}

/// The chain's signing key, so that the codes it signed (loyalty cards, pickup codes) still
/// verify on the terminals, which keep its public half: false when the central never made one.
fn copy_signing_key(
    data_dir: &Path,
    tx: &mut postgres::Transaction<'_>,
    now: i64,
) -> Result<bool, CopyError> {
    let path = data_dir.join(crate::keys::KEY_FILE);
    if !path.exists() {
        return Ok(false);
    }
    let keys = crate::keys::SigningKeys::load_or_create(data_dir)?;
    tx.execute(
        "INSERT INTO signing_key (id, seed, created_at) VALUES (1, $1, $2)",
        &[&keys.seed().as_slice(), &now],
    )?;
    Ok(true)
}

/// Each device's last journal entry (sequence and hash), from the events it pushed.
fn last_entries(
    rows: impl Iterator<Item = (String, String)>,
) -> Result<Vec<JournalTipChecked>, CopyError> {
    let mut last: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for (device, payload) in rows {
        let entry: comptoir_protocol::JournalPayload =
            serde_json::from_str(&payload).map_err(|e| {
                CopyError::Mismatch(format!("a journal entry of {device} does not read: {e}"))
            })?;
        let keep = last
            .get(&device)
            .is_none_or(|(seq, _)| entry.sequence > *seq);
        if keep {
            last.insert(device, (entry.sequence, entry.hash));
        }
    }
    Ok(last
        .into_iter()
        .map(|(device, (sequence, hash))| JournalTipChecked {
            device,
            sequence,
            hash,
        })
        .collect())
}

const JOURNAL_EVENTS: &str = "SELECT device, payload FROM event WHERE kind = 'journal_entry'";

fn journal_tips_sqlite(sqlite: &Connection) -> Result<Vec<JournalTipChecked>, CopyError> {
    let rows: Vec<(String, String)> = sqlite
        .prepare(JOURNAL_EVENTS)?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    last_entries(rows.into_iter())
}

fn journal_tips_pg(pg: &mut Client) -> Result<Vec<JournalTipChecked>, CopyError> {
    let rows = pg.query(JOURNAL_EVENTS, &[])?;
    last_entries(rows.into_iter().map(|row| (row.get(0), row.get(1))))
}
