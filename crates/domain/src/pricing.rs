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

use crate::discount::{
    DiscountError, DiscountSource, FULL_PERCENT, LineDiscount, ManualBasket, ManualLine, spread,
};
use crate::gtin::Gtin;
use crate::money::{Cents, MoneyError, mul_ratio_round_half_up};
use crate::promotion::{Offer, Promotion};

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
                // Basket lines carry the 14 digits: a rule written with a GTIN-13 (or 8, 12)
                // targets the same article.
                let key =
                    Gtin::parse(gtin).map_or_else(|_| gtin.clone(), |g| g.as_str().to_owned());
                book.by_gtin.entry(key).or_default().push(index);
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

/// The running rules that target the basket's promotable lines, in id order, with their lines
/// listed dearest first (ties: line order): the order in which « 3 pour 2 » groups and bundles
/// are formed, so that evaluating a rule never sorts. Built once per `price` call with flat
/// lists (one allocation per list, none per rule): with thousands of rules targeting the
/// basket, one `Vec` per rule was most of the time spent.
struct Eligible {
    /// Book index of each slot, ascending.
    rules: Vec<usize>,
    /// Slot `s` targets lines `lines[starts[s]..starts[s + 1]]`.
    starts: Vec<usize>,
    lines: Vec<usize>,
    /// Line `l` is targeted by slots `slots[slot_starts[l]..slot_starts[l + 1]]`.
    slot_starts: Vec<usize>,
    slots: Vec<usize>,
}

