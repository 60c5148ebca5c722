//! Money: amounts in integer euro cents, their exact arithmetic, the parser for what a cashier
//! types and the French and English displays.
//!
//! This module must never use floating point (a binary float cannot hold 0,10 € exactly and a
//! ticket must add up to the cent), never panic on an amount that came from outside (keypad,
//! scanner, catalogue, server), and never do I/O. Arithmetic that can overflow is checked and
//! reported as [`MoneyError::Overflow`] instead of wrapping or panicking.

use serde::{Deserialize, Serialize};

/// Narrow no-break space: the French thousands separator in CLDR `fr` ("1 234,56 €").
const NARROW_NBSP: char = '\u{202F}';
/// No-break space: CLDR `fr` puts it between the amount and the currency sign, so that "€"
/// never wraps onto its own line on a receipt or a screen.
const NBSP: char = '\u{00A0}';

/// An amount of money in euro cents. Negative amounts exist (a change due, a refund total), but
/// the sale rules of the basket refuse them on lines.
///
/// Serialised as the bare number of cents (`1250` for 12,50 €), so stored and synced amounts stay
/// integers on every side of the wire.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(i64);

/// Everything that can go wrong while reading or computing an amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("no amount entered")]
    Empty,
    #[error("“{input}” is not an amount in euros (expected e.g. 12,50 or 12.50)")]
    Malformed { input: String },
    #[error("“{input}” has more than two decimals: amounts are counted in whole cents")]
    TooManyDecimals { input: String },
    #[error("amount out of range: the computation would overflow")]
    Overflow,
    #[error(
        "negative amount {} refused: refunds and discounts are recorded by their own operations",
        .amount.format_en()
    )]
    NegativeAmount { amount: Cents },
    #[error("negative weight {grams} g refused: check the scale")]
    NegativeWeight { grams: i64 },
    #[error(
        "quantity {quantity} refused: a sale line cannot be negative (returns are a separate operation)"
    )]
    NegativeQuantity { quantity: i64 },
    #[error("quantity {quantity} refused: at most {max} items per line")]
    QuantityTooLarge { quantity: i64, max: i64 },
}

impl Cents {
    /// Nothing: the total of an empty basket.
    pub const ZERO: Cents = Cents(0);

    /// An amount of `cents` euro cents.
    pub const fn new(cents: i64) -> Self {
        Cents(cents)
    }

    /// The amount in euro cents.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// True below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: Cents) -> Option<Cents> {
        match self.0.checked_add(other.0) {
            Some(sum) => Some(Cents(sum)),
            None => None,
        }
    }

    /// `self - other`, or `None` on overflow.
    pub const fn checked_sub(self, other: Cents) -> Option<Cents> {
        match self.0.checked_sub(other.0) {
            Some(difference) => Some(Cents(difference)),
            None => None,
        }
    }

    /// `self × qty` (a unit price times a quantity), or `None` on overflow.
    pub const fn checked_mul(self, qty: i64) -> Option<Cents> {
        match self.0.checked_mul(qty) {
            Some(product) => Some(Cents(product)),
            None => None,
        }
    }

    /// The sum of `amounts`, or `None` as soon as a partial sum overflows. (Not `std::iter::Sum`,
    /// whose signature cannot report overflow.)
    pub fn checked_sum<I: IntoIterator<Item = Cents>>(amounts: I) -> Option<Cents> {
        amounts
            .into_iter()
            .try_fold(Cents::ZERO, |sum, amount| sum.checked_add(amount))
    }

    /// French display as CLDR `fr` writes it: "12,50 €", "1 234,56 €" (U+202F between
    /// thousands, U+00A0 before "€"), "-3,20 €".
    pub fn format_fr(self) -> String {
        let (sign, euros, cents) = self.parts();
        let euros = group_thousands(euros, NARROW_NBSP);
        format!("{sign}{euros},{cents:02}{NBSP}€")
    }

    /// English display as CLDR `en` writes it: "€12.50", "€1,234.56", "-€3.20".
    pub fn format_en(self) -> String {
        let (sign, euros, cents) = self.parts();
        let euros = group_thousands(euros, ',');
        format!("{sign}€{euros}.{cents:02}")
    }

    /// Sign, whole euros and remaining cents of the absolute value. `unsigned_abs` because
    /// `i64::MIN` has no positive `i64` counterpart.
    fn parts(self) -> (&'static str, u64, u64) {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        (sign, magnitude / 100, magnitude % 100)
    }
}

