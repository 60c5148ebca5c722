//! The sync engine: one round pushes the outbox in batches (acknowledging only what the central
//! answered as durably applied) then pulls the changes page by page; the background task repeats
//! rounds while online and backs off exponentially, with jitter, when not. The store it works on
//! is its own connection on its own thread: it never touches the UI's.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use super::client::{CentralClient, SyncError};
use super::protocol::{MAX_BATCH, PushRequest};
use crate::store::Store;
use crate::store::received::{JournalBreak, PulledPage, Refusal};

/// Events per push request.
pub const PUSH_BATCH: usize = 500;
/// Changes per pull request.
pub const PULL_PAGE: u32 = 5_000;

const LAST_SYNC: &str = "last_sync";
const LAST_ERROR: &str = "last_error";
const LAST_ATTEMPT: &str = "last_attempt";

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub pushed: usize,
    pub acked_seq: i64,
    pub duplicates: u32,
    /// Events the central refused (kept in its quarantine, not applied).
    pub refused: usize,
    pub pulled: usize,
    pub cursor: i64,
    pub waiting: i64,
}

/// The client for the enrolled central, or for `url` when given (e.g. through a proxy).
pub fn client_for(store: &Store, url: Option<&str>) -> Result<CentralClient, SyncError> {
    let enrollment = store.enrollment()?.ok_or(SyncError::NotEnrolled)?;
    CentralClient::new(
        url.unwrap_or(&enrollment.central_url),
        &enrollment.device_id,
        &enrollment.token,
    )
}

/// Asks the enrolled central one on-demand question (a customer, an order, a search) from
/// synchronous code: a client for `store`'s enrollment and a small runtime for the one call.
/// Not enrolled, unreachable or refused: the error says which, and the caller falls back to
/// what the terminal knows.
pub fn ask_central<T, F>(
    store: &Store,
    ask: impl FnOnce(CentralClient) -> F,
) -> Result<T, SyncError>
where
    F: std::future::Future<Output = Result<T, SyncError>>,
{
    let client = client_for(store, None)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SyncError::Unreachable {
            url: client.url().to_owned(),
            reason: e.to_string(),
        })?;
    runtime.block_on(ask(client))
}

/// Pushes every waiting event, noting in `report` what was sent, acknowledged and refused.
pub async fn push_all(
    store: &mut Store,
    client: &CentralClient,
    report: &mut RoundReport,
) -> Result<(), SyncError> {
    loop {
        let events = super::wire::pending_outbox(store, PUSH_BATCH.min(MAX_BATCH))?;
        let Some(first) = events.first().map(|e| e.seq) else {
            return Ok(());
        };
        let count = events.len();
        let answer = client.push(&PushRequest { events }).await?;
        report.pushed += count;
        report.duplicates += answer.duplicates;
        report.acked_seq = report.acked_seq.max(answer.acked_seq);
        if !answer.quarantined.is_empty() {
            // The reasons may quote a customer's data: kept in the store, not logged.
            tracing::warn!(
                refused = answer.quarantined.len(),
                "the central refused events and keeps them in its quarantine"
            );
            let refused: Vec<Refusal> = answer.quarantined.into_iter().map(Refusal::from).collect();
            store.record_refusals(&refused, chrono::Utc::now().timestamp())?;
            report.refused += refused.len();
        }
        store.acknowledge(answer.acked_seq)?;
        if answer.acked_seq < first {
            // Nothing of this batch was taken (the central is missing an earlier event): stop
            // rather than resend the same batch in a loop.
            return Err(SyncError::Refused {
                status: 409,
                message: format!(
                    "the central acknowledged up to {} but this batch starts at {first}",
                    answer.acked_seq
                ),
            });
        }
    }
}

/// Pulls every change after the cursor; `progress(done, total)` after each page.
pub async fn pull_all(
    store: &mut Store,
    client: &CentralClient,
    report: &mut RoundReport,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(), SyncError> {
    let mut total = None;
    loop {
        let cursor = store.pull_cursor()?;
        let page = client.changes(cursor, PULL_PAGE).await?;
        let total = *total.get_or_insert(page.remaining.max(0) as u64);
        let (count, next, more) = (page.changes.len(), page.cursor, page.more);
        store.apply_changes(&PulledPage::from(page))?;
        report.pulled += count;
        report.cursor = next;
        progress(report.pulled as u64, total.max(report.pulled as u64));
        if !more {
            return Ok(());
        }
    }
}

/// A round that failed, with what it did before it failed: the batches the central had
/// acknowledged by then are acknowledged here too, and a report of 0 would hide them.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct RoundFailure {
    pub error: SyncError,
    pub report: RoundReport,
}

