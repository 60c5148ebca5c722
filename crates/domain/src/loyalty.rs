//! Loyalty points: what a sale earns, what points are worth at the till, and the balance a
//! terminal may rely on offline (the last balance the central confirmed plus this terminal's own
//! movements it has not confirmed yet; the central arbitrates). Pure integer arithmetic.

use serde::{Deserialize, Serialize};

use crate::money::Cents;

/// The store's rule, from configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyRule {
    /// Cents to spend for one point (100: one point per euro).
    pub cents_per_point: i64,
    /// What one point is worth when redeemed, in cents (5: 100 points = 5 €).
    pub point_value_cents: i64,
}

impl Default for LoyaltyRule {
    fn default() -> LoyaltyRule {
        LoyaltyRule {
            cents_per_point: 100,
            point_value_cents: 5,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoyaltyError {
    #[error("the loyalty rule needs positive amounts (cents per point, value of a point)")]
    BadRule,
    #[error("{asked} points asked, the customer has {balance}")]
    NotEnoughPoints { asked: i64, balance: i64 },
    #[error("points are redeemed in whole numbers above zero")]
    NotPositive,
}

impl LoyaltyRule {
    pub fn checked(self) -> Result<LoyaltyRule, LoyaltyError> {
        if self.cents_per_point > 0 && self.point_value_cents > 0 {
            Ok(self)
        } else {
            Err(LoyaltyError::BadRule)
        }
    }

    /// Points earned by `paid` (what was paid by other means than points: points do not earn
    /// points). Rounded down; a refund (negative) earns nothing here.
    pub fn earned(&self, paid: Cents) -> i64 {
        if paid.get() <= 0 || self.cents_per_point <= 0 {
            return 0;
        }
        paid.get() / self.cents_per_point
    }

    /// The most points a basket of `total` can take from a `balance`: never more than the
    /// total is worth (no change is given on points).
    pub fn max_redeemable(&self, balance: i64, total: Cents) -> i64 {
        if balance <= 0 || total.get() <= 0 || self.point_value_cents <= 0 {
            return 0;
        }
        balance.min(total.get() / self.point_value_cents)
    }

    /// The amount `points` pay, after checking the customer has them and the basket takes them.
    pub fn redeem(&self, points: i64, balance: i64, total: Cents) -> Result<Cents, LoyaltyError> {
        if points <= 0 {
            return Err(LoyaltyError::NotPositive);
        }
        let max = self.max_redeemable(balance, total);
        if points > max {
            return Err(LoyaltyError::NotEnoughPoints {
                asked: points,
                balance: max,
            });
        }
        Ok(Cents::new(points * self.point_value_cents))
    }
}

/// The balance shown and spent offline: the central's last word plus this terminal's movements
/// the central has not reflected yet (earned positive, redeemed negative).
pub fn offline_balance(last_known: i64, unconfirmed: impl IntoIterator<Item = i64>) -> i64 {
    last_known + unconfirmed.into_iter().sum::<i64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_point_per_euro_by_default_rounded_down() {
        let rule = LoyaltyRule::default();
        assert_eq!(rule.earned(Cents::new(8990)), 89);
        assert_eq!(rule.earned(Cents::new(99)), 0);
        assert_eq!(rule.earned(Cents::new(-500)), 0);
    }

    #[test]
    fn points_never_pay_more_than_the_basket() {
        let rule = LoyaltyRule::default();
        // 1 000 points are worth 50 €; the basket is 12,34 €: at most 246 points (12,30 €).
        assert_eq!(rule.max_redeemable(1_000, Cents::new(1234)), 246);
        assert_eq!(
            rule.redeem(246, 1_000, Cents::new(1234)),
            Ok(Cents::new(1230))
        );
        assert_eq!(
            rule.redeem(247, 1_000, Cents::new(1234)),
            Err(LoyaltyError::NotEnoughPoints {
                asked: 247,
                balance: 246
            })
        );
        assert_eq!(rule.max_redeemable(40, Cents::new(1234)), 40);
        assert_eq!(
            rule.redeem(0, 40, Cents::new(1234)),
            Err(LoyaltyError::NotPositive)
        );
    }

    #[test]
    fn the_offline_balance_adds_unconfirmed_movements() {
        assert_eq!(offline_balance(500, [89, -200]), 389);
        assert_eq!(offline_balance(500, []), 500);
    }

    #[test]
    fn a_rule_of_zero_is_refused() {
        let rule = LoyaltyRule {
            cents_per_point: 0,
            point_value_cents: 5,
        };
        assert_eq!(rule.checked(), Err(LoyaltyError::BadRule));
    }
}
