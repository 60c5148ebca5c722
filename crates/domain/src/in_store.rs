//! Variable-measure in-store codes: EAN-13 numbers with prefix 20–29, which GS1 leaves to each
//! retailer (restricted circulation numbers, GS1 General Specifications chapter 2).
//! A scale prints them with the item code and the weight or the price inside the number.
//!
//! Every retailer chooses its own layout (Odoo calls it a barcode nomenclature), so the
//! layouts are configuration ([`InStoreLayout`]), never code. [`default_layouts`] gives the
//! common French one.
//!
//! This module is pure: no I/O, and it must never panic on any input.

use serde::{Deserialize, Serialize};

use crate::gtin::Gtin;

/// Digits between the 2-digit prefix and the check digit of an EAN-13.
const PAYLOAD_DIGITS: u8 = 10;

/// What the value part of an in-store code measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasureKind {
    /// Net weight in grams.
    WeightGrams,
    /// Price in cents (euro cents for a French store).
    PriceCents,
}

/// One configured layout: `prefix` (2 digits) + item code (`item_digits`) + value
/// (`value_digits`) + check digit, with `item_digits + value_digits = 10`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct InStoreLayout {
    /// The first two digits of the EAN-13, "20" to "29".
    pub prefix: String,
    /// Length of the item code that follows the prefix.
    pub item_digits: u8,
    /// What the value measures.
    pub value: MeasureKind,
    /// Length of the value that follows the item code.
    pub value_digits: u8,
}

/// Why a configured layout cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// The prefix is not two digits from 20 to 29.
    #[error(
        "in-store layout prefix {prefix:?} must be two digits from 20 to 29 \
         (the GS1 range for in-store codes)"
    )]
    Prefix {
        /// The configured prefix.
        prefix: String,
    },
    /// The item code and the value do not fill the 10 digits between prefix and check digit.
    #[error(
        "in-store layout {prefix}: item digits ({item_digits}) + value digits ({value_digits}) \
         must make 10, each at least 1"
    )]
    Digits {
        /// The configured prefix.
        prefix: String,
        /// The configured item code length.
        item_digits: u8,
        /// The configured value length.
        value_digits: u8,
    },
}

impl InStoreLayout {
    /// Checks the layout against the EAN-13 structure; call it when loading configuration.
    pub fn validate(&self) -> Result<(), LayoutError> {
        let bytes = self.prefix.as_bytes();
        if !(bytes.len() == 2 && bytes[0] == b'2' && bytes[1].is_ascii_digit()) {
            return Err(LayoutError::Prefix {
                prefix: self.prefix.clone(),
            });
        }
        if self.item_digits == 0
            || self.value_digits == 0
            || u16::from(self.item_digits) + u16::from(self.value_digits)
                != u16::from(PAYLOAD_DIGITS)
        {
            return Err(LayoutError::Digits {
                prefix: self.prefix.clone(),
                item_digits: self.item_digits,
                value_digits: self.value_digits,
            });
        }
        Ok(())
    }
}

/// The common French layouts: prefixes 21 and 22 carry a weight in grams, 23 and 24 a price in
/// cents, each as 5-digit item code + 5-digit value. Prefix 20 is left out: French stores
/// commonly use it for fixed-price in-store articles, which are plain GTINs.
pub fn default_layouts() -> Vec<InStoreLayout> {
    [
        ("21", MeasureKind::WeightGrams),
        ("22", MeasureKind::WeightGrams),
        ("23", MeasureKind::PriceCents),
        ("24", MeasureKind::PriceCents),
    ]
    .into_iter()
    .map(|(prefix, value)| InStoreLayout {
        prefix: prefix.to_owned(),
        item_digits: 5,
        value,
        value_digits: 5,
    })
    .collect()
}

/// The measure carried by an in-store code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Measure {
    /// Net weight in grams.
    WeightGrams(i64),
    /// Price in cents.
    PriceCents(i64),
}

/// A decoded in-store code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InStoreCode {
    /// The EAN-13 as scanned (check digit verified).
    pub gtin: Gtin,
    /// The layout prefix, e.g. "21".
    pub prefix: String,
    /// The item code, e.g. "12345", to look up in the catalogue.
    pub item_code: String,
    /// The weight or price printed by the scale.
    pub measure: Measure,
}

