use super::*;
use crate::discount::{Adjustment, Discount};
use crate::promotion::Target;
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

/// The straightforward engine the indexed one must agree with, for the promotions: every rule
/// checked against every line, every rule re-evaluated at each round, units taken one by one.
fn reference(
    lines: &[PricingLine<'_>],
    rules: &[Promotion],
    context: &PricingContext<'_>,
) -> Vec<Vec<LineDiscount>> {
    let mut rules = rules.to_vec();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    let mut discounts: Vec<Vec<LineDiscount>> = vec![Vec::new(); lines.len()];
    for (line, out) in lines.iter().zip(discounts.iter_mut()) {
        if let Some(manual) = line.manual {
            let gross = line.unit_price.get() * line.quantity;
            let off = manual
                .adjustment
                .off(Cents::new(gross), line.unit_price, line.quantity)
                .expect("a manual discount within the line");
            push(out, manual_source(&manual.reason), off);
        }
    }
    let targets = |rule: &Promotion, line: &PricingLine<'_>| {
        let t = &rule.target;
        line.manual.is_none()
            && line.quantity > 0
            && (t.gtins.iter().any(|g| g == line.gtin)
                || t.brands.iter().any(|b| b == line.brand)
                || t.categories.iter().any(|c| c == line.category))
    };
    let running: Vec<(&Promotion, Vec<usize>)> = rules
        .iter()
        .filter(|r| r.runs(context.local_now, context.store) && r.open_to(context.tier))
        .map(|r| {
            let on = (0..lines.len())
                .filter(|&i| targets(r, &lines[i]))
                .collect();
            (r, on)
        })
        .collect();
    let mut free: Vec<i64> = lines.iter().map(|l| l.quantity).collect();
    let mut used = vec![false; running.len()];
    loop {
        // (rule, saving, claims) of the best rule so far.
        let mut best: Option<(usize, i64, Claims)> = None;
        for (at, (rule, on)) in running.iter().enumerate() {
            if used[at] || rule.stacks {
                continue;
            }
            let claims = reference_claims(rule.offer, lines, on, &free);
            let saving: i64 = claims.iter().map(|c| c.1).sum();
            if saving > 0 && best.as_ref().is_none_or(|b| saving > b.1) {
                best = Some((at, saving, claims));
            }
        }
        let Some((at, _, claims)) = best else {
            break;
        };
        used[at] = true;
        for (line, saving, units) in claims {
            free[line] -= units;
            push(
                &mut discounts[line],
                promotion_source(running[at].0),
                Cents::new(saving),
            );
        }
    }
    for (rule, on) in running.iter().filter(|(r, _)| r.stacks) {
        for &line in on {
            let taken: i64 = discounts[line].iter().map(|d| d.amount.get()).sum();
            let remaining = lines[line].unit_price.get() * lines[line].quantity - taken;
            let off = match rule.offer {
                Offer::PercentOff { basis_points } => {
                    mul_ratio_round_half_up(remaining, basis_points, FULL_PERCENT).expect("fits")
                }
                Offer::AmountOff { cents } => cents.get() * lines[line].quantity,
                _ => 0,
            };
            push(
                &mut discounts[line],
                promotion_source(rule),
                Cents::new(off.clamp(0, remaining)),
            );
        }
    }
    discounts
}

/// (line, saving, units claimed) for each line a rule claims units of.
type Claims = Vec<(usize, i64, i64)>;