/// Writes `value` with `separator` between groups of three digits, from the right.
fn group_thousands(value: u64, separator: char) -> String {
    let digits = value.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 * separator.len_utf8());
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            grouped.push(separator);
        }
        grouped.push(digit);
    }
    grouped
}

/// Reads an amount in euros as a cashier types it or as [`Cents::format_fr`] prints it.
///
/// Accepted: an optional `-`, whole euros, then optionally `,` or `.` and one or two decimals
/// ("12,50", "12.50", "12", "0,5" = 50 cents, "-3,20"). The euros may be grouped by threes
/// with a space, a no-break space or a narrow no-break space, and a trailing "€" is allowed,
/// so "1 234,56 €" reads back. Surrounding whitespace is ignored.
///
/// Refused: more than two decimals ("12,505": we never round what a person typed), exponents
/// ("1e3"), a missing integer part (",50"), misplaced group separators ("12 34"), and anything
/// that does not fit in an `i64` of cents.
pub fn parse_euros(input: &str) -> Result<Cents, MoneyError> {
    let malformed = || MoneyError::Malformed {
        input: input.to_owned(),
    };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(MoneyError::Empty);
    }
    let number = match trimmed.strip_suffix('€') {
        Some(rest) => rest.trim_end(),
        None => trimmed,
    };
    let (negative, unsigned) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number),
    };

    let (whole, fraction) = match unsigned.split_once([',', '.']) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };

    // Accumulated in i128 so that an amount just beyond i64 is reported as out of range, not
    // as malformed; the checked operations catch the absurdly long ones.
    let euros = whole_euro_digits(whole)
        .ok_or_else(malformed)?
        .try_fold(0_i128, |acc, digit| {
            acc.checked_mul(10)?.checked_add(i128::from(digit))
        })
        .ok_or(MoneyError::Overflow)?;
    let fraction_cents = match fraction {
        None => 0,
        Some(digits) if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(malformed());
        }
        Some(digits) if digits.len() > 2 => {
            return Err(MoneyError::TooManyDecimals {
                input: input.to_owned(),
            });
        }
        // "0,5" is fifty cents, not five: the single decimal is tenths.
        Some(digits) => digits
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(2)
            .fold(0_i128, |acc, b| acc * 10 + i128::from(b - b'0')),
    };

    let magnitude = euros
        .checked_mul(100)
        .and_then(|cents| cents.checked_add(fraction_cents))
        .ok_or(MoneyError::Overflow)?;
    let signed = if negative { -magnitude } else { magnitude };
    i64::try_from(signed)
        .map(Cents)
        .map_err(|_| MoneyError::Overflow)
}

