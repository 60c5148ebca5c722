//! How a command says no, under one rule (README: 0 ok, 1 refused or failed, 2 usage):
//!
//! - a refusal or failure exits 1, with its message once on standard error and, for a `--json`
//!   command, `{"error": "…"}` on standard output too, so a script always gets JSON;
//! - a usage error (a value the command line itself gets wrong, such as `X*abc`) exits 2, as
//!   clap's own usage errors do.
//!
//! Commands whose JSON already carries their "no" (`parse`, `loyalty verify`, `journal verify`,
//! `sync once`…) keep printing their own object.

use std::process::ExitCode;

use super::output::print_json;

/// Exit status of a usage error (clap's).
pub const EXIT_USAGE: u8 = 2;

/// A value on the command line that is wrong in itself: exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The command's failure as JSON: `{"error": "…"}`.
#[derive(Debug, serde::Serialize)]
struct ErrorOutput<'a> {
    error: &'a str,
}

/// Prints `message` on standard error and, with `json`, as `{"error": …}` on standard output;
/// the exit status 1.
pub fn refuse(json: bool, message: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    let message = message.to_string();
    eprintln!("{message}");
    if json {
        print_json(&ErrorOutput { error: &message })?;
    }
    Ok(ExitCode::from(super::EXIT_NOT_FOUND))
}

/// What `main` does with an error a command returned: the exit status (2 for a usage error, else
/// 1), the message on standard error and, with `json`, on standard output as JSON.
pub fn report(error: &anyhow::Error, json: bool) -> ExitCode {
    eprintln!("error: {error:#}");
    if json {
        // Best effort: the message is already on standard error.
        let _ = print_json(&ErrorOutput {
            error: &format!("{error:#}"),
        });
    }
    if error.downcast_ref::<UsageError>().is_some() {
        ExitCode::from(EXIT_USAGE)
    } else {
        ExitCode::FAILURE
    }
}
