//! Issue 14, « Mettre en attente »: a customer who went to fetch something does not block the
//! queue. Their basket is parked from the basket page, the next customer is served, the terminal
//! restarts (a new window and a new connection on the same database file), and the parked
//! basket is still listed with who parked it, then resumed whole. Part of the UI journey in
//! `ui.rs` (Slint's platform is set once per process).

use comptoir::config::Config;
use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::ui::{AppAdapter, AppWindow, BasketAdapter, LoginAdapter, Page};
use slint::{ComponentHandle, Model};

use crate::ui::{log_in, press_enter, tap, type_keys, wait_for};
use crate::util::seeded_db;

fn open_terminal(db: &std::path::Path) -> AppWindow {
    let store = Store::open(db).expect("open");
    let window = comptoir::ui::build_window(&Config::default(), store).expect("window");
    window.show().expect("show");
    wait_for(&window, "the staff list", |w| {
        w.global::<LoginAdapter>().get_staff().row_count() > 0
    });
    log_in(&window, "Camille Martin", "1234");
    wait_for(&window, "the scan page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Scan
    });
    window
}

fn scan(window: &AppWindow, n: u64, count: i32) {
    type_keys(window, demo::product(n).gtin.as_str());
    press_enter(window);
    wait_for(window, "the scanned line", move |w| {
        w.global::<BasketAdapter>().get_item_count() == count
    });
}

pub fn a_parked_basket_survives_a_restart() {
    let db = seeded_db(300);
    let window = open_terminal(&db.path);
    scan(&window, 1, 1);
    scan(&window, 2, 2);
    let total = window.global::<BasketAdapter>().get_total();

    tap(&window, "Voir le panier");
    wait_for(&window, "the basket page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Basket
    });
    tap(&window, "Mettre en attente");
    wait_for(&window, "the parked basket", |w| {
        let basket = w.global::<BasketAdapter>();
        basket.get_item_count() == 0 && basket.get_parked().row_count() == 1
    });
    // The next customer is served meanwhile.
    tap(&window, "Scanner");
    scan(&window, 4, 1);
    drop(window);

    // The terminal restarts: the parked basket is still there, with who parked it.
    let window = open_terminal(&db.path);
    wait_for(&window, "the open basket after the restart", |w| {
        w.global::<BasketAdapter>().get_item_count() == 1
    });
    tap(&window, "Voir le panier");
    wait_for(&window, "the basket page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Basket
    });
    wait_for(&window, "the parked baskets", |w| {
        w.global::<BasketAdapter>().get_parked().row_count() == 1
    });
    let parked = window
        .global::<BasketAdapter>()
        .get_parked()
        .row_data(0)
        .expect("parked");
    assert_eq!(parked.item_count, 2);
    assert_eq!(parked.total, total);
    assert_eq!(parked.parked_by, "camille");
    tap(&window, "Paniers en attente");
    tap(&window, &format!("Reprendre le panier {}", parked.id));
    wait_for(&window, "the resumed basket", move |w| {
        let basket = w.global::<BasketAdapter>();
        basket.get_item_count() == 2 && basket.get_total() == total
    });
    // The basket that was open in its place is parked, not lost.
    wait_for(&window, "the other basket parked", |w| {
        let parked = w.global::<BasketAdapter>().get_parked();
        parked.row_count() == 1 && parked.row_data(0).is_some_and(|p| p.item_count == 1)
    });
}
