//! `comptoir sell CODE[*QTY][~DISCOUNT]… [--discount DISCOUNT] [--reason TEXT]
//! [--price LINE=EUROS]… --pay card|cash|split [--json]`: sells products exactly as the
//! checkout page does (same use cases), and prints the ticket. Promotions apply by themselves; a
//! manual discount or price override needs a reason from the chain's list, and past the
//! seller's limit a manager's `--staff LOGIN --pin PIN` (issue 15). Any unknown code stops the sale
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
    CheckoutError, CompletedSale, CreditAtTill, LoyaltyAtTill, SaleContext,
    checkout_with_overrides, scan_line,
};
use crate::app::customer::{CustomerAppError, points_balance};
use crate::app::login::LoginError;
use crate::app::pricing::{
    DiscountPolicy, DiscountRefusal, Pricing, approval_entry, customer_tier,
};
use crate::app::sale_guard::{
    OverrideError, check_manager, checked_reason, override_entry, sale_block,
};
use crate::domain::basket::{Basket, BasketLine};
use crate::domain::discount::{Adjustment, Discount, ManualBasket, ManualLine};
use crate::domain::journal::DigestDiscount;
use crate::domain::money::{Cents, parse_euros};
use crate::domain::payment::Tender;
use crate::domain::scan::{ScanConfig, parse_scan};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PayWith {
    Card,
    Cash,
    /// Part card, part cash (`--card` gives the card part; half by default).
    Split,
    /// A store credit or gift card (`--credit CODE[=EUROS]`), with another --pay for the rest.
    Credit,
}

/// How the customer pays, from the command line.
#[derive(Clone, Debug)]
pub struct Payment {
    /// Every --pay given (none when loyalty points pay the whole basket).
    pub with: Vec<PayWith>,
    /// `--credit CODE[=EUROS]`.
    pub credit: Option<(String, Option<Cents>)>,
    /// Cash handed over, in euros ("50" or "20,50"); the exact amount when absent.
    pub given: Option<String>,
    /// For `split`: the card part in euros.
    pub card: Option<String>,
    /// The customer (loyalty code or id): the sale earns them points.
    pub customer: Option<String>,
    /// Points the customer redeems first.
    pub redeem: i64,
}

/// A manager at the till: their login and PIN.
#[derive(Clone, Debug)]
pub struct Manager {
    pub staff: String,
    pub pin: String,
}

/// What the seller takes off by hand.
#[derive(Clone, Debug, Default)]
pub struct Manual {
    /// Off the whole basket (`--discount`).
    pub basket: Option<Discount>,
    /// `--reason`.
    pub reason: Option<String>,
    /// `--price LINE=EUROS`: line numbers (from 1, in the order of the codes) and new prices.
    pub prices: Vec<(usize, Cents)>,
}

/// clap's check of `--discount`: `10%` or an amount in euros.
pub fn discount_arg(text: &str) -> Result<Discount, String> {
    Discount::parse(text).map_err(|e| e.to_string())
}

/// clap's check of `--credit CODE[=EUROS]`.
pub fn credit_arg(text: &str) -> Result<(String, Option<Cents>), String> {
    let (code, euros) = match text.split_once('=') {
        Some((code, euros)) => (code.trim(), Some(euros.trim())),
        None => (text.trim(), None),
    };
    if code.is_empty() {
        return Err(format!(
            "{text:?}: write the credit's code, e.g. AV-7K2M-Q9XD-4HPT=10"
        ));
    }
    let amount = euros
        .map(|e| parse_euros(e).map_err(|error| format!("{text:?}: {error}")))
        .transpose()?;
    if amount.is_some_and(|a| a.get() <= 0) {
        return Err(format!(
            "{text:?}: the amount to use must be more than zero"
        ));
    }
    Ok((code.to_owned(), amount))
}

/// clap's check of `--price LINE=EUROS`.
pub fn price_arg(text: &str) -> Result<(usize, Cents), String> {
    let wrong =
        || format!("{text:?}: write the line number (from 1) and its new price, e.g. 2=14.90");
    let (line, euros) = text.split_once('=').ok_or_else(wrong)?;
    let line: usize = line.trim().parse().map_err(|_| wrong())?;
    if line == 0 {
        return Err(wrong());
    }
    let price = parse_euros(euros.trim()).map_err(|e| format!("{text:?}: {e}"))?;
    Ok((line, price))
}

