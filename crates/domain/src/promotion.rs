//! The promotions a head office defines (« soldes », « 2e à -50 % », « 3 pour 2 », a bundle
//! price, a loyalty tier's offer): what a rule says, and the checks it passes before the central
//! accepts it. The same JSON travels from `comptoir-central promo add --json FILE` to the
//! terminals, which apply the rules offline (see `domain::pricing`).
//!
//! A rule's dates are the store's wall-clock times (Europe/Paris, as the receipts are): « soldes
//! from 8 a.m. on 13 January » means 8 a.m. in the shop, whatever the season's UTC offset.

use chrono::{DateTime, NaiveDateTime};
use chrono_tz::Europe::Paris;
use serde::{Deserialize, Serialize};

use crate::discount::FULL_PERCENT;
use crate::gtin::Gtin;
use crate::money::Cents;

/// The longest id and name a rule may have (they are printed on receipts).
pub const MAX_ID_LEN: usize = 40;
pub const MAX_NAME_LEN: usize = 60;
/// The largest group an offer may ask for (« 10 pour 8 » is the largest anyone runs).
pub const MAX_GROUP: i64 = 20;
/// The largest amount a rule may name: 100,000 €, far above any article.
pub const MAX_OFFER_CENTS: i64 = 10_000_000;

/// One rule of the head office.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    /// The chain's id for it, e.g. `SOLDES-H27`.
    pub id: String,
    /// What the receipt and the basket show, e.g. « Soldes d'hiver ».
    pub name: String,
    /// First moment it applies, store time.
    pub starts: NaiveDateTime,
    /// First moment it no longer applies, store time.
    pub ends: NaiveDateTime,
    /// What it applies to.
    pub target: Target,
    pub offer: Offer,
    /// Loyalty tiers it is reserved to (empty: every customer, identified or not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
    /// Store codes it runs in (empty: every store of the chain).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<String>,
    /// Whether it applies on top of another rule on the same units (on what that one left).
    #[serde(default)]
    pub stacks: bool,
}

/// The articles a rule applies to: any article matching one of the lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gtins: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brands: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
}

/// What a rule gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Offer {
    /// A percentage off each unit (« soldes -30 % », a tier's -10 %).
    PercentOff { basis_points: i64 },
    /// An amount off each unit.
    AmountOff { cents: Cents },
    /// Each unit at this price.
    FixedPrice { cents: Cents },
    /// Every `nth` unit at a percentage off (« 2e à -50 % »: nth 2, 5,000 basis points); the
    /// cheaper units get it.
    NthPercentOff { nth: i64, basis_points: i64 },
    /// `buy` units for the price of `pay` (« 3 pour 2 »): the cheapest of each group are free.
    BuyPay { buy: i64, pay: i64 },
    /// Any `count` units for `cents` together.
    Bundle { count: i64, cents: Cents },
}

impl Offer {
    /// The offer's wire name (its JSON `kind`), e.g. `nth_percent_off`, for lists.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Offer::PercentOff { .. } => "percent_off",
            Offer::AmountOff { .. } => "amount_off",
            Offer::FixedPrice { .. } => "fixed_price",
            Offer::NthPercentOff { .. } => "nth_percent_off",
            Offer::BuyPay { .. } => "buy_pay",
            Offer::Bundle { .. } => "bundle",
        }
    }
}

