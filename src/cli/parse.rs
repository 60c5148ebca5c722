//! `comptoir parse [--json] [--] RAW`: what a scan is, without touching the database.

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde::Serialize;

use super::output::print_json;
use super::{CommandContext, EXIT_NOT_FOUND};
use crate::domain::scan::{Scan, parse_scan};

/// The JSON contract of `comptoir parse --json`.
#[derive(Debug, Serialize)]
pub struct ParseOutput {
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    pub ais: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbology: Option<String>,
    pub raw: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_store: Option<InStoreOutput>,
}

#[derive(Debug, Serialize)]
pub struct InStoreOutput {
    pub item_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight_grams: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_cents: Option<i64>,
}

impl ParseOutput {
    pub fn of(scan: &Scan) -> ParseOutput {
        use crate::domain::in_store::Measure;
        use crate::domain::scan::ScanKind;
        let in_store = match &scan.kind {
            ScanKind::InStore(code) => Some(InStoreOutput {
                item_code: code.item_code.clone(),
                weight_grams: match code.measure {
                    Measure::WeightGrams(g) => Some(g),
                    Measure::PriceCents(_) => None,
                },
                price_cents: match code.measure {
                    Measure::PriceCents(c) => Some(c),
                    Measure::WeightGrams(_) => None,
                },
            }),
            _ => None,
        };
        ParseOutput {
            kind: scan.kind_name(),
            gtin: scan.gtin().map(|g| g.as_str().to_owned()),
            ais: scan.ais().into_iter().collect(),
            symbology: scan.symbology.as_ref().map(|s| s.aim().to_owned()),
            raw: scan.raw.clone(),
            error: scan.error().map(|e| e.to_string()),
            in_store,
        }
    }
}

pub fn run(context: &CommandContext, raw: &str, json: bool) -> anyhow::Result<ExitCode> {
    let scan = parse_scan(raw, &context.config.scan_config());
    let output = ParseOutput::of(&scan);
    if json {
        print_json(&output)?;
    } else {
        println!("kind: {}", output.kind);
        if let Some(symbology) = &output.symbology {
            println!("symbology: {symbology}");
        }
        if let Some(gtin) = &output.gtin {
            println!("gtin: {gtin}");
        }
        for (ai, value) in &output.ais {
            println!("({ai}) {value}");
        }
        if let Some(in_store) = &output.in_store {
            println!("in-store item code: {}", in_store.item_code);
            if let Some(grams) = in_store.weight_grams {
                println!("weight: {grams} g");
            }
            if let Some(cents) = in_store.price_cents {
                println!("price: {cents} cents");
            }
        }
        if let Some(error) = &output.error {
            println!("error: {error}");
        }
    }
    Ok(if scan.is_recognised() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_FOUND)
    })
}
