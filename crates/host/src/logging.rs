//! Logging for both binaries: `tracing` to standard error, or appended to the file named by
//! `COMPTOIR_LOG_FILE` (a kiosk's journal, or the test suite's log folder that the personal-data
//! check reads). Personal data never goes into a log line: ids and counts only.

use std::io::IsTerminal;
use std::sync::Mutex;

/// The variable naming a log file to append to instead of standard error.
pub const LOG_FILE_VAR: &str = "COMPTOIR_LOG_FILE";

/// Installs the global subscriber; `filter_var` holds the filter (e.g. `COMPTOIR_LOG`),
/// `default` applies without it.
pub fn init(filter_var: &str, default: &str) {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env(filter_var)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Whatever the filter asks: below info, the PostgreSQL driver logs each statement with its
    // parameters (a customer's e-mail, a search).
    for quiet in ["tokio_postgres=warn", "postgres=warn"] {
        if let Ok(directive) = quiet.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let file = std::env::var_os(LOG_FILE_VAR).and_then(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| {
                eprintln!(
                    "cannot open the log file {}: {e}; logging to standard error",
                    std::path::Path::new(&path).display()
                );
            })
            .ok()
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match file {
        Some(file) => builder
            .with_ansi(false)
            .with_writer(Mutex::new(file))
            .init(),
        None => builder
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .init(),
    }
}
