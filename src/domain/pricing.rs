//! The pricing engine: which promotions apply to a basket, what the seller's manual discounts
//! take off, and how much each line pays in the end. Pure, integer-only and deterministic: the
//! same basket, rules and moment always give the same discounts, offline as online.
//!
//! How promotions combine: a rule only claims units no other rule has claimed, and among the
//! rules that could apply, the one saving the customer the most goes first (ties: the smaller
//! id), then the next best on the units left, and so on. Rules marked `stacks` (percentages and
//! amounts off) then apply on top, on what the line still costs. A line the seller discounted
//! or repriced by hand takes no promotion: the seller's price is the price. A basket-wide manual
//! discount comes last, spread over what the lines still cost.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::domain::discount::{
    DiscountError, DiscountSource, FULL_PERCENT, LineDiscount, ManualBasket, ManualLine, spread,
};
use crate::domain::money::{Cents, MoneyError, mul_ratio_round_half_up};
use crate::domain::promotion::{Offer, Promotion};

/// One basket line as the engine sees it.
#[derive(Clone, Copy, Debug)]
pub struct PricingLine<'a> {
    pub gtin: &'a str,
    pub brand: &'a str,
    pub category: &'a str,
    /// The VAT-inclusive price of one unit (the label's amount for a label-priced item).
    pub unit_price: Cents,
    pub quantity: i64,
    pub manual: Option<&'a ManualLine>,
}

impl PricingLine<'_> {
    fn gross(&self) -> Result<Cents, MoneyError> {
        self.unit_price
            .checked_mul(self.quantity)
            .ok_or(MoneyError::Overflow)
    }
}

/// Where and for whom the basket is priced.
#[derive(Clone, Copy, Debug)]
pub struct PricingContext<'a> {
    /// Store time (see `domain::promotion`).
    pub local_now: NaiveDateTime,
    pub store: &'a str,
    /// The identified customer's loyalty tier.
    pub tier: Option<&'a str>,
}

/// The rules a terminal holds, indexed by what they target so that pricing a line looks at the
/// few rules that could apply to it rather than at all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PromotionBook {
    rules: Vec<Promotion>,
    by_gtin: HashMap<String, Vec<usize>>,
    by_brand: HashMap<String, Vec<usize>>,
    by_category: HashMap<String, Vec<usize>>,
}

impl PromotionBook {
    /// The book of `rules`, in id order (the tie-break between equally good rules).
    pub fn new(mut rules: Vec<Promotion>) -> PromotionBook {
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        let mut book = PromotionBook::default();
        for (index, rule) in rules.iter().enumerate() {
            for gtin in &rule.target.gtins {
                book.by_gtin.entry(gtin.clone()).or_default().push(index);
            }
            for brand in &rule.target.brands {
                book.by_brand.entry(brand.clone()).or_default().push(index);
            }
            for category in &rule.target.categories {
                book.by_category
                    .entry(category.clone())
                    .or_default()
                    .push(index);
            }
        }
        book.rules = rules;
        book
    }

    pub fn rules(&self) -> &[Promotion] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules targeting this line, each once, in id order.
    fn candidates(&self, line: &PricingLine<'_>, into: &mut Vec<usize>) {
        into.clear();
        for list in [
            self.by_gtin.get(line.gtin),
            self.by_brand.get(line.brand),
            self.by_category.get(line.category),
        ]
        .into_iter()
        .flatten()
        {
            into.extend_from_slice(list);
        }
        into.sort_unstable();
        into.dedup();
    }
}

