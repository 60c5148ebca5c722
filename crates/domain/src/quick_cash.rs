//! Quick cash amounts: what a customer is likely to hand over for an amount due, so that the
//! seller takes a cash payment with one tap instead of typing it. Pure arithmetic on cents: no
//! I/O, no floats, no formatting.
//!
//! The rule, as the best tills apply it: the exact amount first, then the amount rounded up to
//! the next whole euro, and to the next multiple of each euro note (5, 10, 20, 50, 100, 200 €),
//! keeping only what is above the amount due, without duplicates, in ascending order, and at
//! most [`MAX_ABOVE`] of them so that they fit in one row of touch targets. For 229,55 €:
//! 229,55 € (exact), 230 €, 240 €, 250 €, 300 €; for 12,30 €: 12,30 €, 13 €, 15 €, 20 €, 50 €.

use crate::money::Cents;

/// How many suggestions besides the exact amount.
pub const MAX_ABOVE: usize = 4;

/// The steps amounts are rounded up to, in cents: a whole euro, then the euro notes.
const STEPS: [i64; 7] = [100, 500, 1_000, 2_000, 5_000, 10_000, 20_000];

/// The quick amounts for `due`: the exact amount first, then up to [`MAX_ABOVE`] round amounts
/// strictly above it, ascending. Nothing when nothing is due (zero or less).
pub fn quick_cash(due: Cents) -> Vec<Cents> {
    let due = due.get();
    if due <= 0 {
        return Vec::new();
    }
    // Each candidate is the smallest multiple of a step at or above the due amount (skipped
    // on an overflow, an amount no till will ever see); the exact amount is its own tile.
    let mut above: Vec<i64> = STEPS
        .iter()
        .filter_map(|&step| round_up(due, step))
        .filter(|&amount| amount > due)
        .collect();
    above.sort_unstable();
    above.dedup();
    above.truncate(MAX_ABOVE);
    std::iter::once(due).chain(above).map(Cents::new).collect()
}

/// The smallest multiple of `step` (> 0) that is `>= amount` (> 0).
fn round_up(amount: i64, step: i64) -> Option<i64> {
    let whole = amount / step;
    if amount % step == 0 {
        Some(amount)
    } else {
        whole.checked_add(1)?.checked_mul(step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn euros(amounts: &[i64]) -> Vec<Cents> {
        amounts.iter().copied().map(Cents::new).collect()
    }

    #[test]
    fn amounts_for_common_totals() {
        let cases: [(i64, &[i64]); 10] = [
            // The two examples.
            (22_955, &[22_955, 23_000, 24_000, 25_000, 30_000]),
            (1_230, &[1_230, 1_300, 1_500, 2_000, 5_000]),
            // A whole amount: its own next euro is the exact amount, not a suggestion.
            (1_200, &[1_200, 1_500, 2_000, 5_000, 10_000]),
            (2_000, &[2_000, 5_000, 10_000, 20_000]),
            // Small change.
            (5, &[5, 100, 500, 1_000, 2_000]),
            (99, &[99, 100, 500, 1_000, 2_000]),
            (4_990, &[4_990, 5_000, 6_000, 10_000, 20_000]),
            (5_001, &[5_001, 5_100, 5_500, 6_000, 10_000]),
            // Large baskets: the 200 € note counts too.
            (123_456, &[123_456, 123_500, 124_000, 125_000, 130_000]),
            (30_000, &[30_000, 40_000]),
        ];
        for (due, expected) in cases {
            assert_eq!(quick_cash(Cents::new(due)), euros(expected), "due {due}");
        }
    }

    #[test]
    fn nothing_when_nothing_is_due() {
        assert!(quick_cash(Cents::ZERO).is_empty());
        assert!(quick_cash(Cents::new(-500)).is_empty());
    }

    #[test]
    fn no_overflow_at_the_edge() {
        let amounts = quick_cash(Cents::new(i64::MAX));
        assert_eq!(amounts, euros(&[i64::MAX]));
    }

    proptest! {
        #[test]
        fn exact_first_then_strictly_ascending_above_the_due(due in 1i64..100_000_000) {
            let amounts = quick_cash(Cents::new(due));
            prop_assert_eq!(amounts.first().copied(), Some(Cents::new(due)));
            prop_assert!(amounts.len() <= MAX_ABOVE + 1);
            // Always something to tap besides the exact amount (up to 200 € notes).
            prop_assert!(amounts.len() >= 2 || due % 20_000 == 0);
            for pair in amounts.windows(2) {
                prop_assert!(pair[0] < pair[1], "{:?}", amounts);
            }
            for amount in &amounts {
                prop_assert!(amount.get() >= due);
            }
            for amount in &amounts[1..] {
                // Round amounts: whole euros, that a customer can hand over.
                prop_assert_eq!(amount.get() % 100, 0);
            }
        }
    }
}
