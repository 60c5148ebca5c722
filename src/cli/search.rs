//! `comptoir search [--json] [--limit N] QUERY`: products by name, best first.

use std::process::ExitCode;

use serde::Serialize;

use super::CommandContext;
use super::output::{money, print_json};

/// One element of the JSON array `comptoir search --json` prints.
#[derive(Debug, Serialize)]
pub struct SearchOutput {
    pub gtin: String,
    pub name: String,
    pub brand: String,
    pub price_cents: i64,
    pub price_unit: &'static str,
    pub stock_here: i64,
}

pub fn run(
    context: &CommandContext,
    query: &str,
    limit: usize,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let hits = store.search_products(query, limit, &context.config.store_code)?;
    if json {
        let output: Vec<SearchOutput> = hits
            .iter()
            .map(|hit| SearchOutput {
                gtin: hit.gtin.as_str().to_owned(),
                name: hit.name.clone(),
                brand: hit.brand.clone(),
                price_cents: hit.price.get(),
                price_unit: hit.price_unit.as_str(),
                stock_here: hit.stock_here,
            })
            .collect();
        print_json(&output)?;
    } else if hits.is_empty() {
        println!("no product matches {query:?}");
    } else {
        for hit in &hits {
            println!(
                "{}  {:<60} {:>12}  here: {}",
                hit.gtin,
                format!("{} ({})", hit.name, hit.brand),
                money(hit.price, &context.config.locale),
                hit.stock_here
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
