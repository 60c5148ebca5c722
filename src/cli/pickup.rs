//! The pickup counter from the command line:
//!
//! - `comptoir pickup list [--json]`: this store's click-and-collect orders.
//! - `comptoir pickup verify CODE [--json]`: exit 0 when the code is genuine, not expired, for
//!   this store and an order it knows; 1 with the reason (`forged`, `expired`, `other_store`,
//!   `unknown_order`, `unknown_format`, `no_key`) otherwise.
//! - `comptoir pickup handover ORDER_ID [--lines GTIN*QTY…] [--json]`: all that is left by
//!   default; exit 1 when the order is unknown or already handed over here.
//! - `comptoir return ORDER_ID [GTIN*QTY…] --refund card|cash|credit [--json]`.
//! - `comptoir order GTIN[*QTY] --customer ID --deliver home|pickup [--pickup-store CODE]`.

use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::failure::refuse;
use super::output::{print_json, rfc3339};
use super::sell::code_and_quantity;
use super::{CommandContext, EXIT_NOT_FOUND};
use crate::app::customer::{Counter, CustomerAppError};
use crate::app::pickup::{self as use_case, Delivery, PickupAppError};
use crate::domain::gtin::Gtin;
use crate::domain::pickup::Units;
use crate::domain::scan::ScanConfig;
use crate::store::{PickupOrder, Store};
use crate::sync::client::SyncError;
use crate::sync::engine::ask_central;

const OPERATOR: &str = "cli";

pub(super) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(super) fn counter(context: &CommandContext, now: i64) -> Counter<'_> {
    Counter {
        staff: OPERATOR,
        terminal: &context.config.terminal_id,
        store_code: &context.config.store_code,
        now,
    }
}

#[derive(Debug, Serialize)]
struct OrderOutput {
    id: String,
    status: String,
    customer_first_name: Option<String>,
    created_at: String,
    age_seconds: i64,
    lines: Vec<LineOutput>,
    /// Units still to hand over.
    left: i64,
    conflict: Option<String>,
}

#[derive(Debug, Serialize)]
struct LineOutput {
    gtin: String,
    name: String,
    quantity: i64,
    left: i64,
}

fn order_output(store: &Store, order: &PickupOrder, now: i64) -> anyhow::Result<OrderOutput> {
    let left = order.left();
    let mut lines = Vec::new();
    for line in &order.lines {
        let name = Gtin::parse(&line.gtin)
            .ok()
            .and_then(|g| store.product(&g).ok().flatten())
            .map(|p| p.name)
            .unwrap_or_default();
        lines.push(LineOutput {
            gtin: line.gtin.clone(),
            name,
            quantity: line.quantity,
            left: left
                .iter()
                .filter(|u| u.gtin == line.gtin)
                .map(|u| u.quantity)
                .sum(),
        });
    }
    let status = if order.conflict.is_some() {
        "conflict".to_owned()
    } else if left.is_empty() {
        "handed_over".to_owned()
    } else if order.partly_handed() {
        "partly_handed_over".to_owned()
    } else {
        order.status.clone()
    };
    Ok(OrderOutput {
        id: order.id.clone(),
        status,
        customer_first_name: order.customer_first_name.clone(),
        created_at: rfc3339(order.created_at),
        age_seconds: (now - order.created_at).max(0),
        lines,
        left: left.iter().map(|u| u.quantity).sum(),
        conflict: order.conflict.clone(),
    })
}

