//! What a seller takes off by hand — a percentage or an amount off a line or off the whole
//! basket, or a line's price overridden — and the discounts a line carries once priced, manual or
//! from a promotion.
//!
//! Pure and integer-only like the basket: amounts are VAT-inclusive cents, percentages are basis
//! points (12.5 % is 1,250), and nothing here can take a line below zero.

use serde::{Deserialize, Serialize};

use crate::money::{Cents, MoneyError, mul_ratio_round_half_up, parse_euros};

/// 100 %, in basis points.
pub const FULL_PERCENT: i64 = 10_000;

/// A discount as the seller types it: `10%` (or `12,5 %`) or an amount in euros (`2.50`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Discount {
    Percent { basis_points: i64 },
    Amount { cents: Cents },
}

/// A manual change to one line, with the reason the chain asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualLine {
    pub adjustment: Adjustment,
    pub reason: String,
}

/// What the seller did to a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Adjustment {
    /// Taken off the line's amount.
    Discount { discount: Discount },
    /// The unit price replaced (never above the shelf price: that is not a discount).
    PriceOverride { unit_price: Cents },
}

/// A discount on the whole basket, spread over its lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualBasket {
    pub discount: Discount,
    pub reason: String,
}

/// Where a line's discount comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiscountSource {
    /// A seller's (or manager's) decision, with its reason.
    Manual { reason: String },
    /// A rule of the head office.
    Promotion { id: String, name: String },
}

impl DiscountSource {
    /// `manual` or `promotion`: the word the CLI's JSON and the journal carry.
    pub fn kind(&self) -> &'static str {
        match self {
            DiscountSource::Manual { .. } => "manual",
            DiscountSource::Promotion { .. } => "promotion",
        }
    }
}

/// An amount taken off one line, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDiscount {
    pub source: DiscountSource,
    pub amount: Cents,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiscountError {
    #[error(
        "“{input}” is not a discount: write a percentage such as 10% or an amount in euros such as 2.50"
    )]
    Unreadable { input: String },
    #[error("a discount of {percent} is not between 0 % and 100 %")]
    PercentOutOfRange { percent: String },
    #[error("a discount of 0 takes nothing off")]
    Zero,
    #[error("{} off {} would take the amount below zero", discount.format_en(), amount.format_en())]
    MoreThanTheAmount { discount: Cents, amount: Cents },
    #[error(
        "the new price {} is above the shelf price {}: an override only lowers a price",
        price.format_en(),
        shelf.format_en()
    )]
    OverrideAbovePrice { price: Cents, shelf: Cents },
    #[error("a manual discount needs a reason")]
    NoReason,
    #[error("the reason is too long ({chars} characters, at most {MAX_REASON_CHARS})")]
    ReasonTooLong { chars: usize },
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl Discount {
    /// Reads `10%`, `10 %`, `12,5%`, `12.5 %` (percentages, up to two decimals) or `2.50`,
    /// `2,50`, `3` (euros).
    pub fn parse(input: &str) -> Result<Discount, DiscountError> {
        let text = input.trim();
        let unreadable = || DiscountError::Unreadable {
            input: input.to_owned(),
        };
        let discount = match text.strip_suffix('%') {
            Some(percent) => {
                // A percentage reads like an amount with two decimals: 12,5 → 1250 hundredths.
                let hundredths = parse_euros(percent.trim()).map_err(|_| unreadable())?;
                if hundredths.get() > FULL_PERCENT {
                    return Err(DiscountError::PercentOutOfRange {
                        percent: text.to_owned(),
                    });
                }
                Discount::Percent {
                    basis_points: hundredths.get(),
                }
            }
            None => Discount::Amount {
                cents: parse_euros(text).map_err(|_| unreadable())?,
            },
        };
        let negative = match discount {
            Discount::Percent { basis_points } => basis_points < 0,
            Discount::Amount { cents } => cents.is_negative(),
        };
        if negative {
            return Err(unreadable());
        }
        if discount.is_zero() {
            return Err(DiscountError::Zero);
        }
        Ok(discount)
    }

    fn is_zero(self) -> bool {
        match self {
            Discount::Percent { basis_points } => basis_points == 0,
            Discount::Amount { cents } => cents.get() == 0,
        }
    }

    /// What this discount takes off `amount`: a percentage rounded half up to the cent, an
    /// amount as it is. Refuses to take off more than there is.
    pub fn off(self, amount: Cents) -> Result<Cents, DiscountError> {
        let off = match self {
            Discount::Percent { basis_points } => {
                if !(0..=FULL_PERCENT).contains(&basis_points) {
                    return Err(DiscountError::PercentOutOfRange {
                        percent: format!("{basis_points} basis points"),
                    });
                }
                Cents::new(
                    mul_ratio_round_half_up(amount.get(), basis_points, FULL_PERCENT)
                        .ok_or(MoneyError::Overflow)?,
                )
            }
            Discount::Amount { cents } => cents,
        };
        if off.is_negative() || off.get() > amount.get() {
            return Err(DiscountError::MoreThanTheAmount {
                discount: off,
                amount,
            });
        }
        Ok(off)
    }
}