/// Checks the whole-euro part: ASCII digits, either in one run ("1234") or grouped by three
/// after a first group of one to three digits ("1 234", "12 345 678"). Returns its digits,
/// separators left out, or `None` when it is malformed.
fn whole_euro_digits(text: &str) -> Option<impl Iterator<Item = u8> + '_> {
    let is_group_separator = |c: char| c == ' ' || c == NBSP || c == NARROW_NBSP;
    let grouped = text.contains(is_group_separator);
    for (index, group) in text.split(is_group_separator).enumerate() {
        let well_sized = match (index, grouped) {
            (0, false) => !group.is_empty(),
            (0, true) => (1..=3).contains(&group.len()),
            _ => group.len() == 3,
        };
        if !well_sized || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    Some(text.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0'))
}

/// `amount × num / den`, rounded to the nearest integer with halves rounded away from zero,
/// or `None` when `den` is zero or the result does not fit in an `i64`.
///
/// This is "round half up" applied to absolute values, the usual commercial rounding to the
/// cent used for French VAT and price computations (1,005 → 1,01 and -1,005 → -1,01), not the
/// banker's rounding to even. The product is taken in `i128`, where `i64 × i64` cannot
/// overflow, so only the final result can be out of range.
pub fn mul_ratio_round_half_up(amount: i64, num: i64, den: i64) -> Option<i64> {
    if den == 0 {
        return None;
    }
    let mut numerator = i128::from(amount) * i128::from(num);
    let mut denominator = i128::from(den);
    // Work with a positive divisor so that the remainder carries the sign of the result.
    if denominator < 0 {
        numerator = -numerator;
        denominator = -denominator;
    }
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    // |remainder| < denominator ≤ 2^63, so doubling it cannot overflow an i128.
    let rounded = if 2 * remainder.abs() >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    };
    i64::try_from(rounded).ok()
}

