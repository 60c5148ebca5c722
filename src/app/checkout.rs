//! Ringing up and paying: a scan becomes a basket line, and a paid basket becomes a recorded sale
//! (one transaction: sale, lines, VAT, payments, stock). The CLI's `sell` and the UI's checkout
//! page both go through here, so they cannot differ.

use chrono::NaiveDate;

use crate::app::pricing::Pricing;
use crate::app::product_card::{ProductCard, ProductCardError, card_for_scan};
use crate::domain::basket::{Basket, BasketError, BasketLine, BasketTotals, CancelledLine};
use crate::domain::catalog::PriceUnit;
use crate::domain::loyalty::{LoyaltyError, LoyaltyRule};
use crate::domain::money::{Cents, MoneyError};
use crate::domain::payment::{
    PaymentError, Settlement, Tender, paid_by_other_means, settle_with_credit,
};
use crate::domain::scan::{ScanConfig, parse_scan};
use crate::store::{EntryDraft, NewSale, RecordedSale, SaleCustomer, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("{0}")]
    Product(#[from] ProductCardError),
    #[error("{name} is sold by weight: scan the label the scale printed")]
    NeedsWeight { name: String },
    #[error("{0}")]
    Basket(#[from] BasketError),
    #[error("{0}")]
    Money(#[from] MoneyError),
    #[error("the basket is empty")]
    EmptyBasket,
    /// The product scanned (kept, so that a manager's override can add it) and what blocks it.
    #[error("{} cannot be sold: {block} (a manager may override it)", card.product.name)]
    Blocked {
        card: Box<ProductCard>,
        block: crate::domain::sale_guard::SaleBlock,
    },
    #[error("{0}")]
    Override(Box<crate::app::sale_guard::OverrideError>),
    #[error("{0}")]
    Payment(#[from] PaymentError),
    #[error("{0}")]
    Loyalty(#[from] LoyaltyError),
    #[error("the credit has {balance} left, not {asked}", balance = .balance.format_en(), asked = .asked.format_en())]
    CreditShort { asked: Cents, balance: Cents },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::app::sale_guard::OverrideError> for CheckoutError {
    fn from(error: crate::app::sale_guard::OverrideError) -> Self {
        CheckoutError::Override(Box::new(error))
    }
}

/// The basket line a product card gives, `quantity` times.
pub fn line_for_card(card: &ProductCard, quantity: i64) -> Result<BasketLine, CheckoutError> {
    let product = &card.product;
    let amount_override = card.details.amount;
    if product.price_unit == PriceUnit::Kilogram && amount_override.is_none() {
        return Err(CheckoutError::NeedsWeight {
            name: product.name.clone(),
        });
    }
    Ok(BasketLine {
        gtin: product.gtin.as_str().to_owned(),
        label: product.name.clone(),
        unit_price: product.price,
        quantity,
        vat_rate: product.vat_rate,
        amount_override,
        brand: product.brand.clone(),
        category: product.category.clone(),
        manual: None,
        discounts: Vec::new(),
    })
}

/// Scans `raw` into `basket`, `quantity` times; returns the product card shown for it.
pub fn add_scan(
    store: &Store,
    basket: &mut Basket,
    raw: &str,
    quantity: i64,
    config: &ScanConfig,
    here: &str,
    today: NaiveDate,
) -> Result<ProductCard, CheckoutError> {
    let (card, line) = scan_line(store, raw, quantity, config, here, today)?;
    basket.add(line)?;
    Ok(card)
}

/// The product card for `raw` and the basket line it gives, `quantity` times, not added yet
/// (the seller's discount may be set on it first).
pub fn scan_line(
    store: &Store,
    raw: &str,
    quantity: i64,
    config: &ScanConfig,
    here: &str,
    today: NaiveDate,
) -> Result<(ProductCard, BasketLine), CheckoutError> {
    let card = card_for_scan(store, parse_scan(raw, config), here, today)?;
    let line = line_for_card(&card, quantity)?;
    Ok((card, line))
}

/// Who sells, where, and when.
#[derive(Clone, Copy, Debug)]
pub struct SaleContext<'a> {
    pub terminal_id: &'a str,
    pub here_code: &'a str,
    pub staff_id: Option<i64>,
    /// The staff login the journal records, or "cli".
    pub operator: &'a str,
    pub training: bool,
    /// Unix seconds, UTC.
    pub now: i64,
    /// The promotions the sale is priced with, at `now`.
    pub pricing: &'a Pricing,
    /// The identified customer's loyalty tier (tier offers).
    pub tier: Option<&'a str>,
    /// A store credit or gift card that pays part of the sale, after the points.
    pub credit: Option<CreditAtTill<'a>>,
}

/// A store credit or gift card handed over at the till: its code, what is left on it (see
/// `app::credit::balance`), and how much of it to use (`None`: as much as the sale needs).
#[derive(Clone, Copy, Debug)]
pub struct CreditAtTill<'a> {
    pub code: &'a str,
    pub balance: Cents,
    pub amount: Option<Cents>,
}

/// The identified customer at the till: who, the balance the terminal may rely on (see
/// `domain::loyalty::offline_balance`), the points they redeem now, and the store's rule.
#[derive(Clone, Copy, Debug)]
pub struct LoyaltyAtTill<'a> {
    pub customer: &'a str,
    pub balance: i64,
    pub redeem: i64,
    pub rule: LoyaltyRule,
}

/// A sale as it was recorded, with everything the confirmation and the ticket show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletedSale {
    pub recorded: RecordedSale,
    pub created_at: i64,
    pub lines: Vec<BasketLine>,
    pub totals: BasketTotals,
    pub settlement: Settlement,
    pub points_redeemed: i64,
    pub points_earned: i64,
}

/// Settles and records the basket. On success the basket is emptied for the next customer; on
/// any error nothing is written and the basket is left as it was.
pub fn checkout(
    store: &mut Store,
    basket: &mut Basket,
    tender: Tender,
    context: SaleContext<'_>,
) -> Result<CompletedSale, CheckoutError> {
    checkout_with_loyalty(store, basket, Some(tender), context, None)
}

/// [`checkout`] for an identified customer: `loyalty.redeem` points pay first (never more than
/// the balance or the total), `tender` pays the rest (`None` when the points pay it all), and
/// what was paid by other means earns points. Training tickets move no points.
pub fn checkout_with_loyalty(
    store: &mut Store,
    basket: &mut Basket,
    tender: Option<Tender>,
    context: SaleContext<'_>,
    loyalty: Option<LoyaltyAtTill<'_>>,
) -> Result<CompletedSale, CheckoutError> {
    checkout_with_overrides(store, basket, tender, context, loyalty, &[])
}

/// [`checkout_with_loyalty`] that also journals `overrides` (a manager's overrides of expired or
/// recalled products, see `app::sale_guard::override_entry`) in the sale's transaction, just
/// before its ticket: a sale is never recorded without them, nor they without it.
pub fn checkout_with_overrides(
    store: &mut Store,
    basket: &mut Basket,
    tender: Option<Tender>,
    context: SaleContext<'_>,
    loyalty: Option<LoyaltyAtTill<'_>>,
    overrides: &[EntryDraft],
) -> Result<CompletedSale, CheckoutError> {
    let sale = record(
        store,
        basket,
        &[],
        None,
        tender,
        context,
        loyalty,
        overrides,
    )?;
    basket.clear();
    Ok(sale)
}

/// Pays the terminal's open basket (the one the screen and `comptoir basket` fill), as
/// [`checkout_with_loyalty`] does; the lines cancelled on the way go into the ticket's journal
/// entry, and the basket is closed in the sale's own transaction. On error nothing is written
/// and the basket stays open as it was. (The screen journals a manager's override when it is
/// given, so nothing more is journaled here.)
pub fn checkout_open_basket(
    store: &mut Store,
    tender: Option<Tender>,
    context: SaleContext<'_>,
    loyalty: Option<LoyaltyAtTill<'_>>,
) -> Result<CompletedSale, CheckoutError> {
    let open = store.open_basket()?;
    record(
        store,
        &open.basket,
        &open.cancelled,
        open.id,
        tender,
        context,
        loyalty,
        &[],
    )
}

#[allow(clippy::too_many_arguments)]
fn record(
    store: &mut Store,
    basket: &Basket,
    cancelled: &[CancelledLine],
    open_basket: Option<i64>,
    tender: Option<Tender>,
    context: SaleContext<'_>,
    loyalty: Option<LoyaltyAtTill<'_>>,
    overrides: &[EntryDraft],
) -> Result<CompletedSale, CheckoutError> {
    if basket.is_empty() {
        return Err(CheckoutError::EmptyBasket);
    }
    // Priced again at the moment of sale: a promotion that has just ended is not paid for, and
    // a screen that did not refresh cannot decide the amounts.
    let mut basket = basket.clone();
    context
        .pricing
        .reprice(&mut basket, context.tier, context.now)?;
    let totals = basket.totals()?;
    let (points_value, redeemed) = match loyalty {
        Some(l) if l.redeem != 0 => (l.rule.redeem(l.redeem, l.balance, totals.total)?, l.redeem),
        _ => (Cents::ZERO, 0),
    };
    let credit_cents = match context.credit {
        None => Cents::ZERO,
        Some(credit) => {
            let due = Cents::new((totals.total.get() - points_value.get()).max(0));
            let wanted = credit.amount.unwrap_or(due.min(credit.balance));
            if wanted > credit.balance {
                return Err(CheckoutError::CreditShort {
                    asked: wanted,
                    balance: credit.balance,
                });
            }
            wanted
        }
    };
    let settlement = settle_with_credit(totals.total, points_value, credit_cents, tender)?;
    let earned = match loyalty {
        Some(l) if !context.training => l.rule.earned(paid_by_other_means(&settlement)),
        _ => 0,
    };
    let span = tracing::info_span!("checkout", terminal = context.terminal_id);
    let _guard = span.enter();
    let recorded = store.record_sale(&NewSale {
        terminal_id: context.terminal_id,
        staff_id: context.staff_id,
        operator: Some(context.operator),
        training: context.training,
        here_code: context.here_code,
        created_at: context.now,
        lines: basket.lines(),
        totals: &totals,
        settlement: &settlement,
        customer: loyalty.map(|l| SaleCustomer {
            id: l.customer,
            points_redeemed: redeemed,
            points_earned: earned,
        }),
        cancelled,
        open_basket,
        journal_before: overrides,
        credit_code: context.credit.map(|c| c.code),
    })?;
    tracing::info!(
        seq = recorded.seq,
        total_cents = totals.total.get(),
        cancelled_lines = cancelled.len(),
        "sale recorded"
    );
    Ok(CompletedSale {
        recorded,
        created_at: context.now,
        lines: basket.lines().to_vec(),
        totals,
        settlement,
        points_redeemed: redeemed,
        points_earned: earned,
    })
}
