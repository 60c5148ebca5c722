//! One SQL surface for the central's two backends (issue 18): the embedded SQLite file and a
//! PostgreSQL server. The use cases (`store`, `pickup`, `credit`, …) write each statement once,
//! in the SQL both understand, with `?N` placeholders, and run it on a [`Tx`]: a transaction of
//! either backend. The surface mirrors rusqlite's (`execute`, `query_row`, `prepare_cached`,
//! `query_map`, `exists`, `optional`), so the statements read as before.
//!
//! What differs between the two is kept here: placeholders (`?N` becomes `$N`), values (SQLite's
//! dynamic types against PostgreSQL's typed columns, [`pg_value`]), prepared-statement caching,
//! and what an error means (a constraint, a conflict to retry, a server gone).

mod pg_pool;
mod pg_value;
mod value;

use std::cell::RefCell;
use std::collections::HashMap;

pub use pg_pool::{
    CA_VAR, MAX_CONNECTIONS, PgConn, PgPool, Pooled, off_async_thread, on_blocking_thread, tls,
};
pub use value::{FromValue, Param, ValueRef};

use pg_value::{PgParam, PgValue};

/// The parameters of a statement: `params![a, b]`, like rusqlite's.
macro_rules! params {
    () => {
        &[] as &[&dyn $crate::sql::Param]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::sql::Param),+] as &[&dyn $crate::sql::Param]
    };
}
pub(crate) use params;

/// A database error. Its message says all the driver said, so it is not also the driver's
/// error's source (an error chain would print the driver's words twice).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Sqlite(rusqlite::Error),
    #[error("{}", describe_pg(.0))]
    Postgres(postgres::Error),
    #[error("the query returned no row")]
    NoRows,
    #[error("every connection to PostgreSQL stayed busy for 10 s")]
    PoolExhausted,
    #[error("the certificate authority for PostgreSQL ({0})")]
    Tls(String),
    #[error("column {column} holds {found} where {expected} was expected")]
    Type {
        column: usize,
        found: &'static str,
        expected: &'static str,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Sqlite(e)
    }
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Error {
        Error::Postgres(e)
    }
}

/// The driver's message with what the server said (its `Display` alone is « db error »). The
/// server's detail is left out: it quotes the row's values, which may be a customer's.
fn describe_pg(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("PostgreSQL {}: {}", db.code().code(), db.message()),
        None => {
            let mut text = format!("PostgreSQL: {error}");
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

impl Error {
    fn pg_state(&self) -> Option<&str> {
        match self {
            Error::Postgres(e) => e.code().map(|c| c.code()),
            _ => None,
        }
    }

    /// The database refused a row (a unique key, a foreign key, a check).
    pub fn is_constraint(&self) -> bool {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::ConstraintViolation
            }
            _ => self.pg_state().is_some_and(|s| s.starts_with("23")),
        }
    }

    /// Another transaction, on this instance or another, changed what this one read: run it
    /// again from the start (PostgreSQL's serializable isolation, or a deadlock).
    pub fn is_conflict(&self) -> bool {
        matches!(self.pg_state(), Some("40001" | "40P01"))
    }

    /// The database cannot answer for now (SQLite locked by another process, the PostgreSQL
    /// server restarting or out of reach): the request can be retried later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            Error::PoolExhausted => true,
            Error::Postgres(e) => match e.code() {
                // admin shutdown, crash shutdown, cannot connect now; connection exceptions.
                Some(code) => {
                    let code = code.code();
                    code.starts_with("08") || code.starts_with("57P")
                }
                None => e.is_closed() || e.as_db_error().is_none(),
            },
            _ => false,
        }
    }
}

/// Prepared statements of one PostgreSQL connection, by their SQL text as written.
pub(crate) type StatementCache = HashMap<String, postgres::Statement>;

/// One transaction, on either backend. Committed by [`Tx::commit`]; dropped, it rolls back.
pub struct Tx<'c> {
    inner: Inner<'c>,
    counter_device: RefCell<String>,
}

