//! Issue 16 on the screen: a sale's receipt code typed into the « Retours » page opens the sale
//! (not an online order), one unit goes back on a store credit whose code the page shows, and
//! the same unit cannot be chosen again. Part of the UI journey in `ui.rs`.

use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::ui::{
    AppAdapter, BasketAdapter, CheckoutAdapter, CreditProblem, OverrideProblem, Page, RefundMethod,
    ReturnAdapter, ReturnProblem,
};
use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use slint::{ComponentHandle, Model};

use crate::ui::{press_enter, seller_screen, shows_text, tap, type_keys, wait_for};
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

    let terminal = seller_screen(&db.path, "Hugo Bernard", "5678");
    let window = &terminal.window;

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
        w.global::<ReturnAdapter>().get_problem() != ReturnProblem::None
    });
    assert_eq!(
        window.global::<ReturnAdapter>().get_problem(),
        ReturnProblem::Forged
    );
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
        w.global::<ReturnAdapter>().get_problem() != ReturnProblem::None
    });
    assert_eq!(a.get_problem(), ReturnProblem::NothingChosen);
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
    // A code this terminal never heard of, with no central to ask: refused in French words,
    // nothing paid.
    checkout.set_credit_code("AV-0000-0000-0000".into());
    tap(window, "Valider le paiement");
    wait_for(window, "the unknown credit refused", |w| {
        w.global::<CheckoutAdapter>().get_credit_problem() == CreditProblem::UnknownOffline
    });
    assert!(shows_text(
        window,
        "Avoir inconnu ici et le siège ne répond pas : réessayez en ligne, ou payez autrement"
    ));
    assert!(!checkout.get_completed());
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

/// A key of the keypad, not the text of a quantity that reads the same.
fn press_key(window: &comptoir::ui::AppWindow, label: &str) {
    let key = ElementHandle::find_by_accessible_label(window, label)
        .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
        .unwrap_or_else(|| panic!("no key {label:?}"));
    key.invoke_accessible_default_action();
}

/// Issue 16 on the screen: goods brought back without a receipt are scanned into the returns
/// page, a manager approves with their PIN (a wrong one refused, nothing written), and the
/// refund is a store credit at the lowest price of the last 30 days; « Échanger » then spends
/// that credit on new goods, and the new ticket's receipt prints the exchange.
pub fn an_exchange_without_a_receipt_on_the_screen() {
    let db = seeded_db(300);
    let back = demo::product(5);
    let terminal = seller_screen(&db.path, "Hugo Bernard", "5678");
    let window = &terminal.window;
    tap(window, "Retours");
    tap(window, "Sans ticket");
    wait_for(window, "the return without a receipt", |w| {
        w.global::<ReturnAdapter>().get_no_receipt()
    });
    assert!(shows_text(window, "Retour sans ticket"));
    // Two units of one product, scanned by the keyboard-wedge scanner into the page's field.
    for _ in 0..2 {
        type_keys(window, back.gtin.as_str());
        press_enter(window);
    }
    wait_for(window, "two units brought back", |w| {
        w.global::<ReturnAdapter>()
            .get_lines()
            .row_data(0)
            .is_some_and(|l| l.chosen == 2)
    });
    // A text that is no product says why and adds nothing.
    let a = window.global::<ReturnAdapter>();
    a.invoke_find("not a product".into());
    wait_for(window, "the unknown code refused", |w| {
        w.global::<ReturnAdapter>().get_problem() != ReturnProblem::None
    });
    assert_eq!(a.get_problem(), ReturnProblem::NotAProduct);
    assert_eq!(a.get_lines().row_count(), 1);

    let check = Store::open(&db.path).expect("open");
    let journal = check.journal_len("T01").expect("journal");
    tap(window, "Valider le retour");
    assert!(a.get_needs_manager(), "a manager approves first");
    // A wrong PIN is refused, and nothing is written.
    tap(window, "Amélie Dubois");
    for digit in ["1", "1", "1", "1"] {
        press_key(window, digit);
    }
    tap(window, "Autoriser");
    wait_for(window, "the wrong PIN refused", |w| {
        w.global::<ReturnAdapter>().get_approval_problem() == OverrideProblem::WrongPin
    });
    assert!(a.get_done_ticket().is_empty());
    assert_eq!(check.journal_len("T01").expect("journal"), journal);
    for digit in ["2", "4", "6", "8"] {
        press_key(window, digit);
    }
    tap(window, "Autoriser");
    wait_for(window, "the return recorded", |w| {
        !w.global::<ReturnAdapter>().get_done_ticket().is_empty()
    });
    assert_eq!(check.journal_len("T01").expect("journal"), journal + 1);
    let credit = a.get_credit_code().to_string();
    let known = check.known_credit(&credit).expect("read").expect("issued");
    // Never sold here: the shelf price is the lowest of the last 30 days.
    assert_eq!(known.balance_cents, back.price.get() * 2);

    // « Échanger »: the credit pays the new goods first, the card the rest.
    tap(window, "Échanger");
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Scan);
    let dear = demo::product(6);
    let quantity = known.balance_cents / dear.price.get() + 1;
    for _ in 0..quantity {
        type_keys(window, dear.gtin.as_str());
        press_enter(window);
    }
    wait_for(window, "the new goods", move |w| {
        w.global::<BasketAdapter>()
            .get_lines()
            .row_data(0)
            .is_some_and(|l| i64::from(l.quantity) == quantity)
    });
    tap(window, "Encaisser");
    let checkout = window.global::<CheckoutAdapter>();
    assert_eq!(checkout.get_credit_code(), credit.as_str());
    tap(window, "Valider le paiement");
    wait_for(window, "the exchange paid", |w| {
        w.global::<CheckoutAdapter>().get_completed()
    });
    let ticket = checkout.get_ticket_number().to_string();
    let sale = check.stored_sale(&ticket).expect("read").expect("the sale");
    let paid = |method: &str| -> i64 {
        sale.payments
            .iter()
            .filter(|(m, _)| m.as_str() == method)
            .map(|(_, c)| c.get())
            .sum()
    };
    assert_eq!(paid("credit"), back.price.get() * 2);
    assert_eq!(paid("credit") + paid("card"), dear.price.get() * quantity);
    let receipt = comptoir(&db.path)
        .args(["receipt", &ticket, "--text"])
        .output()
        .expect("receipt");
    assert_success(&receipt);
    let text = String::from_utf8_lossy(&receipt.stdout);
    assert!(text.contains("ÉCHANGE"), "{text}");
    assert!(text.contains(&back.name[..10]), "{text}");
    tap(window, "Client suivant");
    window.hide().expect("hide");
}
