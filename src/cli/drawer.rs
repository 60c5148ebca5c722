//! `comptoir drawer float|in|out|report`: the cash drawer's movements, each a journal entry, and
//! the X report (totals so far since the last day closing; nothing is reset).

use std::process::ExitCode;

use super::failure::{UsageError, refuse};
use super::output::{money, print_json};
use super::{CommandContext, DrawerAction};
use crate::domain::drawer::{Movement, MovementKind};
use crate::domain::money::{Cents, parse_euros};
use crate::store::DrawerReport;

pub fn run(context: &CommandContext, action: &DrawerAction) -> anyhow::Result<ExitCode> {
    let (kind, euros, reason) = match action {
        DrawerAction::Report { json } => return report(context, *json),
        DrawerAction::Float { euros } => (MovementKind::Float, euros, ""),
        DrawerAction::In { euros, reason } => (MovementKind::In, euros, reason.as_str()),
        DrawerAction::Out { euros, reason } => (MovementKind::Out, euros, reason.as_str()),
    };
    let amount = parse_euros(euros).map_err(|e| UsageError(e.to_string()))?;
    let movement = match Movement::new(kind, amount, reason) {
        Ok(movement) => movement,
        Err(e) => return refuse(false, e),
    };
    let mut store = context.open_store()?;
    let terminal = &context.config.terminal_id;
    let locale = &context.config.locale;
    let so_far = store.drawer_report(terminal)?;
    if kind == MovementKind::Float && so_far.movements.iter().any(|m| m.kind == kind) {
        return refuse(
            false,
            format!(
                "the float of the day is already {} (until the day closing); put more cash in \
                 with `comptoir drawer in EUROS --reason \"change top-up\"`",
                money(Cents::new(so_far.float_cents), locale)
            ),
        );
    }
    if kind == MovementKind::Out && movement.amount_cents > so_far.expected_cash_cents {
        return refuse(
            false,
            format!(
                "the drawer should hold only {}: {} cannot be taken out",
                money(Cents::new(so_far.expected_cash_cents), locale),
                money(amount, locale)
            ),
        );
    }
    let sequence = store.record_drawer_movement(
        terminal,
        Some("cli"),
        &movement,
        chrono::Utc::now().timestamp(),
    )?;
    kick(&context.config);
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

fn report(context: &CommandContext, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let report = store.drawer_report(&context.config.terminal_id)?;
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
    println!("  cash expected in the drawer {}", m(r.expected_cash_cents));
}

/// Opens the drawer through the receipt printer when one is configured. The cash is already
/// journaled: a printer that does not answer is reported on standard error, never a failure.
pub fn kick(config: &crate::config::Config) {
    if let Some(settings) = config.printer_settings()
        && let Err(error) = crate::devices::printer::open_drawer(&settings)
    {
        eprintln!("the cash drawer did not open: {error}");
    }
}
