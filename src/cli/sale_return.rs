//! Returns of in-store sales and store credit from the command line (issue 16):
//!
//! - `comptoir return-sale TICKET [GTIN*QTY…] --refund original|cash|credit [--json]`: TICKET is
//!   the receipt's code (`CPTR1:…`) or a ticket number of this store; exit 1 when the sale is
//!   unknown, its code forged, or the units already returned (nothing written).
//! - `comptoir return-sale --no-receipt GTIN*QTY… --staff LOGIN --pin PIN [--json]`.
//! - `comptoir credit show CODE [--json]` (`code`, `balance_cents`, `source`).
//! - `comptoir conflicts [--json]`.

use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::failure::refuse;
use super::output::{money, print_json, rfc3339};
use super::pickup::{counter, now, parse_units};
use super::{CommandContext, RefundSale};
use crate::app::credit::{self as credit_case, CreditError};
use crate::app::sale_guard::check_manager;
use crate::app::sale_return::{
    self as use_case, RefundTo, SaleReturnError, find_sale, override_offline, which_sale,
};
use crate::domain::money::Cents;
use crate::domain::pickup::RefundLine;
use crate::store::{RecordedReturn, Store};
use crate::sync::engine::ask_central;

/// What `comptoir return-sale` was asked.
pub struct Request<'a> {
    pub ticket: Option<&'a str>,
    pub lines: &'a [String],
    pub refund: Option<RefundSale>,
    pub no_receipt: &'a [String],
    pub manager: Option<(&'a str, &'a str)>,
}

#[derive(Debug, Serialize)]
struct ReturnOutput {
    ticket: String,
    /// The sale's store and ticket ("PAR-01/T01-000042"), or "no-receipt".
    sale: String,
    refund: String,
    refund_cents: i64,
    /// Each method and what it gave back, when the refund went back to several.
    refunds: Vec<RefundPart>,
    credit_code: Option<String>,
    lines: Vec<LineOutput>,
    journal_sequence: i64,
    /// Where the sale was found: "here", "central", "override" or "no_receipt".
    source: &'static str,
}

#[derive(Debug, Serialize)]
struct RefundPart {
    method: String,
    amount_cents: i64,
}

#[derive(Debug, Serialize)]
struct LineOutput {
    gtin: String,
    name: String,
    quantity: i64,
    amount_cents: i64,
}

pub fn run(
    context: &CommandContext,
    request: &Request<'_>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let training = store
        .training_mode()
        .context("cannot read the training mode")?;
    let now = now();
    let counter = counter(context, now);
    if !request.no_receipt.is_empty() {
        if matches!(
            request.refund,
            Some(RefundSale::Original | RefundSale::Cash)
        ) {
            return refuse(
                json,
                format!(
                    "{}; nothing was returned",
                    SaleReturnError::NoReceiptCreditOnly
                ),
            );
        }
        let asked = parse_units(request.no_receipt)?;
        let Some(manager) = request.manager else {
            return refuse(
                json,
                "a return without a receipt needs a manager's --staff and --pin",
            );
        };
        return match use_case::return_without_receipt(
            &mut store, &asked, manager, training, counter,
        ) {
            Ok((recorded, lines, _)) => {
                let names = names_of(&store, &lines);
                print_return(
                    context,
                    &recorded,
                    &lines,
                    names,
                    use_case::NO_RECEIPT.into(),
                    "no_receipt",
                    json,
                )
            }
            Err(SaleReturnError::Store(e)) => Err(e.into()),
            Err(error) => refuse(json, format!("{error}; nothing was returned")),
        };
    }
    let Some(ticket) = request.ticket else {
        return refuse(
            json,
            "name the sale: its receipt's code or its ticket number",
        );
    };
    let Some(refund) = request.refund else {
        return refuse(
            json,
            "say how the money goes back: --refund original, cash or credit",
        );
    };
    let refund = match refund {
        RefundSale::Original => RefundTo::Original,
        RefundSale::Cash => RefundTo::Cash,
        RefundSale::Credit => RefundTo::Credit,
    };
    match return_with_receipt(
        context,
        &mut store,
        ticket,
        request,
        refund,
        (training, counter, now),
        json,
    )? {
        Ok(returned) => print_return(
            context,
            &returned.recorded,
            &returned.lines,
            returned.names,
            returned.sale,
            returned.source,
            json,
        ),
        Err(status) => Ok(status),
    }
}

/// A return of a sale found by its receipt, done: what `print_return` shows.
pub struct Returned {
    pub recorded: RecordedReturn,
    pub lines: Vec<RefundLine>,
    pub names: Vec<String>,
    /// "PAR-01/T01-000042".
    pub sale: String,
    pub source: &'static str,
}

