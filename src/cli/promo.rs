//! `comptoir promo list [--json]`: the head office's promotion rules this terminal holds (pulled
//! by `comptoir sync`, or the demo store's), and whether each is active now, here: its dates
//! compared with the store's wall-clock time (Europe/Paris) and its stores with this terminal's
//! `store_code`, as the till applies them.

use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDateTime;
use serde::Serialize;

use super::CommandContext;
use super::output::print_json;
use crate::domain::promotion::{Offer, Promotion, store_time};

/// One rule as `promo list --json` prints it.
#[derive(Debug, PartialEq, Eq, Serialize)]
struct PromoOutput {
    id: String,
    name: String,
    /// Store time, e.g. `2026-01-01T00:00:00`.
    starts: NaiveDateTime,
    ends: NaiveDateTime,
    /// The rule's offer as the central sent it (`{"kind": "buy_pay", "buy": 3, "pay": 2}`).
    offer: Offer,
    /// Whether the till applies it now in this store.
    active: bool,
}

fn listing(rules: Vec<Promotion>, local_now: NaiveDateTime, store: &str) -> Vec<PromoOutput> {
    rules
        .into_iter()
        .map(|rule| PromoOutput {
            active: rule.runs(local_now, store),
            id: rule.id,
            name: rule.name,
            starts: rule.starts,
            ends: rule.ends,
            offer: rule.offer,
        })
        .collect()
}

pub fn list(context: &CommandContext, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let now = chrono::Utc::now().timestamp();
    let local_now = store_time(now).context("the clock is out of range")?;
    let store_code = &context.config.store_code;
    let rules = listing(store.promotions()?, local_now, store_code);
    if json {
        print_json(&rules)?;
        return Ok(ExitCode::SUCCESS);
    }
    let active = rules.iter().filter(|r| r.active).count();
    println!(
        "{} promotion(s) held, {active} active now in store {store_code} ({} Paris time)",
        rules.len(),
        local_now.format("%Y-%m-%d %H:%M")
    );
    for r in &rules {
        println!(
            "{:<8}  {}  {}  {} → {}  {}",
            if r.active { "active" } else { "inactive" },
            r.id,
            r.name,
            r.starts.format("%Y-%m-%d %H:%M"),
            r.ends.format("%Y-%m-%d %H:%M"),
            r.offer.kind_name()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M").expect("date")
    }

    #[test]
    fn a_rule_is_active_between_its_dates_in_its_stores_only() {
        let rule: Promotion = serde_json::from_value(serde_json::json!({
            "id": "LYON", "name": "Ouverture Lyon",
            "starts": "2027-01-13T08:00:00", "ends": "2027-02-10T00:00:00",
            "target": {"brands": ["Trekko"]}, "stores": ["LYO-01"],
            "offer": {"kind": "buy_pay", "buy": 3, "pay": 2}
        }))
        .expect("a rule");
        let cases = [
            ("2027-01-13T07:59", "LYO-01", false),
            ("2027-01-13T08:00", "LYO-01", true),
            ("2027-01-20T12:00", "PAR-01", false),
            ("2027-02-10T00:00", "LYO-01", false),
        ];
        for (now, store, active) in cases {
            let listed = listing(vec![rule.clone()], at(now), store);
            assert_eq!(listed[0].active, active, "{now} in {store}");
        }
        let json = serde_json::to_value(listing(vec![rule], at("2027-01-20T12:00"), "LYO-01"))
            .expect("json");
        assert_eq!(
            json,
            serde_json::json!([{
                "id": "LYON", "name": "Ouverture Lyon",
                "starts": "2027-01-13T08:00:00", "ends": "2027-02-10T00:00:00",
                "offer": {"kind": "buy_pay", "buy": 3, "pay": 2}, "active": true
            }])
        );
    }
}