pub fn list(context: &CommandContext, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let now = now();
    let orders = use_case::list(&store, &context.config.store_code, "")?;
    let outputs = orders
        .iter()
        .map(|o| order_output(&store, o, now))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if json {
        print_json(&outputs)?;
    } else {
        for o in &outputs {
            println!(
                "{}  {:<20} {:<10} {} left, {} h old{}",
                o.id,
                o.status,
                o.customer_first_name.as_deref().unwrap_or("-"),
                o.left,
                o.age_seconds / 3600,
                o.conflict
                    .as_deref()
                    .map(|c| format!("  CONFLICT: {c}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Serialize)]
struct VerifyOutput {
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    store: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

pub fn verify(context: &CommandContext, code: &str, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    match use_case::verify_code(&store, code, &context.config.store_code, now()) {
        Ok(v) => {
            if json {
                print_json(&VerifyOutput {
                    valid: true,
                    order_id: Some(v.claims.order_id),
                    store: Some(v.claims.store),
                    expires_at: Some(rfc3339(v.claims.expires_at)),
                    reason: None,
                    message: None,
                })?;
            } else {
                println!("{}", v.claims.order_id);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(PickupAppError::Store(e)) => Err(e.into()),
        Err(error) => {
            if json {
                print_json(&VerifyOutput {
                    valid: false,
                    order_id: None,
                    store: None,
                    expires_at: None,
                    reason: Some(error.reason()),
                    message: Some(error.to_string()),
                })?;
            } else {
                println!("{}: {error}", error.reason());
            }
            Ok(ExitCode::from(EXIT_NOT_FOUND))
        }
    }
}

/// `GTIN*QTY` arguments as units (a GTIN-13 is padded to 14 digits).
pub(super) fn parse_units(args: &[String]) -> anyhow::Result<Vec<Units>> {
    args.iter()
        .map(|arg| {
            let (code, quantity) = code_and_quantity(arg, &ScanConfig::default())?;
            let gtin = Gtin::parse(code).map_err(|e| anyhow::anyhow!("{arg:?}: {e}"))?;
            Ok(Units {
                gtin: gtin.as_str().to_owned(),
                quantity,
            })
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct HandoverOutput {
    order_id: String,
    handover_id: String,
    complete: bool,
    handed: Vec<Units>,
    left: Vec<Units>,
}

pub fn handover(
    context: &CommandContext,
    order_id: &str,
    lines: &[String],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let lines = parse_units(lines)?;
    let chosen = (!lines.is_empty()).then_some(lines.as_slice());
    match use_case::handover(&mut store, order_id, chosen, counter(context, now())) {
        Ok(done) => {
            if json {
                print_json(&HandoverOutput {
                    order_id: order_id.to_owned(),
                    handover_id: done.handover_id,
                    complete: done.complete,
                    handed: done.lines,
                    left: done.left,
                })?;
            } else if done.complete {
                println!("order {order_id} handed over");
            } else {
                let left: i64 = done.left.iter().map(|u| u.quantity).sum();
                println!("order {order_id} handed over in part: {left} left ready");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(PickupAppError::Store(e)) => Err(e.into()),
        Err(error) => refuse(json, error),
    }
}

#[derive(Debug, Serialize)]
struct ReturnOutput {
    ticket: String,
    order_id: String,
    refund: String,
    refund_cents: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_code: Option<String>,
    lines: Vec<ReturnLineOutput>,
    journal_sequence: i64,
}

#[derive(Debug, Serialize)]
struct ReturnLineOutput {
    gtin: String,
    name: String,
    quantity: i64,
    amount_cents: i64,
}

fn fetch_order(
    store: &Store,
    id: &str,
) -> Result<Option<crate::sync::protocol::OrderAnswer>, SyncError> {
    ask_central(store, |client| async move { client.order(id).await })
}

pub fn return_order(
    context: &CommandContext,
    order_id: &str,
    lines: &[String],
    refund: &str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let asked = parse_units(lines)?;
    let now = now();
    let db = context.db_path.clone();
    let order = match use_case::returnable(
        &store,
        order_id,
        |id| {
            let reader = Store::open(&db).map_err(SyncError::from)?;
            fetch_order(&reader, id)
        },
        now,
    ) {
        Ok(order) => order,
        Err(PickupAppError::Store(e)) => return Err(e.into()),
        Err(error) => return refuse(json, error),
    };
    let training = store
        .training_mode()
        .context("cannot read the training mode")?;
    match use_case::return_order(
        &mut store,
        &order,
        &asked,
        refund,
        training,
        counter(context, now),
    ) {
        Ok((recorded, lines)) => {
            if refund == "cash" {
                super::drawer::kick(&context.config);
            }
            let name = |gtin: &str| {
                order
                    .lines
                    .iter()
                    .find(|(_, l)| l.gtin == gtin)
                    .map(|(n, _)| n.clone())
                    .unwrap_or_default()
            };
            let output = ReturnOutput {
                ticket: recorded.number,
                order_id: order.id.clone(),
                refund: refund.to_owned(),
                refund_cents: recorded.refund_cents,
                credit_code: recorded.credit_code,
                lines: lines
                    .iter()
                    .map(|l| ReturnLineOutput {
                        gtin: l.gtin.clone(),
                        name: name(&l.gtin),
                        quantity: l.quantity,
                        amount_cents: l.amount_cents,
                    })
                    .collect(),
                journal_sequence: recorded.journal_sequence,
            };
            if json {
                print_json(&output)?;
            } else {
                println!(
                    "return {} of order {}: {} refunded by {}",
                    output.ticket,
                    output.order_id,
                    super::output::money(
                        crate::domain::money::Cents::new(output.refund_cents),
                        &context.config.locale
                    ),
                    output.refund
                );
                if let Some(code) = &output.credit_code {
                    println!("store credit {code}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(PickupAppError::Store(e)) => Err(e.into()),
        Err(error) => refuse(json, format!("{error}; nothing was returned")),
    }
}

pub fn order(
    context: &CommandContext,
    code: &str,
    customer: &str,
    pickup: bool,
    pickup_store: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let (gtin, quantity) = code_and_quantity(code, &context.config.scan_config())?;
    let customer = match super::customer::identify_known(&store, customer) {
        Ok(who) => who.id,
        Err(CustomerAppError::Store(e)) => return Err(e.into()),
        Err(error) => return refuse(json, format!("{error}; nothing was ordered")),
    };
    let delivery = if pickup {
        Delivery::Pickup
    } else {
        Delivery::Home
    };
    let now = now();
    match use_case::order_for_customer(
        &mut store,
        &customer,
        gtin,
        quantity,
        delivery,
        pickup_store,
        counter(context, now),
        chrono::Utc::now().date_naive(),
    ) {
        Ok(ordered) => {
            if json {
                print_json(&ordered)?;
            } else {
                println!("{}", ordered.order_number);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(PickupAppError::Store(e)) => Err(e.into()),
        Err(error) => refuse(json, error),
    }
}
