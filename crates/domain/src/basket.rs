//! The basket being rung up at the counter, and its totals with the VAT breakdown per rate that
//! a French ticket shows.
//!
//! Shelf prices include VAT. The basket only holds sale lines: positive quantities up to
//! [`MAX_QUANTITY`] and non-negative prices; returns are their own operation. Each line keeps
//! its shelf price and carries the discounts the pricing engine gives it (see
//! [`Basket::reprice`]): the amounts, the totals and the VAT are on what remains.
//! This module must never do I/O, never use floating point, and never panic on a line built
//! from outside data: every amount goes through checked arithmetic.

use serde::{Deserialize, Serialize};

use crate::discount::{
    DiscountError, DiscountSource, FULL_PERCENT, LineDiscount, ManualBasket, ManualLine,
};
use crate::money::{Cents, MoneyError};
use crate::pricing::{PricingContext, PricingLine, PromotionBook, price};
use crate::vat::VatRate;

/// The largest quantity on one line. Far above any real sale, low enough to catch a scanned
/// barcode typed into the quantity field.
pub const MAX_QUANTITY: i64 = 9_999;

/// One line of the basket: an article, how many, at what VAT-inclusive price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasketLine {
    pub gtin: String,
    pub label: String,
    /// VAT-inclusive price of one unit.
    pub unit_price: Cents,
    pub quantity: i64,
    pub vat_rate: VatRate,
    /// The amount printed on the item's own label, for items weighed or priced in store (a
    /// price-embedded barcode): it replaces `unit_price` and the line stands for that one item,
    /// so its quantity is 1.
    pub amount_override: Option<Cents>,
    /// What promotions may target (empty when unknown).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub brand: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub category: String,
    /// The seller's discount or price override of this line, with its reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual: Option<ManualLine>,
    /// What the last pricing took off the line (manual, promotions, its share of a basket
    /// discount); empty until priced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discounts: Vec<LineDiscount>,
}

impl BasketLine {
    /// A line at the shelf price, with nothing taken off and nothing promotions could target.
    pub fn new(
        gtin: &str,
        label: &str,
        unit_price: Cents,
        quantity: i64,
        vat_rate: VatRate,
    ) -> BasketLine {
        BasketLine {
            gtin: gtin.to_owned(),
            label: label.to_owned(),
            unit_price,
            quantity,
            vat_rate,
            amount_override: None,
            brand: String::new(),
            category: String::new(),
            manual: None,
            discounts: Vec::new(),
        }
    }

    /// The VAT-inclusive amount the line pays: [`BasketLine::gross_total`] less its discounts.
    pub fn line_total(&self) -> Result<Cents, MoneyError> {
        let gross = self.gross_total()?;
        let net = gross
            .checked_sub(self.discount_total()?)
            .ok_or(MoneyError::Overflow)?;
        if net.is_negative() {
            return Err(MoneyError::NegativeAmount { amount: net });
        }
        Ok(net)
    }

    /// What the discounts take off the line.
    pub fn discount_total(&self) -> Result<Cents, MoneyError> {
        Cents::checked_sum(self.discounts.iter().map(|d| d.amount)).ok_or(MoneyError::Overflow)
    }

    /// The price of one unit before discounts: the label's amount for a label-priced item.
    pub fn shelf_unit_price(&self) -> Cents {
        self.amount_override.unwrap_or(self.unit_price)
    }

    /// The VAT-inclusive amount of the line before discounts: the label amount if there is one,
    /// otherwise the unit price times the quantity (times the quantity too for a label amount,
    /// should a line built elsewhere carry another quantity than 1).
    ///
    /// Refuses a negative or excessive quantity and a negative price: those are not sales.
    pub fn gross_total(&self) -> Result<Cents, MoneyError> {
        if self.quantity < 0 {
            return Err(MoneyError::NegativeQuantity {
                quantity: self.quantity,
            });
        }
        if self.quantity > MAX_QUANTITY {
            return Err(MoneyError::QuantityTooLarge {
                quantity: self.quantity,
                max: MAX_QUANTITY,
            });
        }
        let price = self.amount_override.unwrap_or(self.unit_price);
        if price.is_negative() {
            return Err(MoneyError::NegativeAmount { amount: price });
        }
        price.checked_mul(self.quantity).ok_or(MoneyError::Overflow)
    }

    /// Whether `other` is the same article at the same price and rate, so that scanning it again
    /// adds to this line. A label-priced item is its own line: two weighed bags of apples are
    /// two amounts. A price or rate that changed between two scans (a catalogue sync arrived)
    /// opens a new line rather than silently repricing what was already rung up.
    /// A line the seller discounted or repriced keeps its units: another scan opens a line at
    /// the shelf price.
    fn merges_with(&self, other: &BasketLine) -> bool {
        self.amount_override.is_none()
            && other.amount_override.is_none()
            && self.manual.is_none()
            && other.manual.is_none()
            && self.gtin == other.gtin
            && self.unit_price == other.unit_price
            && self.vat_rate == other.vat_rate
    }
}

