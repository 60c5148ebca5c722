//! Connections to the PostgreSQL server, kept open between requests like the SQLite readers:
//! a request takes an idle one, or opens one while fewer than [`MAX_CONNECTIONS`] are open, or
//! waits for one to come back. The server's own limit (`max_connections`, 100 by default) is
//! shared by every instance of the chain, so each instance keeps to its share.
//!
//! Each connection keeps its prepared statements: a push runs the same few statements for every
//! event, and preparing each again would double its round trips to the server.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use postgres::{Client, Config, IsolationLevel};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Error, Result, StatementCache, Tx};

/// The connections one instance opens at most. Requests beyond them wait: a connection does
/// one transaction at a time, and more would only queue inside the server.
pub const MAX_CONNECTIONS: usize = 16;

/// How long a request waits for a connection before it is answered « busy, retry ».
const WAIT: Duration = Duration::from_secs(10);

/// The file of the certificate authority that signed the PostgreSQL server's certificate, when
/// it is the company's own rather than a public one (PEM).
pub const CA_VAR: &str = "COMPTOIR_CENTRAL_DATABASE_CA";

pub struct PgPool {
    config: Config,
    tls: MakeRustlsConnect,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<PgConn>,
    /// Idle and taken.
    open: usize,
}

/// One open connection and its prepared statements.
pub struct PgConn {
    client: Client,
    cache: StatementCache,
    /// It holds the chain's writer lock ([`PgConn::write`]).
    writing: bool,
    /// It could not give the writer lock back: closed rather than pooled.
    broken: bool,
}

/// The session advisory lock a write transaction holds (any number, the same everywhere).
const WRITER_LOCK: i64 = 0x636f_6d70_7772_6974;

/// A connection taken from the pool, given back when dropped (unless the server closed it).
pub struct Pooled<'p> {
    pool: &'p PgPool,
    conn: Option<PgConn>,
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
            tls: tls()?,
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            returned: Condvar::new(),
        };
        drop(pool.take()?);
        Ok(pool)
    }

    fn state(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An idle connection, or a new one, or the first one given back.
    pub fn take(&self) -> Result<Pooled<'_>> {
        let mut state = self.state();
        loop {
            while let Some(conn) = state.idle.pop() {
                if !conn.client.is_closed() {
                    return Ok(Pooled {
                        pool: self,
                        conn: Some(conn),
                    });
                }
                state.open -= 1;
            }
            if state.open < MAX_CONNECTIONS {
                state.open += 1;
                drop(state);
                return match self.config.connect(self.tls.clone()) {
                    Ok(client) => Ok(Pooled {
                        pool: self,
                        conn: Some(PgConn {
                            client,
                            cache: StatementCache::new(),
                            writing: false,
                            broken: false,
                        }),
                    }),
                    Err(e) => {
                        self.state().open -= 1;
                        self.returned.notify_one();
                        Err(e.into())
                    }
                };
            }
            let (next, timeout) = self
                .returned
                .wait_timeout(state, WAIT)
                .unwrap_or_else(|e| e.into_inner());
            state = next;
            if timeout.timed_out() && state.idle.is_empty() && state.open >= MAX_CONNECTIONS {
                return Err(Error::PoolExhausted);
            }
        }
    }

    fn give_back(&self, conn: PgConn) {
        let mut state = self.state();
        if conn.broken || conn.client.is_closed() {
            state.open -= 1;
        } else {
            state.idle.push(conn);
        }
        drop(state);
        self.returned.notify_one();
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.give_back(conn);
        }
    }
}

impl std::ops::Deref for Pooled<'_> {
    type Target = PgConn;

    fn deref(&self) -> &PgConn {
        self.conn
            .as_ref()
            .expect("a pooled connection until dropped")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut PgConn {
        self.conn
            .as_mut()
            .expect("a pooled connection until dropped")
    }
}

/// Closing a connection blocks on the driver's runtime too (it says goodbye to the server).
impl Drop for PgPool {
    fn drop(&mut self) {
        let idle =
            std::mem::take(&mut self.state.get_mut().unwrap_or_else(|e| e.into_inner()).idle);
        off_async_thread(move || drop(idle));
    }
}

/// TLS as libpq does it: with `sslmode=prefer` (the default) or `require`, the connection is
/// encrypted when the server offers it, and the server's certificate must then be signed by a
/// public authority (webpki's roots) or by the one in [`CA_VAR`]; `sslmode=disable` never
/// encrypts. Built with ring, as the central's SMTP client.
pub fn tls() -> Result<MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = std::env::var_os(CA_VAR).map(PathBuf::from) {
        let unreadable = |why: String| Error::Tls(format!("{}: {why}", path.display()));
        let certs = CertificateDer::pem_file_iter(&path).map_err(|e| unreadable(e.to_string()))?;
        let mut added = 0;
        for cert in certs {
            let cert = cert.map_err(|e| unreadable(e.to_string()))?;
            roots.add(cert).map_err(|e| unreadable(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(unreadable("no certificate in it".into()));
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
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

    /// A write transaction, one at a time in the whole chain: it first takes the writer lock
    /// (a session advisory lock) that every instance's writes take, then begins. Writes run
    /// one after another as on the embedded SQLite central, so what one checks (an event
    /// already applied, a code already used, an order already handed over, a credit already
    /// spent) is what the one before it committed, whichever instance ran it, and rows appended
    /// to the change log commit in the order of their cursors (a terminal paging through it
    /// never moves past one that commits later). Each write is a
    /// few milliseconds of round trips; measured against serializable transactions running
    /// side by side, which conflicted under a rush and had to run again, this does more
    /// pushes a second and answers none « busy » (see the README's benchmarks).
    ///
    /// Give the lock back with [`PgConn::end_write`] once the transaction is over.
    pub fn write(&mut self) -> Result<Tx<'_>> {
        self.client
            .execute("SELECT pg_advisory_lock($1)", &[&WRITER_LOCK])?;
        self.writing = true;
        // Read committed is enough with one writer: nothing else commits a write meanwhile.
        let tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()?;
        Ok(Tx::postgres(tx, &mut self.cache))
    }

    /// Gives the writer lock back after the write transaction ended (committed or not). A
    /// connection that cannot is closed, which gives it back on the server's side.
    pub fn end_write(&mut self) {
        if !self.writing {
            return;
        }
        match self
            .client
            .execute("SELECT pg_advisory_unlock($1)", &[&WRITER_LOCK])
        {
            Ok(_) => self.writing = false,
            Err(_) => self.broken = true,
        }
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
