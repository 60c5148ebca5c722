//! Click-and-collect at the counter and returns of online orders: what is left to hand over,
//! checking the items the staff scan against the order, and what may still be returned. Pure
//! arithmetic over order lines; the store keeps the facts.

use std::collections::BTreeMap;

/// A product and a number of units of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Units {
    pub gtin: String,
    pub quantity: i64,
}

/// Units per product, summed.
fn tally(lines: &[Units]) -> BTreeMap<&str, i64> {
    let mut map = BTreeMap::new();
    for line in lines {
        *map.entry(line.gtin.as_str()).or_insert(0) += line.quantity;
    }
    map
}

/// What is still to hand over: ordered minus handed (the larger of what the central says was
/// handed and what this terminal handed, so a handover is never counted twice once the central
/// has it).
pub fn remaining(ordered: &[Units], handed_central: &[Units], handed_here: &[Units]) -> Vec<Units> {
    let central = tally(handed_central);
    let here = tally(handed_here);
    let mut left = Vec::new();
    for (gtin, qty) in tally(ordered) {
        let handed = central
            .get(gtin)
            .copied()
            .unwrap_or(0)
            .max(here.get(gtin).copied().unwrap_or(0));
        if qty > handed {
            left.push(Units {
                gtin: gtin.to_owned(),
                quantity: qty - handed,
            });
        }
    }
    left
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandoverError {
    #[error("this order was already handed over")]
    AlreadyHandedOver,
    #[error("product {gtin} is not in this order")]
    NotInOrder { gtin: String },
    #[error("only {left} of product {gtin} are left to hand over, not {asked}")]
    TooMany { gtin: String, asked: i64, left: i64 },
    #[error("nothing chosen to hand over")]
    Nothing,
}

/// Checks a handover of `lines` against what is `left`; returns the lines and whether the order
/// is then complete.
pub fn check_handover(
    left: &[Units],
    lines: &[Units],
) -> Result<(Vec<Units>, bool), HandoverError> {
    if left.is_empty() {
        return Err(HandoverError::AlreadyHandedOver);
    }
    let left_map = tally(left);
    let asked = tally(lines);
    if asked.values().all(|q| *q <= 0) {
        return Err(HandoverError::Nothing);
    }
    for (gtin, qty) in &asked {
        let available = left_map
            .get(gtin)
            .copied()
            .ok_or_else(|| HandoverError::NotInOrder {
                gtin: (*gtin).to_owned(),
            })?;
        if *qty > available {
            return Err(HandoverError::TooMany {
                gtin: (*gtin).to_owned(),
                asked: *qty,
                left: available,
            });
        }
    }
    let handed: Vec<Units> = asked
        .iter()
        .filter(|(_, q)| **q > 0)
        .map(|(g, q)| Units {
            gtin: (*g).to_owned(),
            quantity: *q,
        })
        .collect();
    let complete = left_map
        .iter()
        .all(|(gtin, qty)| asked.get(gtin).copied().unwrap_or(0) >= *qty);
    Ok((handed, complete))
}

/// What the staff scanned while checking an order: each scan is an item of the order, or not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemCheck {
    scanned: BTreeMap<String, i64>,
}

/// One scan's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanVerdict {
    /// An item of the order; `checked` of `of` units of it are now checked.
    Expected { checked: i64, of: i64 },
    /// Not in this order: put it aside.
    WrongProduct,
    /// In the order, but more were scanned than are to hand over.
    TooMany { of: i64 },
}

impl ItemCheck {
    /// Records a scan of `gtin` against what is `left` to hand over.
    pub fn scan(&mut self, left: &[Units], gtin: &str) -> ScanVerdict {
        let Some(of) = tally(left).get(gtin).copied() else {
            return ScanVerdict::WrongProduct;
        };
        let checked = self.scanned.entry(gtin.to_owned()).or_insert(0);
        if *checked >= of {
            return ScanVerdict::TooMany { of };
        }
        *checked += 1;
        ScanVerdict::Expected {
            checked: *checked,
            of,
        }
    }

    /// Units checked so far, per product.
    pub fn checked(&self, gtin: &str) -> i64 {
        self.scanned.get(gtin).copied().unwrap_or(0)
    }

    /// The checked units, as the lines of a (partial) handover.
    pub fn as_lines(&self) -> Vec<Units> {
        self.scanned
            .iter()
            .filter(|(_, q)| **q > 0)
            .map(|(g, q)| Units {
                gtin: g.clone(),
                quantity: *q,
            })
            .collect()
    }
}

/// A line of an online order, as a return sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnableLine {
    pub gtin: String,
    pub quantity: i64,
    /// What the `quantity` units cost, in cents.
    pub amount_cents: i64,
    pub vat_bp: i64,
    /// Units already returned (here or, as the central knows, anywhere).
    pub returned: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReturnError {
    #[error("product {gtin} is not in this order")]
    NotInOrder { gtin: String },
    #[error(
        "{asked} of product {gtin} cannot be returned: {left} left (already returned: {returned})"
    )]
    TooMany {
        gtin: String,
        asked: i64,
        left: i64,
        returned: i64,
    },
    #[error("nothing chosen to return")]
    Nothing,
}

