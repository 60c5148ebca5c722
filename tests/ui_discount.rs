//! Issue 15, the screens: a seller gives a line 5 % with a reason from the line's menu, and the
//! basket shows the discount under the line and the lower total; then 30 %, past the seller's
//! 10 %, opens the manager's PIN pad, and the manager's PIN applies it. Part of the UI journey
//! in `ui.rs` (Slint's platform is set once per process).

use comptoir::config::Config;
use comptoir::domain::demo;
use comptoir::domain::discount::Discount;
use comptoir::store::Store;
use comptoir::ui::{AppAdapter, BasketAdapter, DiscountAdapter, LoginAdapter, Page};
use slint::{ComponentHandle, Model};

use crate::ui::{log_in, press_enter, shows_text, tap, type_keys, wait_for};
use crate::util::seeded_db;

/// What line 0 takes off, as the basket shows it ("" when nothing).
fn first_discount(window: &comptoir::ui::AppWindow) -> String {
    window
        .global::<BasketAdapter>()
        .get_lines()
        .row_data(0)
        .and_then(|line| line.discounts.row_data(0))
        .map(|d| d.amount.to_string())
        .unwrap_or_default()
}

pub fn a_discount_past_the_limit_needs_a_manager() {
    let db = seeded_db(300);
    let store = Store::open(&db.path).expect("open");
    let window = comptoir::ui::build_window(&Config::default(), store).expect("window");
    let window = &window;
    window.show().expect("show");
    wait_for(window, "the staff list", |w| {
        w.global::<LoginAdapter>().get_staff().row_count() > 0
    });
    log_in(window, "Camille Martin", "1234");
    wait_for(window, "the scan page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Scan
    });
    // One unit: neither demo promotion applies to a single unit.
    let product = demo::product(1);
    type_keys(window, product.gtin.as_str());
    press_enter(window);
    wait_for(window, "the scanned line", |w| {
        w.global::<BasketAdapter>().get_item_count() == 1
    });
    let shelf_total = window.global::<BasketAdapter>().get_total();
    assert_eq!(shelf_total, product.price.format_fr());

    tap(window, "Voir le panier");
    wait_for(window, "the basket page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Basket
    });
    tap(window, &format!("Actions : {}", product.name));
    tap(window, "Remise");
    assert!(window.global::<DiscountAdapter>().get_shown());
    tap(window, "5");
    tap(window, "Geste commercial");
    tap(window, "Appliquer");
    let five = Discount::Percent { basis_points: 500 }
        .off(product.price)
        .expect("5 %");
    let five_text = five.format_fr();
    wait_for(window, "the line's 5 %", move |w| {
        !w.global::<DiscountAdapter>().get_shown() && first_discount(w) == five_text
    });
    let net = product.price.checked_sub(five).expect("net");
    assert_eq!(
        window.global::<BasketAdapter>().get_total(),
        net.format_fr()
    );
    assert!(shows_text(window, "Remise · Geste commercial"));
    assert!(shows_text(
        window,
        &format!("Vous économisez {}", five.format_fr())
    ));

    // 30 % is past a seller's 10 %: the manager's PIN pad, then their PIN applies it.
    tap(window, "Remise");
    tap(window, "3");
    tap(window, "0");
    tap(window, "Geste commercial");
    tap(window, "Appliquer");
    wait_for(window, "the manager's PIN pad", |w| {
        w.global::<DiscountAdapter>().get_needs_manager()
    });
    assert!(shows_text(
        window,
        "Au-delà de 10 % : un responsable autorise"
    ));
    assert_eq!(
        first_discount(window),
        five.format_fr(),
        "nothing changed yet"
    );
    tap(window, "Amélie Dubois");
    for digit in ["2", "4", "6", "8"] {
        tap(window, digit);
    }
    tap(window, "Autoriser");
    let thirty = Discount::Percent { basis_points: 3000 }
        .off(product.price)
        .expect("30 %")
        .format_fr();
    wait_for(window, "the manager's 30 %", move |w| {
        !w.global::<DiscountAdapter>().get_shown() && first_discount(w) == thirty
    });

    // « Retirer la remise »: back to the shelf price.
    tap(window, "Retirer la remise");
    let shelf = shelf_total.clone();
    wait_for(window, "the shelf price again", move |w| {
        w.global::<BasketAdapter>().get_total() == shelf && first_discount(w).is_empty()
    });
}
