//! How a basket is paid: by card, in cash (with change), or split between the two. Pure rules:
//! what each method receives and what change is due. No I/O, no floats.

use serde::{Deserialize, Serialize};

use crate::money::Cents;

/// A means of payment accepted at the till.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Cash,
    /// Loyalty points redeemed (their value in cents).
    Loyalty,
    /// A store credit (« avoir ») or a gift card.
    Credit,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Loyalty => "loyalty",
            PaymentMethod::Credit => "credit",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentMethod> {
        match text {
            "card" => Some(PaymentMethod::Card),
            "cash" => Some(PaymentMethod::Cash),
            "loyalty" => Some(PaymentMethod::Loyalty),
            "credit" => Some(PaymentMethod::Credit),
            _ => None,
        }
    }
}

/// What the customer hands over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tender {
    /// The card pays the whole total.
    Card,
    /// Cash handed over; `None` means the exact amount.
    Cash { given: Option<Cents> },
    /// The card pays `card`, the rest is paid in cash (`cash_given`, `None` for the exact rest).
    Split {
        card: Cents,
        cash_given: Option<Cents>,
    },
}

/// How a total was settled: the amount each method received (what the journal and the ticket
/// record) and the change handed back in cash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement {
    pub payments: Vec<(PaymentMethod, Cents)>,
    pub cash_given: Option<Cents>,
    pub change: Cents,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("{given} in cash does not cover {due}: {missing} missing", given = .given.format_en(), due = .due.format_en(), missing = .missing.format_en())]
    CashShort {
        given: Cents,
        due: Cents,
        missing: Cents,
    },
    #[error("the card part ({card}) must be more than zero and less than the total ({total})", card = .card.format_en(), total = .total.format_en())]
    SplitOutOfRange { card: Cents, total: Cents },
    #[error("a payment amount cannot be negative")]
    Negative,
    #[error("the points ({points}) are worth more than the total ({total})", points = .points.format_en(), total = .total.format_en())]
    PointsOverTotal { points: Cents, total: Cents },
    #[error("{rest} remain to be paid after the points: choose card or cash", rest = .rest.format_en())]
    RestUnpaid { rest: Cents },
    #[error("the credit ({credit}) is worth more than what is left to pay ({due})", credit = .credit.format_en(), due = .due.format_en())]
    CreditOverTotal { credit: Cents, due: Cents },
    #[error("{rest} remain to be paid after the credit: choose card or cash as well", rest = .rest.format_en())]
    RestUnpaidAfterCredit { rest: Cents },
}

/// Settles `total` with `tender`.
pub fn settle(total: Cents, tender: Tender) -> Result<Settlement, PaymentError> {
    if total.is_negative() {
        return Err(PaymentError::Negative);
    }
    match tender {
        Tender::Card => Ok(Settlement {
            payments: vec![(PaymentMethod::Card, total)],
            cash_given: None,
            change: Cents::ZERO,
        }),
        Tender::Cash { given } => {
            let change = change_for(total, given)?;
            Ok(Settlement {
                payments: vec![(PaymentMethod::Cash, total)],
                cash_given: given,
                change,
            })
        }
        Tender::Split { card, cash_given } => {
            if card.get() <= 0 || card >= total {
                return Err(PaymentError::SplitOutOfRange { card, total });
            }
            let cash_due = total
                .checked_sub(card)
                .ok_or(PaymentError::SplitOutOfRange { card, total })?;
            let change = change_for(cash_due, cash_given)?;
            Ok(Settlement {
                payments: vec![(PaymentMethod::Card, card), (PaymentMethod::Cash, cash_due)],
                cash_given,
                change,
            })
        }
    }
}

/// Settles `total` when loyalty points pay `points_value` of it first and `tender` the rest
/// (`None` when the points pay it all). The points part comes first in the payments.
pub fn settle_with_points(
    total: Cents,
    points_value: Cents,
    tender: Option<Tender>,
) -> Result<Settlement, PaymentError> {
    if points_value.is_negative() {
        return Err(PaymentError::Negative);
    }
    if points_value.get() == 0 {
        return settle(total, tender.unwrap_or(Tender::Card));
    }
    let rest = total
        .checked_sub(points_value)
        .filter(|rest| !rest.is_negative())
        .ok_or(PaymentError::PointsOverTotal {
            points: points_value,
            total,
        })?;
    let mut settlement = match (rest.get(), tender) {
        (0, _) => Settlement {
            payments: Vec::new(),
            cash_given: None,
            change: Cents::ZERO,
        },
        (_, Some(tender)) => settle(rest, tender)?,
        (_, None) => return Err(PaymentError::RestUnpaid { rest }),
    };
    settlement
        .payments
        .insert(0, (PaymentMethod::Loyalty, points_value));
    Ok(settlement)
}

/// [`settle_with_points`], then a store credit or gift card pays `credit` of what the points
/// left (before the card or cash): the payments are points, credit, then the tender.
pub fn settle_with_credit(
    total: Cents,
    points_value: Cents,
    credit: Cents,
    tender: Option<Tender>,
) -> Result<Settlement, PaymentError> {
    if credit.is_negative() {
        return Err(PaymentError::Negative);
    }
    if credit.get() == 0 {
        return settle_with_points(total, points_value, tender);
    }
    let due = total
        .checked_sub(points_value)
        .filter(|due| !due.is_negative())
        .ok_or(PaymentError::PointsOverTotal {
            points: points_value,
            total,
        })?;
    let rest = due
        .checked_sub(credit)
        .filter(|rest| !rest.is_negative())
        .ok_or(PaymentError::CreditOverTotal { credit, due })?;
    let mut settlement = match (rest.get(), tender) {
        (0, _) => Settlement {
            payments: Vec::new(),
            cash_given: None,
            change: Cents::ZERO,
        },
        (_, Some(tender)) => settle(rest, tender)?,
        (_, None) => return Err(PaymentError::RestUnpaidAfterCredit { rest }),
    };
    settlement
        .payments
        .insert(0, (PaymentMethod::Credit, credit));
    if points_value.get() > 0 {
        settlement
            .payments
            .insert(0, (PaymentMethod::Loyalty, points_value));
    }
    Ok(settlement)
}

