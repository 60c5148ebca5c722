//! `comptoir product [--json] CODE`: the product card for any scan text.

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde::Serialize;

use super::CommandContext;
use super::output::{money, print_json, rfc3339, vat_percent};
use crate::app::product_card::{ProductCard, ProductCardError, product_card};
use crate::domain::age::Age;
use crate::domain::catalog::{PriceUnit, StockLevel};

/// The JSON contract of `comptoir product --json`.
#[derive(Debug, Serialize)]
pub struct ProductOutput {
    pub gtin: String,
    pub name: String,
    pub brand: String,
    pub category: String,
    pub price_cents: i64,
    /// "each" or "kg" (the price is per kilogram for goods sold by weight).
    pub price_unit: &'static str,
    pub vat_rate: serde_json::Value,
    pub stock: StockOutput,
    pub scan_kind: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ais: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_grams: Option<i64>,
    /// The line amount a weighed or priced label gives, VAT included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount_cents: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct StockOutput {
    /// Units here (0 when this store has no record).
    pub here: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub here_as_of: Option<String>,
    /// Every other store and warehouse.
    pub others: Vec<LocationStockOutput>,
}

#[derive(Debug, Serialize)]
pub struct LocationStockOutput {
    pub location: String,
    pub name: String,
    pub kind: &'static str,
    pub qty: i64,
    pub as_of: String,
}

impl LocationStockOutput {
    fn of(level: &StockLevel) -> Self {
        LocationStockOutput {
            location: level.location_code.clone(),
            name: level.location_name.clone(),
            kind: level.kind.as_str(),
            qty: level.qty,
            as_of: rfc3339(level.as_of),
        }
    }
}

impl ProductOutput {
    pub fn of(card: &ProductCard) -> ProductOutput {
        let d = &card.details;
        ProductOutput {
            gtin: card.product.gtin.as_str().to_owned(),
            name: card.product.name.clone(),
            brand: card.product.brand.clone(),
            category: card.product.category.clone(),
            price_cents: card.product.price.get(),
            price_unit: card.product.price_unit.as_str(),
            vat_rate: vat_percent(card.product.vat_rate),
            stock: StockOutput {
                here: card.stock.qty_here(),
                here_as_of: card.stock.here.as_ref().map(|l| rfc3339(l.as_of)),
                others: card
                    .stock
                    .others
                    .iter()
                    .map(LocationStockOutput::of)
                    .collect(),
            },
            scan_kind: card.scan.kind_name(),
            ais: card.scan.ais().into_iter().collect(),
            expiry: d.expiry.map(|date| date.to_string()),
            expired: d.expiry.map(|_| d.expired),
            best_before: d.best_before.map(|date| date.to_string()),
            lot: d.lot.clone(),
            serial: d.serial.clone(),
            weight_grams: d.weight_grams,
            amount_cents: d.amount.map(|a| a.get()),
        }
    }
}

pub fn run(context: &CommandContext, code: &str, json: bool) -> anyhow::Result<ExitCode> {
    let store = context.open_store()?;
    let config = &context.config;
    let now = chrono::Utc::now();
    let card = match product_card(
        &store,
        code,
        &config.scan_config(),
        &config.store_code,
        now.date_naive(),
    ) {
        Ok(card) => card,
        Err(ProductCardError::Store(e)) => return Err(e.into()),
        Err(e) => return super::failure::refuse(json, e),
    };
    if json {
        print_json(&ProductOutput::of(&card))?;
        return Ok(ExitCode::SUCCESS);
    }
    let p = &card.product;
    let locale = config.locale.as_str();
    let per = if p.price_unit == PriceUnit::Kilogram {
        " / kg"
    } else {
        ""
    };
    println!("{}", p.name);
    println!("  {} · {} · GTIN {}", p.brand, p.category, p.gtin);
    println!(
        "  {}{per} incl. VAT ({})",
        money(p.price, locale),
        p.vat_rate.label_en()
    );
    let d = &card.details;
    if let Some(expiry) = d.expiry {
        let warning = if d.expired { "  EXPIRED" } else { "" };
        println!("  expiry {expiry}{warning}");
    }
    if let Some(lot) = &d.lot {
        println!("  lot {lot}");
    }
    if let Some(grams) = d.weight_grams {
        println!("  weight {grams} g");
    }
    if let Some(amount) = d.amount {
        println!("  amount {}", money(amount, locale));
    }
    let now = now.timestamp();
    match &card.stock.here {
        Some(here) => println!(
            "  stock here ({}): {} ({})",
            here.location_name,
            here.qty,
            Age::between(here.as_of, now).english()
        ),
        None => println!("  stock here: none recorded"),
    }
    for level in &card.stock.others {
        println!(
            "    {:<28} {:>5}  {}",
            level.location_name,
            level.qty,
            Age::between(level.as_of, now).english()
        );
    }
    Ok(ExitCode::SUCCESS)
}
