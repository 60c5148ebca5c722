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
                let taken = network_stock::take(
                    &mut session.store,
                    &answer,
                    session.product.as_mut(),
                    &here,
                );
                let card = match taken {
                    Ok(true) => session.product.as_ref(),
                    Ok(false) => None,
                    Err(error) => {
                        tracing::warn!(%error, "cannot cache fresh network stock");
                        None
                    }
                };
                let Some(card) = card else { return };
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