/// The price of a weighed item: `price_per_kg × grams / 1000`, rounded half up to the cent
/// (12,90 €/kg × 1 500 g = 19,35 €; 9,99 €/kg × 333 g = 3,326 67 € → 3,33 €).
///
/// A negative price or weight is refused: it is a scale or catalogue fault, never a sale.
pub fn price_for_weight(price_per_kg: Cents, grams: i64) -> Result<Cents, MoneyError> {
    if price_per_kg.is_negative() {
        return Err(MoneyError::NegativeAmount {
            amount: price_per_kg,
        });
    }
    if grams < 0 {
        return Err(MoneyError::NegativeWeight { grams });
    }
    mul_ratio_round_half_up(price_per_kg.get(), grams, 1000)
        .map(Cents)
        .ok_or(MoneyError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_euros_accepts_what_people_type() {
        let cases = [
            ("12,50", 1250),
            ("12.50", 1250),
            ("12", 1200),
            ("0,5", 50),
            ("0.05", 5),
            ("-3,20", -320),
            ("-0", 0),
            ("  7,1 ", 710),
            ("007", 700),
            ("1 234,56", 123_456),
            ("1\u{202F}234,56\u{A0}€", 123_456),
            ("1\u{A0}234\u{A0}567", 123_456_700),
            ("12,50€", 1250),
            ("-3,20 €", -320),
            ("92233720368547758.07", i64::MAX),
            ("-92233720368547758.08", i64::MIN),
        ];
        for (input, cents) in cases {
            assert_eq!(parse_euros(input), Ok(Cents::new(cents)), "input {input:?}");
        }
    }

    #[test]
    fn parse_euros_refuses_what_is_not_an_amount() {
        let malformed = |input: &str| {
            Err(MoneyError::Malformed {
                input: input.to_owned(),
            })
        };
        let cases: [(&str, Result<Cents, MoneyError>); 19] = [
            ("", Err(MoneyError::Empty)),
            ("   ", Err(MoneyError::Empty)),
            (
                "12,505",
                Err(MoneyError::TooManyDecimals {
                    input: "12,505".to_owned(),
                }),
            ),
            ("abc", malformed("abc")),
            ("1e3", malformed("1e3")),
            ("12,", malformed("12,")),
            (",50", malformed(",50")),
            ("12,5a", malformed("12,5a")),
            ("1,2,3", malformed("1,2,3")),
            ("1.234,56", malformed("1.234,56")),
            ("+3", malformed("+3")),
            ("--3", malformed("--3")),
            ("- 3", malformed("- 3")),
            ("12 34", malformed("12 34")),
            ("1234 567", malformed("1234 567")),
            ("€", malformed("€")),
            ("12 €€", malformed("12 €€")),
            ("92233720368547758.08", Err(MoneyError::Overflow)),
            ("1".repeat(60).leak(), Err(MoneyError::Overflow)),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_euros(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn formats_follow_cldr_fr_and_en() {
        let cases = [
            (0, "0,00\u{A0}€", "€0.00"),
            (5, "0,05\u{A0}€", "€0.05"),
            (1250, "12,50\u{A0}€", "€12.50"),
            (99_999, "999,99\u{A0}€", "€999.99"),
            (123_456, "1\u{202F}234,56\u{A0}€", "€1,234.56"),
            (
                123_456_789,
                "1\u{202F}234\u{202F}567,89\u{A0}€",
                "€1,234,567.89",
            ),
            (-320, "-3,20\u{A0}€", "-€3.20"),
            (-123_456, "-1\u{202F}234,56\u{A0}€", "-€1,234.56"),
            (
                i64::MIN,
                "-92\u{202F}233\u{202F}720\u{202F}368\u{202F}547\u{202F}758,08\u{A0}€",
                "-€92,233,720,368,547,758.08",
            ),
        ];
        for (cents, fr, en) in cases {
            assert_eq!(Cents::new(cents).format_fr(), fr, "{cents} cents in French");
            assert_eq!(
                Cents::new(cents).format_en(),
                en,
                "{cents} cents in English"
            );
        }
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        let max = Cents::new(i64::MAX);
        assert_eq!(
            Cents::new(250).checked_add(Cents::new(5)),
            Some(Cents::new(255))
        );
        assert_eq!(max.checked_add(Cents::new(1)), None);
        assert_eq!(
            Cents::new(250).checked_sub(Cents::new(300)),
            Some(Cents::new(-50))
        );
        assert_eq!(Cents::new(i64::MIN).checked_sub(Cents::new(1)), None);
        assert_eq!(Cents::new(250).checked_mul(3), Some(Cents::new(750)));
        assert_eq!(max.checked_mul(2), None);
        assert_eq!(
            Cents::checked_sum([Cents::new(1), Cents::new(2), Cents::new(3)]),
            Some(Cents::new(6))
        );
        assert_eq!(Cents::checked_sum([]), Some(Cents::ZERO));
        assert_eq!(
            Cents::checked_sum([max, Cents::new(1), Cents::new(-5)]),
            None
        );
    }

    #[test]
    fn mul_ratio_rounds_halves_away_from_zero() {
        // (amount, num, den, expected)
        let cases = [
            (1005, 1, 10, Some(101)),   // 100,5 → 101
            (-1005, 1, 10, Some(-101)), // -100,5 → -101, symmetric
            (1004, 1, 10, Some(100)),
            (1006, 1, 10, Some(101)),
            (1005, -1, 10, Some(-101)),
            (1005, 1, -10, Some(-101)),
            (-1005, 1, -10, Some(101)),
            (1, 1, 2, Some(1)),
            (1, 1, 3, Some(0)),
            (2, 1, 3, Some(1)),
            (1200, 10_000, 12_000, Some(1000)),
            (i64::MAX, i64::MAX, i64::MAX, Some(i64::MAX)),
            (i64::MIN, i64::MIN, i64::MIN, Some(i64::MIN)),
            (i64::MAX, 2, 1, None),
            (5, 1, 0, None),
        ];
        for (amount, num, den, expected) in cases {
            assert_eq!(
                mul_ratio_round_half_up(amount, num, den),
                expected,
                "{amount} × {num} / {den}"
            );
        }
    }

    #[test]
    fn weighed_items_round_half_up_to_the_cent() {
        // (price per kg in cents, grams, expected)
        let cases = [
            (1290, 1500, Ok(Cents::new(1935))),
            (999, 333, Ok(Cents::new(333))), // 3,326 67 € → 3,33 €
            (999, 1000, Ok(Cents::new(999))),
            (1000, 5, Ok(Cents::new(5))),
            (100, 5, Ok(Cents::new(1))), // 0,5 cent → 1 cent
            (100, 4, Ok(Cents::new(0))),
            (1290, 0, Ok(Cents::ZERO)),
            (1290, -1, Err(MoneyError::NegativeWeight { grams: -1 })),
            (
                -1,
                10,
                Err(MoneyError::NegativeAmount {
                    amount: Cents::new(-1),
                }),
            ),
            (i64::MAX, 2000, Err(MoneyError::Overflow)),
        ];
        for (price_per_kg, grams, expected) in cases {
            assert_eq!(
                price_for_weight(Cents::new(price_per_kg), grams),
                expected,
                "{price_per_kg} c/kg × {grams} g"
            );
        }
    }

    #[test]
    fn errors_say_what_to_do() {
        assert_eq!(
            MoneyError::NegativeAmount {
                amount: Cents::new(-320)
            }
            .to_string(),
            "negative amount -€3.20 refused: refunds and discounts are recorded by their own operations"
        );
        assert_eq!(
            parse_euros("12,505").map_err(|e| e.to_string()),
            Err(
                "“12,505” has more than two decimals: amounts are counted in whole cents"
                    .to_owned()
            )
        );
    }

    proptest! {
        #[test]
        fn french_display_reads_back(cents in any::<i64>()) {
            prop_assert_eq!(parse_euros(&Cents::new(cents).format_fr()), Ok(Cents::new(cents)));
        }

        #[test]
        fn plain_decimal_reads_back(cents in any::<i64>(), comma in any::<bool>()) {
            let (sign, euros, rest) = Cents::new(cents).parts();
            let separator = if comma { ',' } else { '.' };
            let typed = format!("{sign}{euros}{separator}{rest:02}");
            prop_assert_eq!(parse_euros(&typed), Ok(Cents::new(cents)));
        }

        #[test]
        fn parse_euros_never_panics(input in any::<String>()) {
            let _ = parse_euros(&input);
        }

        #[test]
        fn parse_euros_never_panics_on_near_misses(
            input in "[-+ 0-9,.€e\u{A0}\u{202F}]{0,30}"
        ) {
            let _ = parse_euros(&input);
        }

        #[test]
        fn mul_ratio_is_the_nearest_integer(
            amount in prop_oneof![any::<i64>(), -1_000_000_000_i64..1_000_000_000],
            num in prop_oneof![any::<i64>(), -20_000_i64..20_000],
            den in prop_oneof![any::<i64>(), -20_000_i64..20_000]
                .prop_filter("nonzero", |d| *d != 0),
        ) {
            let Some(rounded) = mul_ratio_round_half_up(amount, num, den) else {
                // Only an out-of-range result may be refused.
                let exact = i128::from(amount) * i128::from(num) / i128::from(den);
                prop_assert!(i64::try_from(exact).is_err() || exact.abs() >= i128::from(i64::MAX));
                return Ok(());
            };
            let exact = i128::from(amount) * i128::from(num);
            let den = i128::from(den);
            {
                // |rounded × den − exact| ≤ |den| / 2, with ties going away from zero.
                let error = i128::from(rounded) * den - exact;
                prop_assert!(2 * error.abs() <= den.abs());
                if 2 * error.abs() == den.abs() {
                    prop_assert_eq!(i128::from(rounded).signum() * den.signum(), exact.signum());
                    prop_assert!(i128::from(rounded).abs() * den.abs() > exact.abs());
                }
            }
        }

        #[test]
        fn checked_sum_matches_wide_sum(amounts in prop::collection::vec(any::<i64>(), 0..8)) {
            let wide: i128 = amounts.iter().map(|a| i128::from(*a)).sum();
            let sum = Cents::checked_sum(amounts.iter().copied().map(Cents::new));
            // Any overflowing partial sum fails, so only check agreement when it succeeded or
            // when the true sum itself is out of range.
            match sum {
                Some(sum) => prop_assert_eq!(i128::from(sum.get()), wide),
                None => {
                    let mut partial: i128 = 0;
                    let mut overflowed = false;
                    for a in &amounts {
                        partial += i128::from(*a);
                        overflowed |= i64::try_from(partial).is_err();
                    }
                    prop_assert!(overflowed);
                }
            }
        }
    }
}
