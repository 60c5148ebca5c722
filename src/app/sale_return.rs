//! Returns of in-store sales (issue 16): the sale is found from its receipt's code (or its
//! ticket number) here, or at the central for a ticket of another store, the code checked
//! against the sale's journal entry; the units asked for are checked against what was sold and
//! what was already returned anywhere the terminal knows of; the refund goes to the original
//! methods, in cash, or on a store credit. Without a receipt, a manager approves and the refund
//! is a store credit at the lowest price of the last 30 days. A return is a journal entry with
//! negative totals per rate, as for online orders.

use crate::domain::gtin::Gtin;
use crate::domain::pickup::{RefundLine, ReturnError, ReturnableLine, Units, check_return};
use crate::domain::receipt_code::{RECEIPT_PREFIX, ReceiptCode, ReceiptCodeError};
use crate::store::facts::ReturnedSale;
use crate::store::{NewReturn, RecordedReturn, Store, StoreError};
use crate::sync::client::SyncError;
use crate::sync::protocol::{SaleAnswer, SaleRef};

use super::customer::Counter;
use super::sale_guard::{OverrideError, check_manager};

/// How far back a return without a receipt looks for the lowest price (French practice: the
/// reference price of the last 30 days, as for price reductions).
pub const NO_RECEIPT_DAYS: i64 = 30;

/// The `order_id` a return without a receipt is filed under.
pub const NO_RECEIPT: &str = "no-receipt";

#[derive(Debug, thiserror::Error)]
pub enum SaleReturnError {
    #[error("{0}")]
    Code(#[from] ReceiptCodeError),
    #[error("no sale {ticket} of store {store} is known here or at the central")]
    UnknownSale { store: String, ticket: String },
    #[error(
        "ticket {ticket} is a sale of store {store}: the central cannot be asked now, so it cannot \
         be checked; try again when online, or a manager may take it back anyway"
    )]
    OtherStoreOffline { store: String, ticket: String },
    #[error("ticket {0} was rung up in training mode: it was not a sale")]
    Training(String),
    #[error("{0}")]
    Return(#[from] ReturnError),
    #[error("refund by {0}? original, cash or credit")]
    BadRefund(String),
    #[error("a return without a receipt is refunded as a store credit only")]
    NoReceiptCreditOnly,
    #[error("product {0} is not in the catalogue: it cannot be taken back without its receipt")]
    UnknownProduct(String),
    #[error("{0}")]
    Manager(#[from] OverrideError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SaleReturnError {
    /// The word `comptoir return-sale --json` gives scripts: "unknown_sale", "forged",
    /// "already_returned", "offline", "not_a_manager" or "refused".
    pub fn reason(&self) -> &'static str {
        match self {
            SaleReturnError::UnknownSale { .. } => "unknown_sale",
            SaleReturnError::Code(ReceiptCodeError::Forged { .. }) => "forged",
            SaleReturnError::Return(ReturnError::TooMany { .. }) => "already_returned",
            SaleReturnError::OtherStoreOffline { .. } => "offline",
            SaleReturnError::Manager(_) => "not_a_manager",
            _ => "refused",
        }
    }
}

/// Which sale a return is of: read from the receipt's code, or a ticket number typed at the
/// counter (a sale of this store).
pub fn which_sale(
    text: &str,
    here: &str,
) -> Result<(SaleRef, Option<ReceiptCode>), SaleReturnError> {
    let text = text.trim();
    if text.starts_with(RECEIPT_PREFIX) {
        let code = ReceiptCode::parse(text)?;
        return Ok((
            SaleRef {
                store: code.store.clone(),
                ticket: code.ticket.clone(),
            },
            Some(code),
        ));
    }
    Ok((
        SaleRef {
            store: here.to_owned(),
            ticket: text.to_owned(),
        },
        None,
    ))
}

/// A sale as a return sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnableSale {
    pub sale: SaleRef,
    pub customer: Option<String>,
    /// The products (per GTIN, several lines of one product taken together) with their names.
    pub lines: Vec<(String, ReturnableLine)>,
    /// How it was paid: (method, cents).
    pub payments: Vec<(String, i64)>,
    /// "here", "central", or "override" (another store's sale taken back offline on a
    /// manager's word, priced from the catalogue).
    pub source: &'static str,
}

