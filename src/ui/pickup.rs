//! The click-and-collect page: the list (search by number or first name, a scanned pickup code
//! opens its order), an order's items checked by scanning them, and the handover, whole or of
//! the checked items. Everything runs on the worker; the page only shows what it is given.

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::app::customer::Counter;
use crate::app::pickup::PickupOrder;
use crate::app::pickup::{self as use_case, PickupAppError};
use crate::domain::pickup::{HandoverError, ItemCheck, ScanVerdict, Units};
use crate::domain::signed_code::PickupCodeError;

use super::format;
use super::session::{Session, now};
use super::worker::Worker;
use super::{
    AppAdapter, AppWindow, Handed, ItemVerdict, Page, PickupAdapter, PickupConflict, PickupLineRow,
    PickupProblem, PickupRow, PickupStatus,
};

/// The order being checked at the counter, and what was scanned of it.
#[derive(Clone, Debug)]
pub struct CounterOrder {
    pub order: PickupOrder,
    pub check: ItemCheck,
}

fn status_of(order: &PickupOrder) -> PickupStatus {
    if order.conflict.is_some() || order.conflict_kind.is_some() {
        PickupStatus::Conflict
    } else if order.left().is_empty() {
        PickupStatus::HandedOver
    } else if order.partly_handed() {
        PickupStatus::PartlyHanded
    } else {
        PickupStatus::Ready
    }
}

pub fn rows(session: &Session, query: &str) -> Vec<PickupRow> {
    let now = now();
    match use_case::list(&session.store, &session.config.store_code, query) {
        Ok(orders) => orders
            .iter()
            .map(|o| PickupRow {
                id: o.id.as_str().into(),
                customer: o.customer_first_name.as_deref().unwrap_or("").into(),
                status: status_of(o),
                left: count(&o.left()),
                items: count(&o.lines),
                age: format::age(o.created_at, now),
                conflict: conflict_of(o),
                conflict_counters: o.conflict_counters.join(", ").into(),
            })
            .collect(),
        Err(error) => {
            tracing::error!(%error, "cannot list the pickup orders");
            Vec::new()
        }
    }
}

fn count(units: &[Units]) -> i32 {
    i32::try_from(units.iter().map(|u| u.quantity).sum::<i64>()).unwrap_or(i32::MAX)
}

fn name_of(session: &Session, gtin: &str) -> String {
    use_case::product_name(&session.store, gtin)
}

/// The central's conflict kind, for the screen to word; `Other` for one it does not know (a
/// newer central) or none sent (an older one) while there is a conflict.
fn conflict_of(order: &PickupOrder) -> PickupConflict {
    let Some(kind) = order.conflict_kind.as_deref() else {
        return if order.conflict.is_some() {
            PickupConflict::Other
        } else {
            PickupConflict::None
        };
    };
    match kind {
        "handed_twice" => PickupConflict::HandedTwice,
        "returned_twice" => PickupConflict::ReturnedTwice,
        "handed_more" => PickupConflict::HandedMore,
        "returned_more" => PickupConflict::ReturnedMore,
        "handed_not_in_order" => PickupConflict::HandedNotInOrder,
        "returned_not_in_order" => PickupConflict::ReturnedNotInOrder,
        "handed_after_cancel" => PickupConflict::HandedAfterCancel,
        _ => PickupConflict::Other,
    }
}

/// What the order page shows.
pub struct OrderView {
    id: SharedString,
    customer: SharedString,
    status: PickupStatus,
    conflict: PickupConflict,
    conflict_counters: SharedString,
    lines: Vec<PickupLineRow>,
    checked: i32,
    left: i32,
}

pub fn order_view(session: &Session, current: &CounterOrder) -> OrderView {
    let left = current.order.left();
    let lines = current
        .order
        .lines
        .iter()
        .map(|line| PickupLineRow {
            gtin: line.gtin.as_str().into(),
            name: name_of(session, &line.gtin).into(),
            ordered: i32::try_from(line.quantity).unwrap_or(i32::MAX),
            left: count(
                &left
                    .iter()
                    .filter(|u| u.gtin == line.gtin)
                    .cloned()
                    .collect::<Vec<_>>(),
            ),
            checked: i32::try_from(current.check.checked(&line.gtin)).unwrap_or(i32::MAX),
        })
        .collect();
    OrderView {
        id: current.order.id.as_str().into(),
        customer: current
            .order
            .customer_first_name
            .as_deref()
            .unwrap_or("")
            .into(),
        status: status_of(&current.order),
        conflict: conflict_of(&current.order),
        conflict_counters: current.order.conflict_counters.join(", ").into(),
        lines,
        checked: count(&current.check.as_lines()),
        left: count(&left),
    }
}

