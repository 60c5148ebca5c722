//! The basket on screen (its page, the side panel and the bottom bar share one adapter): lines,
//! quantities (never below 1), removal with « Annuler », parked baskets, and totals with VAT per
//! rate. Every change goes through `app::basket` on the open basket the database keeps.

use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, Model as _, ModelRc, SharedString, VecModel};

use crate::app::basket::OpenBasket;
use crate::app::basket::{self as use_case, Removal};
use crate::domain::basket::{Basket, BasketLine};
use crate::domain::discount::DiscountSource;
use crate::domain::money::Cents;

use super::format;
use super::session::{Session, now};
use super::worker::Worker;
use super::{
    AppAdapter, AppWindow, BasketAdapter, BasketRow, CheckoutAdapter, LineDiscountKind,
    LineDiscountRow, Page, ParkedRow, PayMethod, VatRow,
};

/// How long « Annuler » is offered after a removal.
const UNDO_FOR: Duration = Duration::from_secs(6);

pub struct BasketView {
    lines: Vec<LineView>,
    vat: Vec<VatRow>,
    total: SharedString,
    total_cents: i64,
    item_count: i32,
    /// What the discounts take off the ticket ("" when nothing).
    saved: SharedString,
    basket_discount: bool,
    points: PointsView,
    /// The parked baskets, read again only when they may have changed (parking, resuming,
    /// logging in), not on every scan.
    parked: Option<Vec<ParkedRow>>,
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

fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The open basket and the parked ones as the screen shows them, read from the database.
pub fn view(session: &Session) -> BasketView {
    let mut view = match use_case::open_basket(&session.store) {
        Ok(open) => view_of(session, &open.basket),
        Err(error) => {
            tracing::error!(%error, "cannot read the open basket");
            view_of(session, &Basket::new())
        }
    };
    view.parked = Some(parked_rows(session));
    view
}

/// [`view`] of a basket already read.
pub fn view_of(session: &Session, basket: &Basket) -> BasketView {
    let lang = session.lang;
    let basket = &session.priced(basket);
    let lines = basket
        .lines()
        .iter()
        .map(|line| row_of(line, session))
        .collect();
    // Lines only get into the basket with valid amounts; totals can only fail on an overflow,
    // which then shows as an empty breakdown rather than a wrong one.
    let totals = basket.totals().ok();
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
        item_count: totals.as_ref().map_or(0, |t| int(t.item_count)),
        saved: totals
            .as_ref()
            .filter(|t| t.discount.get() > 0)
            .map(|t| format::money(t.discount, lang))
            .unwrap_or_default(),
        basket_discount: basket.discount().is_some(),
        parked: None,
    }
}

/// A [`BasketRow`] built on the worker: the row holds a model of its discounts, which must stay
/// on the UI thread, so the row itself is made in [`apply`].
struct LineView {
    gtin: SharedString,
    label: SharedString,
    quantity: i32,
    unit_price: SharedString,
    amount: SharedString,
    vat: SharedString,
    label_priced: bool,
    gross: SharedString,
    discounts: Vec<LineDiscountRow>,
    manual: bool,
}

impl LineView {
    fn into_row(self) -> BasketRow {
        BasketRow {
            gtin: self.gtin,
            label: self.label,
            quantity: self.quantity,
            unit_price: self.unit_price,
            amount: self.amount,
            vat: self.vat,
            label_priced: self.label_priced,
            gross: self.gross,
            discounts: ModelRc::new(VecModel::from(self.discounts)),
            manual: self.manual,
        }
    }
}

