//! What the catalogue knows of a product and of its stock, as plain values. The store fills them,
//! the app and the UI read them; nothing here does I/O.

use crate::gtin::Gtin;
use crate::money::Cents;
use crate::vat::VatRate;

/// How a product is priced: per item, or per kilogram (weighed at the counter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriceUnit {
    Each,
    Kilogram,
}

impl PriceUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceUnit::Each => "each",
            PriceUnit::Kilogram => "kg",
        }
    }

    pub fn parse(text: &str) -> Option<PriceUnit> {
        match text {
            "each" => Some(PriceUnit::Each),
            "kg" => Some(PriceUnit::Kilogram),
            _ => None,
        }
    }
}

/// A product as sold here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    pub gtin: Gtin,
    pub name: String,
    pub brand: String,
    pub category: String,
    /// Shelf price including VAT, per item or per kg (see `price_unit`).
    pub price: Cents,
    pub vat_rate: VatRate,
    pub price_unit: PriceUnit,
}

/// Whether a location sells to customers or only holds stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocationKind {
    Store,
    Warehouse,
}

impl LocationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LocationKind::Store => "store",
            LocationKind::Warehouse => "warehouse",
        }
    }

    pub fn parse(text: &str) -> Option<LocationKind> {
        match text {
            "store" => Some(LocationKind::Store),
            "warehouse" => Some(LocationKind::Warehouse),
            _ => None,
        }
    }
}

/// The last stock level known at one location, and when it was known (Unix seconds, UTC).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StockLevel {
    pub location_code: String,
    pub location_name: String,
    pub kind: LocationKind,
    pub qty: i64,
    pub as_of: i64,
}

/// A product's stock: here, and at every other store and warehouse of the chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StockView {
    pub here: Option<StockLevel>,
    pub others: Vec<StockLevel>,
}

impl StockView {
    /// Splits levels into this location's and the others', keeping the others' order.
    pub fn from_levels(levels: Vec<StockLevel>, here_code: &str) -> StockView {
        let mut view = StockView::default();
        for level in levels {
            if level.location_code == here_code && view.here.is_none() {
                view.here = Some(level);
            } else {
                view.others.push(level);
            }
        }
        view
    }

    /// Units on hand here (0 when this location has no record of the product).
    pub fn qty_here(&self) -> i64 {
        self.here.as_ref().map_or(0, |l| l.qty)
    }
}

/// One line of a name search: what a list of results shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchHit {
    pub gtin: Gtin,
    pub name: String,
    pub brand: String,
    pub price: Cents,
    pub price_unit: PriceUnit,
    pub stock_here: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(code: &str, qty: i64) -> StockLevel {
        StockLevel {
            location_code: code.into(),
            location_name: code.into(),
            kind: LocationKind::Store,
            qty,
            as_of: 0,
        }
    }

    #[test]
    fn here_is_split_from_the_others() {
        let view = StockView::from_levels(vec![level("A", 1), level("B", 2), level("C", 3)], "B");
        assert_eq!(view.qty_here(), 2);
        assert_eq!(view.others.len(), 2);
        assert_eq!(view.others[0].location_code, "A");
    }

    #[test]
    fn no_record_here_means_zero_here() {
        let view = StockView::from_levels(vec![level("A", 1)], "Z");
        assert_eq!(view.qty_here(), 0);
        assert!(view.here.is_none());
    }
}
