//! `comptoir gift-card sell EUROS --pay card|cash [--json]`: sells a gift card (a multi-purpose
//! voucher: no VAT now, VAT on what it buys) and prints its code and ticket.

use std::process::ExitCode;

use serde::Serialize;

use super::CommandContext;
use super::failure::{UsageError, refuse};
use super::output::{money, print_json};
use crate::app::gift_card::{self as use_case, GiftCardSaleError};
use crate::domain::money::Cents;

/// How a gift card is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GiftCardPay {
    Card,
    Cash,
}

#[derive(Debug, Serialize)]
struct SoldOutput {
    code: String,
    ticket: String,
    amount_cents: i64,
    method: String,
    journal_sequence: i64,
}

pub fn sell(
    context: &CommandContext,
    euros: &str,
    pay: GiftCardPay,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let method = match pay {
        GiftCardPay::Card => "card",
        GiftCardPay::Cash => "cash",
    };
    let mut store = context.open_store()?;
    let sold = match use_case::sell(
        &mut store,
        &context.config,
        "cli",
        euros,
        method,
        chrono::Utc::now().timestamp(),
    ) {
        Ok(sold) => sold,
        Err(GiftCardSaleError::Amount(e)) => return Err(UsageError(e.to_string()).into()),
        Err(GiftCardSaleError::Store(e)) => return Err(e.into()),
        Err(e) => return refuse(json, e),
    };
    if let Some(error) = &sold.kick_failed {
        eprintln!("the cash drawer did not open: {error}");
    }
    let card = sold.card;
    if json {
        print_json(&SoldOutput {
            code: card.code,
            ticket: card.ticket,
            amount_cents: card.amount_cents,
            method: card.method,
            journal_sequence: card.journal_sequence,
        })?;
    } else {
        println!(
            "gift card {} of {} (ticket {}, paid by {}, no VAT; journal entry #{})",
            card.code,
            money(Cents::new(card.amount_cents), &context.config.locale),
            card.ticket,
            card.method,
            card.journal_sequence
        );
    }
    Ok(ExitCode::SUCCESS)
}
