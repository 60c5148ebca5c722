//! Scans from anywhere (the scan fields, a search result, later the serial scanner and the
//! camera) open the product page, or say on the scan page what was wrong with the code.

use slint::{ComponentHandle, SharedString};

use crate::app::product_card::{ProductCardError, product_card};
use crate::domain::scan::{LOYALTY_PREFIX, PICKUP_PREFIX};

use super::product::{self, ProductView};
use super::session::Session;
use super::worker::Worker;
use super::{AppAdapter, AppWindow, Page, ScanAdapter, ScanPageAdapter, ScanProblem};

/// What a scan gives the screen.
pub enum ScanOutcome {
    Product(Box<ProductView>),
    Problem(ScanProblem, SharedString),
}

/// Looks the scanned text up; the card becomes the product on show.
pub fn look_up(session: &mut Session, raw: &str) -> ScanOutcome {
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
            let here = session
                .store
                .location_name(&config.store_code)
                .ok()
                .flatten()
                .unwrap_or_else(|| config.store_code.clone());
            let view = product::view(&card, &here, session.lang);
            session.product = Some(card);
            ScanOutcome::Product(Box::new(view))
        }
        Err(error) => {
            let problem = match &error {
                ProductCardError::Unreadable(_) => ScanProblem::Unreadable,
                ProductCardError::UnknownGtin { .. } | ProductCardError::UnknownItemCode { .. } => {
                    ScanProblem::UnknownProduct
                }
                ProductCardError::NotAProduct { .. } => ScanProblem::NotAProduct,
                ProductCardError::Pricing(_) | ProductCardError::Store(_) => {
                    tracing::error!(%error, "scan lookup failed");
                    ScanProblem::Failed
                }
            };
            ScanOutcome::Problem(problem, error.to_string().into())
        }
    }
}

pub fn apply(window: &AppWindow, outcome: ScanOutcome) {
    let page = window.global::<ScanPageAdapter>();
    match outcome {
        ScanOutcome::Product(view) => {
            page.set_problem(ScanProblem::None);
            page.set_problem_detail("".into());
            product::apply(window, *view);
        }
        ScanOutcome::Problem(problem, detail) => {
            page.set_problem(problem);
            page.set_problem_detail(detail);
            window.global::<AppAdapter>().set_page(Page::Scan);
        }
    }
}

/// Sends scanned text to the worker and shows what it gives; then, when the terminal is
/// enrolled, asks the central for fresh network stock of that product.
pub fn submit(window: &AppWindow, worker: &Worker, raw: String) {
    let weak = window.as_weak();
    let refresher = worker.clone();
    worker.run(move |session| {
        if raw.contains(LOYALTY_PREFIX) || raw.contains(PICKUP_PREFIX) {
            route(session, &weak, &refresher, &raw, false);
            return;
        }
        let outcome = look_up(session, &raw);
        if matches!(outcome, ScanOutcome::Product(_))
            && let Some(card) = &session.product
            && session.store.enrollment().ok().flatten().is_some()
        {
            super::network_stock::refresh(
                weak.clone(),
                refresher,
                session.store.path().to_owned(),
                card.product.gtin.as_str().to_owned(),
            );
        }
        let _ = weak.upgrade_in_event_loop(move |window| apply(&window, outcome));
    });
}

/// A scan from a device (serial scanner, camera): ignored while nobody is logged in, so a code
/// read at the login page opens nothing. On the pickup page with an order open, a product scan
/// checks one of its items; a loyalty or pickup code opens the customer or the order anywhere.
pub fn from_device(weak: &slint::Weak<AppWindow>, worker: &Worker, raw: String) {
    let worker = worker.clone();
    // The page decides where a product scan goes: read it on the UI thread first.
    let _ = weak.upgrade_in_event_loop(move |window| {
        let checking = window.global::<AppAdapter>().get_page() == Page::Pickup
            && window.global::<super::PickupAdapter>().get_order_shown();
        let weak = window.as_weak();
        let opener = worker.clone();
        worker.run(move |session| {
            if session.staff.is_none() {
                return;
            }
            route(session, &weak, &opener, &raw, checking);
        });
    });
}

/// Sends a scan where it belongs (see [`from_device`]).
fn route(
    session: &mut Session,
    weak: &slint::Weak<AppWindow>,
    worker: &Worker,
    raw: &str,
    checking_items: bool,
) {
    if raw.contains(LOYALTY_PREFIX) {
        super::customer::open_on_worker(session, weak, worker, raw);
    } else if raw.contains(PICKUP_PREFIX) {
        super::pickup::open_on_worker(session, weak, raw);
    } else if checking_items {
        super::pickup::scan_item_on_worker(session, weak, raw);
    } else {
        let outcome = look_up(session, raw);
        let _ = weak.upgrade_in_event_loop(move |window| apply(&window, outcome));
    }
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let weak = window.as_weak();
    let w = worker.clone();
    window.global::<ScanAdapter>().on_submit(move |text| {
        if let Some(window) = weak.upgrade() {
            submit(&window, &w, text.to_string());
        }
    });
}
