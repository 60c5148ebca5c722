//! The self-service kiosk under Slint's testing backend, driven as customers would: scan a
//! product, scan a forged card, search on the on-screen keyboard, scan a real card, then walk
//! away and check the idle wipe forgot everything. It runs inside the one UI test of `ui.rs`
//! (Slint's platform is set once per process).

use std::time::{Duration, Instant};

use comptoir::config::{Config, Mode};
use comptoir::domain::customer::{CartItem, CustomerView, ViewSource};
use comptoir::domain::demo;
use comptoir::domain::signed_code::{LoyaltyClaims, issue_loyalty};
use comptoir::store::Store;
use comptoir::ui::kiosk::build_kiosk;
use comptoir::ui::{KioskAdapter, KioskCall, KioskPage, KioskProblem, KioskWindow, UiError};
use i_slint_backend_testing::{ElementHandle, ElementQuery};
use slint::platform::{Key, WindowEvent};
use slint::{ComponentHandle, Model, SharedString};

use crate::util::seeded_db;

/// Runs the event loop until `done` holds (the worker's answers arrive through it).
fn wait_for(window: &KioskWindow, what: &str, done: impl Fn(&KioskWindow) -> bool + 'static) {
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

fn key(window: &KioskWindow, text: SharedString) {
    window
        .window()
        .dispatch_event(WindowEvent::KeyPressed { text: text.clone() });
    window
        .window()
        .dispatch_event(WindowEvent::KeyReleased { text });
}

/// A keyboard-wedge scanner: the code, then Enter.
fn wedge_scan(window: &KioskWindow, code: &str) {
    for c in code.chars() {
        key(window, c.to_string().into());
    }
    key(window, Key::Return.into());
}

fn tap(window: &KioskWindow, label: &str) {
    let found: Vec<_> = ElementHandle::find_by_accessible_label(window, label).collect();
    assert!(!found.is_empty(), "nothing labelled {label:?}");
    found[0].invoke_accessible_default_action();
}

fn shows_text(window: &KioskWindow, text: &str) -> bool {
    ElementHandle::find_by_accessible_label(window, text)
        .next()
        .is_some()
}

/// Every accessible label on screen, and every element's component name.
fn labels_and_types(window: &KioskWindow) -> (Vec<String>, Vec<String>) {
    let elements = ElementQuery::from_root(window)
        .match_descendants()
        .find_all();
    let labels = elements
        .iter()
        .filter_map(|e| e.accessible_label())
        .map(|l| l.to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let types = elements
        .iter()
        .filter_map(|e| e.type_name())
        .map(|t| t.to_string())
        .collect();
    (labels, types)
}

/// No staff function, no way out, on whatever page the kiosk shows.
fn assert_no_staff_function(window: &KioskWindow, page: &str) {
    // Words only staff functions use, anywhere in a label.
    const STAFF_WORDS: [&str; 9] = [
        "Déconnexion",
        "Se connecter",
        "Gestion",
        "Encaisser",
        "Clôtur",
        "formation",
        "Client suivant",
        "Quitter",
        "Code PIN",
    ];
    // Staff buttons whose words a customer page may use in a sentence ("votre panier en
    // ligne"): a label that is exactly one of them, or starts as the basket button does.
    const STAFF_BUTTONS: [&str; 5] = [
        "Panier",
        "Ajouter au panier",
        "Scanner",
        "Recherche",
        "Champ de scan",
    ];
    const STAFF_COMPONENTS: [&str; 11] = [
        "LoginPage",
        "ScanPage",
        "ProductPage",
        "SearchPage",
        "BasketPage",
        "CheckoutPage",
        "ManagerPage",
        "Keypad",
        "StatusBar",
        "NavButton",
        "AppWindow",
    ];
    let (labels, types) = labels_and_types(window);
    assert!(!labels.is_empty(), "{page}: the kiosk shows nothing");
    for label in &labels {
        for word in STAFF_WORDS {
            assert!(
                !label.to_lowercase().contains(&word.to_lowercase()),
                "{page}: {label:?} looks like a staff function"
            );
        }
        assert!(
            !STAFF_BUTTONS.contains(&label.as_str()) && !label.starts_with("Panier ("),
            "{page}: {label:?} is a staff button"
        );
        // The staff PIN keypad has digit keys; the kiosk's only are on its search keyboard
        // (« 100 ml »), and the keypad itself is caught by its type below.
        assert!(
            page == "search" || !(label.len() == 1 && label.chars().all(|c| c.is_ascii_digit())),
            "{page}: a digit key {label:?}"
        );
    }
    for name in &types {
        assert!(
            !STAFF_COMPONENTS.contains(&name.as_str()),
            "{page}: staff component {name} in the kiosk"
        );
    }
}

/// Every property that can hold something about a customer is empty, the home screen is back.
fn assert_wiped(window: &KioskWindow) {
    let a = window.global::<KioskAdapter>();
    assert_eq!(a.get_page(), KioskPage::Home);
    assert_eq!(a.get_problem(), KioskProblem::None);
    assert_eq!(a.get_call(), KioskCall::None);
    assert_eq!(a.get_reserved_number(), "");
    assert!(!a.get_can_reserve());
    assert!(!a.get_english(), "the store's French is back");
    assert_eq!(a.get_first_name(), "");
    assert_eq!(a.get_tier(), "");
    assert_eq!(a.get_points(), 0);
    assert!(!a.get_points_known());
    assert_eq!(a.get_cart().row_count(), 0);
    assert_eq!(a.get_product().name, "");
    assert_eq!(a.get_product().price, "");
    assert_eq!(a.get_elsewhere().row_count(), 0);
    assert!(!a.get_from_search());
    assert_eq!(a.get_query(), "");
    assert_eq!(a.get_results().row_count(), 0);
    assert!(!a.get_searched());
    assert_eq!(a.get_countdown(), 0);
}

/// Customer 0's view as the central last sent it: with an online cart of two lines.
fn cache_demo_customer(store: &mut Store) -> CustomerView {
    let who = demo::customer(0);
    let now = chrono::Utc::now().timestamp();
    let line = |index: u64, quantity: i64| {
        let p = demo::product(index);
        CartItem {
            gtin: p.gtin.as_str().to_owned(),
            name: p.name.clone(),
            quantity,
            online_price_cents: p.price.get(),
            added_at: now - 3_600,
        }
    };
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
        online_cart: vec![line(3, 1), line(5, 2)],
        wishlist: Vec::new(),
        notes: Vec::new(),
        source: ViewSource::Central,
        fetched_at: now,
    };
    let acked = store.acked_seq().expect("acked");
    store.cache_customer_view(&view, acked).expect("cache view");
    view
}

pub fn kiosk_for_customers() {
    let db = seeded_db(300);
    let mut store = Store::open(&db.path).expect("open");
    let cached = cache_demo_customer(&mut store);
    let config = Config {
        mode: Mode::Kiosk,
        // The smallest timeout allowed: the countdown shows from the start.
        kiosk_idle_seconds: 10,
        ..Config::default()
    };

    // The staff window refuses a kiosk's configuration: a customer never gets it.
    let refused = comptoir::ui::build_terminal(&config, Store::open(&db.path).expect("open"));
    assert!(matches!(refused, Err(UiError::KioskMode)));

    let kiosk = build_kiosk(&config, store).expect("kiosk");
    let window = &kiosk.window;
    window.show().expect("show");
    wait_for(window, "the store's name", |w| {
        w.global::<KioskAdapter>().get_store_name() == "Paris Rivoli"
    });
    assert!(shows_text(window, "Bienvenue !"));
    assert_no_staff_function(window, "home");

    // Keys a customer could find on a keyboard plugged into the kiosk do nothing.
    for special in [Key::Escape, Key::Tab, Key::F1, Key::Backspace, Key::Return] {
        key(window, special.into());
    }
    assert_eq!(window.global::<KioskAdapter>().get_page(), KioskPage::Home);
    assert_eq!(
        window.global::<KioskAdapter>().get_problem(),
        KioskProblem::None
    );
    assert!(!kiosk.holds_customer());

    // (d) A product scan: price, in stock here or not, and elsewhere.
    let product = demo::product(9);
    wedge_scan(window, product.gtin.as_str());
    wait_for(window, "the product page", |w| {
        w.global::<KioskAdapter>().get_page() == KioskPage::Product
    });
    let shown = window.global::<KioskAdapter>().get_product();
    assert_eq!(shown.name, product.name.as_str());
    assert_eq!(shown.brand, product.brand);
    assert!(shown.price.contains('€'), "{}", shown.price);
    let here = demo::stock(9, 0).0;
    assert_eq!(i64::from(shown.stock_here), here);
    assert!(shows_text(
        window,
        if here > 0 {
            "En stock ici"
        } else {
            "Pas en stock ici"
        }
    ));
    let elsewhere = (1..demo::LOCATIONS.len())
        .filter(|&l| demo::stock(9, l).0 > 0)
        .count();
    assert_eq!(
        window.global::<KioskAdapter>().get_elsewhere().row_count(),
        elsewhere
    );
    assert!(shows_text(window, "Disponible ailleurs"));
    assert!(shows_text(window, &shown.price));
    assert_no_staff_function(window, "product");
    // Issue 17: « Appeler un vendeur » on a kiosk that cannot reach its central sends the
    // customer to the desk at once, rather than leaving them waiting for no one.
    tap(window, "Appeler un vendeur");
    wait_for(window, "the call's outcome", |w| {
        w.global::<KioskAdapter>().get_call() == KioskCall::Offline
    });
    assert!(shows_text(
        window,
        "Pas de réseau : adressez-vous à l'accueil"
    ));
    // Issue 17: the customer reads it in English — the words and the price change at once —
    // and « Home » brings the store's French back for the next customer.
    tap(window, "English");
    wait_for(window, "the price in English", |w| {
        w.global::<KioskAdapter>()
            .get_product()
            .price
            .starts_with('€')
    });
    assert!(shows_text(
        window,
        if here > 0 {
            "In stock here"
        } else {
            "Not in stock here"
        }
    ));
    assert!(shows_text(window, "Available elsewhere"));
    assert!(shows_text(window, "Français"));
    tap(window, "Home");
    assert_wiped(window);
    assert!(shows_text(window, "Bienvenue !"));
    assert!(shows_text(window, "English"));
    wedge_scan(window, product.gtin.as_str());
    wait_for(window, "the product page in French again", |w| {
        w.global::<KioskAdapter>().get_page() == KioskPage::Product
    });
    assert!(
        window
            .global::<KioskAdapter>()
            .get_product()
            .price
            .ends_with('€')
    );
    tap(window, "Accueil");
    assert_wiped(window);

    // An unknown product says so in plain words.
    wedge_scan(window, "4006381333931");
    wait_for(window, "the unknown product message", |w| {
        w.global::<KioskAdapter>().get_problem() == KioskProblem::UnknownProduct
    });
    assert!(shows_text(
        window,
        "Nous ne trouvons pas ce produit. Un vendeur peut vous aider."
    ));
    tap(window, "Accueil");

    // (c) Forged cards: one altered, one signed by someone else's key. Refused, nothing shown.
    let now = chrono::Utc::now().timestamp();
    let genuine = demo::demo_loyalty_code(0, now);
    let mut altered: Vec<char> = genuine.chars().collect();
    let at = "CPTL1:".len() + 4;
    altered[at] = if altered[at] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    let other_key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let self_signed = issue_loyalty(
        &LoyaltyClaims {
            customer_id: cached.id.clone(),
            display_name: cached.first_name.clone(),
            tier: "or".to_owned(),
            issued_at: now,
        },
        |message| ed25519_dalek::Signer::sign(&other_key, message).to_bytes(),
    );
    for forged in [altered, self_signed] {
        wedge_scan(window, &forged);
        wait_for(window, "the card refusal", |w| {
            w.global::<KioskAdapter>().get_problem() == KioskProblem::CardRefused
        });
        assert!(shows_text(
            window,
            "Nous ne pouvons pas accepter cette carte. Un vendeur peut vous aider."
        ));
        let a = window.global::<KioskAdapter>();
        assert_eq!(a.get_page(), KioskPage::Home);
        assert_eq!(a.get_first_name(), "");
        assert_eq!(a.get_points(), 0);
        assert_eq!(a.get_cart().row_count(), 0);
        assert!(!shows_text(
            window,
            &format!("Bonjour {} !", cached.first_name)
        ));
        assert!(!kiosk.holds_customer());
        tap(window, "Accueil");
        assert_wiped(window);
    }

    // The search on the on-screen keyboard, then a result opens its product page.
    tap(window, "Rechercher un produit par son nom");
    assert_eq!(
        window.global::<KioskAdapter>().get_page(),
        KioskPage::Search
    );
    assert_no_staff_function(window, "search");
    let keys = "azertyuiopqsdfghjklmwxcvbnéèàç";
    let word: String = product
        .name
        .split(' ')
        .map(str::to_lowercase)
        .find(|w| w.chars().count() >= 3 && w.chars().all(|c| keys.contains(c)))
        .expect("a word of the product's name on the keyboard");
    for letter in word.chars() {
        tap(window, &letter.to_string());
    }
    tap(window, "x");
    tap(window, "Effacer");
    assert_eq!(window.global::<KioskAdapter>().get_query(), word.as_str());
    wait_for(window, "the search results", |w| {
        w.global::<KioskAdapter>().get_results().row_count() > 0
    });
    let first = window
        .global::<KioskAdapter>()
        .get_results()
        .row_data(0)
        .expect("a result");
    tap(window, &first.name);
    wait_for(window, "the result's product", |w| {
        w.global::<KioskAdapter>().get_page() == KioskPage::Product
    });
    assert_eq!(
        window.global::<KioskAdapter>().get_product().name,
        first.name
    );
    tap(window, "Retour aux résultats");
    assert_eq!(
        window.global::<KioskAdapter>().get_page(),
        KioskPage::Search
    );
    tap(window, "Accueil");
    assert_wiped(window);

    // (a) The customer's own card: first name, tier, points and online cart, nothing else.
    wedge_scan(window, &format!("]Q1{genuine}"));
    wait_for(window, "the customer page", |w| {
        w.global::<KioskAdapter>().get_page() == KioskPage::Customer
    });
    let a = window.global::<KioskAdapter>();
    assert_eq!(a.get_first_name(), cached.first_name.as_str());
    assert_eq!(a.get_tier(), cached.tier.as_str());
    assert_eq!(i64::from(a.get_points()), cached.loyalty_points);
    assert!(a.get_points_known());
    assert_eq!(a.get_cart().row_count(), 2);
    let line = a.get_cart().row_data(1).expect("second line");
    assert_eq!(line.name, cached.online_cart[1].name.as_str());
    assert_eq!(line.quantity, 2);
    assert_eq!(line.in_stock_here, demo::stock(5, 0).0 >= 2);
    assert!(shows_text(
        window,
        &format!("Bonjour {} !", cached.first_name)
    ));
    assert!(shows_text(
        window,
        &format!("{} points", cached.loyalty_points)
    ));
    let (labels, _) = labels_and_types(window);
    for private in [
        cached.last_name.as_str(),
        cached.email.as_deref().unwrap_or("@"),
        cached.phone.as_deref().unwrap_or("+33"),
        cached.id.as_str(),
    ] {
        assert!(
            labels.iter().all(|l| !l.contains(private)),
            "{private:?} is on the kiosk's screen"
        );
    }
    assert_no_staff_function(window, "customer");
    assert!(kiosk.holds_customer());

    // The countdown shows in the last 10 s; "Je suis encore là" starts the timeout again.
    wait_for(window, "the countdown", |w| {
        (1..=8).contains(&w.global::<KioskAdapter>().get_countdown())
    });
    let left = window.global::<KioskAdapter>().get_countdown();
    assert!(shows_text(
        window,
        &format!("Retour à l'accueil dans {left} s")
    ));
    tap(window, "Je suis encore là");
    wait_for(window, "the countdown starting again", |w| {
        w.global::<KioskAdapter>().get_countdown() >= 9
    });
    assert_eq!(
        window.global::<KioskAdapter>().get_page(),
        KioskPage::Customer
    );

    // Then nobody touches it: everything about the customer goes, on screen and in memory.
    let walked_away = Instant::now();
    wait_for(window, "the idle wipe", |w| {
        w.global::<KioskAdapter>().get_page() == KioskPage::Home
    });
    assert!(walked_away.elapsed() >= Duration::from_secs(8));
    assert_wiped(window);
    assert!(!shows_text(
        window,
        &format!("Bonjour {} !", cached.first_name)
    ));
    assert!(!kiosk.holds_customer());
    // The clean home screen does not count down.
    let resting = Instant::now();
    wait_for(window, "a while on the home screen", move |_| {
        resting.elapsed() > Duration::from_millis(600)
    });
    assert_eq!(window.global::<KioskAdapter>().get_countdown(), 0);

    // Issue 17: without a card the product page says how to reserve; with it, « Réserver » in
    // another store that has it takes the endless aisle's order, to collect and pay there.
    let (there, there_name) = (1..demo::LOCATIONS.len())
        .filter(|&l| demo::LOCATIONS[l].kind == comptoir::domain::catalog::LocationKind::Store)
        .find(|&l| demo::stock(9, l).0 > 0)
        .map(|l| (demo::LOCATIONS[l].code, demo::LOCATIONS[l].name))
        .expect("another store has the product");
    wedge_scan(window, product.gtin.as_str());
    wait_for(window, "the product page", |w| {
        w.global::<KioskAdapter>().get_page() == KioskPage::Product
    });
    let reserve_buttons = |window: &KioskWindow| {
        labels_and_types(window)
            .0
            .iter()
            .filter(|label| label.starts_with("Réserver à "))
            .count()
    };
    assert!(window.global::<KioskAdapter>().get_reserve_hint());
    assert_eq!(reserve_buttons(window), 0);
    wedge_scan(window, &format!("]Q1{genuine}"));
    wait_for(window, "the customer page", |w| {
        w.global::<KioskAdapter>().get_page() == KioskPage::Customer
    });
    wedge_scan(window, product.gtin.as_str());
    wait_for(window, "the product page for the customer", |w| {
        w.global::<KioskAdapter>().get_page() == KioskPage::Product
            && w.global::<KioskAdapter>().get_can_reserve()
    });
    tap(window, &format!("Réserver à {there_name}"));
    wait_for(window, "the reservation", |w| {
        !w.global::<KioskAdapter>().get_reserved_number().is_empty()
    });
    let number = window.global::<KioskAdapter>().get_reserved_number();
    assert!(shows_text(
        window,
        &format!("Réservé à {there_name} : commande n° {number}. Vous paierez au retrait.")
    ));
    let ordered =
        comptoir::sync::wire::pending_outbox(&Store::open(&db.path).expect("open"), 1_000)
            .expect("outbox")
            .into_iter()
            .find(|e| e.kind == comptoir::sync::protocol::EventKind::AisleOrder)
            .expect("the reservation is queued for the central");
    assert_eq!(ordered.payload["order_number"], number.as_str());
    assert_eq!(ordered.payload["pickup_store"], there);
    assert_eq!(ordered.payload["delivery"], "pickup");
    assert_eq!(ordered.payload["customer"], cached.id.as_str());
    assert_eq!(ordered.payload["staff"], "kiosk");
    // Reserved once: no second « Réserver » for this visit's product.
    assert_eq!(reserve_buttons(window), 0);
    tap(window, "Accueil");
    assert_wiped(window);
}
