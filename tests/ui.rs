//! The real Slint UI under its testing backend (no window, no display), driven as a user would:
//! log in on the keypad, scan into the focused field with key events (a keyboard-wedge scanner
//! types the code then Enter), add to the basket, pay, and find the sale in the database.
//!
//! Slint's platform is set once per process, so the whole journey is one test, in order.

use std::time::{Duration, Instant};

use comptoir::config::Config;
use comptoir::domain::demo;
use comptoir::store::Store;
use comptoir::ui::{
    AppAdapter, AppWindow, BasketAdapter, CheckoutAdapter, CustomerAdapter, CustomerProblem,
    DeviceState, Handed, ItemVerdict, LoginAdapter, LoginProblem, ManagerAdapter, NoticeKind,
    OrderProblem, OverrideAdapter, OverrideProblem, Page, PayProblem, PickupAdapter, PickupStatus,
    PrintProblem, PrintState, ProductAdapter, ScanNotice, ScanPageAdapter, ScanProblem,
    StatusAdapter, ViewSource,
};
use i_slint_backend_testing::ElementHandle;
use serialport::SerialPort;
use slint::platform::{Key, WindowEvent};
use slint::{ComponentHandle, Model, SharedString};

use crate::util::seeded_db;

/// Runs the event loop until `done` holds (the worker's answers arrive through it).
pub(crate) fn wait_for(
    window: &AppWindow,
    what: &str,
    done: impl Fn(&AppWindow) -> bool + 'static,
) {
    // Generous: a loaded CI machine runs the other tests at the same time.
    let deadline = Instant::now() + Duration::from_secs(60);
    let done = std::rc::Rc::new(done);
    let check = std::rc::Rc::clone(&done);
    let weak = window.as_weak();
    // The testing backend queues every quit request: a second one, posted by a tick that came
    // before the loop stopped, would end the *next* wait at once (and fail it as "timed out").
    let quit_posted = std::cell::Cell::new(false);
    let timer = slint::Timer::default();
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_millis(5),
        move || {
            let ready = weak.upgrade().is_some_and(|w| check(&w));
            if (ready || Instant::now() > deadline) && !quit_posted.replace(true) {
                let _ = slint::quit_event_loop();
            }
        },
    );
    // A quit left over from an earlier wait can end a run early: run again until done or late.
    while !done(window) && Instant::now() <= deadline {
        slint::run_event_loop().expect("event loop");
    }
    assert!(done(window), "timed out waiting for {what}");
}

/// Types `text` into whatever has the focus, as a keyboard-wedge scanner does.
pub(crate) fn type_keys(window: &AppWindow, text: &str) {
    for c in text.chars() {
        let key: SharedString = c.to_string().into();
        window
            .window()
            .dispatch_event(WindowEvent::KeyPressed { text: key.clone() });
        window
            .window()
            .dispatch_event(WindowEvent::KeyReleased { text: key });
    }
}

pub(crate) fn press_enter(window: &AppWindow) {
    let key: SharedString = Key::Return.into();
    window
        .window()
        .dispatch_event(WindowEvent::KeyPressed { text: key.clone() });
    window
        .window()
        .dispatch_event(WindowEvent::KeyReleased { text: key });
}

/// Taps the button a user would read as `label`.
pub(crate) fn tap(window: &AppWindow, label: &str) {
    let found: Vec<_> = ElementHandle::find_by_accessible_label(window, label).collect();
    assert!(!found.is_empty(), "no button labelled {label:?}");
    found[0].invoke_accessible_default_action();
}

/// Picks `name` on the login page and types `pin` on its keypad, then « Se connecter ».
pub(crate) fn log_in(window: &AppWindow, name: &str, pin: &str) {
    tap(window, name);
    for digit in pin.chars() {
        tap(window, &digit.to_string());
    }
    tap(window, "Se connecter");
}

/// The staff screen on the database at `db`, shown, with the seller `name` logged in by `pin`.
pub(crate) fn seller_screen(db: &std::path::Path, name: &str, pin: &str) -> comptoir::ui::Terminal {
    let store = Store::open(db).expect("open");
    let terminal = comptoir::ui::build_terminal(&Config::default(), store).expect("terminal");
    let window = &terminal.window;
    window.show().expect("show");
    wait_for(window, "the staff list", |w| {
        w.global::<LoginAdapter>().get_staff().row_count() == demo::STAFF.len()
    });
    log_in(window, name, pin);
    wait_for(window, "the seller logged in", |w| {
        w.global::<AppAdapter>().get_page() != Page::Login
    });
    terminal
}

