//! What cannot be undone is asked first (issue 14), on the real UI under Slint's testing backend:
//! a day closing shows its figures and is written only with the manager's right PIN; « Tout
//! remettre » at the pickup counter asks before handing everything over unchecked. It runs
//! inside the one UI test of `ui.rs` (Slint's platform is set once per process: a second
//! `#[test]` could not set it again).

use comptoir::config::Config;
use comptoir::domain::demo;
use comptoir::domain::money::Cents;
use comptoir::store::Store;
use comptoir::ui::PickupAdapter;
use comptoir::ui::{AppAdapter, ClosingPinProblem, Handed, LoginAdapter, ManagerAdapter};
use slint::{ComponentHandle, Model};

use crate::ui::{log_in, shows_text, tap, wait_for};
use crate::util::{assert_success, comptoir, seeded_db};

/// How many closings of `period` the journal of terminal T01 holds.
fn closings(store: &Store, period: &str) -> usize {
    store
        .closings("T01")
        .expect("closings")
        .iter()
        .filter(|c| c.period == period)
        .count()
}

pub fn what_cannot_be_undone_is_asked_first() {
    let db = seeded_db(300);
    // Two sales of the day, by card and in cash, through the real till.
    let (a, b) = (demo::product(1), demo::product(2));
    for (product, pay) in [(&a, "card"), (&b, "cash")] {
        let output = comptoir(&db.path)
            .args(["sell", product.gtin.as_str(), "--pay", pay])
            .output()
            .expect("comptoir sell");
        assert_success(&output);
    }
    let check = Store::open(&db.path).expect("open");
    let store = Store::open(&db.path).expect("open");
    let terminal = comptoir::ui::build_terminal(&Config::default(), store).expect("terminal");
    let window = &terminal.window;
    window.show().expect("show");
    wait_for(window, "the staff list", |w| {
        w.global::<LoginAdapter>().get_staff().row_count() == demo::STAFF.len()
    });
    log_in(window, "Amélie Dubois (responsable)", "2468");
    wait_for(window, "the manager logged in", |w| {
        w.global::<AppAdapter>().get_manager()
    });
    // The journal as it is once the terminal has started (its start is an entry).
    let journal_before = check.journal_len("T01").expect("journal");

    // « Clôturer la journée » shows what the closing would record, and writes nothing yet.
    tap(window, "Gestion");
    tap(window, "Clôturer la journée");
    // The blind count of the drawer comes first; `ui_drawer` counts, this closes without.
    tap(window, "Clôturer sans comptage");
    wait_for(window, "the closing's figures", |w| {
        w.global::<ManagerAdapter>().get_previewing()
    });
    let manager = window.global::<ManagerAdapter>();
    let preview = manager.get_preview();
    let day_total = Cents::new(a.price.get() + b.price.get()).format_fr();
    assert_eq!(preview.tickets, 2);
    assert_eq!(preview.total, day_total.as_str());
    assert!(shows_text(window, "2 tickets"));
    assert!(shows_text(
        window,
        &format!("Total de la période : {day_total}")
    ));
    assert!(preview.vat.row_count() >= 1, "a line per VAT rate");
    let methods: Vec<String> = (0..preview.payments.row_count())
        .filter_map(|i| preview.payments.row_data(i))
        .map(|row| row.method.to_string())
        .collect();
    assert_eq!(methods, ["card", "cash"]);
    assert!(shows_text(window, "Code du responsable"));
    assert_eq!(check.journal_len("T01").expect("journal"), journal_before);

    // A wrong PIN is refused, says how many attempts are left, and writes nothing.
    for digit in ["1", "3", "5", "7"] {
        tap(window, digit);
    }
    assert!(shows_text(window, "4 chiffres saisis"));
    tap(window, "Confirmer la clôture");
    wait_for(window, "the wrong PIN", |w| {
        w.global::<ManagerAdapter>().get_pin_problem() == ClosingPinProblem::WrongPin
    });
    assert!(shows_text(window, "Code incorrect, encore 4 essais"));
    assert!(manager.get_previewing());
    assert!(!manager.get_last_closing().done);
    assert_eq!(closings(&check, "day"), 0);
    assert_eq!(check.journal_len("T01").expect("journal"), journal_before);

    // The right PIN writes the closing the page showed.
    for digit in ["2", "4", "6", "8"] {
        tap(window, digit);
    }
    tap(window, "Confirmer la clôture");
    wait_for(window, "the day closing", |w| {
        w.global::<ManagerAdapter>().get_last_closing().done
    });
    assert!(!manager.get_previewing());
    assert!(shows_text(window, "Clôture du jour enregistrée (Z)"));
    let written = check.closings("T01").expect("closings");
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].ticket_count, 2);
    assert_eq!(written[0].total_cents, a.price.get() + b.price.get());
    assert_eq!(manager.get_last_closing().total, day_total.as_str());

    // A month closing cancelled leaves the journal as it was.
    tap(window, "Clôturer le mois");
    wait_for(window, "the month's figures", |w| {
        w.global::<ManagerAdapter>().get_previewing()
    });
    tap(window, "Annuler");
    assert!(!manager.get_previewing());
    assert_eq!(closings(&check, "month"), 0);

    // « Tout remettre » asks first; cancelled, nothing is handed over.
    let order = check
        .pickup_orders(&Config::default().store_code)
        .expect("orders")
        .into_iter()
        .find(|o| o.conflict.is_none() && !o.left().is_empty() && o.handed_here.is_empty())
        .expect("a demo order ready to collect");
    let items: i64 = order.left().iter().map(|u| u.quantity).sum();
    tap(window, "Retraits");
    tap(window, order.id.as_str());
    wait_for(window, "the order", |w| {
        w.global::<PickupAdapter>().get_order_shown()
    });
    let pickup = window.global::<PickupAdapter>();
    tap(window, "Tout remettre");
    assert!(pickup.get_confirming_all());
    assert!(shows_text(
        window,
        "Remettre tous les articles sans les vérifier ?"
    ));
    assert!(shows_text(window, &format!("{items} articles")));
    tap(window, "Annuler");
    assert!(!pickup.get_confirming_all());
    assert_eq!(pickup.get_handed(), Handed::None);
    let untouched = check
        .pickup_order(order.id.as_str())
        .expect("read")
        .expect("order");
    assert!(untouched.handed_here.is_empty());

    // Confirmed, everything goes.
    tap(window, "Tout remettre");
    tap(window, "Oui, tout remettre");
    wait_for(window, "the whole handover", |w| {
        w.global::<PickupAdapter>().get_handed() == Handed::Whole
    });
    let after = check
        .pickup_order(order.id.as_str())
        .expect("read")
        .expect("order");
    assert!(after.left().is_empty());
    assert_eq!(
        after.handed_here.iter().map(|u| u.quantity).sum::<i64>(),
        items
    );
    window.hide().expect("hide");
}