/// The discounts of each line, in line order.
pub fn price(
    lines: &[PricingLine<'_>],
    basket: Option<&ManualBasket>,
    book: &PromotionBook,
    context: &PricingContext<'_>,
) -> Result<Vec<Vec<LineDiscount>>, DiscountError> {
    let mut discounts: Vec<Vec<LineDiscount>> = vec![Vec::new(); lines.len()];
    for (line, out) in lines.iter().zip(discounts.iter_mut()) {
        if let Some(manual) = line.manual {
            let off = manual
                .adjustment
                .off(line.gross()?, line.unit_price, line.quantity)?;
            push(out, manual_source(&manual.reason), off);
        }
    }
    promotions(lines, book, context, &mut discounts)?;
    if let Some(manual) = basket {
        let nets = lines
            .iter()
            .zip(&discounts)
            .map(|(line, off)| net(line, off))
            .collect::<Result<Vec<_>, _>>()?;
        let total = Cents::checked_sum(nets.iter().copied()).ok_or(MoneyError::Overflow)?;
        let off = manual.discount.off(total)?;
        for (share, out) in spread(off, &nets)?.into_iter().zip(discounts.iter_mut()) {
            push(out, manual_source(&manual.reason), share);
        }
    }
    Ok(discounts)
}

fn manual_source(reason: &str) -> DiscountSource {
    DiscountSource::Manual {
        reason: reason.to_owned(),
    }
}

/// Adds `amount` under `source`, merging with a discount of the same source.
fn push(out: &mut Vec<LineDiscount>, source: DiscountSource, amount: Cents) {
    if amount.get() == 0 {
        return;
    }
    match out.iter_mut().find(|d| d.source == source) {
        Some(existing) => existing.amount = Cents::new(existing.amount.get() + amount.get()),
        None => out.push(LineDiscount { source, amount }),
    }
}

/// What the line still costs after `off`.
fn net(line: &PricingLine<'_>, off: &[LineDiscount]) -> Result<Cents, MoneyError> {
    let taken = Cents::checked_sum(off.iter().map(|d| d.amount)).ok_or(MoneyError::Overflow)?;
    line.gross()?.checked_sub(taken).ok_or(MoneyError::Overflow)
}

/// What one rule would do on the units still free: the saving and units claimed per line.
struct Evaluation {
    saving: i64,
    per_line: Vec<(usize, i64, i64)>,
}

fn promotions(
    lines: &[PricingLine<'_>],
    book: &PromotionBook,
    context: &PricingContext<'_>,
    discounts: &mut [Vec<LineDiscount>],
) -> Result<(), DiscountError> {
    if book.is_empty() {
        return Ok(());
    }
    // Which running rules each promotable line could take, gathered per rule.
    let mut eligible: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut slot: HashMap<usize, usize> = HashMap::new();
    let mut candidates = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        if line.manual.is_some() || line.quantity <= 0 {
            continue;
        }
        book.candidates(line, &mut candidates);
        for &rule_index in &candidates {
            let rule = &book.rules[rule_index];
            if !rule.runs(context.local_now, context.store) || !rule.open_to(context.tier) {
                continue;
            }
            let at = *slot.entry(rule_index).or_insert_with(|| {
                eligible.push((rule_index, Vec::new()));
                eligible.len() - 1
            });
            eligible[at].1.push(index);
        }
    }
    eligible.sort_by_key(|(rule_index, _)| *rule_index);
    let mut free: Vec<i64> = lines.iter().map(|l| l.quantity).collect();
    let mut used = vec![false; eligible.len()];
    // The rules each line could take, so that applying a rule re-evaluates only the rules
    // sharing a line with it: the others' savings have not changed.
    let mut rules_of_line: Vec<Vec<usize>> = vec![Vec::new(); lines.len()];
    for (at, (_, on)) in eligible.iter().enumerate() {
        for &line in on {
            rules_of_line[line].push(at);
        }
    }
    let mut evaluations: Vec<Option<Evaluation>> = Vec::with_capacity(eligible.len());
    for (rule_index, on) in &eligible {
        let rule = &book.rules[*rule_index];
        evaluations.push(if rule.stacks {
            None
        } else {
            Some(evaluate(rule.offer, lines, on, &free)?)
        });
    }
    // Best rule first, on the units the previous ones left.
    loop {
        // (slot, saving) of the best rule so far.
        let mut best: Option<(usize, i64)> = None;
        for (at, evaluation) in evaluations.iter().enumerate() {
            let Some(evaluation) = evaluation else {
                continue;
            };
            // Strictly better only: equal savings keep the earlier (smaller id) rule.
            if !used[at]
                && evaluation.saving > 0
                && best.is_none_or(|(_, saving)| evaluation.saving > saving)
            {
                best = Some((at, evaluation.saving));
            }
        }
        let Some((at, _)) = best else {
            break;
        };
        used[at] = true;
        let rule = &book.rules[eligible[at].0];
        let applied = evaluations[at]
            .take()
            .map(|e| e.per_line)
            .unwrap_or_default();
        let mut touched: Vec<usize> = Vec::new();
        for (line, saving, claimed) in applied {
            free[line] -= claimed;
            push(
                &mut discounts[line],
                promotion_source(rule),
                Cents::new(saving),
            );
            touched.extend_from_slice(&rules_of_line[line]);
        }
        touched.sort_unstable();
        touched.dedup();
        for other in touched {
            if used[other] || evaluations[other].is_none() {
                continue;
            }
            let (rule_index, on) = &eligible[other];
            evaluations[other] = Some(evaluate(book.rules[*rule_index].offer, lines, on, &free)?);
        }
    }
    // Stacking rules, on what each line still costs.
    for (rule_index, on) in &eligible {
        let rule = &book.rules[*rule_index];
        if !rule.stacks {
            continue;
        }
        for &line in on {
            let remaining = net(&lines[line], &discounts[line])?;
            let off = match rule.offer {
                Offer::PercentOff { basis_points } => Cents::new(
                    mul_ratio_round_half_up(remaining.get(), basis_points, FULL_PERCENT)
                        .ok_or(MoneyError::Overflow)?,
                ),
                Offer::AmountOff { cents } => cents
                    .checked_mul(lines[line].quantity)
                    .ok_or(MoneyError::Overflow)?,
                // `Promotion::validate` lets only these two stack.
                _ => Cents::new(0),
            };
            let off = Cents::new(off.get().clamp(0, remaining.get()));
            push(&mut discounts[line], promotion_source(rule), off);
        }
    }
    Ok(())
}

fn promotion_source(rule: &Promotion) -> DiscountSource {
    DiscountSource::Promotion {
        id: rule.id.clone(),
        name: rule.name.clone(),
    }
}

/// The saving `offer` gives on the free units of lines `on`.
fn evaluate(
    offer: Offer,
    lines: &[PricingLine<'_>],
    on: &[usize],
    free: &[i64],
) -> Result<Evaluation, DiscountError> {
    let overflow = || DiscountError::Money(MoneyError::Overflow);
    let mut per_line = Vec::with_capacity(on.len());
    let per_unit = |unit: i64| -> Result<i64, DiscountError> {
        Ok(match offer {
            Offer::PercentOff { basis_points } => {
                mul_ratio_round_half_up(unit, basis_points, FULL_PERCENT).ok_or_else(overflow)?
            }
            Offer::AmountOff { cents } => cents.get().min(unit),
            Offer::FixedPrice { cents } => (unit - cents.get()).max(0),
            _ => 0,
        })
    };
    match offer {
        Offer::PercentOff { .. } | Offer::AmountOff { .. } | Offer::FixedPrice { .. } => {
            for &line in on {
                let units = free[line];
                let unit_saving = per_unit(lines[line].unit_price.get())?;
                if units > 0 && unit_saving > 0 {
                    let saving = unit_saving.checked_mul(units).ok_or_else(overflow)?;
                    per_line.push((line, saving, units));
                }
            }
        }
        Offer::NthPercentOff { nth, basis_points } => {
            let unit_saving = |unit: i64| {
                mul_ratio_round_half_up(unit, basis_points, FULL_PERCENT).ok_or_else(overflow)
            };
            groups_of(lines, on, free, nth, 1, unit_saving, &mut per_line)?;
        }
        Offer::BuyPay { buy, pay } => {
            groups_of(lines, on, free, buy, buy - pay, Ok, &mut per_line)?;
        }
        Offer::Bundle { count, cents } => {
            bundles(lines, on, free, count, cents, &mut per_line)?;
        }
    }
    let saving = per_line
        .iter()
        .try_fold(0_i64, |sum, (_, s, _)| sum.checked_add(*s))
        .ok_or_else(overflow)?;
    Ok(Evaluation { saving, per_line })
}

/// The free units of lines `on`, dearest first (ties: line order), as runs `(line, price,
/// units)`: grouping the dearest together makes each group's cheapest unit as dear as possible,
/// the best for the customer when the cheapest is the one discounted.
fn runs(lines: &[PricingLine<'_>], on: &[usize], free: &[i64]) -> Vec<(usize, i64, i64)> {
    let mut runs: Vec<(usize, i64, i64)> = on
        .iter()
        .filter(|&&line| free[line] > 0)
        .map(|&line| (line, lines[line].unit_price.get(), free[line]))
        .collect();
    runs.sort_by_key(|&(line, price, _)| (std::cmp::Reverse(price), line));
    runs
}

/// Groups of `size` units, the last `discounted` of each group getting `saving(price)` off:
/// « 3 pour 2 » is size 3, 1 discounted, the unit free; « 2e à -50 % » size 2, 1 at half price.
/// Every unit of a complete group is claimed, the discounted and the others alike.
fn groups_of(
    lines: &[PricingLine<'_>],
    on: &[usize],
    free: &[i64],
    size: i64,
    discounted: i64,
    saving: impl Fn(i64) -> Result<i64, DiscountError>,
    per_line: &mut Vec<(usize, i64, i64)>,
) -> Result<(), DiscountError> {
    let runs = runs(lines, on, free);
    let units: i64 = runs.iter().map(|r| r.2).sum();
    let grouped = units / size * size;
    // How many positions in [0, x) are discounted ones.
    let discounted_before =
        |x: i64| x / size * discounted + (x % size - (size - discounted)).max(0);
    let mut start = 0_i64;
    for (line, price, count) in runs {
        let end = (start + count).min(grouped);
        if end > start {
            let n = discounted_before(end) - discounted_before(start);
            let line_saving = saving(price)?
                .checked_mul(n)
                .ok_or(DiscountError::Money(MoneyError::Overflow))?;
            per_line.push((line, line_saving, end - start));
        }
        start += count;
    }
    Ok(())
}

/// Groups of `count` units at `cents` together; a group's saving is spread over its units'
/// lines in proportion to what they cost. Only units of a group that saves something are
/// claimed.
fn bundles(
    lines: &[PricingLine<'_>],
    on: &[usize],
    free: &[i64],
    count: i64,
    cents: Cents,
    per_line: &mut Vec<(usize, i64, i64)>,
) -> Result<(), DiscountError> {
    let overflow = || DiscountError::Money(MoneyError::Overflow);
    // line → (saving, units claimed)
    let mut saved: HashMap<usize, (i64, i64)> = HashMap::new();
    // The group being filled: its members (line, price, units) and how many units it has.
    let mut group: Vec<(usize, i64, i64)> = Vec::new();
    let mut in_group = 0_i64;
    for (line, price, mut units) in runs(lines, on, free) {
        if in_group > 0 {
            let take = units.min(count - in_group);
            group.push((line, price, take));
            in_group += take;
            units -= take;
            if in_group == count {
                close_bundle(&group, cents, &mut saved)?;
                group.clear();
                in_group = 0;
            }
        }
        // Whole groups inside this run all cost the same.
        let whole = units / count;
        if whole > 0 {
            let saving = price.checked_mul(count).ok_or_else(overflow)? - cents.get();
            if saving > 0 {
                let entry = saved.entry(line).or_insert((0, 0));
                entry.0 += saving.checked_mul(whole).ok_or_else(overflow)?;
                entry.1 += whole * count;
            }
            units -= whole * count;
        }
        if units > 0 {
            group.push((line, price, units));
            in_group = units;
        }
    }
    let mut lines_saved: Vec<(usize, i64, i64)> = saved
        .into_iter()
        .map(|(line, (saving, units))| (line, saving, units))
        .collect();
    lines_saved.sort_unstable();
    per_line.extend(lines_saved);
    Ok(())
}

/// A complete bundle spanning several lines: its saving, spread over them.
fn close_bundle(
    group: &[(usize, i64, i64)],
    cents: Cents,
    saved: &mut HashMap<usize, (i64, i64)>,
) -> Result<(), DiscountError> {
    let amounts = group
        .iter()
        .map(|&(_, price, units)| Cents::new(price).checked_mul(units))
        .collect::<Option<Vec<Cents>>>()
        .ok_or(DiscountError::Money(MoneyError::Overflow))?;
    let sum = Cents::checked_sum(amounts.iter().copied())
        .ok_or(DiscountError::Money(MoneyError::Overflow))?;
    let saving = sum.get() - cents.get();
    if saving <= 0 {
        return Ok(());
    }
    for (share, &(line, _, units)) in spread(Cents::new(saving), &amounts)?.iter().zip(group) {
        let entry = saved.entry(line).or_insert((0, 0));
        entry.0 += share.get();
        entry.1 += units;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
