//! `comptoir sell CODE[*QTY]… --pay card|cash|split [--json]`: sells products exactly as the
//! checkout page does (same use cases), and prints the ticket. Any unknown code stops the sale
//! before anything is written, and so does an expired product or a recalled one (issue 14)
//! unless a manager overrides it (`--override-reason TEXT --staff LOGIN --pin PIN`): each
//! override is journaled in the sale's own transaction. A database whose sale tables fail
//! SQLite's quick_check is refused before anything is read or written (issue 19).

use std::process::ExitCode;

use clap::ValueEnum;
use serde::Serialize;

use super::CommandContext;
use super::failure::{UsageError, refuse};
use super::output::{money, print_json, rfc3339, vat_percent};
use crate::app::checkout::{
    CheckoutError, CompletedSale, LoyaltyAtTill, SaleContext, add_scan, checkout_with_overrides,
};
use crate::app::customer::{CustomerAppError, points_balance};
use crate::app::login::LoginError;
use crate::app::sale_guard::{
    OverrideError, check_manager, checked_reason, override_entry, sale_block,
};
use crate::domain::basket::Basket;
use crate::domain::money::{Cents, parse_euros};
use crate::domain::payment::Tender;
use crate::domain::scan::{ScanConfig, parse_scan};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PayWith {
    Card,
    Cash,
    /// Part card, part cash (`--card` gives the card part; half by default).
    Split,
}

/// How the customer pays, from the command line.
#[derive(Clone, Debug)]
pub struct Payment {
    /// `None` when loyalty points pay the whole basket.
    pub with: Option<PayWith>,
    /// Cash handed over, in euros ("50" or "20,50"); the exact amount when absent.
    pub given: Option<String>,
    /// For `split`: the card part in euros.
    pub card: Option<String>,
    /// The customer (loyalty code or id): the sale earns them points.
    pub customer: Option<String>,
    /// Points the customer redeems first.
    pub redeem: i64,
}

/// A manager's override of what blocks a sale (an expired or recalled product).
#[derive(Clone, Debug)]
pub struct Override {
    /// Why it is sold anyway; journaled with the sale.
    pub reason: String,
    /// The manager's login and PIN.
    pub staff: String,
    pub pin: String,
}

/// The most units one line of the command line may carry (a till's quantity field).
const MAX_QUANTITY: i64 = 9999;

/// Splits `CODE*QTY` into the code and its quantity. Only a run of digits after the last `*`
/// is a quantity: GS1 lots may contain `*` themselves, so a whole argument that is a recognised
/// scan stays one code. Anything else after a `*` is a wrong quantity (a usage error, exit 2),
/// not an unknown product: that is the one thing to fix (issue 20).
pub fn code_and_quantity<'a>(
    arg: &'a str,
    config: &ScanConfig,
) -> Result<(&'a str, i64), UsageError> {
    let Some((code, qty)) = arg.rsplit_once('*') else {
        return Ok((arg, 1));
    };
    if !qty.is_empty() && qty.len() <= 4 && qty.bytes().all(|b| b.is_ascii_digit()) {
        return match qty.parse::<i64>() {
            Ok(n) if (1..=MAX_QUANTITY).contains(&n) => Ok((code, n)),
            _ => Err(wrong_quantity(arg, qty)),
        };
    }
    if parse_scan(arg, config).is_recognised() {
        return Ok((arg, 1));
    }
    Err(wrong_quantity(arg, qty))
}

fn wrong_quantity(arg: &str, qty: &str) -> UsageError {
    UsageError(format!(
        "{arg}: the quantity after `*` must be a whole number from 1 to {MAX_QUANTITY}, not {qty:?}"
    ))
}

#[derive(Debug, Serialize)]
struct SellOutput {
    ticket: String,
    created_at: String,
    lines: Vec<LineOutput>,
    total_cents: i64,
    vat: Vec<VatOutput>,
    payments: Vec<PaymentOutput>,
    change_cents: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points_earned: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    points_redeemed: Option<i64>,
}

#[derive(Debug, Serialize)]
struct LineOutput {
    gtin: String,
    name: String,
    quantity: i64,
    unit_price_cents: i64,
    vat_rate: serde_json::Value,
    amount_cents: i64,
}

#[derive(Debug, Serialize)]
struct VatOutput {
    rate: serde_json::Value,
    base_cents: i64,
    vat_cents: i64,
    total_cents: i64,
}