/// One line as the basket shows it: its amount after discounts, the amount before them (only
/// when something is taken off) and each discount with its promotion's name or its reason.
fn row_of(line: &BasketLine, session: &Session) -> LineView {
    let lang = session.lang;
    let discounts: Vec<LineDiscountRow> = line
        .discounts
        .iter()
        .filter(|d| d.amount.get() != 0)
        .map(|d| {
            let (kind, label) = match &d.source {
                DiscountSource::Promotion { name, .. } => (LineDiscountKind::Promotion, name),
                DiscountSource::Manual { reason } => (LineDiscountKind::Manual, reason),
            };
            LineDiscountRow {
                kind,
                label: label.as_str().into(),
                amount: format::money(d.amount, lang),
            }
        })
        .collect();
    let gross = if discounts.is_empty() {
        SharedString::new()
    } else {
        line.gross_total()
            .map(|a| format::money(a, lang))
            .unwrap_or_default()
    };
    LineView {
        gtin: line.gtin.as_str().into(),
        label: line.label.as_str().into(),
        quantity: int(line.quantity),
        unit_price: format::money(line.shelf_unit_price(), lang),
        amount: line
            .line_total()
            .map(|a| format::money(a, lang))
            .unwrap_or_default(),
        vat: format::vat(line.vat_rate, lang),
        label_priced: line.amount_override.is_some(),
        gross,
        discounts,
        manual: line.manual.is_some(),
    }
}

fn parked_rows(session: &Session) -> Vec<ParkedRow> {
    let now = now();
    match use_case::parked(&session.store) {
        Ok(parked) => parked
            .into_iter()
            .map(|p| {
                let totals = p.basket.totals().ok();
                ParkedRow {
                    id: int(p.id),
                    parked_by: p.parked_by.unwrap_or_default().into(),
                    minutes_ago: int((now - p.parked_at).max(0) / 60),
                    item_count: totals.as_ref().map_or(0, |t| int(t.item_count)),
                    total: totals
                        .map(|t| format::money(t.total, session.lang))
                        .unwrap_or_default(),
                }
            })
            .collect(),
        Err(error) => {
            tracing::error!(%error, "cannot read the parked baskets");
            Vec::new()
        }
    }
}

