//! Scans on the staff screen, from wherever they come (a scan field typed into by a
//! keyboard-wedge scanner, the serial scanner, the camera): `app::scan_route` says where each
//! goes, once, and this module shows the result. A product scan adds one unit to the basket and
//! says so for a moment over the page the seller is on; the product card is one tap away
//! (a line of the basket, a search result), never in the way.

use std::cell::RefCell;
use std::time::Duration;

use slint::{ComponentHandle, SharedString};

use crate::app::basket::Added;
use crate::app::checkout::CheckoutError;
use crate::app::product_card::{ProductCardError, card_for_scan};
use crate::app::scan_route::{self, Scan, ScanRoute, Screen};

use super::product::{self, ProductView};
use super::session::Session;
use super::worker::Worker;
use super::{
    AppAdapter, AppWindow, BasketAdapter, CheckoutAdapter, NoticeKind, Page, PickupAdapter,
    ReturnAdapter, ScanAdapter, ScanNotice, ScanPageAdapter, ScanProblem, StatusAdapter,
};

/// How long the notice of a scan stays over the page.
const NOTICE_FOR: Duration = Duration::from_millis(2500);

/// How long a code typed into a scan field counts as a working keyboard-wedge scanner.
const WEDGE_FRESH: Duration = Duration::from_secs(5 * 60);

thread_local! {
    // Slint timers live on the UI thread: one for the notice, one for the wedge's freshness,
    // each restarted by the next scan.
    static NOTICE_TIMER: RefCell<slint::Timer> = RefCell::new(slint::Timer::default());
    static WEDGE_TIMER: RefCell<slint::Timer> = RefCell::new(slint::Timer::default());
}

/// What a scan gives the product page.
pub enum ScanOutcome {
    Product(Box<ProductView>),
    Problem(ScanProblem, SharedString),
}

fn problem_of_card(error: &ProductCardError) -> ScanProblem {
    match error {
        ProductCardError::Unreadable(_) => ScanProblem::Unreadable,
        ProductCardError::UnknownGtin { .. } | ProductCardError::UnknownItemCode { .. } => {
            ScanProblem::UnknownProduct
        }
        ProductCardError::NotAProduct { .. } => ScanProblem::NotAProduct,
        ProductCardError::Pricing(_) | ProductCardError::Store(_) => {
            tracing::error!(%error, "scan lookup failed");
            ScanProblem::Failed
        }
    }
}

/// The code a refused scan names, shown under the problem (the error's own sentence is English
/// and says what the problem's words say already).
fn code_of_card(error: &ProductCardError) -> SharedString {
    match error {
        ProductCardError::UnknownGtin { gtin } => gtin.as_str().into(),
        ProductCardError::UnknownItemCode { item_code } => item_code.as_str().into(),
        _ => SharedString::new(),
    }
}

fn here_name(session: &Session) -> String {
    crate::app::terminal::store_name(&session.store, &session.config.store_code)
}