/// Finds the sale for a return: this terminal's own record, else the central's; the code, when
/// there is one, must match the journal entry. `fetch` asks the central (an `Err` is "cannot
/// ask"). Units returned here count even before the central knows of them, and units the
/// central knows were returned elsewhere count too.
pub fn find_sale(
    store: &Store,
    which: &SaleRef,
    code: Option<&ReceiptCode>,
    here: &str,
    fetch: impl FnOnce(&SaleRef) -> Result<Option<SaleAnswer>, SyncError>,
) -> Result<ReturnableSale, SaleReturnError> {
    let id = return_id(which);
    let returned_here = store.returned_here(&id)?;
    let here_count = |gtin: &str| {
        returned_here
            .iter()
            .filter(|u| u.gtin == gtin)
            .map(|u| u.quantity)
            .sum::<i64>()
    };
    let local = match which.store == here {
        true => store
            .sale_for_return(&which.ticket)?
            .filter(|s| s.store_code == which.store),
        false => None,
    };
    let central = fetch(which);
    if let Some(sale) = local {
        if let Some(code) = code {
            code.verify(&sale.journal_hash)?;
        }
        if sale.training {
            return Err(SaleReturnError::Training(which.ticket.clone()));
        }
        let elsewhere = match &central {
            Ok(Some(answer)) => answer.lines.clone(),
            _ => Vec::new(),
        };
        let lines = per_product(sale.lines.iter().map(|(gtin, label, qty, amount, vat)| {
            (gtin.as_str(), label.as_str(), *qty, *amount, *vat)
        }))
        .into_iter()
        .map(|(name, mut line)| {
            let central_count: i64 = elsewhere
                .iter()
                .filter(|l| same_gtin(&l.gtin, &line.gtin))
                .map(|l| l.returned)
                .sum();
            line.returned = here_count(&line.gtin).max(central_count);
            (name, line)
        })
        .collect();
        return Ok(ReturnableSale {
            sale: which.clone(),
            customer: sale.customer,
            lines,
            payments: sale.payments,
            source: "here",
        });
    }
    let answer = match central {
        Ok(Some(answer)) => answer,
        Ok(None) => {
            return Err(SaleReturnError::UnknownSale {
                store: which.store.clone(),
                ticket: which.ticket.clone(),
            });
        }
        Err(error) => {
            tracing::debug!(%error, "sale of another store: central unreachable");
            return Err(SaleReturnError::OtherStoreOffline {
                store: which.store.clone(),
                ticket: which.ticket.clone(),
            });
        }
    };
    if let Some(code) = code {
        // The central keeps the check of the journal entry it chained; without it (the entry
        // has not arrived), the code cannot be told from a forged one.
        match &answer.check {
            Some(check) if *check == code.check => {}
            _ => {
                return Err(ReceiptCodeError::Forged {
                    ticket: code.ticket.clone(),
                }
                .into());
            }
        }
    }
    if answer.training {
        return Err(SaleReturnError::Training(which.ticket.clone()));
    }
    let lines = per_product(answer.lines.iter().map(|l| {
        (
            l.gtin.as_str(),
            l.name.as_str(),
            l.quantity,
            l.amount_cents,
            l.vat_bp,
        )
    }))
    .into_iter()
    .map(|(name, mut line)| {
        let central_count: i64 = answer
            .lines
            .iter()
            .filter(|l| same_gtin(&l.gtin, &line.gtin))
            .map(|l| l.returned)
            .sum();
        line.returned = here_count(&line.gtin).max(central_count);
        (name, line)
    })
    .collect();
    Ok(ReturnableSale {
        sale: which.clone(),
        customer: answer.customer,
        lines,
        payments: answer
            .payments
            .iter()
            .map(|p| (p.method.clone(), p.amount_cents))
            .collect(),
        source: "central",
    })
}

/// A sale of another store taken back while the central cannot be asked, on a manager's word:
/// the units asked for, priced from the catalogue, refunded as the caller chooses.
pub fn override_offline(
    store: &Store,
    which: &SaleRef,
    asked: &[Units],
) -> Result<ReturnableSale, SaleReturnError> {
    let mut lines = Vec::with_capacity(asked.len());
    for units in asked {
        let gtin = Gtin::parse(&units.gtin)
            .map_err(|_| SaleReturnError::UnknownProduct(units.gtin.clone()))?;
        let product = store
            .product(&gtin)?
            .ok_or_else(|| SaleReturnError::UnknownProduct(units.gtin.clone()))?;
        lines.push((
            product.name,
            ReturnableLine {
                gtin: gtin.as_str().to_owned(),
                quantity: units.quantity,
                amount_cents: product.price.get() * units.quantity,
                vat_bp: product.vat_rate.basis_points(),
                returned: 0,
            },
        ));
    }
    Ok(ReturnableSale {
        sale: which.clone(),
        customer: None,
        lines,
        payments: Vec::new(),
        source: "override",
    })
}

/// The `order_id` a return of `sale` is filed under, here and at the central.
pub fn return_id(sale: &SaleRef) -> String {
    format!("{}/{}", sale.store, sale.ticket)
}