#[derive(Debug, Serialize)]
struct PaymentOutput {
    method: &'static str,
    amount_cents: i64,
}

fn output_of(sale: &CompletedSale, customer: Option<&str>) -> SellOutput {
    SellOutput {
        ticket: sale.recorded.ticket_number.clone(),
        created_at: rfc3339(sale.created_at),
        lines: sale
            .lines
            .iter()
            .map(|line| LineOutput {
                gtin: line.gtin.clone(),
                name: line.label.clone(),
                quantity: line.quantity,
                unit_price_cents: line.unit_price.get(),
                vat_rate: vat_percent(line.vat_rate),
                amount_cents: line.line_total().map(|a| a.get()).unwrap_or_default(),
            })
            .collect(),
        total_cents: sale.totals.total.get(),
        vat: sale
            .totals
            .per_rate
            .iter()
            .map(|r| VatOutput {
                rate: vat_percent(r.rate),
                base_cents: r.base.get(),
                vat_cents: r.vat.get(),
                total_cents: r.total.get(),
            })
            .collect(),
        payments: sale
            .settlement
            .payments
            .iter()
            .map(|(method, amount)| PaymentOutput {
                method: method.as_str(),
                amount_cents: amount.get(),
            })
            .collect(),
        change_cents: sale.settlement.change.get(),
        customer: customer.map(str::to_owned),
        points_earned: customer.map(|_| sale.points_earned),
        points_redeemed: customer.map(|_| sale.points_redeemed),
    }
}

/// clap's check of `--given` / `--card`: an amount in euros ("50", "20,50"), else a usage
/// error (exit 2) before anything is opened.
pub fn euros_arg(text: &str) -> Result<String, String> {
    parse_euros(text)
        .map(|_| text.to_owned())
        .map_err(|e| e.to_string())
}

fn euros(flag: &str, text: &Option<String>) -> anyhow::Result<Option<Cents>> {
    text.as_deref()
        .map(|t| parse_euros(t).map_err(|e| anyhow::anyhow!("{flag} {t:?}: {e}")))
        .transpose()
}

