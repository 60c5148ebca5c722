//! The kiosk's pages for `comptoir shot`, filled with demo data by the same functions its worker
//! runs. A screenshot writes nothing: the demo customer's view is built here, not opened (no
//! access log, no cache).

use crate::domain::catalog::PriceUnit;
use crate::domain::customer::{CartItem, CustomerView, ViewSource};
use crate::domain::demo;
use crate::ui::KioskWindow;
use crate::ui::shot::ShotError;

use super::session::KioskSession;
use super::{customer, product, search, wipe};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KioskShot {
    Home,
    Product,
    Customer,
    Search,
    /// The product page with the customer's call for a seller made.
    Call,
    /// The product page for a customer whose card was scanned: « Réserver » elsewhere.
    Reserve,
}

pub fn fill(window: &KioskWindow, session: KioskSession, page: KioskShot) -> Result<(), ShotError> {
    use slint::ComponentHandle;
    wipe::clear(window);
    window
        .global::<crate::ui::KioskAdapter>()
        .set_store_name(session.here_name().into());
    match page {
        KioskShot::Home => {}
        KioskShot::Search => {
            let query = "pull laine";
            let adapter = window.global::<crate::ui::KioskAdapter>();
            adapter.set_query(query.into());
            search::apply(window, search::results(&session, query), true);
            adapter.set_page(crate::ui::KioskPage::Search);
        }
        KioskShot::Product | KioskShot::Call | KioskShot::Reserve => {
            // A product this store has, that several other places have too.
            let view = (0..200)
                .filter(|&i| in_stock_here(i) && sold_by_piece(i))
                .find_map(|i| {
                    product::look_up(&session, demo::product(i).gtin.as_str())
                        .ok()
                        .filter(|view| view.elsewhere.len() >= 5)
                })
                .ok_or_else(|| {
                    ShotError::Demo("no demo product in stock here and elsewhere".into())
                })?;
            product::apply(window, view, false);
            let adapter = window.global::<crate::ui::KioskAdapter>();
            match page {
                KioskShot::Call => adapter.set_call(crate::ui::KioskCall::Called),
                KioskShot::Reserve => {
                    // As after a card scan; a screenshot opens no customer (no access log).
                    adapter.set_can_reserve(true);
                    adapter.set_reserve_hint(false);
                }
                _ => {}
            }
        }
        KioskShot::Customer => {
            let who = demo::customer(0);
            // Two lines on the shelves here, one that is not.
            let mut lines: Vec<u64> = (1..200)
                .filter(|&i| in_stock_here(i) && sold_by_piece(i))
                .take(2)
                .collect();
            lines.extend((1..200).find(|&i| !in_stock_here(i) && sold_by_piece(i)));
            let now = crate::ui::session::now();
            let online_cart = lines
                .iter()
                .zip(1..)
                .map(|(&i, quantity)| {
                    let p = demo::product(i);
                    CartItem {
                        gtin: p.gtin.as_str().to_owned(),
                        name: p.name.clone(),
                        quantity: quantity.min(2),
                        // The web shop's price: a little under the store's, as often.
                        online_price_cents: p.price.get() * 95 / 100,
                        added_at: now - 86_400,
                    }
                })
                .collect();
            let view = CustomerView {
                id: who.public_id.clone(),
                first_name: who.first_name.to_owned(),
                last_name: who.last_name.to_owned(),
                email: Some(who.email.clone()),
                phone: Some(who.phone.clone()),
                tier: who.tier.to_owned(),
                loyalty_points: who.loyalty_points,
                consents: Vec::new(),
                purchases: Vec::new(),
                returns: Vec::new(),
                online_cart,
                wishlist: Vec::new(),
                notes: Vec::new(),
                source: ViewSource::Central,
                fetched_at: now,
            };
            customer::apply(window, customer::page(&session, &view.for_kiosk()));
        }
    }
    Ok(())
}

fn in_stock_here(index: u64) -> bool {
    demo::stock(index, 0).0 > 0
}

fn sold_by_piece(index: u64) -> bool {
    demo::product(index).price_unit == PriceUnit::Each
}