/// Looks the scan up; the card becomes the product on show.
pub fn look_up(session: &mut Session, scan: Scan) -> ScanOutcome {
    let today = chrono::Utc::now().date_naive();
    match card_for_scan(&session.store, scan, &session.config.store_code, today) {
        Ok(card) => {
            let view = product::view(&card, &here_name(session), session.lang);
            session.product = Some(card);
            ScanOutcome::Product(Box::new(view))
        }
        Err(error) => ScanOutcome::Problem(problem_of_card(&error), code_of_card(&error)),
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

/// Opens the product card of `raw` (a search result, a basket line); then, when the terminal
/// is enrolled, asks the central for fresh network stock of that product.
pub fn show_card(window: &AppWindow, worker: &Worker, raw: String) {
    let weak = window.as_weak();
    let refresher = worker.clone();
    worker.run(move |session| {
        let scan = scan_route::parse(&raw, &session.config.scan_config());
        let outcome = look_up(session, scan);
        refresh_network_stock(session, &weak, &refresher, &outcome);
        let _ = weak.upgrade_in_event_loop(move |window| apply(&window, outcome));
    });
}

fn refresh_network_stock(
    session: &Session,
    weak: &slint::Weak<AppWindow>,
    worker: &Worker,
    outcome: &ScanOutcome,
) {
    if matches!(outcome, ScanOutcome::Product(_)) {
        super::network_stock::refresh(session, weak.clone(), worker.clone());
    }
}

/// Text typed into a scan field and Enter: a keyboard-wedge scanner (or a hand). It counts as a
/// working scanner for a while, and goes where any scan goes.
pub fn from_field(window: &AppWindow, worker: &Worker, raw: String) {
    wedge_seen(window);
    let (weak, worker) = (window.as_weak(), worker.clone());
    let screen = screen_for_scan(window);
    worker.clone().run(move |session| {
        let scan = scan_route::parse(&raw, &session.config.scan_config());
        dispatch(session, &weak, &worker, scan, screen);
    });
}

/// A scan from a device (serial scanner, camera), already parsed.
pub fn from_device(weak: &slint::Weak<AppWindow>, worker: &Worker, scan: Scan) {
    let worker = worker.clone();
    // What the screen shows decides where a product scan goes: read it on the UI thread.
    let _ = weak.upgrade_in_event_loop(move |window| {
        let screen = screen_for_scan(&window);
        let weak = window.as_weak();
        worker
            .clone()
            .run(move |session| dispatch(session, &weak, &worker, scan, screen));
    });
}

/// The screen as the router sees it. After a payment, a scan starts the next customer.
fn screen_for_scan(window: &AppWindow) -> Screen {
    let page = window.global::<AppAdapter>().get_page();
    if page == Page::Checkout && window.global::<CheckoutAdapter>().get_completed() {
        window.global::<CheckoutAdapter>().invoke_next_customer();
    }
    match page {
        Page::Login => Screen::LoggedOut,
        Page::Pickup if window.global::<PickupAdapter>().get_order_shown() => Screen::CheckingOrder,
        Page::Returns if window.global::<ReturnAdapter>().get_no_receipt() => Screen::TakingBack,
        _ => Screen::Selling,
    }
}

/// Sends a parsed scan where [`scan_route::route`] says.
fn dispatch(
    session: &mut Session,
    weak: &slint::Weak<AppWindow>,
    worker: &Worker,
    scan: Scan,
    screen: Screen,
) {
    let screen = if session.staff.is_none() {
        Screen::LoggedOut
    } else {
        screen
    };
    match scan_route::route(&scan, screen) {
        ScanRoute::Ignore => {}
        ScanRoute::OpenCustomer => {
            super::customer::open_on_worker(session, weak, worker, &scan.raw)
        }
        ScanRoute::OpenPickupOrder => super::pickup::open_on_worker(session, weak, &scan.raw),
        ScanRoute::OpenReturn => super::returns::open_on_worker(session, weak, &scan.raw),
        ScanRoute::AddToReturn => super::returns::take_back_on_worker(session, weak, &scan.raw),
        ScanRoute::CheckOrderItem => super::pickup::scan_item_on_worker(session, weak, scan),
        ScanRoute::ShowProduct => {
            let outcome = look_up(session, scan);
            let _ = weak.upgrade_in_event_loop(move |window| apply(&window, outcome));
        }
        ScanRoute::AddToBasket => add_to_basket(session, weak, scan),
    }
}

/// What the notice says after a scan into the basket.
enum Notice {
    Added {
        name: SharedString,
        price: SharedString,
        quantity: i32,
        line: i32,
        basket: super::basket::BasketView,
    },
    Problem(ScanProblem, SharedString),
}

fn add_to_basket(session: &mut Session, weak: &slint::Weak<AppWindow>, scan: Scan) {
    let till = crate::app::basket::Till::of(&session.config);
    let added = crate::app::basket::add_scan(&mut session.store, scan, 1, till);
    notify(session, weak, added, 1);
}

/// « Ajouter au panier » on the product page: `quantity` of the product on show, with the same
/// notice as a scan (the page stays: the basket is in sight beside it or below it).
pub fn add_shown(session: &mut Session, weak: &slint::Weak<AppWindow>, quantity: i64) {
    let Some(card) = session.product.clone() else {
        return;
    };
    let till = crate::app::basket::Till::of(&session.config);
    let added = crate::app::basket::add_card(&mut session.store, card, quantity, till);
    notify(session, weak, added, quantity);
}

/// Shows what adding `quantity` to the basket gave; a blocked product opens the manager's
/// override.
pub fn notify(
    session: &mut Session,
    weak: &slint::Weak<AppWindow>,
    added: Result<Added, CheckoutError>,
    quantity: i64,
) {
    let notice = match added {
        Ok(Added { card, line, basket }) => {
            let lang = session.lang;
            let held = basket.basket.lines().get(line);
            let notice = Notice::Added {
                name: card.product.name.as_str().into(),
                price: super::format::money(
                    card.details.amount.unwrap_or(card.product.price),
                    lang,
                ),
                quantity: held.map_or(1, |l| i32::try_from(l.quantity).unwrap_or(i32::MAX)),
                line: i32::try_from(line).unwrap_or(-1),
                basket: super::basket::view_of(session, &basket.basket),
            };
            session.product = Some(card);
            notice
        }
        Err(CheckoutError::Product(error)) => {
            Notice::Problem(problem_of_card(&error), code_of_card(&error))
        }
        Err(CheckoutError::NeedsWeight { name }) => {
            Notice::Problem(ScanProblem::NeedsWeight, name.into())
        }
        Err(CheckoutError::Blocked { card, block }) => {
            let view = super::sale_override::view(&card, &block, session.lang);
            session.blocked = Some((*card, quantity));
            let _ = weak.upgrade_in_event_loop(move |window| {
                super::sale_override::show(&window, view);
            });
            return;
        }
        Err(error) => {
            tracing::error!(%error, "scan into the basket failed");
            Notice::Problem(ScanProblem::Failed, SharedString::new())
        }
    };
    let _ = weak.upgrade_in_event_loop(move |window| show_notice(&window, notice));
}

fn show_notice(window: &AppWindow, notice: Notice) {
    let n = window.global::<ScanNotice>();
    let page = window.global::<ScanPageAdapter>();
    match notice {
        Notice::Added {
            name,
            price,
            quantity,
            line,
            basket,
        } => {
            super::basket::apply(window, basket);
            window.global::<BasketAdapter>().set_last_line(line);
            n.set_name(name);
            n.set_price(price);
            n.set_quantity(quantity);
            n.set_total(window.global::<BasketAdapter>().get_total());
            n.set_kind(NoticeKind::Added);
            page.set_problem(ScanProblem::None);
            page.set_problem_detail("".into());
        }
        Notice::Problem(problem, detail) => {
            n.set_problem(problem);
            n.set_detail(detail.clone());
            n.set_kind(NoticeKind::Problem);
            page.set_problem(problem);
            page.set_problem_detail(detail);
        }
    }
    let weak = window.as_weak();
    NOTICE_TIMER.with(|timer| {
        timer
            .borrow()
            .start(slint::TimerMode::SingleShot, NOTICE_FOR, move || {
                if let Some(window) = weak.upgrade() {
                    window.global::<ScanNotice>().set_kind(NoticeKind::None);
                }
            });
    });
}

/// A code came through a scan field: the keyboard-wedge scanner works (the status bar says so
/// for [`WEDGE_FRESH`]).
fn wedge_seen(window: &AppWindow) {
    window.global::<StatusAdapter>().set_wedge_active(true);
    let weak = window.as_weak();
    WEDGE_TIMER.with(|timer| {
        timer
            .borrow()
            .start(slint::TimerMode::SingleShot, WEDGE_FRESH, move || {
                if let Some(window) = weak.upgrade() {
                    window.global::<StatusAdapter>().set_wedge_active(false);
                }
            });
    });
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let weak = window.as_weak();
    let w = worker.clone();
    window.global::<ScanAdapter>().on_submit(move |text| {
        if let Some(window) = weak.upgrade() {
            from_field(&window, &w, text.to_string());
        }
    });
}