/// Units taken back out of the basket before payment: a line removed, or a quantity lowered.
/// French cash-register law asks that such cancellations stay visible (BOI-TVA-DECLA-30-10-30:
/// the « annulations » are part of what must be kept), so they go into the ticket's journal
/// entry when the basket is paid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelledLine {
    /// The line as it was, with `quantity` the number of units cancelled.
    pub line: BasketLine,
    /// Who cancelled them (a staff login, or "cli").
    pub operator: String,
    /// Unix seconds, UTC.
    pub at: i64,
}

/// What the basket refuses to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BasketError {
    #[error("there is no line {index} in the basket (it has {len} lines)")]
    NoSuchLine { index: usize, len: usize },
    #[error("quantity 0: nothing to add")]
    ZeroQuantity,
    #[error(
        "“{label}” is priced by its own label (weighed or priced in store): scan each item instead of setting quantity {quantity}"
    )]
    LabelPricedQuantity { label: String, quantity: i64 },
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("{0}")]
    Discount(#[from] DiscountError),
}

/// The VAT of one rate on a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatBreakdownLine {
    pub rate: VatRate,
    /// VAT-exclusive.
    pub base: Cents,
    pub vat: Cents,
    /// VAT-inclusive: the sum of the line totals at this rate; always `base + vat`.
    pub total: Cents,
}

/// The totals of a basket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasketTotals {
    /// One entry per rate present in the basket, from the highest rate to the lowest.
    pub per_rate: Vec<VatBreakdownLine>,
    /// VAT-inclusive total to pay; always the sum of the per-rate totals.
    pub total: Cents,
    /// Number of items: the sum of the quantities.
    pub item_count: i64,
    /// What the discounts took off, all lines together (what « Vous avez économisé » says).
    #[serde(default)]
    pub discount: Cents,
}

/// The lines rung up so far. Only valid sale lines get in (see [`BasketLine::line_total`]), so
/// the totals can only fail on amounts too large for an `i64`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Basket {
    lines: Vec<BasketLine>,
    /// The seller's discount of the whole basket, spread over the lines when priced.
    discount: Option<ManualBasket>,
}

impl Basket {
    /// An empty basket.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a line, or adds its quantity to an existing line for the same article at the same
    /// price and rate. Returns the index of the line that now holds it. On error the basket is
    /// unchanged. The basket is unpriced until the next [`Basket::reprice`].
    pub fn add(&mut self, line: BasketLine) -> Result<usize, BasketError> {
        checked(&line)?;
        match self.lines.iter().position(|held| held.merges_with(&line)) {
            Some(index) => {
                let quantity = self.lines[index]
                    .quantity
                    .checked_add(line.quantity)
                    .ok_or(MoneyError::Overflow)?;
                self.set_quantity(index, quantity)?;
                Ok(index)
            }
            None => {
                self.unprice();
                self.lines.push(line);
                Ok(self.lines.len() - 1)
            }
        }
    }

    /// A basket of lines kept earlier (the open basket in the database), each checked again as
    /// [`Basket::add`] would, but never merged: lines kept apart stay apart.
    pub fn from_lines(lines: Vec<BasketLine>) -> Result<Basket, BasketError> {
        Basket::from_parts(lines, None)
    }

    /// [`Basket::from_lines`] with the basket's own discount.
    pub fn from_parts(
        lines: Vec<BasketLine>,
        discount: Option<ManualBasket>,
    ) -> Result<Basket, BasketError> {
        for line in &lines {
            checked(line)?;
            line.line_total()?;
        }
        Ok(Basket { lines, discount })
    }

    /// Puts a removed line back (« Annuler » after a removal): at `index` when no line holds
    /// the same article meanwhile, else added to that line. Returns where it went.
    pub fn restore(&mut self, index: usize, line: BasketLine) -> Result<usize, BasketError> {
        if self.lines.iter().any(|held| held.merges_with(&line)) {
            return self.add(line);
        }
        checked(&line)?;
        self.unprice();
        let index = index.min(self.lines.len());
        self.lines.insert(index, line);
        Ok(index)
    }

    /// Sets the quantity of line `index`; 0 removes the line. A label-priced line only accepts
    /// 0 or 1. On error the basket is unchanged.
    pub fn set_quantity(&mut self, index: usize, quantity: i64) -> Result<(), BasketError> {
        let held = self.line(index)?;
        if quantity == 0 {
            self.unprice();
            self.lines.remove(index);
            return Ok(());
        }
        let candidate = BasketLine {
            quantity,
            discounts: Vec::new(),
            ..held.clone()
        };
        checked(&candidate)?;
        self.unprice();
        self.lines[index] = candidate;
        Ok(())
    }

    /// Gives line `index` the seller's discount or price override (`None` takes it away). On
    /// error (an override above the shelf price, more off than the line costs) the basket is
    /// unchanged.
    pub fn set_manual(
        &mut self,
        index: usize,
        manual: Option<ManualLine>,
    ) -> Result<(), BasketError> {
        let candidate = BasketLine {
            manual,
            discounts: Vec::new(),
            ..self.line(index)?.clone()
        };
        checked(&candidate)?;
        self.unprice();
        self.lines[index] = candidate;
        Ok(())
    }