pub(crate) fn shows_text(window: &AppWindow, text: &str) -> bool {
    ElementHandle::find_by_accessible_label(window, text)
        .next()
        .is_some()
}

#[test]
fn a_sale_from_login_to_ticket() {
    i_slint_backend_testing::init_integration_test_with_system_time();
    let db = seeded_db(300);
    let store = Store::open(&db.path).expect("open");
    // A serial scanner played by a pseudo-terminal (the slave is kept open so the master can be
    // written, as in tests/devices.rs).
    let (mut scanner, scanner_slave) = serialport::TTYPort::pair().expect("pseudo-terminal");
    let config = Config {
        serial_port: Some(scanner_slave.name().expect("slave path")),
        // A receipt printer that is unplugged: asking for a receipt says so, the sale stands.
        printer_port: Some("/nonexistent/comptoir-printer".to_owned()),
        ..Config::default()
    };
    let terminal = comptoir::ui::build_terminal(&config, store).expect("terminal");
    let window = &terminal.window;
    window.show().expect("show");

    // The login page lists the staff.
    wait_for(window, "the staff list", |w| {
        w.global::<LoginAdapter>().get_staff().row_count() == demo::STAFF.len()
    });
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Login);
    assert_eq!(
        window.global::<AppAdapter>().get_store_name(),
        "Paris Rivoli"
    );

    // A wrong PIN is refused and says how many attempts are left.
    log_in(window, "Camille Martin", "9999");
    wait_for(window, "the wrong PIN message", |w| {
        w.global::<LoginAdapter>().get_problem() == LoginProblem::WrongPin
    });
    assert!(shows_text(window, "Code incorrect, encore 4 essais"));
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Login);

    // The right PIN opens the scan page.
    for digit in ["1", "2", "3", "4"] {
        tap(window, digit);
    }
    tap(window, "Se connecter");
    wait_for(window, "the scan page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Scan
    });
    assert_eq!(
        window.global::<StatusAdapter>().get_staff_name(),
        "Camille Martin"
    );

    // An unknown code, typed by a wedge scanner, gives a clear message.
    type_keys(window, "4006381333931");
    press_enter(window);
    wait_for(window, "the unknown product message", |w| {
        w.global::<ScanPageAdapter>().get_problem() == ScanProblem::UnknownProduct
    });
    assert!(shows_text(window, "Produit inconnu du catalogue"));

    // The serial scanner is connected; its scan adds one unit to the basket, which stays in
    // sight beside the page (issue 14: one scan, one line), with a notice of what was added.
    wait_for(window, "the scanner", |w| {
        w.global::<StatusAdapter>().get_scanner() == DeviceState::Connected
    });
    let from_serial = demo::product(12);
    std::io::Write::write_all(
        &mut scanner,
        format!("]E0{}\r\n", from_serial.gtin).as_bytes(),
    )
    .expect("scanner writes");
    wait_for(window, "the serial scan's line", |w| {
        w.global::<BasketAdapter>().get_lines().row_count() == 1
    });
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Scan);
    let line = window
        .global::<BasketAdapter>()
        .get_lines()
        .row_data(0)
        .expect("line");
    assert_eq!(line.label, from_serial.name.as_str());
    assert_eq!(window.global::<ScanNotice>().get_kind(), NoticeKind::Added);
    assert_eq!(
        window.global::<ScanNotice>().get_name(),
        from_serial.name.as_str()
    );

    // The customer changes their mind: the line is taken out deliberately (opened, then
    // « Retirer »), put back with « Annuler le retrait », and taken out again.
    tap(window, "Voir le panier");
    wait_for(window, "the basket page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Basket
    });
    let remove_serial = |window: &AppWindow| {
        tap(window, &from_serial.name);
        tap(window, &format!("Retirer {}", from_serial.name));
        wait_for(window, "the removal", |w| {
            w.global::<BasketAdapter>().get_lines().row_count() == 0
                && !w.global::<BasketAdapter>().get_removed_label().is_empty()
        });
    };
    remove_serial(window);
    tap(window, "Annuler le retrait");
    wait_for(window, "the line put back", |w| {
        w.global::<BasketAdapter>().get_lines().row_count() == 1
    });
    remove_serial(window);
    tap(window, "Scanner");

    // A known product typed by the wedge scanner goes into the basket; its card, with the
    // stock of the seven other locations, is one tap away on its line.
    let product = demo::product(9);
    type_keys(window, product.gtin.as_str());
    press_enter(window);
    wait_for(window, "the product's line", |w| {
        w.global::<BasketAdapter>().get_lines().row_count() == 1
    });
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Scan);
    assert!(
        window.global::<StatusAdapter>().get_wedge_active(),
        "a code typed into the scan field shows the keyboard scanner as working"
    );
    tap(window, &format!("Fiche de {}", product.name));
    wait_for(window, "the product page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Product
    });
    let card = window.global::<ProductAdapter>();
    assert_eq!(card.get_name(), product.name.as_str());
    assert_eq!(card.get_others().row_count(), 7);
    assert_eq!(card.get_stock_here(), demo::stock(9, 0).0 as i32);

    // Pay in cash with change, straight from the basket beside the card; checkout shows the
    // way back to the basket, which loses nothing.
    tap(window, "Encaisser");
    wait_for(window, "the checkout page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Checkout
    });
    tap(window, "Retour au panier");
    wait_for(window, "the basket again", |w| {
        w.global::<AppAdapter>().get_page() == Page::Basket
    });
    assert_eq!(window.global::<BasketAdapter>().get_lines().row_count(), 1);
    tap(window, "Encaisser");
    wait_for(window, "the checkout page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Checkout
    });
    tap(window, "Espèces");
    // Too little cash: refused, said in French with the amount missing (issue 17: a kind the
    // screen words, not the domain's English sentence).
    tap(window, "1");
    tap(window, "Valider le paiement");
    wait_for(window, "the refusal", |w| {
        w.global::<CheckoutAdapter>().get_problem() == PayProblem::CashShort
    });
    let missing = window.global::<CheckoutAdapter>().get_problem_amount();
    assert!(missing.ends_with('€'), "{missing}");
    assert!(shows_text(
        window,
        &format!("Il manque {missing} en espèces")
    ));
    window
        .global::<CheckoutAdapter>()
        .set_amount_text("".into());
    let given = (product.price.get() / 100 + 10).to_string();
    for digit in given.chars() {
        tap(window, &digit.to_string());
    }
    tap(window, "Valider le paiement");
    wait_for(window, "the confirmation", |w| {
        w.global::<CheckoutAdapter>().get_completed()
    });
    let checkout = window.global::<CheckoutAdapter>();
    assert_eq!(checkout.get_ticket_number(), "T01-000001");
    assert!(shows_text(window, "Ticket n° T01-000001"));
    assert!(!checkout.get_change().is_empty());

    // The customer asks for a paper receipt; the printer is unplugged: a clear message.
    tap(window, "Imprimer");
    wait_for(window, "the printer's answer", |w| {
        w.global::<CheckoutAdapter>().get_print_state() == PrintState::Failed
    });
    assert_eq!(
        window.global::<CheckoutAdapter>().get_print_problem(),
        PrintProblem::NotFound
    );
    assert!(shows_text(
        window,
        "Impression impossible : imprimante débranchée ou introuvable"
    ));
    // The printer's port is named under it, in the page's words (not the error's English).
    let port = window.global::<CheckoutAdapter>().get_print_port();
    assert!(!port.is_empty());
    assert!(shows_text(
        window,
        &format!(
            "La vente est enregistrée ; le ticket peut être réimprimé plus tard (imprimante {port})."
        )
    ));

    // The sale is in the database, whole, and its journal entry keeps the line cancelled
    // before payment (French cash-register law: cancellations stay visible).
    let check = Store::open(&db.path).expect("open");
    assert_eq!(
        check.sale_total("T01-000001").expect("query"),
        Some(product.price.get())
    );
    let conn = rusqlite::Connection::open(&db.path).expect("open");
    let detail: String = conn
        .query_row(
            "SELECT detail FROM journal_entry WHERE reference = 'T01-000001'",
            [],
            |row| row.get(0),
        )
        .expect("the ticket's entry");
    assert!(detail.contains("cancelled_lines"), "{detail}");
    assert!(detail.contains(from_serial.gtin.as_str()), "{detail}");

    // The next customer starts with an empty basket on the scan page.
    tap(window, "Client suivant");
    wait_for(window, "the next customer", |w| {
        w.global::<AppAdapter>().get_page() == Page::Scan
    });
    assert_eq!(window.global::<AppAdapter>().get_basket_count(), 0);
    assert_eq!(window.global::<BasketAdapter>().get_lines().row_count(), 0);

    cash_in_one_tap(window, &db.path);
    customer_at_the_counter(window, &db.path);
    click_and_collect_at_the_counter(window, &db.path);
    an_expired_product_needs_a_manager(window, &db.path);

    // A seller has no manager page; a manager closes the day and switches training mode on.
    assert!(!shows_text(window, "Gestion"));
    tap(window, "Déconnexion");
    wait_for(window, "the login page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Login
    });
    log_in(window, "Amélie Dubois (responsable)", "2468");
    wait_for(window, "the manager logged in", |w| {
        w.global::<AppAdapter>().get_manager()
    });
    tap(window, "Gestion");
    // A closing shows its figures first and is written once the manager's PIN is typed again.
    tap(window, "Clôturer la journée");
    // The blind count of the drawer comes first; `ui_drawer` counts, this closes without.
    tap(window, "Clôturer sans comptage");
    wait_for(window, "the closing's figures", |w| {
        w.global::<ManagerAdapter>().get_previewing()
    });
    for digit in ["2", "4", "6", "8"] {
        tap(window, digit);
    }
    tap(window, "Confirmer la clôture");
    wait_for(window, "the day closing", |w| {
        w.global::<ManagerAdapter>().get_last_closing().done
    });
    assert_eq!(
        window.global::<ManagerAdapter>().get_last_closing().tickets,
        3
    );
    assert!(shows_text(window, "Clôture du jour enregistrée (Z)"));
    tap(window, "Passer en mode formation");
    wait_for(window, "training mode", |w| {
        w.global::<StatusAdapter>().get_training()
    });
    assert!(shows_text(window, "MODE FORMATION"));
    let journal = comptoir::store::Store::open(&db.path).expect("open");
    let verification = journal.verify_journal("T01", &mut |_| {}).expect("verify");
    assert!(verification.problem.is_none(), "{:?}", verification.problem);
    a_forgotten_customer_leaves_the_screen();
    crate::ui_manager::what_cannot_be_undone_is_asked_first();
    crate::ui_kiosk::kiosk_for_customers();
    crate::ui_central::the_screen_asks_the_central_through_one_runtime();
    crate::ui_staff_call::a_kiosks_call_on_the_staff_screen();
    crate::ui_park::a_parked_basket_survives_a_restart();
    crate::ui_discount::a_discount_past_the_limit_needs_a_manager();
    crate::ui_drawer::the_drawer_on_the_screen();
    crate::ui_returns::a_receipt_returned_on_the_screen();
    crate::ui_returns::an_exchange_without_a_receipt_on_the_screen();
    crate::ui_narrow::the_tabs_that_do_not_fit_are_under_more();
}

