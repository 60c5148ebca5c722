//! The basket page: lines, quantities, removal, and totals with VAT per rate.

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::app::checkout::{CheckoutError, line_for_card};
use crate::domain::money::Cents;

use super::format;
use super::session::Session;
use super::worker::Worker;
use super::{
    AppAdapter, AppWindow, BasketAdapter, BasketRow, CheckoutAdapter, Page, PayMethod,
    ScanPageAdapter, ScanProblem, VatRow,
};

pub struct BasketView {
    lines: Vec<BasketRow>,
    vat: Vec<VatRow>,
    total: SharedString,
    total_cents: i64,
    item_count: i32,
    points: PointsView,
}

/// The identified customer's points against this basket, for the checkout.
#[derive(Default)]
struct PointsView {
    customer_name: SharedString,
    balance: i64,
    redeemable: i64,
    redeemable_value: SharedString,
    total_after: SharedString,
    total_after_cents: i64,
}

fn points_view(session: &Session, total: Cents) -> PointsView {
    let Some(customer) = &session.customer else {
        return PointsView::default();
    };
    let rule = session.config.loyalty_rule();
    let redeemable = rule.max_redeemable(customer.loyalty_points, total);
    let value = Cents::new(redeemable * rule.point_value_cents);
    let after = total.checked_sub(value).unwrap_or(total);
    PointsView {
        customer_name: customer.first_name.as_str().into(),
        balance: customer.loyalty_points,
        redeemable,
        redeemable_value: format::money(value, session.lang),
        total_after: format::money(after, session.lang),
        total_after_cents: after.get(),
    }
}

pub fn view(session: &Session) -> BasketView {
    let lang = session.lang;
    let lines = session
        .basket
        .lines()
        .iter()
        .map(|line| BasketRow {
            label: line.label.as_str().into(),
            quantity: i32::try_from(line.quantity).unwrap_or(i32::MAX),
            unit_price: format::money(line.unit_price, lang),
            amount: line
                .line_total()
                .map(|a| format::money(a, lang))
                .unwrap_or_default(),
            vat: format::vat(line.vat_rate, lang),
            label_priced: line.amount_override.is_some(),
        })
        .collect();
    // Lines only get into the basket with valid amounts; totals can only fail on an overflow,
    // which then shows as an empty breakdown rather than a wrong one.
    let totals = session.basket.totals().ok();
    let vat = totals
        .as_ref()
        .map(|t| {
            t.per_rate
                .iter()
                .map(|r| VatRow {
                    rate: format::vat(r.rate, lang),
                    base: format::money(r.base, lang),
                    vat: format::money(r.vat, lang),
                    total: format::money(r.total, lang),
                })
                .collect()
        })
        .unwrap_or_default();
    let total_cents = totals.as_ref().map_or(0, |t| t.total.get());
    let points = points_view(session, Cents::new(total_cents));
    BasketView {
        points,
        lines,
        vat,
        total: totals
            .as_ref()
            .map(|t| format::money(t.total, lang))
            .unwrap_or_default(),
        total_cents,
        item_count: totals
            .as_ref()
            .map_or(0, |t| i32::try_from(t.item_count).unwrap_or(i32::MAX)),
    }
}

pub fn apply(window: &AppWindow, view: BasketView) {
    let a = window.global::<BasketAdapter>();
    a.set_lines(ModelRc::new(VecModel::from(view.lines)));
    a.set_vat_lines(ModelRc::new(VecModel::from(view.vat)));
    a.set_total(view.total.clone());
    a.set_item_count(view.item_count);
    window
        .global::<AppAdapter>()
        .set_basket_count(view.item_count);
    let checkout = window.global::<CheckoutAdapter>();
    checkout.set_total(view.total);
    checkout.set_total_cents(i32::try_from(view.total_cents).unwrap_or(i32::MAX));
    let int = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    checkout.set_customer_name(view.points.customer_name);
    checkout.set_points_balance(int(view.points.balance));
    checkout.set_points_redeemable(int(view.points.redeemable));
    checkout.set_points_redeemable_value(view.points.redeemable_value);
    checkout.set_total_after_points(view.points.total_after);
    checkout.set_total_after_points_cents(int(view.points.total_after_cents));
    if view.points.redeemable == 0 {
        checkout.set_use_points(false);
    }
}

/// Empties what the basket page shows (a new customer, a new staff member).
pub fn clear(window: &AppWindow) {
    apply(
        window,
        BasketView {
            lines: Vec::new(),
            vat: Vec::new(),
            total: "".into(),
            total_cents: 0,
            item_count: 0,
            points: PointsView::default(),
        },
    );
}

pub enum AddOutcome {
    Added(BasketView),
    Problem(ScanProblem, SharedString),
}

/// Adds the product on show, `quantity` times.
pub fn add_shown_product(session: &mut Session, quantity: i64) -> AddOutcome {
    let Some(card) = session.product.as_ref() else {
        return AddOutcome::Problem(ScanProblem::Failed, "no product on show".into());
    };
    let added = line_for_card(card, quantity)
        .and_then(|line| session.basket.add(line).map_err(CheckoutError::from));
    match added {
        Ok(_) => AddOutcome::Added(view(session)),
        Err(CheckoutError::NeedsWeight { name }) => {
            AddOutcome::Problem(ScanProblem::NeedsWeight, name.into())
        }
        Err(error) => AddOutcome::Problem(ScanProblem::Failed, error.to_string().into()),
    }
}

pub fn apply_added(window: &AppWindow, outcome: AddOutcome) {
    match outcome {
        AddOutcome::Added(view) => {
            apply(window, view);
            window.global::<AppAdapter>().set_page(Page::Basket);
        }
        AddOutcome::Problem(problem, detail) => {
            let page = window.global::<ScanPageAdapter>();
            page.set_problem(problem);
            page.set_problem_detail(detail);
            window.global::<AppAdapter>().set_page(Page::Scan);
        }
    }
}

fn update(window: &AppWindow, worker: &Worker, change: impl FnOnce(&mut Session) + Send + 'static) {
    let weak = window.as_weak();
    worker.run(move |session| {
        change(session);
        let view = view(session);
        let _ = weak.upgrade_in_event_loop(move |window| apply(&window, view));
    });
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let adapter = window.global::<BasketAdapter>();
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_set_quantity(move |index, quantity| {
        let Some(window) = weak.upgrade() else { return };
        let Ok(index) = usize::try_from(index) else {
            return;
        };
        update(&window, &w, move |session| {
            let result = if quantity <= 0 {
                session.basket.remove(index).map(|_| ())
            } else {
                session.basket.set_quantity(index, i64::from(quantity))
            };
            if let Err(error) = result {
                tracing::warn!(%error, "basket change refused");
            }
        });
    });
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_remove(move |index| {
        let Some(window) = weak.upgrade() else { return };
        let Ok(index) = usize::try_from(index) else {
            return;
        };
        update(&window, &w, move |session| {
            if let Err(error) = session.basket.remove(index) {
                tracing::warn!(%error, "basket line removal refused");
            }
        });
    });
    let weak = window.as_weak();
    adapter.on_checkout(move || {
        let Some(window) = weak.upgrade() else { return };
        let checkout = window.global::<CheckoutAdapter>();
        checkout.set_method(PayMethod::Card);
        checkout.set_amount_text("".into());
        checkout.set_problem("".into());
        checkout.set_completed(false);
        window.global::<AppAdapter>().set_page(Page::Checkout);
    });
}