fn same_gtin(a: &str, b: &str) -> bool {
    match (Gtin::parse(a), Gtin::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Lines of one product taken together (a product sold on two lines is returned as one).
fn per_product<'a>(
    lines: impl Iterator<Item = (&'a str, &'a str, i64, i64, i64)>,
) -> Vec<(String, ReturnableLine)> {
    let mut products: Vec<(String, ReturnableLine)> = Vec::new();
    for (gtin, name, quantity, amount, vat_bp) in lines {
        let gtin = Gtin::parse(gtin).map_or_else(|_| gtin.to_owned(), |g| g.as_str().to_owned());
        match products.iter_mut().find(|(_, l)| l.gtin == gtin) {
            Some((_, line)) => {
                line.quantity += quantity;
                line.amount_cents += amount;
            }
            None => products.push((
                name.to_owned(),
                ReturnableLine {
                    gtin,
                    quantity,
                    amount_cents: amount,
                    vat_bp,
                    returned: 0,
                },
            )),
        }
    }
    products
}

/// How the money goes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundTo {
    /// The methods the sale was paid with: card first, then credit, then cash; what loyalty
    /// points paid comes back as a store credit.
    Original,
    Cash,
    Credit,
}

impl RefundTo {
    pub fn parse(text: &str) -> Result<RefundTo, SaleReturnError> {
        match text {
            "original" => Ok(RefundTo::Original),
            "cash" => Ok(RefundTo::Cash),
            "credit" => Ok(RefundTo::Credit),
            other => Err(SaleReturnError::BadRefund(other.to_owned())),
        }
    }
}

/// Spreads `refund` over the sale's payments for [`RefundTo::Original`]: each method gives back
/// at most what it received; what is left (a sale partly paid by points) goes on a credit.
pub fn original_split(payments: &[(String, i64)], refund: i64) -> Vec<(String, i64)> {
    let paid = |method: &str| {
        payments
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, c)| *c)
            .sum::<i64>()
    };
    let mut left = refund;
    let mut split: Vec<(String, i64)> = Vec::new();
    for method in ["card", "credit", "cash"] {
        let take = left.min(paid(method)).max(0);
        if take > 0 {
            split.push((method.to_owned(), take));
            left -= take;
        }
    }
    if left > 0 {
        match split.iter_mut().find(|(m, _)| m == "credit") {
            Some((_, cents)) => *cents += left,
            None => split.push(("credit".to_owned(), left)),
        }
    }
    split
}

/// Returns `asked` units of the sale (everything still returnable when empty), refunded as
/// `refund`: the stock back here, a return journal entry, its event for the central.
pub fn return_sale(
    store: &mut Store,
    sale: &ReturnableSale,
    asked: &[Units],
    refund: RefundTo,
    training: bool,
    counter: Counter<'_>,
) -> Result<(RecordedReturn, Vec<RefundLine>), SaleReturnError> {
    let lines: Vec<ReturnableLine> = sale.lines.iter().map(|(_, l)| l.clone()).collect();
    let asked: Vec<Units> = if asked.is_empty() {
        lines
            .iter()
            .filter(|l| l.quantity > l.returned)
            .map(|l| Units {
                gtin: l.gtin.clone(),
                quantity: l.quantity - l.returned,
            })
            .collect()
    } else {
        asked
            .iter()
            .map(|u| Units {
                gtin: Gtin::parse(&u.gtin)
                    .map_or_else(|_| u.gtin.clone(), |g| g.as_str().to_owned()),
                quantity: u.quantity,
            })
            .collect()
    };
    let refund_lines = check_return(&lines, &asked)?;
    let total: i64 = refund_lines.iter().map(|l| l.amount_cents).sum();
    let split = match refund {
        RefundTo::Original if sale.payments.is_empty() => vec![("cash".to_owned(), total)],
        RefundTo::Original => original_split(&sale.payments, total),
        RefundTo::Cash => vec![("cash".to_owned(), total)],
        RefundTo::Credit => vec![("credit".to_owned(), total)],
    };
    let (first, refunds) = match split.as_slice() {
        [(method, _)] => (method.clone(), Vec::new()),
        [(method, _), ..] => (method.clone(), split.clone()),
        [] => ("cash".to_owned(), Vec::new()),
    };
    let id = return_id(&sale.sale);
    let from = ReturnedSale::from(sale.sale.clone());
    let recorded = store.record_return(&NewReturn {
        order_id: &id,
        customer: sale.customer.as_deref(),
        lines: &refund_lines,
        refund: &first,
        refunds: &refunds,
        sale: Some(&from),
        terminal: counter.terminal,
        here_code: counter.store_code,
        staff: counter.staff,
        training,
        at: counter.now,
    })?;
    tracing::info!(
        refund_cents = recorded.refund_cents,
        source = sale.source,
        "in-store sale returned"
    );
    Ok((recorded, refund_lines))
}