pub fn apply(window: &AppWindow, view: BasketView) {
    let a = window.global::<BasketAdapter>();
    let count = view.lines.len();
    let rows: Vec<BasketRow> = view.lines.into_iter().map(LineView::into_row).collect();
    a.set_lines(ModelRc::new(VecModel::from(rows)));
    if usize::try_from(a.get_last_line()).is_ok_and(|line| line >= count) {
        a.set_last_line(-1);
    }
    if usize::try_from(a.get_open_line()).is_ok_and(|line| line >= count) {
        a.set_open_line(-1);
    }
    a.set_vat_lines(ModelRc::new(VecModel::from(view.vat)));
    a.set_total(view.total.clone());
    a.set_item_count(view.item_count);
    a.set_saved(view.saved);
    a.set_basket_discount(view.basket_discount);
    if let Some(parked) = view.parked {
        a.set_parked(ModelRc::new(VecModel::from(parked)));
    }
    window
        .global::<AppAdapter>()
        .set_basket_count(view.item_count);
    let checkout = window.global::<CheckoutAdapter>();
    checkout.set_total(view.total);
    checkout.set_total_cents(int(view.total_cents));
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

/// Empties what the screen shows of the basket (nobody logged in any more). The open basket
/// itself stays in the database for the next seller.
pub fn clear(window: &AppWindow) {
    let a = window.global::<BasketAdapter>();
    a.set_removed_label("".into());
    a.set_last_line(-1);
    a.set_open_line(-1);
    a.set_parked_shown(false);
}

/// Who changes the basket, as its cancelled lines record it.
pub(super) fn operator(session: &Session) -> String {
    session
        .staff
        .as_ref()
        .map_or_else(|| "unknown".to_owned(), |s| s.login.clone())
}

/// Runs `change` on the worker, then shows the basket as it now is.
pub(super) fn update(
    window: &AppWindow,
    worker: &Worker,
    change: impl FnOnce(&mut Session) -> Option<OpenBasket> + Send + 'static,
) {
    let weak = window.as_weak();
    worker.run(move |session| {
        let view = match change(session) {
            Some(open) => view_of(session, &open.basket),
            None => view(session),
        };
        let _ = weak.upgrade_in_event_loop(move |window| apply(&window, view));
    });
}

fn index_of(line: i32) -> Option<usize> {
    usize::try_from(line).ok()
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let adapter = window.global::<BasketAdapter>();
    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_set_quantity(move |line, quantity| {
        let (Some(window), Some(index)) = (weak.upgrade(), index_of(line)) else {
            return;
        };
        update(&window, &w, move |session| {
            let who = operator(session);
            use_case::set_quantity(&mut session.store, index, i64::from(quantity), &who, now())
                .inspect_err(|error| tracing::warn!(%error, "basket change refused"))
                .ok()
        });
    });

    // « Annuler » disappears after a while: one timer, restarted by each removal.
    let undo_timer = Rc::new(slint::Timer::default());
    let (weak, w) = (window.as_weak(), worker.clone());
    let timer = Rc::clone(&undo_timer);
    adapter.on_remove(move |line| {
        let (Some(window), Some(index)) = (weak.upgrade(), index_of(line)) else {
            return;
        };
        let shown = weak.clone();
        w.run(move |session| {
            let who = operator(session);
            let removed = use_case::remove_line(&mut session.store, index, &who, now());
            let (label, view) = match removed {
                Ok((removal, open)) => {
                    let label = removal.cancelled.line.label.clone();
                    session.last_removal = Some(removal);
                    (label, view_of(session, &open.basket))
                }
                Err(error) => {
                    tracing::warn!(%error, "basket line removal refused");
                    (String::new(), view(session))
                }
            };
            let _ = shown.upgrade_in_event_loop(move |window| {
                apply(&window, view);
                window
                    .global::<BasketAdapter>()
                    .set_removed_label(label.into());
            });
        });
        let expired = window.as_weak();
        let w = w.clone();
        timer.start(slint::TimerMode::SingleShot, UNDO_FOR, move || {
            if let Some(window) = expired.upgrade() {
                window
                    .global::<BasketAdapter>()
                    .set_removed_label("".into());
            }
            w.run(|session| session.last_removal = None);
        });
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_undo_remove(move || {
        let Some(window) = weak.upgrade() else { return };
        undo_timer.stop();
        window
            .global::<BasketAdapter>()
            .set_removed_label("".into());
        update(&window, &w, move |session| {
            let removal: Removal = session.last_removal.take()?;
            use_case::undo_removal(&mut session.store, &removal, now())
                .inspect_err(|error| tracing::warn!(%error, "undo refused"))
                .ok()
        });
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_show_card(move |line| {
        let Some(window) = weak.upgrade() else { return };
        let Some(gtin) = index_of(line)
            .and_then(|i| window.global::<BasketAdapter>().get_lines().row_data(i))
            .map(|row| row.gtin.to_string())
        else {
            return;
        };
        super::scan::show_card(&window, &w, gtin);
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_park(move || {
        let Some(window) = weak.upgrade() else { return };
        window.global::<BasketAdapter>().set_open_line(-1);
        update(&window, &w, |session| {
            let who = operator(session);
            if let Err(error) = use_case::park(&mut session.store, &who, now()) {
                tracing::error!(%error, "cannot park the basket");
            }
            // The customer whose basket waits is not the next one's.
            session.customer = None;
            None
        });
        super::customer::clear(&window);
    });

    let (weak, w) = (window.as_weak(), worker.clone());
    adapter.on_resume(move |id| {
        let Some(window) = weak.upgrade() else { return };
        let a = window.global::<BasketAdapter>();
        a.set_parked_shown(false);
        a.set_open_line(-1);
        a.set_last_line(-1);
        update(&window, &w, move |session| {
            let who = operator(session);
            if let Err(error) = use_case::resume(&mut session.store, i64::from(id), &who, now()) {
                tracing::warn!(%error, "cannot resume the basket");
            }
            None
        });
    });

    let weak = window.as_weak();
    adapter.on_checkout(move || {
        let Some(window) = weak.upgrade() else { return };
        let checkout = window.global::<CheckoutAdapter>();
        checkout.set_method(PayMethod::Card);
        checkout.set_amount_text("".into());
        checkout.set_problem(super::PayProblem::None);
        checkout.set_completed(false);
        window.global::<AppAdapter>().set_page(Page::Checkout);
    });
}
