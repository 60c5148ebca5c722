//! `comptoir`: the terminal. With no subcommand it opens the screen for the configured mode;
//! otherwise it runs one headless command (see `comptoir --help`). This file only parses
//! arguments, sets up logging and dispatches.

use std::process::ExitCode;

use anyhow::Context;
use clap::FromArgMatches;
use comptoir::cli::{self, Cli};

/// Products in the demo store created on the first start of the screen.
const FIRST_START_DEMO_PRODUCTS: u64 = 20_000;

fn main() -> ExitCode {
    // The grouped help (`cli::help`) is a template on the derived command.
    let cli = match Cli::from_arg_matches(&cli::help::command().get_matches()) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    init_logging();
    match run(&cli) {
        Ok(code) => code,
        Err(error) => cli::failure::report(&error, cli.command.as_ref().is_some_and(|c| c.json())),
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    // The doctor reports a configuration that does not load instead of stopping on it.
    if let Some(cli::Command::Doctor { json }) = &cli.command {
        return cli::doctor::run(cli, *json);
    }
    let context = cli.context()?;
    match &cli.command {
        Some(command) => cli::run(command, &context),
        None => {
            if let Some(missing) = comptoir::ui::missing_display(context.config.mode) {
                anyhow::bail!(missing);
            }
            let mut store = context.open_or_create_store()?;
            // An enrolled terminal gets its catalogue from the central (`comptoir sync once`,
            // then the screen's background sync): demo products must never land in a store's
            // real database, e.g. a kiosk whose service starts before its first sync.
            if store.catalog_is_empty()? && store.enrollment()?.is_none() {
                eprintln!(
                    "first start: creating a demo store of {FIRST_START_DEMO_PRODUCTS} products in {}",
                    context.db_path.display()
                );
                comptoir::app::seed::seed_demo(
                    &mut store,
                    FIRST_START_DEMO_PRODUCTS,
                    chrono::Utc::now().timestamp(),
                    &mut |_, _| {},
                )
                .context("cannot create the demo store")?;
            }
            comptoir::ui::run(&context.config, store)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Logs go to standard error (or `COMPTOIR_LOG_FILE`), filtered by `COMPTOIR_LOG` (e.g. `info`,
/// `comptoir=debug`).
fn init_logging() {
    comptoir::logging::init("COMPTOIR_LOG", "warn");
}