/// Finds the sale `ticket` names (here, at the central, or a manager's override offline) and
/// returns the units asked; a refusal is said (with `json`, as JSON) and its exit status given.
pub fn return_with_receipt(
    context: &CommandContext,
    store: &mut Store,
    ticket: &str,
    request: &Request<'_>,
    refund: RefundTo,
    (training, counter, now): (bool, crate::app::customer::Counter<'_>, i64),
    json: bool,
) -> anyhow::Result<Result<Returned, ExitCode>> {
    let refused = |message: String| refuse(json, message).map(Err);
    let asked = parse_units(request.lines)?;
    let here = context.config.store_code.clone();
    let (which, code) = match which_sale(ticket, &here) {
        Ok(found) => found,
        Err(error) => return refused(format!("{error}; nothing was returned")),
    };
    let found = find_sale(store, &which, code.as_ref(), &here, |sale| {
        let (s, t) = (sale.store.clone(), sale.ticket.clone());
        ask_central(store, |client| async move { client.sale(&s, &t).await })
    });
    let sale = match found {
        Ok(sale) => sale,
        // Another store's ticket while the central cannot be asked: a manager may take the
        // goods back anyway, priced from the catalogue.
        Err(SaleReturnError::OtherStoreOffline { .. })
            if request.manager.is_some() && !asked.is_empty() =>
        {
            let (login, pin) = request.manager.unwrap_or_default();
            if let Err(error) = check_manager(store, login, pin, now) {
                return refused(format!("{error}; nothing was returned"));
            }
            match override_offline(store, &which, &asked) {
                Ok(sale) => sale,
                Err(SaleReturnError::Store(e)) => return Err(e.into()),
                Err(error) => return refused(format!("{error}; nothing was returned")),
            }
        }
        Err(SaleReturnError::Store(e)) => return Err(e.into()),
        Err(error) => return refused(format!("{error}; nothing was returned")),
    };
    match use_case::return_sale(store, &sale, &asked, refund, training, counter) {
        Ok((recorded, lines)) => {
            let names: Vec<String> = lines
                .iter()
                .map(|l| {
                    sale.lines
                        .iter()
                        .find(|(_, s)| s.gtin == l.gtin)
                        .map(|(n, _)| n.clone())
                        .unwrap_or_default()
                })
                .collect();
            Ok(Ok(Returned {
                recorded,
                lines,
                names,
                sale: use_case::return_id(&sale.sale),
                source: sale.source,
            }))
        }
        Err(SaleReturnError::Store(e)) => Err(e.into()),
        Err(error) => refused(format!("{error}; nothing was returned")),
    }
}

fn names_of(store: &Store, lines: &[RefundLine]) -> Vec<String> {
    lines
        .iter()
        .map(|l| crate::app::pickup::product_name(store, &l.gtin))
        .collect()
}

fn print_return(
    context: &CommandContext,
    recorded: &RecordedReturn,
    lines: &[RefundLine],
    names: Vec<String>,
    sale: String,
    source: &'static str,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let output = ReturnOutput {
        ticket: recorded.number.clone(),
        sale,
        refund: recorded.refund.clone(),
        refund_cents: recorded.refund_cents,
        refunds: recorded
            .refunds
            .iter()
            .map(|(method, cents)| RefundPart {
                method: method.clone(),
                amount_cents: *cents,
            })
            .collect(),
        credit_code: recorded.credit_code.clone(),
        lines: lines
            .iter()
            .zip(names)
            .map(|(l, name)| LineOutput {
                gtin: l.gtin.clone(),
                name,
                quantity: l.quantity,
                amount_cents: l.amount_cents,
            })
            .collect(),
        journal_sequence: recorded.journal_sequence,
        source,
    };
    let cash = if output.refunds.is_empty() {
        output.refund == "cash"
    } else {
        output.refunds.iter().any(|r| r.method == "cash")
    };
    if cash {
        super::drawer::kick(&context.config);
    }
    if json {
        print_json(&output)?;
    } else {
        println!(
            "return {} of {}: {} refunded by {}",
            output.ticket,
            output.sale,
            money(Cents::new(output.refund_cents), &context.config.locale),
            if output.refunds.is_empty() {
                output.refund.clone()
            } else {
                output
                    .refunds
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {}",
                            r.method,
                            money(Cents::new(r.amount_cents), &context.config.locale)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" + ")
            }
        );
        if let Some(code) = &output.credit_code {
            println!("store credit {code}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Serialize)]
struct CreditOutput {
    code: String,
    kind: String,
    balance_cents: i64,
    source: &'static str,
    conflict: bool,
}

pub fn credit_show(context: &CommandContext, code: &str, json: bool) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let reader = Store::open(&context.db_path)?;
    let answer = credit_case::balance(
        &mut store,
        code,
        |code| ask_central(&reader, |client| async move { client.credit(code).await }),
        now(),
    );
    match answer {
        Ok(balance) => {
            let output = CreditOutput {
                code: balance.code,
                kind: balance.kind,
                balance_cents: balance.balance_cents,
                source: balance.source,
                conflict: balance.conflict,
            };
            if json {
                print_json(&output)?;
            } else {
                println!(
                    "{} {}: {} left ({}){}",
                    if output.kind == "gift_card" {
                        "gift card"
                    } else {
                        "store credit"
                    },
                    output.code,
                    money(Cents::new(output.balance_cents), &context.config.locale),
                    if output.source == "central" {
                        "from the central"
                    } else {
                        "as last known here"
                    },
                    if output.conflict {
                        " — spent twice at two counters: see `comptoir conflicts`"
                    } else {
                        ""
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(CreditError::Store(e)) => Err(e.into()),
        Err(error) => refuse(json, error),
    }
}

#[derive(Debug, Serialize)]
struct ConflictOutput {
    id: i64,
    kind: String,
    subject: String,
    counters: Vec<String>,
    at: String,
}

pub fn conflicts(context: &CommandContext, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let conflicts: Vec<ConflictOutput> = store
        .conflicts()?
        .into_iter()
        .map(|c| ConflictOutput {
            id: c.id,
            kind: c.kind,
            subject: c.subject,
            counters: c.counters,
            at: rfc3339(c.at),
        })
        .collect();
    if json {
        print_json(&serde_json::json!({ "conflicts": conflicts }))?;
    } else if conflicts.is_empty() {
        println!("no conflict reported by the central");
    } else {
        for c in &conflicts {
            let what = match c.kind.as_str() {
                "double_return" => "returned twice",
                "double_spend" => "spent beyond its balance",
                other => other,
            };
            println!("{}  {} {what}: {}", c.at, c.subject, c.counters.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}
