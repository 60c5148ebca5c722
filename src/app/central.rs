//! The terminal's line to its central: one long-lived tokio runtime that carries the background
//! sync rounds and every on-demand question of the screens (a customer's view, a search, an
//! order, fresh network stock), with one HTTP client whose connections are kept alive between
//! questions. A question blocks its caller ([`Central::ask`], for the app worker) or answers
//! later on the runtime ([`Central::ask_later`], so the screen shows the cache first).
//!
//! The screens never build a runtime, a thread or a connection of their own for the central.

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::store::{Enrollment, Store};
use crate::sync::client::{CentralClient, SyncError};
pub use crate::sync::engine::{BackgroundSync, SyncStatus};

/// A handle on the runtime and the shared client; cheap to clone.
#[derive(Clone)]
pub struct Central {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Option<tokio::runtime::Runtime>,
    /// The client of the current enrollment, built on first use and rebuilt when the
    /// enrollment changes (enrolled, re-enrolled, another central).
    client: Mutex<Option<(EnrollmentKey, CentralClient)>>,
}

#[derive(Clone, PartialEq, Eq)]
struct EnrollmentKey {
    url: String,
    device_id: String,
    token: String,
}

impl From<&Enrollment> for EnrollmentKey {
    fn from(e: &Enrollment) -> Self {
        EnrollmentKey {
            url: e.central_url.clone(),
            device_id: e.device_id.clone(),
            token: e.token.clone(),
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Never block on the way out: a question still waiting for a central that is down
        // must not hold the window's closing.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Central {
    /// Starts the runtime: one worker thread drives the network for everyone.
    pub fn start() -> std::io::Result<Central> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("comptoir-central")
            .enable_all()
            .build()?;
        Ok(Central {
            inner: Arc::new(Inner {
                runtime: Some(runtime),
                client: Mutex::new(None),
            }),
        })
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        // `runtime` is only taken by `Drop`, after the last handle is gone.
        self.inner
            .runtime
            .as_ref()
            .map(tokio::runtime::Runtime::handle)
            .expect("the central runtime lives as long as its handles")
    }

    /// The client for `store`'s enrollment, shared by every question.
    pub fn client(&self, store: &Store) -> Result<CentralClient, SyncError> {
        let enrollment = store.enrollment()?.ok_or(SyncError::NotEnrolled)?;
        let key = EnrollmentKey::from(&enrollment);
        let mut cached = self
            .inner
            .client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((cached_key, client)) = cached.as_ref()
            && *cached_key == key
        {
            return Ok(client.clone());
        }
        let client = CentralClient::new(&key.url, &key.device_id, &key.token)?;
        *cached = Some((key, client.clone()));
        Ok(client)
    }

    /// Asks the central one question and waits for the answer. Not enrolled, unreachable or
    /// refused: the error says which. Call it from a plain thread (the app worker), never from
    /// the runtime itself.
    pub fn ask<T, F>(
        &self,
        store: &Store,
        ask: impl FnOnce(CentralClient) -> F,
    ) -> Result<T, SyncError>
    where
        F: Future<Output = Result<T, SyncError>>,
    {
        let client = self.client(store)?;
        self.handle().block_on(ask(client))
    }

    /// Asks the central one question on the runtime and hands the answer to `then` there, so
    /// that the caller goes on at once. `Err(NotEnrolled)` at once when there is no one to ask.
    pub fn ask_later<T, F>(
        &self,
        store: &Store,
        ask: impl FnOnce(CentralClient) -> F,
        then: impl FnOnce(Result<T, SyncError>) + Send + 'static,
    ) -> Result<(), SyncError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, SyncError>> + Send + 'static,
    {
        let question = ask(self.client(store)?);
        self.handle().spawn(async move { then(question.await) });
        Ok(())
    }

    /// [`Central::ask_later`] for a question whose failure must be told too: `then` always gets
    /// an answer, `Err(NotEnrolled)` at once when there is no one to ask.
    pub fn ask_and_tell<T, F>(
        &self,
        store: &Store,
        ask: impl FnOnce(CentralClient) -> F,
        then: impl FnOnce(Result<T, SyncError>) + Send + 'static,
    ) where
        T: Send + 'static,
        F: Future<Output = Result<T, SyncError>> + Send + 'static,
    {
        match self.client(store) {
            Ok(client) => {
                let question = ask(client);
                self.handle().spawn(async move { then(question.await) });
            }
            Err(error) => then(Err(error)),
        }
    }

    /// Starts the background sync rounds on `db_path` (its own connection) on this runtime.
    pub fn start_sync(
        &self,
        db_path: PathBuf,
        interval: Duration,
        on_status: impl Fn(SyncStatus) + Send + 'static,
        on_progress: impl Fn(u64, u64) + Send + 'static,
    ) -> std::io::Result<BackgroundSync> {
        BackgroundSync::spawn(
            self.handle().clone(),
            db_path,
            interval,
            on_status,
            on_progress,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_without_enrollment_asks_no_one() {
        let central = Central::start().expect("runtime");
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("t.db")).expect("store");
        let asked = central.ask(&store, |client| async move { client.journal_tip().await });
        assert!(matches!(asked, Err(SyncError::NotEnrolled)), "{asked:?}");
        let later = central.ask_later(
            &store,
            |client| async move { client.journal_tip().await },
            |_| panic!("nothing to answer"),
        );
        assert!(matches!(later, Err(SyncError::NotEnrolled)));
    }
}