/// One push-and-pull round, its outcome recorded in the sync state.
pub async fn sync_round(
    store: &mut Store,
    client: &CentralClient,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<RoundReport, RoundFailure> {
    let mut report = RoundReport::default();
    match record_round(store, client, &mut report, progress).await {
        Ok(()) => Ok(report),
        Err(error) => Err(RoundFailure { error, report }),
    }
}

/// [`sync_round`]'s work, reporting into `report` as it goes.
async fn record_round(
    store: &mut Store,
    client: &CentralClient,
    report: &mut RoundReport,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(), SyncError> {
    let now = chrono::Utc::now().timestamp();
    store.set_sync_value(LAST_ATTEMPT, &now.to_string())?;
    let result = async {
        push_all(store, client, report).await?;
        // What the central holds of our fiscal journal: `journal verify` checks we still reach it.
        let tip = client.journal_tip().await?;
        if let (Some(sequence), Some(hash)) = (tip.sequence, tip.hash) {
            store.set_central_journal_tip(sequence, &hash)?;
        }
        let breaks: Vec<JournalBreak> = tip.breaks.into_iter().map(JournalBreak::from).collect();
        store.set_central_journal_breaks(&breaks)?;
        pull_all(store, client, report, progress).await
    }
    .await;
    report.waiting = store.waiting_events()?;
    match result {
        Ok(()) => {
            store.set_sync_value(LAST_SYNC, &chrono::Utc::now().timestamp().to_string())?;
            store.clear_sync_value(LAST_ERROR)?;
            Ok(())
        }
        Err(error) => {
            store.set_sync_value(LAST_ERROR, &error.to_string())?;
            Err(error)
        }
    }
}

/// What the status bar and `comptoir sync status` show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncStatus {
    pub enrolled: bool,
    /// The last round reached the central and completed.
    pub online: bool,
    pub waiting: i64,
    /// Unix seconds, UTC, of the last completed round.
    pub last_sync: Option<i64>,
    pub last_error: Option<String>,
}

pub fn status(store: &Store) -> Result<SyncStatus, SyncError> {
    let last_error = store.sync_value(LAST_ERROR)?;
    let last_sync = store.sync_value(LAST_SYNC)?.and_then(|v| v.parse().ok());
    let enrolled = store.enrollment()?.is_some();
    Ok(SyncStatus {
        enrolled,
        online: enrolled && last_sync.is_some() && last_error.is_none(),
        waiting: store.waiting_events()?,
        last_sync,
        last_error,
    })
}

/// How long to wait before the next round: `interval` when the last round worked, else an
/// exponential backoff from 1 s to 60 s with ±25 % jitter (so that the terminals of a chain do
/// not all come back at the same instant after an outage).
pub fn next_delay(failures: u32, interval: Duration) -> Duration {
    if failures == 0 {
        return interval;
    }
    let base = Duration::from_secs(1u64 << failures.min(6)).min(Duration::from_secs(60));
    // uuid's v4 bits are already a source of randomness in the build; no extra crate for this.
    let random = (uuid::Uuid::new_v4().as_u128() % 1_000) as f64 / 1_000.0;
    base.mul_f64(0.75 + random * 0.5)
}

/// The background sync task: its own thread and its own connection, on the terminal's one
/// long-lived runtime (`app::central::Central`), whose worker drives its network.
pub struct BackgroundSync {
    stop: Arc<AtomicBool>,
}

impl BackgroundSync {
    /// Starts rounds on `db_path` every `interval`; `on_status` gets the status after each one,
    /// `on_progress(done, total)` the pull's progress during a long one (the first sync of a
    /// large catalogue).
    pub fn spawn(
        runtime: tokio::runtime::Handle,
        db_path: PathBuf,
        interval: Duration,
        on_status: impl Fn(SyncStatus) + Send + 'static,
        on_progress: impl Fn(u64, u64) + Send + 'static,
    ) -> std::io::Result<BackgroundSync> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        thread::Builder::new()
            .name("comptoir-sync".to_owned())
            .spawn(move || {
                // The rounds' SQLite work stays on this thread, so the runtime's worker is free
                // to answer the screens' questions meanwhile.
                runtime.block_on(run(db_path, interval, stopping, on_status, on_progress));
            })?;
        Ok(BackgroundSync { stop })
    }
}

impl Drop for BackgroundSync {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

async fn run(
    db_path: PathBuf,
    interval: Duration,
    stop: Arc<AtomicBool>,
    on_status: impl Fn(SyncStatus),
    on_progress: impl Fn(u64, u64),
) {
    let mut store = match Store::open(&db_path) {
        Ok(store) => store,
        Err(error) => {
            tracing::error!(%error, "sync cannot open the database");
            return;
        }
    };
    let mut failures = 0u32;
    while !stop.load(Ordering::SeqCst) {
        let outcome = match client_for(&store, None) {
            Ok(client) => sync_round(&mut store, &client, &mut |done, total| {
                // Only a pull of several pages is worth a progress display.
                if total > u64::from(PULL_PAGE) {
                    on_progress(done, total);
                }
            })
            .await
            .map(|_| ())
            .map_err(|failure| failure.error),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) => failures = 0,
            Err(SyncError::NotEnrolled) => failures = 0,
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::warn!(%error, failures, "sync round failed");
            }
        }
        if let Ok(status) = status(&store) {
            on_status(status);
        }
        let delay = next_delay(failures, interval);
        let mut slept = Duration::ZERO;
        while slept < delay && !stop.load(Ordering::SeqCst) {
            let step = Duration::from_millis(200).min(delay - slept);
            tokio::time::sleep(step).await;
            slept += step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_minute_with_jitter() {
        let interval = Duration::from_secs(10);
        assert_eq!(next_delay(0, interval), interval);
        for (failures, base) in [(1, 2.0), (3, 8.0), (10, 60.0)] {
            let d = next_delay(failures, interval).as_secs_f64();
            assert!(d >= base * 0.75 && d <= base * 1.25, "{failures}: {d}");
        }
    }
}