    /// Sets (or with `None` takes away) the discount of the whole basket. It is checked against
    /// the basket when priced: an amount larger than what the lines still cost is refused then.
    pub fn set_discount(&mut self, discount: Option<ManualBasket>) {
        self.unprice();
        self.discount = discount;
    }

    /// The seller's discount of the whole basket.
    pub fn discount(&self) -> Option<&ManualBasket> {
        self.discount.as_ref()
    }

    /// Removes line `index` and returns it (without its discounts: they depend on the rest).
    pub fn remove(&mut self, index: usize) -> Result<BasketLine, BasketError> {
        self.line(index)?;
        self.unprice();
        Ok(self.lines.remove(index))
    }

    fn line(&self, index: usize) -> Result<&BasketLine, BasketError> {
        self.lines.get(index).ok_or(BasketError::NoSuchLine {
            index,
            len: self.lines.len(),
        })
    }

    /// The lines, in the order they were rung up.
    pub fn lines(&self) -> &[BasketLine] {
        &self.lines
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Empties the basket (sale completed or cancelled), its discount too.
    pub fn clear(&mut self) {
        self.lines.clear();
        self.discount = None;
    }

    /// Prices every line with the engine: the seller's discounts, the promotions of `book` that
    /// run in `context`, and the basket's discount. On error (a basket discount larger than what
    /// is left to pay) the basket is left unpriced, never half priced.
    pub fn reprice(
        &mut self,
        book: &PromotionBook,
        context: &PricingContext<'_>,
    ) -> Result<(), BasketError> {
        self.unprice();
        let inputs: Vec<PricingLine<'_>> = self
            .lines
            .iter()
            .map(|line| PricingLine {
                gtin: &line.gtin,
                brand: &line.brand,
                category: &line.category,
                unit_price: line.shelf_unit_price(),
                quantity: line.quantity,
                manual: line.manual.as_ref(),
            })
            .collect();
        let discounts = price(&inputs, self.discount.as_ref(), book, context)?;
        for (line, discounts) in self.lines.iter_mut().zip(discounts) {
            line.discounts = discounts;
        }
        Ok(())
    }

    /// Whether the seller's own discounts (a line's, a price override, a share of the basket's)
    /// take off more than `limit` basis points of its shelf amount from line `only` (`None`: from
    /// any line). Reads the last pricing.
    pub fn manual_beyond(&self, limit: i64, only: Option<usize>) -> bool {
        let lines = match only {
            Some(index) => self.lines.get(index..=index).unwrap_or_default(),
            None => &self.lines,
        };
        lines.iter().any(|line| {
            let manual: i128 = line
                .discounts
                .iter()
                .filter(|d| matches!(d.source, DiscountSource::Manual { .. }))
                .map(|d| i128::from(d.amount.get()))
                .sum();
            let gross = line.gross_total().map_or(0, |g| i128::from(g.get()));
            manual * i128::from(FULL_PERCENT) > i128::from(limit) * gross
        })
    }

    /// Forgets the last pricing: what a change makes stale must not be paid.
    fn unprice(&mut self) {
        for line in &mut self.lines {
            line.discounts.clear();
        }
    }

    /// The total to pay and the VAT breakdown per rate.
    ///
    /// Prices include VAT. For each rate present, the total is the sum of its line totals, the
    /// base is `total × 10000 / (10000 + basis points)` rounded half up to the cent, and the
    /// VAT is `total − base`. So base + VAT = total for each rate, and the per-rate totals add
    /// up to the basket total, to the cent.
    ///
    /// Why per rate on the sum rather than per line: a French ticket or invoice shows, for each
    /// rate, the VAT-exclusive total and the VAT (CGI annexe II art. 242 nonies A), and these
    /// must be consistent with the amount paid. Rounding the VAT of every line and adding the
    /// results drifts by up to half a cent per line: three items at 0,04 € and 20 % give
    /// 3 × (0,03 + 0,01) per line, 0,09 + 0,03, where the true split of 0,12 € is 0,10 + 0,02.
    /// Rounding once per rate keeps the error under half a cent per rate.
    pub fn totals(&self) -> Result<BasketTotals, MoneyError> {
        let mut per_rate = Vec::with_capacity(VatRate::ALL.len());
        // ALL runs from the highest rate to the lowest, the order of the ticket.
        for rate in VatRate::ALL {
            let mut at_rate = self.lines.iter().filter(|line| line.vat_rate == rate);
            let Some(first) = at_rate.next() else {
                continue;
            };
            let total = at_rate.try_fold(first.line_total()?, |sum, line| {
                sum.checked_add(line.line_total()?)
                    .ok_or(MoneyError::Overflow)
            })?;
            let base = rate.base_of_inclusive(total);
            let vat = total.checked_sub(base).ok_or(MoneyError::Overflow)?;
            per_rate.push(VatBreakdownLine {
                rate,
                base,
                vat,
                total,
            });
        }
        let total = Cents::checked_sum(per_rate.iter().map(|line| line.total))
            .ok_or(MoneyError::Overflow)?;
        let item_count = self
            .lines
            .iter()
            .try_fold(0_i64, |count, line| count.checked_add(line.quantity))
            .ok_or(MoneyError::Overflow)?;
        let discount = self.lines.iter().try_fold(Cents::ZERO, |sum, line| {
            sum.checked_add(line.discount_total()?)
                .ok_or(MoneyError::Overflow)
        })?;
        Ok(BasketTotals {
            per_rate,
            total,
            item_count,
            discount,
        })
    }
}

/// Whether `line` may be in a basket: a quantity, an amount that is a sale, a label-priced item
/// alone on its line, and a manual discount the line can bear. Its discounts are not looked at:
/// pricing sets them.
fn checked(line: &BasketLine) -> Result<(), BasketError> {
    if line.quantity == 0 {
        return Err(BasketError::ZeroQuantity);
    }
    let gross = line.gross_total()?;
    if line.amount_override.is_some() && line.quantity != 1 {
        return Err(BasketError::LabelPricedQuantity {
            label: line.label.clone(),
            quantity: line.quantity,
        });
    }
    if let Some(manual) = &line.manual {
        manual
            .adjustment
            .off(gross, line.shelf_unit_price(), line.quantity)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::price_for_weight;
    use proptest::prelude::*;

    fn line(gtin: &str, unit_price: i64, quantity: i64, vat_rate: VatRate) -> BasketLine {
        let label = format!("article {gtin}");
        BasketLine::new(gtin, &label, Cents::new(unit_price), quantity, vat_rate)
    }

    fn weighed(gtin: &str, amount: Cents, vat_rate: VatRate) -> BasketLine {
        BasketLine {
            amount_override: Some(amount),
            ..line(gtin, 0, 1, vat_rate)
        }
    }

    fn basket_of(lines: impl IntoIterator<Item = BasketLine>) -> Basket {
        let mut basket = Basket::new();
        for line in lines {
            if let Err(error) = basket.add(line) {
                panic!("test line refused: {error}");
            }
        }
        basket
    }

    fn breakdown(rate: VatRate, base: i64, vat: i64, total: i64) -> VatBreakdownLine {
        VatBreakdownLine {
            rate,
            base: Cents::new(base),
            vat: Cents::new(vat),
            total: Cents::new(total),
        }
    }

    #[test]
    fn single_rate_baskets() {
        // (unit price, rate, expected base, vat, total)
        let cases = [
            (1200, VatRate::Standard, 1000, 200, 1200), // 12,00 € → 10,00 + 2,00
            (100, VatRate::Reduced, 95, 5, 100),        // 1,00 € → 0,95 + 0,05
            (1, VatRate::Standard, 1, 0, 1),            // 0,01 € → 0,01 + 0,00
            (0, VatRate::Intermediate, 0, 0, 0),        // a free item still shows its rate
            (110, VatRate::Intermediate, 100, 10, 110),
            (1021, VatRate::SuperReduced, 1000, 21, 1021),
        ];
        for (unit_price, rate, base, vat, total) in cases {
            let totals = basket_of([line("1", unit_price, 1, rate)]).totals();
            assert_eq!(
                totals,
                Ok(BasketTotals {
                    per_rate: vec![breakdown(rate, base, vat, total)],
                    total: Cents::new(total),
                    item_count: 1,
                    discount: Cents::ZERO,
                }),
                "{unit_price} cents at {}",
                rate.label_en()
            );
        }
    }

    #[test]
    fn basket_mixing_all_four_rates() {
        let apples = price_for_weight(Cents::new(1290), 1500); // 19,35 €
        let Ok(apples) = apples else {
            panic!("weighing failed: {apples:?}");
        };
        let basket = basket_of([
            line("3017620422003", 349, 2, VatRate::Standard), // 6,98
            line("2000000000011", 290, 1, VatRate::SuperReduced), // newspaper 2,90
            line("3560070000019", 110, 3, VatRate::Intermediate), // 3,30
            weighed("2112345019357", apples, VatRate::Reduced), // 19,35
            line("3250390000014", 1200, 1, VatRate::Standard), // 12,00
            line("3033710000011", 89, 4, VatRate::Reduced),   // 3,56
        ]);
        // Worked by hand:
        // 20 %:  6,98 + 12,00 = 18,98; 18,98 / 1,2 = 15,816… → 15,82; VAT 3,16
        // 10 %:  3,30; 3,30 / 1,1 = 3,00; VAT 0,30
        // 5,5 %: 19,35 + 3,56 = 22,91; 22,91 / 1,055 = 21,715 6… → 21,72; VAT 1,19
        // 2,1 %: 2,90; 2,90 / 1,021 = 2,840 3… → 2,84; VAT 0,06
        // Total 18,98 + 3,30 + 22,91 + 2,90 = 48,09 €, 2 + 1 + 3 + 1 + 1 + 4 = 12 items.
        assert_eq!(
            basket.totals(),
            Ok(BasketTotals {
                per_rate: vec![
                    breakdown(VatRate::Standard, 1582, 316, 1898),
                    breakdown(VatRate::Intermediate, 300, 30, 330),
                    breakdown(VatRate::Reduced, 2172, 119, 2291),
                    breakdown(VatRate::SuperReduced, 284, 6, 290),
                ],
                total: Cents::new(4809),
                item_count: 12,
                discount: Cents::ZERO,
            })
        );
    }

    #[test]
    fn vat_is_split_on_the_sum_per_rate_not_per_line() {
        // Per line, each 0,04 € would split 0,03 + 0,01, i.e. 0,09 + 0,03 in all.
        let basket = basket_of([
            line("1", 4, 1, VatRate::Standard),
            line("2", 4, 1, VatRate::Standard),
            line("3", 4, 1, VatRate::Standard),
        ]);
        let totals = basket.totals();
        assert_eq!(
            totals.map(|t| t.per_rate),
            Ok(vec![breakdown(VatRate::Standard, 10, 2, 12)])
        );
    }

    #[test]
    fn empty_basket_totals_nothing() {
        assert_eq!(
            Basket::new().totals(),
            Ok(BasketTotals {
                per_rate: vec![],
                total: Cents::ZERO,
                item_count: 0,
                discount: Cents::ZERO,
            })
        );
    }

    #[test]
    fn line_totals() {
        let cases = [
            (line("1", 349, 2, VatRate::Standard), Ok(Cents::new(698))),
            (line("1", 349, 0, VatRate::Standard), Ok(Cents::ZERO)),
            (
                weighed("2", Cents::new(1935), VatRate::Reduced),
                Ok(Cents::new(1935)),
            ),
            (
                line("1", 349, -1, VatRate::Standard),
                Err(MoneyError::NegativeQuantity { quantity: -1 }),
            ),
            (
                line("1", 349, 10_000, VatRate::Standard),
                Err(MoneyError::QuantityTooLarge {
                    quantity: 10_000,
                    max: MAX_QUANTITY,
                }),
            ),
            (
                line("1", -349, 1, VatRate::Standard),
                Err(MoneyError::NegativeAmount {
                    amount: Cents::new(-349),
                }),
            ),
            (
                weighed("2", Cents::new(-5), VatRate::Reduced),
                Err(MoneyError::NegativeAmount {
                    amount: Cents::new(-5),
                }),
            ),
            (
                line("1", i64::MAX, 2, VatRate::Standard),
                Err(MoneyError::Overflow),
            ),
        ];
        for (line, expected) in cases {
            assert_eq!(line.line_total(), expected, "{line:?}");
        }
    }

    #[test]
    fn scanning_the_same_article_again_adds_to_its_line() {
        let mut basket = Basket::new();
        assert_eq!(basket.add(line("A", 100, 1, VatRate::Standard)), Ok(0));
        assert_eq!(basket.add(line("B", 250, 1, VatRate::Reduced)), Ok(1));
        assert_eq!(basket.add(line("A", 100, 2, VatRate::Standard)), Ok(0));
        // Same article at a new price (a sync came in between): a line of its own.
        assert_eq!(basket.add(line("A", 120, 1, VatRate::Standard)), Ok(2));
        // Two weighed items with the same code are two amounts.
        assert_eq!(
            basket.add(weighed("W", Cents::new(300), VatRate::Reduced)),
            Ok(3)
        );
        assert_eq!(
            basket.add(weighed("W", Cents::new(300), VatRate::Reduced)),
            Ok(4)
        );
        let quantities: Vec<(&str, i64)> = basket
            .lines()
            .iter()
            .map(|line| (line.gtin.as_str(), line.quantity))
            .collect();
        assert_eq!(
            quantities,
            [("A", 3), ("B", 1), ("A", 1), ("W", 1), ("W", 1)]
        );
        assert_eq!(
            basket.totals().map(|t| (t.total, t.item_count)),
            Ok((Cents::new(1270), 7))
        );
    }

    #[test]
    fn add_refuses_what_is_not_a_sale_and_leaves_the_basket_unchanged() {
        let mut basket = basket_of([line("A", 100, MAX_QUANTITY - 1, VatRate::Standard)]);
        let before = basket.clone();
        let cases = [
            (
                line("B", 100, -2, VatRate::Standard),
                BasketError::Money(MoneyError::NegativeQuantity { quantity: -2 }),
            ),
            (
                line("B", 100, 0, VatRate::Standard),
                BasketError::ZeroQuantity,
            ),
            (
                line("A", 100, 2, VatRate::Standard),
                BasketError::Money(MoneyError::QuantityTooLarge {
                    quantity: MAX_QUANTITY + 1,
                    max: MAX_QUANTITY,
                }),
            ),
            (
                line("A", 100, i64::MAX, VatRate::Standard),
                BasketError::Money(MoneyError::QuantityTooLarge {
                    quantity: i64::MAX,
                    max: MAX_QUANTITY,
                }),
            ),
            (
                BasketLine {
                    quantity: 2,
                    ..weighed("W", Cents::new(300), VatRate::Reduced)
                },
                BasketError::LabelPricedQuantity {
                    label: "article W".to_owned(),
                    quantity: 2,
                },
            ),
        ];
        for (line, error) in cases {
            assert_eq!(basket.add(line.clone()), Err(error), "{line:?}");
            assert_eq!(basket, before);
        }
    }

    #[test]
    fn set_quantity_and_remove() {
        let mut basket = basket_of([
            line("A", 100, 1, VatRate::Standard),
            weighed("W", Cents::new(300), VatRate::Reduced),
            line("B", 250, 1, VatRate::Reduced),
        ]);
        assert_eq!(basket.set_quantity(0, 5), Ok(()));
        assert_eq!(basket.lines()[0].quantity, 5);
        assert_eq!(
            basket.set_quantity(0, -1),
            Err(BasketError::Money(MoneyError::NegativeQuantity {
                quantity: -1
            }))
        );
        assert_eq!(
            basket.set_quantity(1, 2),
            Err(BasketError::LabelPricedQuantity {
                label: "article W".to_owned(),
                quantity: 2
            })
        );
        assert_eq!(
            basket.set_quantity(3, 1),
            Err(BasketError::NoSuchLine { index: 3, len: 3 })
        );
        assert_eq!(
            basket.lines()[0].quantity,
            5,
            "refused changes leave it as it was"
        );

        assert_eq!(basket.set_quantity(1, 0), Ok(()), "0 removes the line");
        assert_eq!(basket.lines().len(), 2);
        assert_eq!(basket.remove(1).map(|line| line.gtin), Ok("B".to_owned()));
        assert_eq!(
            basket.remove(1),
            Err(BasketError::NoSuchLine { index: 1, len: 1 })
        );
        assert!(!basket.is_empty());
        basket.clear();
        assert!(basket.is_empty());
    }

    #[test]
    fn errors_say_what_to_do() {
        assert_eq!(
            BasketError::from(MoneyError::NegativeQuantity { quantity: -2 }).to_string(),
            "quantity -2 refused: a sale line cannot be negative (returns are a separate operation)"
        );
        assert_eq!(
            BasketError::NoSuchLine { index: 4, len: 2 }.to_string(),
            "there is no line 4 in the basket (it has 2 lines)"
        );
    }

    fn any_line() -> impl Strategy<Value = BasketLine> {
        let rate = prop::sample::select(VatRate::ALL.to_vec());
        let gtin = prop::sample::select(vec!["A", "B", "C", "D", "E"]);
        let priced = (gtin.clone(), 0..100_000_i64, 1..=50_i64, rate.clone())
            .prop_map(|(gtin, price, quantity, rate)| line(gtin, price, quantity, rate));
        let labelled = (gtin, 0..100_000_i64, rate)
            .prop_map(|(gtin, amount, rate)| weighed(gtin, Cents::new(amount), rate));
        prop_oneof![3 => priced, 1 => labelled]
    }

    proptest! {
        #[test]
        fn totals_add_up_to_the_cent(lines in prop::collection::vec(any_line(), 0..40)) {
            let basket = basket_of(lines.clone());
            let totals = basket.totals();
            prop_assert!(totals.is_ok(), "{totals:?}");
            let Ok(totals) = totals else { return Ok(()) };

            let per_rate_sum = Cents::checked_sum(totals.per_rate.iter().map(|l| l.total));
            prop_assert_eq!(per_rate_sum, Some(totals.total));
            let line_sum = Cents::checked_sum(lines.iter().filter_map(|l| l.line_total().ok()));
            prop_assert_eq!(line_sum, Some(totals.total));
            prop_assert_eq!(totals.item_count, lines.iter().map(|l| l.quantity).sum::<i64>());

            for rate_line in &totals.per_rate {
                prop_assert_eq!(rate_line.base.checked_add(rate_line.vat), Some(rate_line.total));
                prop_assert!(Cents::ZERO <= rate_line.vat && rate_line.vat <= rate_line.total);
                prop_assert!(lines.iter().any(|l| l.vat_rate == rate_line.rate));
            }
            let rates: Vec<VatRate> = totals.per_rate.iter().map(|l| l.rate).collect();
            prop_assert!(rates.windows(2).all(|pair| pair[0].basis_points() > pair[1].basis_points()));
        }

        #[test]
        fn totals_never_panic_on_huge_amounts(
            amounts in prop::collection::vec(0..=i64::MAX, 0..6),
            rate_index in 0..4_usize,
        ) {
            let mut basket = Basket::new();
            for (index, amount) in amounts.into_iter().enumerate() {
                let added = basket.add(weighed(&index.to_string(), Cents::new(amount), VatRate::ALL[rate_index]));
                prop_assert!(added.is_ok());
            }
            match basket.totals() {
                Ok(totals) => {
                    for rate_line in &totals.per_rate {
                        prop_assert_eq!(rate_line.base.checked_add(rate_line.vat), Some(rate_line.total));
                    }
                }
                Err(error) => prop_assert_eq!(error, MoneyError::Overflow),
            }
        }
    }
}

/// The basket priced with promotions and the seller's discounts (issue 15).
#[cfg(test)]
mod pricing_tests {
    use super::*;
    use crate::discount::{Adjustment, Discount};
    use crate::payment::{Tender, settle};
    use crate::promotion::{Offer, Promotion, Target};
    use chrono::NaiveDateTime;
    use proptest::prelude::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").expect("date")
    }

    fn context() -> PricingContext<'static> {
        PricingContext {
            local_now: at("2027-01-15T10:00"),
            store: "PAR-01",
            tier: None,
        }
    }

