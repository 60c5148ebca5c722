//! Scan → product card: parse whatever the scanner or camera read, find the product (by GTIN, or
//! by the item code of a variable-measure label), read its stock everywhere, and keep what the
//! code itself carried (expiry, lot, serial, weight, price). This runs on every scan: it does two
//! primary-key lookups and loads nothing else.

use chrono::NaiveDate;

use crate::domain::catalog::{PriceUnit, Product, StockView};
use crate::domain::gtin::Gtin;
use crate::domain::in_store::Measure;
use crate::domain::money::{Cents, price_for_weight};
use crate::domain::scan::{Scan, ScanConfig, ScanKind, parse_scan};
use crate::store::{Store, StoreError};

/// What a scan carried besides the product's identity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanDetails {
    pub expiry: Option<NaiveDate>,
    /// True when the expiry date is before today: the till warns (GS1 "Sunrise 2027").
    pub expired: bool,
    pub best_before: Option<NaiveDate>,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub weight_grams: Option<i64>,
    /// The line amount a weighed or priced label gives, VAT included.
    pub amount: Option<Cents>,
}

/// Everything the product page and `comptoir product` show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductCard {
    pub scan: Scan,
    pub product: Product,
    pub stock: StockView,
    pub details: ScanDetails,
}

#[derive(Debug, thiserror::Error)]
pub enum ProductCardError {
    #[error("{0}")]
    Unreadable(String),
    #[error("this code is a {kind} code, not a product")]
    NotAProduct { kind: &'static str },
    #[error("no product with GTIN {gtin} in the catalogue")]
    UnknownGtin { gtin: Gtin },
    #[error("no product sold by weight or price has the in-store item code {item_code}")]
    UnknownItemCode { item_code: String },
    #[error("cannot price this label: {0}")]
    Pricing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The product card for `raw` scan text. `here` is this store's location code; `today` decides
/// whether an expiry date has passed.
pub fn product_card(
    store: &Store,
    raw: &str,
    config: &ScanConfig,
    here: &str,
    today: NaiveDate,
) -> Result<ProductCard, ProductCardError> {
    let scan = parse_scan(raw, config);
    card_for_scan(store, scan, here, today)
}

/// The product card for an already parsed scan.
pub fn card_for_scan(
    store: &Store,
    scan: Scan,
    here: &str,
    today: NaiveDate,
) -> Result<ProductCard, ProductCardError> {
    let product = match &scan.kind {
        ScanKind::Invalid(error) => return Err(ProductCardError::Unreadable(error.to_string())),
        ScanKind::Unknown => {
            return Err(ProductCardError::Unreadable(
                "this code is not a product code Comptoir knows".to_owned(),
            ));
        }
        ScanKind::Loyalty { .. } | ScanKind::Pickup { .. } => {
            return Err(ProductCardError::NotAProduct {
                kind: scan.kind_name(),
            });
        }
        ScanKind::InStore(code) => store
            .product_by_in_store_item(&code.item_code)?
            .ok_or_else(|| ProductCardError::UnknownItemCode {
                item_code: code.item_code.clone(),
            })?,
        ScanKind::Gtin(_) | ScanKind::Gs1(_) | ScanKind::DigitalLink(_) => {
            let Some(gtin) = scan.gtin() else {
                return Err(ProductCardError::Unreadable(
                    "this GS1 code carries no GTIN (AI 01)".to_owned(),
                ));
            };
            store
                .product(&gtin)?
                .ok_or(ProductCardError::UnknownGtin { gtin })?
        }
    };
    let stock = StockView::from_levels(store.stock_levels(&product.gtin)?, here);
    let details = details_of(&scan, &product, today)?;
    Ok(ProductCard {
        scan,
        product,
        stock,
        details,
    })
}

fn details_of(
    scan: &Scan,
    product: &Product,
    today: NaiveDate,
) -> Result<ScanDetails, ProductCardError> {
    let mut details = ScanDetails::default();
    if let Some(elements) = scan.element_string() {
        details.expiry = elements.expiry();
        details.best_before = elements.best_before();
        details.lot = elements.lot().map(str::to_owned);
        details.serial = elements.serial().map(str::to_owned);
        details.weight_grams = elements.net_weight_grams();
        details.amount = elements.price_cents().map(Cents::new);
    }
    if let ScanKind::InStore(code) = &scan.kind {
        match code.measure {
            Measure::WeightGrams(grams) => details.weight_grams = Some(grams),
            Measure::PriceCents(cents) => details.amount = Some(Cents::new(cents)),
        }
    }
    if details.amount.is_none()
        && product.price_unit == PriceUnit::Kilogram
        && let Some(grams) = details.weight_grams
    {
        let amount = price_for_weight(product.price, grams)
            .map_err(|e| ProductCardError::Pricing(e.to_string()))?;
        details.amount = Some(amount);
    }
    details.expired = details.expiry.is_some_and(|date| date < today);
    Ok(details)
}

/// The products whose name or brand match `query`, best first, with their stock here.
pub fn search_products(
    store: &Store,
    query: &str,
    limit: usize,
    here: &str,
) -> Result<Vec<crate::domain::catalog::SearchHit>, StoreError> {
    store.search_products(query, limit, here)
}