/// Splits `CODE[*QTY][~DISCOUNT]` into the code, its quantity and the line's discount. Only
/// what reads as a discount after the last `~` is one: a whole argument that is a recognised
/// scan (a Digital Link URI may hold a `~`) stays one code.
pub fn code_quantity_discount<'a>(
    arg: &'a str,
    config: &ScanConfig,
) -> Result<(&'a str, i64, Option<Discount>), UsageError> {
    let Some((head, discount)) = arg.rsplit_once('~') else {
        let (code, quantity) = code_and_quantity(arg, config)?;
        return Ok((code, quantity, None));
    };
    match Discount::parse(discount) {
        Ok(discount) => {
            let (code, quantity) = code_and_quantity(head, config)?;
            Ok((code, quantity, Some(discount)))
        }
        Err(_) if parse_scan(arg, config).is_recognised() => Ok((arg, 1, None)),
        Err(error) => Err(UsageError(format!("{arg}: after `~`, {error}"))),
    }
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
pub struct SellOutput {
    pub ticket: String,
    /// What the receipt's code holds (`CPTR1:…`), to take the sale back; none in training.
    #[serde(skip_serializing_if = "Option::is_none")]
    receipt_code: Option<String>,
    created_at: String,
    lines: Vec<LineOutput>,
    pub total_cents: i64,
    vat: Vec<VatOutput>,
    pub payments: Vec<PaymentOutput>,
    change_cents: i64,
    /// What discounts took off the whole ticket.
    discount_cents: i64,
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
    /// What the line pays, discounts taken off.
    amount_cents: i64,
    discount_cents: i64,
    /// `manual` or `promotion`: the kind of the line's largest discount (null: none).
    discount_kind: Option<String>,
    promotion_id: Option<String>,
    /// The manual discount's reason.
    reason: Option<String>,
    /// Every discount of the line.
    discounts: Vec<DiscountOutput>,
}

#[derive(Debug, Serialize)]
struct DiscountOutput {
    kind: String,
    amount_cents: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    promotion_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

fn line_output(line: &BasketLine) -> LineOutput {
    // The discounts as the journal keeps them: the same kinds, ids and reasons.
    let discounts: Vec<DigestDiscount> = line.discounts.iter().map(DigestDiscount::of).collect();
    let largest = discounts
        .iter()
        .reduce(|best, d| if d.amount > best.amount { d } else { best });
    LineOutput {
        gtin: line.gtin.clone(),
        name: line.label.clone(),
        quantity: line.quantity,
        unit_price_cents: line.unit_price.get(),
        vat_rate: vat_percent(line.vat_rate),
        amount_cents: line.line_total().map(|a| a.get()).unwrap_or_default(),
        discount_cents: line.discount_total().map(|a| a.get()).unwrap_or_default(),
        discount_kind: largest.map(|d| d.kind.clone()),
        promotion_id: discounts.iter().find_map(|d| d.promotion_id.clone()),
        reason: discounts.iter().find_map(|d| d.reason.clone()),
        discounts: discounts
            .into_iter()
            .map(|d| DiscountOutput {
                kind: d.kind,
                amount_cents: d.amount,
                promotion_id: d.promotion_id,
                promotion_name: d.name,
                reason: d.reason,
            })
            .collect(),
    }
}

#[derive(Debug, Serialize)]
struct VatOutput {
    rate: serde_json::Value,
    base_cents: i64,
    vat_cents: i64,
    total_cents: i64,
}

#[derive(Debug, Serialize)]
pub struct PaymentOutput {
    pub method: &'static str,
    pub amount_cents: i64,
}

fn output_of(
    sale: &CompletedSale,
    customer: Option<&str>,
    receipt_code: Option<&str>,
) -> SellOutput {
    SellOutput {
        ticket: sale.recorded.ticket_number.clone(),
        receipt_code: receipt_code.map(str::to_owned),
        created_at: rfc3339(sale.created_at),
        lines: sale.lines.iter().map(line_output).collect(),
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
        discount_cents: sale.totals.discount.get(),
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
    manual: &Manual,
    override_reason: Option<&str>,
    manager: Option<Manager>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    sell(
        context,
        codes,
        payment,
        manual,
        override_reason,
        manager,
        json,
        None,
    )
}

/// [`run`], with the ticket handed to `sold` instead of printed when it is given (an exchange
/// prints it with its return); a refusal is said as `run` says it.
#[allow(clippy::too_many_arguments)]
pub fn sell(
    context: &CommandContext,
    codes: &[String],
    payment: &Payment,
    manual: &Manual,
    override_reason: Option<&str>,
    manager: Option<Manager>,
    json: bool,
    sold: Option<&mut Option<SellOutput>>,
) -> anyhow::Result<ExitCode> {
    let config = &context.config;
    let scan_config = config.scan_config();
    let mut parsed = Vec::with_capacity(codes.len());
    for arg in codes {
        parsed.push(code_quantity_discount(arg, &scan_config)?);
    }
    let mut line_manual: Vec<Option<Adjustment>> = parsed
        .iter()
        .map(|(_, _, d)| d.map(|discount| Adjustment::Discount { discount }))
        .collect();
    for (line, price) in &manual.prices {
        let Some(slot) = line_manual.get_mut(line - 1) else {
            return Err(UsageError(format!(
                "--price {line}=…: there is no line {line} (the sale has {} codes)",
                codes.len()
            ))
            .into());
        };
        if slot.is_some() {
            return Err(UsageError(format!(
                "line {line} has both a discount and --price: give one or the other"
            ))
            .into());
        }
        *slot = Some(Adjustment::PriceOverride { unit_price: *price });
    }
    let policy = DiscountPolicy {
        reasons: &config.discount_reasons,
        seller_limit_percent: config.seller_discount_limit_percent,
    };
    let any_manual = manual.basket.is_some() || line_manual.iter().any(Option::is_some);
    let reason = match (&manual.reason, any_manual) {
        (_, false) => None,
        (None, true) => {
            return refuse(
                json,
                format!(
                    "a manual discount or price override needs --reason ({}); nothing was sold",
                    if config.discount_reasons.is_empty() {
                        "any text".to_owned()
                    } else {
                        config.discount_reasons.join(", ")
                    }
                ),
            );
        }
        (Some(given), true) => match policy.reason(given) {
            Ok(reason) => Some(reason),
            Err(error) => return refuse(json, format!("--reason: {error}; nothing was sold")),
        },
    };
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
    let now = chrono::Utc::now();
    let training = store.training_mode()?;
    let mut basket = Basket::new();
    let mut blocked = Vec::new();
    for ((arg, (code, quantity, _)), adjustment) in codes.iter().zip(&parsed).zip(line_manual) {
        let added = scan_line(
            &store,
            code,
            *quantity,
            &scan_config,
            &config.store_code,
            now.date_naive(),
        )
        .and_then(|(card, mut line)| {
            line.manual = adjustment.map(|adjustment| ManualLine {
                adjustment,
                reason: reason.clone().unwrap_or_default(),
            });
            basket.add(line)?;
            Ok(card)
        });
        match added {
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
    basket.set_discount(manual.basket.map(|discount| ManualBasket {
        discount,
        reason: reason.clone().unwrap_or_default(),
    }));
    let mut overrides = Vec::with_capacity(blocked.len());
    if !blocked.is_empty() {
        let (Some(override_reason), Some(authority)) = (override_reason, &manager) else {
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
        let approver = match checked_reason(override_reason)
            .and_then(|_| check_manager(&store, &authority.staff, &authority.pin, now.timestamp()))
        {
            Ok(approver) => approver,
            Err(OverrideError::Store(e) | OverrideError::Login(LoginError::Store(e))) => {
                return Err(e.into());
            }
            Err(error) => {
                return refuse(json, format!("override refused: {error}; nothing was sold"));
            }
        };
        for (_, product, block) in &blocked {
            overrides.push(override_entry(
                &approver,
                override_reason,
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
    let tier = match &customer {
        Some(id) => customer_tier(&store, id)?,
        None => None,
    };
    let pricing = Pricing::load(&store, &config.store_code)?;
    if let Err(error) = pricing.reprice(&mut basket, tier.as_deref(), now.timestamp()) {
        return refuse(json, format!("{error}; nothing was sold"));
    }
    let manager_login = manager.as_ref().map(|m| (m.staff.as_str(), m.pin.as_str()));
    match policy.approve(&store, &basket, None, None, manager_login, now.timestamp()) {
        Ok(None) => {}
        // Journaled in the sale's own transaction, before its ticket.
        Ok(Some(manager)) => overrides.push(approval_entry(
            &manager,
            "ticket",
            reason.as_deref().unwrap_or_default(),
            &config.terminal_id,
            now.timestamp(),
        )),
        Err(DiscountRefusal::Store(e)) => return Err(e.into()),
        Err(DiscountRefusal::NeedsManager { limit }) => {
            return refuse(
                json,
                format!(
                    "a seller may take off at most {limit} % of a line by hand: a manager approves \
                     with --staff LOGIN --pin PIN; nothing was sold"
                ),
            );
        }
        Err(error) => {
            return refuse(json, format!("discount refused: {error}; nothing was sold"));
        }
    }
    let given = euros("--given", &payment.given)?;
    let pays_by_credit = payment.with.contains(&PayWith::Credit);
    let others: Vec<PayWith> = payment
        .with
        .iter()
        .copied()
        .filter(|p| *p != PayWith::Credit)
        .collect();
    if others.len() > 1 {
        return Err(UsageError(
            "give one --pay card, cash or split (and --pay credit for a store credit)".into(),
        )
        .into());
    }
    if pays_by_credit != payment.credit.is_some() {
        return Err(UsageError("--pay credit and --credit CODE[=EUROS] go together".into()).into());
    }
    let tender = match others.first() {
        None | Some(PayWith::Credit) => None,
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
    let credit = match &payment.credit {
        None => None,
        Some((code, amount)) => {
            let reader = crate::store::Store::open(&context.db_path)?;
            match crate::app::credit::balance(
                &mut store,
                code,
                |code| {
                    crate::sync::engine::ask_central(&reader, |client| async move {
                        client.credit(code).await
                    })
                },
                now.timestamp(),
            ) {
                Ok(balance) if balance.balance_cents <= 0 => {
                    return refuse(
                        json,
                        format!("credit {code} has nothing left on it; nothing was sold"),
                    );
                }
                Ok(balance) => Some((code.clone(), Cents::new(balance.balance_cents), *amount)),
                Err(crate::app::credit::CreditError::Store(e)) => return Err(e.into()),
                Err(error) => return refuse(json, format!("{error}; nothing was sold")),
            }
        }
    };
    if tender.is_none() && payment.redeem == 0 && credit.is_none() {
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
            pricing: &pricing,
            tier: tier.as_deref(),
            credit: credit.as_ref().map(|(code, balance, amount)| CreditAtTill {
                code,
                balance: *balance,
                amount: *amount,
            }),
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
    if sale
        .settlement
        .payments
        .iter()
        .any(|(method, _)| *method == crate::domain::payment::PaymentMethod::Cash)
    {
        super::drawer::kick(config);
    }
    let code = (!training).then(|| {
        crate::domain::receipt_code::ReceiptCode::of(
            &config.store_code,
            &sale.recorded.ticket_number,
            &sale.recorded.journal_hash,
        )
        .to_string()
    });
    let output = output_of(&sale, customer.as_deref(), code.as_deref());
    match sold {
        Some(sold) => *sold = Some(output),
        None if json => print_json(&output)?,
        None => print_ticket(&output, &config.locale),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn print_ticket(ticket: &SellOutput, locale: &str) {
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
        for discount in &line.discounts {
            let why = discount
                .promotion_name
                .as_deref()
                .or(discount.reason.as_deref())
                .unwrap_or_default();
            println!("         −{} {why}", m(discount.amount_cents));
        }
    }
    println!("  total {}", m(ticket.total_cents));
    if ticket.discount_cents > 0 {
        println!("  saved {}", m(ticket.discount_cents));
    }
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
