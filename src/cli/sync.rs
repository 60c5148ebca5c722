//! `comptoir enroll URL CODE`, `comptoir sync once [--central URL] [--json]` and
//! `comptoir sync status --json`. `sync once` exits 0 when both the push and the pull completed,
//! 1 otherwise, with the reason and what the round did before it failed (the events the central
//! acknowledged by then).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::output::{print_json, rfc3339};
use super::{CommandContext, EXIT_NOT_FOUND};
use crate::domain::age::Age;
use crate::store::Enrollment;
use crate::sync::client::SyncError;
use crate::sync::{client, engine};

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the network runtime")
}

pub fn enroll(context: &CommandContext, url: &str, code: &str) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let answer = match runtime()?.block_on(client::enroll(url, code, &context.config.terminal_id)) {
        Ok(answer) => answer,
        Err(error) => {
            eprintln!("enrollment failed: {error}");
            return Ok(ExitCode::from(EXIT_NOT_FOUND));
        }
    };
    if answer.store != context.config.store_code {
        eprintln!(
            "note: the central enrolled this terminal for store {}, the configuration says {} \
             (set store_code = \"{}\")",
            answer.store, context.config.store_code, answer.store
        );
    }
    store.save_enrollment(&Enrollment {
        central_url: url.trim_end_matches('/').to_owned(),
        device_id: answer.device_id.clone(),
        token: answer.token,
        store: answer.store.clone(),
        public_key: answer.public_key,
    })?;
    println!(
        "enrolled as device {} of store {} at {url}",
        answer.device_id, answer.store
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Serialize)]
struct OnceOutput {
    ok: bool,
    pushed: usize,
    acked_seq: i64,
    duplicates: u32,
    /// Events of this round the central refused (kept in its quarantine, not applied).
    refused: usize,
    pulled: usize,
    cursor: i64,
    waiting: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub fn once(
    context: &CommandContext,
    central: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let client = match engine::client_for(&store, central) {
        Ok(client) => client,
        Err(error) => {
            let waiting = store.waiting_events()?;
            report_failure(
                json,
                &error.to_string(),
                &engine::RoundReport::default(),
                waiting,
            )?;
            return Ok(ExitCode::from(EXIT_NOT_FOUND));
        }
    };
    let bar = if json {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(0);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} pulling [{bar:40}] {pos}/{len} changes ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    };
    let result = runtime()?.block_on(engine::sync_round(
        &mut store,
        &client,
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    ));
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            let output = OnceOutput {
                ok: true,
                pushed: report.pushed,
                acked_seq: report.acked_seq,
                duplicates: report.duplicates,
                refused: report.refused,
                pulled: report.pulled,
                cursor: report.cursor,
                waiting: report.waiting,
                error: None,
            };
            if json {
                print_json(&output)?;
            } else {
                println!(
                    "pushed {} events (acknowledged up to {}), pulled {} changes, {} waiting",
                    output.pushed, output.acked_seq, output.pulled, output.waiting
                );
                if output.refused > 0 {
                    println!(
                        "the central refused {} of them (kept in its quarantine): see `comptoir sync status`",
                        output.refused
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            let waiting = store.waiting_events()?;
            report_failure(json, &failure.error.to_string(), &failure.report, waiting)?;
            Ok(ExitCode::from(EXIT_NOT_FOUND))
        }
    }
}

/// Prints a failed round: what it did before failing (the batches the central acknowledged are
/// acknowledged on this terminal too, so reporting 0 would contradict `sync status`), and why.
fn report_failure(
    json: bool,
    reason: &str,
    done: &engine::RoundReport,
    waiting: i64,
) -> anyhow::Result<()> {
    if json {
        print_json(&OnceOutput {
            ok: false,
            pushed: done.pushed,
            acked_seq: done.acked_seq,
            duplicates: done.duplicates,
            refused: done.refused,
            pulled: done.pulled,
            cursor: done.cursor,
            waiting,
            error: Some(reason.to_owned()),
        })?;
    }
    if done.pushed > 0 {
        eprintln!(
            "sync failed after pushing {} events (acknowledged up to {}): {reason}",
            done.pushed, done.acked_seq
        );
    } else {
        eprintln!("sync failed: {reason}");
    }
    Ok(())
}

/// How long `sync status` waits for the central: a status must answer at once; a central that
/// takes longer is as good as unreachable for a terminal about to sell.
const STATUS_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, Serialize)]
struct StatusOutput {
    enrolled: bool,
    /// `true` or `false` from a check made now, `"unknown"` when none was made (`--no-check`).
    /// It once repeated the last round's result, and said `true` with the central down.
    online: serde_json::Value,
    /// `online`, `offline`, `refused` (the central answered and refused this device),
    /// `not_enrolled` or `not_checked`.
    connection: &'static str,
    /// When the central was checked (RFC 3339), if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    checked_at: Option<String>,
    /// Why the check failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    check_error: Option<String>,
    waiting: i64,
    last_sync: Option<String>,
    /// Seconds since the last successful round: how old what the terminal knows is.
    last_sync_age_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    /// Events the central refused, ever: each with its sequence, kind and the central's reason.
    refused: Vec<RefusedOutput>,
}