/// Decodes `gtin` with the first valid layout whose prefix it carries. Returns `None` for a
/// GTIN that is not an EAN-13 or whose prefix has no layout: it is then a plain GTIN.
/// Invalid layouts are skipped (configuration loading reports them).
pub fn parse_in_store(gtin: &Gtin, layouts: &[InStoreLayout]) -> Option<InStoreCode> {
    let ean13 = gtin.as_ean13()?;
    let layout = layouts
        .iter()
        .find(|layout| layout.validate().is_ok() && ean13.starts_with(layout.prefix.as_str()))?;
    let item_end = 2 + usize::from(layout.item_digits);
    let value_end = item_end + usize::from(layout.value_digits);
    // The GTIN holds ASCII digits only, so these slices are on character boundaries.
    let item_code = ean13.get(2..item_end)?;
    let value: i64 = ean13.get(item_end..value_end)?.parse().ok()?;
    let measure = match layout.value {
        MeasureKind::WeightGrams => Measure::WeightGrams(value),
        MeasureKind::PriceCents => Measure::PriceCents(value),
    };
    Some(InStoreCode {
        gtin: *gtin,
        prefix: layout.prefix.clone(),
        item_code: item_code.to_owned(),
        measure,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_layout_cases() {
        let layouts = default_layouts();
        type Decoded = (&'static str, &'static str, Measure);
        let cases: &[(&str, Option<Decoded>)] = &[
            (
                "2112345015002",
                Some(("21", "12345", Measure::WeightGrams(1500))),
            ),
            (
                "2112345678900",
                Some(("21", "12345", Measure::WeightGrams(67890))),
            ),
            (
                "2200042002507",
                Some(("22", "00042", Measure::WeightGrams(250))),
            ),
            (
                "2300042012992",
                Some(("23", "00042", Measure::PriceCents(1299))),
            ),
            (
                "2400007000054",
                Some(("24", "00007", Measure::PriceCents(5))),
            ),
            // Prefix 20 and ordinary GTINs have no layout.
            ("2012345015005", None),
            ("4006381333931", None),
            ("02345673", None),
        ];
        for (code, expected) in cases {
            let gtin = Gtin::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
            let got = parse_in_store(&gtin, &layouts);
            let got = got
                .as_ref()
                .map(|c| (c.prefix.as_str(), c.item_code.as_str(), c.measure));
            assert_eq!(got, *expected, "code {code}");
        }
    }

    #[test]
    fn configured_layouts() {
        let layouts = vec![
            InStoreLayout {
                prefix: "26".to_owned(),
                item_digits: 6,
                value: MeasureKind::PriceCents,
                value_digits: 4,
            },
            // Invalid: skipped.
            InStoreLayout {
                prefix: "21".to_owned(),
                item_digits: 6,
                value: MeasureKind::WeightGrams,
                value_digits: 5,
            },
        ];
        let gtin = Gtin::parse("2612345612343").unwrap();
        let code = parse_in_store(&gtin, &layouts).unwrap();
        assert_eq!(code.item_code, "123456");
        assert_eq!(code.measure, Measure::PriceCents(1234));
        assert_eq!(code.gtin, gtin);
        let weighed = Gtin::parse("2112345015002").unwrap();
        assert_eq!(parse_in_store(&weighed, &layouts), None);
    }

    #[test]
    fn layout_validation() {
        let layout = |prefix: &str, item_digits, value_digits| InStoreLayout {
            prefix: prefix.to_owned(),
            item_digits,
            value: MeasureKind::WeightGrams,
            value_digits,
        };
        let cases: &[(InStoreLayout, Result<(), &str>)] = &[
            (layout("21", 5, 5), Ok(())),
            (layout("29", 1, 9), Ok(())),
            (
                layout("30", 5, 5),
                Err(
                    "in-store layout prefix \"30\" must be two digits from 20 to 29 (the GS1 range for in-store codes)",
                ),
            ),
            (
                layout("2", 5, 5),
                Err(
                    "in-store layout prefix \"2\" must be two digits from 20 to 29 (the GS1 range for in-store codes)",
                ),
            ),
            (
                layout("2é", 5, 5),
                Err(
                    "in-store layout prefix \"2é\" must be two digits from 20 to 29 (the GS1 range for in-store codes)",
                ),
            ),
            (
                layout("21", 5, 4),
                Err(
                    "in-store layout 21: item digits (5) + value digits (4) must make 10, each at least 1",
                ),
            ),
            (
                layout("21", 0, 10),
                Err(
                    "in-store layout 21: item digits (0) + value digits (10) must make 10, each at least 1",
                ),
            ),
            (
                layout("21", 255, 11),
                Err(
                    "in-store layout 21: item digits (255) + value digits (11) must make 10, each at least 1",
                ),
            ),
        ];
        for (layout, expected) in cases {
            assert_eq!(
                layout.validate().map_err(|e| e.to_string()),
                expected.map_err(str::to_owned),
                "{layout:?}"
            );
        }
        assert!(default_layouts().iter().all(|l| l.validate().is_ok()));
    }

    #[test]
    fn serde_names() {
        let value =
            serde::de::value::StrDeserializer::<serde::de::value::Error>::new("price_cents");
        assert_eq!(MeasureKind::deserialize(value), Ok(MeasureKind::PriceCents));
    }
}
