//! Whether a scanned unit may be sold: not when its expiry date (GS1 AI 17) has passed, nor when
//! the chain recalled its product or its lot (AI 10). A manager may still let it through with a
//! reason (the app journals it); this module only decides, with no I/O.
//!
//! GS1's "Sunrise 2027" asks tills to read 2D codes carrying the expiry and the lot precisely so
//! that they can stop an expired product or a recalled lot at the checkout.

use std::fmt;

use chrono::NaiveDate;

/// A recall in force for a product, as the central announced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recall {
    /// The recalled lot (batch, AI 10); `None` recalls every lot of the product.
    pub lot: Option<String>,
    /// Why, as the central wrote it ("Listeria", "foreign body"…).
    pub reason: String,
}

/// Why a unit may not be sold without a manager's override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaleBlock {
    /// The scanned expiry date is before today.
    Expired { expiry: NaiveDate },
    /// A recall covers the unit: `lot` is the recall's lot (`None`: every lot of the product).
    Recalled { lot: Option<String>, reason: String },
}

impl SaleBlock {
    /// "expired" or "recalled": the word the journal and scripts use.
    pub fn kind(&self) -> &'static str {
        match self {
            SaleBlock::Expired { .. } => "expired",
            SaleBlock::Recalled { .. } => "recalled",
        }
    }
}

impl fmt::Display for SaleBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SaleBlock::Expired { expiry } => write!(f, "expired on {expiry}"),
            SaleBlock::Recalled {
                lot: Some(lot),
                reason,
            } => write!(f, "recalled (lot {lot}): {reason}"),
            SaleBlock::Recalled { lot: None, reason } => write!(f, "recalled: {reason}"),
        }
    }
}

/// What blocks the sale of a scanned unit, if anything.
///
/// - `expired_on` is the scan's expiry date when it has passed (the product card decides that
///   against today), `None` otherwise.
/// - `lot` is the lot the scan carried (AI 10), `recalls` the recalls in force for its product.
///
/// A recall without a lot covers every unit. A recall of a lot covers a scan of that lot (the
/// exact text: GS1 lots are case-sensitive) and, conservatively, a scan that carries no lot at
/// all: a plain EAN-13 cannot prove which lot the unit is from, so the seller is stopped and a
/// manager who checked the pack may override. A scan of another lot passes.
///
/// A recall is reported before an expiry: it is the graver reason, and the one a manager's
/// override has to answer for.
pub fn sale_block(
    expired_on: Option<NaiveDate>,
    lot: Option<&str>,
    recalls: &[Recall],
) -> Option<SaleBlock> {
    let covers = |recall: &&Recall| match (&recall.lot, lot) {
        (None, _) | (Some(_), None) => true,
        (Some(recalled), Some(scanned)) => recalled == scanned,
    };
    // A recall of every lot first: it says more than a lot's when both apply.
    let recall = recalls
        .iter()
        .filter(covers)
        .min_by_key(|recall| recall.lot.is_some());
    if let Some(recall) = recall {
        return Some(SaleBlock::Recalled {
            lot: recall.lot.clone(),
            reason: recall.reason.clone(),
        });
    }
    expired_on.map(|expiry| SaleBlock::Expired { expiry })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn recall(lot: Option<&str>, reason: &str) -> Recall {
        Recall {
            lot: lot.map(str::to_owned),
            reason: reason.to_owned(),
        }
    }

    fn recalled(lot: Option<&str>, reason: &str) -> Option<SaleBlock> {
        Some(SaleBlock::Recalled {
            lot: lot.map(str::to_owned),
            reason: reason.to_owned(),
        })
    }

    #[test]
    fn expiry_and_recalls_decide_the_block() {
        let past = date(2024, 1, 31);
        let all = recall(None, "Listeria");
        let l1 = recall(Some("L1"), "foreign body");
        let l2 = recall(Some("L2"), "mislabelled");
        #[allow(clippy::type_complexity)]
        let cases: Vec<(
            &str,
            Option<NaiveDate>,
            Option<&str>,
            Vec<Recall>,
            Option<SaleBlock>,
        )> = vec![
            ("nothing to say", None, None, vec![], None),
            ("a lot and no recall", None, Some("L1"), vec![], None),
            (
                "expired",
                Some(past),
                Some("L1"),
                vec![],
                Some(SaleBlock::Expired { expiry: past }),
            ),
            (
                "every lot recalled, no lot scanned",
                None,
                None,
                vec![all.clone()],
                recalled(None, "Listeria"),
            ),
            (
                "every lot recalled, a lot scanned",
                None,
                Some("L9"),
                vec![all.clone()],
                recalled(None, "Listeria"),
            ),
            (
                "the recalled lot scanned",
                None,
                Some("L1"),
                vec![l1.clone()],
                recalled(Some("L1"), "foreign body"),
            ),
            (
                "another lot scanned",
                None,
                Some("L3"),
                vec![l1.clone(), l2.clone()],
                None,
            ),
            (
                "the second recalled lot scanned",
                None,
                Some("L2"),
                vec![l1.clone(), l2.clone()],
                recalled(Some("L2"), "mislabelled"),
            ),
            (
                "lots are case-sensitive",
                None,
                Some("l1"),
                vec![l1.clone()],
                None,
            ),
            (
                "no lot scanned, a lot recalled: blocked, the lot cannot be proven",
                None,
                None,
                vec![l1.clone()],
                recalled(Some("L1"), "foreign body"),
            ),
            (
                "a recall of every lot wins over a lot's",
                None,
                Some("L1"),
                vec![l1.clone(), all.clone()],
                recalled(None, "Listeria"),
            ),
            (
                "a recall wins over an expiry",
                Some(past),
                Some("L1"),
                vec![l1.clone()],
                recalled(Some("L1"), "foreign body"),
            ),
            (
                "expired, of a lot not recalled",
                Some(past),
                Some("L3"),
                vec![l1.clone()],
                Some(SaleBlock::Expired { expiry: past }),
            ),
        ];
        for (name, expired_on, lot, recalls, expected) in cases {
            assert_eq!(sale_block(expired_on, lot, &recalls), expected, "{name}");
        }
    }

    #[test]
    fn a_block_says_why_in_words() {
        let cases = [
            (
                SaleBlock::Expired {
                    expiry: date(2024, 1, 31),
                },
                "expired on 2024-01-31",
                "expired",
            ),
            (
                SaleBlock::Recalled {
                    lot: None,
                    reason: "Listeria".into(),
                },
                "recalled: Listeria",
                "recalled",
            ),
            (
                SaleBlock::Recalled {
                    lot: Some("L1".into()),
                    reason: "Listeria".into(),
                },
                "recalled (lot L1): Listeria",
                "recalled",
            ),
        ];
        for (block, text, kind) in cases {
            assert_eq!(block.to_string(), text);
            assert_eq!(block.kind(), kind);
        }
    }
}