impl std::fmt::Display for Discount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Discount::Percent { basis_points } => {
                let (units, hundredths) = (basis_points / 100, basis_points % 100);
                if hundredths == 0 {
                    write!(f, "{units} %")
                } else {
                    write!(f, "{units},{hundredths:02} %")
                }
            }
            Discount::Amount { cents } => write!(f, "{}", cents.format_fr()),
        }
    }
}

/// `10 %`, `2,50 €`, or `prix 14,90 €` for an override (the journal's words are French, as the
/// receipt's).
impl std::fmt::Display for Adjustment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Adjustment::Discount { discount } => write!(f, "{discount}"),
            Adjustment::PriceOverride { unit_price } => {
                write!(f, "prix {}", unit_price.format_fr())
            }
        }
    }
}

impl Adjustment {
    /// What the adjustment takes off a line whose shelf amount is `gross` for `quantity` units
    /// at `unit_price`.
    pub fn off(
        self,
        gross: Cents,
        unit_price: Cents,
        quantity: i64,
    ) -> Result<Cents, DiscountError> {
        match self {
            Adjustment::Discount { discount } => discount.off(gross),
            Adjustment::PriceOverride { unit_price: price } => {
                if price.is_negative() {
                    return Err(MoneyError::NegativeAmount { amount: price }.into());
                }
                if price.get() > unit_price.get() {
                    return Err(DiscountError::OverrideAbovePrice {
                        price,
                        shelf: unit_price,
                    });
                }
                let new_amount = price.checked_mul(quantity).ok_or(MoneyError::Overflow)?;
                gross
                    .checked_sub(new_amount)
                    .ok_or(MoneyError::Overflow.into())
            }
        }
    }
}

/// The longest reason the journal takes (a manual discount's, a manager's override's): a
/// sentence, not a report, and what the central accepts in a pushed sale.
pub const MAX_REASON_CHARS: usize = 200;

/// A reason as the journal keeps it: trimmed, required, at most [`MAX_REASON_CHARS`].
pub fn checked_reason(reason: &str) -> Result<String, DiscountError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DiscountError::NoReason);
    }
    let chars = reason.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(DiscountError::ReasonTooLong { chars });
    }
    Ok(reason.to_owned())
}

