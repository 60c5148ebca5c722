//! `comptoir enroll URL CODE`, `comptoir sync once [--central URL] [--json]` and
//! `comptoir sync status --json`. `sync once` exits 0 when both the push and the pull completed,
//! 1 otherwise, with the reason and what the round did before it failed (the events the central
//! acknowledged by then).

use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::output::{print_json, rfc3339};
use super::{CommandContext, EXIT_NOT_FOUND};
use crate::store::Enrollment;
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

#[derive(Debug, Serialize)]
struct StatusOutput {
    enrolled: bool,
    online: bool,
    waiting: i64,
    last_sync: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    /// Events the central refused, ever: each with its sequence, kind and the central's reason.
    refused: Vec<RefusedOutput>,
}

#[derive(Debug, Serialize)]
struct RefusedOutput {
    seq: i64,
    kind: String,
    reason: String,
}

pub fn status(context: &CommandContext, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let status = engine::status(&store)?;
    let output = StatusOutput {
        enrolled: status.enrolled,
        online: status.online,
        waiting: status.waiting,
        last_sync: status.last_sync.map(rfc3339),
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
        println!(
            "{}, {} events waiting, last sync {}",
            if output.online { "online" } else { "offline" },
            output.waiting,
            output.last_sync.as_deref().unwrap_or("never")
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
