use super::*;
use crate::domain::discount::{Adjustment, Discount};
use crate::domain::promotion::Target;
use proptest::prelude::*;

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").expect("date")
}

fn rule(id: &str, target: Target, offer: Offer) -> Promotion {
    Promotion {
        id: id.into(),
        name: format!("promo {id}"),
        starts: at("2027-01-01T00:00"),
        ends: at("2027-02-01T00:00"),
        target,
        offer,
        tiers: Vec::new(),
        stores: Vec::new(),
        stacks: false,
    }
}

fn category(name: &str) -> Target {
    Target {
        categories: vec![name.into()],
        ..Target::default()
    }
}

fn gtins(list: &[&str]) -> Target {
    Target {
        gtins: list.iter().map(|g| (*g).to_owned()).collect(),
        ..Target::default()
    }
}

fn line<'a>(gtin: &'a str, category: &'a str, unit: i64, quantity: i64) -> PricingLine<'a> {
    PricingLine {
        gtin,
        brand: "Marque",
        category,
        unit_price: Cents::new(unit),
        quantity,
        manual: None,
    }
}

fn context() -> PricingContext<'static> {
    PricingContext {
        local_now: at("2027-01-15T10:00"),
        store: "PAR-01",
        tier: None,
    }
}

/// The amount off each line, and the id of each line's rules.
fn offs(discounts: &[Vec<LineDiscount>]) -> Vec<i64> {
    discounts
        .iter()
        .map(|d| d.iter().map(|x| x.amount.get()).sum())
        .collect()
}

