//! `comptoir exchange TICKET|CODE [GTIN*QTY…] --for CODE[*QTY]… --pay card|cash|split [--json]`
//! (issue 16, item 3): goods of a sale taken back and others sold, settled together: the
//! customer pays only the difference, or keeps it on a store credit when what comes back is
//! worth more.
//!
//! The return is journaled as a return entry (negative per VAT rate) refunded on a store
//! credit, and that credit pays the new ticket first (its payments: the credit, then the
//! difference by `--pay`); the two entries name the same credit code. The new goods are looked
//! up before anything is written, so an unknown product returns nothing.

use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use super::CommandContext;
use super::failure::refuse;
use super::output::{money, print_json};
use super::pickup::{counter, now};
use super::sale_return::{Request, Returned, return_with_receipt};
use super::sell::{self, Manager, Manual, PayWith, Payment, SellOutput, code_quantity_discount};
use crate::app::checkout::scan_line;
use crate::app::sale_return::RefundTo;
use crate::domain::money::Cents;

/// How the difference is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExchangePay {
    Card,
    Cash,
    Split,
}

impl ExchangePay {
    fn with(self) -> PayWith {
        match self {
            ExchangePay::Card => PayWith::Card,
            ExchangePay::Cash => PayWith::Cash,
            ExchangePay::Split => PayWith::Split,
        }
    }
}

/// What `comptoir exchange` was asked.
pub struct ExchangeRequest<'a> {
    pub ticket: &'a str,
    pub back: &'a [String],
    pub new: &'a [String],
    pub pay: ExchangePay,
    pub manager: Option<(&'a str, &'a str)>,
}

#[derive(Debug, Serialize)]
struct ExchangeOutput {
    /// The return's number (`T01-R…`) and the new ticket.
    return_ticket: String,
    ticket: String,
    /// The sale the goods came from ("PAR-01/T01-000042").
    sale: String,
    returned_cents: i64,
    total_cents: i64,
    /// What the customer paid on top (0 when the goods back were worth more).
    paid_cents: i64,
    credit_code: Option<String>,
    /// What is left on the credit for the customer (when the goods back were worth more).
    credit_left_cents: i64,
    new_sale: SellOutput,
}

pub fn run(
    context: &CommandContext,
    request: &ExchangeRequest<'_>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let config = &context.config;
    let scan_config = config.scan_config();
    let mut store = context.open_store()?;
    // The new goods first: an unknown or unsellable product returns nothing.
    let today = chrono::Utc::now().date_naive();
    for arg in request.new {
        let (code, quantity, _) = code_quantity_discount(arg, &scan_config)?;
        if let Err(error) = scan_line(
            &store,
            code,
            quantity,
            &scan_config,
            &config.store_code,
            today,
        ) {
            return refuse(json, format!("{arg}: {error}; nothing was exchanged"));
        }
    }
    let training = store
        .training_mode()
        .context("cannot read the training mode")?;
    if training {
        // A training return issues no credit to pay the new goods with.
        return refuse(
            json,
            "an exchange is not practised in training mode: make the return and the sale apart; \
             nothing was exchanged",
        );
    }
    let now = now();
    let returned: Returned = match return_with_receipt(
        context,
        &mut store,
        request.ticket,
        &Request {
            ticket: Some(request.ticket),
            lines: request.back,
            refund: None,
            no_receipt: &[],
            manager: request.manager,
        },
        RefundTo::Credit,
        (training, counter(context, now), now),
        json,
    )? {
        Ok(returned) => returned,
        Err(status) => return Ok(status),
    };
    drop(store);
    let Some(credit) = returned.recorded.credit_code.clone() else {
        anyhow::bail!("the return issued no credit to pay the new goods with");
    };
    let mut sold = None;
    let status = sell::sell(
        context,
        request.new,
        &Payment {
            with: vec![PayWith::Credit, request.pay.with()],
            credit: Some((credit.clone(), None)),
            given: None,
            card: None,
            customer: None,
            redeem: 0,
        },
        &Manual::default(),
        None,
        None::<Manager>,
        json,
        Some(&mut sold),
    )?;
    let Some(new_sale) = sold else {
        eprintln!(
            "the goods came back ({}) but the new sale was not made: {} is on store credit {credit}",
            returned.recorded.number,
            money(Cents::new(returned.recorded.refund_cents), &config.locale)
        );
        return Ok(status);
    };
    // The receipt of the new ticket prints what came back.
    context
        .open_store()?
        .record_exchange(&new_sale.ticket, &returned.recorded.number, now)?;
    let credit_used: i64 = new_sale
        .payments
        .iter()
        .filter(|p| p.method == "credit")
        .map(|p| p.amount_cents)
        .sum();
    let paid: i64 = new_sale
        .payments
        .iter()
        .filter(|p| p.method != "credit")
        .map(|p| p.amount_cents)
        .sum();
    if paid > 0 && request.pay != ExchangePay::Card {
        super::drawer::kick(config);
    }
    let output = ExchangeOutput {
        return_ticket: returned.recorded.number.clone(),
        ticket: new_sale.ticket.clone(),
        sale: returned.sale,
        returned_cents: returned.recorded.refund_cents,
        total_cents: new_sale.total_cents,
        paid_cents: paid,
        credit_left_cents: returned.recorded.refund_cents - credit_used,
        credit_code: Some(credit),
        new_sale,
    };
    if json {
        print_json(&output)?;
    } else {
        let m = |cents: i64| money(Cents::new(cents), &config.locale);
        println!(
            "exchange: {} back from {} (return {}), new ticket {} of {}",
            m(output.returned_cents),
            output.sale,
            output.return_ticket,
            output.ticket,
            m(output.total_cents)
        );
        sell::print_ticket(&output.new_sale, &config.locale);
        if output.paid_cents > 0 {
            println!("the customer pays the difference: {}", m(output.paid_cents));
        }
        if output.credit_left_cents > 0 {
            println!(
                "left for the customer on store credit {}: {}",
                output.credit_code.as_deref().unwrap_or_default(),
                m(output.credit_left_cents)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
