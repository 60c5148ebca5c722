//! The kiosk's product page: a product card (the same use case as the staff page) turned into
//! what a customer reads — name, brand, price, in stock here or not, and where else it is.

use slint::{ComponentHandle, ModelRc, VecModel};

use crate::app::product_card::{ProductCard, ProductCardError, product_card};
use crate::domain::catalog::{LocationKind, PriceUnit};
use crate::ui::format;
use crate::ui::format::Lang;
use crate::ui::session::now;
use crate::ui::{
    KioskAdapter, KioskPage, KioskProblem, KioskProduct, KioskReserveProblem, KioskStockRow,
    KioskWindow,
};

use super::session::KioskSession;

/// Everything the product page shows, built off the UI thread.
pub struct ProductView {
    gtin: String,
    pub(super) product: KioskProduct,
    pub(super) elsewhere: Vec<KioskStockRow>,
    /// A customer is identified: « Réserver » in the other stores that have it.
    can_reserve: bool,
    /// Another store has it.
    in_another_store: bool,
}

/// Looks `raw` up; a problem is said in the customer's words on the home screen.
pub fn look_up(session: &KioskSession, raw: &str) -> Result<ProductView, KioskProblem> {
    let config = &session.config;
    let today = chrono::Utc::now().date_naive();
    match product_card(
        &session.store,
        raw,
        &config.scan_config(),
        &config.store_code,
        today,
    ) {
        Ok(card) => {
            let mut view = view(&card, session.lang);
            view.can_reserve = session.customer.is_some();
            Ok(view)
        }
        Err(error) => Err(match &error {
            ProductCardError::Unreadable(_) => KioskProblem::Unreadable,
            ProductCardError::UnknownGtin { .. } | ProductCardError::UnknownItemCode { .. } => {
                KioskProblem::UnknownProduct
            }
            ProductCardError::NotAProduct { .. } => KioskProblem::NotAProduct,
            ProductCardError::Pricing(_) | ProductCardError::Store(_) => {
                tracing::error!(%error, "kiosk product lookup failed");
                KioskProblem::Failed
            }
        }),
    }
}

pub fn view(card: &ProductCard, lang: Lang) -> ProductView {
    let now = now();
    let p = &card.product;
    // A customer asks "where can I get it": places that have none are noise to them.
    let having = || card.stock.others.iter().filter(|level| level.qty > 0);
    let in_another_store = having().any(|level| level.kind == LocationKind::Store);
    let elsewhere = having()
        .map(|level| KioskStockRow {
            code: level.location_code.as_str().into(),
            location: level.location_name.as_str().into(),
            warehouse: level.kind == LocationKind::Warehouse,
            qty: qty(level.qty),
            age: format::age(level.as_of, now),
        })
        .collect();
    ProductView {
        gtin: p.gtin.as_str().to_owned(),
        product: KioskProduct {
            name: p.name.as_str().into(),
            brand: p.brand.as_str().into(),
            price: format::money(p.price, lang),
            per_kg: p.price_unit == PriceUnit::Kilogram,
            stock_here: qty(card.stock.qty_here()),
            stock_here_age: card
                .stock
                .here
                .as_ref()
                .map_or_else(format::never, |l| format::age(l.as_of, now)),
        },
        elsewhere,
        can_reserve: false,
        in_another_store,
    }
}

impl ProductView {
    pub fn gtin(&self) -> &str {
        &self.gtin
    }
}

fn qty(value: i64) -> i32 {
    i32::try_from(value.max(0)).unwrap_or(i32::MAX)
}

/// Shows the product page; `from_search` offers the way back to the results.
pub fn apply(window: &KioskWindow, view: ProductView, from_search: bool) {
    let a = window.global::<KioskAdapter>();
    a.set_product(view.product);
    a.set_elsewhere(ModelRc::new(VecModel::from(view.elsewhere)));
    a.set_from_search(from_search);
    a.set_can_reserve(view.can_reserve);
    a.set_reserve_hint(!view.can_reserve && view.in_another_store);
    a.set_reserved_number("".into());
    a.set_reserved_store("".into());
    a.set_reserve_problem(KioskReserveProblem::None);
    a.set_problem(KioskProblem::None);
    a.set_page(KioskPage::Product);
}

/// Refreshes the product page in place (fresh network stock), without changing the page.
pub fn refresh(window: &KioskWindow, view: ProductView) {
    let a = window.global::<KioskAdapter>();
    if a.get_page() == KioskPage::Product && a.get_product().name == view.product.name {
        a.set_product(view.product);
        a.set_elsewhere(ModelRc::new(VecModel::from(view.elsewhere)));
    }
}

/// A code that showed nothing: the home screen says why.
pub fn apply_problem(window: &KioskWindow, problem: KioskProblem) {
    let a = window.global::<KioskAdapter>();
    a.set_problem(problem);
    a.set_page(KioskPage::Home);
}