enum Inner<'c> {
    Sqlite(rusqlite::Transaction<'c>),
    Pg(RefCell<PgTx<'c>>),
}

struct PgTx<'c> {
    tx: postgres::Transaction<'c>,
    cache: &'c mut StatementCache,
}

impl<'c> Tx<'c> {
    pub fn sqlite(tx: rusqlite::Transaction<'c>) -> Tx<'c> {
        Tx {
            inner: Inner::Sqlite(tx),
            counter_device: RefCell::default(),
        }
    }

    pub(crate) fn postgres(tx: postgres::Transaction<'c>, cache: &'c mut StatementCache) -> Tx<'c> {
        Tx {
            inner: Inner::Pg(RefCell::new(PgTx { tx, cache })),
            counter_device: RefCell::default(),
        }
    }

    /// Counters bumped in this transaction are the device's own rows (`counter.device`): a
    /// push sets it, so two terminals' pushes never write the same counter row. Empty for
    /// what no device did.
    pub fn count_for_device(&self, device: &str) {
        *self.counter_device.borrow_mut() = device.to_owned();
    }

    pub fn counter_device(&self) -> String {
        self.counter_device.borrow().clone()
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.inner, Inner::Pg(_))
    }

    pub fn commit(self) -> Result<()> {
        match self.inner {
            Inner::Sqlite(tx) => Ok(tx.commit()?),
            Inner::Pg(tx) => Ok(tx.into_inner().tx.commit()?),
        }
    }

    /// Ends a transaction that only read.
    pub fn finish(self) -> Result<()> {
        match self.inner {
            Inner::Sqlite(tx) => Ok(tx.finish()?),
            Inner::Pg(tx) => Ok(tx.into_inner().tx.commit()?),
        }
    }

    /// Statements without parameters or results (savepoints, pragmas).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(tx) => Ok(tx.execute_batch(sql)?),
            Inner::Pg(tx) => Ok(tx.borrow_mut().tx.batch_execute(sql)?),
        }
    }

    /// A statement kept prepared for the next time (each backend caches it per connection).
    pub fn prepare_cached<'t>(&'t self, sql: &str) -> Result<Stmt<'t, 'c>> {
        let inner = match &self.inner {
            Inner::Sqlite(tx) => StmtInner::Sqlite(tx.prepare_cached(sql)?),
            Inner::Pg(tx) => {
                let mut pg = tx.borrow_mut();
                let statement = match pg.cache.get(sql) {
                    Some(statement) => statement.clone(),
                    None => {
                        let statement = pg.tx.prepare(&pg_placeholders(sql))?;
                        pg.cache.insert(sql.to_owned(), statement.clone());
                        statement
                    }
                };
                StmtInner::Pg(PgStmt { statement, tx })
            }
        };
        Ok(Stmt { inner })
    }

    /// The same as [`Tx::prepare_cached`]: a statement built once at run time (a search with
    /// its words) is cached too, and there are few of them.
    pub fn prepare<'t>(&'t self, sql: &str) -> Result<Stmt<'t, 'c>> {
        self.prepare_cached(sql)
    }

    pub fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    pub fn query_row<T>(
        &self,
        sql: &str,
        params: &[&dyn Param],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// A prepared statement of a [`Tx`].
pub struct Stmt<'t, 'c> {
    inner: StmtInner<'t, 'c>,
}

enum StmtInner<'t, 'c> {
    Sqlite(rusqlite::CachedStatement<'t>),
    Pg(PgStmt<'t, 'c>),
}

/// A PostgreSQL statement and the transaction it runs in.
struct PgStmt<'t, 'c> {
    statement: postgres::Statement,
    tx: &'t RefCell<PgTx<'c>>,
}

impl PgStmt<'_, '_> {
    fn rows(&self, params: &[&dyn Param]) -> Result<Vec<postgres::Row>> {
        let values = pg_params(params);
        Ok(self
            .tx
            .borrow_mut()
            .tx
            .query(&self.statement, &pg_refs(&values))?)
    }

    fn execute(&self, params: &[&dyn Param]) -> Result<u64> {
        let values = pg_params(params);
        Ok(self
            .tx
            .borrow_mut()
            .tx
            .execute(&self.statement, &pg_refs(&values))?)
    }
}

fn sqlite_params<'p>(
    params: &'p [&'p dyn Param],
) -> rusqlite::ParamsFromIter<impl Iterator<Item = SqliteParam<'p>>> {
    rusqlite::params_from_iter(params.iter().map(|p| SqliteParam(p.value())))
}

