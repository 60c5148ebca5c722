//! Pricing a basket (issue 15): a 50-line basket of demo products against 5,000 running rules
//! of every kind, spread over the demo's categories, brands and products, as a chain in full
//! « soldes » would hold them. Each sample prices the whole basket from scratch, as the till
//! does after each scan.
//!
//! Run: `cargo bench --bench pricing`.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use comptoir::domain::demo;
use comptoir::domain::money::Cents;
use comptoir::domain::pricing::{PricingContext, PricingLine, PromotionBook, price};
use comptoir::domain::promotion::{Offer, Promotion, Target};

const RULES: usize = 5_000;
const LINES: u64 = 50;
const RUNS: usize = 2_000;

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").expect("date")
}

fn main() {
    let products: Vec<_> = (0..LINES).map(|i| demo::product(i * 7)).collect();
    let categories: Vec<String> = products.iter().map(|p| p.category.to_string()).collect();
    let brands: Vec<String> = products.iter().map(|p| p.brand.to_string()).collect();
    let rules: Vec<Promotion> = (0..RULES)
        .map(|i| {
            let target = match i % 3 {
                0 => Target {
                    categories: vec![categories[i % categories.len()].clone()],
                    ..Target::default()
                },
                1 => Target {
                    brands: vec![brands[i % brands.len()].clone()],
                    ..Target::default()
                },
                _ => Target {
                    gtins: vec![demo::product((i * 13) as u64).gtin.as_str().to_owned()],
                    ..Target::default()
                },
            };
            let offer = match i % 6 {
                0 => Offer::PercentOff {
                    basis_points: 500 + (i as i64 % 40) * 100,
                },
                1 => Offer::AmountOff {
                    cents: Cents::new(50 + i as i64 % 300),
                },
                2 => Offer::FixedPrice {
                    cents: Cents::new(500 + i as i64 % 1000),
                },
                3 => Offer::NthPercentOff {
                    nth: 2,
                    basis_points: 5000,
                },
                4 => Offer::BuyPay { buy: 3, pay: 2 },
                _ => Offer::Bundle {
                    count: 3,
                    cents: Cents::new(1500),
                },
            };
            Promotion {
                id: format!("R{i:05}"),
                name: format!("Règle {i}"),
                starts: at("2027-01-01T00:00"),
                ends: at("2027-02-01T00:00"),
                target,
                offer,
                tiers: Vec::new(),
                stores: Vec::new(),
                stacks: false,
            }
        })
        .collect();
    let book = PromotionBook::new(rules);
    let lines: Vec<PricingLine<'_>> = products
        .iter()
        .enumerate()
        .map(|(i, p)| PricingLine {
            gtin: p.gtin.as_str(),
            brand: &brands[i],
            category: &categories[i],
            unit_price: p.price,
            quantity: 1 + (i as i64 % 3),
            manual: None,
        })
        .collect();
    let context = PricingContext {
        local_now: at("2027-01-15T10:00"),
        store: "PAR-01",
        tier: None,
    };
    let mut samples: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut saved = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let discounts = price(&lines, None, &book, &context).expect("priced");
        samples.push(start.elapsed());
        saved = discounts
            .iter()
            .flatten()
            .map(|d| d.amount.get())
            .sum::<i64>();
    }
    samples.sort();
    let p = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e6;
    println!(
        "pricing {LINES} lines against {RULES} rules ({saved} cents saved): p50 {:.0} µs, p99 {:.0} µs",
        p(0.5),
        p(0.99)
    );
}
