//! Fresh network stock for the product on show: asked of the central on the terminal's runtime
//! (`app::network_stock`), never on the UI thread or the app worker; the answer is cached by the
//! worker and the product page refreshed if it still shows that product. Offline, the page keeps
//! the cached levels and their age.

use slint::ComponentHandle;

use crate::app::network_stock;
use crate::app::terminal::store_name;

use super::session::Session;
use super::worker::Worker;
use super::{AppAdapter, AppWindow, Page, product};

/// Asks the central for the stock everywhere of the product on show, then refreshes its page.
pub fn refresh(session: &Session, weak: slint::Weak<AppWindow>, worker: Worker) {
    let Some(card) = &session.product else {
        return;
    };
    network_stock::ask(
        &session.central,
        &session.store,
        card.product.gtin.as_str(),
        move |answer| {
            worker.run(move |session| {
                let here = session.config.store_code.clone();
                if let Err(error) = network_stock::take(&mut session.store, &answer) {
                    tracing::warn!(%error, "cannot cache fresh network stock");
                    return;
                }
                let Some(card) = session.product.as_mut() else {
                    return;
                };
                match network_stock::restock(&session.store, &answer, card, &here) {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(error) => {
                        tracing::warn!(%error, "cannot read the refreshed stock");
                        return;
                    }
                }
                let card = &*card;
                let view = product::view(card, &store_name(&session.store, &here), session.lang);
                let _ = weak.upgrade_in_event_loop(move |window| {
                    // The staff may have moved on: refresh the page, never bring it back.
                    if window.global::<AppAdapter>().get_page() == Page::Product {
                        product::apply(&window, view);
                    }
                });
            });
        },
    );
}