/// Issue 14: a sale paid in cash at the speed of the queue. The checkout shows the basket; the
/// seller goes back to it and returns with nothing lost; then one tap on a quick cash amount
/// pays, the change shows, and the sale is in the database.
fn cash_in_one_tap(window: &AppWindow, db_path: &std::path::Path) {
    // A customer with ten different articles in front of a queue: each scan adds its line
    // wherever the seller is; « Encaisser » and one quick amount settle it. Every interaction
    // is counted (issue 14's goal: 10 scans + 2 taps).
    let mut interactions = 0;
    let products: Vec<_> = (31..60)
        .map(demo::product)
        .filter(|p| p.price_unit == comptoir::domain::catalog::PriceUnit::Each)
        .take(10)
        .collect();
    assert_eq!(products.len(), 10);
    tap(window, "Scanner");
    for (n, product) in products.iter().enumerate() {
        type_keys(window, product.gtin.as_str());
        press_enter(window);
        interactions += 1;
        wait_for(window, "the scanned line", move |w| {
            w.global::<BasketAdapter>().get_lines().row_count() == n + 1
        });
    }
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Scan);
    let price = products
        .iter()
        .map(|p| p.price)
        .try_fold(comptoir::domain::money::Cents::ZERO, |sum, p| {
            sum.checked_add(p)
        })
        .expect("total");
    tap(window, "Encaisser");
    interactions += 1;
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Checkout);

    // The quick amounts: the exact one, then the round amounts above.
    let amounts = comptoir::domain::quick_cash::quick_cash(price);
    assert_eq!(amounts[0], price);
    let given = amounts[1];
    let euros = given.get() / 100;
    assert_eq!(given.get() % 100, 0, "a round amount");
    let tile = format!("{euros}\u{a0}€ en espèces");
    assert!(shows_text(window, &tile), "no quick amount {tile:?}");
    let before = Store::open(db_path)
        .expect("open")
        .sale_count()
        .expect("count");

    // One tap pays.
    tap(window, &tile);
    interactions += 1;
    wait_for(window, "the confirmation", |w| {
        w.global::<CheckoutAdapter>().get_completed()
    });
    assert_eq!(
        interactions, 12,
        "10 scans + « Encaisser » + one quick amount"
    );
    let change = given.checked_sub(price).expect("change").format_fr();
    assert_eq!(
        window.global::<CheckoutAdapter>().get_change(),
        change.as_str()
    );
    assert!(shows_text(window, &format!("Rendre {change}")));
    let store = Store::open(db_path).expect("open");
    assert_eq!(store.sale_count().expect("count"), before + 1);
    let ticket = window.global::<CheckoutAdapter>().get_ticket_number();
    let sale = store
        .stored_sale(ticket.as_str())
        .expect("query")
        .expect("the sale is recorded");
    assert_eq!(sale.total, price);
    assert_eq!(
        sale.payments,
        vec![(comptoir::domain::payment::PaymentMethod::Cash, price)]
    );
    assert_eq!(sale.change, given.checked_sub(price).expect("change"));

    // No customer, no e-mail; the customer wants no receipt.
    assert!(!shows_text(window, "Par e-mail"));
    tap(window, "Sans ticket");
    tap(window, "Client suivant");
    wait_for(window, "the next customer", |w| {
        w.global::<AppAdapter>().get_page() == Page::Scan
    });
}

