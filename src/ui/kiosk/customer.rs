//! The kiosk's customer page: a scanned loyalty card is checked (a forged or altered code is
//! refused in plain words), the customer's view is opened from the terminal's cache at once —
//! the access is logged as "kiosk" — and reduced to what a public screen may show
//! (`CustomerView::for_kiosk`: first name, tier, points, online cart). When the terminal is
//! enrolled, a fresher view is then asked of the central on the terminal's runtime.
//!
//! Never logs anything personal: a customer is at most their id, and only at debug level.

use slint::{ComponentHandle, ModelRc, VecModel};

use crate::app::customer::{
    Counter, CustomerAppError, Identified, ask_fresh_view, identify, open_cached, take_fresh_view,
};
use crate::app::product_card::card_for_scan;
use crate::domain::customer::{CustomerView, KioskCustomer};
use crate::domain::money::Cents;
use crate::domain::scan::{ScanConfig, parse_scan};
use crate::domain::signed_code::CodeError;
use crate::ui::format;
use crate::ui::session::now;
use crate::ui::worker::Worker;
use crate::ui::{KioskAdapter, KioskCartRow, KioskPage, KioskProblem, KioskWindow};

use super::session::{KioskSession, ShownCustomer};
use super::visit::Visit;

/// The access log's name for a customer looking themselves up at a kiosk.
pub(super) const KIOSK_STAFF: &str = "kiosk";

/// What the customer page shows.
pub struct CustomerPage {
    first_name: String,
    tier: String,
    points: i32,
    points_known: bool,
    cart: Vec<KioskCartRow>,
}

/// Checks the card `raw` and opens its customer from the cache; the customer becomes the one on
/// show. A refusal is the problem to show.
pub fn open(session: &mut KioskSession, raw: &str) -> Result<CustomerPage, KioskProblem> {
    // The previous customer goes first, whatever this card turns out to be.
    session.forget_customer();
    let who = identify(&session.store, raw).map_err(|error| match error {
        // The terminal cannot check any card: its fault, not the customer's.
        CustomerAppError::Code(reason @ (CodeError::NoKey | CodeError::BadKey)) => {
            tracing::warn!(%reason, "kiosk cannot check loyalty codes");
            KioskProblem::CardUnavailable
        }
        CustomerAppError::Code(reason) => {
            tracing::info!(%reason, "kiosk refused a loyalty code");
            KioskProblem::CardRefused
        }
        CustomerAppError::Erased { .. } => {
            tracing::info!("kiosk refused the card of a customer erased at their request");
            KioskProblem::CardRefused
        }
        other => {
            tracing::warn!(error = %other, "kiosk cannot read a loyalty code");
            KioskProblem::CardUnavailable
        }
    })?;
    // The cache answers now; the central, when there is one, later (`refresh`).
    let view = open_view(session, &who)?;
    Ok(show(session, who.id, view))
}

fn open_view(session: &mut KioskSession, who: &Identified) -> Result<CustomerView, KioskProblem> {
    let counter = Counter {
        staff: KIOSK_STAFF,
        terminal: &session.config.terminal_id,
        store_code: &session.config.store_code,
        now: now(),
    };
    open_cached(&mut session.store, who, counter).map_err(|error| {
        tracing::warn!(%error, "kiosk cannot open a customer");
        KioskProblem::CardUnavailable
    })
}

/// Keeps the kiosk's part of `view` as the customer on show, and builds their page.
fn show(session: &mut KioskSession, id: String, view: CustomerView) -> CustomerPage {
    let kiosk = view.for_kiosk();
    let page = page(session, &kiosk);
    session.customer = Some(ShownCustomer { id, view: kiosk });
    page
}

/// The page for `customer`: each cart line says whether this store has enough of it.
pub fn page(session: &KioskSession, customer: &KioskCustomer) -> CustomerPage {
    let here = &session.config.store_code;
    let today = chrono::Utc::now().date_naive();
    let cart = customer
        .online_cart
        .iter()
        .map(|item| {
            let scan = parse_scan(&item.gtin, &ScanConfig::default());
            let stock_here = match card_for_scan(&session.store, scan, here, today) {
                Ok(card) => card.stock.qty_here(),
                Err(error) => {
                    // Not in this store's catalogue (or unreadable): not here.
                    tracing::debug!(%error, "cart line not in the catalogue");
                    0
                }
            };
            KioskCartRow {
                name: item.name.as_str().into(),
                quantity: i32::try_from(item.quantity).unwrap_or(i32::MAX),
                price: format::money(Cents::new(item.online_price_cents), session.lang),
                in_stock_here: stock_here >= item.quantity.max(1),
            }
        })
        .collect();
    CustomerPage {
        first_name: customer.first_name.clone(),
        tier: customer.tier.clone(),
        points: i32::try_from(customer.loyalty_points).unwrap_or(i32::MAX),
        points_known: customer.points_known,
        cart,
    }
}

pub fn apply(window: &KioskWindow, page: CustomerPage) {
    let a = window.global::<KioskAdapter>();
    a.set_first_name(page.first_name.into());
    a.set_tier(page.tier.into());
    a.set_points(page.points);
    a.set_points_known(page.points_known);
    a.set_cart(ModelRc::new(VecModel::from(page.cart)));
    a.set_problem(KioskProblem::None);
    a.set_page(KioskPage::Customer);
}

/// Asks the central for a fresher view of the customer on show (on the terminal's runtime),
/// then updates the page if the same visit is still on (no wipe, no other scan since
/// `visit_at`).
pub fn refresh(
    session: &KioskSession,
    weak: slint::Weak<KioskWindow>,
    worker: Worker<KioskSession>,
    visit: Visit,
    visit_at: u64,
) {
    let Some(shown) = &session.customer else {
        return;
    };
    let asked = ask_fresh_view(&session.central, &session.store, &shown.id, move |fresh| {
        worker.run(move |session| {
            let id = fresh.id().to_owned();
            let same = session.customer.as_ref().is_some_and(|c| c.id == id);
            if !same || !visit.is(visit_at) {
                return;
            }
            // The same opening, already in the access log: only the local facts are added.
            let view = match take_fresh_view(&mut session.store, fresh) {
                Ok(view) => view,
                Err(error) => {
                    tracing::warn!(%error, "kiosk cannot refresh the customer");
                    return;
                }
            };
            let page = show(session, id, view);
            let _ = weak.upgrade_in_event_loop(move |window| {
                // Checked again here: a wipe on the UI thread may have come meanwhile.
                if visit.is(visit_at)
                    && window.global::<KioskAdapter>().get_page() == KioskPage::Customer
                {
                    apply(&window, page);
                }
            });
        });
    });
    if let Err(error) = asked {
        tracing::warn!(%error, "kiosk cannot ask for the customer view");
    }
}
