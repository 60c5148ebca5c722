//! Fresh network stock for the product on show, fetched on demand when the terminal is enrolled:
//! the request runs on its own short-lived thread (never the UI thread, never the app worker),
//! the answer is cached in the stock table with the central's time, and the product page is
//! refreshed if it still shows that product. Offline, the page keeps the cached levels and their
//! age. The kiosk's product page uses the same request ([`fetch_then`]).

use std::path::PathBuf;
use std::thread;

use crate::store::Store;
use crate::sync::engine::client_for;

use crate::domain::catalog::StockView;

use super::worker::Worker;
use super::{AppAdapter, AppWindow, Page, product};
use slint::ComponentHandle;

/// Asks the central for `gtin`'s stock everywhere, then refreshes the product page.
pub fn refresh(weak: slint::Weak<AppWindow>, worker: Worker, db_path: PathBuf, gtin: String) {
    let wanted = gtin.clone();
    fetch_then(db_path, wanted, move || {
        worker.run(move |session| {
            let here = session.config.store_code.clone();
            let here_name = session
                .store
                .location_name(&here)
                .ok()
                .flatten()
                .unwrap_or_else(|| here.clone());
            let Some(card) = session.product.as_mut() else {
                return;
            };
            if card.product.gtin.as_str() != gtin {
                return;
            }
            // Only the stock changes: what the scan carried (expiry, lot, weight) stays.
            match session.store.stock_levels(&card.product.gtin) {
                Ok(levels) => card.stock = StockView::from_levels(levels, &here),
                Err(error) => {
                    tracing::warn!(%error, "cannot read the refreshed stock");
                    return;
                }
            }
            let view = product::view(card, &here_name, session.lang);
            let _ = weak.upgrade_in_event_loop(move |window| {
                // The staff may have moved on: refresh the page, never bring it back.
                if window.global::<AppAdapter>().get_page() == Page::Product {
                    product::apply(&window, view);
                }
            });
        });
    });
}

/// Asks the central for `gtin`'s stock everywhere on a short-lived thread of its own (never the
/// UI thread, never an app worker), caches the answer, then calls `then` (on that thread). Not
/// enrolled or offline: `then` is not called, the cached levels stay.
pub fn fetch_then(db_path: PathBuf, gtin: String, then: impl FnOnce() + Send + 'static) {
    let spawned = thread::Builder::new()
        .name("network-stock".to_owned())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let Ok(mut store) = Store::open(&db_path) else {
                return;
            };
            let Ok(client) = client_for(&store, None) else {
                // Not enrolled: the cached levels are all there is.
                return;
            };
            let answer = match runtime.block_on(client.stock(&gtin)) {
                Ok(answer) => answer,
                Err(error) => {
                    tracing::debug!(%error, "fresh network stock unavailable");
                    return;
                }
            };
            if let Err(error) = store.apply_fresh_stock(&answer) {
                tracing::warn!(%error, "cannot cache fresh network stock");
                return;
            }
            then();
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start the network stock request");
    }
}