/// The customer identifies with their loyalty QR (typed by a wedge scanner): their page opens
/// from the cache, a note that is not factual warns, a consent is recorded, the sale uses and
/// earns points, and the finished sale leaves nothing of them on the screen.
fn customer_at_the_counter(window: &AppWindow, db_path: &std::path::Path) {
    let now = chrono::Utc::now().timestamp();
    let customer = demo::customer(4);
    let full_name = format!("{} {}", customer.first_name, customer.last_name);

    // A forged code is refused with a reason and shows nobody.
    let genuine = demo::demo_loyalty_code(4, now);
    let forged = genuine.replacen(
        &genuine[8..9],
        if &genuine[8..9] == "A" { "B" } else { "A" },
        1,
    );
    tap(window, "Scanner");
    type_keys(window, &forged);
    press_enter(window);
    wait_for(window, "the refused code", |w| {
        w.global::<CustomerAdapter>().get_problem() == CustomerProblem::RefusedCode
    });
    assert!(!window.global::<CustomerAdapter>().get_shown());

    tap(window, "Scanner");
    type_keys(window, &genuine);
    press_enter(window);
    wait_for(window, "the customer page", |w| {
        w.global::<CustomerAdapter>().get_shown()
    });
    let page = window.global::<CustomerAdapter>();
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Customer);
    assert_eq!(page.get_name(), full_name.as_str());
    assert_eq!(page.get_points() as i64, customer.loyalty_points);
    assert_eq!(page.get_source(), ViewSource::Cache);
    assert!(shows_text(window, &full_name));
    let store = Store::open(db_path).expect("open");
    assert_eq!(store.access_count(&customer.public_id).expect("log"), 1);

    // A note about health warns before it is saved; rephrased, it is saved.
    page.set_note_draft("Cliente enceinte, pressée".into());
    tap(window, "Enregistrer la note");
    wait_for(window, "the GDPR warning", |w| {
        !w.global::<CustomerAdapter>().get_note_warning().is_empty()
    });
    assert_eq!(page.get_note_warning(), "enceinte");
    tap(window, "Reformuler");
    assert!(page.get_note_warning().is_empty());
    page.set_note_draft("Préfère la taille M".into());
    tap(window, "Enregistrer la note");
    wait_for(window, "the saved note", |w| {
        w.global::<CustomerAdapter>().get_notes().row_count() == 1
    });
    assert_eq!(
        page.get_notes().row_data(0).expect("note").text,
        "Préfère la taille M"
    );

    // Consent to SMS offers, explicit and dated (the switch's toggled callback, as a tap gives:
    // the testing backend's accessible action does not emit it).
    assert!(shows_text(window, "Offres par SMS"));
    page.invoke_set_consent(true, true);
    wait_for(window, "the SMS consent", |w| {
        w.global::<CustomerAdapter>().get_consent_sms()
    });
    assert!(!page.get_consent_sms_date().is_empty());
    // And to e-mails: the receipt may then go by e-mail.
    page.invoke_set_consent(false, true);
    wait_for(window, "the e-mail consent", |w| {
        w.global::<CustomerAdapter>().get_consent_email()
    });

    // A sale to this customer: some points pay, the rest by card, and the sale earns points.
    tap(window, "Scanner");
    let product = demo::product(20);
    type_keys(window, product.gtin.as_str());
    press_enter(window);
    wait_for(window, "the scanned line", |w| {
        w.global::<AppAdapter>().get_basket_count() == 1
    });
    tap(window, &format!("Fiche de {}", product.name));
    wait_for(window, "the product page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Product
    });

    // Endless aisle: the customer chooses the store where they will collect it.
    let product_page = window.global::<ProductAdapter>();
    let lyon = (0..product_page.get_others().row_count())
        .filter_map(|i| product_page.get_others().row_data(i))
        .find(|row| !row.warehouse && row.qty >= 1)
        .expect("another store has it");
    tap(window, &format!("Retrait à {}", lyon.location));
    wait_for(window, "the order number", |w| {
        !w.global::<ProductAdapter>().get_ordered_number().is_empty()
    });
    assert_eq!(product_page.get_order_problem(), OrderProblem::None);
    let ordered = comptoir::sync::wire::pending_outbox(&store, 1_000)
        .expect("outbox")
        .into_iter()
        .find(|e| e.kind == comptoir::sync::protocol::EventKind::AisleOrder)
        .expect("the order is queued for the central");
    assert_eq!(ordered.payload["pickup_store"], lyon.code.as_str());
    assert_eq!(ordered.payload["customer"], customer.public_id.as_str());
    assert_eq!(
        ordered.payload["order_number"],
        product_page.get_ordered_number().as_str()
    );

    // « Ajouter au panier » adds one more and leaves the card on show, the basket beside it.
    tap(window, "Ajouter au panier");
    wait_for(window, "the basket", |w| {
        w.global::<AppAdapter>().get_basket_count() == 2
    });
    assert_eq!(window.global::<AppAdapter>().get_page(), Page::Product);
    tap(window, "Encaisser");
    let checkout = window.global::<CheckoutAdapter>();
    assert_eq!(checkout.get_customer_name(), customer.first_name);
    let redeemable = i64::from(checkout.get_points_redeemable());
    assert!(redeemable > 0, "the demo customer has points");
    checkout.set_use_points(true);
    tap(window, "Carte");
    tap(window, "Valider le paiement");
    wait_for(window, "the confirmation", |w| {
        w.global::<CheckoutAdapter>().get_completed()
    });
    assert!(!checkout.get_paid_points().is_empty());
    // The customer agreed to e-mails: the receipt goes by e-mail, through the central, and the
    // terminal's outbox names the ticket and the customer's id, never their address.
    tap(window, "Par e-mail");
    wait_for(window, "the e-mail receipt", |w| {
        w.global::<CheckoutAdapter>().get_email_state() == comptoir::ui::EmailState::Sent
    });
    let ticket = checkout.get_ticket_number().to_string();
    let queued = comptoir::sync::wire::pending_outbox(&store, 1_000)
        .expect("outbox")
        .into_iter()
        .find(|e| {
            e.kind == comptoir::sync::protocol::EventKind::EReceipt
                && e.payload["delivery"] == "email"
        })
        .expect("the e-mail receipt is queued for the central");
    assert_eq!(queued.payload["ticket"], ticket.as_str());
    assert_eq!(queued.payload["customer"], customer.public_id.as_str());
    assert!(!queued.payload.to_string().contains(&customer.email));
    // The sale is over: nothing of the customer stays in the view models.
    assert!(!page.get_shown());
    assert!(page.get_name().is_empty());
    assert!(page.get_email().is_empty());
    assert_eq!(page.get_notes().row_count(), 0);
    assert!(
        window
            .global::<AppAdapter>()
            .get_customer_first_name()
            .is_empty()
    );
    tap(window, "Client suivant");
    wait_for(window, "the next customer", |w| {
        w.global::<AppAdapter>().get_page() == Page::Scan
    });
    assert!(
        window
            .global::<CheckoutAdapter>()
            .get_customer_name()
            .is_empty()
    );

    // The balance is what the customer had, less what they used, plus what the rest earned.
    let paid_by_card = product.price.get() * 2 - redeemable * 5;
    let expected = customer.loyalty_points - redeemable + paid_by_card / 100;
    assert_eq!(
        comptoir::app::customer::points_balance(&store, &customer.public_id).expect("balance"),
        expected
    );
}

