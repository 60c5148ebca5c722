//! The cash drawer's use cases (issue 16, item 5), for the CLI and the screen alike: the opening
//! float, cash in and out with a reason, the X report on screen or on paper, and the drawer kick
//! (ESC p through the receipt printer) after any cash that changes hands. Nothing here formats
//! a sentence for the screen: errors carry figures, the caller words them.

use crate::config::Config;
use crate::devices::printer::{EncodeOptions, PrinterError, encode, open_drawer, print};
pub use crate::domain::drawer::{DENOMINATIONS, DrawerCount, DrawerReport};
use crate::domain::drawer::{DrawerError, Movement, MovementKind};
use crate::domain::money::Cents;
use crate::domain::receipt::layout_x_report;
use crate::store::{Store, StoreError};

/// Why a cash movement was not recorded; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum MovementError {
    /// Not a positive amount, too large, or a cash in/out without a reason.
    #[error(transparent)]
    Invalid(#[from] DrawerError),
    /// The day already has its float (until the day closing).
    #[error("the float of the day is already {} (until the day closing)", Cents::new(*float_cents).format_fr())]
    FloatAlreadySet { float_cents: i64 },
    /// More cash asked out than the drawer should hold.
    #[error("the drawer should hold only {}", Cents::new(*expected_cents).format_fr())]
    NotEnoughCash { expected_cents: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A movement journaled.
#[derive(Debug)]
pub struct MovementRecorded {
    pub movement: Movement,
    /// Its journal sequence.
    pub sequence: i64,
    /// Why the drawer did not open, when a printer is configured and refused the kick. The
    /// cash is journaled either way.
    pub kick_failed: Option<PrinterError>,
}

/// Journals a cash movement of `amount` (a float, cash in or cash out with `reason`), once
/// checked: one float a day, no more cash out than the drawer should hold. Then opens the
/// drawer. `operator` is the staff member's login (`cli` from the command line).
pub fn record_movement(
    store: &mut Store,
    config: &Config,
    operator: &str,
    kind: MovementKind,
    amount: Cents,
    reason: &str,
    now: i64,
) -> Result<MovementRecorded, MovementError> {
    let movement = Movement::new(kind, amount, reason)?;
    let terminal = &config.terminal_id;
    let so_far = store.drawer_report(terminal)?;
    if kind == MovementKind::Float && so_far.movements.iter().any(|m| m.kind == kind) {
        return Err(MovementError::FloatAlreadySet {
            float_cents: so_far.float_cents,
        });
    }
    if kind == MovementKind::Out && movement.amount_cents > so_far.expected_cash_cents {
        return Err(MovementError::NotEnoughCash {
            expected_cents: so_far.expected_cash_cents,
        });
    }
    let span = tracing::info_span!("drawer_movement", kind = kind.as_str());
    let _guard = span.enter();
    let sequence = store.record_drawer_movement(terminal, Some(operator), &movement, now)?;
    tracing::info!(sequence, "drawer movement journaled");
    Ok(MovementRecorded {
        movement,
        sequence,
        kick_failed: kick(config).err(),
    })
}

/// The X report since the last day closing; writes nothing.
pub fn report(store: &Store, config: &Config) -> Result<DrawerReport, StoreError> {
    store.drawer_report(&config.terminal_id)
}

/// Opens the drawer through the receipt printer (ESC p), when a printer is configured: after a
/// cash payment, a cash refund or a cash movement, from the CLI or the screen. The cash is
/// already journaled when this runs, so a printer that does not answer is the caller's to
/// report, never a failure of what was recorded.
pub fn kick(config: &Config) -> Result<(), PrinterError> {
    let Some(settings) = config.printer_settings() else {
        return Ok(());
    };
    let outcome = open_drawer(&settings);
    if let Err(error) = &outcome {
        tracing::warn!(%error, "the cash drawer did not open");
    }
    outcome
}

/// Why the X ticket was not printed.
#[derive(Debug, thiserror::Error)]
pub enum PrintReportError {
    #[error("no receipt printer is configured (printer_port)")]
    NoPrinter,
    #[error(transparent)]
    Printer(#[from] PrinterError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Prints the X report on the receipt printer: the configured one, or the one at `port` (the
/// CLI's `--print PORT`). Writes nothing to the journal: an X report resets nothing.
pub fn print_report(
    store: &Store,
    config: &Config,
    port: Option<&str>,
    now: i64,
) -> Result<DrawerReport, PrintReportError> {
    let settings = match port {
        // The configured printer's settings (baud, columns…) on another port.
        Some(port) => crate::config::Config {
            printer_port: Some(port.to_owned()),
            ..config.clone()
        }
        .printer_settings(),
        None => config.printer_settings(),
    }
    .ok_or(PrintReportError::NoPrinter)?;
    let report = report(store, config)?;
    let lines = layout_x_report(
        &report,
        &config.shop(),
        &config.terminal_id,
        now,
        settings.columns,
    );
    print(&settings, &encode(&lines, &EncodeOptions::default()))?;
    tracing::info!(port = %settings.path, "X report printed");
    Ok(report)
}