pub fn run(
    context: &CommandContext,
    codes: &[String],
    payment: &Payment,
    manager_override: Option<Override>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = context.open_store()?;
    // A sale written into damaged pages goes through (SQLite only notices the pages it reads)
    // and the store's fiscal record then has to be restored around it: refuse before writing,
    // and send the operator to the doctor, which says what is damaged and how to restore.
    let damage = store.sale_tables_quick_check()?;
    if let Some(first) = damage.first() {
        anyhow::bail!(
            "the database {} is damaged ({first}{}); run `comptoir doctor`; nothing was sold",
            context.db_path.display(),
            match damage.len() {
                1 => String::new(),
                n => format!(", and {} more findings", n - 1),
            }
        );
    }
    let config = &context.config;
    let now = chrono::Utc::now();
    let training = store.training_mode()?;
    let mut basket = Basket::new();
    let mut blocked = Vec::new();
    for arg in codes {
        let (code, quantity) = code_and_quantity(arg, &config.scan_config())?;
        match add_scan(
            &store,
            &mut basket,
            code,
            quantity,
            &config.scan_config(),
            &config.store_code,
            now.date_naive(),
        ) {
            Ok(card) => {
                if let Some(block) = sale_block(&store, &card)? {
                    blocked.push((arg, card.product, block));
                }
            }
            Err(CheckoutError::Store(e)) => return Err(e.into()),
            Err(error) => {
                return refuse(json, format!("{arg}: {error}; nothing was sold"));
            }
        }
    }
    let mut overrides = Vec::with_capacity(blocked.len());
    if !blocked.is_empty() {
        let Some(authority) = &manager_override else {
            let mut message = String::new();
            for (arg, product, block) in &blocked {
                message.push_str(&format!(
                    "{arg}: {} ({}) is {block}\n",
                    product.name, product.gtin
                ));
            }
            message.push_str(
                "a manager may sell it anyway with --override-reason TEXT --staff LOGIN --pin \
                 PIN; nothing was sold",
            );
            return refuse(json, message);
        };
        // The reason before the PIN: a blank one must not cost the manager an attempt.
        let manager = match checked_reason(&authority.reason)
            .and_then(|_| check_manager(&store, &authority.staff, &authority.pin, now.timestamp()))
        {
            Ok(manager) => manager,
            Err(OverrideError::Store(e) | OverrideError::Login(LoginError::Store(e))) => {
                return Err(e.into());
            }
            Err(error) => {
                return refuse(json, format!("override refused: {error}; nothing was sold"));
            }
        };
        for (_, product, block) in &blocked {
            overrides.push(override_entry(
                &manager,
                &authority.reason,
                block,
                &product.gtin,
                &config.terminal_id,
                now.timestamp(),
            )?);
        }
    }
    let customer = match &payment.customer {
        Some(who) => match super::customer::identify_known(&store, who) {
            Ok(who) => Some(who.id),
            Err(CustomerAppError::Store(e)) => return Err(e.into()),
            Err(error) => return refuse(json, format!("{error}; nothing was sold")),
        },
        None => None,
    };
    let given = euros("--given", &payment.given)?;
    let tender = match payment.with {
        None => None,
        Some(PayWith::Card) => Some(Tender::Card),
        Some(PayWith::Cash) => Some(Tender::Cash { given }),
        Some(PayWith::Split) => {
            let card = match euros("--card", &payment.card)? {
                Some(card) => card,
                None => Cents::new(basket.totals()?.total.get() / 2),
            };
            Some(Tender::Split {
                card,
                cash_given: given,
            })
        }
    };
    if tender.is_none() && payment.redeem == 0 {
        return refuse(
            json,
            "say how the customer pays: --pay card, cash or split; nothing was sold",
        );
    }
    let loyalty = match &customer {
        Some(id) => Some(LoyaltyAtTill {
            customer: id,
            balance: points_balance(&store, id)?,
            redeem: payment.redeem,
            rule: config.loyalty_rule(),
        }),
        None => None,
    };
    let sale = match checkout_with_overrides(
        &mut store,
        &mut basket,
        tender,
        SaleContext {
            terminal_id: &config.terminal_id,
            here_code: &config.store_code,
            staff_id: None,
            operator: "cli",
            training,
            now: now.timestamp(),
        },
        loyalty,
        &overrides,
    ) {
        Ok(sale) => sale,
        Err(CheckoutError::Store(e)) => return Err(e.into()),
        Err(error) => {
            return refuse(json, format!("{error}; nothing was sold"));
        }
    };
    let output = output_of(&sale, customer.as_deref());
    if json {
        print_json(&output)?;
    } else {
        print_ticket(&output, &config.locale);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_ticket(ticket: &SellOutput, locale: &str) {
    let m = |cents: i64| money(Cents::new(cents), locale);
    println!("ticket {}  {}", ticket.ticket, ticket.created_at);
    for line in &ticket.lines {
        println!(
            "  {:>4} × {:<50} {:>12}  VAT {}%",
            line.quantity,
            line.name,
            m(line.amount_cents),
            line.vat_rate
        );
    }
    println!("  total {}", m(ticket.total_cents));
    for vat in &ticket.vat {
        println!(
            "  VAT {}%: base {} + VAT {} = {}",
            vat.rate,
            m(vat.base_cents),
            m(vat.vat_cents),
            m(vat.total_cents)
        );
    }
    for payment in &ticket.payments {
        println!("  paid {} by {}", m(payment.amount_cents), payment.method);
    }
    if ticket.change_cents > 0 {
        println!("  change {}", m(ticket.change_cents));
    }
    if let (Some(customer), Some(earned)) = (&ticket.customer, ticket.points_earned) {
        println!("  customer {customer}: {earned} points earned");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_follow_the_last_star_only_when_they_are_digits() {
        let config = ScanConfig::default();
        let cases = [
            ("4006381333931", ("4006381333931", 1)),
            ("4006381333931*3", ("4006381333931", 3)),
            (
                "(01)09520123456788(10)AB*C",
                ("(01)09520123456788(10)AB*C", 1),
            ),
            ("(10)A*B*2", ("(10)A*B", 2)),
        ];
        for (arg, expected) in cases {
            assert_eq!(
                code_and_quantity(arg, &config).map_err(|e| e.to_string()),
                Ok(expected),
                "{arg}"
            );
        }
    }

    /// Issue 20: these said « not a product code »; the quantity is what is wrong.
    #[test]
    fn a_wrong_quantity_is_named_as_such() {
        let config = ScanConfig::default();
        for arg in [
            "4006381333931*-1",
            "4006381333931*abc",
            "4006381333931*0",
            "4006381333931*",
            "4006381333931*99999",
        ] {
            let error = code_and_quantity(arg, &config).expect_err(arg);
            assert!(error.to_string().contains("quantity"), "{arg}: {error}");
        }
    }
}