    fn rule(id: &str, category: &str, offer: Offer, stacks: bool) -> Promotion {
        Promotion {
            id: id.into(),
            name: format!("promo {id}"),
            starts: at("2027-01-01T00:00"),
            ends: at("2027-02-01T00:00"),
            target: Target {
                categories: vec![category.into()],
                ..Target::default()
            },
            offer,
            tiers: Vec::new(),
            stores: Vec::new(),
            stacks,
        }
    }

    fn line(gtin: &str, category: &str, unit: i64, quantity: i64, rate: VatRate) -> BasketLine {
        BasketLine {
            category: category.into(),
            ..BasketLine::new(gtin, gtin, Cents::new(unit), quantity, rate)
        }
    }

    #[test]
    fn a_change_unprices_the_basket_and_repricing_gives_the_discounts_back() {
        let book = PromotionBook::new(vec![rule(
            "3P2",
            "Épicerie",
            Offer::BuyPay { buy: 3, pay: 2 },
            false,
        )]);
        let mut basket = Basket::new();
        basket
            .add(line("A", "Épicerie", 300, 3, VatRate::Reduced))
            .expect("added");
        basket.reprice(&book, &context()).expect("priced");
        let totals = basket.totals().expect("totals");
        assert_eq!((totals.total.get(), totals.discount.get()), (600, 300));

        // One more unit: unpriced until priced again, so a stale discount is never paid.
        basket
            .add(line("A", "Épicerie", 300, 1, VatRate::Reduced))
            .expect("added");
        assert_eq!(basket.totals().expect("totals").discount, Cents::ZERO);
        basket.reprice(&book, &context()).expect("priced");
        let totals = basket.totals().expect("totals");
        assert_eq!((totals.total.get(), totals.discount.get()), (900, 300));
    }

