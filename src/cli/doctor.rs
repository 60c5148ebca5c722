//! `comptoir doctor [--json]`: checks the configuration, database, disk, devices, clock,
//! enrollment and central, one line each, and what to fix. Exit 0 when nothing fails (warnings
//! allowed), 1 when something needs fixing. It runs even when the configuration does not load:
//! that is then its first finding, so `main` calls it before building the command context.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use super::output::print_json;
use super::{Cli, CommandContext, EXIT_NOT_FOUND};
use crate::app::doctor::{Check, Report, Verdict, examine};
use crate::config::{Config, ConfigError};

/// `comptoir doctor --json`: `{"ok": bool, "checks": [{"name", "verdict", "detail", "fix"}]}`.
#[derive(Debug, Serialize)]
struct DoctorOutput<'a> {
    ok: bool,
    checks: &'a [Check],
}

/// Loads the configuration itself, so that a broken one is reported instead of stopping here.
pub fn run(cli: &Cli, json: bool) -> anyhow::Result<ExitCode> {
    let loaded = Config::load(cli.config.as_deref());
    let db = database(cli.db.as_deref(), &loaded);
    report_on(&loaded, cli.config.as_deref(), &db, json)
}

/// With a configuration that already loaded.
pub fn run_with(context: &CommandContext, json: bool) -> anyhow::Result<ExitCode> {
    report_on(&Ok(context.config.clone()), None, &context.db_path, json)
}

fn report_on(
    loaded: &Result<Config, ConfigError>,
    config_file: Option<&Path>,
    db: &Path,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let report = examine(loaded, config_file, db, chrono::Utc::now().timestamp());
    print(&report, json)?;
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_FOUND)
    })
}

/// `--db` first, then the configuration's, then the default place.
fn database(given: Option<&Path>, loaded: &Result<Config, ConfigError>) -> PathBuf {
    given
        .map(Path::to_path_buf)
        .unwrap_or_else(|| match loaded {
            Ok(config) => config.db_path(),
            Err(_) => crate::config::default_db_path(),
        })
}

fn print(report: &Report, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(&DoctorOutput {
            ok: report.ok(),
            checks: &report.checks,
        });
    }
    for check in &report.checks {
        let mark = match check.verdict {
            Verdict::Ok => "ok     ",
            Verdict::Warning => "warning",
            Verdict::Fail => "FAIL   ",
        };
        println!("{mark} {:<10} {}", check.name, check.detail);
        if let Some(fix) = &check.fix {
            println!("        {:<10} fix: {fix}", "");
        }
    }
    let fails = report.count(Verdict::Fail);
    let warnings = report.count(Verdict::Warning);
    if fails == 0 {
        println!("ready: {} checks, {warnings} warnings", report.checks.len());
    } else {
        println!("needs fixing: {fails} failed, {warnings} warnings");
    }
    Ok(())
}
