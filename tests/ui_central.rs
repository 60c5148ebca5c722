//! The staff screen of a terminal enrolled with the real central on loopback (issue 14): what it
//! asks the central on demand — fresh network stock on the product page, the customer's view and
//! the customer search — goes through the terminal's one runtime (`app::central::Central`) and
//! reaches the page. Part of the UI journey in `ui.rs` (Slint's platform is set once per process).

use comptoir::config::Config;
use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::ui::{AppAdapter, CustomerAdapter, Page, ProductAdapter, StatusAdapter, ViewSource};
use slint::{ComponentHandle, Model};

use crate::sync::{RunningCentral, central_dir, enrolled_terminal};
use crate::ui::{log_in, press_enter, shows_text, tap, type_keys, wait_for};
use crate::util::central_sign;

/// What a stale cache says of a store's stock: the central's answer must replace it.
const STALE_QTY: i64 = 999;

pub fn the_screen_asks_the_central_through_one_runtime() {
    let data = central_dir(300);
    let central = RunningCentral::start(data.path(), "127.0.0.1:0");
    let db = enrolled_terminal(data.path(), &central.url());
    let product = demo::product(7);
    // The terminal's cache of other stores' stock is stale (as if the last sync were old).
    let conn = rusqlite::Connection::open(&db.path).expect("open");
    let stale = conn
        .execute(
            "UPDATE stock SET qty = ?1, as_of = 0 WHERE gtin = ?2
             AND location_id <> (SELECT id FROM location WHERE code = ?3)",
            rusqlite::params![
                STALE_QTY,
                product.gtin.as_str().parse::<i64>().expect("gtin"),
                demo::HERE_CODE
            ],
        )
        .expect("make the cache stale");
    assert!(stale > 0, "the product has stock elsewhere");
    drop(conn);

    let store = Store::open(&db.path).expect("open");
    let window = comptoir::ui::build_window(&Config::default(), store).expect("window");
    window.show().expect("show");
    wait_for(&window, "the staff list", |w| {
        w.global::<comptoir::ui::LoginAdapter>()
            .get_staff()
            .row_count()
            > 0
    });
    log_in(&window, "Camille Martin", "1234");
    wait_for(&window, "the scan page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Scan
    });

    // The product page shows the cache at once, then the central's fresh levels.
    type_keys(&window, product.gtin.as_str());
    press_enter(&window);
    wait_for(&window, "the scanned line", |w| {
        w.global::<AppAdapter>().get_basket_count() == 1
    });
    tap(&window, &format!("Fiche de {}", product.name));
    wait_for(&window, "the fresh network stock", |w| {
        let others = w.global::<ProductAdapter>().get_others();
        w.global::<AppAdapter>().get_page() == Page::Product
            && others.row_count() > 0
            && others.iter().all(|row| i64::from(row.qty) != STALE_QTY)
    });

    // A customer's card opens from the cache, then the central's view replaces it.
    let customer = demo::customer(9);
    let code = central_sign(data.path(), "loyalty", &customer.public_id);
    tap(&window, "Scanner");
    type_keys(&window, &code);
    press_enter(&window);
    wait_for(&window, "the central's view of the customer", |w| {
        let page = w.global::<CustomerAdapter>();
        page.get_shown() && page.get_source() == ViewSource::Central
    });
    // The central's view says « à jour » only while the status bar says the line is up.
    let status = window.global::<StatusAdapter>();
    status.set_online(true);
    assert!(shows_text(&window, "Fiche du siège, à jour"));
    status.set_online(false);
    assert!(!shows_text(&window, "Fiche du siège, à jour"));
    assert!(shows_text(
        &window,
        "Hors ligne : fiche du siège lue avant la coupure"
    ));

    // The search asks the central first.
    let page = window.global::<CustomerAdapter>();
    page.invoke_search(customer.last_name.into());
    wait_for(&window, "the central's search results", |w| {
        let page = w.global::<CustomerAdapter>();
        page.get_searched() && page.get_results().row_count() > 0
    });
    assert!(!page.get_results_from_cache(), "the central answered");

    // Stopped, the central is not asked: the search says the results are the cache's.
    drop(central);
    page.invoke_search(customer.last_name.into());
    wait_for(&window, "the cached search results", |w| {
        w.global::<CustomerAdapter>().get_results_from_cache()
    });
}