    #[test]
    fn a_discounted_line_keeps_its_units_and_a_refused_discount_changes_nothing() {
        let mut basket = Basket::new();
        basket
            .add(line("A", "Soin", 1000, 1, VatRate::Standard))
            .expect("added");
        basket
            .set_manual(
                0,
                Some(ManualLine {
                    adjustment: Adjustment::Discount {
                        discount: Discount::Percent { basis_points: 1000 },
                    },
                    reason: "Geste commercial".into(),
                }),
            )
            .expect("discounted");
        // A new scan of the same article is a line at the shelf price.
        assert_eq!(
            basket.add(line("A", "Soin", 1000, 1, VatRate::Standard)),
            Ok(1)
        );
        let before = basket.clone();
        let too_much = basket.set_manual(
            1,
            Some(ManualLine {
                adjustment: Adjustment::Discount {
                    discount: Discount::Amount {
                        cents: Cents::new(1001),
                    },
                },
                reason: "Geste commercial".into(),
            }),
        );
        assert!(too_much.is_err());
        assert_eq!(basket, before);
        basket
            .reprice(&PromotionBook::default(), &context())
            .expect("priced");
        assert!(basket.manual_beyond(999, Some(0)));
        assert!(!basket.manual_beyond(1000, Some(0)));
        assert!(!basket.manual_beyond(0, Some(1)));
    }

