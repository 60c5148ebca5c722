//! `comptoir receipt TICKET [--print PORT] [--text]`: a receipt again, marked « DUPLICATA » and
//! journaled; printed on the ESC/POS printer at PORT, or shown as text. `comptoir receipt
//! TICKET --email [ADDR]`: the receipt queued for the central to e-mail.

use std::process::ExitCode;

use super::{CommandContext, EXIT_NOT_FOUND};
use crate::app::receipt::{ReceiptError, duplicate, send_by_email};
use crate::devices::printer::{PrinterSettings, print_receipt};
use crate::domain::receipt::{layout, to_text};
use crate::store::TypedEmail;

pub fn run(
    context: &CommandContext,
    ticket: &str,
    print: Option<&str>,
    text: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let config = &context.config;
    let receipt = match duplicate(
        &mut store,
        ticket,
        config.shop(),
        &config.terminal_id,
        "cli",
        chrono::Utc::now().timestamp(),
    ) {
        Ok(receipt) => receipt,
        Err(ReceiptError::Store(e)) => return Err(e.into()),
        Err(error) => {
            eprintln!("{error}");
            return Ok(ExitCode::from(EXIT_NOT_FOUND));
        }
    };
    if text || print.is_none() {
        print!("{}", to_text(&layout(&receipt, config.printer_columns)));
    }
    if let Some(port) = print {
        let settings = PrinterSettings {
            path: port.to_owned(),
            ..config.printer_settings().unwrap_or_default()
        };
        if let Err(error) = print_receipt(&settings, &receipt) {
            eprintln!("the receipt was not printed: {error}");
            return Ok(ExitCode::from(EXIT_NOT_FOUND));
        }
        eprintln!("duplicate of {ticket} printed on {port}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Queues the receipt of `ticket` for the central to e-mail: to the sale's customer when
/// `address` is empty, else to `address` (never printed nor logged here).
pub fn email(
    context: &CommandContext,
    ticket: &str,
    address: &str,
    keep: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let typed = (!address.trim().is_empty()).then_some(TypedEmail { address, keep });
    match send_by_email(&mut store, ticket, typed, chrono::Utc::now().timestamp()) {
        Ok(()) => {
            println!(
                "receipt {ticket} queued for e-mail: the central sends it after the next sync"
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ReceiptError::Store(e)) => Err(e.into()),
        Err(error) => {
            eprintln!("{error}");
            Ok(ExitCode::from(EXIT_NOT_FOUND))
        }
    }
}
