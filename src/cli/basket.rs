//! `comptoir basket add|show|remove|park|resume|parked`: the terminal's open basket from the
//! command line. It is the same basket the screen shows (one open basket per terminal, kept in
//! the database), changed through the same use cases (`app::basket`).
//!
//! Exit statuses: 0 done, 1 refused (unknown product, no such line, nothing to park, no such
//! parked basket; nothing written), 2 usage.

use std::process::ExitCode;

use serde::Serialize;

use super::failure::refuse;
use super::output::{money, print_json, rfc3339, vat_percent};
use super::sell::code_and_quantity;
use super::{CommandContext, EXIT_NOT_FOUND};
use crate::app::basket::{self, BasketChangeError, ResumeError};
use crate::app::checkout::CheckoutError;
use crate::app::pricing::Pricing;
use crate::domain::basket::Basket;
use crate::domain::money::Cents;
use crate::domain::scan::parse_scan;
use crate::store::Store;

/// Who changes the basket, as its cancelled lines record it.
const OPERATOR: &str = "cli";

#[derive(Debug, Serialize)]
struct LineOutput {
    /// 1-based, as `basket remove` takes it.
    line: usize,
    gtin: String,
    label: String,
    quantity: i64,
    unit_price_cents: i64,
    /// What the line pays, discounts taken off.
    amount_cents: i64,
    discount_cents: i64,
    vat_rate: serde_json::Value,
}

#[derive(Debug, Serialize)]
struct BasketOutput {
    lines: Vec<LineOutput>,
    item_count: i64,
    total_cents: i64,
    /// What promotions and the seller's discounts take off.
    discount_cents: i64,
    /// `basket add`: the line the scanned units went to.
    #[serde(skip_serializing_if = "Option::is_none")]
    added_to_line: Option<usize>,
}

#[derive(Debug, Serialize)]
struct ParkedOutput {
    parked_id: i64,
    parked_by: Option<String>,
    parked_at: String,
    item_count: i64,
    total_cents: i64,
}

/// The basket as it would be paid now: priced with the promotions this terminal holds and the
/// seller's discounts (no customer is identified on the command line).
fn output_of(
    store: &Store,
    context: &CommandContext,
    basket: &Basket,
    added_to_line: Option<usize>,
) -> anyhow::Result<BasketOutput> {
    let mut basket = basket.clone();
    Pricing::load(store, &context.config.store_code)?.reprice(
        &mut basket,
        None,
        chrono::Utc::now().timestamp(),
    )?;
    let totals = basket.totals()?;
    Ok(BasketOutput {
        lines: basket
            .lines()
            .iter()
            .enumerate()
            .map(|(index, line)| LineOutput {
                line: index + 1,
                gtin: line.gtin.clone(),
                label: line.label.clone(),
                quantity: line.quantity,
                unit_price_cents: line.unit_price.get(),
                amount_cents: line.line_total().map(Cents::get).unwrap_or_default(),
                discount_cents: line.discount_total().map(Cents::get).unwrap_or_default(),
                vat_rate: vat_percent(line.vat_rate),
            })
            .collect(),
        item_count: totals.item_count,
        total_cents: totals.total.get(),
        discount_cents: totals.discount.get(),
        added_to_line,
    })
}

fn print_basket(output: &BasketOutput, locale: &str, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(output);
    }
    if output.lines.is_empty() {
        println!("the basket is empty");
        return Ok(());
    }
    for line in &output.lines {
        println!(
            "{:>3}  {:>4} × {:<40} {:>12}",
            line.line,
            line.quantity,
            line.label,
            money(Cents::new(line.amount_cents), locale)
        );
    }
    println!(
        "{} items, total {}",
        output.item_count,
        money(Cents::new(output.total_cents), locale)
    );
    Ok(())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// `basket add CODE[*QTY]`.
pub fn add(context: &CommandContext, arg: &str, json: bool) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let config = &context.config;
    let (code, quantity) = code_and_quantity(arg, &config.scan_config())?;
    let scan = parse_scan(code, &config.scan_config());
    match basket::add_scan(&mut store, scan, quantity, basket::Till::of(config)) {
        Ok(added) => {
            let output = output_of(&store, context, &added.basket.basket, Some(added.line + 1))?;
            print_basket(&output, &config.locale, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(CheckoutError::Store(error)) => Err(error.into()),
        Err(error) => refuse(json, format!("{arg}: {error}; the basket is unchanged")),
    }
}

/// `basket show`.
pub fn show(context: &CommandContext, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let open = basket::open_basket(&store)?;
    print_basket(
        &output_of(&store, context, &open.basket, None)?,
        &context.config.locale,
        json,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// `basket remove LINE` (1-based).
pub fn remove(context: &CommandContext, line: usize) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    let Some(index) = line.checked_sub(1) else {
        eprintln!("lines are numbered from 1 (see `comptoir basket show`)");
        return Ok(ExitCode::from(EXIT_NOT_FOUND));
    };
    match basket::remove_line(&mut store, index, OPERATOR, now()) {
        Ok((removal, _)) => {
            let line = &removal.cancelled.line;
            println!(
                "removed line {line_no}: {} × {}",
                line.quantity,
                line.label,
                line_no = index + 1
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(BasketChangeError::Store(error)) => Err(error.into()),
        Err(error) => {
            eprintln!("line {line}: {error}");
            Ok(ExitCode::from(EXIT_NOT_FOUND))
        }
    }
}

/// `basket park`.
pub fn park(context: &CommandContext, json: bool) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    match basket::park(&mut store, OPERATOR, now())? {
        Some(id) => {
            if json {
                print_json(&serde_json::json!({ "parked_id": id }))?;
            } else {
                println!("basket parked: {id} (resume it with `comptoir basket resume {id}`)");
            }
            Ok(ExitCode::SUCCESS)
        }
        None => refuse(json, "the basket is empty: nothing to park"),
    }
}

/// `basket resume PARKED_ID`.
pub fn resume(context: &CommandContext, id: i64) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    match basket::resume(&mut store, id, OPERATOR, now()) {
        Ok(set_aside) => {
            println!("basket {id} resumed");
            if let Some(other) = set_aside {
                println!("the basket that was open is parked as {other}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ResumeError::Store(error)) => Err(error.into()),
        Err(error) => {
            eprintln!("{error} (see `comptoir basket parked`)");
            Ok(ExitCode::from(EXIT_NOT_FOUND))
        }
    }
}

/// `basket parked`.
pub fn parked(context: &CommandContext, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let mut rows = Vec::new();
    for parked in basket::parked(&store)? {
        let totals = parked.basket.totals()?;
        rows.push(ParkedOutput {
            parked_id: parked.id,
            parked_by: parked.parked_by,
            parked_at: rfc3339(parked.parked_at),
            item_count: totals.item_count,
            total_cents: totals.total.get(),
        });
    }
    if json {
        print_json(&rows)?;
    } else if rows.is_empty() {
        println!("no parked basket");
    } else {
        for row in &rows {
            println!(
                "{:>5}  {}  {:<12} {:>4} items  {:>12}",
                row.parked_id,
                row.parked_at,
                row.parked_by.as_deref().unwrap_or("-"),
                row.item_count,
                money(Cents::new(row.total_cents), &context.config.locale)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