pub fn apply_order(window: &AppWindow, view: OrderView) {
    let a = window.global::<PickupAdapter>();
    a.set_order_shown(true);
    a.set_order_id(view.id);
    a.set_order_customer(view.customer);
    a.set_order_status(view.status);
    a.set_order_conflict(view.conflict);
    a.set_order_conflict_counters(view.conflict_counters);
    a.set_order_lines(ModelRc::new(VecModel::from(view.lines)));
    a.set_checked_count(view.checked);
    a.set_left_count(view.left);
}

fn problem_of(error: &PickupAppError) -> (PickupProblem, SharedString) {
    let problem = match error {
        PickupAppError::Code(PickupCodeError::Expired { .. }) => PickupProblem::Expired,
        PickupAppError::Code(PickupCodeError::OtherStore { store }) => {
            return (PickupProblem::OtherStore, store.as_str().into());
        }
        PickupAppError::Code(code) if code.reason() == "forged" => PickupProblem::Forged,
        PickupAppError::Code(code) if code.reason() == "no_key" => PickupProblem::NoKey,
        PickupAppError::Code(_) => PickupProblem::UnknownFormat,
        PickupAppError::UnknownOrder { id } => {
            return (PickupProblem::UnknownOrder, id.as_str().into());
        }
        PickupAppError::Handover(HandoverError::AlreadyHandedOver) => PickupProblem::AlreadyHanded,
        PickupAppError::Handover(HandoverError::NotInOrder { gtin }) => {
            return (PickupProblem::NotInOrder, gtin.as_str().into());
        }
        PickupAppError::Handover(HandoverError::TooMany { left, .. }) => {
            return (PickupProblem::TooMany, left.to_string().into());
        }
        PickupAppError::Handover(HandoverError::Nothing) => PickupProblem::NothingChosen,
        _ => {
            tracing::error!(%error, "pickup counter");
            PickupProblem::Failed
        }
    };
    (problem, SharedString::new())
}

fn show_problem(window: &AppWindow, problem: (PickupProblem, SharedString)) {
    let a = window.global::<PickupAdapter>();
    a.set_problem(problem.0);
    a.set_problem_detail(problem.1);
}

/// Opens the order named by `input` (a number or a pickup code, checked offline).
pub fn open_on_worker(session: &mut Session, weak: &slint::Weak<AppWindow>, input: &str) {
    let found = use_case::find_order(&session.store, input, &session.config.store_code, now());
    match found {
        Ok(order) => {
            let current = CounterOrder {
                order,
                check: ItemCheck::default(),
            };
            let view = order_view(session, &current);
            session.counter_order = Some(current);
            let _ = weak.upgrade_in_event_loop(move |window| {
                let a = window.global::<PickupAdapter>();
                a.set_problem(PickupProblem::None);
                a.set_verdict(ItemVerdict::None);
                a.set_handed(Handed::None);
                a.set_confirming_all(false);
                apply_order(&window, view);
                window.global::<AppAdapter>().set_page(Page::Pickup);
            });
        }
        Err(error) => {
            let problem = problem_of(&error);
            let _ = weak.upgrade_in_event_loop(move |window| {
                show_problem(&window, problem);
                window.global::<PickupAdapter>().set_order_shown(false);
                window.global::<AppAdapter>().set_page(Page::Pickup);
            });
        }
    }
}

/// A scan at the counter while an order is open: is it one of the order's items?
pub fn scan_item_on_worker(
    session: &mut Session,
    weak: &slint::Weak<AppWindow>,
    scan: crate::app::scan_route::Scan,
) {
    // Any product code the till reads (GTIN, GS1, Digital Link, in-store label) names the item.
    let gtin = crate::app::product_card::card_for_scan(
        &session.store,
        scan,
        &session.config.store_code,
        chrono::Utc::now().date_naive(),
    )
    .ok()
    .map(|card| card.product.gtin.as_str().to_owned());
    let Some(current) = session.counter_order.as_mut() else {
        return;
    };
    let (verdict, name) = match gtin {
        None => (ItemVerdict::NotAProduct, String::new()),
        Some(gtin) => {
            let left = current.order.left();
            let verdict = match current.check.scan(&left, &gtin) {
                ScanVerdict::Expected { .. } => ItemVerdict::Expected,
                ScanVerdict::WrongProduct => ItemVerdict::WrongProduct,
                ScanVerdict::TooMany { .. } => ItemVerdict::TooMany,
            };
            (verdict, gtin)
        }
    };
    let name = if name.is_empty() {
        name
    } else {
        name_of(session, &name)
    };
    let Some(current) = session.counter_order.as_ref() else {
        return;
    };
    let view = order_view(session, current);
    let _ = weak.upgrade_in_event_loop(move |window| {
        let a = window.global::<PickupAdapter>();
        a.set_verdict(verdict);
        a.set_verdict_name(name.into());
        apply_order(&window, view);
    });
}