/// What the means other than points paid: what earns new points.
pub fn paid_by_other_means(settlement: &Settlement) -> Cents {
    Cents::new(
        settlement
            .payments
            .iter()
            // A credit was money already refunded or a voucher already paid for: it earns
            // nothing a second time.
            .filter(|(method, _)| !matches!(method, PaymentMethod::Loyalty | PaymentMethod::Credit))
            .map(|(_, amount)| amount.get())
            .sum(),
    )
}

fn change_for(due: Cents, given: Option<Cents>) -> Result<Cents, PaymentError> {
    let Some(given) = given else {
        return Ok(Cents::ZERO);
    };
    if given.is_negative() {
        return Err(PaymentError::Negative);
    }
    match given.checked_sub(due) {
        Some(change) if !change.is_negative() => Ok(change),
        _ => Err(PaymentError::CashShort {
            given,
            due,
            missing: due.checked_sub(given).unwrap_or(due),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credit_pays_after_the_points_and_before_the_card() {
        let s = settle_with_credit(c(5000), c(1000), c(1500), Some(Tender::Card)).expect("settled");
        assert_eq!(
            s.payments,
            vec![
                (PaymentMethod::Loyalty, c(1000)),
                (PaymentMethod::Credit, c(1500)),
                (PaymentMethod::Card, c(2500))
            ]
        );
        assert_eq!(paid_by_other_means(&s), c(2500));
        let all = settle_with_credit(c(5000), Cents::ZERO, c(5000), None).expect("settled");
        assert_eq!(all.payments, vec![(PaymentMethod::Credit, c(5000))]);
        assert_eq!(
            settle_with_credit(c(5000), c(1000), c(4500), Some(Tender::Card)),
            Err(PaymentError::CreditOverTotal {
                credit: c(4500),
                due: c(4000)
            })
        );
        assert_eq!(
            settle_with_credit(c(5000), Cents::ZERO, c(1000), None),
            Err(PaymentError::RestUnpaidAfterCredit { rest: c(4000) })
        );
    }

    #[test]
    fn points_pay_first_and_the_tender_the_rest() {
        let s = settle_with_points(
            c(5000),
            c(1230),
            Some(Tender::Cash {
                given: Some(c(4000)),
            }),
        )
        .expect("settled");
        assert_eq!(
            s.payments,
            vec![
                (PaymentMethod::Loyalty, c(1230)),
                (PaymentMethod::Cash, c(3770))
            ]
        );
        assert_eq!(s.change, c(230));
        assert_eq!(paid_by_other_means(&s), c(3770));
        let all = settle_with_points(c(1230), c(1230), None).expect("points pay it all");
        assert_eq!(all.payments, vec![(PaymentMethod::Loyalty, c(1230))]);
        assert_eq!(paid_by_other_means(&all), c(0));
        assert_eq!(
            settle_with_points(c(1000), c(300), None),
            Err(PaymentError::RestUnpaid { rest: c(700) })
        );
        assert!(matches!(
            settle_with_points(c(1000), c(1300), Some(Tender::Card)),
            Err(PaymentError::PointsOverTotal { .. })
        ));
        assert_eq!(
            settle_with_points(c(1000), c(0), Some(Tender::Card))
                .expect("no points")
                .payments,
            vec![(PaymentMethod::Card, c(1000))]
        );
    }

    fn c(cents: i64) -> Cents {
        Cents::new(cents)
    }

    #[test]
    fn settlements() {
        let cases = [
            (1250, Tender::Card, vec![(PaymentMethod::Card, 1250)], 0),
            (
                1250,
                Tender::Cash { given: None },
                vec![(PaymentMethod::Cash, 1250)],
                0,
            ),
            (
                1250,
                Tender::Cash {
                    given: Some(c(2000)),
                },
                vec![(PaymentMethod::Cash, 1250)],
                750,
            ),
            (
                5000,
                Tender::Split {
                    card: c(3000),
                    cash_given: Some(c(2050)),
                },
                vec![(PaymentMethod::Card, 3000), (PaymentMethod::Cash, 2000)],
                50,
            ),
        ];
        for (total, tender, payments, change) in cases {
            let s = settle(c(total), tender).expect("settles");
            let expected: Vec<_> = payments.into_iter().map(|(m, a)| (m, c(a))).collect();
            assert_eq!(s.payments, expected, "{tender:?}");
            assert_eq!(s.change, c(change), "{tender:?}");
            let paid = Cents::checked_sum(s.payments.iter().map(|p| p.1)).expect("sum");
            assert_eq!(paid, c(total), "payments add up to the total");
        }
    }

    #[test]
    fn refusals() {
        assert_eq!(
            settle(
                c(1250),
                Tender::Cash {
                    given: Some(c(1000))
                }
            ),
            Err(PaymentError::CashShort {
                given: c(1000),
                due: c(1250),
                missing: c(250)
            })
        );
        for card in [0, 5000, 6000, -1] {
            assert!(matches!(
                settle(
                    c(5000),
                    Tender::Split {
                        card: c(card),
                        cash_given: None
                    }
                ),
                Err(PaymentError::SplitOutOfRange { .. })
            ));
        }
    }
}
