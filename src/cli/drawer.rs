//! `comptoir drawer float|in|out|report`: the cash drawer's movements, each a journal entry, and
//! the X report (totals so far since the last day closing; nothing is reset).

use std::process::ExitCode;

use super::failure::{UsageError, refuse};
use super::output::{money, print_json};
use super::{CommandContext, DrawerAction};
use crate::app::drawer::{self as use_case, MovementError, PrintReportError};
use crate::domain::drawer::DrawerReport;
use crate::domain::drawer::{Movement, MovementKind};
use crate::domain::money::{Cents, parse_euros};

pub fn run(context: &CommandContext, action: &DrawerAction) -> anyhow::Result<ExitCode> {
    let (kind, euros, reason) = match action {
        DrawerAction::Report { json, print } => return report(context, *json, print.as_deref()),
        DrawerAction::Float { euros } => (MovementKind::Float, euros, ""),
        DrawerAction::In { euros, reason } => (MovementKind::In, euros, reason.as_str()),
        DrawerAction::Out { euros, reason } => (MovementKind::Out, euros, reason.as_str()),
    };
    let amount = parse_euros(euros).map_err(|e| UsageError(e.to_string()))?;
    // Checked before the store is opened, as before: a bad amount or reason touches nothing.
    if let Err(e) = Movement::new(kind, amount, reason) {
        return refuse(false, e);
    }
    let mut store = context.open_store()?;
    let locale = &context.config.locale;
    let recorded = match use_case::record_movement(
        &mut store,
        &context.config,
        "cli",
        kind,
        amount,
        reason,
        chrono::Utc::now().timestamp(),
    ) {
        Ok(recorded) => recorded,
        Err(MovementError::Invalid(e)) => return refuse(false, e),
        Err(MovementError::FloatAlreadySet { float_cents }) => {
            return refuse(
                false,
                format!(
                    "the float of the day is already {} (until the day closing); put more cash in \
                     with `comptoir drawer in EUROS --reason \"change top-up\"`",
                    money(Cents::new(float_cents), locale)
                ),
            );
        }
        Err(MovementError::NotEnoughCash { expected_cents }) => {
            return refuse(
                false,
                format!(
                    "the drawer should hold only {}: {} cannot be taken out",
                    money(Cents::new(expected_cents), locale),
                    money(amount, locale)
                ),
            );
        }
        Err(MovementError::Store(e)) => return Err(e.into()),
    };
    if let Some(error) = &recorded.kick_failed {
        eprintln!("the cash drawer did not open: {error}");
    }
    let (movement, sequence) = (recorded.movement, recorded.sequence);
    let what = match kind {
        MovementKind::Float => "float".to_owned(),
        MovementKind::In => format!("cash in ({})", movement.reason),
        MovementKind::Out => format!("cash out ({})", movement.reason),
    };
    println!(
        "{what} {} (journal entry #{sequence})",
        money(amount, locale)
    );
    Ok(ExitCode::SUCCESS)
}

fn report(context: &CommandContext, json: bool, print: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let report = match print {
        None => use_case::report(&store, &context.config)?,
        Some(port) => {
            match use_case::print_report(
                &store,
                &context.config,
                Some(port),
                chrono::Utc::now().timestamp(),
            ) {
                Ok(report) => {
                    eprintln!("X report printed on {port}");
                    report
                }
                Err(PrintReportError::Store(e)) => return Err(e.into()),
                Err(error) => {
                    return refuse(json, format!("the X report was not printed: {error}"));
                }
            }
        }
    };
    if json {
        print_json(&report)?;
    } else {
        print_x_report(&report, &context.config.locale);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_x_report(r: &DrawerReport, locale: &str) {
    let m = |c: i64| money(Cents::new(c), locale);
    println!(
        "X — since the last day closing (journal entries {}–{}), nothing reset",
        r.from_sequence + 1,
        r.to_sequence
    );
    println!("  tickets {}", r.ticket_count);
    super::output::print_period_lines(&r.vat, &r.payments, locale);
    println!("  total {}", m(r.total_cents));
    println!("  float {}", m(r.float_cents));
    for mv in &r.movements {
        match mv.kind {
            MovementKind::Float => {}
            MovementKind::In => println!("  cash in  {} ({})", m(mv.amount_cents), mv.reason),
            MovementKind::Out => println!("  cash out {} ({})", m(mv.amount_cents), mv.reason),
        }
    }
    println!("  cash sales (change given back) {}", m(r.cash_sales_cents));
    if r.gift_cards_sold_cents != 0 {
        println!(
            "  gift cards sold (no VAT) {}, of which cash {}",
            m(r.gift_cards_sold_cents),
            m(r.gift_cards_cash_cents)
        );
    }
    println!("  cash expected in the drawer {}", m(r.expected_cash_cents));
}

/// Opens the drawer through the receipt printer when one is configured ([`use_case::kick`]).
/// The cash is already journaled: a printer that does not answer is reported on standard
/// error, never a failure.
pub fn kick(config: &crate::config::Config) {
    if let Err(error) = use_case::kick(config) {
        eprintln!("the cash drawer did not open: {error}");
    }
}