impl Eligible {
    fn gather(
        lines: &[PricingLine<'_>],
        book: &PromotionBook,
        context: &PricingContext<'_>,
    ) -> Eligible {
        const UNSEEN: usize = usize::MAX;
        let mut order: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].manual.is_none() && lines[i].quantity > 0)
            .collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(lines[i].unit_price.get()), i));
        fn of<'b>(index: &'b HashMap<String, Vec<usize>>, key: &str) -> &'b [usize] {
            index.get(key).map_or(&[][..], Vec::as_slice)
        }
        let candidates: Vec<[&[usize]; 3]> = order
            .iter()
            .map(|&i| {
                let line = &lines[i];
                [
                    of(&book.by_gtin, line.gtin),
                    of(&book.by_brand, line.brand),
                    of(&book.by_category, line.category),
                ]
            })
            .collect();
        // Whether each rule runs here and now for this customer, decided once per rule.
        let mut runs: Vec<Option<bool>> = vec![None; book.rules.len()];
        // The last line counted for each rule: a line matching a rule twice (by GTIN and by
        // category) counts once.
        let mut last = vec![UNSEEN; book.rules.len()];
        let mut count = vec![0_usize; book.rules.len()];
        let mut per_line = vec![0_usize; lines.len() + 1];
        for (&line, lists) in order.iter().zip(&candidates) {
            for &rule in lists.iter().copied().flatten() {
                let running = *runs[rule].get_or_insert_with(|| {
                    let r = &book.rules[rule];
                    r.runs(context.local_now, context.store) && r.open_to(context.tier)
                });
                if running && last[rule] != line {
                    last[rule] = line;
                    count[rule] += 1;
                    per_line[line + 1] += 1;
                }
            }
        }
        let mut eligible = Eligible {
            rules: Vec::new(),
            starts: vec![0],
            lines: Vec::new(),
            slot_starts: per_line,
            slots: Vec::new(),
        };
        // `count` becomes each rule's slot, `last` is reset for the second pass.
        for (rule, n) in count.iter_mut().enumerate() {
            if *n > 0 {
                let total = eligible.starts[eligible.rules.len()] + *n;
                *n = eligible.rules.len();
                eligible.rules.push(rule);
                eligible.starts.push(total);
                last[rule] = UNSEEN;
            } else {
                *n = UNSEEN;
            }
        }
        for l in 0..lines.len() {
            eligible.slot_starts[l + 1] += eligible.slot_starts[l];
        }
        eligible.lines = vec![0; eligible.starts[eligible.rules.len()]];
        eligible.slots = vec![0; eligible.slot_starts[lines.len()]];
        let mut fill = eligible.starts.clone();
        let mut slot_fill = eligible.slot_starts.clone();
        for (&line, lists) in order.iter().zip(&candidates) {
            for &rule in lists.iter().copied().flatten() {
                let slot = count[rule];
                if slot != UNSEEN && last[rule] != line {
                    last[rule] = line;
                    eligible.lines[fill[slot]] = line;
                    fill[slot] += 1;
                    eligible.slots[slot_fill[line]] = slot;
                    slot_fill[line] += 1;
                }
            }
        }
        eligible
    }

    fn len(&self) -> usize {
        self.rules.len()
    }

    fn lines_of(&self, slot: usize) -> &[usize] {
        &self.lines[self.starts[slot]..self.starts[slot + 1]]
    }

    fn slots_of(&self, line: usize) -> &[usize] {
        &self.slots[self.slot_starts[line]..self.slot_starts[line + 1]]
    }
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
    let eligible = Eligible::gather(lines, book, context);
    let mut free: Vec<i64> = lines.iter().map(|l| l.quantity).collect();
    let mut scratch = Scratch::new(lines.len());
    // Each exclusive rule's saving on the units still free; `None` for the stacking rules and
    // for those already applied.
    let mut savings: Vec<Option<i64>> = Vec::with_capacity(eligible.len());
    for slot in 0..eligible.len() {
        let rule = &book.rules[eligible.rules[slot]];
        savings.push(if rule.stacks {
            None
        } else {
            Some(evaluate(
                rule.offer,
                lines,
                eligible.lines_of(slot),
                &free,
                &mut scratch,
            )?)
        });
    }
    // When each slot was last marked for re-evaluation (the round number).
    let mut marked = vec![0_usize; eligible.len()];
    let mut touched: Vec<usize> = Vec::new();
    // Best rule first, on the units the previous ones left.
    for round in 1.. {
        // (slot, saving) of the best rule so far.
        let mut best: Option<(usize, i64)> = None;
        for (slot, saving) in savings.iter().enumerate() {
            // Strictly better only: equal savings keep the earlier (smaller id) rule.
            if let Some(saving) = *saving
                && saving > 0
                && best.is_none_or(|(_, b)| saving > b)
            {
                best = Some((slot, saving));
            }
        }
        let Some((slot, _)) = best else {
            break;
        };
        savings[slot] = None;
        let rule = &book.rules[eligible.rules[slot]];
        // The rule's claims, as its last evaluation found them: the free units of its lines
        // have not changed since, or it would have been re-evaluated.
        evaluate(
            rule.offer,
            lines,
            eligible.lines_of(slot),
            &free,
            &mut scratch,
        )?;
        touched.clear();
        for &(line, saving, claimed) in &scratch.claims {
            free[line] -= claimed;
            push(
                &mut discounts[line],
                promotion_source(rule),
                Cents::new(saving),
            );
            // Only the rules sharing a line with this one can see their saving change.
            for &other in eligible.slots_of(line) {
                if marked[other] != round {
                    marked[other] = round;
                    touched.push(other);
                }
            }
        }
        for &other in &touched {
            if savings[other].is_some() {
                let offer = book.rules[eligible.rules[other]].offer;
                savings[other] = Some(evaluate(
                    offer,
                    lines,
                    eligible.lines_of(other),
                    &free,
                    &mut scratch,
                )?);
            }
        }
    }
    // Stacking rules, on what each line still costs.
    for slot in 0..eligible.len() {
        let rule = &book.rules[eligible.rules[slot]];
        if !rule.stacks {
            continue;
        }
        for &line in eligible.lines_of(slot) {
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

/// Buffers an evaluation works in, allocated once per `price` call and reused by every rule.
struct Scratch {
    /// The last evaluation's claims: (line, saving, units claimed).
    claims: Vec<(usize, i64, i64)>,
    /// A bundle's (saving, units claimed) per line, and the lines it touched.
    bundled: Vec<(i64, i64)>,
    bundled_lines: Vec<usize>,
    /// The bundle being filled: (line, price, units).
    group: Vec<(usize, i64, i64)>,
    amounts: Vec<Cents>,
}

impl Scratch {
    fn new(lines: usize) -> Scratch {
        Scratch {
            claims: Vec::new(),
            bundled: vec![(0, 0); lines],
            bundled_lines: Vec::new(),
            group: Vec::new(),
            amounts: Vec::new(),
        }
    }
}

fn overflow() -> DiscountError {
    DiscountError::Money(MoneyError::Overflow)
}

/// `basis_points` of `amount`, rounded half up: `mul_ratio_round_half_up` without its 128-bit
/// division when the product fits in 64 bits (the same result, a few times faster).
fn percent_of(amount: i64, basis_points: i64) -> Option<i64> {
    match amount.checked_mul(basis_points) {
        Some(product) => {
            let quotient = product / FULL_PERCENT;
            let remainder = product % FULL_PERCENT;
            Some(if 2 * remainder.abs() >= FULL_PERCENT {
                quotient + product.signum()
            } else {
                quotient
            })
        }
        None => mul_ratio_round_half_up(amount, basis_points, FULL_PERCENT),
    }
}

/// The saving `offer` gives on the free units of lines `on` (dearest first, ties: line order);
/// what it claims per line is left in `scratch.claims`.
fn evaluate(
    offer: Offer,
    lines: &[PricingLine<'_>],
    on: &[usize],
    free: &[i64],
    scratch: &mut Scratch,
) -> Result<i64, DiscountError> {
    scratch.claims.clear();
    let per_unit = |unit: i64| -> Result<i64, DiscountError> {
        Ok(match offer {
            Offer::PercentOff { basis_points } => {
                percent_of(unit, basis_points).ok_or_else(overflow)?
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
                    scratch.claims.push((line, saving, units));
                }
            }
        }
        Offer::NthPercentOff { nth, basis_points } => {
            let unit_saving = |unit: i64| percent_of(unit, basis_points).ok_or_else(overflow);
            groups_of(lines, on, free, nth, 1, unit_saving, &mut scratch.claims)?;
        }
        Offer::BuyPay { buy, pay } => {
            groups_of(lines, on, free, buy, buy - pay, Ok, &mut scratch.claims)?;
        }
        Offer::Bundle { count, cents } => {
            bundles(lines, on, free, count, cents, scratch)?;
        }
    }
    scratch
        .claims
        .iter()
        .try_fold(0_i64, |sum, (_, s, _)| sum.checked_add(*s))
        .ok_or_else(overflow)
}

/// The free units of lines `on` (dearest first, ties: line order) as runs `(line, price,
/// units)`: grouping the dearest together makes each group's cheapest unit as dear as possible,
/// the best for the customer when the cheapest is the one discounted.
fn runs<'a>(
    lines: &'a [PricingLine<'_>],
    on: &'a [usize],
    free: &'a [i64],
) -> impl Iterator<Item = (usize, i64, i64)> + 'a {
    on.iter()
        .filter(|&&line| free[line] > 0)
        .map(|&line| (line, lines[line].unit_price.get(), free[line]))
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
    let units: i64 = runs(lines, on, free).map(|r| r.2).sum();
    let grouped = units / size * size;
    // How many positions in [0, x) are discounted ones.
    let discounted_before =
        |x: i64| x / size * discounted + (x % size - (size - discounted)).max(0);
    let mut start = 0_i64;
    for (line, price, count) in runs(lines, on, free) {
        let end = (start + count).min(grouped);
        if end > start {
            let n = discounted_before(end) - discounted_before(start);
            let line_saving = saving(price)?.checked_mul(n).ok_or_else(overflow)?;
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
    scratch: &mut Scratch,
) -> Result<(), DiscountError> {
    let Scratch {
        claims,
        bundled,
        bundled_lines,
        group,
        amounts,
    } = scratch;
    bundled_lines.clear();
    group.clear();
    let mut save = |line: usize, saving: i64, units: i64| {
        let entry = &mut bundled[line];
        if *entry == (0, 0) {
            bundled_lines.push(line);
        }
        entry.0 += saving;
        entry.1 += units;
    };
    let mut in_group = 0_i64;
    for (line, price, mut units) in runs(lines, on, free) {
        if in_group > 0 {
            let take = units.min(count - in_group);
            group.push((line, price, take));
            in_group += take;
            units -= take;
            if in_group == count {
                close_bundle(group, cents, amounts, &mut save)?;
                group.clear();
                in_group = 0;
            }
        }
        // Whole groups inside this run all cost the same.
        let whole = units / count;
        if whole > 0 {
            let saving = price.checked_mul(count).ok_or_else(overflow)? - cents.get();
            if saving > 0 {
                save(
                    line,
                    saving.checked_mul(whole).ok_or_else(overflow)?,
                    whole * count,
                );
            }
            units -= whole * count;
        }
        if units > 0 {
            group.push((line, price, units));
            in_group = units;
        }
    }
    // In line order, each line once.
    bundled_lines.sort_unstable();
    for &line in bundled_lines.iter() {
        let (saving, units) = std::mem::take(&mut bundled[line]);
        claims.push((line, saving, units));
    }
    Ok(())
}

/// A complete bundle spanning several lines: its saving, spread over them.
fn close_bundle(
    group: &[(usize, i64, i64)],
    cents: Cents,
    amounts: &mut Vec<Cents>,
    save: &mut impl FnMut(usize, i64, i64),
) -> Result<(), DiscountError> {
    amounts.clear();
    for &(_, price, units) in group {
        amounts.push(Cents::new(price).checked_mul(units).ok_or_else(overflow)?);
    }
    let sum = Cents::checked_sum(amounts.iter().copied()).ok_or_else(overflow)?;
    let saving = sum.get() - cents.get();
    if saving <= 0 {
        return Ok(());
    }
    for (share, &(line, _, units)) in spread(Cents::new(saving), amounts)?.iter().zip(group) {
        save(line, share.get(), units);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