/// The answer of a live check of the central.
enum Connection {
    NotEnrolled,
    NotChecked,
    Online,
    Offline(String),
    Refused(String),
}

impl Connection {
    /// Asks the enrolled central one small authenticated question within the timeout.
    fn check(store: &crate::store::Store) -> Connection {
        let answer = engine::ask_central(store, |client| async move {
            let url = client.url().to_owned();
            match tokio::time::timeout(STATUS_CHECK_TIMEOUT, client.journal_tip()).await {
                Ok(answer) => answer,
                Err(_) => Err(SyncError::Unreachable {
                    url,
                    reason: format!("no answer within {} s", STATUS_CHECK_TIMEOUT.as_secs()),
                }),
            }
        });
        match answer {
            Ok(_) => Connection::Online,
            Err(SyncError::NotEnrolled) => Connection::NotEnrolled,
            Err(error @ SyncError::Refused { status, .. }) if status == 401 || status == 403 => {
                Connection::Refused(error.to_string())
            }
            Err(error) => Connection::Offline(error.to_string()),
        }
    }

    fn online(&self) -> serde_json::Value {
        match self {
            Connection::Online => true.into(),
            Connection::NotChecked => "unknown".into(),
            _ => false.into(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Connection::NotEnrolled => "not_enrolled",
            Connection::NotChecked => "not_checked",
            Connection::Online => "online",
            Connection::Offline(_) => "offline",
            Connection::Refused(_) => "refused",
        }
    }

    fn error(&self) -> Option<String> {
        match self {
            Connection::Offline(e) | Connection::Refused(e) => Some(e.clone()),
            _ => None,
        }
    }
}

#[derive(Debug, Serialize)]
struct RefusedOutput {
    seq: i64,
    kind: String,
    reason: String,
}

pub fn status(context: &CommandContext, check: bool, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let status = engine::status(&store)?;
    let now = chrono::Utc::now().timestamp();
    let connection = match (status.enrolled, check) {
        (false, _) => Connection::NotEnrolled,
        (true, false) => Connection::NotChecked,
        (true, true) => Connection::check(&store),
    };
    let output = StatusOutput {
        enrolled: status.enrolled,
        online: connection.online(),
        connection: connection.name(),
        checked_at: matches!(
            connection,
            Connection::Online | Connection::Offline(_) | Connection::Refused(_)
        )
        .then(|| rfc3339(now)),
        check_error: connection.error(),
        waiting: status.waiting,
        last_sync: status.last_sync.map(rfc3339),
        last_sync_age_seconds: status.last_sync.map(|at| (now - at).max(0)),
        last_error: status.last_error,
        refused: store
            .refused_events()?
            .into_iter()
            .map(|(seq, kind, reason)| RefusedOutput { seq, kind, reason })
            .collect(),
    };
    if json {
        print_json(&output)?;
    } else {
        let state = match &connection {
            Connection::NotEnrolled => "not enrolled".to_owned(),
            Connection::NotChecked => "not checked (--no-check)".to_owned(),
            Connection::Online => "online (checked now)".to_owned(),
            Connection::Offline(e) => format!("offline (checked now: {e})"),
            Connection::Refused(e) => format!("refused by the central (checked now: {e})"),
        };
        let last_sync = match (&output.last_sync, output.last_sync_age_seconds) {
            (Some(at), Some(age)) => format!("{at} ({})", Age::between(now - age, now).english()),
            _ => "never".to_owned(),
        };
        println!(
            "{state}, {} events waiting, last sync {last_sync}",
            output.waiting
        );
        if let Some(error) = &output.last_error {
            println!("last error: {error}");
        }
        if !output.refused.is_empty() {
            println!(
                "{} event(s) refused by the central (kept in its quarantine, `comptoir-central quarantine`):",
                output.refused.len()
            );
            for r in &output.refused {
                println!("  #{} {}: {}", r.seq, r.kind, r.reason);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
