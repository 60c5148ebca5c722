//! Search as you type: each keystroke asks the worker; a newer query makes older ones skip their
//! work, so a fast typist never waits for stale searches.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use slint::{ComponentHandle, ModelRc, VecModel};

use super::format::{self, Lang};
use super::session::Session;
use super::worker::Worker;
use super::{AppWindow, SearchAdapter, SearchRow};
use crate::app::scan_route::{self, ScanConfig};

const RESULTS: usize = 30;

pub fn results(session: &Session, query: &str) -> Vec<SearchRow> {
    let lang: Lang = session.lang;
    match crate::app::product_card::search_products(
        &session.store,
        query,
        RESULTS,
        &session.config.store_code,
    ) {
        Ok(hits) => hits
            .into_iter()
            .map(|hit| SearchRow {
                gtin: hit.gtin.as_str().into(),
                name: hit.name.into(),
                brand: hit.brand.into(),
                price: format::money(hit.price, lang),
                stock_here: i32::try_from(hit.stock_here).unwrap_or(i32::MAX),
            })
            .collect(),
        Err(error) => {
            tracing::error!(%error, "search failed");
            Vec::new()
        }
    }
}

pub fn apply(window: &AppWindow, rows: Vec<SearchRow>, searched: bool) {
    let a = window.global::<SearchAdapter>();
    a.set_results(ModelRc::new(VecModel::from(rows)));
    a.set_searched(searched);
}

pub fn setup(window: &AppWindow, worker: &Worker, scan_config: ScanConfig) {
    let generation = Arc::new(AtomicU64::new(0));
    let weak = window.as_weak();
    let w = worker.clone();
    window
        .global::<SearchAdapter>()
        .on_query_changed(move |query| {
            let mine = generation.fetch_add(1, Ordering::SeqCst) + 1;
            let generation = Arc::clone(&generation);
            let weak = weak.clone();
            let query = query.to_string();
            w.run(move |session| {
                if generation.load(Ordering::SeqCst) != mine {
                    return;
                }
                let searched = !query.trim().is_empty();
                let rows = if searched {
                    results(session, &query)
                } else {
                    Vec::new()
                };
                let _ = weak.upgrade_in_event_loop(move |window| apply(&window, rows, searched));
            });
        });
    let weak = window.as_weak();
    let w = worker.clone();
    window.global::<SearchAdapter>().on_open(move |gtin| {
        if let Some(window) = weak.upgrade() {
            super::scan::show_card(&window, &w, gtin.to_string());
        }
    });
    let weak = window.as_weak();
    let w = worker.clone();
    let config = scan_config;
    window.global::<SearchAdapter>().on_submit(move |text| {
        let Some(window) = weak.upgrade() else { return };
        if scan_route::is_code(&scan_route::parse(&text, &config)) {
            // A keyboard-wedge scan typed while the search was shown: not words to look for.
            let a = window.global::<SearchAdapter>();
            a.set_query("".into());
            apply(&window, Vec::new(), false);
            super::scan::from_field(&window, &w, text.to_string());
        }
    });
}
