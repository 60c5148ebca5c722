//! The kiosk's search by name, typed on the on-screen keyboard: the staff search's use case
//! (`app::product_card::search_products`), shown as rows a customer reads — name, brand, price, in stock
//! here or not. A newer query makes older ones skip their work.

use slint::{ComponentHandle, ModelRc, VecModel};

use crate::ui::format;
use crate::ui::{KioskAdapter, KioskSearchRow, KioskWindow};

use super::session::KioskSession;

const RESULTS: usize = 30;

pub fn results(session: &KioskSession, query: &str) -> Vec<KioskSearchRow> {
    match crate::app::product_card::search_products(
        &session.store,
        query,
        RESULTS,
        &session.config.store_code,
    ) {
        Ok(hits) => hits
            .into_iter()
            .map(|hit| KioskSearchRow {
                gtin: hit.gtin.as_str().into(),
                name: hit.name.into(),
                brand: hit.brand.into(),
                price: format::money(hit.price, session.lang),
                in_stock_here: hit.stock_here > 0,
            })
            .collect(),
        Err(error) => {
            tracing::error!(%error, "kiosk search failed");
            Vec::new()
        }
    }
}

/// The rows for `query` and whether anything was searched (an empty query shows no result and
/// no « nothing found »).
pub fn found(session: &KioskSession, query: &str) -> (Vec<KioskSearchRow>, bool) {
    let searched = !query.trim().is_empty();
    let rows = if searched {
        results(session, query)
    } else {
        Vec::new()
    };
    (rows, searched)
}

pub fn apply(window: &KioskWindow, rows: Vec<KioskSearchRow>, searched: bool) {
    let a = window.global::<KioskAdapter>();
    a.set_results(ModelRc::new(VecModel::from(rows)));
    a.set_searched(searched);
}
