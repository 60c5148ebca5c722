//! Connections to the PostgreSQL server, kept open between requests like the SQLite readers:
//! a request takes an idle one or opens a new one, and gives it back unless it broke. How many
//! are open at once is bounded by the server's request slots (`listener`), not here.
//!
//! Each connection keeps its prepared statements: a push runs the same few statements for every
//! event, and preparing each again would double its round trips to the server.

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use postgres::{Client, Config, IsolationLevel, NoTls};

use super::{Result, StatementCache, Tx};

/// Connections kept open between requests; more are opened under load and closed afterwards.
const IDLE: usize = 16;

pub struct PgPool {
    config: Config,
    idle: Mutex<Vec<PgConn>>,
}

/// One open connection and its prepared statements.
pub struct PgConn {
    client: Client,
    cache: StatementCache,
}

impl PgPool {
    /// Reads the URL (`postgres://USER@HOST/DB`, or `host=… dbname=…`) and opens a first
    /// connection, so that a wrong address or password is told at start, not at the first push.
    pub fn connect(url: &str) -> Result<PgPool> {
        let mut config = Config::from_str(url)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        if config.get_application_name().is_none() {
            config.application_name("comptoir-central");
        }
        let pool = PgPool {
            config,
            idle: Mutex::new(Vec::new()),
        };
        let first = pool.take()?;
        pool.give_back(first);
        Ok(pool)
    }

    /// An idle connection, or a new one.
    pub fn take(&self) -> Result<PgConn> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match idle {
            Some(conn) if !conn.client.is_closed() => Ok(conn),
            _ => Ok(PgConn {
                client: self.config.connect(NoTls)?,
                cache: StatementCache::new(),
            }),
        }
    }

    /// Keeps `conn` for the next request, unless the server closed it.
    pub fn give_back(&self, conn: PgConn) {
        if conn.client.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < IDLE {
            idle.push(conn);
        }
    }
}

/// Runs `f`, on a thread of its own when this one drives async tasks.
///
/// The driver blocks on a runtime of its own, which tokio forbids on a thread that drives async
/// tasks: a caller there (an async test, a handler without `spawn_blocking`) has it run on a
/// scoped thread rather than panic. tokio cannot tell its `spawn_blocking` threads, where
/// blocking is allowed, from its workers: the server's handlers say so ([`on_blocking_thread`]).
pub fn off_async_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if BLOCKING_THREAD.get() || tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|scope| {
        scope
            .spawn(f)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Closing a connection blocks on the driver's runtime too (it says goodbye to the server).
impl Drop for PgPool {
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|e| e.into_inner()));
        off_async_thread(move || drop(idle));
    }
}

thread_local! {
    static BLOCKING_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` on this thread, which `spawn_blocking` gave: the driver may block here.
pub fn on_blocking_thread<T>(f: impl FnOnce() -> T) -> T {
    let before = BLOCKING_THREAD.replace(true);
    let result = f();
    BLOCKING_THREAD.set(before);
    result
}

impl PgConn {
    /// The connection itself, for what is not a use case (migrations, `copy-to`).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// A write transaction: serializable, so that two instances applying pushes at once
    /// (a double handover, a double spend) conflict instead of both succeeding; the loser is
    /// run again ([`super::Error::is_conflict`]).
    pub fn write(&mut self) -> Result<Tx<'_>> {
        let tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::Serializable)
            .start()?;
        Ok(Tx::postgres(tx, &mut self.cache))
    }

    /// A read transaction: one snapshot for every query of the use case.
    pub fn read(&mut self) -> Result<Tx<'_>> {
        let tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()?;
        Ok(Tx::postgres(tx, &mut self.cache))
    }
}