fn hand_over_on_worker(session: &mut Session, weak: &slint::Weak<AppWindow>, checked_only: bool) {
    let Some(current) = session.counter_order.clone() else {
        return;
    };
    let lines = current.check.as_lines();
    let chosen = checked_only.then_some(lines.as_slice());
    let staff = session
        .staff
        .as_ref()
        .map_or_else(|| "unknown".to_owned(), |s| s.login.clone());
    let (terminal, store_code) = (
        session.config.terminal_id.clone(),
        session.config.store_code.clone(),
    );
    let outcome = use_case::handover(
        &mut session.store,
        &current.order.id,
        chosen,
        Counter {
            staff: &staff,
            terminal: &terminal,
            store_code: &store_code,
            now: now(),
        },
    );
    match outcome {
        Ok(done) => {
            let refreshed = use_case::order(&session.store, &current.order.id)
                .ok()
                .flatten()
                .unwrap_or(current.order);
            let next = CounterOrder {
                order: refreshed,
                check: ItemCheck::default(),
            };
            let view = order_view(session, &next);
            session.counter_order = Some(next);
            let handed = if done.complete {
                Handed::Whole
            } else {
                Handed::Part
            };
            let left = count(&done.left);
            let list = rows(session, "");
            let _ = weak.upgrade_in_event_loop(move |window| {
                let a = window.global::<PickupAdapter>();
                a.set_handed(handed);
                a.set_left_after(left);
                a.set_verdict(ItemVerdict::None);
                a.set_problem(PickupProblem::None);
                a.set_orders(ModelRc::new(VecModel::from(list)));
                apply_order(&window, view);
            });
        }
        Err(error) => {
            let problem = problem_of(&error);
            let _ = weak.upgrade_in_event_loop(move |window| show_problem(&window, problem));
        }
    }
}

/// Shows the list afresh (after a sync, on opening the page).
pub fn refresh_list(window: &AppWindow, worker: &Worker) {
    let weak = window.as_weak();
    let query = window.global::<PickupAdapter>().get_query().to_string();
    worker.run(move |session| {
        let list = rows(session, &query);
        let _ = weak.upgrade_in_event_loop(move |window| {
            window
                .global::<PickupAdapter>()
                .set_orders(ModelRc::new(VecModel::from(list)));
        });
    });
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let a = window.global::<PickupAdapter>();

    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_search(move |query| {
        let weak = weak.clone();
        let query = query.to_string();
        w.run(move |session| {
            let list = rows(session, &query);
            let _ = weak.upgrade_in_event_loop(move |window| {
                let a = window.global::<PickupAdapter>();
                a.set_orders(ModelRc::new(VecModel::from(list)));
                a.set_problem(PickupProblem::None);
            });
        });
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_open(move |input| {
        let weak = weak.clone();
        let input = input.to_string();
        w.run(move |session| open_on_worker(session, &weak, &input));
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_scan_item(move |raw| {
        let weak = weak.clone();
        let raw = raw.to_string();
        w.run(move |session| {
            let scan = crate::app::scan_route::parse(&raw, &session.config.scan_config());
            scan_item_on_worker(session, &weak, scan);
        });
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_hand_checked(move || {
        let weak = weak.clone();
        w.run(move |session| hand_over_on_worker(session, &weak, true));
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_hand_all(move || {
        let weak = weak.clone();
        w.run(move |session| hand_over_on_worker(session, &weak, false));
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    a.on_close_order(move || {
        let weak = weak.clone();
        w.run(move |session| {
            session.counter_order = None;
            let list = rows(session, "");
            let _ = weak.upgrade_in_event_loop(move |window| {
                let a = window.global::<PickupAdapter>();
                a.set_order_shown(false);
                a.set_order_lines(ModelRc::new(VecModel::from(Vec::<PickupLineRow>::new())));
                a.set_handed(Handed::None);
                a.set_confirming_all(false);
                a.set_verdict(ItemVerdict::None);
                a.set_problem(PickupProblem::None);
                a.set_query("".into());
                a.set_orders(ModelRc::new(VecModel::from(list)));
            });
        });
    });
}