/// A unit scanned past its expiry date stops the sale: the dialog asks for a manager; a wrong
/// PIN adds nothing, the right one adds the line and journals who allowed it and why.
fn an_expired_product_needs_a_manager(window: &AppWindow, db_path: &std::path::Path) {
    tap(window, "Scanner");
    let product = demo::product(7);
    let before = window.global::<AppAdapter>().get_basket_count();
    type_keys(
        window,
        &format!("]Q3(01){}(17)251130(10)L2417B", product.gtin),
    );
    press_enter(window);
    wait_for(window, "the override dialog", |w| {
        w.global::<OverrideAdapter>().get_shown()
    });
    assert!(shows_text(window, "Produit périmé : vente bloquée"));
    assert_eq!(window.global::<AppAdapter>().get_basket_count(), before);

    tap(window, "Amélie Dubois");
    tap(window, "Date ou lot vérifiés sur l'emballage");
    for digit in ["1", "1", "1", "1"] {
        tap(window, digit);
    }
    tap(window, "Autoriser");
    wait_for(window, "the wrong PIN", |w| {
        w.global::<OverrideAdapter>().get_problem() == OverrideProblem::WrongPin
    });
    assert_eq!(window.global::<AppAdapter>().get_basket_count(), before);
    for digit in ["2", "4", "6", "8"] {
        tap(window, digit);
    }
    tap(window, "Autoriser");
    wait_for(window, "the line added", move |w| {
        !w.global::<OverrideAdapter>().get_shown()
            && w.global::<AppAdapter>().get_basket_count() == before + 1
    });
    let conn = rusqlite::Connection::open(db_path).expect("open");
    let (operator, detail): (String, String) = conn
        .query_row(
            "SELECT operator, detail FROM journal_entry WHERE detail LIKE 'override expired%'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("the override is journaled");
    assert_eq!(operator, "amelie");
    assert!(detail.contains(product.gtin.as_str()), "{detail}");
    assert!(detail.contains("checked_pack"), "{detail}");
}

/// The pickup counter: the list of this store's orders, an order's items checked by scanning
/// them (a wrong product is flagged), and a partial handover that leaves the rest ready.
fn click_and_collect_at_the_counter(window: &AppWindow, db_path: &std::path::Path) {
    tap(window, "Retraits");
    wait_for(window, "the pickup list", |w| {
        w.global::<PickupAdapter>().get_orders().row_count() == 4
    });
    let store = Store::open(db_path).expect("open");
    let order = store
        .pickup_order("CC900004")
        .expect("read")
        .expect("a demo order");
    tap(window, "CC900004");
    wait_for(window, "the order", |w| {
        w.global::<PickupAdapter>().get_order_shown()
    });
    let pickup = window.global::<PickupAdapter>();
    assert_eq!(pickup.get_order_lines().row_count(), order.lines.len());

    // A product that is not in the order is flagged; one of its items is checked.
    let stranger = (0..)
        .map(demo::product)
        .find(|p| order.lines.iter().all(|l| l.gtin != p.gtin.as_str()))
        .expect("a product not in the order");
    type_keys(window, stranger.gtin.as_str());
    press_enter(window);
    wait_for(window, "the wrong product", |w| {
        w.global::<PickupAdapter>().get_verdict() == ItemVerdict::WrongProduct
    });
    type_keys(window, &order.lines[0].gtin);
    press_enter(window);
    wait_for(window, "the checked item", |w| {
        w.global::<PickupAdapter>().get_verdict() == ItemVerdict::Expected
    });
    assert_eq!(pickup.get_checked_count(), 1);

    // Only the checked item goes; the rest stays ready, recorded for the central.
    tap(window, "Remettre les articles vérifiés (1)");
    wait_for(window, "the partial handover", |w| {
        w.global::<PickupAdapter>().get_handed() == Handed::Part
    });
    let ordered: i64 = order.lines.iter().map(|l| l.quantity).sum();
    assert_eq!(i64::from(pickup.get_left_after()), ordered - 1);
    assert_eq!(pickup.get_order_status(), PickupStatus::PartlyHanded);
    let after = store
        .pickup_order("CC900004")
        .expect("read")
        .expect("order");
    assert_eq!(after.handed_here.iter().map(|u| u.quantity).sum::<i64>(), 1);
    tap(window, "Retour à la liste");
    wait_for(window, "the list again", |w| {
        !w.global::<PickupAdapter>().get_order_shown()
    });
}

/// A customer's record left open on a shared tablet closes by itself after
/// `customer_idle_seconds` with nobody touching the screen; the basket stays, without their
/// points.
fn a_forgotten_customer_leaves_the_screen() {
    let db = seeded_db(300);
    let store = Store::open(&db.path).expect("open");
    let config = Config {
        customer_idle_seconds: 10,
        ..Config::default()
    };
    let terminal = comptoir::ui::build_terminal(&config, store).expect("terminal");
    let window = &terminal.window;
    window.show().expect("show");
    wait_for(window, "the staff list", |w| {
        w.global::<LoginAdapter>().get_staff().row_count() == demo::STAFF.len()
    });
    log_in(window, "Hugo Bernard", "5678");
    wait_for(window, "the scan page", |w| {
        w.global::<AppAdapter>().get_page() == Page::Scan
    });
    type_keys(
        window,
        &demo::demo_loyalty_code(6, chrono::Utc::now().timestamp()),
    );
    press_enter(window);
    wait_for(window, "the customer page", |w| {
        w.global::<CustomerAdapter>().get_shown()
    });
    let opened = Instant::now();
    wait_for(window, "the idle close", |w| {
        !w.global::<CustomerAdapter>().get_shown()
            && w.global::<AppAdapter>()
                .get_customer_first_name()
                .is_empty()
    });
    assert!(
        opened.elapsed() >= Duration::from_secs(9),
        "closed too early"
    );
    assert!(window.global::<CustomerAdapter>().get_name().is_empty());
    assert!(
        window
            .global::<CheckoutAdapter>()
            .get_customer_name()
            .is_empty()
    );

    // On a 7-inch 800×480 screen the buttons take their compact size, and the normal one back.
    for (width, narrow) in [(800.0, true), (1280.0, false)] {
        window
            .window()
            .set_size(slint::LogicalSize::new(width, 480.0));
        wait_for(window, "the window's width taken into account", move |w| {
            w.global::<AppAdapter>().get_narrow() == narrow
        });
    }
    window.hide().expect("hide");
}

/// Every string shown in the UI has its English translation (tests run the French source).
#[test]
fn every_ui_string_has_an_english_translation() {
    let po = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/translations/en/LC_MESSAGES/comptoir.po"
    ))
    .expect("the English catalogue");
    let mut missing = Vec::new();
    for entry in walk(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/ui"
    ))) {
        let source = std::fs::read_to_string(&entry).expect("read .slint");
        for piece in source.split("@tr(\"").skip(1) {
            let Some(end) = piece.find('"') else { continue };
            let msgid = &piece[..end];
            if !po.contains(&format!("msgid \"{msgid}\"")) {
                missing.push(format!("{}: {msgid}", entry.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "untranslated strings:\n{}",
        missing.join("\n")
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read ui/").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "slint") {
            files.push(path);
        }
    }
    files
}
