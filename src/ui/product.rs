//! The product page: a product card turned into what ProductAdapter shows, and "add to basket".

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::app::pickup::{Delivery, PickupAppError};
use crate::app::product_card::ProductCard;
use crate::domain::catalog::{LocationKind, PriceUnit};

use super::format::{self, Lang};
use super::session::Session;
use super::session::now;
use super::worker::Worker;
use super::{Age, AppAdapter, AppWindow, OrderProblem, Page, ProductAdapter, StockRow};

/// Everything the product page shows, built off the UI thread.
pub struct ProductView {
    name: SharedString,
    brand: SharedString,
    category: SharedString,
    gtin: SharedString,
    price: SharedString,
    per_kg: bool,
    vat: SharedString,
    expiry: SharedString,
    expired: bool,
    lot: SharedString,
    weight: SharedString,
    amount: SharedString,
    here_name: SharedString,
    stock_here: i32,
    stock_here_age: Age,
    others: Vec<StockRow>,
}

pub fn view(card: &ProductCard, here_name: &str, lang: Lang) -> ProductView {
    let now = now();
    let p = &card.product;
    let d = &card.details;
    ProductView {
        name: p.name.as_str().into(),
        brand: p.brand.as_str().into(),
        category: p.category.as_str().into(),
        gtin: p.gtin.as_str().into(),
        price: format::money(p.price, lang),
        per_kg: p.price_unit == PriceUnit::Kilogram,
        vat: format::vat(p.vat_rate, lang),
        expiry: d
            .expiry
            .map(|date| format::date(date, lang))
            .unwrap_or_default(),
        expired: d.expired,
        lot: d.lot.as_deref().unwrap_or_default().into(),
        weight: d
            .weight_grams
            .map(|g| format::weight(g, lang))
            .unwrap_or_default(),
        amount: d.amount.map(|a| format::money(a, lang)).unwrap_or_default(),
        here_name: here_name.into(),
        stock_here: qty(card.stock.qty_here()),
        stock_here_age: card
            .stock
            .here
            .as_ref()
            .map_or_else(format::never, |l| format::age(l.as_of, now)),
        others: card
            .stock
            .others
            .iter()
            .map(|level| StockRow {
                code: level.location_code.as_str().into(),
                location: level.location_name.as_str().into(),
                warehouse: level.kind == LocationKind::Warehouse,
                qty: qty(level.qty),
                age: format::age(level.as_of, now),
            })
            .collect(),
    }
}

fn qty(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}

pub fn apply(window: &AppWindow, view: ProductView) {
    let a = window.global::<ProductAdapter>();
    a.set_name(view.name);
    a.set_brand(view.brand);
    a.set_category(view.category);
    a.set_gtin(view.gtin);
    a.set_price(view.price);
    a.set_per_kg(view.per_kg);
    a.set_vat(view.vat);
    a.set_expiry(view.expiry);
    a.set_expired(view.expired);
    a.set_lot(view.lot);
    a.set_weight(view.weight);
    a.set_amount(view.amount);
    a.set_here_name(view.here_name);
    a.set_stock_here(view.stock_here);
    a.set_stock_here_age(view.stock_here_age);
    a.set_others(ModelRc::new(VecModel::from(view.others)));
    a.set_ordered_number("".into());
    a.set_order_problem(OrderProblem::None);
    window.global::<AppAdapter>().set_page(Page::Product);
}

/// Orders the product on show for the identified customer (endless aisle).
fn order_for_customer(
    session: &mut Session,
    quantity: i64,
    delivery: Delivery,
    pickup_store: Option<&str>,
) -> Result<String, OrderProblem> {
    let customer = session
        .customer
        .as_ref()
        .map(|c| c.id.clone())
        .ok_or(OrderProblem::NoCustomer)?;
    let gtin = session
        .product
        .as_ref()
        .map(|card| card.product.gtin.as_str().to_owned())
        .ok_or(OrderProblem::Failed)?;
    let staff = session
        .staff
        .as_ref()
        .map_or_else(|| "unknown".to_owned(), |s| s.login.clone());
    let (terminal, store_code) = (
        session.config.terminal_id.clone(),
        session.config.store_code.clone(),
    );
    crate::app::pickup::order_for_customer(
        &mut session.store,
        &customer,
        &gtin,
        quantity,
        delivery,
        pickup_store,
        crate::app::customer::Counter {
            staff: &staff,
            terminal: &terminal,
            store_code: &store_code,
            now: super::session::now(),
        },
        chrono::Utc::now().date_naive(),
    )
    .map(|ordered| ordered.order_number)
    .map_err(|error| order_problem(&error))
}

/// The kind the page words for a refused order; what it cannot word is logged.
fn order_problem(error: &PickupAppError) -> OrderProblem {
    match error {
        PickupAppError::ZeroQuantity => OrderProblem::Quantity,
        PickupAppError::NoStoreHasEnough => OrderProblem::NoStoreHasEnough,
        other => {
            tracing::error!(error = %other, "the order for the customer failed");
            OrderProblem::Failed
        }
    }
}

pub fn setup(window: &AppWindow, worker: &Worker) {
    let weak = window.as_weak();
    let w = worker.clone();
    window
        .global::<ProductAdapter>()
        .on_add_to_basket(move |quantity| {
            let weak = weak.clone();
            w.run(move |session| super::scan::add_shown(session, &weak, i64::from(quantity)));
        });
    let (weak, w) = (window.as_weak(), worker.clone());
    window
        .global::<ProductAdapter>()
        .on_order(move |quantity, pickup| {
            let delivery = if pickup {
                Delivery::Pickup
            } else {
                Delivery::Home
            };
            order_and_show(&weak, &w, quantity, delivery, None);
        });
    let (weak, w) = (window.as_weak(), worker.clone());
    window
        .global::<ProductAdapter>()
        .on_order_at(move |quantity, store| {
            let store = store.to_string();
            order_and_show(&weak, &w, quantity, Delivery::Pickup, Some(store));
        });
}

/// Orders the product on show off the UI thread, then shows its number or what went wrong.
fn order_and_show(
    weak: &slint::Weak<AppWindow>,
    worker: &Worker,
    quantity: i32,
    delivery: Delivery,
    pickup_store: Option<String>,
) {
    let weak = weak.clone();
    worker.run(move |session| {
        let outcome = order_for_customer(
            session,
            i64::from(quantity),
            delivery,
            pickup_store.as_deref(),
        );
        let _ = weak.upgrade_in_event_loop(move |window| {
            let a = window.global::<ProductAdapter>();
            match outcome {
                Ok(number) => {
                    a.set_ordered_number(number.into());
                    a.set_order_problem(OrderProblem::None);
                }
                Err(problem) => a.set_order_problem(problem),
            }
        });
    });
}