    fn any_offer() -> impl Strategy<Value = (Offer, bool)> {
        prop_oneof![
            (1..=10_000_i64).prop_map(|bp| (Offer::PercentOff { basis_points: bp }, true)),
            (1..=10_000_i64).prop_map(|bp| (Offer::PercentOff { basis_points: bp }, false)),
            (1..=5_000_i64).prop_map(|c| (
                Offer::AmountOff {
                    cents: Cents::new(c)
                },
                false
            )),
            (0..=5_000_i64).prop_map(|c| (
                Offer::FixedPrice {
                    cents: Cents::new(c)
                },
                false
            )),
            (2..=4_i64, 1..=10_000_i64).prop_map(|(nth, bp)| (
                Offer::NthPercentOff {
                    nth,
                    basis_points: bp
                },
                false
            )),
            (2..=5_i64)
                .prop_flat_map(|buy| (Just(buy), 1..buy))
                .prop_map(|(buy, pay)| (Offer::BuyPay { buy, pay }, false)),
            (2..=4_i64, 0..=20_000_i64).prop_map(|(count, c)| (
                Offer::Bundle {
                    count,
                    cents: Cents::new(c)
                },
                false
            )),
        ]
    }

    fn any_manual() -> impl Strategy<Value = Option<Adjustment>> {
        prop_oneof![
            3 => Just(None),
            1 => (1..=10_000_i64).prop_map(|bp| Some(Adjustment::Discount {
                discount: Discount::Percent { basis_points: bp }
            })),
            1 => (0..=3_000_i64).prop_map(|c| Some(Adjustment::PriceOverride {
                unit_price: Cents::new(c)
            })),
        ]
    }