/// What `offer` does on the free units of lines `on`, unit by unit: (line, saving, units
/// claimed) for each line it claims units of, in line order.
fn reference_claims(offer: Offer, lines: &[PricingLine<'_>], on: &[usize], free: &[i64]) -> Claims {
    let percent = |unit: i64, bp: i64| mul_ratio_round_half_up(unit, bp, FULL_PERCENT).unwrap();
    let mut claims: Claims = Vec::new();
    let mut claim =
        |line: usize, saving: i64, units: i64| match claims.iter_mut().find(|c| c.0 == line) {
            Some(c) => {
                c.1 += saving;
                c.2 += units;
            }
            None => claims.push((line, saving, units)),
        };
    // Every free unit, dearest first (ties: line order).
    let mut units: Vec<(usize, i64)> = on
        .iter()
        .flat_map(|&l| (0..free[l].max(0)).map(move |_| l))
        .map(|l| (l, lines[l].unit_price.get()))
        .collect();
    units.sort_by_key(|&(l, price)| (std::cmp::Reverse(price), l));
    // Group size, discounted units at the end of each group, saving on one of them.
    type Grouping = (i64, i64, Box<dyn Fn(i64) -> i64>);
    let (size, discounted, unit_saving): Grouping = match offer {
        Offer::PercentOff { basis_points } => (1, 0, Box::new(move |u| percent(u, basis_points))),
        Offer::AmountOff { cents } => (1, 0, Box::new(move |u: i64| cents.get().min(u))),
        Offer::FixedPrice { cents } => (1, 0, Box::new(move |u: i64| (u - cents.get()).max(0))),
        Offer::NthPercentOff { nth, basis_points } => {
            (nth, 1, Box::new(move |u| percent(u, basis_points)))
        }
        Offer::BuyPay { buy, pay } => (buy, buy - pay, Box::new(|u| u)),
        Offer::Bundle { count, .. } => (count, 0, Box::new(|_| 0)),
    };
    for group in units.chunks_exact(size as usize) {
        match offer {
            Offer::PercentOff { .. } | Offer::AmountOff { .. } | Offer::FixedPrice { .. } => {
                let (line, price) = group[0];
                if unit_saving(price) > 0 {
                    claim(line, unit_saving(price), 1);
                }
            }
            Offer::Bundle { cents, .. } => {
                let total: i64 = group.iter().map(|u| u.1).sum();
                if total - cents.get() <= 0 {
                    continue;
                }
                // The group's lines, in the order they come, with what their units cost.
                let mut members: Vec<(usize, i64, i64)> = Vec::new();
                for &(line, price) in group {
                    match members.last_mut() {
                        Some(m) if m.0 == line => m.2 += 1,
                        _ => members.push((line, price, 1)),
                    }
                }
                let amounts: Vec<Cents> = members.iter().map(|m| Cents::new(m.1 * m.2)).collect();
                let shares = spread(Cents::new(total - cents.get()), &amounts).unwrap();
                for (m, share) in members.iter().zip(shares) {
                    claim(m.0, share.get(), m.2);
                }
            }
            _ => {
                for (position, &(line, price)) in group.iter().enumerate() {
                    let off = position as i64 >= size - discounted;
                    claim(line, if off { unit_saving(price) } else { 0 }, 1);
                }
            }
        }
    }
    claims.sort_unstable();
    claims
}

proptest! {
    /// Issue 15's figure was reached by indexing the rules, re-evaluating only the rules a
    /// choice can change and reusing buffers: none of it may change a single cent.
    #[test]
    fn the_engine_agrees_with_the_straightforward_reference(
        raw_lines in proptest::collection::vec(
            (0_usize..5, 0_usize..2, 0_usize..3,
             prop_oneof![0_i64..20_000, Just(1000_i64), Just(500_i64)], 0_i64..8, any::<bool>()),
            1..14),
        raw_rules in proptest::collection::vec(
            (0_usize..5, 0_usize..4, any_offer(), any::<bool>(), 0_u8..8, 0_u8..20),
            0..14),
        tier in proptest::option::of(Just("or")),
    ) {
        let manual = ManualLine {
            adjustment: Adjustment::Discount {
                discount: Discount::Percent { basis_points: 1000 },
            },
            reason: "article abîmé".into(),
        };
        const BRANDS: [&str; 2] = ["Marque", "Autre"];
        let lines: Vec<PricingLine<'_>> = raw_lines
            .iter()
            .map(|&(g, b, c, unit, q, by_hand)| PricingLine {
                brand: BRANDS[b],
                manual: (by_hand && q % 3 == 0).then_some(&manual),
                ..line(GTINS[g], CATEGORIES[c], unit, q)
            })
            .collect();
        let rules: Vec<Promotion> = raw_rules
            .iter()
            .map(|&(key, kind, offer, stacks, flags, id)| {
                let target = match kind {
                    0 => gtins(&[GTINS[key]]),
                    1 => category(CATEGORIES[key % 3]),
                    2 => Target { brands: vec![BRANDS[key % 2].into()], ..Target::default() },
                    // Several lists, overlapping: a line matches twice and counts once.
                    _ => Target {
                        gtins: vec![GTINS[key].into()],
                        categories: vec![CATEGORIES[key % 3].into()],
                        ..Target::default()
                    },
                };
                // Ids may repeat: equal ids keep the book's order.
                let mut r = rule(&format!("R{id:02}"), target, offer);
                r.stacks = stacks && matches!(offer, Offer::PercentOff { .. } | Offer::AmountOff { .. });
                if flags & 1 != 0 {
                    r.tiers = vec!["or".into()];
                }
                if flags & 2 != 0 {
                    r.stores = vec![if flags & 4 != 0 { "PAR-01" } else { "LYO-01" }.into()];
                }
                if flags == 7 {
                    r.starts = at("2027-01-16T00:00");
                }
                r
            })
            .collect();
        let context = PricingContext { tier, ..context() };
        let discounts = price(&lines, None, &PromotionBook::new(rules.clone()), &context)
            .expect("priced");
        prop_assert_eq!(discounts, reference(&lines, &rules, &context));
    }
}

#[test]
fn a_rule_naming_a_gtin_13_applies_to_the_line_of_its_14_digits() {
    let rules = vec![rule(
        "EAN13",
        gtins(&["3760000000017"]),
        Offer::AmountOff {
            cents: Cents::new(100),
        },
    )];
    let lines = [line("03760000000017", "Soin", 1000, 1)];
    assert_eq!(offs(&priced(&lines, rules)), vec![100]);
}