fn pg_params<'p>(params: &'p [&'p dyn Param]) -> Vec<PgParam<'p>> {
    params.iter().map(|p| PgParam(p.value())).collect()
}

fn pg_refs<'a>(params: &'a [PgParam<'_>]) -> Vec<&'a (dyn postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| p as &(dyn postgres::types::ToSql + Sync))
        .collect()
}

impl Stmt<'_, '_> {
    /// Runs the statement; the number of rows it changed.
    pub fn execute(&mut self, params: &[&dyn Param]) -> Result<usize> {
        match &mut self.inner {
            StmtInner::Sqlite(stmt) => Ok(stmt.execute(sqlite_params(params))?),
            StmtInner::Pg(stmt) => Ok(usize::try_from(stmt.execute(params)?).unwrap_or(usize::MAX)),
        }
    }

    /// Each row through `f`, in order. The PostgreSQL rows are all fetched before `f` runs, so
    /// `f` may query the same transaction.
    pub fn query_map<T>(
        &mut self,
        params: &[&dyn Param],
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let mut out = Vec::new();
        match &mut self.inner {
            StmtInner::Sqlite(stmt) => {
                let mut rows = stmt.query(sqlite_params(params))?;
                while let Some(row) = rows.next()? {
                    out.push(f(&Row(RowRef::Sqlite(row))));
                }
            }
            StmtInner::Pg(stmt) => {
                for row in stmt.rows(params)? {
                    out.push(f(&Row(RowRef::Pg(&row))));
                }
            }
        }
        Ok(out.into_iter())
    }

    /// The first row through `f`; [`Error::NoRows`] when there is none.
    pub fn query_row<T>(
        &mut self,
        params: &[&dyn Param],
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        match &mut self.inner {
            StmtInner::Sqlite(stmt) => {
                let mut rows = stmt.query(sqlite_params(params))?;
                match rows.next()? {
                    Some(row) => f(&Row(RowRef::Sqlite(row))),
                    None => Err(Error::NoRows),
                }
            }
            StmtInner::Pg(stmt) => match stmt.rows(params)?.first() {
                Some(row) => f(&Row(RowRef::Pg(row))),
                None => Err(Error::NoRows),
            },
        }
    }

    pub fn exists(&mut self, params: &[&dyn Param]) -> Result<bool> {
        match &mut self.inner {
            StmtInner::Sqlite(stmt) => Ok(stmt.exists(sqlite_params(params))?),
            StmtInner::Pg(stmt) => Ok(!stmt.rows(params)?.is_empty()),
        }
    }
}

/// A row of a result.
pub struct Row<'r>(RowRef<'r>);

enum RowRef<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Pg(&'r postgres::Row),
}

/// A column's position (columns are read by position, as in rusqlite).
pub trait ColumnIndex {
    fn index(self) -> usize;
}

impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl Row<'_> {
    pub fn get<I: ColumnIndex, T: FromValue>(&self, idx: I) -> Result<T> {
        let column = idx.index();
        match self.0 {
            RowRef::Sqlite(row) => {
                let value = match row.get_ref(column)? {
                    rusqlite::types::ValueRef::Null => ValueRef::Null,
                    rusqlite::types::ValueRef::Integer(i) => ValueRef::Int(i),
                    rusqlite::types::ValueRef::Real(r) => ValueRef::Real(r),
                    rusqlite::types::ValueRef::Text(t) => match std::str::from_utf8(t) {
                        Ok(text) => ValueRef::Text(text),
                        Err(_) => {
                            return Err(Error::Type {
                                column,
                                found: "a text that is not UTF-8",
                                expected: T::EXPECTED,
                            });
                        }
                    },
                    rusqlite::types::ValueRef::Blob(b) => ValueRef::Blob(b),
                };
                value::convert(column, value)
            }
            RowRef::Pg(row) => {
                let value: PgValue<'_> = row.try_get(column)?;
                value::convert(column, value.0)
            }
        }
    }
}

/// A parameter as rusqlite takes it.
struct SqliteParam<'a>(ValueRef<'a>);

impl rusqlite::ToSql for SqliteParam<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef as V};
        Ok(ToSqlOutput::Borrowed(match self.0 {
            ValueRef::Null => V::Null,
            ValueRef::Int(i) => V::Integer(i),
            ValueRef::Real(r) => V::Real(r),
            ValueRef::Text(t) => V::Text(t.as_bytes()),
            ValueRef::Blob(b) => V::Blob(b),
        }))
    }
}

/// `.optional()` on a query's result: no row is `None`, like rusqlite's.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(Error::NoRows) => Ok(None),
            Err(Error::Sqlite(rusqlite::Error::QueryReturnedNoRows)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// SQLite's placeholders in PostgreSQL's spelling: `?N` is `$N`, and a bare `?` takes the
/// number after the largest so far, as SQLite numbers it. Text in quotes is left alone.
pub fn pg_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    let mut largest = 0u32;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                out.push(c);
            }
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = digits.parse::<u32>().unwrap_or(largest + 1);
                largest = largest.max(n);
                out.push('$');
                out.push_str(&n.to_string());
            }
            (None, c) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_as_sqlite_numbers_them() {
        assert_eq!(
            pg_placeholders("SELECT a FROM t WHERE b = ?2 AND c = ?1"),
            "SELECT a FROM t WHERE b = $2 AND c = $1"
        );
        assert_eq!(
            pg_placeholders("WHERE (k >= ? AND k < ?) OR x = ?5 OR y = ?"),
            "WHERE (k >= $1 AND k < $2) OR x = $5 OR y = $6"
        );
        assert_eq!(
            pg_placeholders("SELECT '?' || \"a?\" FROM t WHERE v = ?1"),
            "SELECT '?' || \"a?\" FROM t WHERE v = $1"
        );
    }

    #[test]
    fn the_same_statements_run_on_sqlite_through_the_surface() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("memory");
        let tx = Tx::sqlite(conn.transaction().expect("tx"));
        tx.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, key BLOB, n INTEGER)")
            .expect("table");
        let key = [7u8; 32];
        let none: Option<&str> = None;
        tx.execute(
            "INSERT INTO t (name, key, n) VALUES (?1, ?2, ?3), (?4, ?2, ?3)",
            params!["a", key, 3u32, none],
        )
        .expect("insert");
        let rows: Vec<(Option<String>, [u8; 32], bool)> = tx
            .prepare_cached("SELECT name, key, n FROM t ORDER BY id")
            .expect("prepare")
            .query_map(params![], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .expect("query")
            .collect::<Result<_>>()
            .expect("rows");
        assert_eq!(rows, vec![(Some("a".into()), key, true), (None, key, true)]);
        let missing = tx
            .query_row("SELECT n FROM t WHERE name = ?1", params!["zz"], |row| {
                row.get::<_, i64>(0)
            })
            .optional()
            .expect("query");
        assert_eq!(missing, None);
        let sum: i64 = tx
            .query_row("SELECT SUM(n) FROM t", params![], |row| row.get(0))
            .expect("sum");
        assert_eq!(sum, 6);
        tx.commit().expect("commit");
    }
}