    proptest! {
        /// Issue 15, item 3: for random baskets, rules and discounts, the lines, the rates,
        /// the payments and the ticket total add up to the cent, and no line goes below zero.
        #[test]
        fn priced_baskets_add_up_to_the_cent(
            lines in prop::collection::vec(
                (0..4_usize, 0..4_usize, 1..=6_000_i64, 1..=6_i64, any_manual()),
                1..12,
            ),
            offers in prop::collection::vec((0..4_usize, any_offer()), 0..6),
            basket_discount in prop::option::of(prop_oneof![
                (1..=10_000_i64).prop_map(|bp| Discount::Percent { basis_points: bp }),
                (1..=2_000_i64).prop_map(|c| Discount::Amount { cents: Cents::new(c) }),
            ]),
        ) {
            const CATEGORIES: [&str; 4] = ["Soin", "Épicerie", "Maison", "Livres"];
            let rules = offers
                .iter()
                .enumerate()
                .map(|(i, (cat, (offer, stacks)))| {
                    rule(&format!("R{i}"), CATEGORIES[*cat], *offer, *stacks)
                })
                .collect();
            let book = PromotionBook::new(rules);
            let mut basket = Basket::new();
            for (i, (cat, rate, unit, quantity, manual)) in lines.iter().enumerate() {
                let mut held = line(&format!("G{i}"), CATEGORIES[*cat], *unit, *quantity, VatRate::ALL[*rate]);
                held.manual = manual.map(|adjustment| ManualLine { adjustment, reason: "Geste commercial".into() });
                // An override above the shelf price is refused, and the basket stays valid.
                let _ = basket.add(held);
            }
            basket.set_discount(basket_discount.map(|discount| ManualBasket {
                discount,
                reason: "Fin de série".into(),
            }));
            if basket.reprice(&book, &context()).is_err() {
                // Only a basket amount larger than what is left to pay is refused, and then
                // the basket is left unpriced, at shelf prices.
                let mut without = basket.clone();
                without.set_discount(None);
                prop_assert!(without.reprice(&book, &context()).is_ok());
                let left = without.totals().map_or(0, |t| t.total.get());
                let too_large = matches!(basket_discount, Some(Discount::Amount { cents }) if cents.get() > left);
                prop_assert!(too_large, "refused: {:?}", basket_discount);
                prop_assert!(basket.lines().iter().all(|l| l.discounts.is_empty()));
                return Ok(());
            }
            let totals = basket.totals();
            prop_assert!(totals.is_ok(), "{totals:?}");
            let Ok(totals) = totals else { return Ok(()) };
            let mut net_sum = 0;
            let mut discount_sum = 0;
            for held in basket.lines() {
                let net = held.line_total();
                prop_assert!(net.is_ok(), "{held:?}");
                let net = net.map_or(0, Cents::get);
                let gross = held.gross_total().map_or(0, Cents::get);
                let off = held.discount_total().map_or(0, Cents::get);
                prop_assert!(net >= 0 && off >= 0, "{held:?}");
                prop_assert_eq!(net + off, gross);
                prop_assert!(held.discounts.iter().all(|d| d.amount.get() > 0));
                net_sum += net;
                discount_sum += off;
            }
            prop_assert_eq!(totals.total.get(), net_sum);
            prop_assert_eq!(totals.discount.get(), discount_sum);
            let per_rate: i64 = totals.per_rate.iter().map(|r| r.total.get()).sum();
            prop_assert_eq!(per_rate, totals.total.get());
            for rate in &totals.per_rate {
                prop_assert_eq!(rate.base.get() + rate.vat.get(), rate.total.get());
                prop_assert!(rate.vat.get() >= 0 && rate.base.get() >= 0);
            }
            if let Some(Discount::Amount { cents }) = basket_discount {
                let spread: i64 = basket
                    .lines()
                    .iter()
                    .flat_map(|l| &l.discounts)
                    .filter(|d| d.source == DiscountSource::Manual { reason: "Fin de série".into() })
                    .map(|d| d.amount.get())
                    .sum();
                prop_assert_eq!(spread, cents.get(), "the basket's amount is taken off exactly");
            }
            let mut tenders = vec![Tender::Card, Tender::Cash { given: None }];
            if totals.total.get() >= 2 {
                tenders.push(Tender::Split { card: Cents::new((totals.total.get() / 3).max(1)), cash_given: None });
            }
            for tender in tenders {
                let settlement = settle(totals.total, tender);
                prop_assert!(settlement.is_ok(), "{settlement:?}");
                let Ok(settlement) = settlement else { return Ok(()) };
                let paid: i64 = settlement.payments.iter().map(|(_, a)| a.get()).sum();
                prop_assert_eq!(paid, totals.total.get());
            }
        }
    }
}