fn priced(lines: &[PricingLine<'_>], rules: Vec<Promotion>) -> Vec<Vec<LineDiscount>> {
    price(lines, None, &PromotionBook::new(rules), &context()).expect("priced")
}

#[test]
fn soldes_take_their_percentage_off_their_category_only_between_their_dates() {
    let rules = vec![rule(
        "SOLDES",
        category("Maquillage"),
        Offer::PercentOff { basis_points: 3000 },
    )];
    let lines = [line("A", "Maquillage", 1995, 2), line("B", "Soin", 1000, 1)];
    let discounts = priced(&lines, rules.clone());
    // 30 % of 19,95 € is 5,985 → 5,99 € a unit.
    assert_eq!(offs(&discounts), vec![1198, 0]);
    assert_eq!(
        discounts[0][0].source,
        DiscountSource::Promotion {
            id: "SOLDES".into(),
            name: "promo SOLDES".into()
        }
    );
    let later = PricingContext {
        local_now: at("2027-02-01T00:00"),
        ..context()
    };
    let after = price(&lines, None, &PromotionBook::new(rules), &later).expect("priced");
    assert_eq!(offs(&after), vec![0, 0]);
}

#[test]
fn three_for_two_gives_the_cheapest_of_each_group_free() {
    let rules = vec![rule(
        "3P2",
        category("Soin"),
        Offer::BuyPay { buy: 3, pay: 2 },
    )];
    // Dearest first: 30, 20, 10 | 5 → the 10 is free, the 5 waits for two more.
    let lines = [
        line("A", "Soin", 2000, 1),
        line("B", "Soin", 500, 1),
        line("C", "Soin", 3000, 1),
        line("D", "Soin", 1000, 1),
    ];
    assert_eq!(offs(&priced(&lines, rules.clone())), vec![0, 0, 0, 1000]);
    // Six of one article: two free.
    let six = [line("A", "Soin", 700, 6)];
    assert_eq!(offs(&priced(&six, rules)), vec![1400]);
}

#[test]
fn the_second_at_half_price_goes_to_the_cheaper_unit() {
    let rules = vec![rule(
        "2E50",
        category("Soin"),
        Offer::NthPercentOff {
            nth: 2,
            basis_points: 5000,
        },
    )];
    let lines = [line("A", "Soin", 1000, 1), line("B", "Soin", 801, 1)];
    // Half of 8,01 € rounds half up to 4,01 €.
    assert_eq!(offs(&priced(&lines, rules.clone())), vec![0, 401]);
    let five = [line("A", "Soin", 1000, 5)];
    assert_eq!(offs(&priced(&five, rules)), vec![1000]);
}

#[test]
fn a_bundle_price_is_spread_over_the_lines_of_its_group() {
    let rules = vec![rule(
        "LOT3",
        category("Soin"),
        Offer::Bundle {
            count: 3,
            cents: Cents::new(1000),
        },
    )];
    let lines = [line("A", "Soin", 400, 2), line("B", "Soin", 400, 2)];
    // One group of three at 12 € for 10 €: 2 € off; the fourth unit pays full price.
    let discounts = priced(&lines, rules);
    assert_eq!(offs(&discounts).iter().sum::<i64>(), 200);
    // 2 of A and 1 of B in the group: 2 € spread 800:400, the remainder cent on A.
    assert_eq!(offs(&discounts), vec![134, 66]);
}

#[test]
fn the_best_rule_for_the_customer_wins_and_two_never_share_a_unit() {
    let rules = vec![
        rule(
            "A-SOLDES",
            category("Soin"),
            Offer::PercentOff { basis_points: 2000 },
        ),
        rule("B-3P2", gtins(&["G"]), Offer::BuyPay { buy: 3, pay: 2 }),
    ];
    // 3 × 10 €: 20 % is 6 €, 3 pour 2 is 10 € → 3 pour 2 only.
    let lines = [line("G", "Soin", 1000, 3)];
    let discounts = priced(&lines, rules.clone());
    assert_eq!(offs(&discounts), vec![1000]);
    assert_eq!(discounts[0].len(), 1);
    // 4 units: 3 pour 2 takes three, the fourth gets the soldes.
    let four = [line("G", "Soin", 1000, 4)];
    let discounts = priced(&four, rules);
    assert_eq!(offs(&discounts), vec![1200]);
    assert_eq!(discounts[0].len(), 2);
}

#[test]
fn equal_savings_go_to_the_smaller_id() {
    let rules = vec![
        rule(
            "Z",
            category("Soin"),
            Offer::PercentOff { basis_points: 1000 },
        ),
        rule(
            "A",
            gtins(&["G"]),
            Offer::AmountOff {
                cents: Cents::new(100),
            },
        ),
    ];
    let discounts = priced(&[line("G", "Soin", 1000, 1)], rules);
    assert!(matches!(&discounts[0][0].source, DiscountSource::Promotion { id, .. } if id == "A"));
}

#[test]
fn a_tier_offer_stacks_on_the_soldes_for_its_tier_only() {
    let mut tier = rule(
        "OR",
        category("Soin"),
        Offer::PercentOff { basis_points: 1000 },
    );
    tier.tiers = vec!["or".into()];
    tier.stacks = true;
    let rules = vec![
        rule(
            "SOLDES",
            category("Soin"),
            Offer::PercentOff { basis_points: 2000 },
        ),
        tier,
    ];
    let lines = [line("G", "Soin", 1000, 1)];
    assert_eq!(offs(&priced(&lines, rules.clone())), vec![200]);
    let gold = PricingContext {
        tier: Some("or"),
        ..context()
    };
    let discounts = price(&lines, None, &PromotionBook::new(rules), &gold).expect("priced");
    // 20 % then 10 % of the 8 € left.
    assert_eq!(offs(&discounts), vec![280]);
}

#[test]
fn a_line_discounted_by_hand_takes_no_promotion() {
    let rules = vec![rule(
        "SOLDES",
        category("Soin"),
        Offer::PercentOff { basis_points: 5000 },
    )];
    let manual = ManualLine {
        adjustment: Adjustment::Discount {
            discount: Discount::Percent { basis_points: 1000 },
        },
        reason: "article abîmé".into(),
    };
    let mut lines = [line("G", "Soin", 1000, 2), line("H", "Soin", 1000, 1)];
    lines[0].manual = Some(&manual);
    let discounts = priced(&lines, rules);
    assert_eq!(offs(&discounts), vec![200, 500]);
    assert_eq!(discounts[0][0].source.kind(), "manual");
}

#[test]
fn a_basket_discount_is_spread_over_what_the_lines_still_cost() {
    let rules = vec![rule(
        "SOLDES",
        gtins(&["G"]),
        Offer::PercentOff { basis_points: 5000 },
    )];
    let lines = [line("G", "Soin", 1000, 1), line("H", "Soin", 1000, 1)];
    let basket = ManualBasket {
        discount: Discount::Amount {
            cents: Cents::new(301),
        },
        reason: "geste commercial".into(),
    };
    let discounts = price(
        &lines,
        Some(&basket),
        &PromotionBook::new(rules),
        &context(),
    )
    .expect("priced");
    // Nets 5 € and 10 €: 3,01 € spread 1,00 + 2,00, the remainder cent on the larger line.
    assert_eq!(offs(&discounts), vec![500 + 100, 201]);
    let too_much = ManualBasket {
        discount: Discount::Amount {
            cents: Cents::new(2001),
        },
        reason: "x".into(),
    };
    assert!(matches!(
        price(
            &lines,
            Some(&too_much),
            &PromotionBook::default(),
            &context()
        ),
        Err(DiscountError::MoreThanTheAmount { .. })
    ));
}

fn any_offer() -> impl Strategy<Value = Offer> {
    prop_oneof![
        (1_i64..=10_000).prop_map(|basis_points| Offer::PercentOff { basis_points }),
        (1_i64..5_000).prop_map(|c| Offer::AmountOff {
            cents: Cents::new(c)
        }),
        (1_i64..5_000).prop_map(|c| Offer::FixedPrice {
            cents: Cents::new(c)
        }),
        (2_i64..5, 1_i64..=10_000)
            .prop_map(|(nth, basis_points)| Offer::NthPercentOff { nth, basis_points }),
        (2_i64..5)
            .prop_flat_map(|buy| (Just(buy), 1..buy))
            .prop_map(|(buy, pay)| Offer::BuyPay { buy, pay }),
        (2_i64..5, 1_i64..10_000).prop_map(|(count, c)| Offer::Bundle {
            count,
            cents: Cents::new(c)
        }),
    ]
}

const CATEGORIES: [&str; 3] = ["Soin", "Maquillage", "Parfum"];
const GTINS: [&str; 5] = ["G0", "G1", "G2", "G3", "G4"];

proptest! {
    #[test]
    fn no_line_goes_below_zero_and_the_result_is_deterministic(
        raw_lines in proptest::collection::vec((0_usize..5, 0_usize..3, 0_i64..20_000, 1_i64..8), 1..12),
        raw_rules in proptest::collection::vec((0_usize..3, any::<bool>(), any_offer(), any::<bool>()), 0..8),
        basket_percent in proptest::option::of(1_i64..=10_000),
    ) {
        let lines: Vec<PricingLine<'_>> = raw_lines
            .iter()
            .map(|&(g, c, unit, q)| line(GTINS[g], CATEGORIES[c], unit, q))
            .collect();
        let rules: Vec<Promotion> = raw_rules
            .iter()
            .enumerate()
            .map(|(i, &(c, by_gtin, offer, stacks))| {
                let target = if by_gtin { gtins(&[GTINS[c]]) } else { category(CATEGORIES[c]) };
                let mut r = rule(&format!("R{i}"), target, offer);
                r.stacks = stacks && matches!(offer, Offer::PercentOff { .. } | Offer::AmountOff { .. });
                r
            })
            .collect();
        let basket = basket_percent.map(|bp| ManualBasket {
            discount: Discount::Percent { basis_points: bp },
            reason: "geste".into(),
        });
        let book = PromotionBook::new(rules.clone());
        let discounts = price(&lines, basket.as_ref(), &book, &context()).expect("priced");
        for (l, d) in lines.iter().zip(&discounts) {
            let off: i64 = d.iter().map(|x| x.amount.get()).sum();
            prop_assert!(d.iter().all(|x| x.amount.get() > 0));
            prop_assert!(off <= l.unit_price.get() * l.quantity, "line {:?} off {}", l, off);
        }
        let mut reversed = rules;
        reversed.reverse();
        let again = price(&lines, basket.as_ref(), &PromotionBook::new(reversed), &context())
            .expect("priced");
        prop_assert_eq!(discounts, again);
    }
}