/// One unit of `gtin` taken back without a receipt, with the product's name: refunded at the
/// lowest of its shelf price and what it sold for here over the last [`NO_RECEIPT_DAYS`] days.
pub fn no_receipt_unit(
    store: &Store,
    gtin: &str,
    now: i64,
) -> Result<(String, RefundLine), SaleReturnError> {
    let parsed = Gtin::parse(gtin).map_err(|_| SaleReturnError::UnknownProduct(gtin.to_owned()))?;
    let product = store
        .product(&parsed)?
        .ok_or_else(|| SaleReturnError::UnknownProduct(gtin.to_owned()))?;
    let since = now - NO_RECEIPT_DAYS * 86_400;
    let lowest = store
        .lowest_unit_price_since(&parsed, since)?
        .map_or(product.price.get(), |sold| sold.min(product.price.get()));
    Ok((
        product.name,
        RefundLine {
            gtin: parsed.as_str().to_owned(),
            quantity: 1,
            amount_cents: lowest,
            vat_bp: product.vat_rate.basis_points(),
        },
    ))
}

/// Takes back `asked` units with no receipt, on a manager's approval (their PIN is checked and a
/// wrong one counts toward their lockout): refunded as a store credit only, each unit as
/// [`no_receipt_unit`] prices it.
pub fn return_without_receipt(
    store: &mut Store,
    asked: &[Units],
    manager: (&str, &str),
    training: bool,
    counter: Counter<'_>,
) -> Result<(RecordedReturn, Vec<RefundLine>, String), SaleReturnError> {
    let approver = check_manager(store, manager.0, manager.1, counter.now)?;
    let mut lines = Vec::with_capacity(asked.len());
    for units in asked {
        let (_, unit) = no_receipt_unit(store, &units.gtin, counter.now)?;
        lines.push(RefundLine {
            quantity: units.quantity,
            amount_cents: unit.amount_cents * units.quantity,
            ..unit
        });
    }
    if lines.is_empty() {
        return Err(ReturnError::Nothing.into());
    }
    let recorded = store.record_return(&NewReturn {
        order_id: NO_RECEIPT,
        customer: None,
        lines: &lines,
        refund: "credit",
        refunds: &[],
        sale: None,
        terminal: counter.terminal,
        here_code: counter.store_code,
        // The manager answers for it: the journal names them.
        staff: &approver.login,
        training,
        at: counter.now,
    })?;
    tracing::info!(
        refund_cents = recorded.refund_cents,
        "goods taken back without a receipt"
    );
    Ok((recorded, lines, approver.login))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(method: &str, cents: i64) -> (String, i64) {
        (method.to_owned(), cents)
    }

    #[test]
    fn an_original_refund_goes_back_card_first_and_points_become_credit() {
        assert_eq!(
            original_split(&[p("card", 5000)], 1990),
            vec![p("card", 1990)]
        );
        assert_eq!(
            original_split(&[p("card", 1000), p("cash", 4000)], 3000),
            vec![p("card", 1000), p("cash", 2000)]
        );
        assert_eq!(
            original_split(&[p("loyalty", 500), p("cash", 1500)], 2000),
            vec![p("cash", 1500), p("credit", 500)]
        );
        assert_eq!(
            original_split(&[p("credit", 700), p("card", 300)], 1000),
            vec![p("card", 300), p("credit", 700)]
        );
    }

    #[test]
    fn a_code_names_its_store_and_a_typed_ticket_this_one() {
        let (sale, code) =
            which_sale("CPTR1:LYO-01:T02-000007:0123456789abcdef", "PAR-01").expect("reads");
        assert_eq!(
            (sale.store.as_str(), sale.ticket.as_str()),
            ("LYO-01", "T02-000007")
        );
        assert!(code.is_some());
        let (sale, code) = which_sale(" T01-000042 ", "PAR-01").expect("reads");
        assert_eq!(
            (sale.store.as_str(), sale.ticket.as_str()),
            ("PAR-01", "T01-000042")
        );
        assert!(code.is_none());
        assert!(which_sale("CPTR1:broken", "PAR-01").is_err());
    }

    #[test]
    fn a_product_sold_on_two_lines_is_returned_as_one() {
        let lines = per_product(
            [
                ("03760000000017", "Savon", 1, 500, 2000),
                ("03760000000024", "Miel", 2, 1800, 550),
                ("3760000000017", "Savon", 2, 800, 2000),
            ]
            .into_iter(),
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].1.quantity, 3);
        assert_eq!(lines[0].1.amount_cents, 1300);
    }
}
