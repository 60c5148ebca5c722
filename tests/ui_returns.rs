//! Issue 16 on the screen: a sale's receipt code typed into the « Retours » page opens the sale
//! (not an online order), one unit goes back on a store credit whose code the page shows, and
//! the same unit cannot be chosen again. Part of the UI journey in `ui.rs`.

use comptoir::config::Config;
use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::ui::{
    AppAdapter, BasketAdapter, CheckoutAdapter, LoginAdapter, Page, RefundMethod, ReturnAdapter,
};
use slint::{ComponentHandle, Model};

use crate::ui::{log_in, press_enter, shows_text, tap, type_keys, wait_for};
use crate::util::{assert_success, comptoir, json_of, seeded_db};

pub fn a_receipt_returned_on_the_screen() {
    let db = seeded_db(300);
    let product = demo::product(5);
    let sold = comptoir(&db.path)
        .args(["sell", product.gtin.as_str(), "--pay", "card", "--json"])
        .output()
        .expect("sell");
    assert_success(&sold);
    let code = json_of(&sold)["receipt_code"]
        .as_str()
        .expect("receipt code")
        .to_owned();

    let store = Store::open(&db.path).expect("open");
    let terminal = comptoir::ui::build_terminal(&Config::default(), store).expect("terminal");
    let window = &terminal.window;
    window.show().expect("show");
    wait_for(window, "the staff list", |w| {
        w.global::<LoginAdapter>().get_staff().row_count() == demo::STAFF.len()
    });
    log_in(window, "Hugo Bernard", "5678");
    wait_for(window, "the seller logged in", |w| {
        w.global::<AppAdapter>().get_page() != Page::Login
    });

    // The receipt's code scanned on the scan page (a keyboard-wedge scanner) opens the returns
    // page with its sale, not the basket.
    tap(window, "Scanner");
    type_keys(window, &code);
    press_enter(window);
    wait_for(window, "the sale on the returns page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Returns
            && w.global::<ReturnAdapter>().get_loaded()
    });
    assert!(window.global::<ReturnAdapter>().get_is_sale());
    assert!(shows_text(window, "Retour d'un achat en magasin"));
    window.global::<ReturnAdapter>().invoke_new_return();
    wait_for(window, "an empty page", |w| {
        !w.global::<ReturnAdapter>().get_loaded()
    });
    tap(window, "Retours");
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Returns);

    // A forged code is refused with the reason, and nothing loads.
    let forged = format!("{}0000000000000000", &code[..code.len() - 16]);
    window.global::<ReturnAdapter>().invoke_find(forged.into());
    wait_for(window, "the forged code refused", |w| {
        !w.global::<ReturnAdapter>().get_problem().is_empty()
    });
    assert!(!window.global::<ReturnAdapter>().get_loaded());

    // The genuine code opens the sale: its one line, nothing returned yet.
    window
        .global::<ReturnAdapter>()
        .invoke_find(code.as_str().into());
    wait_for(window, "the sale", |w| {
        w.global::<ReturnAdapter>().get_loaded()
    });
    let a = window.global::<ReturnAdapter>();
    assert_eq!(
        a.get_order_title(),
        format!(
            "PAR-01/{}",
            &json_of(&sold)["ticket"].as_str().expect("ticket")
        )
    );
    let lines = a.get_lines();
    assert_eq!(lines.row_count(), 1);
    let line = lines.row_data(0).expect("a line");
    assert_eq!((line.bought, line.returned), (1, 0));
    a.invoke_choose(0, 1);
    wait_for(window, "one unit chosen", |w| {
        w.global::<ReturnAdapter>()
            .get_lines()
            .row_data(0)
            .is_some_and(|l| l.chosen == 1)
    });
    a.invoke_confirm(RefundMethod::Credit);
    wait_for(window, "the return", |w| {
        !w.global::<ReturnAdapter>().get_done_ticket().is_empty()
    });
    let credit = a.get_credit_code().to_string();
    assert!(credit.starts_with("AV-"), "{credit}");
    let check = Store::open(&db.path).expect("open");
    let known = check.known_credit(&credit).expect("read").expect("issued");
    assert_eq!(known.balance_cents, product.price.get());

    // The same receipt again: the unit is shown as returned and cannot be chosen.
    let journal = check.journal_len("T01").expect("journal");
    a.invoke_new_return();
    wait_for(window, "an empty page", |w| {
        !w.global::<ReturnAdapter>().get_loaded()
    });
    a.invoke_find(code.as_str().into());
    wait_for(window, "the sale again, its unit returned", |w| {
        w.global::<ReturnAdapter>()
            .get_lines()
            .row_data(0)
            .is_some_and(|l| l.returned == 1 && l.chosen == 0)
    });
    // Asking for it anyway chooses nothing, and confirming nothing is refused.
    a.invoke_choose(0, 1);
    a.invoke_confirm(RefundMethod::Cash);
    wait_for(window, "nothing to return", |w| {
        !w.global::<ReturnAdapter>().get_problem().is_empty()
    });
    let line = a.get_lines().row_data(0).expect("a line");
    assert_eq!((line.returned, line.chosen), (1, 0));
    assert_eq!(check.journal_len("T01").expect("journal"), journal);

    // The credit pays part of the next sale at the checkout; the card pays the rest.
    a.invoke_new_return();
    tap(window, "Scanner");
    let dear = demo::product(6);
    let quantity = product.price.get() / dear.price.get() + 1;
    for _ in 0..quantity {
        type_keys(window, dear.gtin.as_str());
        press_enter(window);
    }
    wait_for(window, "the basket", move |w| {
        w.global::<BasketAdapter>()
            .get_lines()
            .row_data(0)
            .is_some_and(|l| i64::from(l.quantity) == quantity)
    });
    tap(window, "Encaisser");
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Checkout);
    let checkout = window.global::<CheckoutAdapter>();
    checkout.set_credit_code(credit.as_str().into());
    tap(window, "Valider le paiement");
    wait_for(window, "the sale paid", |w| {
        w.global::<CheckoutAdapter>().get_completed()
    });
    assert_eq!(
        checkout.get_paid_credit(),
        comptoir::domain::money::Cents::new(product.price.get())
            .format_fr()
            .as_str()
    );
    let total = dear.price.get() * quantity;
    let sale = check
        .stored_sale(checkout.get_ticket_number().as_str())
        .expect("read")
        .expect("the sale");
    let paid: i64 = sale.payments.iter().map(|(_, cents)| cents.get()).sum();
    assert_eq!(paid, total);
    assert!(
        sale.payments
            .iter()
            .any(|(m, c)| m.as_str() == "credit" && c.get() == product.price.get())
    );
    let left = check.known_credit(&credit).expect("read").expect("known");
    assert_eq!(left.balance_cents, 0);
    assert!(checkout.get_credit_code().is_empty(), "spent, then cleared");
    tap(window, "Client suivant");
    window.hide().expect("hide");
}
