//! `comptoir seed --products N [--json]`: the demo store, with a progress bar on a terminal.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::CommandContext;
use super::output::print_json;
use crate::app::seed::{SeedReport, seed_demo};
use crate::store::Store;

#[derive(Debug, Serialize)]
struct SeedOutput {
    db: String,
    products: u64,
    locations: u64,
    stock_rows: u64,
    customers: u64,
    staff: u64,
    seconds: f64,
}

pub fn run(context: &CommandContext, products: u64, json: bool) -> anyhow::Result<ExitCode> {
    // Seeding creates a store: an empty file given to it is taken as a new one (every other
    // command refuses it, as a store that may have been truncated).
    context.refuse_directory()?;
    let mut store = Store::open_to_seed(&context.db_path)
        .with_context(|| format!("cannot use the database {}", context.db_path.display()))?;
    let started = Instant::now();
    // indicatif draws only when standard error is a terminal; JSON callers get no bar at all.
    let bar = if json {
        ProgressBar::with_draw_target(Some(products), ProgressDrawTarget::hidden())
    } else {
        ProgressBar::new(products)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} seeding [{bar:40}] {pos}/{len} products ({per_sec}, {eta} left)",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let report = seed_demo(
        &mut store,
        products,
        chrono::Utc::now().timestamp(),
        &mut |done, _| bar.set_position(done),
    )
    .with_context(|| format!("cannot seed {}", context.db_path.display()))?;
    bar.finish_and_clear();
    print_report(context, &report, started.elapsed().as_secs_f64(), json)?;
    Ok(ExitCode::SUCCESS)
}

fn print_report(
    context: &CommandContext,
    report: &SeedReport,
    seconds: f64,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        print_json(&SeedOutput {
            db: context.db_path.display().to_string(),
            products: report.products,
            locations: report.locations,
            stock_rows: report.stock_rows,
            customers: report.customers,
            staff: report.staff,
            seconds: (seconds * 10.0).round() / 10.0,
        })
    } else {
        println!(
            "seeded {} products, {} stock levels at {} locations and {} customers into {} in {:.1} s",
            report.products,
            report.stock_rows,
            report.locations,
            report.customers,
            context.db_path.display(),
            seconds
        );
        Ok(())
    }
}