/// A returned line with its refund (the price paid, pro rata, rounded down to the cent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundLine {
    pub gtin: String,
    pub quantity: i64,
    pub amount_cents: i64,
    pub vat_bp: i64,
}

/// Checks a return of `asked` against the order's lines; the refund per line.
pub fn check_return(
    lines: &[ReturnableLine],
    asked: &[Units],
) -> Result<Vec<RefundLine>, ReturnError> {
    let asked_map = tally(asked);
    if asked_map.values().all(|q| *q <= 0) {
        return Err(ReturnError::Nothing);
    }
    let mut refund = Vec::new();
    for (gtin, qty) in asked_map.into_iter().filter(|(_, q)| *q > 0) {
        let line =
            lines
                .iter()
                .find(|l| l.gtin == gtin)
                .ok_or_else(|| ReturnError::NotInOrder {
                    gtin: gtin.to_owned(),
                })?;
        let left = line.quantity - line.returned;
        if qty > left {
            return Err(ReturnError::TooMany {
                gtin: gtin.to_owned(),
                asked: qty,
                left: left.max(0),
                returned: line.returned,
            });
        }
        // The last units returned take what is left of the amount, so returning a whole line in
        // several goes refunds exactly what was paid.
        let unit_share = |n: i64| line.amount_cents * n / line.quantity.max(1);
        let amount = unit_share(line.returned + qty) - unit_share(line.returned);
        refund.push(RefundLine {
            gtin: gtin.to_owned(),
            quantity: qty,
            amount_cents: amount,
            vat_bp: line.vat_bp,
        });
    }
    Ok(refund)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(gtin: &str, quantity: i64) -> Units {
        Units {
            gtin: gtin.into(),
            quantity,
        }
    }

    #[test]
    fn what_is_left_counts_each_handover_once() {
        let ordered = [u("A", 2), u("B", 1)];
        assert_eq!(remaining(&ordered, &[], &[]), vec![u("A", 2), u("B", 1)]);
        // Handed here, not yet known to the central; then known to it: the same unit.
        assert_eq!(
            remaining(&ordered, &[], &[u("A", 1)]),
            vec![u("A", 1), u("B", 1)]
        );
        assert_eq!(
            remaining(&ordered, &[u("A", 1)], &[u("A", 1)]),
            vec![u("A", 1), u("B", 1)]
        );
        assert!(remaining(&ordered, &[u("A", 2), u("B", 1)], &[]).is_empty());
    }

    #[test]
    fn a_handover_is_checked_against_what_is_left() {
        let left = [u("A", 2), u("B", 1)];
        assert_eq!(
            check_handover(&left, &[u("A", 1)]),
            Ok((vec![u("A", 1)], false))
        );
        assert_eq!(
            check_handover(&left, &[u("A", 2), u("B", 1)]),
            Ok((vec![u("A", 2), u("B", 1)], true))
        );
        assert_eq!(
            check_handover(&left, &[u("C", 1)]),
            Err(HandoverError::NotInOrder { gtin: "C".into() })
        );
        assert!(matches!(
            check_handover(&left, &[u("A", 3)]),
            Err(HandoverError::TooMany { left: 2, .. })
        ));
        assert_eq!(
            check_handover(&[], &[u("A", 1)]),
            Err(HandoverError::AlreadyHandedOver)
        );
        assert_eq!(check_handover(&left, &[]), Err(HandoverError::Nothing));
    }

    #[test]
    fn scanning_the_items_flags_a_wrong_product_and_one_too_many() {
        let left = [u("A", 2)];
        let mut check = ItemCheck::default();
        assert_eq!(
            check.scan(&left, "A"),
            ScanVerdict::Expected { checked: 1, of: 2 }
        );
        assert_eq!(check.scan(&left, "B"), ScanVerdict::WrongProduct);
        assert_eq!(
            check.scan(&left, "A"),
            ScanVerdict::Expected { checked: 2, of: 2 }
        );
        assert_eq!(check.scan(&left, "A"), ScanVerdict::TooMany { of: 2 });
        assert_eq!(check.as_lines(), vec![u("A", 2)]);
    }

    #[test]
    fn a_line_is_never_refunded_beyond_what_was_paid() {
        let lines = [ReturnableLine {
            gtin: "A".into(),
            quantity: 3,
            amount_cents: 1000,
            vat_bp: 2000,
            returned: 0,
        }];
        let first = check_return(&lines, &[u("A", 1)]).expect("one");
        assert_eq!(first[0].amount_cents, 333);
        let after = [ReturnableLine {
            returned: 1,
            ..lines[0].clone()
        }];
        let rest = check_return(&after, &[u("A", 2)]).expect("the rest");
        assert_eq!(rest[0].amount_cents, 667, "333 + 667 = 1000 paid");
        let all_back = [ReturnableLine {
            returned: 3,
            ..lines[0].clone()
        }];
        assert!(matches!(
            check_return(&all_back, &[u("A", 1)]),
            Err(ReturnError::TooMany {
                left: 0,
                returned: 3,
                ..
            })
        ));
        assert!(matches!(
            check_return(&lines, &[u("B", 1)]),
            Err(ReturnError::NotInOrder { .. })
        ));
        assert_eq!(check_return(&lines, &[]), Err(ReturnError::Nothing));
    }
}