/// Spreads `total` over amounts in proportion to `weights` (each share rounded down), then the
/// cents left over one by one to the largest weights first, never giving a line more than its
/// weight: the shares add up to `total` exactly and none exceeds its line.
///
/// Refuses a `total` above the sum of the weights.
pub fn spread(total: Cents, weights: &[Cents]) -> Result<Vec<Cents>, DiscountError> {
    let sum = Cents::checked_sum(weights.iter().copied()).ok_or(MoneyError::Overflow)?;
    if total.is_negative() || total.get() > sum.get() {
        return Err(DiscountError::MoreThanTheAmount {
            discount: total,
            amount: sum,
        });
    }
    if sum.get() == 0 {
        return Ok(vec![Cents::new(0); weights.len()]);
    }
    let mut shares: Vec<i64> = weights
        .iter()
        .map(|w| {
            // total ≤ sum, so each share is ≤ its weight; i128 inside cannot overflow.
            (i128::from(total.get()) * i128::from(w.get()) / i128::from(sum.get())) as i64
        })
        .collect();
    let mut left = total.get() - shares.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Largest first; among equals, the first line: the same basket always spreads the same way.
    order.sort_by_key(|&i| (std::cmp::Reverse(weights[i].get()), i));
    while left > 0 {
        let before = left;
        for &i in &order {
            if left == 0 {
                break;
            }
            if shares[i] < weights[i].get() {
                shares[i] += 1;
                left -= 1;
            }
        }
        if before == left {
            // Cannot happen (total ≤ sum), but a loop that makes no progress must not spin.
            break;
        }
    }
    Ok(shares.into_iter().map(Cents::new).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn discounts_read_as_percentages_or_euros() {
        assert_eq!(
            Discount::parse("10%"),
            Ok(Discount::Percent { basis_points: 1000 })
        );
        assert_eq!(
            Discount::parse(" 12,5 %"),
            Ok(Discount::Percent { basis_points: 1250 })
        );
        assert_eq!(
            Discount::parse("2.50"),
            Ok(Discount::Amount {
                cents: Cents::new(250)
            })
        );
        assert_eq!(Discount::parse("0%"), Err(DiscountError::Zero));
        assert!(matches!(
            Discount::parse("150%"),
            Err(DiscountError::PercentOutOfRange { .. })
        ));
        assert!(matches!(
            Discount::parse("dix"),
            Err(DiscountError::Unreadable { .. })
        ));
        assert!(matches!(
            Discount::parse("-5%"),
            Err(DiscountError::Unreadable { .. })
        ));
    }

    #[test]
    fn a_percentage_rounds_half_up_and_an_amount_never_goes_below_zero() {
        let ten = Discount::Percent { basis_points: 1000 };
        assert_eq!(ten.off(Cents::new(1995)), Ok(Cents::new(200)));
        assert_eq!(ten.off(Cents::new(1994)), Ok(Cents::new(199)));
        let five = Discount::Amount {
            cents: Cents::new(500),
        };
        assert!(matches!(
            five.off(Cents::new(499)),
            Err(DiscountError::MoreThanTheAmount { .. })
        ));
    }

    #[test]
    fn an_override_only_lowers_a_price() {
        let down = Adjustment::PriceOverride {
            unit_price: Cents::new(800),
        };
        assert_eq!(
            down.off(Cents::new(3000), Cents::new(1000), 3),
            Ok(Cents::new(600))
        );
        let up = Adjustment::PriceOverride {
            unit_price: Cents::new(1200),
        };
        assert!(matches!(
            up.off(Cents::new(3000), Cents::new(1000), 3),
            Err(DiscountError::OverrideAbovePrice { .. })
        ));
    }

    #[test]
    fn the_spread_puts_the_remainder_on_the_largest_line() {
        let shares = spread(
            Cents::new(100),
            &[Cents::new(1000), Cents::new(1000), Cents::new(1000)],
        )
        .expect("spread");
        assert_eq!(shares, vec![Cents::new(34), Cents::new(33), Cents::new(33)]);
        let shares = spread(Cents::new(10), &[Cents::new(300), Cents::new(700)]).expect("spread");
        assert_eq!(shares, vec![Cents::new(3), Cents::new(7)]);
    }

    proptest! {
        #[test]
        fn shares_add_up_and_stay_within_their_lines(
            weights in proptest::collection::vec(0_i64..100_000, 1..30),
            fraction in 0_i64..=10_000,
        ) {
            let sum: i64 = weights.iter().sum();
            let total = sum * fraction / 10_000;
            let weights: Vec<Cents> = weights.into_iter().map(Cents::new).collect();
            let shares = spread(Cents::new(total), &weights).expect("spread");
            prop_assert_eq!(shares.iter().map(|s| s.get()).sum::<i64>(), total);
            for (share, weight) in shares.iter().zip(&weights) {
                prop_assert!(share.get() >= 0 && share.get() <= weight.get());
            }
        }
    }
}