/// The store's wall-clock time (Europe/Paris) at `utc_seconds` (Unix seconds), to the second:
/// what [`Promotion::runs`] compares a rule's dates with. `None` only out of chrono's range.
pub fn store_time(utc_seconds: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp(utc_seconds, 0).map(|utc| utc.with_timezone(&Paris).naive_local())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromotionError {
    #[error("the id must be 1 to {MAX_ID_LEN} letters, digits, '-' or '_' (got “{0}”)")]
    BadId(String),
    #[error("the name must be 1 to {MAX_NAME_LEN} characters")]
    BadName,
    #[error("it ends ({ends}) before it starts ({starts})")]
    EndsBeforeStart {
        starts: NaiveDateTime,
        ends: NaiveDateTime,
    },
    #[error("it targets nothing: give gtins, brands or categories")]
    NoTarget,
    #[error("“{0}” is not a valid GTIN")]
    BadGtin(String),
    #[error("a percentage must be between 0.01 % and 100 % (got {0} basis points)")]
    BadPercent(i64),
    #[error("an amount must be positive (got {0} cents)")]
    BadAmount(i64),
    #[error("a group must be 2 to {MAX_GROUP} units and pay fewer than it buys")]
    BadGroup,
    #[error("only percent_off and amount_off rules can stack on another rule")]
    StacksOnlyOff,
}

impl Promotion {
    /// Checks everything a terminal relies on; the central refuses a rule that fails.
    pub fn validate(&self) -> Result<(), PromotionError> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= MAX_ID_LEN
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !id_ok {
            return Err(PromotionError::BadId(self.id.chars().take(60).collect()));
        }
        let name_len = self.name.trim().chars().count();
        if name_len == 0 || name_len > MAX_NAME_LEN {
            return Err(PromotionError::BadName);
        }
        if self.ends <= self.starts {
            return Err(PromotionError::EndsBeforeStart {
                starts: self.starts,
                ends: self.ends,
            });
        }
        let target = &self.target;
        if target.gtins.is_empty() && target.brands.is_empty() && target.categories.is_empty() {
            return Err(PromotionError::NoTarget);
        }
        if let Some(bad) = target.gtins.iter().find(|g| Gtin::parse(g).is_err()) {
            return Err(PromotionError::BadGtin(bad.chars().take(40).collect()));
        }
        let percent = |bp: i64| {
            if (1..=FULL_PERCENT).contains(&bp) {
                Ok(())
            } else {
                Err(PromotionError::BadPercent(bp))
            }
        };
        let amount = |c: Cents| {
            if c.get() > 0 && c.get() <= MAX_OFFER_CENTS {
                Ok(())
            } else {
                Err(PromotionError::BadAmount(c.get()))
            }
        };
        let group = |n: i64| (2..=MAX_GROUP).contains(&n);
        let can_stack = matches!(
            self.offer,
            Offer::PercentOff { .. } | Offer::AmountOff { .. }
        );
        if self.stacks && !can_stack {
            return Err(PromotionError::StacksOnlyOff);
        }
        match self.offer {
            Offer::PercentOff { basis_points } => percent(basis_points),
            Offer::AmountOff { cents } | Offer::FixedPrice { cents } => amount(cents),
            Offer::NthPercentOff { nth, basis_points } => {
                if !group(nth) {
                    return Err(PromotionError::BadGroup);
                }
                percent(basis_points)
            }
            Offer::BuyPay { buy, pay } => {
                if group(buy) && (1..buy).contains(&pay) {
                    Ok(())
                } else {
                    Err(PromotionError::BadGroup)
                }
            }
            Offer::Bundle { count, cents } => {
                if !group(count) {
                    return Err(PromotionError::BadGroup);
                }
                amount(cents)
            }
        }
    }

    /// Whether it applies at `local_now` (store time) in `store`.
    pub fn runs(&self, local_now: NaiveDateTime, store: &str) -> bool {
        self.starts <= local_now
            && local_now < self.ends
            && (self.stores.is_empty() || self.stores.iter().any(|s| s == store))
    }

    /// Whether a customer of `tier` (or an anonymous one) may have it.
    pub fn open_to(&self, tier: Option<&str>) -> bool {
        self.tiers.is_empty() || tier.is_some_and(|t| self.tiers.iter().any(|x| x == t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").expect("date")
    }

    fn soldes() -> Promotion {
        serde_json::from_str(
            r#"{"id": "SOLDES-H27", "name": "Soldes d'hiver",
                "starts": "2027-01-13T08:00:00", "ends": "2027-02-10T00:00:00",
                "target": {"categories": ["Maquillage"]},
                "offer": {"kind": "percent_off", "basis_points": 3000}}"#,
        )
        .expect("a rule")
    }

    #[test]
    fn a_rule_reads_from_json_and_runs_between_its_dates_in_its_stores() {
        let mut rule = soldes();
        assert_eq!(rule.validate(), Ok(()));
        assert!(!rule.runs(at("2027-01-13T07:59"), "PAR-01"));
        assert!(rule.runs(at("2027-01-13T08:00"), "PAR-01"));
        assert!(!rule.runs(at("2027-02-10T00:00"), "PAR-01"));
        rule.stores = vec!["LYO-01".into()];
        assert!(!rule.runs(at("2027-01-20T10:00"), "PAR-01"));
        assert!(rule.open_to(None));
        rule.tiers = vec!["or".into()];
        assert!(!rule.open_to(None));
        assert!(rule.open_to(Some("or")));
    }

    #[test]
    fn an_offer_kind_name_is_its_json_kind() {
        let offers = [
            Offer::PercentOff { basis_points: 1 },
            Offer::AmountOff {
                cents: Cents::new(1),
            },
            Offer::FixedPrice {
                cents: Cents::new(1),
            },
            Offer::NthPercentOff {
                nth: 2,
                basis_points: 5000,
            },
            Offer::BuyPay { buy: 3, pay: 2 },
            Offer::Bundle {
                count: 2,
                cents: Cents::new(1),
            },
        ];
        for offer in offers {
            let json = serde_json::to_value(offer).expect("json");
            assert_eq!(json["kind"], offer.kind_name());
        }
    }

    #[test]
    fn store_time_follows_paris_summer_and_winter_time() {
        // 2027-01-13 07:00 UTC is 08:00 in Paris (CET); 2027-07-01 06:00 UTC is 08:00 (CEST).
        assert_eq!(store_time(1_799_823_600), Some(at("2027-01-13T08:00")));
        assert_eq!(store_time(1_814_421_600), Some(at("2027-07-01T08:00")));
        assert_eq!(store_time(i64::MAX), None);
    }

    #[test]
    fn impossible_rules_are_refused_with_their_reason() {
        let mut rule = soldes();
        rule.offer = Offer::BuyPay { buy: 3, pay: 3 };
        assert_eq!(rule.validate(), Err(PromotionError::BadGroup));
        rule.offer = Offer::PercentOff {
            basis_points: 10_001,
        };
        assert_eq!(rule.validate(), Err(PromotionError::BadPercent(10_001)));
        rule.offer = Offer::AmountOff {
            cents: Cents::new(0),
        };
        assert_eq!(rule.validate(), Err(PromotionError::BadAmount(0)));
        rule = soldes();
        rule.target = Target::default();
        assert_eq!(rule.validate(), Err(PromotionError::NoTarget));
        rule.target.gtins = vec!["not-a-gtin".into()];
        assert!(matches!(rule.validate(), Err(PromotionError::BadGtin(_))));
        rule = soldes();
        rule.ends = rule.starts;
        assert!(matches!(
            rule.validate(),
            Err(PromotionError::EndsBeforeStart { .. })
        ));
        rule = soldes();
        rule.id = "a b".into();
        assert!(matches!(rule.validate(), Err(PromotionError::BadId(_))));
        assert!(
            serde_json::from_str::<Promotion>(r#"{"id": "X", "bogus": 1}"#).is_err(),
            "unknown fields are refused, not ignored"
        );
    }
}
